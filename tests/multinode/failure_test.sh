#!/bin/sh
# failure_test.sh - a node lost in the middle of a job (TAP), 3 simulated
# nodes x 4 ranks:
#  - node 3's daemon is killed (SIGKILL) while ranks 0-7 wait in a barrier
#    for node 3's ranks: each of ranks 0-7 gets FB_E_PEER_LOST and the
#    detail names node 3 (its name or address) and its ranks 8-11; node 3's
#    own ranks get FB_E_DAEMON_LOST;
#  - node 3's link is set down (silent: no FIN, no RST) while every rank
#    loops over allgathers: ranks 0-7 get FB_E_PEER_LOST naming node 3
#    within the peer timeout, not FB_E_TIMEOUT (the calls' own deadline is
#    30 s, the daemons' --peer-timeout 2 s); node 3's ranks also get
#    FB_E_PEER_LOST.  Its kernel acknowledges nothing, so this is not
#    taken for a starved daemon (--peer-hang-timeout, hang_test.sh);
#  - a rank leaves cleanly (fb_comm_destroy) 300 ms after its 50th
#    barrier, while the others wait in the 51st: with its node's other
#    ranks still in the job (rank 9 of the 12), and as the only rank of its
#    node (rank 2 of a 3-rank job, a rank per node, whose node's job ends
#    with it): every other rank gets FB_E_PEER_LOST naming the rank that
#    left, not FB_E_TIMEOUT after the calls' 30 s (a daemon of before the
#    fix waited that long when the rank's node had no job left to see the
#    51st barrier's steps);
#  - the same while the other nodes' ranks wait in the table for a sibling
#    that is 5 s late (ranks 0-1, 2-3 and 4 on nodes 1-3; rank 4 leaves,
#    ranks 1 and 3 are late): rank 0 fails at once, before rank 1 comes
#    (its line is written first), not when rank 1's arrival completes its
#    node's part.
# How long detection took is printed, not asserted.  Skips without root or
# ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..15"
if ! mn_nodes 3 --peer-timeout 2000; then
	echo "Bail out! could not make 3 simulated nodes"
	exit 1
fi
ns3=$(mn_ns 3)
a3=$(mn_addr 3)

# start_job TAG MODE12 MODE3
start_job() {
	mn_make_ids 1 "$MN_DIR/id$1"
	pids=
	for i in 1 2 3; do
		mode=$2
		[ $i -eq 3 ] && mode=$3
		mn_bg $i "$MN_DIR/$1.$i" "$MN_BIN/mn_rank" --id "$MN_DIR/id$1" \
		    --nranks 12 --ranks $(((i - 1) * 4))-$((i * 4 - 1)) \
		    --nnodes 3 --mode "$mode" --timeout 30000 --run-ms 40000
		pids="$pids $MN_LAST"
	done
}
# lost_named TAG: ranks 0-7 each failed with FB_E_PEER_LOST naming node 3
# and ranks 8-11.
lost_named() {
	awk -v ns="$ns3" -v a="$a3" '
	    $3 == "fail" && $7 == "FB_E_PEER_LOST" &&
	    (index($0, ns) || index($0, a)) && index($0, "8-11") { n++; next }
	    { print "# " $0 }
	    END { exit n != 8 }' "$MN_DIR/$1.1" "$MN_DIR/$1.2"
}
# latency TAG T0: when the errors came, after T0 (ms since the epoch).
latency() {
	awk -v t0="$2" '$3 == "fail" { d = $9 - t0; if (d > m) m = d; n++ }
	    END { printf "# %d ranks saw it; the last %d ms after the fault\n",
		n, m }' "$MN_DIR/$1.1" "$MN_DIR/$1.2"
}

# 1. A daemon killed mid-barrier.
start_job kill barrier hold
mn_wait_lines "$MN_DIR"/kill.1 "$MN_DIR"/kill.2 "$MN_DIR"/kill.3 -- \
    ' joined ' 12 30000
mn_ok $? "12 ranks joined across 3 nodes"
t0=$(mn_now_ms)
mn_kill 3
mn_wait_all $pids
[ $? -eq 0 ]; mn_ok $? "every rank's driver finished with its error line"
lost_named kill
mn_ok $? "ranks 0-7: FB_E_PEER_LOST naming $ns3 ($a3) and ranks 8-11"
latency kill "$t0"
[ "$(grep -c 'fail fb_recv rc -5 FB_E_DAEMON_LOST' "$MN_DIR/kill.3")" -eq 4 ]
mn_ok $? "node 3's ranks: FB_E_DAEMON_LOST"
mn_show "$MN_DIR/kill.3"

# 2. A link gone silent mid-allgather.  Node 3 gets a new daemon.
if ! mn_daemon 3 --peer-timeout 2000; then
	echo "Bail out! node 3's daemon did not restart"
	exit 1
fi
start_job down allgather allgather
mn_wait_lines "$MN_DIR"/down.1 "$MN_DIR"/down.2 "$MN_DIR"/down.3 -- \
    ' joined ' 12 30000
mn_ok $? "12 ranks joined again, looping over allgathers"
t0=$(mn_now_ms)
mn_link_down 3
mn_wait_all $pids
[ $? -eq 0 ]; mn_ok $? "every rank's driver finished with its error line"
lost_named down
mn_ok $? "ranks 0-7: FB_E_PEER_LOST naming $ns3 ($a3) and ranks 8-11, not a timeout"
latency down "$t0"
! grep -q 'hung or starved' "$MN_DIR/down.1" "$MN_DIR/down.2"
mn_ok $? "a dead link is not taken for a starved daemon (no hang wait)"
[ "$(grep -c 'fail fb_allgather rc -4 FB_E_PEER_LOST' "$MN_DIR/down.3")" -eq 4 ]
mn_ok $? "node 3's ranks: FB_E_PEER_LOST (the others are gone for them)"
mn_show "$MN_DIR/down.3"

# 3. A rank leaves cleanly while the others go on.  Node 3's link comes up
# again, with a new daemon.
mn_link_up 3
mn_kill 3
if ! mn_daemon 3 --peer-timeout 2000; then
	echo "Bail out! node 3's daemon did not restart"
	exit 1
fi
# left_job TAG NRANKS RPN LEAVER: a barrier loop on nodes 1-3, RPN ranks
# each; LEAVER leaves 300 ms after its 50th round.
left_job() {
	_lt=$1
	_ln=$2
	_lr=$3
	_ll=$4
	shift 4
	mn_make_ids 1 "$MN_DIR/id$_lt"
	pids=
	for i in 1 2 3; do
		mn_bg $i "$MN_DIR/$_lt.$i" "$MN_BIN/mn_rank" \
		    --id "$MN_DIR/id$_lt" --nranks "$_ln" \
		    --ranks $(((i - 1) * _lr))-$((i * _lr - 1)) --nnodes 3 \
		    --mode barrier --leave "$_ll:50:300" --timeout 30000 \
		    --run-ms 40000 "$@"
		pids="$pids $MN_LAST"
	done
	mn_wait_all $pids
}
# left_named TAG NRANKS LEAVER: LEAVER left after 50 rounds; every other
# rank failed in fb_barrier with FB_E_PEER_LOST naming "rank LEAVER".
left_named() {
	cat "$MN_DIR/$1".[123] | awk -v r="$3" -v n="$2" '
	    $1 == "rank" && $2 == r && $3 == "left" { l++; next }
	    $3 == "joined" || $3 == "late" { next }
	    $3 == "fail" && $4 == "fb_barrier" && $7 == "FB_E_PEER_LOST" {
		d = substr($0, index($0, " detail "))
		if (index(d, "rank " r ",") || index(d, "rank " r " ")) {
			f++
			next
		}
	    }
	    { print "# " $0 }
	    END { exit !(l == 1 && f == n - 1) }'
}
left_job leave9 12 4 9
[ $? -eq 0 ]; mn_ok $? "rank 9 left: every rank's driver finished with its line"
left_named leave9 12 9
mn_ok $? "the 11 others: FB_E_PEER_LOST naming rank 9, not a timeout"
left_job leave2 3 1 2
[ $? -eq 0 ]; mn_ok $? "rank 2, alone on its node, left: every driver finished"
left_named leave2 3 2
mn_ok $? "ranks 0 and 1: FB_E_PEER_LOST naming rank 2, not a timeout"
mn_make_ids 1 "$MN_DIR/idlag"
pids=
for i in 1 2 3; do
	set -- 0-1 1 2-3 3 4 -1
	[ $i -eq 2 ] && shift 2
	[ $i -eq 3 ] && shift 4
	mn_bg $i "$MN_DIR/lag.$i" "$MN_BIN/mn_rank" --id "$MN_DIR/idlag" \
	    --nranks 5 --ranks "$1" --nnodes 3 --mode barrier \
	    --leave 4:50:300 --lag "$2:50:5000" --timeout 30000 --run-ms 40000
	pids="$pids $MN_LAST"
done
mn_wait_all $pids
[ $? -eq 0 ]; mn_ok $? "rank 4, alone on its node, left while ranks 1 and 3 were 5 s late: every driver finished"
left_named lag 5 4 &&
    awk '$1 == "rank" && $2 == 0 && $3 == "fail" { if (!late) f = 1 }
	$1 == "rank" && $2 == 1 && $3 == "late" { late = 1 }
	END { exit !f }' "$MN_DIR/lag.1"
mn_ok $? "all failed naming rank 4; rank 0, waiting in the table, before rank 1 came"
mn_show "$MN_DIR/leave2.1" "$MN_DIR/lag.1"
mn_finish
