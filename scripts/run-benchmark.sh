#!/bin/sh
# run-benchmark.sh - the bootstrap benchmark under mpirun, as root and with
# more ranks than CPUs if need be (OpenMPI refuses both unless told).  The
# benchmark itself uses the fastbootd listening on $FASTBOOT_SOCKET (or the
# default socket), or starts a private one for the run; it prints the table
# and where the report is.
#
#   scripts/run-benchmark.sh [-n RANKS] [-B BUILDDIR] [-o OUTDIR] [-- ARGS]
#   scripts/run-benchmark.sh --nodes "M1 M2 ..." [-n RANKS] [-B BUILDDIR]
#                            [-o OUTDIR] [-- ARGS]
#
# ARGS go to bootstrap_benchmark (e.g. an iteration count, --budget 0.5).
# --nodes (as root) runs it once per node count over simulated nodes,
# network namespaces with a fastbootd each, RANKS spread evenly, and draws
# bootstrap and barrier against the node count (bench/run_nodes.sh).
set -u
ranks=8
builddir=
outdir=
nodes=
if [ "${1:-}" = "--nodes" ] && [ $# -ge 2 ]; then
	nodes=$2
	shift 2
fi
while getopts n:B:o:h ch; do
	case $ch in
	n) ranks=$OPTARG ;;
	B) builddir=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) sed -n '2,15p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift

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
exec mpirun -n "$ranks" "$bench" ${outdir:+--out "$outdir"} "$@"
