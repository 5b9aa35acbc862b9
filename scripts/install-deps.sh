#!/bin/sh
# Install what fastboot needs to build, test, benchmark and package on
# Debian 12, with apt-get only.  Run as root (or with sudo).  Skips apt-get
# entirely when everything is already installed.
set -eu

PACKAGES="
	build-essential autoconf automake libtool pkg-config
	libevent-dev libsystemd-dev libsodium-dev
	openmpi-bin libopenmpi-dev libpmix-dev libjson-c-dev
	gnuplot-nox
	systemd strace valgrind clang libclang-rt-14-dev
	debhelper devscripts dpkg-dev fakeroot lintian man-db binutils
	procps psmisc util-linux file git ca-certificates
	debootstrap systemd-container wget
"

missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "install-deps: run as root to install:$missing" >&2
	exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
