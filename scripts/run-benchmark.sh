#!/bin/sh
# run-benchmark.sh - the one-command benchmark: start a private fastbootd
# from the build tree, run the bootstrap benchmark under mpirun (as root and
# with more ranks than cores if need be), print where the report is.
#
#   scripts/run-benchmark.sh [-n RANKS] [-B BUILDDIR] [-o OUTDIR] [-- ARGS]
#
# ARGS go to bootstrap_benchmark (e.g. an iteration count, --budget 0.5).
set -u
ranks=8
builddir=
outdir=
while getopts n:B:o:h ch; do
	case $ch in
	n) ranks=$OPTARG ;;
	B) builddir=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) sed -n '2,9p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift

if [ -z "$builddir" ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	if [ -x ./bench/bootstrap_benchmark ]; then
		builddir=.
	elif [ -x "$top/_build/bench/bootstrap_benchmark" ]; then
		builddir=$top/_build	# where scripts/build.sh builds
	else
		builddir=$top
	fi
fi
bench=$builddir/bench/bootstrap_benchmark
daemon=$builddir/daemon/fastbootd
for f in "$bench" "$daemon"; do
	if [ ! -x "$f" ]; then
		echo "run-benchmark: $f not found; build first (or pass -B" \
		    "BUILDDIR)" >&2
		exit 1
	fi
done
if ! command -v mpirun >/dev/null 2>&1; then
	echo "run-benchmark: mpirun not found (install openmpi-bin)" >&2
	exit 1
fi
[ -n "$outdir" ] || outdir=$builddir/bench/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$outdir" || exit 1

dir=$(mktemp -d /tmp/fastbootd-bench.XXXXXX) || exit 1
sock=$dir/fastbootd.sock
"$daemon" -s "$sock" 2>"$dir/fastbootd.log" &
dpid=$!
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
i=0
while [ ! -S "$sock" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $dpid 2>/dev/null; then
		echo "run-benchmark: fastbootd did not start:" >&2
		cat "$dir/fastbootd.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "run-benchmark: fastbootd (pid $dpid) on $sock"

FASTBOOT_SOCKET=$sock
export FASTBOOT_SOCKET
# OpenMPI refuses root and oversubscription unless told.
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_rmaps_base_oversubscribe

mpirun -n "$ranks" "$bench" --out "$outdir" "$@"
rc=$?
if [ $rc -eq 0 ]; then
	echo "run-benchmark: report: $outdir/report.html"
	echo "run-benchmark: raw samples: $outdir/samples.csv," \
	    "summary: $outdir/summary.json"
else
	echo "run-benchmark: benchmark failed (exit $rc); fastbootd log:" \
	    "$dir/fastbootd.log" >&2
	cat "$dir/fastbootd.log" >&2
fi
exit $rc
