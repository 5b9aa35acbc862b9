#!/bin/sh
# bench_nodes_test.sh - the benchmark's multi-node mode, short (TAP):
# scripts/run-benchmark.sh --nodes "1 2x1" runs bootstrap_benchmark over 1
# simulated node (the 2 ranks of -n spread over it) and over 2 nodes of 1
# rank (a shape MxK), each run's results.json says how many nodes it had
# and that fastboot ran (its job spanned them: the benchmark checks
# fb_comm_node) with its results verified and its bootstrap "from id in
# hand" (init + first barrier without the launcher's MPI_Bcast of the id)
# recorded, never more than the total; the daemons' TCP connects are
# counted: none for the one-node warm-up jobs, none at all on one node, at
# least the one link (both ends) for the first job over 2 nodes;
# bench_report --nodes drew nodes.html with the chart inline, a row per run,
# both bootstrap figures said apart, warm reuse and the connects per shape,
# and measures the targets file's cross-run targets and per-shape ones (a
# file of its own here, with bounds nothing can miss, and malformed ones it
# refuses); a shape that is not one is refused before anything starts.
# Then the net floor (no daemon: shared memory within a node, TCP between
# nodes) over 2 nodes x 2 ranks: it ran, its allgathers matched byte for
# byte, and nodes.html shows its barrier beside fastboot's.  No timing
# asserted.
# Skips without root, ip netns, mpirun or the benchmark.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
command -v mpirun >/dev/null 2>&1 || mn_skip "mpirun not found"
[ -x "${top_builddir:-.}/bench/bootstrap_benchmark" ] ||
    mn_skip "bootstrap_benchmark not built (no MPI or json-c)"
mn_init
out=$MN_DIR/bench
echo "1..16"
timeout -k 10 600 sh "$top_srcdir/scripts/run-benchmark.sh" --nodes "1 2x1" \
    -n 2 -B "$top_builddir" -o "$out" -- --budget 0.05 --min-ops 3 \
    --max-ops 20 --no-sweep -s fastboot 3 >"$MN_DIR/log" 2>&1
rc=$?
grep -v '^\[' "$MN_DIR/log" | tail -n 15 | sed 's/^/# /'
[ $rc -eq 0 ]; mn_ok $? "run-benchmark.sh --nodes \"1 2x1\" completed (exit $rc)"
for m in 1 2; do
	f=$out/nodes-${m}x$((2 / m))/results.json
	grep -q "\"nodes\": *$m[,}]" "$f" 2>/dev/null
	mn_ok $? "nodes-${m}x$((2 / m))/results.json records $m node(s)"
done
# The fastboot entry of "systems" (json-c's pretty layout, one member a
# line): ran, results checked, none mismatched.
tr -d ' \n' <"$out/nodes-2x1/results.json" 2>/dev/null | grep -q \
    '"name":"fastboot","status":"ran","why":null,"checked":[1-9][0-9]*,"checked_bytes":[1-9][0-9]*,"mismatches":0}'

mn_ok $? "over 2 nodes fastboot ran (its job spanned 2 nodes) and matched"
[ "$(grep -c '<tr><td><a ' "$out/nodes.html" 2>/dev/null)" -eq 2 ]
mn_ok $? "nodes.html has a row per run"
# median SYSTEM METRIC FILE: a series' median from results.json.
median() {
	tr -d ' \n' <"$3" 2>/dev/null | sed -n "s/.*\"system\":\"$1\",\"metric\":\"$2\",[^}]*\"median_us\":\([0-9.]*\).*/\1/p"
}
f=$out/nodes-2x1/results.json
id=$(median fastboot bootstrap-from-id "$f")
all=$(median fastboot bootstrap "$f")
cold=$(median fastboot bootstrap-first-from-id "$f")
echo "# 2 nodes: bootstrap from id in hand ${id:-?} us, total ${all:-?} us, first (cold links) from id ${cold:-?} us"
awk -v a="${id:-0}" -v b="${all:-0}" -v c="${cold:-0}" \
    'BEGIN { exit !(a > 0 && a <= b && c > 0) }'
mn_ok $? "over 2 nodes: fastboot bootstrap from id in hand recorded (warm and cold), at most the total"
# count SHAPE WHAT: a links:* count of that run (one sample).
count() {
	tr -d ' \n' <"$out/nodes-$1/results.json" 2>/dev/null | sed -n "s/.*\"system\":\"fastboot\",\"metric\":\"links:$2\",[^]]*\"samples_us\":\[\([0-9.]*\)\].*/\1/p"
}
c1="$(count 1x2 connects-warmup) $(count 1x2 connects-first) $(count 1x2 connects-later)"
c2="$(count 2x1 connects-warmup) $(count 2x1 connects-first) $(count 2x1 connects-later)"
echo "# TCP connects (warm-up, first job, later jobs): 1x2: $c1; 2x1: $c2"
echo "$c1 $c2" | awk 'NF == 6 && $1 == 0 && $2 == 0 && $3 == 0 && $4 == 0 &&
    $5 >= 2 && $6 >= 0 && $6 == int($6) { ok = 1 } END { exit !ok }'
mn_ok $? "TCP connects counted: none for the one-node warm-up jobs, none on one node, the first job over 2 nodes at least its link's two ends, later jobs a count"
grep -q '<th>fastboot bootstrap, id in hand (warm links)</th>' "$out/nodes.html" &&
    grep -q '<th>fastboot bootstrap total (with MPI_Bcast of the id)</th>' "$out/nodes.html" &&
    grep -q '<th>mscclpp bootstrap, id in hand</th>' "$out/nodes.html" &&
    grep -q '<th>PMIx_Init + first fence (no id to broadcast)</th>' "$out/nodes.html" &&
    grep -q 'without the launcher.s MPI_Bcast' "$MN_DIR/log"
mn_ok $? "nodes.html and the summary say which bootstrap is which, for fastboot, mscclpp and PMIx"
grep -q '<th>warm reuse: first / later, id in hand</th>' "$out/nodes.html" &&
    grep -q '<th>TCP connects, first job (both ends)</th>' "$out/nodes.html" &&
    grep -Eq '^ +1 nodes x 2 ranks: warm reuse [0-9.]+x \(first [0-9.]+, later [0-9.]+\); connects: first job 0, later jobs 0$' "$MN_DIR/log" &&
    grep -Eq '^ +2 nodes x 1 ranks: warm reuse [0-9.]+x .*; connects: first job [1-9][0-9]*, later jobs [0-9]+$' "$MN_DIR/log" &&
    grep -q 'href="nodes-2x1/report.html"' "$out/nodes.html"
mn_ok $? "nodes.html and the summary give warm reuse and the connects per shape, and link each run's report"
# Cross-run targets: 2 nodes against 1, bounds nothing measured can miss;
# one names runs that are not here.
cat >"$MN_DIR/targets.json" <<'T'
{ "targets": [], "nodes_targets": [
  { "what": "test: barrier 2x1 / 1x2",
    "value": { "system": "fastboot", "metric": "barrier", "nodes": 2, "ranks": 2 },
    "over": { "system": "fastboot", "metric": "barrier", "nodes": 1, "ranks": 2 },
    "at_most": 1e12 },
  { "what": "test: a run not here",
    "value": { "system": "fastboot", "metric": "barrier", "nodes": 16, "ranks": 16 },
    "over": { "system": "fastboot", "metric": "barrier", "nodes": 1, "ranks": 2 },
    "at_most": 3 },
  { "what": "test: per shape",
    "value": { "system": "fastboot", "metric": "bootstrap-first-from-id" },
    "over": { "system": "fastboot", "metric": "bootstrap-from-id" },
    "at_least": 0, "min_nodes": 2 } ] }
T
"$top_builddir/bench/bench_report" --nodes -t "$MN_DIR/targets.json" \
    -o "$MN_DIR/again" "$out/nodes-1x2/results.json" \
    "$out/nodes-2x1/results.json" >"$MN_DIR/again.out" 2>&1
rc=$?
sed 's/^/# /' "$MN_DIR/again.out" | grep target
[ $rc -eq 0 ] &&
    grep -Eq '^  target: test: barrier 2x1 / 1x2: [0-9.e+-]+ \(<= 1e\+12\): met$' \
    "$MN_DIR/again.out" &&
    grep -q '^  target: test: a run not here: not measured' "$MN_DIR/again.out" &&
    grep -q '<td>test: barrier 2x1 / 1x2</td><td>[0-9]' "$MN_DIR/again/nodes.html"
mn_ok $? "bench_report --nodes measures the cross-run targets (met, and not measured without their runs)"
grep -Eq '^  target: test: per shape, 2 nodes x 1 ranks: [0-9.e+-]+ \(>= 0\): met$' \
    "$MN_DIR/again.out" &&
    [ "$(grep -c 'target: test: per shape' "$MN_DIR/again.out")" -eq 1 ]
mn_ok $? "a per-shape target is measured for each run over min_nodes or more (2x1), not for the others (1x2)"
printf '{ "nodes_targets": [ { "what": "bad", "value": { "system": "fastboot" }, "at_most": 1 } ] }\n' \
    >"$MN_DIR/bad.json"
"$top_builddir/bench/bench_report" --nodes -t "$MN_DIR/bad.json" \
    -o "$MN_DIR/bad" "$out/nodes-2x1/results.json" >"$MN_DIR/bad.out" 2>&1
rc=$?
sed 's/^/# /' "$MN_DIR/bad.out"
[ $rc -eq 1 ] && grep -q "bad.json: nodes_targets\[0\]: needs" "$MN_DIR/bad.out"
mn_ok $? "a malformed cross-run target is refused, naming the file and the target (exit $rc)"
# Options in any order: --nodes after -n.
sh "$top_srcdir/scripts/run-benchmark.sh" -n 2 --nodes "2 4x" \
    -B "$top_builddir" -o "$MN_DIR/badshape" >"$MN_DIR/badshape.out" 2>&1
rc=$?
sed 's/^/# /' "$MN_DIR/badshape.out"
[ $rc -eq 2 ] && grep -q "'4x' is not a node count M or a shape MxK" \
    "$MN_DIR/badshape.out" && [ ! -e "$MN_DIR/badshape" ]
mn_ok $? "a shape that is not one (4x) is refused, named, before anything starts (exit $rc)"
# The net floor: a node's 2 ranks in shared memory, the 2 nodes over TCP.
nf=$MN_DIR/netfloor
timeout -k 10 300 sh "$top_srcdir/scripts/run-benchmark.sh" --nodes 2x2 \
    -n 4 -B "$top_builddir" -o "$nf" -- --budget 0.05 --min-ops 3 \
    --max-ops 20 --no-sweep -s net-floor 3 >"$MN_DIR/nf.log" 2>&1
rc=$?
grep -v '^\[' "$MN_DIR/nf.log" | tail -n 5 | sed 's/^/# /'
tr -d ' \n' <"$nf/nodes-2x2/results.json" 2>/dev/null | grep -q \
    '"name":"net-floor","status":"ran","why":null,"checked":[1-9][0-9]*,"checked_bytes":[1-9][0-9]*,"mismatches":0}'
mn_ok $? "the net floor ran over 2 nodes x 2 ranks, its allgathers matched byte for byte (exit $rc)"
grep -q '<th>net floor barrier (no daemon)</th>' "$nf/nodes.html" &&
    grep -Eq '^ +2 nodes x 2 ranks: .*; net floor bootstrap id in hand [0-9.]+, barrier [0-9.]+, allgather 64 B [0-9.]+;' "$MN_DIR/nf.log"
mn_ok $? "nodes.html and the summary show the net floor's bootstrap, barrier and allgather"
if [ -n "${GNUPLOT:-$(command -v gnuplot)}" ]; then
	grep -q '<svg' "$out/nodes.html"
	mn_ok $? "nodes.html has the chart inline"
else
	mn_skip_test "gnuplot not found"
fi
mn_finish
