#!/bin/sh
# forged_test.sh - a namespace without the job's secret can neither join
# nor inject, nor receive job frames (TAP), 3 simulated nodes:
#  - before any link between nodes 1 and 2 exists, mn_inject in node 3
#    connects to node 2 and says HELLO as node 1, with the daemon instance
#    node 1's own HELLO gave it (HELLO proves nothing);
#    while the real job forms, node 2 must send that squatter no job frame
#    (it must open its own link to node 1 instead);
#  - a real job runs on nodes 1 and 2 (2 x 4 ranks, every call checked)
#    while node 3 tries to join it with a forged id: the real id with its
#    secret replaced.  The forged ranks get FB_E_PERM (or FB_E_PROTO) naming
#    the node that refused (node 1, the id's root), and the real job is
#    unharmed;
#  - mn_inject, a raw TCP client in node 3, sends node 1's daemon
#    well-formed daemon-to-daemon frames carrying the live job's public tag
#    but no valid MAC (JOIN, COLL, MSG), frames replayed on another link and
#    on their own, and a bad frame after a HELLO claiming to be node 2;
#    each is refused or the link dropped, the live job (held at a gate on
#    both nodes meanwhile) then completes, and the daemon serves a new job;
#    so does a 64 MiB frame announced after HELLO (dropped before it is
#    buffered, node 1 logs it), and a REFUSE of the live job sent to node 2
#    by one that is not its root (node 2 logs it ignored; the job lives);
#  - frames kept for a job not known yet (one under a random tag, one under
#    a coming job's tag with a bad MAC): when that job comes, node 1 drops
#    the link for the bad MAC, stays up and runs the job;
#  - one holding a job's secret floods a node that has the job but not its
#    map with collective steps: the job fails with FB_E_LIMIT naming the
#    link, and the node says so in its log.
# Skips without root or ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..15"
if ! mn_nodes 3 --peer-timeout 10000; then
	echo "Bail out! could not make 3 simulated nodes"
	exit 1
fi
# The job secret's place in the id (libclient/client.h, UID_OFF_KEY, 16
# bytes), in hex characters.
key_off=16
key_len=32

# Two ids made by node 1: the real job's, and one for mn_inject's replays.
mn_make_ids 1 "$MN_DIR/id" 2
real=$(head -n 1 "$MN_DIR/id")
forged=$(echo "$real" | awk -v o=$key_off -v l=$key_len '{
    s = substr($0, 1, o); k = substr($0, o + 1, l); t = substr($0, o + l + 1)
    f = ""; for (i = 1; i <= l; i++) {
	c = substr(k, i, 1); f = f (c == "5" ? "a" : "5") }
    print s f t }')
echo "$forged" >"$MN_DIR/forged"
[ "$forged" != "$real" ] && [ ${#forged} -eq ${#real} ]
mn_ok $? "forged id: same length, secret replaced"

# The squatter: in node 3, claiming node 1's endpoint at node 2, first.
squat=
if [ -x "$MN_BIN/mn_inject" ]; then
	mn_bg 3 "$MN_DIR/squat" "$MN_BIN/mn_inject" --squat "$(mn_addr 2)" \
	    "$(mn_addr 1):7720" 6
	squat=$MN_LAST
	mn_wait_lines "$MN_DIR/squat" -- '^squatting as ' 1 10000 ||
	    echo "# the squatter did not get through its HELLO"
fi

# The real job joins on nodes 1 and 2, passes a first barrier, and waits
# at a gate (SIGUSR1) while the attempts are made: it is live on both.
pids=
for i in 1 2; do
	mn_bg $i "$MN_DIR/real.$i" "$MN_BIN/mn_rank" --id "$MN_DIR/id" \
	    --nranks 8 --ranks $(((i - 1) * 4))-$((i * 4 - 1)) --nnodes 2 \
	    --mode calls --gate --timeout 60000
	pids="$pids $MN_LAST"
done
mn_wait_lines "$MN_DIR/real.1" "$MN_DIR/real.2" -- ' joined ' 8 60000 ||
    echo "# the real job did not form: its ranks' lines follow at the end"
if [ -n "$squat" ]; then
	wait "$squat"
	rc=$?
	mn_show "$MN_DIR/squat"
	[ $rc -eq 0 ]
	mn_ok $? "a squatter claiming node 1 at node 2 got no job frame"
else
	mn_skip_test "mn_inject not built"
fi
mn_exec 3 "$MN_BIN/mn_rank" --id "$MN_DIR/forged" --nranks 4 --ranks 2-3 \
    --mode init --timeout 10000 >"$MN_DIR/forged.3" 2>&1
mn_show "$MN_DIR/forged.3"
awk -v ns="$(mn_ns 1)" -v a="$(mn_addr 1)" '
    $3 == "fail" && $4 == "fb_comm_init" &&
    ($7 == "FB_E_PERM" || $7 == "FB_E_PROTO") &&
    (index($0, ns) || index($0, a)) { n++ }
    END { exit n != 2 }' "$MN_DIR/forged.3"
mn_ok $? "forged id: both ranks refused (FB_E_PERM/FB_E_PROTO) naming node 1"

if [ -x "$MN_BIN/mn_inject" ]; then
	mn_exec 3 "$MN_BIN/mn_inject" "$(mn_addr 1)" "$MN_DIR/id" \
	    "$(mn_addr 2):7720" >"$MN_DIR/inject" 2>&1
	rc=$?
	mn_show "$MN_DIR/inject"
	[ $rc -eq 0 ]
	mn_ok $? "injected frames without the secret: each refused or dropped"
	grep -q 'a COLL frame of 67108864 bytes before a MAC held' \
	    "$MN_DIR/n1/log"
	mn_ok $? "node 1 logged the 64 MiB frame before any proof, dropped"
	mn_exec 3 "$MN_BIN/mn_inject" --refuse "$(mn_addr 2)" "$MN_DIR/id" \
	    >"$MN_DIR/refuse" 2>&1
	rc=$?
	mn_show "$MN_DIR/refuse"
	[ $rc -eq 0 ] && grep -q 'ignored a REFUSE of job' "$MN_DIR/n2/log"
	mn_ok $? "a REFUSE of the live job not from its root: node 2 ignored it"
else
	mn_skip_test "mn_inject not built"
	mn_skip_test "mn_inject not built"
	mn_skip_test "mn_inject not built"
fi

for p in $pids; do
	kill -USR1 "$p" 2>/dev/null
done
bad=0
for p in $pids; do
	wait "$p" || bad=$((bad + 1))
done
[ $bad -eq 0 ]; mn_ok $? "the real job on nodes 1-2 completed ($bad drivers failed)"
mn_check_job 2 4 real
mn_ok $? "the real job: every rank ok, every result right"
awk '$3 == "ok" && $11 + 0 > m { m = $11 + 0 }
    END { printf "# the real job beside the squatter: init took at most %.0f ms\n", m }' \
    "$MN_DIR/real.1" "$MN_DIR/real.2"

# Node 1's daemon still serves a new job across the nodes.
mn_make_ids 1 "$MN_DIR/id2"
mn_job 3 2 "$MN_DIR/id2" after --mode calls --timeout 30000
[ $? -eq 0 ]; mn_ok $? "a new job across all 3 nodes runs afterwards"

if [ -x "$MN_BIN/mn_inject" ]; then
	# Kept frames, then their job: the replay drops the link (bad MAC)
	# and must not trip over the other kept frame of that link.
	mn_make_ids 1 "$MN_DIR/idk" 2
	mn_bg 3 "$MN_DIR/kept" "$MN_BIN/mn_inject" --kept "$(mn_addr 1)" \
	    "$MN_DIR/idk" 60
	kept=$MN_LAST
	mn_wait_lines "$MN_DIR/kept" -- '^kept' 1 10000 ||
	    echo "# mn_inject --kept did not get its frames out"
	mn_job 2 2 "$MN_DIR/idk" kjob --mode calls --timeout 30000
	jrc=$?
	wait "$kept"
	rc=$?
	mn_show "$MN_DIR/kept"
	[ $rc -eq 0 ] && kill -0 "$(mn_dpid 1)" 2>/dev/null
	mn_ok $? "kept frames replayed: link dropped for the bad MAC, node 1 up"
	[ $jrc -eq 0 ] && mn_check_job 2 2 kjob
	mn_ok $? "the job the kept frames waited for ran"

	# Node 2 has a job (its rank waits in init) but no map: a flood of
	# good collective steps fails it with FB_E_LIMIT.
	mn_make_ids 1 "$MN_DIR/ide" 2
	made=$(mn_status 2 jobs_created)
	mn_bg 2 "$MN_DIR/early.2" "$MN_BIN/mn_rank" --id "$MN_DIR/ide" \
	    --nranks 2 --ranks 1 --nnodes 2 --mode init --timeout 30000
	erank=$MN_LAST
	w=0
	while [ "$(mn_status 2 jobs_created)" = "$made" ] && [ $w -lt 200 ]; do
		sleep 0.05
		w=$((w + 1))
	done
	mn_exec 3 "$MN_BIN/mn_inject" --early "$(mn_addr 2)" "$MN_DIR/ide" \
	    8200 >"$MN_DIR/early" 2>&1
	wait "$erank"
	mn_show "$MN_DIR/early" "$MN_DIR/early.2"
	awk -v a="$(mn_addr 3)" '$3 == "fail" && $4 == "fb_comm_init" &&
	    $7 == "FB_E_LIMIT" && index($0, a) { n++ } END { exit n != 1 }' \
	    "$MN_DIR/early.2"
	mn_ok $? "flooded before its map: the job failed FB_E_LIMIT naming the link"
	grep -q 'sent more than this node keeps of a job before its node map' \
	    "$MN_DIR/n2/log" && kill -0 "$(mn_dpid 2)" 2>/dev/null
	mn_ok $? "node 2 logged the flood and is alive"
else
	for i in 1 2 3 4; do
		mn_skip_test "mn_inject not built"
	done
fi
# The id's flags (UID_OFF_FLAGS, a little-endian u16 at byte 6), in hex:
# 0100 when it carries node 1's TCP endpoints.  A launcher that says every
# rank is on this node gets an id of this node only, made without asking the
# daemon, unless FASTBOOT_ID_FROM_DAEMON=1 asks for one other nodes can join.
id_flags() {
	mn_exec 1 env "$@" "$MN_BIN/mn_rank" --make-id "$MN_DIR/fl" --count 1 &&
	    cut -c13-16 "$MN_DIR/fl"
}
f_tcp=$(cut -c13-16 "$MN_DIR/id2")
f_one=$(id_flags OMPI_COMM_WORLD_SIZE=8 OMPI_COMM_WORLD_LOCAL_SIZE=8)
f_two=$(id_flags OMPI_COMM_WORLD_SIZE=8 OMPI_COMM_WORLD_LOCAL_SIZE=4)
f_srun=$(id_flags SLURM_STEP_NUM_TASKS=8 SLURM_STEP_NUM_NODES=1)
f_ask=$(id_flags OMPI_COMM_WORLD_SIZE=8 OMPI_COMM_WORLD_LOCAL_SIZE=8 \
    FASTBOOT_ID_FROM_DAEMON=1)
echo "# id flags: no launcher $f_tcp, one node $f_one, two nodes $f_two," \
    "srun one node $f_srun, one node but asked $f_ask"
[ "$f_tcp" = 0100 ] && [ "$f_one" = 0000 ] && [ "$f_two" = 0100 ] &&
    [ "$f_srun" = 0000 ] && [ "$f_ask" = 0100 ]
mn_ok $? "ids carry endpoints unless the launcher says one node"
pid1=$(mn_dpid 1)
kill -0 "$pid1" 2>/dev/null; mn_ok $? "node 1's daemon is alive"
mn_finish
