/*
 * systemd_test.c - fastbootd as systemd runs it, with the test in systemd's
 * place: it owns NOTIFY_SOCKET (READY=1, STATUS=, WATCHDOG=1, STOPPING=1),
 * starts fastbootd through systemd-socket-activate, and holds a listening
 * socket itself while fastbootd restarts behind it, as a socket unit does:
 * clients that connect meanwhile wait in the backlog, none is refused.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptest.h"
#include "tap.h"

static int gate[2];

static int
rank_job(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	fb_comm *comm;
	int v[64], r;

	if (fb_comm_init(&comm, id, rank, nranks) != 0)
		return 1;
	v[rank] = rank + 100;
	if (fb_allgather(comm, v, sizeof v[0]) != 0 || fb_barrier(comm) != 0)
		return 1;
	for (r = 0; r < nranks; r++)
		if (v[r] != r + 100)
			return 1;
	return fb_comm_destroy(comm);
}

/* All but the last rank join, then the last joins when the parent says. */
static int
rank_gated(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	char c;

	if (rank == nranks - 1)
		(void)!read(gate[0], &c, 1);
	return rank_job(id, rank, nranks, arg);
}

/* The socket file is still there (systemd's, not fastbootd's to remove). */
static int
socket_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int
ctl_status(const char *sock, char *out, size_t size)
{
	const char *argv[] = { ptest_fastbootctl(), "-s", sock, "--json",
	    "status", NULL };

	return ptest_run(argv, out, size, 10000);
}

static int
exited_cleanly(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* READY, STATUS, WATCHDOG and STOPPING on a NOTIFY_SOCKET we own. */
static void
test_notify(void)
{
	struct th_daemon d;
	fb_unique_id id;
	pid_t pids[3];
	int i, pings, status;

	/* As systemd sets them for WatchdogSec=200ms. */
	setenv("WATCHDOG_USEC", "200000", 1);
	unsetenv("WATCHDOG_PID");
	i = th_daemon_start(&d, NULL);
	unsetenv("WATCHDOG_USEC");
	if (!ok(i == 0, "notify: READY=1 on our NOTIFY_SOCKET")) {
		tap_skip("notify: no daemon");
		tap_skip("notify: no daemon");
		tap_skip("notify: no daemon");
		tap_skip("notify: no daemon");
		return;
	}
	ok(strncmp(d.status, "serving", 7) == 0, "notify: STATUS=%s with "
	    "READY", d.status);
	for (pings = 0; pings < 3; pings++)
		if (!th_daemon_notified(&d, "WATCHDOG=1", 10000))
			break;
	ok(pings == 3, "notify: WATCHDOG=1 keeps coming (%d pings seen, "
	    "WATCHDOG_USEC=200000)", pings);

	/* A job waiting for its last rank shows in STATUS=. */
	if (pipe(gate) == -1 || fb_get_unique_id(&id) != 0 ||
	    th_spawn_ranks(3, rank_gated, NULL, &id, pids) == -1)
		tap_plan_skip("cannot start ranks");
	ok(th_daemon_notified(&d, "STATUS=1 jobs, 2 ranks", 20000),
	    "notify: STATUS= counts the job and its ranks (%s)", d.status);

	/* Stop while that job is still forming: its ranks are told, and the
	 * daemon still exits cleanly (it used to crash freeing the job after
	 * STOPPING=1). */
	kill(d.pid, SIGTERM);
	i = th_daemon_notified(&d, "STOPPING=1", 10000);
	status = th_daemon_stop(&d);
	ok(i && exited_cleanly(status), "notify: SIGTERM with a job forming: "
	    "STOPPING=1, exit 0 (status %d)", status);
	(void)!write(gate[1], "g", 1);
	th_wait_pids(pids, 3, 20000, NULL);	/* they fail: no daemon */
	close(gate[0]);
	close(gate[1]);
	th_daemon_cleanup(&d);
}

/*
 * A stop while the notify socket's queue is full (a busy manager; here
 * the test fills it): STOPPING=1 must not hold the daemon back forever.
 */
static void
test_stop_full_queue(void)
{
	struct sockaddr_un sun;
	struct th_daemon d;
	int fd, sent = 0, full = 0, status;

	if (th_daemon_start(&d, NULL) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		tap_skip("full notify queue: no daemon");
		th_daemon_cleanup(&d);
		return;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(d.notify) >= sizeof sun.sun_path)
		tap_plan_skip("notify path too long: %s", d.notify);
	memcpy(sun.sun_path, d.notify, strlen(d.notify) + 1);
	while (sent < 10000) {
		if (sendto(fd, "X-FILL=1", 8, 0, (struct sockaddr *)&sun,
		    sizeof sun) == -1) {
			full = errno == EAGAIN;
			break;
		}
		sent++;
	}
	status = th_daemon_stop_within(&d, 10000);
	ok(full && exited_cleanly(status), "notify: SIGTERM with the notify "
	    "queue full (%d messages queued): exit 0 all the same (status "
	    "%d)", sent, status);
	close(fd);
	th_daemon_cleanup(&d);
}

/* systemd-socket-activate binds, and execs fastbootd on a connection. */
static void
test_activate(void)
{
	static char out[16384];
	const char *ssa = getenv("SYSTEMD_SOCKET_ACTIVATE");
	const char *argv[12];
	char env[160], pidstr[64];
	struct th_daemon d;
	int n = 0, status;

	if (ssa == NULL || *ssa == '\0' || access(ssa, X_OK) != 0) {
		for (n = 0; n < 5; n++)
			tap_skip("systemd-socket-activate not found");
		return;
	}
	if (th_daemon_prepare(&d) == -1)
		tap_plan_skip("cannot make a temporary directory");
	snprintf(env, sizeof env, "NOTIFY_SOCKET=%s", d.notify);
	argv[n++] = ssa;
	argv[n++] = "-l";
	argv[n++] = d.sock;
	argv[n++] = "-E";
	argv[n++] = env;
	argv[n++] = th_fastbootd_path();
	argv[n++] = "-s";
	argv[n++] = d.sock;
	argv[n] = NULL;
	if (ptest_daemon_exec(&d, -1, argv, NULL) == -1 ||
	    !ptest_wait_connect(d.sock, 10000))
		tap_plan_skip("systemd-socket-activate did not listen");
	setenv("FASTBOOT_SOCKET", d.sock, 1);
	ok(th_run_ranks(8, rank_job, NULL, 60000) == 0,
	    "activate: an 8-rank job through systemd-socket-activate");
	ok(th_daemon_notified(&d, "READY=1", 10000),
	    "activate: the activated fastbootd sent READY=1");
	ok(ctl_status(d.sock, out, sizeof out) == 0 &&
	    strstr(out, "\"activated\": 1") != NULL,
	    "activate: fastbootctl status: the socket came from systemd");
	snprintf(pidstr, sizeof pidstr, "\"pid\": %ld", (long)d.pid);
	ok(strstr(out, pidstr) != NULL, "activate: fastbootd runs as the "
	    "process systemd-socket-activate started (%s)", pidstr);
	status = th_daemon_stop(&d);
	ok(exited_cleanly(status) && socket_exists(d.sock),
	    "activate: fastbootd stops cleanly and leaves systemd's socket");
	th_daemon_cleanup(&d);
}

/*
 * A client that bootstraps one-rank jobs in a loop: one byte on progress
 * per job, counts written to result when stop becomes readable.
 */
static void
prober(int progress, int stop, int result)
{
	struct pollfd pfd = { .fd = stop, .events = POLLIN };
	fb_config cfg = FB_CONFIG_INITIALIZER;
	int good = 0, refused = 0, lost = 0, other = 0, rc;
	fb_unique_id id;
	fb_comm *comm;
	char buf[128];

	cfg.timeout_ms = 60000;
	while (poll(&pfd, 1, 0) == 0) {
		if (fb_get_unique_id(&id) != 0)
			_exit(1);
		rc = fb_comm_init_config(&comm, &id, 0, 1, &cfg);
		if (rc == 0) {
			rc = fb_barrier(comm);
			if (rc == 0)
				rc = fb_comm_destroy(comm);
			else
				fb_comm_destroy(comm);
		}
		if (rc == 0) {
			good++;
			(void)!write(progress, "p", 1);
		} else if (rc == FB_E_NODAEMON)
			refused++;
		else if (rc == FB_E_DAEMON_LOST)
			lost++;
		else
			other++;
	}
	snprintf(buf, sizeof buf, "%d %d %d %d", good, refused, lost, other);
	(void)!write(result, buf, strlen(buf));
	_exit(0);
}

/* Read n progress bytes (jobs done) within 60 s. */
static int
progress_wait(int fd, int n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	while (n > 0) {
		if (poll(&pfd, 1, 60000) <= 0 || read(fd, &c, 1) != 1)
			return 0;
		n--;
	}
	return 1;
}

static int
start_on(struct th_daemon *d, int lfd)
{
	const char *argv[] = { th_fastbootd_path(), "-s", d->sock, NULL };

	if (ptest_daemon_exec(d, lfd, argv, NULL) == -1)
		return -1;
	return th_daemon_notified(d, "READY=1", 10000) ? 0 : -1;
}

/* Restart fastbootd behind a socket the test holds, as systemd does. */
static void
test_restart(void)
{
	int progress[2], stop[2], result[2], lfd, status, good, refused, lost,
	    other;
	struct th_daemon d;
	fb_unique_id id;
	pid_t probe, pids[8];
	char buf[128];
	ssize_t n;

	if (th_daemon_prepare(&d) == -1 || (lfd = ptest_listen(d.sock)) == -1)
		tap_plan_skip("cannot listen on a temporary socket");
	setenv("FASTBOOT_SOCKET", d.sock, 1);
	ok(start_on(&d, lfd) == 0, "restart: fastbootd took the held socket "
	    "and sent READY=1");

	if (pipe2(progress, O_CLOEXEC) == -1 || pipe2(stop, O_CLOEXEC) == -1 ||
	    pipe2(result, O_CLOEXEC) == -1)
		tap_plan_skip("pipe");
	fflush(stdout);
	if ((probe = fork()) == 0) {
		alarm(0);
		prober(progress[1], stop[0], result[1]);
	}
	close(progress[1]);
	close(stop[0]);
	close(result[1]);
	ok(progress_wait(progress[0], 3), "restart: a client bootstraps jobs "
	    "in a loop");

	/* Stop the daemon; the socket stays open, as systemd keeps it. */
	status = th_daemon_stop(&d);
	ok(exited_cleanly(status), "restart: first fastbootd exits 0 with a "
	    "client connected (status %d)", status);
	/* An 8-rank job starts while no daemon runs. */
	if (fb_get_unique_id(&id) != 0 ||
	    th_spawn_ranks(8, rank_job, NULL, &id, pids) == -1)
		tap_plan_skip("cannot start ranks");
	ok(start_on(&d, lfd) == 0, "restart: a new fastbootd took the same "
	    "socket and sent READY=1");
	ok(th_wait_pids(pids, 8, 60000, NULL) == 0, "restart: an 8-rank job "
	    "that connected while no daemon ran completed");
	ok(progress_wait(progress[0], 3), "restart: the looping client "
	    "bootstraps jobs again");

	(void)!write(stop[1], "s", 1);
	n = read(result[0], buf, sizeof buf - 1);
	waitpid(probe, NULL, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "%d %d %d %d", &good, &refused, &lost, &other) != 4)
		good = refused = lost = other = -1;
	ok(refused == 0 && good >= 6 && other == 0, "restart: no client saw "
	    "a refused connection (%d jobs, %d refused, %d lost in flight, "
	    "%d other errors)", good, refused, lost, other);
	status = th_daemon_stop(&d);
	ok(exited_cleanly(status), "restart: second fastbootd exits 0");
	close(lfd);
	th_daemon_cleanup(&d);
}

/*
 * Under systemd, stderr is the journal ($JOURNAL_STREAM names it): every
 * line carries a <N> priority prefix.  And the socket fastbootd makes
 * itself gets the mode of -m (the default 0666: every local user).
 */
static void
test_journal_mode(void)
{
	const char *m0600[] = { "-m", "0600", NULL };
	char path[160], env[64], buf[4096];
	const char *argv[5];
	struct th_daemon d;
	struct stat st;
	unsigned mode;
	ssize_t n;
	int fd, status;

	if (th_daemon_prepare(&d) == -1)
		tap_plan_skip("cannot make a temporary directory");
	snprintf(path, sizeof path, "%s/journal", d.dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1 || fstat(fd, &st) == -1)
		tap_plan_skip("cannot make a log file");
	snprintf(env, sizeof env, "JOURNAL_STREAM=%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	argv[0] = th_fastbootd_path();
	argv[1] = "-s";
	argv[2] = d.sock;
	argv[3] = NULL;
	fflush(stdout);
	if ((d.pid = fork()) == 0) {
		dup2(fd, STDERR_FILENO);
		putenv(env);
		setenv("NOTIFY_SOCKET", d.notify, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	mode = d.pid > 0 && th_daemon_notified(&d, "READY=1", 10000) &&
	    stat(d.sock, &st) == 0 ? st.st_mode & 0777 : 0;
	ok(mode == 0666, "socket mode: fastbootd's own socket is 0666 by "
	    "default (%o)", mode);
	status = th_daemon_stop(&d);
	n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	ok(exited_cleanly(status) && strncmp(buf, "<6>", 3) == 0 &&
	    strstr(buf, "\n<6>fastbootd " PACKAGE_VERSION " ready") != NULL &&
	    strstr(buf, "fastbootd: ") == NULL,
	    "journal: with $JOURNAL_STREAM every log line has a <N> prefix");
	th_daemon_cleanup(&d);

	if (th_daemon_start(&d, m0600) == -1) {
		tap_skip("no daemon");
		return;
	}
	mode = stat(d.sock, &st) == 0 ? st.st_mode & 0777 : 0;
	ok(mode == 0600, "socket mode: -m 0600 gives a 0600 socket (%o)",
	    mode);
	th_daemon_cleanup(&d);
}

int
main(void)
{
	/* Bounds, not expectations: generous for a loaded machine. */
	th_deadline(300);
	setenv("FASTBOOT_TIMEOUT_MS", "60000", 1);
	tap_plan(22);
	test_notify();
	test_stop_full_queue();
	test_activate();
	test_restart();
	test_journal_mode();
	return tap_done();
}
