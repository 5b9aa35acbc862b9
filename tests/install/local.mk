# The installed pieces, used as a new user would.
TESTS += tests/install/install_test.sh
EXTRA_DIST += tests/install/install_test.sh
