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
# Then one id used for job after job over the same nodes (the id of a job
# that ended starts the next, as on one node): 30 jobs in a row, each
# allgather checked against its own job's numbers; then 5 where rank 0, on
# the id's root node, leaves each job 500 ms after the others, so that the
# next job's JOINs reach the root while the job before is still there (its
# fastbootctl counts them kept: peer_gen_kept); then 5 where rank 3, on
# another node, is the late one.
# Skips without root or ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..13"
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

# same ID COUNT TAG [mn_rank options]: the one id of file ID, COUNT times.
same() {
	_sid=$1
	_sn=$2
	_st=$3
	shift 3
	for _i in $(seq "$_sn"); do head -n 1 "$_sid"; done >"$MN_DIR/$_st.ids"
	mn_job 4 2 "$MN_DIR/$_st.ids" "$_st" --mode jobs --count "$_sn" \
	    --timeout 30000 "$@"
}
mn_make_ids 1 "$MN_DIR/one" 3
sed -n 1p "$MN_DIR/one" >"$MN_DIR/one.1"
sed -n 2p "$MN_DIR/one" >"$MN_DIR/one.2"
sed -n 3p "$MN_DIR/one" >"$MN_DIR/one.3"
same "$MN_DIR/one.1" 30 again
[ $? -eq 0 ]; mn_ok $? "one id, 30 jobs in a row on 4 nodes: every driver exited 0"
mn_check_job 4 2 again
mn_ok $? "one id, 30 jobs: every rank ok in all of them"
k1=$(mn_status 1 peer_gen_kept)
same "$MN_DIR/one.2" 5 lateroot --slow-leave 0:500
[ $? -eq 0 ]; mn_ok $? "one id, 5 jobs, rank 0 (root node) leaving each 500 ms late: every driver exited 0"
mn_check_job 4 2 lateroot
mn_ok $? "one id, rank 0 late: every rank ok in all 5 jobs"
k2=$(mn_status 1 peer_gen_kept)
echo "# peer_gen_kept on the root node: $k1 before, $k2 after"
[ -n "$k1" ] && [ -n "$k2" ] && [ "$k2" -gt "$k1" ]
mn_ok $? "the next jobs' JOINs waited at the root for the job before ($k1 -> $k2 kept)"
same "$MN_DIR/one.3" 5 latenode --slow-leave 3:500
[ $? -eq 0 ]; mn_ok $? "one id, 5 jobs, rank 3 (node 2) leaving each 500 ms late: every driver exited 0"
mn_check_job 4 2 latenode
mn_ok $? "one id, rank 3 late: every rank ok in all 5 jobs"
mn_finish
