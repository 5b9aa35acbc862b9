# tests/packaging: fastbootctl, systemd integration (units, socket
# activation, sd_notify, restart behind a held socket), Debian packages.
check_LTLIBRARIES += tests/packaging/libptest.la
tests_packaging_libptest_la_SOURCES = tests/packaging/ptest.c \
	tests/packaging/ptest.h
tests_packaging_libptest_la_CPPFLAGS = $(TEST_CPPFLAGS)

PACKAGING_C_TESTS = tests/packaging/ctl_test tests/packaging/systemd_test
check_PROGRAMS += $(PACKAGING_C_TESTS)
TESTS += $(PACKAGING_C_TESTS)
PTEST_LDADD = tests/packaging/libptest.la $(TEST_LDADD)

tests_packaging_ctl_test_SOURCES = tests/packaging/ctl_test.c
tests_packaging_ctl_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_packaging_ctl_test_LDADD = $(PTEST_LDADD)
tests_packaging_systemd_test_SOURCES = tests/packaging/systemd_test.c
tests_packaging_systemd_test_CPPFLAGS = $(TEST_CPPFLAGS)
tests_packaging_systemd_test_LDADD = $(PTEST_LDADD)

# Tools the packaging tests drive (configure found them; empty: skip).
AM_TESTS_ENVIRONMENT += \
	SYSTEMD_SOCKET_ACTIVATE='$(SYSTEMD_SOCKET_ACTIVATE)'; \
	export SYSTEMD_SOCKET_ACTIVATE; \
	SYSTEMD_ANALYZE='$(SYSTEMD_ANALYZE)'; export SYSTEMD_ANALYZE; \
	MAKE='$(MAKE)'; export MAKE; CC='$(CC)'; export CC; \
	sbindir='$(sbindir)'; export sbindir; \
	systemdsystemunitdir='$(systemdsystemunitdir)'; \
	export systemdsystemunitdir;

PACKAGING_SCRIPT_TESTS = tests/packaging/units_test.sh
TESTS += $(PACKAGING_SCRIPT_TESTS)
EXTRA_DIST += $(PACKAGING_SCRIPT_TESTS)

# The Debian packages: a full dpkg-buildpackage and lintian (35 s on an
# idle 2-core machine, 100 s on a loaded one);
# skipped without dpkg-buildpackage, under distcheck or with
# FASTBOOT_TEST_DEBS=0.  "make check-debs" runs it alone.
TESTS += tests/packaging/debs_test.sh
EXTRA_DIST += tests/packaging/debs_test.sh tests/packaging/debs.sh \
	tests/packaging/partial.c
check-debs: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS=tests/packaging/debs_test.sh \
	    FASTBOOT_TEST_DEBS=1

# The packages under a real systemd: a cached Debian 12 root booted with
# systemd-nspawn (about 30 s with the root cached and the packages built by
# debs_test; a first run adds debootstrap, 45-120 s).  Needs root,
# systemd-nspawn and debootstrap, else skipped; also skipped under distcheck
# or with FASTBOOT_TEST_NSPAWN=0.  "make check-nspawn" runs it alone.
TESTS += tests/packaging/nspawn_test.sh
EXTRA_DIST += tests/packaging/nspawn_test.sh tests/packaging/nspawn_probe.sh
check-nspawn: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS=tests/packaging/nspawn_test.sh \
	    FASTBOOT_TEST_NSPAWN=1
.PHONY: check-debs check-nspawn

# The packages debs_test and nspawn_test share (tests/packaging/debs.sh).
clean-local: clean-packaging-debs
clean-packaging-debs:
	-rm -rf tests/packaging/debs
.PHONY: clean-packaging-debs
