#!/bin/sh
# late_test.sh - arrival order across simulated nodes (TAP), 3 nodes x 4
# ranks, every call checked by mn_rank:
#  - the ranks of one node (node 3) start a second after the others;
#  - the creating node's ranks (node 1, whose daemon made the id) start
#    last, so the other daemons must reach it before any of its ranks has
#    joined.
# The second's delay is the case under test, not a synchronisation: the
# results are right whatever the delay turns out to be.  Skips without root
# or ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
mn_init
echo "1..5"
if ! mn_nodes 3 --peer-timeout 10000; then
	echo "Bail out! could not make 3 simulated nodes"
	exit 1
fi

# late_job TAG LATE_NODE: start every node but LATE_NODE, then it.
late_job() {
	pids=
	for i in 1 2 3; do
		[ $i -eq "$2" ] && continue
		mn_bg $i "$MN_DIR/$1.$i" "$MN_BIN/mn_rank" --id "$MN_DIR/id$1" \
		    --nranks 12 --ranks $(((i - 1) * 4))-$((i * 4 - 1)) \
		    --nnodes 3 --mode calls --timeout 30000
		pids="$pids $MN_LAST"
	done
	sleep 1
	i=$2
	mn_bg $i "$MN_DIR/$1.$i" "$MN_BIN/mn_rank" --id "$MN_DIR/id$1" \
	    --nranks 12 --ranks $(((i - 1) * 4))-$((i * 4 - 1)) \
	    --nnodes 3 --mode calls --timeout 30000
	pids="$pids $MN_LAST"
	bad=0
	for p in $pids; do
		wait "$p" || bad=$((bad + 1))
	done
	return $bad
}

mn_make_ids 1 "$MN_DIR/idlate"
late_job late 3
[ $? -eq 0 ]; mn_ok $? "node 3's ranks a second late: every driver exited 0"
mn_check_job 3 4 late
mn_ok $? "node 3 late: every rank ok, node indices consistent"
awk '$3 == "ok" { printf "# rank %d init_ms %s\n", $2, $11 }' \
    "$MN_DIR"/late.1 "$MN_DIR"/late.3 | sed -n '1p;$p'

mn_make_ids 1 "$MN_DIR/idfirst"
late_job first 1
[ $? -eq 0 ]; mn_ok $? "creating node's ranks last: every driver exited 0"
mn_check_job 3 4 first
mn_ok $? "creating node last: every rank ok, node indices consistent"

# Both jobs over: no daemon holds a job any more.
held=0
for i in 1 2 3; do
	j=$(mn_status $i jobs)
	[ "${j:-1}" -eq 0 ] || held=$((held + 1))
done
[ $held -eq 0 ]; mn_ok $? "no daemon holds a job afterwards"
mn_finish
