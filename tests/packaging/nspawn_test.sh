#!/bin/sh
# nspawn_test.sh - fastbootd the way users run it: the project's Debian
# packages installed with dpkg into a minimal Debian 12 root, booted with
# systemd-nspawn so that a real systemd is PID 1.  tests/packaging/
# nspawn_probe.sh runs inside (as fastboot-probe.service) and checks the
# socket unit after install, socket activation, DynamicUser, an 8-rank job,
# fastbootctl, the journal priorities, a restart under load, the watchdog,
# a clean stop, the live "systemd-analyze security" figure, removal and
# reinstall; it writes one TAP line per check into the root, and this
# script prints them as its own.
#
# The pristine root (debootstrap --variant=minbase, plus systemd, dbus and
# libevent) is cached as a tarball in $FASTBOOT_TEST_CACHE (default
# /var/cache/fastboot-test; made when missing, from the Debian mirror apt's
# sources name); each run boots a copy in /var/tmp, removed at the end.  The
# packages come from tests/packaging/debs.sh (shared with debs_test.sh).
#
# Skipped (saying what is missing) when not root, without systemd-nspawn,
# debootstrap or the package build tools, when the root is not cached and
# the archive does not answer, under distcheck (read-only source tree), or
# with FASTBOOT_TEST_NSPAWN=0; "make check-nspawn" runs it alone.
# With the root cached and the packages built (by debs_test.sh in the same
# build tree) it takes 85 s on a 2-core machine at load 45, the container
# 55 s of it; every step is bounded (below).
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
t_start=${FB_NSPAWN_T0:-$(date +%s)}
PROBE_CHECKS=16		# the ok/not ok lines nspawn_probe.sh writes
ROOT_VERSION=2		# bump when the root's package list changes
# systemd, and the run-time dependencies of the fastbootd and
# libfastboot-client1 packages (the container has no network for apt-get).
ROOT_INCLUDE=systemd,systemd-sysv,dbus,libevent-2.1-7,libsodium23
SUITE=bookworm

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
[ "${FASTBOOT_TEST_NSPAWN:-}" != 0 ] || skip_all "FASTBOOT_TEST_NSPAWN=0"
if [ -z "$(find "$top_srcdir/configure.ac" -perm -u=w 2>/dev/null)" ] &&
    [ "${FASTBOOT_TEST_NSPAWN:-}" != 1 ]; then
	skip_all "read-only source tree (distcheck); make check-nspawn runs it"
fi
[ "$(id -u)" -eq 0 ] || skip_all "not root (systemd-nspawn needs root)"
for t in systemd-nspawn debootstrap dpkg-buildpackage dpkg-deb \
    dpkg-checkbuilddeps pkg-config tar timeout; do
	command -v $t >/dev/null 2>&1 || skip_all "$t not found"
done
dpkg-checkbuilddeps "$top_srcdir/packaging/debian/control" >/dev/null 2>&1 ||
    skip_all "build dependencies missing: $(dpkg-checkbuilddeps \
	"$top_srcdir/packaging/debian/control" 2>&1 | tr '\n' ' ')"
want=$(sed -n 's/.*exposure level \([0-9][0-9.]*\).*/\1/p' \
    "$top_srcdir/README.md" | head -n 1)
[ -n "$want" ] || { echo "Bail out! README.md states no \"exposure level N\""; exit 1; }

cache=${FASTBOOT_TEST_CACHE:-/var/cache/fastboot-test}
cached=$cache/$SUITE-minbase-$ROOT_VERSION.tar
# The archive apt uses (its sources, read now), unless given.
mirror=${FASTBOOT_TEST_MIRROR:-}
if [ ! -f "$cached" ]; then
	[ -n "$mirror" ] || mirror=$(apt-get indextargets --no-release-info \
	    --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null |
	    awk -v s=$SUITE '$2 == s && $3 == "main" { print $1; exit }')
	[ -n "$mirror" ] || skip_all "no $SUITE main source in apt's sources; set FASTBOOT_TEST_MIRROR"
	mirror=${mirror%/}
	if command -v wget >/dev/null 2>&1; then
		get="wget -q -O /dev/null"
	else
		get="curl -fsS -o /dev/null"
	fi
	timeout 20 $get "$mirror/dists/$SUITE/InRelease" >/dev/null 2>&1 ||
	    skip_all "the Debian archive $mirror does not answer (no cached root in $cache)"
fi

# Each step is bounded: the package build 600 s (when not built yet: 35 s
# idle, 280 s on a 2-core machine at load 30), debootstrap 600 s (when the
# root is not cached: 45 s idle, 390 s at load 30), the container 150 s
# (55 s at load 30); the whole test 1500 s.
if [ -z "${FB_NSPAWN_BOUNDED:-}" ]; then
	FB_NSPAWN_BOUNDED=1 FB_NSPAWN_T0=$t_start \
	    exec timeout -k 60 1500 "$0" "$@"
fi

echo "1..$((PROBE_CHECKS + 4))"
# The container roots of runs that were killed before their cleanup.
for old in /var/tmp/fbnspawn.*; do
	[ -f "$old/pid" ] && ! kill -0 "$(cat "$old/pid")" 2>/dev/null &&
	    rm -rf "$old"
done
tmp=$(mktemp -d /var/tmp/fbnspawn.XXXXXX)
echo $$ >"$tmp/pid"
root=$tmp/root
nspawn=
cleanup() {
	if [ -n "$nspawn" ]; then
		kill "$nspawn" 2>/dev/null
		# nspawn ends the container when it ends; bound the wait.
		i=0
		while kill -0 "$nspawn" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$nspawn" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "Bail out! interrupted"; exit 1' INT TERM
n=0
ok() {	# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
diag() { sed 's/^/# /' "$@"; }
secs() { echo $(( $(date +%s) - $1 )); }
bail() { echo "Bail out! $*"; exit 1; }

# 1. The packages.
. "$top_srcdir/tests/packaging/debs.sh"
debs_ready "$tmp"
rc=$?
ok $rc "the packages in $debs ($debs_how)"
if [ $rc -ne 0 ]; then
	cat "$tmp/dist.log" "$tmp/build.err" 2>/dev/null | diag | tail -n 40
	bail "no packages"
fi
deb() { ls "$debs"/"$1"_*.deb 2>/dev/null | head -n 1; }

# 2. The root: the cached tarball, made first when missing (a lock keeps two
# runs from making it at once).
t0=$(date +%s)
mkdir -p "$cache" || bail "cannot make $cache"
how=
{
	flock -w 600 9 || bail "$cache/lock held for 600 s"
	if [ ! -f "$cached" ]; then
		rm -rf "$cache/root.new"
		timeout 600 debootstrap --variant=minbase \
		    --include=$ROOT_INCLUDE $SUITE "$cache/root.new" "$mirror" \
		    >"$tmp/debootstrap.log" 2>&1 &&
		    tar -C "$cache/root.new" -cf "$cached.new" . &&
		    rm -f "$cache/$SUITE"-minbase-*.tar &&
		    mv "$cached.new" "$cached"
		rc=$?
		rm -rf "$cache/root.new" "$cached.new"
		if [ $rc -ne 0 ]; then
			ok 1 "debootstrap --variant=minbase $SUITE from $mirror"
			tail -n 20 "$tmp/debootstrap.log" | diag
			bail "no root"
		fi
		how="made by debootstrap from $mirror and cached in $(secs $t0) s, "
	fi
} 9>"$cache/lock"
t1=$(date +%s)
mkdir "$root" && tar -C "$root" -xf "$cached"
ok $? "a copy of $cached (${how}unpacked in $(secs $t1) s, $(du -sm "$root" | cut -f1) MB)"

# 3. What the probe needs: the packages, two clients built against the
# packaged library, the exposure README.md states, the probe unit.
p=$root/var/tmp/fbprobe
mkdir -p "$p" "$tmp/dev"
for pkg in fastbootd libfastboot-client1 libfastboot-client-dev; do
	[ -n "$(deb $pkg)" ] || bail "no $pkg package in $debs"
	dpkg-deb -x "$(deb $pkg)" "$tmp/dev"
done
cp "$(deb fastbootd)" "$(deb libfastboot-client1)" "$p/"
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
pc() {
	PKG_CONFIG_SYSROOT_DIR=$tmp/dev \
	PKG_CONFIG_LIBDIR=$tmp/dev/usr/lib/$ma/pkgconfig \
	    pkg-config "$@" libfastboot-client
}
cflags=$(pc --cflags) && libs=$(pc --libs) &&
    ${CC:-cc} -o "$p/hello" \
    "$tmp/dev/usr/share/doc/libfastboot-client-dev/examples/hello.c" \
    $cflags $libs >"$tmp/cc.log" 2>&1 &&
    ${CC:-cc} -o "$p/partial" "$top_srcdir/tests/packaging/partial.c" \
    $cflags $libs >>"$tmp/cc.log" 2>&1 &&
    cp "$top_srcdir/tests/packaging/nspawn_probe.sh" "$p/probe.sh" &&
    chmod 0755 "$p" "$p/probe.sh" "$p/hello" "$p/partial" &&
    echo "$want" >"$p/exposure"
rc=$?
cat >"$root/etc/systemd/system/fastboot-probe.service" <<'UNIT'
[Unit]
Description=fastboot test probe (tests/packaging/nspawn_probe.sh)
After=multi-user.target
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=exec
ExecStart=/var/tmp/fbprobe/probe.sh
RuntimeMaxSec=120
UNIT
mkdir -p "$root/etc/systemd/system/multi-user.target.wants" &&
    ln -s ../fastboot-probe.service \
    "$root/etc/systemd/system/multi-user.target.wants/" &&
    [ $rc -eq 0 ]
ok $? "hello and partial built against the packaged library, the probe unit in the root"
diag "$tmp/cc.log"

# 4. Boot.  No systemd and no system bus on the host: --register=no
# --keep-unit; the container's /tmp is a fresh tmpfs, hence /var/tmp.
t0=$(date +%s)
timeout -k 5 150 systemd-nspawn -q -D "$root" -M "fbtest-$$" --register=no \
    --keep-unit --console=pipe --private-network -b >"$tmp/console.log" 2>&1 &
nspawn=$!
wait "$nspawn"
rc=$?
nspawn=
grep -qx done "$p/result.tap" 2>/dev/null && [ $rc -eq 0 ]
ok $? "systemd-nspawn -b: the probe ran and the container powered off (exit $rc, $(secs $t0) s)"
[ $rc -eq 0 ] || tail -n 20 "$tmp/console.log" | diag

# 5... The probe's checks, numbered here.
m=0
if [ -f "$p/result.tap" ]; then
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok 0 "${line#ok - }"; m=$((m + 1)) ;;
		"not ok - "*) ok 1 "${line#not ok - }"; m=$((m + 1)) ;;
		"#"*) echo "$line" ;;
		esac
	done <"$p/result.tap"
fi
if [ $m -ne $PROBE_CHECKS ]; then
	while [ $m -lt $PROBE_CHECKS ]; do
		ok 1 "probe check $((m + 1)) of $PROBE_CHECKS did not run"
		m=$((m + 1))
	done
	echo "# the probe's log:"
	tail -n 30 "$p/probe.log" 2>/dev/null | diag
fi
echo "# $(secs "$t_start") s in all"
