#!/bin/sh
# run_nodes.sh - the bootstrap benchmark across simulated nodes, for
# scripts/run-benchmark.sh --nodes: for each shape, M network namespaces on
# a private bridge (tests/multinode/netns.sh), one fastbootd each listening
# on TCP (fresh daemons for every shape: its first job opens the links),
# and mpirun across them (an rsh agent runs each node's orted in its
# namespace, with its own host name and FASTBOOT_SOCKET, so each node also
# has its own PMIx server).  Then the chart of bootstrap and barrier
# against M.
#
#   bench/run_nodes.sh BUILDDIR OUTDIR RANKS "SHAPE ..." [BENCH ARGS...]
#
# A shape is M (RANKS spread evenly over M nodes) or MxK (M nodes, K ranks
# each), e.g. "1 2 4" or "4x2 8x8 16x1".  OUTDIR/nodes-MxK/ gets each run's
# report, OUTDIR/nodes.html the chart and the cross-run targets (bench_report
# --nodes).  A shape of more than BENCH_BIG_RANKS ranks (default 16), or
# of more than 8 nodes, gets BENCH_BIG_ARGS first (default "--no-sweep
# --budget 0.25": the allgather size sweep skipped, a quarter of the time
# per measurement; ARGS given after them still win.  Over 16 simulated
# nodes, PMIx's allgather of 1 MiB per rank grew every node's server past
# 1.2 GiB and filled 24 GiB), and each shape's mpirun is bounded by
# BENCH_NODES_TIMEOUT seconds (default 600 + 10 per rank), so that 8 x 8
# (64 processes on a small VM) ends in minutes.
# As root (namespaces); every namespace, link and daemon is removed, also on
# failure.  Spinning transports (MPI here) see ~8 ms steps over veth on a
# 2-vCPU VM: their figures across nodes are the scheduler's, not theirs.
# Every simulated node shares this machine's CPUs, but each looks to
# OpenMPI like a host with a slot per rank, so it would not yield while it
# waits (as it does when it sees more ranks than CPUs on one node): the
# ranks done with a bootstrap would spin in the benchmark's MPI calls and
# keep the CPUs from the last rank still in it.  mpi_yield_when_idle makes
# the harness yield as in a one-node run.
set -u
builddir=$(cd "$1" && pwd); outdir=$2; ranks=$3; counts=$4
shift 4
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$builddir
FASTBOOTD=$builddir/daemon/fastbootd
FASTBOOTCTL=$builddir/tools/fastbootctl
export top_srcdir top_builddir FASTBOOTD FASTBOOTCTL
. "$top_srcdir/tests/multinode/netns.sh"
mn_skip() { echo "run-benchmark: --nodes: $*" >&2; exit 1; }
mn_require
bench=$builddir/bench/bootstrap_benchmark
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
big=${BENCH_BIG_RANKS:-16}
bigargs=${BENCH_BIG_ARGS:---no-sweep --budget 0.25}
# The shapes as "MxK" words, checked before anything starts.
shapes=
for sh in $counts; do
	case $sh in
	*x*) m=${sh%%x*}; k=${sh#*x}; [ -n "$k" ] || k=bad ;;
	*) m=$sh; k= ;;
	esac
	case $m in ''|*[!0-9]*|0*) m= ;; esac
	case $k in *[!0-9]*|0*) k=bad ;; esac
	if [ -z "$m" ] || [ "$k" = bad ]; then
		echo "run-benchmark: --nodes: '$sh' is not a node count M" \
		    "or a shape MxK (M nodes, K ranks each; whole numbers" \
		    "from 1)" >&2
		exit 2
	fi
	if [ -z "$k" ]; then
		if [ $((ranks % m)) -ne 0 ]; then
			echo "run-benchmark: $ranks ranks do not spread" \
			    "evenly over $m nodes" >&2
			exit 2
		fi
		k=$((ranks / m))
	fi
	shapes="$shapes ${m}x$k"
done
mkdir -p "$outdir" || exit 1
status=0
for sh in $shapes; do
	m=${sh%%x*}
	rpn=${sh#*x}
	n=$((m * rpn))
	extra=
	{ [ "$n" -gt "$big" ] || [ "$m" -gt 8 ]; } && extra=$bigargs
	limit=${BENCH_NODES_TIMEOUT:-$((600 + 10 * n))}
	mn_init
	MN_N=0; MN_PIDS=
	if ! mn_nodes "$m"; then
		echo "run-benchmark: could not make $m simulated nodes" >&2
		mn_cleanup; status=1; continue
	fi
	hosts=
	agent=$MN_DIR/agent
	{
		echo '#!/bin/sh'
		echo 'while [ $# -gt 0 ]; do'
		echo '	case "$1" in'
		i=1
		while [ $i -le "$m" ]; do
			echo "	$(mn_addr $i)) ns=$(mn_ns $i); sock=$(mn_sock $i); shift; break ;;"
			hosts="$hosts${hosts:+,}$(mn_addr $i):$rpn"
			i=$((i + 1))
		done
		echo '	-*) shift ;;'
		echo '	*) echo "agent: unknown host $1" >&2; exit 1 ;;'
		echo '	esac'
		echo 'done'
		echo 'exec ip netns exec "$ns" env FASTBOOT_SOCKET="$sock" \'
		echo '    unshare --uts /bin/sh -c "hostname $ns; $*"'
	} >"$agent"
	chmod +x "$agent"
	echo "run-benchmark: $m simulated nodes x $rpn ranks ($(mn_ns 1) ..." \
	    "${extra:+$extra, }at most $limit s)"
	t0=$(date +%s)
	MN_TIMEOUT=$limit mn_exec 1 unshare --uts /bin/sh -c "hostname \
	    $(mn_ns 1); exec mpirun --host $hosts -n $n --oversubscribe \
	    --mca mpi_yield_when_idle 1 \
	    --mca plm_rsh_agent $agent \
	    --mca oob_tcp_if_include $MN_NET.0/24 \
	    --mca btl_tcp_if_include $MN_NET.0/24 \
	    $bench --nodes $m --out $outdir/nodes-$sh $extra $*"
	rc=$?
	case $rc in
	0) ;;
	124|137) echo "run-benchmark: $m x $rpn: mpirun did not end within" \
	    "$limit s (BENCH_NODES_TIMEOUT); stopped" >&2; status=1 ;;
	*) status=1 ;;
	esac
	echo "run-benchmark: $m x $rpn took $(($(date +%s) - t0)) s"
	mn_cleanup
done
set --
for sh in $shapes; do
	[ -s "$outdir/nodes-$sh/results.json" ] &&
	    set -- "$@" "$outdir/nodes-$sh/results.json"
done
if [ $# -gt 0 ]; then
	"$builddir/bench/bench_report" --nodes -o "$outdir" "$@" || status=1
fi
exit $status
