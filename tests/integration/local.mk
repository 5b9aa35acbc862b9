# Integration tests: a real fastbootd and real rank processes.
INTEGRATION_TESTS = tests/integration/smoke_test \
	tests/integration/calls_test
check_PROGRAMS += $(INTEGRATION_TESTS)
TESTS += $(INTEGRATION_TESTS)
ITEST_SOURCES = tests/integration/itest.c tests/integration/itest.h
ITEST_LDADD = $(TEST_LDADD) wire/libwire.la
tests_integration_smoke_test_SOURCES = tests/integration/smoke_test.c
tests_integration_smoke_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_smoke_test_LDADD = $(TEST_LDADD)
tests_integration_calls_test_SOURCES = tests/integration/calls_test.c \
	$(ITEST_SOURCES)
tests_integration_calls_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_calls_test_LDADD = $(ITEST_LDADD)
INTEGRATION_TESTS += tests/integration/failure_test
tests_integration_failure_test_SOURCES = tests/integration/failure_test.c \
	$(ITEST_SOURCES)
tests_integration_failure_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_failure_test_LDADD = $(ITEST_LDADD)
INTEGRATION_TESTS += tests/integration/daemon_test
tests_integration_daemon_test_SOURCES = tests/integration/daemon_test.c \
	$(ITEST_SOURCES)
tests_integration_daemon_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_daemon_test_LDADD = $(ITEST_LDADD)
INTEGRATION_TESTS += tests/integration/jobs_test
tests_integration_jobs_test_SOURCES = tests/integration/jobs_test.c \
	$(ITEST_SOURCES)
tests_integration_jobs_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_jobs_test_LDADD = $(ITEST_LDADD) -lpthread
# The same tests with collectives through the daemon instead of shared
# memory (FASTBOOT_COLLECTIVES=daemon).
INTEGRATION_TESTS += tests/integration/calls_daemon_test \
	tests/integration/failure_daemon_test
tests_integration_calls_daemon_test_SOURCES = \
	tests/integration/calls_test.c $(ITEST_SOURCES)
tests_integration_calls_daemon_test_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DITEST_DAEMON_COLL
tests_integration_calls_daemon_test_LDADD = $(ITEST_LDADD)
tests_integration_failure_daemon_test_SOURCES = \
	tests/integration/failure_test.c $(ITEST_SOURCES)
tests_integration_failure_daemon_test_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DITEST_DAEMON_COLL
tests_integration_failure_daemon_test_LDADD = $(ITEST_LDADD)
INTEGRATION_TESTS += tests/integration/p2p_test
tests_integration_p2p_test_SOURCES = tests/integration/p2p_test.c \
	$(ITEST_SOURCES)
tests_integration_p2p_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_p2p_test_LDADD = $(ITEST_LDADD) -lpthread
INTEGRATION_TESTS += tests/integration/wake_test
tests_integration_wake_test_SOURCES = tests/integration/wake_test.c \
	$(ITEST_SOURCES)
tests_integration_wake_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_wake_test_LDADD = $(ITEST_LDADD)
