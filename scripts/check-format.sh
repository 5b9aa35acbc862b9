#!/bin/sh
# check-format.sh - the house layout's mechanical rules on every C and C++
# source of the tree, as TAP: one test per rule, each offending line named.
#
#	scripts/check-format.sh [SRCDIR]	(default: $top_srcdir, else $srcdir, else .)
#
# The rules: no line over 80 columns (tabs at 8); no trailing white space;
# indentation by tabs (a line never starts with eight spaces); a function
# definition's type on a line of its own (a line that starts a definition at
# column 0 holds the name and its parameters, not the type).  .clang-format
# formats new code close to this style in an editor, but clang-format 14
# cannot express KNF's continued string literals, so CI checks these rules
# instead (doc/decisions.md).
set -u

top=${1:-${top_srcdir:-${srcdir:-.}}}
cd "$top" || exit 99
files=$(find daemon libclient wire tools include bench tests examples \
    -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' -o -name '*.hpp' \
    -o -name '*.h.in' \) ! -path 'tests/fuzz/corpus/*' ! -name 'config.h' \
    ! -name 'buildinfo.h' ! -path 'include/fastboot/fastboot.h' 2>/dev/null | sort)
[ -n "$files" ] || { echo "1..0 # SKIP no sources under $top"; exit 0; }

status=0
n=0
rule() {
	n=$((n + 1))
	if [ -s "$tmp" ]; then
		sed 's/^/# /' "$tmp"
		echo "not ok $n - $1: $(wc -l <"$tmp") lines"
		status=1
	else
		echo "ok $n - $1"
	fi
}
tmp=$(mktemp "${TMPDIR:-/tmp}/fmt.XXXXXX") || exit 99
trap 'rm -f "$tmp"' EXIT INT TERM

echo "1..4"
# shellcheck disable=SC2086
for f in $files; do
	expand -t8 "$f" | awk -v f="$f" \
	    'length($0) > 80 { print f ":" NR ": " length($0) " columns" }'
done >"$tmp"
rule "no line over 80 columns"
# shellcheck disable=SC2086
grep -nHE '[[:space:]]+$' $files >"$tmp"
rule "no trailing white space"
# shellcheck disable=SC2086
grep -nHE '^        ' $files >"$tmp"
rule "indentation by tabs"
# A definition at column 0 whose type stands before its name on one line:
# "static int foo(" or "int foo(" followed by a line with "{" alone.
# shellcheck disable=SC2086
awk 'FNR == 1 { prev = "" }
    /^\{$/ && prev ~ /^[A-Za-z_][A-Za-z0-9_ \t\*]*[ \t\*][A-Za-z_][A-Za-z0-9_]*\(/ &&
    prev !~ /^(return|else|typedef|struct [A-Za-z_]+ \{|enum|union)/ &&
    prev !~ /^[A-Z_]+\(/ {
	print FILENAME ":" FNR - 1 ": " prev
    }
    { if ($0 !~ /^[ \t]/ || $0 ~ /^\{$/) prev = $0 }' \
    $(echo "$files" | grep -vE '\.(cc|hpp)$') >"$tmp"
rule "a definition's type on its own line"
exit $status
