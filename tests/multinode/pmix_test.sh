#!/bin/sh
# pmix_test.sh - one job across 2 simulated nodes x 4 ranks launched by
# OpenMPI's mpirun (TAP), so that each node has its own orted and PMIx
# server: mpirun runs in node 1's namespace with the nodes' addresses as
# hosts, and reaches node 2 through an rsh agent that runs the orted with
# ip netns exec in the namespace owning the address (own host name, own
# FASTBOOT_SOCKET).  Every rank runs every call (mn_rank --pmix, checked
# byte for byte); the client library hands PMIx's node map to its daemon in
# JOIN, so no daemon ran a discovery round (discovery_rounds 0) and each
# counted the job as a PMIx one (pmix_jobs > 0).  A second mpirun runs 60
# jobs in a row in each process (mn_rank --mode jobs): the later ones take
# the map the library kept from the first (libclient/pmix.c), and every
# daemon must count 60 more PMIx jobs, still no discovery round, and no
# frame of a job it did not know yet dropped (peer_early_dropped 0: the
# LEFTs of jobs that had ended there once filled that room, and a next
# job's barrier hung).  Skips without root, ip netns, mpirun or PMIx.
. "${top_srcdir:-.}/tests/multinode/netns.sh"
mn_require
command -v mpirun >/dev/null 2>&1 || mn_skip "mpirun not found"
command -v unshare >/dev/null 2>&1 || mn_skip "unshare not found"
grep -q '^#define HAVE_PMIX 1' "${top_builddir:-.}/config.h" 2>/dev/null ||
    mn_skip "built without PMIx"
mn_init
echo "1..10"
if ! mn_nodes 2 --peer-timeout 10000; then
	echo "Bail out! could not make 2 simulated nodes"
	exit 1
fi
ns1=$(mn_ns 1)
ns2=$(mn_ns 2)
a1=$(mn_addr 1)
a2=$(mn_addr 2)

# The rsh agent: AGENT [options] HOST COMMAND...; the host is one of the
# nodes' addresses.
cat >"$MN_DIR/agent" <<AGENT
#!/bin/sh
while [ \$# -gt 0 ]; do
	case "\$1" in
	$a1) ns=$ns1; sock=$(mn_sock 1); shift; break ;;
	$a2) ns=$ns2; sock=$(mn_sock 2); shift; break ;;
	-*) shift ;;
	*) echo "agent: unknown host \$1" >&2; exit 1 ;;
	esac
done
[ -n "\$ns" ] || { echo "agent: no host" >&2; exit 1; }
exec ip netns exec "\$ns" env FASTBOOT_SOCKET="\$sock" \\
    unshare --uts /bin/sh -c "hostname \$ns; \$*"
AGENT
chmod +x "$MN_DIR/agent"

# mpi_run OUT ARGS...: mn_rank ARGS under mpirun over both nodes, 4 ranks
# each; exit status of mpirun.
mpi_run() {
	_out=$1
	shift
	mn_exec 1 unshare --uts /bin/sh -c "hostname $ns1; exec mpirun \
	    --host $a1:4,$a2:4 -n 8 --oversubscribe \
	    --mca plm_rsh_agent $MN_DIR/agent \
	    --mca oob_tcp_if_include $MN_NET.0/24 \
	    --mca btl_tcp_if_include $MN_NET.0/24 \
	    $MN_BIN/mn_rank --pmix --nranks 8 --nnodes 2 --timeout 60000 \
	    $*" >"$_out" 2>"$_out.err"
}

mn_make_ids 1 "$MN_DIR/id"
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
mpi_run "$MN_DIR/out" --id "$MN_DIR/id" --mode calls
rc=$?
mn_show "$MN_DIR/out"
tail -n 20 "$MN_DIR/out.err" | sed 's/^/# stderr: /'
[ $rc -eq 0 ]; mn_ok $? "mpirun across 2 namespaces completed (exit $rc)"
[ "$(grep -c '^rank [0-7] ok ' "$MN_DIR/out")" -eq 8 ]
mn_ok $? "8 ranks ok: every call checked byte for byte"
awk '$3 == "ok" { node[$2] = $5; nn[$7]++ }
    END { for (r = 1; r < 8; r++)
	    if ((r < 4) != (node[r] == node[0])) bad++
	  if (node[0] == node[4] || nn[2] != 8) bad++
	  exit bad > 0 }' "$MN_DIR/out"
mn_ok $? "ranks 0-3 on one node, 4-7 on the other, 2 nodes"
for i in 1 2; do
	d=$(mn_status $i discovery_rounds)
	p=$(mn_status $i pmix_jobs)
	echo "# node $i: discovery_rounds $d pmix_jobs $p"
	[ "$d" = 0 ]; mn_ok $? "node $i: no discovery round (discovery_rounds $d)"
	[ -n "$p" ] && [ "$p" -gt 0 ] 2>/dev/null
	mn_ok $? "node $i: the node map came from PMIx (pmix_jobs $p)"
	eval "p$i=\$p"
done

# Jobs in a row per process: the first reads PMIx, the later ones take
# the kept map.
J=60
mn_make_ids 1 "$MN_DIR/idsj" $J
mpi_run "$MN_DIR/outj" --id "$MN_DIR/idsj" --mode jobs --count $J
rc=$?
[ $rc -eq 0 ] || mn_show "$MN_DIR/outj"
tail -n 20 "$MN_DIR/outj.err" | sed 's/^/# stderr: /'
[ $rc -eq 0 ] &&
    [ "$(grep -c "^rank [0-7] ok .* jobs $J " "$MN_DIR/outj")" -eq 8 ]
mn_ok $? "$J jobs in a row in each process: 8 ranks ok (exit $rc)"
for i in 1 2; do
	d=$(mn_status $i discovery_rounds)
	p=$(mn_status $i pmix_jobs)
	x=$(mn_status $i peer_early_dropped)
	echo "# node $i: peer_stale $(mn_status $i peer_stale)," \
	    "peer_early_dropped $x"
	eval "was=\$p$i"
	[ "$d" = 0 ] && [ "$p" -eq $((was + J)) ] && [ "$x" = 0 ] 2>/dev/null
	mn_ok $? "node $i: $J more PMIx jobs ($was -> $p), no discovery round ($d), no early frame dropped ($x)"
done
mn_finish
