#!/bin/sh
# nspawn_probe.sh - the checks nspawn_test.sh runs inside a Debian 12
# container booted with systemd as PID 1.  Started by fastboot-probe.service
# once the container is up; the unit powers the container off when this
# script ends (SuccessAction=/FailureAction=) or runs past RuntimeMaxSec=.
#
# In /var/tmp/fbprobe (put there by nspawn_test.sh): the fastbootd and
# libfastboot-client1 packages, hello (examples/hello.c) and partial
# (tests/packaging/partial.c) built against the packaged library, and
# exposure, the "systemd-analyze security" figure README.md states.  Each
# check appends one line "ok - ..." or "not ok - ..." to result.tap (the
# host numbers them), diagnostics as "# ..." lines; "done" ends the file.
# The number of checks is PROBE_CHECKS in nspawn_test.sh.
set -u
d=/var/tmp/fbprobe
out=$d/result.tap
sock=/run/fastbootd/fastbootd.sock
: >"$out"
exec >"$d/probe.log" 2>&1
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
t_probe=$(now_ms)
t_last=$t_probe
times=
ok() {	# ok STATUS DESCRIPTION
	if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi \
	    >>"$out"
	_t=$(now_ms)
	times="$times $((_t - t_last))"
	t_last=$_t
}
diag() { sed 's/^/# /' "$@" >>"$out"; }

# until TIMEOUT_S COMMAND...: run COMMAND every 50 ms until it succeeds or
# TIMEOUT_S seconds have passed.
until_ok() {
	_end=$(( $(now_ms) + $1 * 1000 ))
	shift
	while ! "$@"; do
		[ "$(now_ms)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}

# As user nobody, through the default socket (no FASTBOOT_SOCKET).
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
job() {	# job LOG [VAR=VALUE...]: one 8-rank job; 0 when all 8 ranks finished
	_log=$1
	shift
	timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env -u FASTBOOT_SOCKET "$@" "$d/hello" 8 >"$_log" 2>&1 &&
	    grep -q '^8 ranks done, 0 failed' "$_log"
}
prop() { systemctl show -P "$1" "$2"; }
state() { systemctl is-active "$1"; }

# 1. Install: postinst enables and starts the socket, not the service.
dpkg -i "$d"/libfastboot-client1_*.deb "$d"/fastbootd_*.deb \
    >"$d/dpkg.log" 2>&1
ok $? "dpkg -i libfastboot-client1 fastbootd"
tail -n 5 "$d/dpkg.log" | diag

# 2-3.
en=$(systemctl is-enabled fastbootd.socket)
st=$(state fastbootd.socket)
mode=$(stat -c %a "$sock" 2>/dev/null)
[ "$en" = enabled ] && [ "$st" = active ] && [ -S "$sock" ] && [ "$mode" = 666 ]
ok $? "fastbootd.socket after install: $en, $st, $sock mode ${mode:-missing}"
st=$(state fastbootd.service)
[ "$st" = inactive ]
ok $? "fastbootd.service before the first job: $st ($(systemctl is-enabled fastbootd.service))"

# 4-5. The first job starts the service, which runs under a dynamic uid.
job "$d/job1.log"
ok $? "an 8-rank job as user nobody through the default socket $sock"
grep 'ranks done\|rank 0:' "$d/job1.log" | diag
st=$(state fastbootd.service)
pid=$(prop MainPID fastbootd.service)
uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
run=$(stat -c '%F %a' /run/fastbootd)
# The daemon sets SCHED_BATCH itself; the unit's sandbox must let it.
pol=$(chrt -p "$pid" 2>/dev/null | sed -n 's/.*policy: //p')
[ "$st" = active ] && [ -n "$uid" ] && [ "$uid" -ge 61184 ] &&
    [ "$uid" -le 65519 ] && [ "$run" = "directory 755" ] &&
    [ "$pol" = SCHED_BATCH ]
ok $? "fastbootd.service after it: $st, MainPID ${pid:-?} runs as uid ${uid:-?} (DynamicUser: 61184..65519) under ${pol:-?}, /run/fastbootd still a $run"

# 6-7. fastbootctl on the default socket.
fastbootctl status >"$d/status" 2>&1 && grep -q "collectives: *[1-9]" "$d/status"
ok $? "fastbootctl status counts the collectives served"
diag "$d/status"
setsid setpriv --reuid=65534 --regid=65534 --clear-groups \
    env FASTBOOT_TIMEOUT_MS=60000 "$d/partial" 8 >"$d/partial.log" 2>&1 &
partial=$!
jobs_waiting() {
	as_user fastbootctl jobs >"$d/jobs" 2>&1 &&
	    grep -q "registered: *7 of 8" "$d/jobs"
}
until_ok 20 jobs_waiting && grep -q "waiting .* for rank 7$" "$d/jobs"
ok $? "fastbootctl jobs (as the job's user) shows a job waiting for its missing rank 7"
diag "$d/jobs"
kill -- -"$partial" 2>/dev/null
wait "$partial" 2>/dev/null

# 8. The daemon's <N> prefixes became journal priorities.
journal_has_ready() {
	journalctl -q -u fastbootd -p info -o cat >"$d/j.info" 2>&1 &&
	    grep -q "fastbootd .* ready (pid $pid," "$d/j.info"
}
until_ok 10 journal_has_ready &&
    journalctl -q -u fastbootd -p notice -o cat >"$d/j.notice" 2>&1 &&
    ! grep -q "ready (pid" "$d/j.notice" && ! grep -q '^<[0-7]>' "$d/j.info"
ok $? "journalctl -u fastbootd -p info has the daemon's 'ready' line, -p notice does not, no <N> prefix left"
diag "$d/j.info"

# 9. systemctl restart while a client loops on jobs.  A job in flight
# gets FB_E_DAEMON_LOST (doc/decisions.md), or, for its ranks that joined
# only the new daemon, an init timeout (3 s here); none may be refused.
loop() {	# loop N: N jobs in a row, one "ok"/"fail" line each in loop.out
	_i=0
	while [ $_i -lt "$1" ]; do
		if job "$d/loop.$_i.log" FASTBOOT_TIMEOUT_MS=3000; then
			echo ok
		else
			echo fail
		fi
		_i=$((_i + 1))
	done >"$d/loop.out"
}
loop_done() {	# loop_done N: at least N jobs of the loop have ended
	[ "$(wc -l <"$d/loop.out" 2>/dev/null || echo 0)" -ge "$1" ]
}
: >"$d/loop.out"
loop 24 &
looper=$!
pids=$pid
rs=0
for at in 2 8 14; do
	until_ok 60 loop_done $at &&
	    timeout 30 systemctl restart fastbootd.service && rs=$((rs + 1))
	pids="$pids $(prop MainPID fastbootd.service)"
done
wait "$looper"
refused=$(cat "$d"/loop.*.log |
    grep -c "Connection refused\|no fastbootd is listening\|Permission denied")
good=$(grep -c '^ok$' "$d/loop.out")
lost=$(cat "$d"/loop.*.log | grep -c 'FB_E_DAEMON_LOST\|went away')
distinct=$(echo "$pids" | tr ' ' '\n' | sort -u | grep -c .)
[ "$rs" -eq 3 ] && [ "$distinct" -eq 4 ] && [ "$refused" -eq 0 ] &&
    [ "$(wc -l <"$d/loop.out")" -eq 24 ] && [ "$(tail -n 1 "$d/loop.out")" = ok ]
ok $? "3 x systemctl restart during 24 jobs: $good done, $((24 - good)) ended by the restart ($lost rank errors name the lost daemon), $refused refused or denied; MainPIDs $pids"
cat "$d"/loop.*.log | grep -v '^rank [0-9]*/8\|^rank 0 sees\|ranks done' |
    sort | uniq -c | sort -rn | head -n 5 | diag

# 10-11. The watchdog, with WatchdogSec=2s from a drop-in.
mkdir -p /etc/systemd/system/fastbootd.service.d
printf '[Service]\nWatchdogSec=2s\n' \
    >/etc/systemd/system/fastbootd.service.d/watchdog.conf
systemctl daemon-reload && systemctl restart fastbootd.service
pid=$(prop MainPID fastbootd.service)
nr=$(prop NRestarts fastbootd.service)
wd=$(prop WatchdogUSec fastbootd.service)
kill -STOP "$pid"
t0=$(now_ms)
restarted() {
	_p=$(prop MainPID fastbootd.service)
	[ "$_p" != 0 ] && [ "$_p" != "$pid" ] &&
	    [ "$(state fastbootd.service)" = active ]
}
until_ok 15 restarted
rc=$?
ms=$(( $(now_ms) - t0 ))
nr2=$(prop NRestarts fastbootd.service)
[ $rc -eq 0 ] && [ "$wd" = 2s ] && [ "$nr2" -eq $((nr + 1)) ] &&
    [ "$ms" -le 7000 ]
ok $? "watchdog (WatchdogSec=$wd): SIGSTOPped fastbootd $pid killed and restarted as $(prop MainPID fastbootd.service) in $ms ms (at most 2 s + 5 s margin), NRestarts $nr -> $nr2"
journalctl -q -u fastbootd.service -o cat | grep -i 'watchdog' | tail -n 3 | diag
job "$d/job2.log"
ok $? "an 8-rank job after the watchdog restart"
rm -rf /etc/systemd/system/fastbootd.service.d
systemctl daemon-reload

# 12. systemctl stop: STOPPING=1 (seen in PID 1's debug log), exit 0.
pid=$(prop MainPID fastbootd.service)
systemd-analyze log-level debug
since=$(date '+%Y-%m-%d %H:%M:%S')
timeout 30 systemctl stop fastbootd.service
rc=$?
systemd-analyze log-level info
stopping_seen() {
	journalctl -q _PID=1 --since "$since" -o cat 2>/dev/null |
	    grep -q "fastbootd.service: Got notification message from PID $pid (.*STOPPING=1"
}
until_ok 10 stopping_seen
seen=$?
res=$(prop Result fastbootd.service)
code=$(prop ExecMainCode fastbootd.service)
status=$(prop ExecMainStatus fastbootd.service)
st=$(state fastbootd.service)
[ $rc -eq 0 ] && [ $seen -eq 0 ] && [ "$res" = success ] &&
    [ "$code" = 1 ] && [ "$status" = 0 ] && [ "$st" = inactive ] &&
    ! systemctl is-failed -q fastbootd.service fastbootd.socket
ok $? "systemctl stop: rc $rc, STOPPING=1 $([ $seen -eq 0 ] && echo sent || echo 'not seen'), exit status $status (code $code), Result=$res, $st, no failed unit"

# 13. The live unit's exposure, as README.md states it.
want=$(cat "$d/exposure")
timeout 60 systemd-analyze security fastbootd.service >"$d/security" 2>&1
got=$(sed -n 's/.*Overall exposure level for fastbootd.service: \([0-9.]*\).*/\1/p' "$d/security")
[ -n "$got" ] && [ "$got" = "$want" ]
ok $? "systemd-analyze security fastbootd.service (live): exposure ${got:-?}, README.md states $want"
[ "$got" = "$want" ] || grep '✗' "$d/security" | cut -c1-100 | diag

# 14. Removal stops both units and leaves no socket behind.
timeout 120 apt-get remove -y -q fastbootd >"$d/remove.log" 2>&1
rc=$?
s1=$(state fastbootd.socket)
s2=$(state fastbootd.service)
[ $rc -eq 0 ] && [ "$s1" != active ] && [ "$s2" != active ] &&
    [ ! -e "$sock" ] && [ ! -e /usr/sbin/fastbootd ]
ok $? "apt-get remove fastbootd: rc $rc, socket $s1, service $s2, $sock $([ -e "$sock" ] && echo 'left behind' || echo gone)"
[ $rc -eq 0 ] || tail -n 10 "$d/remove.log" | diag

# 15. Reinstall.
dpkg -i "$d"/fastbootd_*.deb >"$d/dpkg2.log" 2>&1 &&
    [ "$(systemctl is-enabled fastbootd.socket)" = enabled ] &&
    [ "$(state fastbootd.socket)" = active ] && job "$d/job4.log"
ok $? "reinstall: fastbootd.socket enabled and active again, an 8-rank job works"

# 16.
systemctl --failed --no-legend --plain >"$d/failed" 2>&1
[ ! -s "$d/failed" ]
ok $? "no failed units in the container"
diag "$d/failed"
echo "$(systemd-analyze time 2>&1 | head -n 1)" | diag
echo "probe: $(( $(now_ms) - t_probe )) ms; each check (ms):$times" | diag
echo done >>"$out"
