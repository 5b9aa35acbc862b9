#!/bin/sh
# dns_test.sh - host names of a PMIx-style node map (the map a rank hands
# its daemon in JOIN) are resolved without blocking the daemon (TAP): names
# that only the namespaces' /etc/hosts knows resolve and the job's 2 nodes
# run their init barrier; a name under .invalid is refused at once with
# FB_E_SYS naming it; a name whose resolver never answers (resolv.conf
# points at an address nobody holds) leaves its job waiting while the same
# daemon serves another job to READY, and then fails it naming the host.
# mn_mapjoin stands for the ranks (no PMIx server needed).  Skips without
# root or ip netns.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
[ -x "$MN_BIN/mn_mapjoin" ] || mn_skip "$MN_BIN/mn_mapjoin not built"
mn_init
echo "1..8"
# Node 1's resolver: a server on the bridge's /24 that nobody holds (set
# before its daemon starts: ip netns exec binds the file at start).
mkdir -p "/etc/netns/$(mn_ns 1)" &&
    printf 'nameserver %s\n' "$MN_NET.250" >"/etc/netns/$(mn_ns 1)/resolv.conf"
if ! mn_nodes 2 --peer-timeout 4000; then
	echo "Bail out! could not make 2 simulated nodes"
	exit 1
fi
n1=$(mn_ns 1)
n2=$(mn_ns 2)
mj() {
	_i=$1
	shift
	mn_exec "$_i" "$MN_BIN/mn_mapjoin" "$(mn_sock "$_i")" "$@"
}

# Names from /etc/hosts: both nodes' ranks get READY of a 2-node job.
mn_bg 2 "$MN_DIR/hosts.2" "$MN_BIN/mn_mapjoin" "$(mn_sock 2)" dnshosts 2 1 1 \
    "$n1,$n2" 0,1 20000
p2=$MN_LAST
mj 1 dnshosts 2 0 0 "$n1,$n2" 0,1 20000 >"$MN_DIR/hosts.1"
wait "$p2"
mn_show "$MN_DIR/hosts.1" "$MN_DIR/hosts.2"
grep -q '^ready node 0 nnodes 2$' "$MN_DIR/hosts.1"
mn_ok $? "node 1 resolved $n2 from /etc/hosts: READY as node 0 of 2"
grep -q '^ready node 1 nnodes 2$' "$MN_DIR/hosts.2"
mn_ok $? "node 2 resolved $n1 from /etc/hosts: READY as node 1 of 2"

# A name under .invalid: refused at once, naming the host.
mj 1 dnsinval 2 0 0 "$n1,nosuch.invalid" 0,1 20000 >"$MN_DIR/inval"
mn_show "$MN_DIR/inval"
grep -q '^error -11 .*nosuch\.invalid' "$MN_DIR/inval"
mn_ok $? "nosuch.invalid: JOIN refused with FB_E_SYS (-11) naming the host"

# A resolver that never answers: the job waits (bounded by the daemon's
# --peer-timeout), the daemon serves another job meanwhile.
mn_bg 1 "$MN_DIR/slow" "$MN_BIN/mn_mapjoin" "$(mn_sock 1)" dnsslow 2 0 0 \
    "$n1,slow.example" 0,1 30000
ps=$MN_LAST
mn_bg 2 "$MN_DIR/other.2" "$MN_BIN/mn_mapjoin" "$(mn_sock 2)" dnsother 2 1 1 \
    "$(mn_addr 1),$(mn_addr 2)" 0,1 20000
p2=$MN_LAST
mj 1 dnsother 2 0 0 "$(mn_addr 1),$(mn_addr 2)" 0,1 20000 >"$MN_DIR/other.1"
wait "$p2"
mn_show "$MN_DIR/other.1" "$MN_DIR/other.2"
grep -q '^ready node 0 nnodes 2$' "$MN_DIR/other.1" &&
    grep -q '^ready node 1 nnodes 2$' "$MN_DIR/other.2"
mn_ok $? "another job (numeric addresses) got READY on both nodes meanwhile"
[ ! -s "$MN_DIR/slow" ] && kill -0 "$ps" 2>/dev/null
mn_ok $? "meanwhile the job naming slow.example still waits for its resolver"
wait "$ps"
mn_show "$MN_DIR/slow"
grep -Eq '^(fail|error) -(3|11) .*slow\.example' "$MN_DIR/slow"
mn_ok $? "then it fails, naming slow.example (FB_E_TIMEOUT or FB_E_SYS)"
grep -q 'did not resolve within' "$MN_DIR/slow"
mn_ok $? "the detail says the name did not resolve within the deadline"
alive=0
for i in 1 2; do
	kill -0 "$(mn_dpid $i)" 2>/dev/null && alive=$((alive + 1))
done
[ $alive -eq 2 ]; mn_ok $? "both daemons still running ($alive)"
mn_finish
