/*
 * strays_test.c - the smaller faults of issue 12: a handle used after
 * fork, a JOIN_ACK whose descriptors do not fit (MSG_CTRUNC), a late JOIN
 * that does not fit a running job, the same id used again right after its
 * job ended, status counters scoped to the caller, control requests
 * written together past the rate limit's burst, each answered, an ABORT
 * whose text carries line breaks, which reach neither the log nor
 * fastbootctl's lines, and ids for jobs across nodes that one uid's flood
 * of requests cannot push out of the daemon that made them.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rel.h"
#include "tap.h"

#define MS	5000

static struct th_daemon d;

static int
init1(fb_comm **c, const fb_unique_id *id, char *err, size_t size)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	int rc;

	cfg.timeout_ms = MS;
	rc = fb_comm_init_config(c, id, 0, 1, &cfg);
	snprintf(err, size, "%s", fb_comm_last_error(NULL));
	return rc;
}

/*
 * A child's one-string reply: read from the pipe the child was forked with
 * (p[1] closed here), NUL-terminated in buf; then the child is reaped
 * (bounded: each child set alarm(10)).
 */
static void
child_reply(int p[2], pid_t pid, char *buf, size_t size)
{
	close(p[1]);
	memset(buf, 0, size);
	(void)!read(p[0], buf, size - 1);
	close(p[0]);
	rel_wait_pids(&pid, 1, 15000);
}

/*
 * A running 2-rank job under a fresh key on fds[0] and fds[1], and a third
 * connection, fds[2], for the stray; rc[0] and rc[1] are the JOINs'.
 */
static void
job2(uint8_t key[WIRE_KEY_LEN], int fds[3], int rc[2])
{
	rel_random_key(key);
	fds[0] = rel_connect(d.sock);
	fds[1] = rel_connect(d.sock);
	fds[2] = rel_connect(d.sock);
	rc[0] = rel_join(fds[0], key, 0, 2, MS);
	rc[1] = rel_join(fds[1], key, 1, 2, MS);
}

static void
close3(const int fds[3])
{
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
}

/* A forked child's calls on its parent's handle: FB_E_INVAL, and the
 * parent's rank goes on. */
static void
stray_fork(void)
{
	char err[600];
	fb_unique_id id;
	fb_comm *c;
	int p[2], rc, prc;
	pid_t pid;

	th_unique_id(&id);
	if (init1(&c, &id, err, sizeof err) != 0 || pipe(p) == -1) {
		ok(0, "fork: a 1-rank job: %s", err);
		return;
	}
	if ((pid = fork()) == 0) {
		alarm(10);
		rc = fb_barrier(c);
		snprintf(err, sizeof err, "%d %s", rc, fb_comm_last_error(c));
		(void)!write(p[1], err, strlen(err) + 1);
		fb_comm_destroy(c);	/* quiet: not the child's rank */
		_exit(0);
	}
	child_reply(p, pid, err, sizeof err);
	prc = fb_barrier(c);
	ok(atoi(err) == FB_E_INVAL && strstr(err, "handle used in another "
	    "process") != NULL && prc == 0, "a handle used in a forked child: "
	    "FB_E_INVAL (\"%s\"); the parent's barrier after it: %d", err,
	    prc);
	fb_comm_destroy(c);
}

/* A process with room for its socket and one more descriptor: the
 * JOIN_ACK's two do not fit. */
static void
stray_ctrunc(void)
{
	int p[2];
	char err[600], want[32];
	pid_t pid;

	if (pipe(p) == -1) {
		ok(0, "MSG_CTRUNC: pipe");
		return;
	}
	if ((pid = fork()) == 0) {
		struct rlimit rl;
		fb_unique_id id;
		fb_comm *c;
		int rc, saved, highest = 0, fd;

		alarm(10);
		close(p[0]);
		th_unique_id(&id);
		/* Descriptors are numbered lowest first: fill the gaps, then
		 * leave exactly two free below the limit (the socket's, and
		 * one for the two descriptors of the JOIN_ACK). */
		for (fd = 0; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) != -1)
				highest = fd;
		while ((fd = dup(0)) != -1 && fd < highest)
			;
		if (fd > highest)
			close(fd);
		rl.rlim_cur = rl.rlim_max = (rlim_t)highest + 3;
		setrlimit(RLIMIT_NOFILE, &rl);
		rc = init1(&c, &id, err, sizeof err);
		saved = errno;
		snprintf(err + strlen(err), sizeof err - strlen(err),
		    " |%d|%d", rc, saved);
		(void)!write(p[1], err, strlen(err) + 1);
		_exit(0);
	}
	child_reply(p, pid, err, sizeof err);
	snprintf(want, sizeof want, "|%d|%d", FB_E_SYS, EMFILE);
	ok(strstr(err, "out of file descriptors") != NULL &&
	    strstr(err, want) != NULL,
	    "a JOIN_ACK whose descriptors do not fit: FB_E_SYS, errno EMFILE: "
	    "\"%s\"", err);
}

static int
expect_quiet(int fd, int ms)
{
	struct wire_hdr h;
	int rc;

	/* Frames that may come (READY); no FAIL or ERROR. */
	while ((rc = rel_read_frame(fd, &h, NULL, 0, ms)) == 1)
		if (h.type == WIRE_FAIL || h.type == WIRE_ERROR)
			return 0;
	return rc == -1;	/* timed out: nothing more came */
}

/* A running job and a stray JOIN with its id but another nranks. */
static void
stray_late_join(void)
{
	uint8_t key[WIRE_KEY_LEN];
	char text[600];
	int fds[3], rc[2], rc1, q0, q1;

	job2(key, fds, rc);
	{
		uint8_t b[128];
		size_t n;

		n = rel_hello_frame(b);
		n += rel_join_frame(b + n, key, 2, 3);
		rel_send(fds[2], b, n);
	}
	rc1 = rc[0] == 0 && rc[1] == 0 ? rel_expect_error(fds[2], MS, text,
	    sizeof text) : -1;
	q0 = expect_quiet(fds[0], 300);
	q1 = expect_quiet(fds[1], 300);
	ok(rc1 == FB_E_INVAL && strstr(text, "already running") != NULL &&
	    q0 && q1, "a late JOIN with another nranks is refused alone "
	    "(FB_E_INVAL: \"%s\"); the running job's ranks hear nothing", text);
	close3(fds);
}

/* Rank 0 left, rank 1 still finishing: rank 0 of the next job under the
 * same id waits for the old job to end, then joins the new one. */
static void
stray_reuse_wait(void)
{
	uint8_t key[WIRE_KEY_LEN], b[128];
	struct wire_hdr h;
	int fds[3], rc, rcj[2], early;
	size_t n;

	job2(key, fds, rcj);
	n = wire_encode_empty(b, WIRE_LEAVE, 0);
	rel_send(fds[0], b, n);
	n = rel_hello_frame(b);
	n += rel_join_frame(b + n, key, 0, 2);
	rel_send(fds[2], b, n);
	/* Nothing while the old job's rank 1 is in. */
	early = rel_read_frame(fds[2], &h, NULL, 0, 200);
	n = wire_encode_empty(b, WIRE_LEAVE, 0);
	rel_send(fds[1], b, n);
	rc = rel_read_frame(fds[2], &h, NULL, 0, MS) == 1 &&
	    h.type == WIRE_JOIN_ACK;
	ok(rcj[0] == 0 && rcj[1] == 0 && early == -1 && rc, "the same id "
	    "joined again while its job's last rank is still in: the JOIN "
	    "waits (%s) and is admitted to a new job once that rank leaves "
	    "(%s)",
	    early == -1 ? "nothing for 200 ms" : "answered at once",
	    rc ? "JOIN_ACK" : "no JOIN_ACK");
	close3(fds);
}

/* Both ranks said LEAVE but their connections are still open: the same
 * id joined again is a new job, not "already taken (it left)". */
static void
stray_reuse(void)
{
	uint8_t key[WIRE_KEY_LEN], b[64];
	int fds[3], rc, rcj[2];
	size_t n;

	job2(key, fds, rcj);
	n = wire_encode_empty(b, WIRE_LEAVE, 0);
	rel_send(fds[0], b, n);
	rel_send(fds[1], b, n);
	usleep(50000);	/* the LEAVEs are handled before the new JOIN */
	rc = rel_join(fds[2], key, 0, 2, MS);
	ok(rcj[0] == 0 && rcj[1] == 0 && rc == 0, "the same id joined again "
	    "right after its job ended (connections still open): a new job "
	    "(%d)", rc);
	close3(fds);
}

/* Status of a user who is not root: its own counters only. */
static void
stray_status(void)
{
	fb_unique_id id;
	char err[600], reply[8192];
	fb_comm *c;
	int p[2];
	pid_t pid;

	if (geteuid() != 0) {
		tap_skip("not root: no second uid");
		return;
	}
	th_unique_id(&id);
	if (init1(&c, &id, err, sizeof err) != 0 || pipe(p) == -1) {
		ok(0, "status: root's job: %s", err);
		return;
	}
	if ((pid = fork()) == 0) {
		struct wire_hello m = { WIRE_VERSION_MIN, WIRE_VERSION_MAX,
		    WIRE_ROLE_CTL, 0 };
		uint8_t b[64];
		struct wire_hdr h;
		size_t n;
		int fd;

		alarm(10);
		close(p[0]);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(2);
		memset(reply, 0, sizeof reply);
		if ((fd = rel_connect(d.sock)) != -1) {
			n = wire_encode_hello(b, &m);
			n += wire_encode_empty(b + n, WIRE_CTL_STATUS, 0);
			rel_send(fd, b, n);
			if (rel_read_frame(fd, &h, (uint8_t *)reply,
			    sizeof reply - 1, MS) != 1)
				reply[0] = '\0';
		}
		(void)!write(p[1], reply, strlen(reply) + 1);
		_exit(0);
	}
	child_reply(p, pid, reply, sizeof reply);
	ok(strstr(reply, "scope uid 65534\n") != NULL &&
	    strstr(reply, "\njobs 0\n") != NULL &&
	    strstr(reply, "\nranks 0\n") != NULL &&
	    strstr(reply, "connections_accepted") == NULL &&
	    strstr(reply, "\npeer_links ") != NULL &&
	    strstr(reply, "coll_rank_arrivals") == NULL &&
	    strstr(reply, "discovery_rounds") == NULL &&
	    strstr(reply, "peer_msgs_held") == NULL,
	    "fastbootctl status of another user (nobody) while root runs a "
	    "job: its own counters only (scope uid 65534, jobs 0, ranks 0), "
	    "the links' but none of the node's jobs across nodes");
	fb_comm_destroy(c);
}

/*
 * 150 status requests in one write, past the rate limit's burst of 100:
 * while the limit holds the connection, the requests already read wait
 * too, and every one is answered (before, those read during a hold were
 * each answered over the last: 103 replies came).
 */
#define STRAY_REQS	150

static void
stray_ctl_burst(void)
{
	static uint8_t b[WIRE_HDR_LEN + WIRE_HELLO_LEN +
	    STRAY_REQS * WIRE_HDR_LEN];
	static uint8_t reply[8192];
	struct wire_hello m = { WIRE_VERSION_MIN, WIRE_VERSION_MAX,
	    WIRE_ROLE_CTL, 0 };
	struct wire_hdr h;
	size_t n;
	int fd, i, got = 0;

	if ((fd = rel_connect(d.sock)) == -1) {
		ok(0, "control burst: connect");
		return;
	}
	n = wire_encode_hello(b, &m);
	for (i = 0; i < STRAY_REQS; i++)
		n += wire_encode_empty(b + n, WIRE_CTL_STATUS, 0);
	rel_send(fd, b, n);
	while (got < STRAY_REQS && rel_read_frame(fd, &h, reply,
	    sizeof reply, MS) == 1)
		got++;
	close(fd);
	ok(got == STRAY_REQS, "%d status requests in one write: %d answered",
	    STRAY_REQS, got);
}

/* A rank's ABORT text with lines that would forge a job in CTL_JOBS. */
static void
stray_abort_text(void)
{
	static const char forged[] = "x\nend\njob 999\nuid 0\nstate running";
	uint8_t key[WIRE_KEY_LEN], b[WIRE_STATUS_FRAME_MAX];
	static uint8_t reply[65536];
	struct wire_hello m = { WIRE_VERSION_MIN, WIRE_VERSION_MAX,
	    WIRE_ROLE_CTL, 0 };
	struct wire_hdr h;
	int fds[2], c = -1, got = 0;
	size_t n;

	rel_random_key(key);
	fds[0] = rel_connect(d.sock);
	fds[1] = rel_connect(d.sock);
	memset(reply, 0, sizeof reply);
	if (fds[0] != -1 && fds[1] != -1 &&
	    rel_join(fds[0], key, 0, 2, MS) == 0 &&
	    rel_join(fds[1], key, 1, 2, MS) == 0) {
		n = wire_encode_status(b, WIRE_ABORT, 0, FB_E_TIMEOUT, 0,
		    forged);
		rel_send(fds[0], b, n);
		/* Rank 1 hears of it: the job has failed by then. */
		while (rel_read_frame(fds[1], &h, NULL, 0, MS) == 1)
			if (h.type == WIRE_FAIL)
				break;
		if ((c = rel_connect(d.sock)) != -1) {
			n = wire_encode_hello(b, &m);
			n += wire_encode_empty(b + n, WIRE_CTL_JOBS, 0);
			rel_send(c, b, n);
			got = rel_read_frame(c, &h, reply, sizeof reply - 1,
			    MS) == 1;
		}
	}
	ok(got && strstr((char *)reply, "x end job 999 uid 0") != NULL &&
	    strstr((char *)reply, "\njob 999\n") == NULL, "an ABORT text with "
	    "line breaks: fastbootctl jobs shows it on one line, no forged "
	    "job");
	if (c != -1)
		close(c);
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
}

/*
 * Root's id for a job across nodes, from daemon A (on loopback TCP); then
 * nobody asks A for 4200 ids (more than it keeps); then root's rank 1
 * joins through daemon B: A, the id's root, must still know the id, so the
 * JOIN waits for rank 0 (FB_E_TIMEOUT), not FB_E_PERM "knows no job".
 */
#define STRAY_IDS	4200

static void
stray_ids(void)
{
	static char ep[2][32];
	const char *args[2][5] = {
	    { "--listen-tcp", ep[0], "--ctl-rate", "1000000", NULL },
	    { "--listen-tcp", ep[1], "--ctl-rate", "1000000", NULL } };
	static uint8_t reply[256];
	struct th_daemon a, b;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_unique_id id;
	fb_comm *c = NULL;
	int rc = 0, got = -1, p[2];
	pid_t pid;

	/* Loopback ports of this test's own (a port in use skips). */
	snprintf(ep[0], sizeof ep[0], "127.0.0.1:%d", 20000 + getpid() %
	    20000);
	snprintf(ep[1], sizeof ep[1], "127.0.0.1:%d", 40001 + getpid() %
	    20000);
	if (geteuid() != 0 || th_daemon_start(&a, args[0]) != 0) {
		tap_skip("ids: not root, or no daemon on loopback TCP");
		return;
	}
	if (th_daemon_start(&b, args[1]) != 0) {
		th_daemon_cleanup(&a);
		tap_skip("ids: no second daemon on loopback TCP");
		return;
	}
	chmod(a.dir, 0755);
	setenv("FASTBOOT_SOCKET", a.sock, 1);
	setenv("FASTBOOT_ID_FROM_DAEMON", "1", 1);
	rc = fb_get_unique_id(&id);
	unsetenv("FASTBOOT_ID_FROM_DAEMON");
	if (rc == 0 && pipe(p) == 0) {
		if ((pid = fork()) == 0) {
			struct wire_hello m = { WIRE_VERSION_MIN,
			    WIRE_VERSION_MAX, WIRE_ROLE_CTL, 0 };
			uint8_t req[WIRE_HDR_LEN + WIRE_HELLO_LEN];
			struct wire_hdr h;
			int fd, i, n = 0;

			alarm(30);
			close(p[0]);
			if (setgroups(0, NULL) || setgid(65534) ||
			    setuid(65534) || (fd = rel_connect(a.sock)) == -1)
				_exit(2);
			rel_send(fd, req, wire_encode_hello(req, &m));
			for (i = 0; i < STRAY_IDS; i++) {
				rel_send(fd, req, wire_encode_empty(req,
				    WIRE_CTL_ID, 0));
				n += rel_read_frame(fd, &h, reply,
				    sizeof reply, MS) == 1;
			}
			(void)!write(p[1], &n, sizeof n);
			_exit(0);
		}
		close(p[1]);
		if (read(p[0], &got, sizeof got) != sizeof got)
			got = -1;
		close(p[0]);
		rel_wait_pids(&pid, 1, 15000);
		setenv("FASTBOOT_SOCKET", b.sock, 1);
		cfg.timeout_ms = 1500;
		rc = fb_comm_init_config(&c, &id, 1, 2, &cfg);
	}
	ok(got == STRAY_IDS && rc == FB_E_TIMEOUT, "ids: after another uid "
	    "made %d ids, a job under root's id joins through its root (%s: "
	    "%s)", got, fb_strerror(rc), fb_comm_last_error(NULL));
	fb_comm_destroy(c);
	setenv("FASTBOOT_SOCKET", d.sock, 1);
	th_daemon_cleanup(&b);
	th_daemon_cleanup(&a);
}

int
main(void)
{
	th_deadline(90);
	tap_plan(10);
	if (!ok(th_daemon_start(&d, NULL) == 0, "fastbootd started"))
		return tap_done();
	chmod(d.dir, 0755);
	stray_fork();
	stray_ctrunc();
	stray_late_join();
	stray_reuse();
	stray_reuse_wait();
	stray_status();
	stray_ctl_burst();
	stray_abort_text();
	stray_ids();
	th_daemon_cleanup(&d);
	return tap_done();
}
