#!/bin/sh
# hang_test.sh - a starved daemon is not a dead node (TAP), 3 simulated
# nodes x 4 ranks, --peer-timeout 1000 and --peer-hang-timeout 5000:
#  - node 3's daemon is stopped (SIGSTOP) for 2.5 s, longer than
#    --peer-timeout, while the job's calls need it, then continued: its
#    kernel kept acknowledging the other daemons' PINGs, so they waited
#    (their peer_starved counters say they saw the silence) and the job
#    completes, every result checked byte for byte.  This is what a node
#    starved of CPU looks like to the others.
#  - node 3's daemon is stopped beyond --peer-hang-timeout while every rank
#    loops over allgathers: ranks 0-7 get FB_E_PEER_LOST naming node 3 and
#    its ranks 8-11, with the "answers TCP but sent nothing ... hung or
#    starved" detail; once continued, node 3's ranks get FB_E_PEER_LOST.
# How long detection took is printed, not asserted.  Skips without root or
# ip netns.  Only the daemon this test started is ever signalled.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..8"
if ! mn_nodes 3 --peer-timeout 1000 --peer-hang-timeout 5000; then
	echo "Bail out! could not make 3 simulated nodes"
	exit 1
fi
ns3=$(mn_ns 3)
a3=$(mn_addr 3)

# start_job TAG MODE ARGS...: ranks 0-11 on nodes 1-3.
start_job() {
	_tag=$1
	shift
	mn_make_ids 1 "$MN_DIR/id$_tag"
	pids=
	for i in 1 2 3; do
		mn_bg $i "$MN_DIR/$_tag.$i" "$MN_BIN/mn_rank" \
		    --id "$MN_DIR/id$_tag" --nranks 12 \
		    --ranks $(((i - 1) * 4))-$((i * 4 - 1)) --nnodes 3 "$@"
		pids="$pids $MN_LAST"
	done
}
starved() {
	echo $(($(mn_status 1 peer_starved) + $(mn_status 2 peer_starved)))
}

# 1. Stopped for longer than --peer-timeout, shorter than the hang bound.
start_job stall --mode calls --gate --timeout 60000
mn_wait_lines "$MN_DIR"/stall.1 "$MN_DIR"/stall.2 "$MN_DIR"/stall.3 -- \
    ' joined ' 12 30000
mn_ok $? "12 ranks joined across 3 nodes, held at the gate"
s0=$(starved)
mn_freeze 3
for p in $pids; do
	kill -USR1 "$p" 2>/dev/null
done
# The stall itself: node 3's daemon gets no CPU for 2.5 x --peer-timeout.
sleep 2.5
mn_thaw 3
mn_wait_all $pids; bad=$?
[ $bad -eq 0 ]
mn_ok $? "the job completed across the 2.5 s stall ($bad drivers failed)"
mn_check_job 3 4 stall
mn_ok $? "every rank ok, every result right byte for byte"
s1=$(starved)
echo "# peer_starved on nodes 1-2: $s0 before, $s1 after"
[ "$s1" -gt "$s0" ]
mn_ok $? "nodes 1-2 saw node 3 silent and its kernel alive (peer_starved)"

# 2. Stopped beyond --peer-hang-timeout.
start_job hang --mode allgather --timeout 30000 --run-ms 40000
mn_wait_lines "$MN_DIR"/hang.1 "$MN_DIR"/hang.2 "$MN_DIR"/hang.3 -- \
    ' joined ' 12 30000
mn_ok $? "12 ranks joined again, looping over allgathers"
t0=$(mn_now_ms)
mn_freeze 3
mn_wait_lines "$MN_DIR"/hang.1 "$MN_DIR"/hang.2 -- ' fail ' 8 20000
rc=$?
mn_thaw 3
mn_wait_all $pids; bad=$?
[ $rc -eq 0 ] && [ $bad -eq 0 ]
mn_ok $? "every rank's driver finished with its error line"
awk -v ns="$ns3" -v a="$a3" '
    $3 == "fail" && $7 == "FB_E_PEER_LOST" &&
    (index($0, ns) || index($0, a)) && index($0, "8-11") &&
    index($0, "answers TCP but sent nothing") &&
    index($0, "hung or starved") { n++; next }
    { print "# " $0 }
    END { exit n != 8 }' "$MN_DIR/hang.1" "$MN_DIR/hang.2"
mn_ok $? "ranks 0-7: FB_E_PEER_LOST naming $ns3 ($a3), ranks 8-11, hung or starved"
awk -v t0="$t0" '$3 == "fail" { d = $9 - t0; if (d > m) m = d; n++ }
    END { printf "# %d ranks saw it; the last %d ms after SIGSTOP " \
	"(--peer-hang-timeout 5000)\n", n, m }' "$MN_DIR/hang.1" \
    "$MN_DIR/hang.2"
[ "$(grep -c 'fail fb_allgather rc -4 FB_E_PEER_LOST' "$MN_DIR/hang.3")" -eq 4 ]
mn_ok $? "node 3's ranks, once it runs again: FB_E_PEER_LOST"
mn_show "$MN_DIR/hang.1" "$MN_DIR/hang.3"
mn_finish
