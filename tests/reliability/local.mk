# tests/reliability: failures, isolation, caps, hostile input, soak and
# valgrind, each against a real fastbootd.
check_LTLIBRARIES += tests/reliability/librel.la
tests_reliability_librel_la_SOURCES = tests/reliability/rel.c \
	tests/reliability/rel.h
tests_reliability_librel_la_CPPFLAGS = $(TEST_CPPFLAGS)
tests_reliability_librel_la_LIBADD = tests/lib/libharness.la \
	wire/libwire.la -lpthread

REL_LDADD = tests/reliability/librel.la $(TEST_LDADD) wire/libwire.la \
	-lpthread
RELIABILITY_TESTS = \
	tests/reliability/failure_test \
	tests/reliability/hostile_test \
	tests/reliability/isolation_test \
	tests/reliability/caps_test \
	tests/reliability/soak_test \
	tests/reliability/valgrind_test \
	tests/reliability/tenancy_test \
	tests/reliability/strays_test
check_PROGRAMS += $(RELIABILITY_TESTS)
TESTS += $(RELIABILITY_TESTS)

tests_reliability_failure_test_SOURCES = tests/reliability/failure_test.c
tests_reliability_failure_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_reliability_failure_test_LDADD = $(REL_LDADD)

tests_reliability_hostile_test_SOURCES = tests/reliability/hostile_test.c
tests_reliability_hostile_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_reliability_hostile_test_LDADD = $(REL_LDADD)

tests_reliability_isolation_test_SOURCES = tests/reliability/isolation_test.c
tests_reliability_isolation_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_reliability_isolation_test_LDADD = $(REL_LDADD)

tests_reliability_caps_test_SOURCES = tests/reliability/caps_test.c
tests_reliability_caps_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_reliability_caps_test_LDADD = $(REL_LDADD)

tests_reliability_soak_test_SOURCES = tests/reliability/soak_test.c
tests_reliability_soak_test_CPPFLAGS = $(TEST_CPPFLAGS)
if ENABLE_SANITIZERS
tests_reliability_soak_test_CPPFLAGS += -DFB_SANITIZERS
endif
tests_reliability_soak_test_LDADD = $(REL_LDADD)

tests_reliability_valgrind_test_SOURCES = tests/reliability/valgrind_test.c
tests_reliability_valgrind_test_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DVALGRIND_PATH='"$(VALGRIND)"'
if ENABLE_SANITIZERS
tests_reliability_valgrind_test_CPPFLAGS += -DFB_SANITIZERS
endif
tests_reliability_valgrind_test_LDADD = $(REL_LDADD)

tests_reliability_tenancy_test_SOURCES = tests/reliability/tenancy_test.c \
	tests/integration/itest.c tests/integration/itest.h
tests_reliability_tenancy_test_CPPFLAGS = $(TEST_CPPFLAGS)
if ENABLE_SANITIZERS
tests_reliability_tenancy_test_CPPFLAGS += -DFB_SANITIZERS
endif
tests_reliability_tenancy_test_LDADD = $(REL_LDADD)

tests_reliability_strays_test_SOURCES = tests/reliability/strays_test.c
tests_reliability_strays_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_reliability_strays_test_LDADD = $(REL_LDADD)
