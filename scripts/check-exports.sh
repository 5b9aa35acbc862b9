#!/bin/sh
# check-exports.sh - the symbols libfastboot-client exports are exactly the
# FB_EXPORT functions of fastboot.h and exactly the names in its version
# script, each in a version node.  TAP; make check runs it.
#
#	scripts/check-exports.sh [BUILDDIR [SRCDIR]]
set -u

top=${1:-${top_builddir:-.}}
src=${2:-${top_srcdir:-$(dirname "$0")/..}}
nm=${NM:-nm}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exports.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# header map library: one pair per library that is built
set -- "$top/include/fastboot/fastboot.h $src/libclient/libfastboot-client.map $top/libclient/.libs/libfastboot-client.so"
if [ -e "$top/libclient/.libs/libfastboot-cuda.so" ]; then
	set -- "$@" "$src/include/fastboot/fastboot_cuda.h $src/libclient/libfastboot-cuda.map $top/libclient/.libs/libfastboot-cuda.so"
fi
echo "1..$(($# * 3))"
n=0
status=0
check() {
	n=$((n + 1))
	if cmp -s "$1" "$2"; then
		echo "ok $n - $3"
	else
		echo "not ok $n - $3"
		diff "$1" "$2" | sed 's/^/# /'
		status=1
	fi
}
for set in "$@"; do
	# shellcheck disable=SC2086
	set -- $set
	hdr=$1 map=$2 lib=$3
	name=$(basename "$lib" .so)
	if [ ! -e "$lib" ] || [ ! -e "$hdr" ]; then
		for i in 1 2 3; do
			n=$((n + 1))
			echo "not ok $n - $name: $lib or $hdr is missing (build first)"
		done
		status=1
		continue
	fi
	sed -n 's/^FB_EXPORT[^(]*[ *]\(fb_[a-z0-9_]*\)(.*/\1/p' "$hdr" |
	    sort >"$tmp/hdr"
	awk '/^[ \t]*global:/ { g = 1; next } /^[ \t]*local:/ { g = 0 }
	    /^[ \t]*}/ { g = 0; next }
	    g && /;/ { gsub(/[ \t;]/, ""); print }' "$map" | sort >"$tmp/map"
	"$nm" -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ &&
	    $3 !~ /^FASTBOOT_/ { print $3 }' >"$tmp/dyn"
	sed 's/@.*//' "$tmp/dyn" | sort >"$tmp/lib"
	grep -v '@@\?FASTBOOT_[0-9.]*$' "$tmp/dyn" >"$tmp/unversioned"
	check "$tmp/hdr" "$tmp/map" "$name: the version script names exactly \
the $(wc -l <"$tmp/hdr") FB_EXPORT functions of $(basename "$hdr")"
	check "$tmp/map" "$tmp/lib" "$name: the library exports exactly the \
version script's symbols"
	check /dev/null "$tmp/unversioned" "$name: every exported symbol is in \
a FASTBOOT_* version node"
done
exit $status
