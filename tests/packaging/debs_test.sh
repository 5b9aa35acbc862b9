#!/bin/sh
# debs_test.sh - the Debian packages as a new user meets them: build them
# from "make dist" with packaging/build-debs.sh (once per state of the
# tree: tests/packaging/debs.sh, shared with nspawn_test.sh), check their
# contents and maintainer scripts (the socket is enabled, the service is
# not), unpack them into a private root, build examples/hello.c with the
# installed header and "pkg-config --libs libfastboot-client", run an
# 8-rank job against the installed fastbootd (socket-activated when
# systemd-socket-activate is there), see the installed fastbootctl name a
# missing rank, verify the installed units, and run lintian expecting no
# errors.
#
# Slow (a full package build: 35-100 s on 2 cores): skipped where
# dpkg-buildpackage or the build dependencies are missing, under distcheck
# (read-only source tree), or with FASTBOOT_TEST_DEBS=0; "make check-debs"
# runs it alone.  Bounded to 1200 s (480 s ran out at load ~30).
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
if [ "${FASTBOOT_TEST_DEBS:-}" = 0 ]; then
	echo "1..0 # SKIP FASTBOOT_TEST_DEBS=0"
	exit 0
fi
# distcheck makes the source files read-only (mode bits: -w is always true
# for root).
if [ -z "$(find "$top_srcdir/configure.ac" -perm -u=w 2>/dev/null)" ] &&
    [ "${FASTBOOT_TEST_DEBS:-}" != 1 ]; then
	echo "1..0 # SKIP read-only source tree (distcheck); make check-debs runs it"
	exit 0
fi
for t in dpkg-buildpackage dpkg-deb dpkg-checkbuilddeps pkg-config; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "1..0 # SKIP $t not found"
		exit 0
	fi
done
if ! dpkg-checkbuilddeps "$top_srcdir/packaging/debian/control" \
    >/dev/null 2>&1; then
	echo "1..0 # SKIP build dependencies missing: $(dpkg-checkbuilddeps \
	    "$top_srcdir/packaging/debian/control" 2>&1 | tr '\n' ' ')"
	exit 0
fi
if [ -z "${FB_DEBS_BOUNDED:-}" ]; then
	FB_DEBS_BOUNDED=1 exec timeout -k 10 1200 "$0" "$@"
fi

echo "1..13"
tmp=$(mktemp -d /tmp/fbdebs.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$top_srcdir/tests/lib/wait_daemon.sh"
trap 'echo "Bail out! interrupted"; exit 1' INT TERM
n=0
ok() {	# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
diag() { sed 's/^/# /' "$@"; }
secs() { echo $(( $(date +%s) - $1 )); }

# 1. Build (or reuse what another test of this build tree built).
. "$top_srcdir/tests/packaging/debs.sh"
debs_ready "$tmp"
rc=$?
ok $rc "build-debs.sh built the packages into $debs ($debs_how)"
if [ $rc -ne 0 ]; then
	cat "$tmp/dist.log" "$tmp/build.err" 2>/dev/null | diag | tail -n 40
	exit 1
fi
deb() { ls "$debs"/"$1"_*.deb 2>/dev/null | head -n 1; }
for p in fastbootd libfastboot-client1 libfastboot-client-dev; do
	[ -n "$(deb $p)" ] || { echo "Bail out! no $p package"; exit 1; }
done

# 2-4. Contents.
has() {	# has PACKAGE PATH...
	pkg=$1; shift
	dpkg-deb -c "$(deb "$pkg")" | awk '{print $6}' | sed 's|^\./|/|' \
	    >"$tmp/$pkg.list"
	for f in "$@"; do
		grep -qx "$f" "$tmp/$pkg.list" ||
		    { echo "# $pkg lacks $f"; return 1; }
	done
}
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
has fastbootd /usr/sbin/fastbootd /usr/bin/fastbootctl \
    /lib/systemd/system/fastbootd.socket /lib/systemd/system/fastbootd.service \
    /lib/systemd/system/fastbootd-tcp.socket \
    /usr/share/man/man8/fastbootd.8.gz /usr/share/man/man1/fastbootctl.1.gz
ok $? "fastbootd: daemon, fastbootctl, units, man pages"
has libfastboot-client1 /usr/lib/$ma/libfastboot-client.so.1 \
    /usr/lib/$ma/libfastboot-client.so.1.1.0 &&
    ! grep -q '\.so$\|/include/' "$tmp/libfastboot-client1.list"
ok $? "libfastboot-client1: the shared library only"
has libfastboot-client-dev /usr/include/fastboot/fastboot.h \
    /usr/lib/$ma/libfastboot-client.so \
    /usr/lib/$ma/pkgconfig/libfastboot-client.pc \
    /usr/share/man/man3/fastboot.3.gz /usr/share/man/man3/fb_comm_init.3.gz
ok $? "libfastboot-client-dev: header, .so, .pc, fastboot(3)"

# 5. The package enables the socket, never the service.
dpkg-deb -e "$(deb fastbootd)" "$tmp/control"
grep -q "deb-systemd-helper enable 'fastbootd.socket'" "$tmp/control/postinst" &&
    grep -q "deb-systemd-invoke \$_dh_action 'fastbootd.socket'" \
    "$tmp/control/postinst" &&
    ! grep -B3 "deb-systemd-helper enable 'fastbootd.service'" \
    "$tmp/control/postinst" | grep -q "was-enabled defaults to true" &&
    ! grep -q "invoke [^ ]* 'fastbootd.service'" "$tmp/control/postinst"
ok $? "postinst enables and starts fastbootd.socket, not fastbootd.service"

# 6. Symbols: exactly the fb_* calls, each in a FASTBOOT_0.x node.
dpkg-deb -x "$(deb libfastboot-client1)" "$tmp/root"
dpkg-deb -x "$(deb libfastboot-client-dev)" "$tmp/root"
dpkg-deb -x "$(deb fastbootd)" "$tmp/root"
root=$tmp/root
objdump -T "$root/usr/lib/$ma/libfastboot-client.so.1" |
    awk '$4 != "*UND*" && $NF != "" && $(NF-1) ~ /FASTBOOT_0\.[0-9]/ {print $NF}' |
    sort >"$tmp/exported"
grep -v '^fb_\|^FASTBOOT_0\.[0-9]*$' "$tmp/exported" >"$tmp/strays"
test -s "$tmp/exported" && test ! -s "$tmp/strays" &&
    dpkg-deb -I "$(deb libfastboot-client1)" symbols >"$tmp/symbols" 2>&1 &&
    [ "$(grep -c '@FASTBOOT_0\.[0-9]' "$tmp/symbols")" -eq "$(wc -l <"$tmp/exported")" ]
ok $? "libfastboot-client.so.1 exports $(grep -c '^fb_' "$tmp/exported") fb_* symbols under FASTBOOT_0.x, all in its .symbols"
diag "$tmp/strays"

# 7. A program built as a user would, from the installed files only.
pc() {
	PKG_CONFIG_SYSROOT_DIR=$root \
	PKG_CONFIG_LIBDIR=$root/usr/lib/$ma/pkgconfig \
	    pkg-config "$@" libfastboot-client
}
cflags=$(pc --cflags) && libs=$(pc --libs) &&
    ${CC:-cc} -Wall -Wextra -Werror -o "$tmp/hello" \
    "$root/usr/share/doc/libfastboot-client-dev/examples/hello.c" \
    $cflags $libs >"$tmp/cc.log" 2>&1
ok $? "examples/hello.c builds with the installed header and pkg-config --cflags --libs libfastboot-client ($cflags $libs)"
diag "$tmp/cc.log"

# 8-9. The installed daemon, started the way fastbootd.socket would.
export LD_LIBRARY_PATH=$root/usr/lib/$ma
sock=$tmp/fastbootd.sock
ssa=${SYSTEMD_SOCKET_ACTIVATE:-}
if [ -n "$ssa" ] && [ -x "$ssa" ]; then
	how="socket-activated by systemd-socket-activate"
	"$ssa" -l "$sock" "$root/usr/sbin/fastbootd" -s "$sock" \
	    2>"$tmp/daemon.log" &
else
	how="listening on its own socket"
	"$root/usr/sbin/fastbootd" -s "$sock" 2>"$tmp/daemon.log" &
fi
pids="$pids $!"
wait_daemon "$sock" "$root/usr/bin/fastbootctl"
ldd "$tmp/hello" | grep -q "$root/usr/lib/$ma/libfastboot-client.so.1" &&
    FASTBOOT_SOCKET=$sock timeout 60 "$tmp/hello" 8 >"$tmp/hello.log" 2>&1 &&
    grep -q '^8 ranks done, 0 failed' "$tmp/hello.log"
ok $? "an 8-rank job with the installed library and fastbootd ($how)"
grep '^rank 0/8\|ranks done' "$tmp/hello.log" | diag
fbctl=$root/usr/bin/fastbootctl
timeout 20 "$fbctl" -s "$sock" status >"$tmp/status" 2>&1 &&
    grep -q "collectives: *[1-9]" "$tmp/status"
ok $? "installed fastbootctl status counts the collectives served"
diag "$tmp/status"

# 10. A job that waits for a rank that never starts.
${CC:-cc} -o "$tmp/partial" "$top_srcdir/tests/packaging/partial.c" \
    $cflags $libs &&
    { FASTBOOT_SOCKET=$sock FASTBOOT_TIMEOUT_MS=60000 setsid "$tmp/partial" 8 &
      pids="$pids $!"; partial=$!; }
found=1
i=0
while [ $i -lt 400 ]; do
	if timeout 20 "$fbctl" -s "$sock" jobs >"$tmp/jobs" 2>&1 &&
	    grep -q "registered: *7 of 8" "$tmp/jobs"; then
		grep -q "waiting .* for rank 7$" "$tmp/jobs"
		found=$?
		break
	fi
	sleep 0.05
	i=$((i + 1))
done
ok $found "installed fastbootctl jobs shows the job waiting for its missing rank 7"
diag "$tmp/jobs"
[ -n "${partial:-}" ] && kill -- -"$partial" 2>/dev/null

# 11. The installed units.
sa=${SYSTEMD_ANALYZE:-}
if [ -n "$sa" ] && [ -x "$sa" ]; then
	mkdir "$tmp/units"
	cp "$root/lib/systemd/system/fastbootd.socket" "$tmp/units/"
	sed "s|^ExecStart=|ExecStart=$root|" \
	    "$root/lib/systemd/system/fastbootd.service" \
	    >"$tmp/units/fastbootd.service"
	MANPATH=$root/usr/share/man timeout 60 "$sa" verify \
	    "$tmp/units/fastbootd.socket" "$tmp/units/fastbootd.service" \
	    >"$tmp/verify.log" 2>&1 &&
	    grep -qx "ExecStart=/usr/sbin/fastbootd" \
	    "$root/lib/systemd/system/fastbootd.service"
	ok $? "systemd-analyze verify: the packaged units (ExecStart=/usr/sbin/fastbootd)"
	diag "$tmp/verify.log"
else
	skip "systemd-analyze not found"
fi

# 12-13. lintian.
if command -v lintian >/dev/null 2>&1; then
	t0=$(date +%s)
	timeout 300 lintian --allow-root --fail-on error --info \
	    "$debs"/*.changes >"$tmp/lintian.log" 2>&1
	rc=$?
	! grep -q '^E:' "$tmp/lintian.log"
	ok $? "lintian: no errors ($(grep -c '^W:' "$tmp/lintian.log") warnings, $(secs $t0) s)"
	ok $rc "lintian --fail-on error exits 0"
	diag "$tmp/lintian.log"
else
	skip "lintian not found"
	skip "lintian not found"
fi
