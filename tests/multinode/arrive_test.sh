#!/bin/sh
# arrive_test.sh - how a node's ranks arrive at collectives across nodes
# (TAP), 2 simulated nodes x 3 ranks, every call checked byte for byte
# (mn_rank --mode calls).  The daemons count, per node, the collectives
# its ranks arrived at through the table with one ARRIVE for the node
# (coll_node_arrivals) and those where each rank sent its own
# (coll_rank_arrivals); each case reads them before and after its job:
#  - by default every collective of both nodes goes through the table;
#  - node 1's ranks with FASTBOOT_COLLECTIVES=daemon (as ranks of an older
#    library): node 1 counts only per-rank arrivals, node 2 only the
#    table's, and the results still match;
#  - one rank of node 1 with FASTBOOT_COLLECTIVES=daemon, the others not:
#    the whole node falls back to per-rank arrivals, node 2 does not;
#  - rank 1 calls a barrier where every other rank allgathers: all 6 get
#    FB_E_MISMATCH, with the table on both nodes and with per-rank
#    arrivals on node 1.
# Skips without root or ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..13"
if ! mn_nodes 2 --peer-timeout 10000; then
	echo "Bail out! could not make 2 simulated nodes"
	exit 1
fi
# counts: both nodes' coll_node_arrivals and coll_rank_arrivals, as
# "n1node n1rank n2node n2rank".
counts() {
	_a=$(mn_status 1 coll_node_arrivals)
	_b=$(mn_status 1 coll_rank_arrivals)
	_c=$(mn_status 2 coll_node_arrivals)
	_d=$(mn_status 2 coll_rank_arrivals)
	echo "$_a $_b $_c $_d"
}
# run TAG MODE [ENV-FOR-NODE-1] [MN_RANK ARGS...]: a 2 x 3 job; node 1's
# driver gets the environment word (or "-").
run() {
	_t=$1
	_m=$2
	_e=$3
	shift 3
	mn_make_ids 1 "$MN_DIR/id$_t"
	if [ "$_e" = - ]; then
		mn_bg 1 "$MN_DIR/$_t.1" "$MN_BIN/mn_rank" --id "$MN_DIR/id$_t" \
		    --nranks 6 --ranks 0-2 --nnodes 2 --mode "$_m" \
		    --timeout 30000 "$@"
	else
		mn_bg 1 "$MN_DIR/$_t.1" env "$_e" "$MN_BIN/mn_rank" \
		    --id "$MN_DIR/id$_t" --nranks 6 --ranks 0-2 --nnodes 2 \
		    --mode "$_m" --timeout 30000 "$@"
	fi
	_p1=$MN_LAST
	mn_bg 2 "$MN_DIR/$_t.2" "$MN_BIN/mn_rank" --id "$MN_DIR/id$_t" \
	    --nranks 6 --ranks 3-5 --nnodes 2 --mode "$_m" --timeout 30000 \
	    "$@"
	mn_wait_all $_p1 $MN_LAST
}
# grew BEFORE AFTER MASK: for each of the 4 counters, 1 in MASK: it grew,
# 0: it did not move.
grew() {
	echo "$1 $2 $3" | awk '{
	    for (i = 1; i <= 4; i++) {
		d = $(i + 4) - $i
		w = substr($9, i, 1)
		if ($i == "" || (w == 1 && d <= 0) || (w == 0 && d != 0))
			bad = 1
	    }
	    exit bad }'
}

# calls TAG WHAT MASK WHICH ENV [ARGS...]: a job of every call (3 checks:
# it ran, its ranks, which path each node took: grew's MASK, said WHICH).
calls() {
	_ct=$1
	_cw=$2
	_cm=$3
	_cs=$4
	shift 4
	_c0=$(counts)
	run "$_ct" calls "$@"
	[ $? -eq 0 ]; mn_ok $? "$_cw: every call on 2 nodes x 3 ranks matched"
	mn_check_job 2 3 "$_ct"
	mn_ok $? "$_cw: every rank ok once, node indices consistent"
	_c1=$(counts)
	echo "# node, rank arrivals on nodes 1 and 2: $_c0 -> $_c1"
	grew "$_c0" "$_c1" "$_cm"
	mn_ok $? "$_cw: $_cs"
}
calls table default 1010 "both nodes' ranks arrived through the table, \
never one by one" -
calls frames "node 1 with FASTBOOT_COLLECTIVES=daemon" 0110 "node 1's \
ranks arrived one by one, node 2's through the table" \
    FASTBOOT_COLLECTIVES=daemon
calls mixed "rank 1 alone with FASTBOOT_COLLECTIVES=daemon" 0110 "its \
whole node arrived one by one, node 2 through the table" - --frames-rank 1

# mismatched TAG: all 6 ranks' lines say FB_E_MISMATCH, and rank 1's
# call was the barrier.
mismatched() {
	cat "$MN_DIR/$1".[12] | awk '
	    $3 == "fail" && $7 == "FB_E_MISMATCH" { n++ }
	    $2 == 1 && $3 == "fail" && $4 == "fb_barrier" { b++ }
	    $3 != "fail" || $7 != "FB_E_MISMATCH" { print "# " $0 }
	    END { exit !(n == 6 && b == 1) }'
}
run mis mismatch -
[ $? -eq 0 ]; mn_ok $? "a barrier against allgathers: every driver exited 0"
mismatched mis
mn_ok $? "through the table: all 6 ranks got FB_E_MISMATCH"
run misframes mismatch FASTBOOT_COLLECTIVES=daemon
[ $? -eq 0 ]; mn_ok $? "the same with node 1 one by one: every driver exited 0"
mismatched misframes
mn_ok $? "one by one on node 1: all 6 ranks got FB_E_MISMATCH"
mn_show "$MN_DIR/mis.1"
mn_finish
