#!/bin/sh
# The test command: install dependencies, build, run the whole suite, then
# run it again under AddressSanitizer and UndefinedBehaviorSanitizer, and end
# with one line "N passed, N failed, N skipped" summed over both runs.
# FASTBOOT_TEST_QUICK=1 skips the sanitizer run.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 skipped=0 status=0

"$top/scripts/install-deps.sh" || exit 1

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

# check NAME CONFIGURE-ARGS...: build in its own directory, run make check.
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
	echo "=== $name: make check"
	(cd "$dir" && make -j"$jobs" check) >"$log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' "$log" | grep -v '^PASS' ||
	    true
	grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$log"
	tally "$log"
	if [ $rc -ne 0 ]; then
		status=1
		for f in $(cd "$dir" && grep -lE '^(FAIL|ERROR)' \
		    $(find . -name '*.trs') 2>/dev/null); do
			echo "--- ${f%.trs}.log"
			tail -n 60 "$dir/${f%.trs}.log"
		done
		# A harness failure that produced no tally still counts.
		grep -q '^# FAIL' "$log" || failed=$((failed + 1))
	fi
}

cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh >/dev/null
start=$(date +%s)
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
	export ASAN_OPTIONS UBSAN_OPTIONS
	check sanitizers --enable-asan --enable-ubsan --without-mpi
fi
echo "=== suite took $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
