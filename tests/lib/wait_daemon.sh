# wait_daemon.sh - sourced by the shell tests that start a fastbootd.
#
# wait_daemon SOCKET FASTBOOTCTL: wait until the daemon on SOCKET answers
# `fastbootctl status` (so connect() succeeds and it replies: a socket file
# exists before listen(), so its existence proves nothing).  Bounded: 600
# tries.
wait_daemon() {
	_i=0
	until timeout 20 "$2" -s "$1" -t 2000 status >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 600 ] || return 1
		sleep 0.05
	done
}
