#!/bin/sh
# units_test.sh - the systemd units as "make install" leaves them: in
# $(systemdsystemunitdir), not enabled, passing "systemd-analyze verify"
# (with our man pages on MANPATH, so Documentation= is checked too), with a
# small exposure in "systemd-analyze security", and a SystemCallFilter= /
# MemoryDenyWriteExecute= / RestrictAddressFamilies= that allow everything
# fastbootd really does (traced with strace while it serves a job).
set -u
: "${top_builddir:?}" "${top_srcdir:?}" "${sbindir:?}"
: "${systemdsystemunitdir:?}"
sa=${SYSTEMD_ANALYZE:-}
if [ -z "$sa" ] || [ ! -x "$sa" ]; then
	echo "1..0 # SKIP systemd-analyze not found"
	exit 0
fi
# Bound the whole test: timeout kills it and all it started at 300 s.
if [ -z "${FB_TEST_BOUNDED:-}" ]; then
	FB_TEST_BOUNDED=1 exec timeout -k 10 300 "$0" "$@"
fi
echo "1..10"
tmp=$(mktemp -d /tmp/fbunits.XXXXXX)
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$top_srcdir/tests/lib/wait_daemon.sh"
trap 'echo "Bail out! interrupted"; exit 1' INT TERM
n=0
ok() {	# ok CONDITION-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
diag() { sed 's/^/# /' "$@"; }

dest=$tmp/root
timeout 300 ${MAKE:-make} -C "$top_builddir" install DESTDIR="$dest" \
    >"$tmp/install.log" 2>&1
rc=$?
ok $rc "make install into a DESTDIR"
[ $rc -eq 0 ] || { diag "$tmp/install.log" | tail -n 20; exit 1; }

unitdir=$dest$systemdsystemunitdir
test -f "$unitdir/fastbootd.socket" && test -f "$unitdir/fastbootd.service"
ok $? "units installed into $systemdsystemunitdir"

# Enabling is the administrator's (or the package's) business.
find "$dest" -name '*.wants' -o -name '*.requires' >"$tmp/enabled"
test ! -s "$tmp/enabled"
ok $? "make install enables nothing"
diag "$tmp/enabled"

grep -qx "ExecStart=$sbindir/fastbootd" "$unitdir/fastbootd.service" &&
    ! grep -q '@[a-z]*@' "$unitdir/fastbootd.service"
ok $? "fastbootd.service runs $sbindir/fastbootd"

# Verify a copy whose ExecStart= points into the DESTDIR (verify checks
# that the program exists); man pages from the DESTDIR.
mkdir "$tmp/units"
cp "$unitdir/fastbootd.socket" "$tmp/units/"
sed "s|^ExecStart=|ExecStart=$dest|" "$unitdir/fastbootd.service" \
    >"$tmp/units/fastbootd.service"
mandir=$(dirname "$(dirname "$(find "$dest" -name fastbootd.8 | head -n 1)")")
MANPATH=$mandir timeout 60 "$sa" verify "$tmp/units/fastbootd.socket" \
    "$tmp/units/fastbootd.service" >"$tmp/verify.log" 2>&1
ok $? "systemd-analyze verify fastbootd.socket fastbootd.service"
diag "$tmp/verify.log"

if timeout 60 "$sa" security --offline=yes "$tmp/units/fastbootd.service" \
    >"$tmp/security.log" 2>&1; then
	level=$(sed -n 's/.*Overall exposure level for fastbootd.service: \([0-9.]*\).*/\1/p' \
	    "$tmp/security.log")
	awk -v l="${level:-99}" 'BEGIN { exit !(l <= 2.5) }'
	ok $? "systemd-analyze security: exposure ${level:-?} (at most 2.5)"
	grep '✗' "$tmp/security.log" | cut -c1-100 | diag
else
	n=$((n + 1)); echo "ok $n # SKIP systemd-analyze security --offline unsupported"
fi

# What fastbootd does while serving a job, against what the unit allows.
if ! command -v strace >/dev/null 2>&1; then
	for i in 7 8 9 10; do
		n=$((n + 1)); echo "ok $n # SKIP strace not found"
	done
	exit 0
fi
sock=$tmp/fastbootd.sock
NOTIFY_SOCKET=$tmp/notify WATCHDOG_USEC=200000 timeout 120 \
    strace -f -qq -o "$tmp/trace" "$dest$sbindir/fastbootd" -s "$sock" \
    2>"$tmp/daemon.log" &
daemon=$!
wait_daemon "$sock" "$top_builddir/tools/fastbootctl"
FASTBOOT_SOCKET=$sock timeout 60 "$top_builddir/examples/hello" 4 \
    >"$tmp/hello.log" 2>&1
hello=$?
timeout 20 "$dest$sbindir/../bin/fastbootctl" -s "$sock" status >/dev/null 2>&1 ||
    timeout 20 "$top_builddir/tools/fastbootctl" -s "$sock" jobs >/dev/null 2>&1
kill -TERM "$daemon"
wait "$daemon"
daemon=
test $hello -eq 0 && grep -q memfd_create "$tmp/trace"
ok $? "a 4-rank job ran through fastbootd under strace (rank tables made)"
[ $hello -eq 0 ] || diag "$tmp/hello.log" "$tmp/daemon.log"

expand() {
	"$sa" syscall-filter "$1" | sed '1d; /^ *#/d; s/^ *//; /^$/d' |
	while read -r s; do
		case $s in
		@*) expand "$s" ;;
		*) echo "$s" ;;
		esac
	done
}
# The unit's filter: @system-service minus @privileged (execve is always
# allowed: systemd applies the filter before it executes the service).
expand @system-service | sort -u >"$tmp/service"
expand @privileged | sort -u >"$tmp/privileged"
{ comm -23 "$tmp/service" "$tmp/privileged"; echo execve; } | sort -u \
    >"$tmp/allowed"
sed -n 's/^[0-9][0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$tmp/trace" | sort -u \
    >"$tmp/used"
comm -23 "$tmp/used" "$tmp/allowed" >"$tmp/denied"
test -s "$tmp/used" && test ! -s "$tmp/denied"
ok $? "SystemCallFilter=@system-service ~@privileged allows all $(wc -l <"$tmp/used") system calls fastbootd made"
diag "$tmp/denied"

# MemoryDenyWriteExecute=: no writable+executable mapping, no mprotect to
# executable (memfd_create and shared read/write maps are fine).
grep -E '(mmap|mprotect|pkey_mprotect)\(.*PROT_EXEC' "$tmp/trace" |
    grep -E 'PROT_WRITE|mprotect' >"$tmp/wx"
test ! -s "$tmp/wx"
ok $? "MemoryDenyWriteExecute=yes: no W+X mapping, no mprotect(PROT_EXEC)"
diag "$tmp/wx"

# RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6.
sed -n 's/^[0-9][0-9]* *socket(\(AF_[A-Z0-9]*\).*/\1/p' "$tmp/trace" |
    sort -u >"$tmp/families"
grep -vxE 'AF_UNIX|AF_INET|AF_INET6' "$tmp/families" >"$tmp/badfam"
test ! -s "$tmp/badfam"
ok $? "RestrictAddressFamilies= covers the sockets fastbootd made ($(tr '\n' ' ' <"$tmp/families"))"
diag "$tmp/badfam"
