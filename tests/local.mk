# Tests: TAP under Automake's parallel harness.  Each folder adds its part.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) \
	$(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = \
	FASTBOOTD='$(abs_top_builddir)/daemon/fastbootd'; export FASTBOOTD; \
	FASTBOOTCTL='$(abs_top_builddir)/tools/fastbootctl'; export FASTBOOTCTL; \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir;

check_LTLIBRARIES += tests/lib/libharness.la
tests_lib_libharness_la_SOURCES = tests/lib/tap.c tests/lib/tap.h \
	tests/lib/harness.c tests/lib/harness.h
tests_lib_libharness_la_LIBADD = libclient/libfastboot-client.la

TEST_LDADD = tests/lib/libharness.la libclient/libfastboot-client.la
TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/lib
EXTRA_DIST += tests/lsan.supp tests/lib/wait_daemon.sh

include tests/unit/local.mk
include tests/integration/local.mk
include tests/reliability/local.mk
include tests/fuzz/local.mk
include tests/packaging/local.mk
include tests/install/local.mk
include tests/cuda/local.mk
include tests/mscclpp/local.mk
include tests/multinode/local.mk
