#!/bin/sh
# tree_test.sh - the node map goes down a tree and links open on demand
# (TAP), 8 simulated nodes x 1 rank, the id made on node 1 (the root):
#  - a job runs (init, barrier, allgather checked, destroy); the root sent
#    ceil(log2 8) = 3 copies of the map and the daemons 7 in all (one per
#    node but the root: map_sent), each of the same size;
#  - the links after it: only the partners of the dissemination barrier
#    and Bruck's allgather (node +- 2^k: 20 pairs of 8 nodes) and the two
#    JOIN links to the root from nodes that are not its partners, 44 link
#    ends at most, where a link from every node to every other makes 56;
#  - a node that should forward the map goes silent (its link set down
#    after its rank's JOIN reached the root, before rank 0 joins): the
#    other nodes' ranks fail with FB_E_PEER_LOST naming it, its child in
#    the tree (node 4) among them, not FB_E_TIMEOUT.
# Skips without root or ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..7"
if ! mn_nodes 8 --peer-timeout 3000; then
	echo "Bail out! could not make 8 simulated nodes"
	exit 1
fi
sum() {
	_s=0
	for _i in 1 2 3 4 5 6 7 8; do
		_v=$(mn_status $_i "$1")
		[ -n "$_v" ] || { echo "-1"; return; }
		_s=$((_s + _v))
	done
	echo $_s
}

mn_make_ids 1 "$MN_DIR/id8"
mn_job 8 1 "$MN_DIR/id8" tree --mode jobs --count 1 --timeout 30000
rc=$?
mn_check_job 8 1 tree
[ $? -eq 0 ] && [ $rc -eq 0 ]
mn_ok $? "8 nodes x 1 rank: every rank ok, node indices consistent"
root=$(mn_status 1 map_sent)
all=$(sum map_sent)
echo "# map copies: root $root, all daemons $all"
[ "$root" = 3 ]; mn_ok $? "the root sent 3 copies of the map ($root)"
[ "$all" = 7 ]; mn_ok $? "7 copies in all, one per other node ($all)"
rb=$(mn_status 1 map_bytes_sent)
ab=$(sum map_bytes_sent)
echo "# map bytes: root $rb, all daemons $ab"
[ -n "$rb" ] && [ "$rb" -gt 0 ] && [ $((rb * 7)) -eq $((ab * 3)) ]
mn_ok $? "every copy the same size ($rb by the root, $ab in all)"
links=$(sum peer_links)
i=1
per=
while [ $i -le 8 ]; do
	per="$per $(mn_status $i peer_links)"
	i=$((i + 1))
done
echo "# peer links per node:$per (sum $links)"
[ "$links" -ge 16 ] && [ "$links" -le 44 ]
mn_ok $? "links: the collectives' partners and JOIN links only ($links ends, <= 44 of 56)"

# A forwarder goes silent: node 2 (node index 1) forwards to node 4.
mn_make_ids 1 "$MN_DIR/idf"
for i in 2 3 4; do
	mn_bg $i "$MN_DIR/fwd.$i" "$MN_BIN/mn_rank" --id "$MN_DIR/idf" \
	    --nranks 4 --ranks $((i - 1)) --nnodes 4 --mode barrier \
	    --timeout 30000
done
# Until the root has heard from the 3 nodes (fastbootctl jobs; bounded).
w=0
while [ $w -lt 20000 ]; do
	FASTBOOT_SOCKET=$(mn_sock 1) timeout 10 "$FASTBOOTCTL" \
	    -s "$(mn_sock 1)" jobs 2>/dev/null | grep -q 'nodes: *3 (' &&
	    break
	sleep 0.05
	w=$((w + 50))
done
mn_link_down 2
t0=$(mn_now_ms)
mn_bg 1 "$MN_DIR/fwd.1" "$MN_BIN/mn_rank" --id "$MN_DIR/idf" --nranks 4 \
    --ranks 0 --nnodes 4 --mode barrier --timeout 30000
p1=$MN_LAST
mn_wait_lines "$MN_DIR/fwd.1" "$MN_DIR/fwd.3" "$MN_DIR/fwd.4" -- ' fail ' 3 \
    40000
t1=$(mn_now_ms)
mn_show "$MN_DIR/fwd.1" "$MN_DIR/fwd.3" "$MN_DIR/fwd.4"
echo "# the 3 ranks failed $((t1 - t0)) ms after rank 0 started"
n2=$(mn_ns 2)
a2=$(mn_addr 2)
awk -v ns="$n2" -v a="$a2" '$3 == "fail" && $7 == "FB_E_PEER_LOST" &&
    (index($0, ns) || index($0, a)) { n++ } END { exit n != 3 }' \
    "$MN_DIR/fwd.1" "$MN_DIR/fwd.3" "$MN_DIR/fwd.4"
mn_ok $? "ranks 0, 2, 3 got FB_E_PEER_LOST naming the silent forwarder $n2"
grep -q ' fail .*FB_E_PEER_LOST' "$MN_DIR/fwd.4"
mn_ok $? "node 4, whose map node 2 should have forwarded, failed too"
mn_finish
