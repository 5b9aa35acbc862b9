#!/bin/sh
# check-sanitizers.sh - build fastboot in a fresh directory with
# AddressSanitizer and UndefinedBehaviorSanitizer and run the whole test
# suite there.  The valgrind test skips itself in this build.
#
#	scripts/check-sanitizers.sh [BUILDDIR]	(default: a new temporary dir)
#
# Extra configure arguments may come in CONFIGURE_ARGS; make flags in
# MAKEFLAGS (e.g. -j2).
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-}
if [ -z "$builddir" ]; then
	builddir=$(mktemp -d "${TMPDIR:-/tmp}/fastboot-san.XXXXXX")
fi
mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)

if [ ! -x "$srcdir/configure" ]; then
	(cd "$srcdir" && autoreconf -fi)
fi

# detect_leaks: the daemon and the tests report leaks at exit.
# abort_on_error/halt_on_error: a report fails the test that caused it.
# verify_asan_link_order=0: the install test builds a plain program against
# the (instrumented) installed library.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1:verify_asan_link_order=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$srcdir/tests/lsan.supp:print_suppressions=0}
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

cd "$builddir"
echo "check-sanitizers: building in $builddir"
# shellcheck disable=SC2086
"$srcdir/configure" --enable-asan --enable-ubsan --without-mpi \
    ${CONFIGURE_ARGS:-} > configure.log 2>&1 || {
	tail -30 configure.log
	exit 1
}
make all > make.log 2>&1 || { tail -40 make.log; exit 1; }
status=0
make check || status=$?
if [ "$status" -ne 0 ]; then
	echo "check-sanitizers: make check failed; logs under $builddir"
	for f in $(find . -name '*.log' -newer make.log); do
		if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		    "$f" 2>/dev/null; then
			echo "== $f"
			grep -E -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
			    "$f" | head -60
		fi
	done
fi
exit "$status"
