#!/bin/sh
# Configure and build fastboot out of tree in build/ (or $BUILD_DIR).
# Extra arguments go to configure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
jobs=$(nproc 2>/dev/null || echo 2)

cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ $# -gt 0 ]; then
	"$top/configure" --enable-werror "$@"
fi
make -j"$jobs"
echo "build: done in $build"
