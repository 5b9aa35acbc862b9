#!/bin/sh
# build.sh - from a fresh checkout: install what is missing, configure and
# build out of tree in build/, and leave the benchmark at
# build/bootstrap_benchmark.  Extra arguments go to configure.
#
#   ./build.sh && mpirun -n 8 ./build/bootstrap_benchmark [iterations]
#
# (as root, OpenMPI also wants --allow-run-as-root).  With more ranks than
# CPUs, OpenMPI refuses to start unless oversubscription is allowed: on such
# a machine this script allows it in OpenMPI's per-user parameter file and
# says so.
set -eu
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

if ! ./scripts/install-deps.sh; then
	echo "build: some packages are missing; install them with:" \
	    "sudo $top/scripts/install-deps.sh" >&2
	exit 1
fi
BUILD_DIR=$top/build ./scripts/build.sh "$@"

if [ ! -x build/bench/bootstrap_benchmark ]; then
	echo "build: no benchmark was built (configure found no MPI or no" \
	    "json-c: see build/config.log)" >&2
	exit 1
fi
ln -sfn bench/bootstrap_benchmark build/bootstrap_benchmark

# 8 ranks on fewer CPUs: OpenMPI needs oversubscription allowed.
ranks=8
cpus=$(nproc 2>/dev/null || echo 1)
conf=${HOME:-/root}/.openmpi/mca-params.conf
line='rmaps_base_oversubscribe = 1'
if [ "$cpus" -lt "$ranks" ] && command -v ompi_info >/dev/null 2>&1 &&
    ! grep -qs '^[[:space:]]*rmaps_base_oversubscribe[[:space:]]*=[[:space:]]*\(1\|true\)' \
    "$conf" /etc/openmpi/openmpi-mca-params.conf; then
	if mkdir -p "$(dirname "$conf")" &&
	    printf '# added by %s/build.sh: %d ranks on %d CPUs\n%s\n' \
	    "$top" "$ranks" "$cpus" "$line" >>"$conf"; then
		echo "build: this machine has $cpus CPUs: allowed OpenMPI to" \
		    "run $ranks ranks on them ('$line' in $conf; delete" \
		    "those lines to undo)"
	else
		echo "build: OpenMPI will refuse $ranks ranks on $cpus CPUs:" \
		    "add '$line' to $conf, or add --oversubscribe to" \
		    "mpirun" >&2
	fi
fi

as_root=
[ "$(id -u)" -eq 0 ] && as_root=' --allow-run-as-root'
echo "build: benchmark: mpirun$as_root -n $ranks ./build/bootstrap_benchmark" \
    "[iterations]"
