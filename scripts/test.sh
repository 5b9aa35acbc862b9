#!/bin/sh
# The test command: install dependencies, build, run the whole suite, then
# run it again under AddressSanitizer and UndefinedBehaviorSanitizer, and end
# with one line "N passed, N failed, N skipped" summed over both runs.
# FASTBOOT_TEST_QUICK=1 skips the sanitizer run.
#
# Flake hunting: --repeat N runs the suite N times in each build (built
# once), --load K keeps K CPU-burning processes running beside it (started
# here, always stopped on the way out).  Each test that failed is printed
# with how many of the N runs it failed in; the last line is still the sum.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 skipped=0 status=0
repeat=1 load=0

usage() {
	echo "usage: $0 [--repeat N] [--load K]" >&2
	exit 2
}

# A positive decimal number (0 allowed for --load), else usage.
number() {
	case $2 in
	''|*[!0-9]*) echo "test.sh: $1: '$2' is not a number" >&2; usage ;;
	esac
	echo "$2"
}

while [ $# -gt 0 ]; do
	case $1 in
	--repeat) [ $# -ge 2 ] || usage; repeat=$(number "$1" "$2") || exit 2
		shift 2 ;;
	--repeat=*) repeat=$(number --repeat "${1#*=}") || exit 2; shift ;;
	--load) [ $# -ge 2 ] || usage; load=$(number "$1" "$2") || exit 2
		shift 2 ;;
	--load=*) load=$(number --load "${1#*=}") || exit 2; shift ;;
	-h|--help) echo "usage: $0 [--repeat N] [--load K]"; exit 0 ;;
	*) echo "test.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
[ "$repeat" -ge 1 ] || { echo "test.sh: --repeat must be at least 1" >&2
	exit 2; }

"$top/scripts/install-deps.sh" || exit 1

# The burners: plain shell loops, killed by their pids on every exit.
burners=
stop_burners() {
	for p in $burners; do
		kill "$p" 2>/dev/null
	done
	for p in $burners; do
		wait "$p" 2>/dev/null
	done
	burners=
}
trap 'stop_burners; exit 130' INT
trap 'stop_burners; exit 143' TERM HUP
start_burners() {
	i=0
	while [ "$i" -lt "$load" ]; do
		sh -c 'while :; do :; done' &
		burners="$burners $!"
		i=$((i + 1))
	done
	[ "$load" -gt 0 ] && echo "=== $load CPU burners running:$burners"
}

# Failures per test over the repeated runs: one "build test" line per
# failure, counted at the end.
flaky=$(mktemp "${TMPDIR:-/tmp}/fastboot-test.XXXXXX") || exit 1
trap 'stop_burners; rm -f "$flaky"' EXIT

# Add up Automake's "# PASS: N" style summary of one make check.
tally() {
	log=$1
	p=$(sed -n 's/^# PASS: *//p' "$log" | tail -n 1)
	f=$(sed -n 's/^# FAIL: *//p' "$log" | tail -n 1)
	e=$(sed -n 's/^# ERROR: *//p' "$log" | tail -n 1)
	x=$(sed -n 's/^# XPASS: *//p' "$log" | tail -n 1)
	s=$(sed -n 's/^# SKIP: *//p' "$log" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
	skipped=$((skipped + ${s:-0}))
}

# check NAME CONFIGURE-ARGS...: build in its own directory, run make check
# $repeat times.
check() {
	name=$1; shift
	dir=$top/_build-$name
	log=$dir/check-output.log
	echo "=== $name: configure $*"
	mkdir -p "$dir"
	if ! (cd "$dir" && "$top/configure" -q --enable-werror "$@" &&
	    make -j"$jobs" >build-output.log 2>&1); then
		echo "=== $name: build failed"
		tail -n 40 "$dir/build-output.log" 2>/dev/null
		failed=$((failed + 1))
		status=1
		return
	fi
	run=1
	while [ "$run" -le "$repeat" ]; do
		if [ "$repeat" -gt 1 ]; then
			echo "=== $name: make check, run $run of $repeat"
		else
			echo "=== $name: make check"
		fi
		(cd "$dir" && make -j"$jobs" check) >"$log" 2>&1
		rc=$?
		grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' "$log" |
		    grep -v '^PASS' || true
		grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$log"
		tally "$log"
		if [ $rc -ne 0 ]; then
			status=1
			for f in $(cd "$dir" && grep -lE \
			    '^:test-result: (FAIL|ERROR|XPASS)' \
			    $(find . -name '*.trs') 2>/dev/null); do
				echo "$name ${f#./}" | sed 's/\.trs$//' >>"$flaky"
				echo "--- ${f%.trs}.log"
				tail -n 60 "$dir/${f%.trs}.log"
			done
			# A harness failure that produced no tally still
			# counts.
			if ! grep -q '^# FAIL' "$log"; then
				failed=$((failed + 1))
				echo "$name (make check itself)" >>"$flaky"
			fi
		fi
		run=$((run + 1))
	done
}

cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh >/dev/null
start=$(date +%s)
start_burners
# The CUDA helpers build wherever the toolkit is; their test skips without
# a GPU.
cuda=
[ -f /usr/local/cuda/include/cuda_runtime_api.h ] && cuda=--with-cuda
check default $cuda
if [ "${FASTBOOT_TEST_QUICK:-0}" != 1 ]; then
	# The options of scripts/check-sanitizers.sh: a report fails its test;
	# the install test links a plain program to the instrumented library.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1:verify_asan_link_order=0
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0
	export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
	check sanitizers --enable-asan --enable-ubsan --without-mpi
fi
stop_burners
echo "=== suite took $(( $(date +%s) - start )) s"
if [ "$repeat" -gt 1 ] || [ "$load" -gt 0 ]; then
	if [ -s "$flaky" ]; then
		echo "=== failing tests (runs failed of $repeat, load $load):"
		sort "$flaky" | uniq -c | sort -rn |
		    awk -v n="$repeat" '{ c = $1; $1 = ""; sub(/^ /, "");
			printf "FAILED %s: %d of %d\n", $0, c, n }'
	else
		echo "=== no test failed in $repeat runs (load $load)"
	fi
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
