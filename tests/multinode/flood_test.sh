#!/bin/sh
# flood_test.sh - sends across nodes to a receiver that reads nothing (TAP).
# A sender's daemon acknowledges a small send to another node at once,
# within a window per node (MSG_HELD); the receiver's daemon takes such a
# send even past the receiver's --max-pending, and says so, after which
# sends to that receiver wait for its node again and are refused with
# FB_E_LIMIT while it is full.  Two nodes, --max-pending 1 MiB: rank 1 (node
# 2) stops itself (SIGSTOP: its library reads nothing), rank 0 (node 1)
# sends numbered 1000-byte messages until fb_send fails, then wakes it.
# The failure must be FB_E_LIMIT, within 20000 sends; rank 1 then receives
# every message that was accepted, byte for byte and in order, and after
# them the one rank 0 sends once it drained: nothing of the refused send
# arrives and nothing accepted is lost.  Node 1 counts the held sends
# (peer_msgs_held > 0) and none undelivered.  Skips without root or ip
# netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..5"
if ! mn_nodes 2 --peer-timeout 10000 --max-pending 1048576; then
	echo "Bail out! could not make 2 simulated nodes"
	exit 1
fi
mn_make_ids 1 "$MN_DIR/id"
mn_job 2 1 "$MN_DIR/id" flood --mode flood --count 20000 --timeout 30000
rc=$?
[ $rc -eq 0 ]; mn_ok $? "both drivers exited 0"
if [ $rc -ne 0 ]; then
	grep -hv ' ok ' "$MN_DIR"/flood.* | sed 's/^/# /' | head -n 8
fi
# rank 0 ok node 0 nnodes 2 local 0/1 init_ms X total_ms Y sent N refused R
line=$(awk '$1 == "rank" && $2 == 0 && $3 == "ok"' "$MN_DIR/flood.1")
echo "# $line"
sent=$(echo "$line" | awk '{ print $15 }')
refused=$(echo "$line" | awk '{ print $17 }')
[ "$refused" = FB_E_LIMIT ]
mn_ok $? "the sender's fb_send failed with FB_E_LIMIT (got '$refused')"
[ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" -lt 20000 ]
mn_ok $? "it failed after some sends went, within 20000 ($sent went)"
awk -v n="$sent" '$1 == "rank" && $2 == 1 && $3 == "ok" && $15 == n { ok = 1 }
    END { exit !ok }' "$MN_DIR/flood.2"
mn_ok $? "the receiver got all $sent in order, then the one sent after it drained"
held=$(mn_status 1 peer_msgs_held)
lost=$(mn_status 1 peer_held_undelivered)
echo "# node 1: peer_msgs_held $held, peer_held_undelivered $lost"
[ -n "$held" ] && [ "$held" -gt 0 ] && [ "$lost" = 0 ]
mn_ok $? "node 1 acknowledged sends at once ($held) and lost none ($lost)"
mn_finish
