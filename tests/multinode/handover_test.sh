#!/bin/sh
# handover_test.sh - one link per node pair, also after simultaneous opens
# (TAP).  Two rounds; in each, 4 simulated nodes whose daemons have just
# started (no warm links) run 8 jobs at once whose ids come from every node,
# and each rank streams numbered messages to every rank of the other nodes
# right after init (mn_rank --mode stream: per (peer, tag), in order, byte
# for byte).  The daemons run with FASTBOOTD_TEST_LINKS (a setting for
# tests): "race" makes a discovery JOIN open a link of its own where the
# only one is the peer's and nothing went on it yet, as a simultaneous open
# does, so a pair whose JOINs cross holds two links; "delay=300" makes the
# higher end switch 300 ms after the lower end's link can carry its frames,
# so that a job's messages are flowing when it does; "lag=200" makes the old
# link slow: what the higher end sent on it in those 300 ms goes out with
# RETIRE 200 ms after the switch, so frames sent later on the kept link
# arrive first and the lower end must hold them (peer_handover_waits).
# Then every pair must hold exactly one link, the handover counters must
# have moved where two links were opened, and no hold may have ended
# without its RETIRE.  Round 2 runs with "race,delay=1000,lag=900"
# (MN_LINKS2): a job's traffic stops while the higher end holds its
# frames, so only the delay's own timer ends the hold (a timer that ran
# early once left a link stalled for good).  MN_LINKS replaces round 1's
# setting: with ",nohold" added the lower end does not hold and the
# messages' order breaks (round 1 fails: RANKS before JOIN at a root, LEFT
# before a rank's messages); with "race,off" (no handover) two links stay
# per pair.  Skips without root or ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
ROUNDS=2
JOBS=8
COUNT=${MN_COUNT:-40}
FASTBOOTD_TEST_LINKS=${MN_LINKS:-race,delay=300,lag=200}
export FASTBOOTD_TEST_LINKS
echo "1..$((ROUNDS * 5))"
echo "# FASTBOOTD_TEST_LINKS=$FASTBOOTD_TEST_LINKS, $JOBS jobs of 4 x 2" \
    "ranks, $COUNT messages per (peer, tag)"
if ! mn_nodes 4 --peer-timeout 10000; then
	echo "Bail out! could not make 4 simulated nodes"
	exit 1
fi
# Each rank receives COUNT messages on each of 2 tags from the 6 ranks of
# the other nodes.
want=$((COUNT * 2 * 6))

# sum KEY: KEY of fastbootctl status, summed over the 4 daemons.
sum() {
	_s=0
	for _i in 1 2 3 4; do
		_s=$((_s + $(mn_status $_i "$1")))
	done
	echo $_s
}

r=1
while [ $r -le $ROUNDS ]; do
	if [ $r -gt 1 ]; then
		# Fresh daemons: no warm links, the pairs race again.
		FASTBOOTD_TEST_LINKS=${MN_LINKS2:-race,delay=1000,lag=900}
		echo "# round $r: FASTBOOTD_TEST_LINKS=$FASTBOOTD_TEST_LINKS"
		for i in 1 2 3 4; do
			mn_stop $i
			mn_daemon $i --peer-timeout 10000 ||
			    { echo "Bail out! node $i did not restart"; exit 1; }
		done
	fi
	j=0
	while [ $j -lt $JOBS ]; do
		mn_make_ids $((j % 4 + 1)) "$MN_DIR/id$r.$j"
		j=$((j + 1))
	done
	pids=
	j=0
	while [ $j -lt $JOBS ]; do
		i=1
		while [ $i -le 4 ]; do
			mn_bg $i "$MN_DIR/s$r.$j.$i" "$MN_BIN/mn_rank" \
			    --id "$MN_DIR/id$r.$j" --nranks 8 \
			    --ranks $(((i - 1) * 2))-$((i * 2 - 1)) \
			    --nnodes 4 --mode stream --count "$COUNT" \
			    --timeout 60000 --seed $((r * 100 + j))
			pids="$pids $MN_LAST"
			i=$((i + 1))
		done
		j=$((j + 1))
	done
	# shellcheck disable=SC2086
	mn_wait_all $pids
	bad=$?
	[ $bad -eq 0 ]; mn_ok $? "round $r: $JOBS jobs, every driver exited 0 ($bad failed)"
	badjobs=
	j=0
	while [ $j -lt $JOBS ]; do
		{ mn_check_job 4 2 s$r.$j && cat "$MN_DIR"/s$r.$j.* |
		    awk -v w=$want '$3 == "ok" && $NF != w {
			print "# rank " $2 ": " $NF " messages, not " w; b++ }
		    END { exit b > 0 }'; } >"$MN_DIR/check$r.$j" 2>&1 ||
		    badjobs="$badjobs $j"
		j=$((j + 1))
	done
	[ -z "$badjobs" ]; mn_ok $? "round $r: every rank got its $want messages in order per (peer, tag), byte for byte${badjobs:+ (bad:$badjobs)}"
	for j in $badjobs; do
		head -n 5 "$MN_DIR/check$r.$j"
	done
	# A retired link closes once its RETIRE is read: wait (bounded).
	mn_one_link_each 4 5000 "$MN_DIR/peers$r."
	one=$?
	mn_ok $one "round $r: every pair holds exactly one link, sent on by both ends (links:$MN_PEER_LINKS)${MN_PEER_BAD:+ (bad on node$MN_PEER_BAD)}"
	if [ $one -ne 0 ]; then
		for i in 1 2 3 4; do
			mn_show "$MN_DIR/peers$r.$i"
		done
	fi
	# Links ever opened: each counted once by its opener and once by its
	# acceptor (a connect retried would count more: the daemons were up).
	opened=$(($(sum peer_connects) / 2))
	hand=$(sum peer_handovers)
	waits=$(sum peer_handover_waits)
	falls=$(sum peer_handover_fallbacks)
	echo "# round $r: $opened links opened for 6 pairs, $hand handover" \
	    "counts (RETIRE sent + received), $waits holds on the kept" \
	    "link, $falls holds ended without RETIRE"
	# Each link beyond one per pair was handed over: RETIRE counted by
	# its sender and its receiver.
	[ "$hand" -eq $((2 * (opened - 6))) ]; mn_ok $? "round $r: the handover counters moved once at each end per link beyond one per pair ($opened links for 6 pairs, $hand handover counts)"
	[ "$falls" -eq 0 ]; mn_ok $? "round $r: every hold ended with its RETIRE ($falls without)"
	r=$((r + 1))
done
mn_finish
