#!/bin/sh
# calls_test.sh - one job across 2, 4 and 8 simulated nodes x 8 ranks (TAP):
# every call (rank, size, local rank and size, fb_comm_node, barrier,
# allgather 1 B..64 KiB, alltoall 1 B..4 KiB per peer, send/recv in order
# across nodes, destroy), every result checked byte for byte by mn_rank; the
# ranks of a node agree on its index, nodes have distinct ones.  The same 8
# daemons serve the three jobs, with a peer timeout of 10 s: 72 processes on
# two loaded vCPUs must not be taken for a silent link (failure_test.sh
# tests the 2 s default).  Skips without root or ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..10"
if ! mn_nodes 8 --peer-timeout 10000; then
	echo "Bail out! could not make 8 simulated nodes"
	exit 1
fi
for nn in 2 4 8; do
	mn_make_ids 1 "$MN_DIR/id$nn"
	mn_job $nn 8 "$MN_DIR/id$nn" calls$nn --mode calls --timeout 60000
	rc=$?
	[ $rc -eq 0 ]; mn_ok $? "$nn nodes x 8 ranks: every rank's driver exited 0"
	mn_check_job $nn 8 calls$nn
	mn_ok $? "$nn nodes x 8 ranks: every rank ok once, node indices consistent"
	if [ $rc -ne 0 ]; then
		i=1
		while [ $i -le $nn ]; do
			grep -v ' ok ' "$MN_DIR/calls$nn.$i" | sed 's/^/# /' |
			    head -n 8
			i=$((i + 1))
		done
	fi
	awk '$3 == "ok" { s += $11; if ($11 > m) m = $11; n++ }
	    END { if (n) printf "# init_ms mean %.2f max %.2f over %d ranks\n",
		s / n, m, n }' "$MN_DIR"/calls$nn.*
	# The daemons saw a job of nn nodes: their peer links are up.
	links=$(mn_status 1 peer_links)
	[ -n "$links" ] && [ "$links" -ge 1 ] && [ "$links" -le 7 ]
	mn_ok $? "$nn nodes: node 1 holds 1..7 peer links ($links)"
done
alive=0
i=1
while [ $i -le 8 ]; do
	kill -0 "$(mn_dpid $i)" 2>/dev/null && alive=$((alive + 1))
	i=$((i + 1))
done
[ $alive -eq 8 ]; mn_ok $? "all 8 daemons still running ($alive)"
mn_finish
