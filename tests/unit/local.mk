# tests/unit: the codec's byte vectors and the library's error texts.
UNIT_TESTS = tests/unit/wire_test tests/unit/error_test tests/unit/peer_test
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
tests_unit_wire_test_SOURCES = tests/unit/wire_test.c
tests_unit_wire_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_wire_test_LDADD = $(TEST_LDADD) wire/libwire.la
tests_unit_error_test_SOURCES = tests/unit/error_test.c
tests_unit_error_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_error_test_LDADD = $(TEST_LDADD)
tests_unit_peer_test_SOURCES = tests/unit/peer_test.c
tests_unit_peer_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_peer_test_LDADD = $(TEST_LDADD) wire/libwire.la
