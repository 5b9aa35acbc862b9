# Integration tests: a real fastbootd and real rank processes.
INTEGRATION_TESTS = tests/integration/smoke_test
check_PROGRAMS += $(INTEGRATION_TESTS)
TESTS += $(INTEGRATION_TESTS)
tests_integration_smoke_test_SOURCES = tests/integration/smoke_test.c
tests_integration_smoke_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_smoke_test_LDADD = $(TEST_LDADD)
