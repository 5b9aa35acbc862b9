#!/bin/sh
# deps.sh - which file of daemon/ and libclient/ calls into which, read from
# the built objects' defined and undefined symbols (nm), and whether those
# calls form a cycle.  Prints TAP (the edges as comments, one test per
# directory) and exits non-zero on a cycle, so `make check` runs it.
#
#	scripts/deps.sh [BUILDDIR]	(default: $top_builddir, else .)
#
# An object's file is its name less libtool's "target-" prefix:
# daemon/.libs/libfastbootd_la-conn.o is daemon/conn.c.
set -u

top=${1:-${top_builddir:-.}}
nm=${NM:-nm}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/deps.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "1..2"
n=0
status=0
for dir in daemon libclient; do
	n=$((n + 1))
	: >"$tmp/def"
	: >"$tmp/undef"
	nobj=0
	# Prefer libtool's PIC copy; a non-PIC twin names the same file.
	for o in $(find "$top/$dir" -name '*.o' 2>/dev/null | sort); do
		base=$(basename "$o" .o)
		file="$dir/${base##*-}.c"
		if grep -qx "$file" "$tmp/seen" 2>/dev/null; then
			continue
		fi
		echo "$file" >>"$tmp/seen"
		nobj=$((nobj + 1))
		"$nm" --defined-only -g "$o" | awk -v f="$file" \
		    'NF == 3 { print $3, f }' >>"$tmp/def"
		"$nm" -u "$o" | awk -v f="$file" '{ print $NF, f }' \
		    >>"$tmp/undef"
	done
	if [ "$nobj" -eq 0 ]; then
		echo "not ok $n - $dir/: no objects under $top/$dir (build first)"
		status=1
		continue
	fi
	# caller callee symbol, for every undefined symbol another file defines
	sort -k1,1 "$tmp/def" >"$tmp/def.s"
	sort -k1,1 "$tmp/undef" >"$tmp/undef.s"
	join "$tmp/undef.s" "$tmp/def.s" |
	    awk '$2 != $3 { print $2, $3, $1 }' | sort >"$tmp/calls"
	awk '{ k = $1 " -> " $2; if (!(k in s)) { o[++n] = k; s[k] = $3 }
	    else s[k] = s[k] " " $3 }
	    END { for (i = 1; i <= n; i++) print "# " o[i] ": " s[o[i]] }' \
	    "$tmp/calls"
	awk '{ print $1, $2 }' "$tmp/calls" | sort -u >"$tmp/edges"
	# Files with no edge still count: pair each with itself for tsort.
	sed 's/.* //' "$tmp/def" | sort -u | awk '{ print $1, $1 }' \
	    >>"$tmp/edges"
	if tsort "$tmp/edges" >"$tmp/order" 2>"$tmp/loop"; then
		echo "ok $n - $dir/: $nobj files, $(awk '$1 != $2' \
		    "$tmp/edges" | wc -l) edges, no cycle"
	else
		sed 's/^/# /' "$tmp/loop"
		echo "not ok $n - $dir/: the calls between its files form a cycle"
		status=1
	fi
	rm -f "$tmp/seen"
done
exit $status
