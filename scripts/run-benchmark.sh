#!/bin/sh
# run-benchmark.sh - the bootstrap benchmark under mpirun, as root and with
# more ranks than CPUs if need be (OpenMPI refuses both unless told).  The
# benchmark itself uses the fastbootd listening on $FASTBOOT_SOCKET (or the
# default socket), or starts a private one for the run; it prints the table
# and where the report is.
#
#   scripts/run-benchmark.sh [-n RANKS] [-B BUILDDIR] [-o OUTDIR] [-- ARGS]
#   scripts/run-benchmark.sh --nodes "SHAPE ..." [-n RANKS] [-B BUILDDIR]
#                            [-o OUTDIR] [-- ARGS]
#   scripts/run-benchmark.sh --sweep "N1 N2 ..." [-B BUILDDIR] [-o OUTDIR]
#                            [-- ARGS]
#
# ARGS go to bootstrap_benchmark (e.g. an iteration count, --budget 0.5).
# With more RANKS than CPUs, a 2-rank run (a CPU each) follows into
# OUTDIR/ranks-2, and the report shows it beside (BENCH_BESIDE=0: not).
# --nodes (as root) runs it once per shape over simulated nodes, network
# namespaces with a fresh fastbootd each: a shape is M (RANKS spread evenly
# over M nodes) or MxK (M nodes, K ranks each: "4x2 8x8 16x1"); shapes of
# more than 16 ranks or 8 nodes get --no-sweep --budget 0.25 first, and
# each is bounded in time.  It draws bootstrap and barrier against the
# node count, with warm reuse per shape (bench/run_nodes.sh,
# OUTDIR/nodes.html).
# --sweep runs it once per rank count on this node (fastboot, shm-floor and
# MPI; counts above the CPUs are oversubscribed), each into OUTDIR/ranks-N,
# and draws bootstrap, barrier, allgather 64 B and send/recv against the
# rank count, with a job's memory, in OUTDIR/sweep.html.
set -u
ranks=8
builddir=
outdir=
nodes=
sweep=
usage() {
	sed -n '2,27p' "$0"
	exit 2
}
# Options in any order, up to "--" or the first word that is not one:
# the rest goes to the benchmark.
while [ $# -gt 0 ]; do
	case $1 in
	--nodes|--sweep|-n|-B|-o)
		[ $# -ge 2 ] || { echo "run-benchmark: $1 needs a value" >&2;
		    usage; }
		case $1 in
		--nodes) nodes=$2 ;;
		--sweep) sweep=$2 ;;
		-n) ranks=$2 ;;
		-B) builddir=$2 ;;
		-o) outdir=$2 ;;
		esac
		shift 2 ;;
	--) shift; break ;;
	-h|--help) usage ;;
	-*) echo "run-benchmark: unknown option '$1' (benchmark options go" \
	    "after --)" >&2; usage ;;
	*) break ;;	# the benchmark's arguments (an iteration count)
	esac
done
if [ -n "$nodes" ] && [ -n "$sweep" ]; then
	echo "run-benchmark: --nodes and --sweep are two runs: one at a time" >&2
	exit 2
fi
for n in $sweep; do
	case $n in
	''|*[!0-9]*|0|1) echo "run-benchmark: --sweep: '$n' is not a" \
	    "rank count of 2 or more" >&2; exit 2 ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$builddir" ]; then
	for d in . "$top/build" "$top"; do
		if [ -x "$d/bench/bootstrap_benchmark" ]; then
			builddir=$d
			break
		fi
	done
fi
bench=${builddir:-$top/build}/bench/bootstrap_benchmark
if [ ! -x "$bench" ]; then
	echo "run-benchmark: $bench not found; build first (./build.sh), or" \
	    "pass -B BUILDDIR" >&2
	exit 1
fi
if ! command -v mpirun >/dev/null 2>&1; then
	echo "run-benchmark: mpirun not found (install openmpi-bin)" >&2
	exit 1
fi

OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_rmaps_base_oversubscribe

if [ -n "$nodes" ]; then
	[ -n "$outdir" ] || outdir=bench-results-nodes-$(date +%Y%m%d-%H%M%S)
	exec sh "$top/bench/run_nodes.sh" "$(dirname "$(dirname "$bench")")" \
	    "$outdir" "$ranks" "$nodes" "$@"
fi
if [ -n "$sweep" ]; then
	[ -n "$outdir" ] || outdir=bench-results-sweep-$(date +%Y%m%d-%H%M%S)
	mkdir -p "$outdir" || exit 1
	status=0
	set -- --systems fastboot,shm-floor,MPI --no-sweep "$@"
	for n in $sweep; do
		echo "run-benchmark: --sweep: $n ranks"
		mpirun -n "$n" "$bench" --out "$outdir/ranks-$n" "$@" \
		    >"$outdir/ranks-$n.log" 2>&1 || status=1
		tail -n 3 "$outdir/ranks-$n.log"
	done
	set --
	for n in $sweep; do
		[ -s "$outdir/ranks-$n/results.json" ] &&
		    set -- "$@" "$outdir/ranks-$n/results.json"
	done
	if [ $# -gt 0 ]; then
		"$(dirname "$bench")/bench_report" --sweep -o "$outdir" "$@" ||
		    status=1
	fi
	exit $status
fi
# With more ranks than CPUs, a second run of 2 ranks (a CPU each, as on a
# GPU node) goes beside it: OUTDIR/ranks-2, its table and targets in the
# report (bench_report --beside).  BENCH_BESIDE=0 skips it.
ncpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)
if [ "$ranks" -le 2 ] || [ "$ranks" -le "$ncpus" ] ||
    [ "${BENCH_BESIDE:-1}" = 0 ]; then
	exec mpirun -n "$ranks" "$bench" ${outdir:+--out "$outdir"} "$@"
fi
[ -n "$outdir" ] || outdir=bench-results-$(date +%Y%m%d-%H%M%S)
mpirun -n "$ranks" "$bench" --out "$outdir" --report "" "$@"
status=$?
echo "run-benchmark: 2 ranks beside the $ranks, into $outdir/ranks-2"
mpirun -n 2 "$bench" --out "$outdir/ranks-2" "$@" \
    >"$outdir/ranks-2.log" 2>&1 || status=1
tail -n 1 "$outdir/ranks-2.log"
if [ -s "$outdir/ranks-2/results.json" ]; then
	set -- --beside "$outdir/ranks-2/results.json"
else
	set --
fi
"$(dirname "$bench")/bench_report" "$@" -o "$outdir" \
    "$outdir/results.json" || status=1
exit $status
