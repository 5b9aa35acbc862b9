# fastboot as an mscclpp::Bootstrap, against the mscclpp given to configure.
if HAVE_MSCCLPP
check_PROGRAMS += tests/mscclpp/bootstrap_test
TESTS += tests/mscclpp/bootstrap_test
tests_mscclpp_bootstrap_test_SOURCES = tests/mscclpp/bootstrap_test.cc
tests_mscclpp_bootstrap_test_CPPFLAGS = $(TEST_CPPFLAGS) $(MSCCLPP_CPPFLAGS)
tests_mscclpp_bootstrap_test_CXXFLAGS = -std=c++17 -Wall -Wextra $(SAN_CFLAGS)
tests_mscclpp_bootstrap_test_LDADD = $(TEST_LDADD) $(MSCCLPP_LIBS)
else
EXTRA_DIST += tests/mscclpp/bootstrap_test.cc
endif
