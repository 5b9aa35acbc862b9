# netns.sh - simulated nodes for the multi-node tests (sourced, POSIX sh).
#
# A node is a network namespace fbmn<PID>n<i> whose eth0 (a veth pair, host
# end fbmn<PID>v<i>) sits on the bridge fbmn<PID>br, with the address
# 10.213.X.(10+i)/24 (X from the test's PID), and one fastbootd of its own:
# its own socket and state under $MN_DIR/n<i>, --listen-tcp on that address,
# --node-name the namespace's name.  /etc/netns/<ns>/hosts names every node,
# so names resolve inside the namespaces (ip netns exec bind-mounts it).
# Only addresses inside namespaces this file made are ever a target.
#
#   mn_require             skip the test (TAP "1..0 # SKIP why") unless root,
#                          ip netns, a bridge and the programs exist
#   mn_init                private directory, cleanup trap (by name and pid)
#   mn_nodes N [ARGS...]   make N nodes, start their daemons with ARGS and
#                          wait for each one's READY=1
#   mn_ns I / mn_addr I / mn_sock I / mn_dpid I   node I's names
#   mn_exec I CMD...       run CMD in node I with FASTBOOT_SOCKET set
#   mn_bg I LOG CMD...     the same in the background; its pid is recorded
#                          for cleanup and left in MN_LAST
#   mn_stop I / mn_kill I  SIGTERM (bounded wait, then SIGKILL) / SIGKILL
#   mn_link_down I         set node I's host end down: its link goes silent
#   mn_freeze I / mn_thaw I  SIGSTOP / SIGCONT node I's daemon (the pid this
#                          file started; mn_cleanup thaws it)
#   mn_status I KEY        a number from fastbootctl status --json
#   mn_wait_links N K MS   wait (bounded) until nodes 1..N each hold K up
#                          peer links
#   mn_one_link_each N MS PFX  wait (bounded) until nodes 1..N each hold
#                          N-1 up peer links, then fastbootctl peers of each
#                          into PFX<i>: MN_PEER_LINKS gets the counts,
#                          MN_PEER_BAD the nodes without exactly one up link
#                          per other node, sent on; 0 if it settled and
#                          none is bad
#   mn_cleanup             everything above undone (run by the trap)
#
# Every wait is bounded.  MN_TIMEOUT (s) bounds each foreground command.

MN_BIN=${top_builddir:-.}/tests/multinode
FASTBOOTD=${FASTBOOTD:-${top_builddir:-.}/daemon/fastbootd}
FASTBOOTCTL=${FASTBOOTCTL:-${top_builddir:-.}/tools/fastbootctl}
MN_TIMEOUT=${MN_TIMEOUT:-120}
MN_PFX=fbmn$$
MN_NET=10.213.$(($$ % 200 + 20))
MN_N=0
MN_PIDS=
MN_DIR=

mn_skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

mn_require() {
	[ "$(id -u)" -eq 0 ] ||
	    mn_skip "needs root to make network namespaces (CI runs as root)"
	for p in ip timeout; do
		command -v $p >/dev/null 2>&1 || mn_skip "$p not found"
	done
	[ -x "$FASTBOOTD" ] || mn_skip "no fastbootd at $FASTBOOTD"
	for p in mn_spawn mn_rank; do
		[ -x "$MN_BIN/$p" ] || mn_skip "$MN_BIN/$p not built"
	done
	# Can this machine make a namespace and a bridge?  Try, by name.
	if ! ip netns add "${MN_PFX}probe" 2>/dev/null; then
		mn_skip "ip netns add failed (no network namespaces here)"
	fi
	ip netns del "${MN_PFX}probe" 2>/dev/null
	if ! ip link add "${MN_PFX}br" type bridge 2>/dev/null; then
		mn_skip "ip link add type bridge failed (no bridge support)"
	fi
	ip link del "${MN_PFX}br" 2>/dev/null
	"$FASTBOOTD" --help 2>&1 | grep -q -- --listen-tcp ||
	    mn_skip "this fastbootd has no --listen-tcp"
}

mn_ns() { echo "${MN_PFX}n$1"; }
mn_addr() { echo "$MN_NET.$((10 + $1))"; }
mn_sock() { echo "$MN_DIR/n$1/sock"; }
mn_dpid() { cat "$MN_DIR/n$1/pid" 2>/dev/null; }

mn_init() {
	MN_DIR=$(mktemp -d "/tmp/${MN_PFX}.XXXXXX") || exit 1
	trap 'mn_cleanup' EXIT
	trap 'mn_cleanup; exit 1' INT TERM HUP
}

# mn_wait_pid PID MS: wait (bounded) for PID to exit.
mn_wait_pid() {
	_w=0
	while kill -0 "$1" 2>/dev/null && [ $_w -lt "$2" ]; do
		sleep 0.05
		_w=$((_w + 50))
	done
	! kill -0 "$1" 2>/dev/null
}

mn_node_add() {
	_ns=$(mn_ns "$1")
	_v=${MN_PFX}v$1
	ip netns add "$_ns" || return 1
	ip link add "$_v" type veth peer name eth0 netns "$_ns" || return 1
	ip link set "$_v" master "${MN_PFX}br" up || return 1
	ip -n "$_ns" link set lo up || return 1
	ip -n "$_ns" addr add "$(mn_addr "$1")/24" dev eth0 || return 1
	ip -n "$_ns" link set eth0 up || return 1
	mkdir -p "$MN_DIR/n$1" "/etc/netns/$_ns" || return 1
}

# mn_daemon I [ARGS...]: start node I's fastbootd, wait for READY=1.
mn_daemon() {
	_i=$1
	shift
	ip netns exec "$(mn_ns "$_i")" "$MN_BIN/mn_spawn" \
	    "$MN_DIR/n$_i/notify" "$MN_DIR/n$_i/pid" 10000 \
	    "$FASTBOOTD" --socket "$(mn_sock "$_i")" \
	    --listen-tcp "$(mn_addr "$_i")" --node-name "$(mn_ns "$_i")" \
	    "$@" >>"$MN_DIR/n$_i/log" 2>&1
}

mn_nodes() {
	_n=$1
	shift
	ip link add "${MN_PFX}br" type bridge || return 1
	ip link set "${MN_PFX}br" up || return 1
	_i=1
	while [ $_i -le "$_n" ]; do
		MN_N=$_i
		mn_node_add $_i || return 1
		_i=$((_i + 1))
	done
	_i=1
	while [ $_i -le "$_n" ]; do
		printf '127.0.0.1\tlocalhost\n' >"/etc/netns/$(mn_ns $_i)/hosts"
		_j=1
		while [ $_j -le "$_n" ]; do
			printf '%s\t%s\n' "$(mn_addr $_j)" "$(mn_ns $_j)" \
			    >>"/etc/netns/$(mn_ns $_i)/hosts"
			_j=$((_j + 1))
		done
		_i=$((_i + 1))
	done
	_i=1
	while [ $_i -le "$_n" ]; do
		if ! mn_daemon $_i "$@"; then
			echo "# node $_i: fastbootd did not start:"
			sed 's/^/#   /' "$MN_DIR/n$_i/log" | tail -n 20
			return 1
		fi
		_i=$((_i + 1))
	done
}

mn_exec() {
	_i=$1
	shift
	FASTBOOT_SOCKET=$(mn_sock "$_i") timeout -k 5 "$MN_TIMEOUT" \
	    ip netns exec "$(mn_ns "$_i")" "$@"
}

mn_bg() {
	_i=$1
	_log=$2
	shift 2
	FASTBOOT_SOCKET=$(mn_sock "$_i") \
	    ip netns exec "$(mn_ns "$_i")" "$@" >"$_log" 2>&1 &
	MN_LAST=$!
	MN_PIDS="$MN_PIDS $MN_LAST"
}

mn_stop() {
	_p=$(mn_dpid "$1")
	[ -n "$_p" ] || return 0
	kill -TERM "$_p" 2>/dev/null
	mn_wait_pid "$_p" 5000 || kill -KILL "$_p" 2>/dev/null
	rm -f "$MN_DIR/n$1/pid"
}

mn_kill() {
	_p=$(mn_dpid "$1")
	[ -n "$_p" ] && kill -KILL "$_p" 2>/dev/null
	rm -f "$MN_DIR/n$1/pid"
}

mn_link_down() {
	ip link set "${MN_PFX}v$1" down
}
mn_link_up() {
	ip link set "${MN_PFX}v$1" up
}

MN_FROZEN=
mn_freeze() {
	_p=$(mn_dpid "$1")
	[ -n "$_p" ] || return 1
	MN_FROZEN="$MN_FROZEN $_p"
	kill -STOP "$_p"
}

mn_thaw() {
	_p=$(mn_dpid "$1")
	[ -n "$_p" ] || return 1
	kill -CONT "$_p"
}

# mn_status I KEY: the integer KEY of node I's fastbootctl status --json.
mn_status() {
	FASTBOOT_SOCKET=$(mn_sock "$1") timeout 10 "$FASTBOOTCTL" \
	    -s "$(mn_sock "$1")" status --json 2>/dev/null |
	    tr ',{}' '\n\n\n' | sed -n "s/^ *\"$2\": *\([0-9-]*\).*/\1/p" |
	    head -n 1
}

mn_wait_links() {
	_w=0
	while [ $_w -lt "$3" ]; do
		_n=0
		_i=1
		while [ $_i -le "$1" ]; do
			[ "$(mn_status $_i peer_links)" = "$2" ] &&
			    _n=$((_n + 1))
			_i=$((_i + 1))
		done
		[ $_n -eq "$1" ] && return 0
		sleep 0.05
		_w=$((_w + 50))
	done
	return 1
}

mn_one_link_each() {
	mn_wait_links "$1" $(($1 - 1)) "$2"
	_st=$?
	MN_PEER_LINKS=
	MN_PEER_BAD=
	_i=1
	while [ $_i -le "$1" ]; do
		MN_PEER_LINKS="$MN_PEER_LINKS $(mn_status $_i peer_links)"
		FASTBOOT_SOCKET=$(mn_sock $_i) timeout 10 "$FASTBOOTCTL" \
		    -s "$(mn_sock $_i)" peers >"$3$_i" 2>&1
		awk -v want=$(($1 - 1)) '
		    $3 == "up" { n[$1]++; if (/[(]sending[)]/) s[$1]++ }
		    { all++ }
		    END { for (e in n) { k++; if (n[e] != 1 || s[e] != 1) b++ }
		    exit (k != want || all != want || b > 0) }' "$3$_i" ||
		    MN_PEER_BAD="$MN_PEER_BAD $_i"
		_i=$((_i + 1))
	done
	[ $_st -eq 0 ] && [ -z "$MN_PEER_BAD" ]
}

mn_cleanup() {
	trap - EXIT INT TERM HUP
	# Thaw a daemon a test stopped (still ours: its pid file is there).
	_i=1
	while [ $_i -le "$MN_N" ] && [ -n "$MN_FROZEN" ]; do
		_p=$(mn_dpid $_i)
		case " $MN_FROZEN " in
		*" $_p "*) [ -n "$_p" ] && kill -CONT "$_p" 2>/dev/null ;;
		esac
		_i=$((_i + 1))
	done
	for _p in $MN_PIDS; do
		kill -KILL "$_p" 2>/dev/null
	done
	_i=1
	while [ $_i -le "$MN_N" ]; do
		mn_stop $_i
		_i=$((_i + 1))
	done
	for _p in $MN_PIDS; do
		wait "$_p" 2>/dev/null
	done
	_i=1
	while [ $_i -le "$MN_N" ]; do
		ip link del "${MN_PFX}v$_i" 2>/dev/null
		ip netns del "$(mn_ns $_i)" 2>/dev/null
		rm -rf "/etc/netns/$(mn_ns $_i)"
		_i=$((_i + 1))
	done
	ip link del "${MN_PFX}br" 2>/dev/null
	if [ -n "$MN_DIR" ] && [ -d "$MN_DIR" ]; then
		if [ -n "${MN_KEEP:-}" ]; then
			echo "# kept $MN_DIR"
		else
			rm -rf "$MN_DIR"
		fi
	fi
}

# TAP counting for the scripts.
MN_T=0
MN_NFAIL=0
mn_ok() {
	MN_T=$((MN_T + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $MN_T - $2"
	else
		echo "not ok $MN_T - $2"
		MN_NFAIL=$((MN_NFAIL + 1))
	fi
}

# mn_finish: after a failure, the daemons' logs as diagnostics; exit 0
# (TAP carries the result).
mn_finish() {
	if [ "$MN_NFAIL" -gt 0 ]; then
		_i=1
		while [ $_i -le "$MN_N" ]; do
			[ -s "$MN_DIR/n$_i/log" ] &&
			    tail -n 25 "$MN_DIR/n$_i/log" | sed "s/^/# n$_i: /"
			_i=$((_i + 1))
		done
	fi
	exit 0
}
mn_skip_test() {
	MN_T=$((MN_T + 1))
	echo "ok $MN_T # SKIP $*"
}

# mn_show FILE...: the files as TAP diagnostics (bounded).
mn_show() {
	for _f in "$@"; do
		[ -s "$_f" ] && sed "s|^|# ${_f##*/}: |" "$_f" | head -n 80
	done
	return 0
}

# mn_make_ids I FILE [COUNT]: COUNT job ids made through node I's daemon.
mn_make_ids() {
	mn_exec "$1" "$MN_BIN/mn_rank" --make-id "$2" --count "${3:-1}"
}

# mn_job NNODES RPN ID TAG [ARGS...]: a job of NNODES x RPN ranks on nodes
# 1..NNODES, all started together, each node's ranks in its namespace;
# waits for all (each driver is bounded).  Output: $MN_DIR/TAG.<i>.
# Returns the number of drivers that failed.
mn_job() {
	_jn=$1
	_jr=$2
	_jid=$3
	_jt=$4
	shift 4
	_jp=
	_i=1
	while [ $_i -le "$_jn" ]; do
		mn_bg $_i "$MN_DIR/$_jt.$_i" "$MN_BIN/mn_rank" --id "$_jid" \
		    --nranks $((_jn * _jr)) \
		    --ranks $(((_i - 1) * _jr))-$((_i * _jr - 1)) \
		    --nnodes "$_jn" "$@"
		_jp="$_jp $MN_LAST"
		_i=$((_i + 1))
	done
	_bad=0
	for _p in $_jp; do
		wait "$_p" || _bad=$((_bad + 1))
	done
	return $_bad
}

# mn_check_job NNODES RPN TAG: every rank printed "ok" once; the ranks of
# one node agree on their node index, the nodes' indices are distinct and
# nnodes is NNODES.  Diagnostics say what is wrong.
mn_check_job() {
	_i=1
	_files=
	while [ $_i -le "$1" ]; do
		_files="$_files $MN_DIR/$3.$_i"
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	awk -v nn="$1" -v rpn="$2" '
	    $1 == "rank" && $3 == "ok" {
		r = $2; f = FILENAME; sub(/.*\./, "", f)
		if (seen[r]++) { print "# rank " r " ok twice"; bad++ }
		if (int(r / rpn) + 1 != f) {
			print "# rank " r " printed in node " f; bad++ }
		if ($7 != nn) { print "# rank " r ": nnodes " $7; bad++ }
		if (f in node && node[f] != $5) {
			print "# node " f ": ranks disagree on its index"; bad++ }
		node[f] = $5
		n++
	    }
	    $1 == "rank" && $3 == "fail" { print "# " $0; bad++ }
	    END {
		if (n != nn * rpn) { print "# " n " of " nn * rpn " ranks ok"; bad++ }
		for (a in node) for (b in node)
			if (a < b && node[a] == node[b]) {
				print "# nodes " a " and " b " share index " node[a]; bad++ }
		exit bad > 0
	    }' $_files
}

# mn_wait_lines FILE... -- PATTERN COUNT MS: wait (bounded) until the files
# hold COUNT lines matching PATTERN in all.
mn_wait_lines() {
	_wf=
	while [ "$1" != "--" ]; do
		_wf="$_wf $1"
		shift
	done
	shift
	_w=0
	while [ $_w -lt "$3" ]; do
		# shellcheck disable=SC2086
		[ "$(cat $_wf 2>/dev/null | grep -c -- "$1")" -ge "$2" ] &&
		    return 0
		sleep 0.02
		_w=$((_w + 20))
	done
	return 1
}

mn_now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# mn_wait_all PID...: wait for each of these children; how many failed.
mn_wait_all() {
	_bad=0
	for _p; do
		wait "$_p" || _bad=$((_bad + 1))
	done
	return $_bad
}
