#!/bin/sh
# bench_test.sh - short runs of the bootstrap benchmark and its report (TAP).
# No timing is asserted; each mpirun is bounded by timeout(1).
#  - With no fastbootd listening, rank 0 starts a private one, says so on the
#    first line and stops it at the end; every available system completes,
#    every result is checked byte for byte, every sample is a finite
#    positive number; results.json, samples.csv and report.html are written,
#    the header names the commit, configure flags and CPU binding.
#  - bench_report renders this run again (the same CSV), renders an old
#    run's results.json shipped in bench/testdata, and refuses a file that
#    is not a run with an error naming it.
#  - A system that fails (fastboot with no daemon and --no-start-daemon) is
#    reported as failed, with the socket's path, never as mismatches; the
#    others still run and the exit status says a system failed.
#  - With a fastbootd listening, the run uses it, names it on the first line,
#    and leaves it running.
builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
bench=$builddir/bench/bootstrap_benchmark
report=$builddir/bench/bench_report
daemon=${FASTBOOTD:-$builddir/daemon/fastbootd}
ctl=${FASTBOOTCTL:-$builddir/tools/fastbootctl}
ranks=${BENCH_TEST_RANKS:-4}
limit=${BENCH_TEST_TIMEOUT:-240}

if [ ! -x "$report" ]; then
	echo "1..0 # SKIP bench_report not built (no json-c at configure)"
	exit 0
fi
# Without MPI (the sanitizer build), only bench_report's checks run.
nompi=
if [ ! -x "$bench" ]; then
	nompi="bootstrap_benchmark not built (no MPI at configure)"
elif ! command -v mpirun >/dev/null 2>&1; then
	nompi="mpirun not found"
elif ! command -v timeout >/dev/null 2>&1; then
	nompi="timeout(1) not found"
fi

out=$(mktemp -d /tmp/fbbench-test.XXXXXX) || exit 1
dpid=
trap '[ -n "$dpid" ] && kill "$dpid" 2>/dev/null; rm -rf "$out"' EXIT
trap 'exit 1' INT TERM

# Root and more ranks than cores: what OpenMPI needs to allow both.
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_rmaps_base_oversubscribe
# Nothing listens here: the benchmark must start its own daemon.
FASTBOOT_SOCKET=$out/nobody.sock
export FASTBOOT_SOCKET

n=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
skip() {
	i=0
	while [ $i -lt "$1" ]; do
		i=$((i + 1))
		n=$((n + 1))
		echo "ok $n # SKIP $nompi"
	done
}
show() {
	sed 's/^/# /' "$1.stdout"
	sed 's/^/# stderr: /' "$1.stderr" | tail -n 30
}

echo "1..28"

# 1. A whole run, with a private daemon.
if [ -n "$nompi" ]; then
	skip 13
else
timeout -k 10 "$limit" mpirun -n "$ranks" "$bench" --fastbootd "$daemon" \
    --out "$out/r" --budget 0.05 --min-ops 3 --max-ops 40 3 \
    >"$out/run.stdout" 2>"$out/run.stderr"
rc=$?
show "$out/run"
[ $rc -eq 0 ]; ok $? "benchmark completed (exit $rc)"

first=$(head -n 1 "$out/run.stdout")
case $first in
*"no fastbootd is listening on $out/nobody.sock"*"started a private"*)
	ok 0 "first line: no daemon listening, a private one started" ;;
*)	ok 1 "first line: no daemon listening, a private one started" ;;
esac
# "... (pid N) on SOCKET; it stops at the end"
ppid=$(echo "$first" | sed -n 's/.*(pid \([0-9]*\)) on .*/\1/p')
psock=$(echo "$first" | sed -n 's/.*) on \(.*\); it stops at the end$/\1/p')
[ -n "$ppid" ] && [ -n "$psock" ] && ! kill -0 "$ppid" 2>/dev/null &&
    [ ! -e "$psock" ] && grep -q "stopped the private fastbootd (pid $ppid)" \
    "$out/run.stderr"
ok $? "the private fastbootd (pid ${ppid:-?}) stopped, its socket removed"
grep -q "\"fastbootd\": \"a private fastbootd started for this run" \
    "$out/r/results.json"
ok $? "results.json says which fastbootd served the run"

for f in results.json report.html samples.csv; do
	[ -s "$out/r/$f" ]; ok $? "$f written"
done

# Every sample in the CSV is a finite number: positive for a time, zero
# allowed for memory (a job may cost the daemon no new resident page: its
# table was made ahead) and for counts of TCP connects (links:*).
awk -F, 'NR > 1 { if ($5 !~ /^[0-9]+(\.[0-9]+)?$/ ||
    ($5 + 0 <= 0 && $2 !~ /^(memory|links):/) || $5 + 0 < 0) bad++; n++ }
    END { exit (n > 0 && bad == 0) ? 0 : 1 }' "$out/r/samples.csv"
ok $? "every sample finite, every time positive"

# Every available system ran, its results checked byte for byte, all equal.
want="fastboot MPI shm-floor"
grep -q '^#define HAVE_PMIX 1' "$builddir/config.h" 2>/dev/null &&
    want="$want PMIx"
grep -q '^#define HAVE_MSCCLPP 1' "$builddir/config.h" 2>/dev/null &&
    want="$want mscclpp"
bad=
for s in $want; do
	grep -Eq "^$s: results verified byte for byte: [1-9][0-9]* \([1-9][0-9]* bytes\), 0 mismatches$" \
	    "$out/run.stdout" || bad="$bad $s"
done
[ -z "$bad" ] && ! grep -q 'FAILED' "$out/run.stdout"
ok $? "every available system ran and matched byte for byte ($want)${bad:+, not:$bad}"

# Bootstrap from id in hand (no launcher broadcast) for every system with
# an id (PMIx: init + first fence), never more than the total.
median() {
	tr -d ' \n' <"$out/r/results.json" | sed -n "s/.*\"system\":\"$1\",\"metric\":\"$2\",[^}]*\"median_us\":\([0-9.]*\).*/\1/p"
}
bad=
for s in $(echo "$want" | sed 's/MPI//'); do
	id=$(median "$s" bootstrap-from-id)
	all=$(median "$s" bootstrap)
	# PMIx's total is PMIx_Init alone, its id-in-hand figure adds a fence.
	[ "$s" = PMIx ] && all=${id:+1e99}
	awk -v a="${id:-0}" -v b="${all:-0}" 'BEGIN { exit !(a > 0 && a <= b) }' ||
	    bad="$bad $s(${id:-none}/${all:-none})"
done
[ -z "$bad" ] && grep -q '<td>bootstrap-from-id</td>' "$out/r/report.html"
ok $? "bootstrap from id in hand recorded, at most the total, in the report${bad:+; not:$bad}"

# The header: targets, commit, configure flags, CPU binding.
bad=
for h in '<h2>Targets</h2>' '<th>commit</th>' '<th>configure flags</th>' \
    '<th>CPU binding</th><td>every rank on CPUs' '<th>fastbootd</th>'; do
	grep -qF "$h" "$out/r/report.html" || bad="$bad '$h'"
done
[ -z "$bad" ] && ! grep -q 'issue 3' "$out/r/report.html"
ok $? "report header: Targets, commit, configure flags, CPU binding${bad:+; missing:$bad}"

# Self-contained: inline charts (when gnuplot exists), no fetches.
if [ -n "${GNUPLOT:-$(command -v gnuplot)}" ]; then
	[ "$(grep -c '<svg' "$out/r/report.html")" -ge 5 ] &&
	    ! grep -qE '(src|href)="https?:' "$out/r/report.html"
	ok $? "report has its charts inline and fetches nothing"
else
	n=$((n + 1)); echo "ok $n # SKIP gnuplot not found"
fi

# 2. bench_report renders a run again, from results.json alone.
"$report" -q "$out/r/results.json" -o "$out/again" 2>"$out/again.stderr"
rc=$?
[ $rc -eq 0 ] && cmp -s "$out/r/samples.csv" "$out/again/samples.csv" &&
    [ -s "$out/again/report.html" ]
ok $? "bench_report renders this run again, the same samples (exit $rc)"
fi

old=$srcdir/bench/testdata/results-old.json
"$report" "$old" -o "$out/old" >"$out/old.stdout" 2>"$out/old.stderr"
rc=$?
sed 's/^/# old: /' "$out/old.stdout" | tail -n 8
commit=$(sed -n 's/^  "commit": "\(.*\)",$/\1/p' "$old")
[ $rc -eq 0 ] && [ -n "$commit" ] &&
    grep -qF "<th>commit</th><td>$commit</td>" "$out/old/report.html" &&
    grep -q '^fastboot: results verified byte for byte' "$out/old.stdout"
ok $? "bench_report renders an old run's results.json (exit $rc)"

printf '{ "format": "something else" }\n' >"$out/bad.json"
"$report" -q "$out/bad.json" -o "$out/bad" 2>"$out/bad.stderr"
rc=$?
sed 's/^/# bad: /' "$out/bad.stderr"
[ $rc -eq 1 ] && grep -q "$out/bad.json: not a benchmark run" "$out/bad.stderr"
ok $? "bench_report refuses a file that is not a run, naming it (exit $rc)"

printf 'no json\n' >"$out/junk.json"
"$report" -q "$out/junk.json" 2>"$out/junk.stderr"
rc=$?
[ $rc -eq 1 ] && grep -q "$out/junk.json" "$out/junk.stderr"
ok $? "bench_report refuses a file that is not JSON, naming it (exit $rc)"

# 2b. fastboot's bootstrap phases and a job's memory are in results.json;
# bench_report shows a run beside another, and draws a sweep over runs.
if [ -n "$nompi" ] || [ ! -s "$out/r/results.json" ]; then
	skip 4
else
missing=
for m in getid id connect nodemap sent join_ack mmap ready barrier; do
	grep -q "\"metric\": \"bootstrap:$m\"" "$out/r/results.json" ||
	    missing="$missing bootstrap:$m"
done
for m in memory:table-rss-kib memory:daemon-rss-delta-kib handoff \
    handoff-idle; do
	grep -q "\"metric\": \"$m\"" "$out/r/results.json" ||
	    missing="$missing $m"
done
[ -z "$missing" ] && grep -q "Where fastboot's bootstrap goes" \
    "$out/r/report.html" && grep -q "A round trip between two processes" \
    "$out/r/report.html"
ok $? "results.json has fastboot's bootstrap phases, a job's memory and the machine's hand-offs, the report its phase table and the hand-off${missing:+; missing:$missing}"
# The daemons' TCP connects around the warm-up, the first job and the
# later ones: recorded, whole numbers, and none here (one node, a private
# daemon that does not listen on TCP); the first job recorded.
counts=
for m in connects-warmup connects-first connects-later up-after-first; do
	counts="$counts $(tr -d ' \n' <"$out/r/results.json" | sed -n \
	    "s/.*\"system\":\"fastboot\",\"metric\":\"links:$m\",[^]]*\"samples_us\":\[\([0-9.]*\)\].*/\1/p")"
done
echo "# link counts (warm-up, first, later, up after first):$counts"
echo "$counts" | awk '{ for (i = 1; i <= NF; i++) if ($i != 0) exit 1;
    exit NF != 4 }' &&
    grep -q '"metric": "bootstrap-first-from-id"' "$out/r/results.json" &&
    grep -q 'untimed jobs of each node.s ranks alone' "$out/r/results.json"
ok $? "fastboot's link counts recorded (none on one node), its first job after the one-node warm-up jobs, said in a note"
"$report" -q --beside "$out/r/results.json" "$out/r/results.json" \
    -o "$out/beside" 2>"$out/beside.stderr"
rc=$?
[ $rc -eq 0 ] && grep -q "punish spinning peers" "$out/beside/report.html"
ok $? "bench_report --beside puts a second run's table beside (exit $rc)"
"$report" --sweep -o "$out/sweep" "$out/r/results.json" \
    >"$out/sweep.stdout" 2>"$out/sweep.stderr"
rc=$?
sed 's/^/# sweep: /' "$out/sweep.stdout" | tail -n 3
[ $rc -eq 0 ] && [ -s "$out/sweep/sweep.dat" ] &&
    grep -q "<td><a href=\"ranks-$ranks/report.html\">$ranks</a>" \
    "$out/sweep/sweep.html" && { ! command -v gnuplot >/dev/null ||
    grep -q '<svg' "$out/sweep/sweep.html"; }
ok $? "bench_report --sweep tabulates the runs by rank count, its chart\
 inline when gnuplot exists (exit $rc)"
fi

# 3. A system that fails is reported as failed, the others still run.
if [ -n "$nompi" ]; then
	skip 8
	exit 0
fi
timeout -k 10 "$limit" mpirun -n "$ranks" "$bench" --no-start-daemon \
    --socket "$out/nobody.sock" --systems fastboot,MPI --no-sweep \
    --out "$out/f" --budget 0.02 --min-ops 3 --max-ops 10 3 \
    >"$out/fail.stdout" 2>"$out/fail.stderr"
rc=$?
show "$out/fail"
[ $rc -eq 1 ]; ok $? "a failed system makes the exit status 1 (exit $rc)"
grep -q "^fastboot: FAILED: .*$out/nobody.sock" "$out/fail.stdout" &&
    ! grep -q '^fastboot: results verified' "$out/fail.stdout"
ok $? "fastboot reported as FAILED, naming the socket, not as mismatches"
grep -A 2 '"name": "fastboot"' "$out/f/results.json" |
    grep -q '"status": "failed"'
ok $? "results.json records fastboot as failed"
grep -Eq '^MPI: results verified byte for byte: [1-9]' "$out/fail.stdout"
ok $? "the other systems still ran"
grep -q 'socket ()' "$out/fail.stdout" "$out/fail.stderr"
[ $? -ne 0 ]; ok $? "no error names an empty socket path"

# 4. A fastbootd already listening is used, named, and left running.
sock=$out/listening.sock
"$daemon" -s "$sock" 2>"$out/daemon.log" &
dpid=$!
# Wait until it accepts a connection (bounded), not for the socket file.
i=0
until "$ctl" -s "$sock" -t 1000 status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$dpid" 2>/dev/null; then
		sed 's/^/# daemon: /' "$out/daemon.log"
		break
	fi
	sleep 0.1
done
timeout -k 10 "$limit" mpirun -n "$ranks" "$bench" --socket "$sock" \
    --systems fastboot --no-sweep --out "$out/u" --budget 0.02 \
    --min-ops 3 --max-ops 10 3 >"$out/use.stdout" 2>"$out/use.stderr"
rc=$?
show "$out/use"
[ "$(head -n 1 "$out/use.stdout")" = \
    "bootstrap_benchmark: using the fastbootd listening on $sock (pid $dpid)" ]
ok $? "first line: the fastbootd listening on the socket, with its pid"
[ $rc -eq 0 ] && grep -Eq '^fastboot: results verified byte for byte: [1-9]' \
    "$out/use.stdout"
ok $? "the run used it (exit $rc)"
kill -0 "$dpid" 2>/dev/null
ok $? "the benchmark left the daemon it did not start running"
kill "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
dpid=
exit 0
