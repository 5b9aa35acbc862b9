#!/bin/sh
# reuse_test.sh - 100 jobs in a row over the same 4 simulated nodes x 2
# ranks reuse the daemons' warm TCP links (TAP).  A first job opens the
# links; 100 more (init, barrier, allgather checked, destroy, each with a
# fresh id) open none: the daemons' peer_connects counters do not move,
# and in all they count at most one connection per node pair that talked
# (each end counts it once, as each end counts an up link: connects <= the
# links up); links open on first use, and of 4 nodes every pair is a pair of
# barrier partners, so at most 6 pairs.  First and later init times are
# printed, not asserted.
# Skips without root or ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..6"
if ! mn_nodes 4 --peer-timeout 10000; then
	echo "Bail out! could not make 4 simulated nodes"
	exit 1
fi
# sum KEY: KEY of fastbootctl status summed over the 4 nodes (-1: missing)
sum() {
	s=0
	for i in 1 2 3 4; do
		v=$(mn_status $i "$1")
		[ -n "$v" ] || { echo "-1"; return; }
		s=$((s + v))
	done
	echo $s
}
mn_make_ids 1 "$MN_DIR/id0" 1
mn_job 4 2 "$MN_DIR/id0" first --mode jobs --count 1
[ $? -eq 0 ]; mn_ok $? "the first job ran on 4 nodes"
c1=$(sum peer_connects)
echo "# peer_connects after the first job: $c1"
mn_make_ids 1 "$MN_DIR/ids" 100
mn_job 4 2 "$MN_DIR/ids" many --mode jobs --count 100 --timeout 30000
[ $? -eq 0 ]; mn_ok $? "100 jobs in a row: every driver exited 0"
mn_check_job 4 2 many
mn_ok $? "every rank ok in all 100 jobs, node indices consistent"
awk '$3 == "ok" { f += $11; l += $17; n++ }
    END { if (n) printf "# init_ms: first job %.3f, later jobs %.3f (mean of %d ranks)\n",
	f / n, l / n, n }' "$MN_DIR"/many.*
c2=$(sum peer_connects)
links=$(sum peer_links)
echo "# peer_connects after 100 more jobs: $c2"
[ "$c1" -ge 0 ] && [ "$c2" -eq "$c1" ]
mn_ok $? "100 more jobs opened no connection ($c1 -> $c2)"
# Each connection and each link counted by both ends.
[ "$c2" -ge 0 ] && [ "$c2" -le "$links" ]
mn_ok $? "at most one connection per pair that talked ($c2 counted, $links link ends up)"
[ "$c2" -ge 0 ] && [ "$c2" -le 12 ]
mn_ok $? "4 nodes: at most one connection per node pair in all ($c2 counted, 12 at most)"
mn_finish
