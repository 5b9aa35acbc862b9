#!/bin/sh
# nodemap_test.sh - the client library's PMIx node-map reader
# (libclient/pmix.c) on one node, under OpenMPI's mpirun (TAP): with 4 ranks
# every rank reads nnodes 1, node 0, node_of_rank all 0 and the host name of
# this node; a job size that is not the PMIx job's falls back (1) and says
# why; without a PMIx server it falls back and says so.  Bounded by
# timeout(1).
builddir=${top_builddir:-.}
prog=$builddir/tests/multinode/nodemap_rank
limit=${NODEMAP_TEST_TIMEOUT:-120}

if [ ! -x "$prog" ]; then
	echo "1..0 # SKIP nodemap_rank not built (no PMIx at configure)"
	exit 0
fi
if ! command -v mpirun >/dev/null 2>&1; then
	echo "1..0 # SKIP mpirun not found"
	exit 0
fi
if ! command -v timeout >/dev/null 2>&1; then
	echo "1..0 # SKIP timeout(1) not found"
	exit 0
fi

out=$(mktemp -d /tmp/fbnodemap-test.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT INT TERM

OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_rmaps_base_oversubscribe

n=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

echo "1..9"
timeout -k 5 "$limit" mpirun -n 4 "$prog" 4 >"$out/four" 2>"$out/four.err"
rc=$?
sed 's/^/# /' "$out/four"
sed 's/^/# stderr: /' "$out/four.err" | tail -n 20
[ $rc -eq 0 ]; ok $? "mpirun -n 4 completed (exit $rc)"
[ "$(grep -c '^rank ' "$out/four")" -eq 4 ]; ok $? "4 ranks answered"
for r in 0 1 2 3; do
	grep -q "^rank $r rc 0 nnodes 1 node 0 map 0,0,0,0 hosts [^ ,]* err -\$" \
	    "$out/four"
	ok $? "rank $r: nnodes 1, node 0, every rank on node 0"
done
# PMIx's name of this node is what the launcher calls it: this host.
h=$(sed -n 's/^rank 0 rc 0 .* hosts \([^ ]*\) err -$/\1/p' "$out/four")
full=$(hostname 2>/dev/null); short=$(hostname -s 2>/dev/null)
[ -n "$h" ] && { [ "$h" = "$full" ] || [ "$h" = "$short" ] ||
    [ "$h" = localhost ]; }
ok $? "the node's name is this host's ($h; hostname $full)"

# A fastboot job of another size than the PMIx job: no map, a reason.
timeout -k 5 "$limit" mpirun -n 2 "$prog" 3 >"$out/other" 2>"$out/other.err"
sed 's/^/# /' "$out/other"
[ "$(grep -c '^rank [01] rc 1 nnodes 0 .* err the PMIx job is not this job' \
    "$out/other")" -eq 2 ]
ok $? "another job size falls back (1) and says the PMIx job differs"

# No PMIx server: falls back and says so.
env -u PMIX_NAMESPACE -u PMIX_RANK timeout -k 5 30 "$prog" 4 0 \
    >"$out/none" 2>&1
sed 's/^/# /' "$out/none"
grep -q '^rank 0 rc 1 nnodes 0 .* err no PMIx server in the environment' \
    "$out/none"
ok $? "no PMIx server: falls back (1) and says so"
exit 0
