#!/bin/sh
# An 8-rank job built only from the installed header and pkg-config, run
# against the installed fastbootd: make install into a private DESTDIR.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
echo "1..4"
tmp=$(mktemp -d /tmp/fbinstall.XXXXXX)
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

. "$top_srcdir/tests/lib/wait_daemon.sh"

dest=$tmp/root
if make -C "$top_builddir" install DESTDIR="$dest" >"$tmp/install.log" 2>&1
then
	echo "ok 1 - make install into a DESTDIR"
else
	echo "not ok 1 - make install into a DESTDIR"
	sed 's/^/# /' "$tmp/install.log" | tail -n 20
	exit 1
fi
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/libclient/libfastboot-client.pc")
pcdir=$(dirname "$(find "$dest" -name libfastboot-client.pc | head -n 1)")
# pkg-config's sysroot turns the .pc's paths into the DESTDIR's.
cflags=$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest \
    pkg-config --cflags libfastboot-client)
libs=$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest \
    pkg-config --libs libfastboot-client)
libdir=$(echo "$libs" | tr ' ' '\n' | sed -n 's/^-L//p' | head -n 1)
if ${CC:-cc} -Wall -Wextra -Werror -o "$tmp/hello" \
    "$top_srcdir/examples/hello.c" $cflags $libs \
    -Wl,-rpath,"$libdir" 2>"$tmp/cc.log"; then
	echo "ok 2 - examples/hello.c builds with pkg-config --cflags --libs libfastboot-client"
else
	echo "not ok 2 - examples/hello.c builds with pkg-config"
	sed 's/^/# /' "$tmp/cc.log"
	exit 1
fi
if ldd "$tmp/hello" | grep -q "$dest"; then
	echo "ok 3 - the program uses the installed library"
else
	echo "not ok 3 - the program uses the installed library"
fi

sock=$tmp/fastbootd.sock
"$dest$prefix/sbin/fastbootd" -s "$sock" 2>"$tmp/daemon.log" &
daemon=$!
wait_daemon "$sock" "$top_builddir/tools/fastbootctl"
if FASTBOOT_SOCKET=$sock FASTBOOT_TIMEOUT_MS=20000 timeout 60 \
    "$tmp/hello" 8 >"$tmp/hello.log" 2>&1 &&
    grep -q '^8 ranks done, 0 failed' "$tmp/hello.log"; then
	echo "ok 4 - 8 ranks bootstrap through the installed fastbootd"
	grep '^rank 0/8' "$tmp/hello.log" | sed 's/^/# /'
else
	echo "not ok 4 - 8 ranks bootstrap through the installed fastbootd"
	sed 's/^/# /' "$tmp/hello.log" "$tmp/daemon.log"
	exit 1
fi
