#!/bin/sh
# bench_nodes_test.sh - the benchmark's multi-node mode, short (TAP):
# scripts/run-benchmark.sh --nodes "1 2" runs bootstrap_benchmark over 1
# and 2 simulated nodes (2 ranks), each run's results.json says how many
# nodes it had and that fastboot ran (its job spanned them: the benchmark
# checks fb_comm_node) with its results verified; bench_report --nodes drew
# nodes.html with the chart inline and a row per run.  No timing asserted.
# Skips without root, ip netns, mpirun or the benchmark.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
command -v mpirun >/dev/null 2>&1 || mn_skip "mpirun not found"
[ -x "${top_builddir:-.}/bench/bootstrap_benchmark" ] ||
    mn_skip "bootstrap_benchmark not built (no MPI or json-c)"
mn_init
out=$MN_DIR/bench
echo "1..6"
timeout -k 10 600 sh "$top_srcdir/scripts/run-benchmark.sh" --nodes "1 2" \
    -n 2 -B "$top_builddir" -o "$out" -- --budget 0.05 --min-ops 3 \
    --max-ops 20 --no-sweep -s fastboot 3 >"$MN_DIR/log" 2>&1
rc=$?
grep -v '^\[' "$MN_DIR/log" | tail -n 15 | sed 's/^/# /'
[ $rc -eq 0 ]; mn_ok $? "run-benchmark.sh --nodes \"1 2\" completed (exit $rc)"
for m in 1 2; do
	f=$out/nodes-$m/results.json
	grep -q "\"nodes\": *$m[,}]" "$f" 2>/dev/null
	mn_ok $? "nodes-$m/results.json records $m node(s)"
done
# The fastboot entry of "systems" (json-c's pretty layout, one member a
# line): ran, results checked, none mismatched.
tr -d ' \n' <"$out/nodes-2/results.json" 2>/dev/null | grep -q \
    '"name":"fastboot","status":"ran","why":null,"checked":[1-9][0-9]*,"checked_bytes":[1-9][0-9]*,"mismatches":0}'

mn_ok $? "over 2 nodes fastboot ran (its job spanned 2 nodes) and matched"
[ "$(grep -c '<tr><td>' "$out/nodes.html" 2>/dev/null)" -eq 2 ]
mn_ok $? "nodes.html has a row per run"
if [ -n "${GNUPLOT:-$(command -v gnuplot)}" ]; then
	grep -q '<svg' "$out/nodes.html"
	mn_ok $? "nodes.html has the chart inline"
else
	mn_skip_test "gnuplot not found"
fi
mn_finish
