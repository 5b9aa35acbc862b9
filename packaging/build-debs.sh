#!/bin/sh
# build-debs.sh - build the Debian packages of fastboot (fastbootd,
# libfastboot-client1, libfastboot-client-dev) with dpkg-buildpackage.
#
# usage: packaging/build-debs.sh [-o OUTDIR] [-c] [TARBALL]
#
#   TARBALL  a "make dist" tarball (fastboot-VERSION.tar.gz); without one,
#            "git archive HEAD" of the repository this script lives in
#   -o DIR   put the packages into DIR (default: a new temporary folder)
#   -c       run the package's build-time tests (default: nocheck, as
#            "make check" covers them)
#
# The tree is unpacked into a temporary folder, packaging/debian is copied
# to debian/, and "dpkg-buildpackage -us -uc -b" runs there.  The .deb,
# .changes and .buildinfo files go to the output folder, whose path is the
# last line printed on standard output.
set -eu

usage() {
	echo "usage: $0 [-o OUTDIR] [-c] [TARBALL]" >&2
	exit 2
}

out=
check=nocheck
while getopts o:ch opt; do
	case $opt in
	o) out=$OPTARG ;;
	c) check= ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
tarball=${1:-}

command -v dpkg-buildpackage >/dev/null 2>&1 || {
	echo "build-debs.sh: dpkg-buildpackage not found (apt-get install dpkg-dev debhelper)" >&2
	exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/fastboot-debs.XXXXXX")
here=$(cd "$(dirname "$0")/.." && pwd)

# configure.ac holds the version as three m4_define()s (fb_major, ...).
version_of() {
	sed -n 's/^m4_define(\[fb_\(major\|minor\|patch\)\], *\[\([0-9]*\)\]).*/\2/p' \
	    "$1/configure.ac" | paste -sd.
}
if [ -n "$tarball" ]; then
	[ -f "$tarball" ] || { echo "build-debs.sh: no such file: $tarball" >&2; exit 1; }
	mkdir "$work/unpack"
	tar -xzf "$tarball" -C "$work/unpack"
	top=$(ls "$work/unpack")
	[ "$(echo "$top" | wc -l)" -eq 1 ] && [ -d "$work/unpack/$top" ] || {
		echo "build-debs.sh: $tarball does not hold one folder" >&2
		exit 1
	}
	version=$(version_of "$work/unpack/$top")
	mv "$work/unpack/$top" "$work/fastboot-$version"
	rmdir "$work/unpack"
	# The orig tarball, as a source build would want it.
	cp "$tarball" "$work/fastboot_$version.orig.tar.gz"
else
	version=$(version_of "$here")
	git -C "$here" archive --format=tar --prefix="fastboot-$version/" HEAD |
	    tar -xf - -C "$work"
fi
[ -n "$version" ] || { echo "build-debs.sh: no version in configure.ac" >&2; exit 1; }
src=$work/fastboot-$version
[ -d "$src/packaging/debian" ] || {
	echo "build-debs.sh: $src has no packaging/debian" >&2
	exit 1
}
rm -rf "$src/debian"
cp -R "$src/packaging/debian" "$src/debian"

jobs=$(nproc 2>/dev/null || echo 1)
echo "build-debs.sh: building fastboot $version in $src (log: $work/build.log)" >&2
if ! (cd "$src" && DEB_BUILD_OPTIONS="$check parallel=$jobs" \
    dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	echo "build-debs.sh: dpkg-buildpackage failed; full log: $work/build.log" >&2
	exit 1
fi

[ -n "$out" ] || out=$work/debs
mkdir -p "$out"
for f in "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo; do
	[ -e "$f" ] && mv "$f" "$out/"
done
rm -rf "$src"
ls "$out" >&2
(cd "$out" && pwd)
