# tests/packaging: fastbootctl, systemd integration (units, socket
# activation, sd_notify, restart behind a held socket), Debian packages.
check_LTLIBRARIES += tests/packaging/libptest.la
tests_packaging_libptest_la_SOURCES = tests/packaging/ptest.c \
	tests/packaging/ptest.h
tests_packaging_libptest_la_CPPFLAGS = $(TEST_CPPFLAGS)

PACKAGING_C_TESTS = tests/packaging/ctl_test
check_PROGRAMS += $(PACKAGING_C_TESTS)
TESTS += $(PACKAGING_C_TESTS)
PTEST_LDADD = tests/packaging/libptest.la $(TEST_LDADD)

tests_packaging_ctl_test_SOURCES = tests/packaging/ctl_test.c
tests_packaging_ctl_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_packaging_ctl_test_LDADD = $(PTEST_LDADD)
