#!/bin/sh
# bench_test.sh - a short run of the bootstrap benchmark (TAP): it completes
# with every available system, every number it writes is finite and positive,
# the report, CSV and JSON are written, and fastboot's allgather results were
# verified byte for byte.  No timing is asserted.  Bounded by timeout(1).
builddir=${top_builddir:-.}
bench=$builddir/bench/bootstrap_benchmark
daemon=${FASTBOOTD:-$builddir/daemon/fastbootd}
ranks=${BENCH_TEST_RANKS:-4}
limit=${BENCH_TEST_TIMEOUT:-240}

if ! command -v mpirun >/dev/null 2>&1; then
	echo "1..0 # SKIP mpirun not found"
	exit 0
fi
if [ ! -x "$bench" ]; then
	echo "1..0 # SKIP bootstrap_benchmark not built (no MPI at configure)"
	exit 0
fi
if ! command -v timeout >/dev/null 2>&1; then
	echo "1..0 # SKIP timeout(1) not found"
	exit 0
fi

out=$(mktemp -d /tmp/fbbench-test.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT INT TERM

# Root and more ranks than cores: what OpenMPI needs to allow both.
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_rmaps_base_oversubscribe

echo "1..9"
timeout -k 10 "$limit" mpirun -n "$ranks" "$bench" --start-daemon \
    --fastbootd "$daemon" --out "$out/r" --budget 0.05 --min-ops 3 \
    --max-ops 40 3 >"$out/stdout" 2>"$out/stderr"
rc=$?
sed 's/^/# /' "$out/stdout"
sed 's/^/# stderr: /' "$out/stderr" | tail -n 30
n=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

[ $rc -eq 0 ]; ok $? "benchmark completed (exit $rc)"
for f in report.html samples.csv summary.json; do
	[ -s "$out/r/$f" ]; ok $? "$f written"
done

# Every sample in the CSV is a finite, positive number.
awk -F, 'NR > 1 { if ($5 !~ /^[0-9]+(\.[0-9]+)?$/ || $5 + 0 <= 0) bad++; n++ }
    END { exit (n > 0 && bad == 0) ? 0 : 1 }' "$out/r/samples.csv"
ok $? "every CSV sample finite and positive"

# Every number of every JSON result is finite and positive (null: unknown;
# a standard deviation may be 0, with one sample, and so may the daemon's
# CPU when the ranks synchronise without it).
sed -n '/"results"/,$p' "$out/r/summary.json" |
    grep -o '"[a-z0-9_]*_us": [^,}]*' |
    awk -F': ' '$2 == "null" { next }
	!($2 ~ /^[0-9]+(\.[0-9]+)?$/) { bad++; print "# bad: " $0 }
	$2 + 0 <= 0 && $1 != "\"stddev_us\"" &&
	    $1 != "\"server_cpu_per_op_us\"" { bad++; print "# bad: " $0 }
	{ n++ } END { exit (n > 0 && bad == 0) ? 0 : 1 }'
ok $? "every JSON statistic finite and positive"

# fastboot's allgather results were checked byte for byte, all matched.
grep -q '"fastboot_allgather_verified": {"results": [1-9][0-9]*, "bytes": [1-9][0-9]*, "mismatches": 0}' \
    "$out/r/summary.json"
ok $? "fastboot allgather verified byte for byte"

# Every system that is available ran; none failed.
want="fastboot MPI shm-floor"
grep -q '^#define HAVE_PMIX 1' "$builddir/config.h" 2>/dev/null &&
    want="$want PMIx"
grep -q '^#define HAVE_MSCCLPP 1' "$builddir/config.h" 2>/dev/null &&
    want="$want mscclpp"
miss=
for s in $want; do
	grep -q "\"systems\": \[.*\"$s\"" "$out/r/summary.json" ||
	    miss="$miss $s"
done
[ -z "$miss" ] && ! grep -q 'failed:' "$out/r/summary.json"
ok $? "every available system measured ($want)${miss:+, missing:$miss}"

# The report is self-contained: inline charts (when gnuplot exists), no
# fetches.
if [ -n "${GNUPLOT:-$(command -v gnuplot)}" ]; then
	[ "$(grep -c '<svg' "$out/r/report.html")" -ge 5 ] &&
	    ! grep -qE '(src|href)="https?:' "$out/r/report.html"
	ok $? "report has its charts inline and fetches nothing"
else
	n=$((n + 1)); echo "ok $n # SKIP gnuplot not found"
fi
exit 0
