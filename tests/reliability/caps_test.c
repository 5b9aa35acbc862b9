/*
 * caps_test.c - resource caps answer with clear errors and the daemon
 * serves again once the load goes: --max-ranks, --max-jobs,
 * --max-conns-per-uid, --max-conns, --max-pending (a receiver that does
 * not receive), payload limits, the handshake deadline, and EMFILE on
 * accept (a low RLIMIT_NOFILE), on the Unix socket and on a TCP listener,
 * backing off instead of spinning.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rel.h"
#include "tap.h"

#define MS	5000

static int
init1(fb_comm **c, int nranks, char *err, size_t size)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_unique_id id;
	int rc;

	cfg.timeout_ms = 5000;
	th_unique_id(&id);
	rc = fb_comm_init_config(c, &id, 0, nranks, &cfg);
	snprintf(err, size, "%s", fb_comm_last_error(NULL));
	return rc;
}

static int
hold_ready_job(int *fds)
{
	uint8_t key[WIRE_KEY_LEN];
	struct wire_hdr h;

	rel_random_key(key);
	fds[0] = rel_connect(getenv("FASTBOOT_SOCKET"));
	fds[1] = rel_connect(getenv("FASTBOOT_SOCKET"));
	if (fds[0] == -1 || fds[1] == -1 || rel_join(fds[0], key, 0, 2, MS) ||
	    rel_join(fds[1], key, 1, 2, MS))
		return -1;
	return rel_read_frame(fds[0], &h, NULL, 0, MS) == 1 &&
	    h.type == WIRE_READY ? 0 : -1;
}

/* A user's cap leaves other users alone: nobody runs a one-rank job. */
static void
other_uid_job(const char *what)
{
	char err[600];
	fb_comm *c;
	pid_t p;

	if (geteuid() != 0) {
		tap_skip("not root: no second uid");
		return;
	}
	if ((p = fork()) == 0) {
		alarm(0);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(2);
		_exit(init1(&c, 1, err, sizeof err) == 0 && fb_barrier(c) == 0 ?
		    0 : 1);
	}
	ok(rel_wait_pids(&p, 1, 10000) == 0, "another uid (nobody) %s", what);
}

/*
 * Wait until the daemon holds no more descriptors than when idle (base):
 * every connection a test closed has been dropped and the jobs on them
 * freed (each held a memfd).  Returns 1, or 0 after 10 s.
 */
static int
daemon_idle(pid_t pid, int base)
{
	return rel_proc_fds_wait(pid, base, 10000) <= base;
}

static void
caps_ranks_jobs_conns(struct th_daemon *d, int base)
{
	char err[600];
	fb_comm *c;
	int held[8], i, rc, ok1;

	rc = init1(&c, 5, err, sizeof err);
	ok(rc == FB_E_LIMIT && strstr(err, "cap of 4") != NULL,
	    "--max-ranks 4: a 5-rank job gets FB_E_LIMIT: %s", err);

	ok1 = hold_ready_job(held) == 0 && hold_ready_job(held + 2) == 0;
	rc = init1(&c, 1, err, sizeof err);
	ok(ok1 && rc == FB_E_LIMIT && strstr(err, "2 jobs") != NULL,
	    "--max-jobs 2: a third job gets FB_E_LIMIT: %s", err);
	for (i = 0; i < 4; i++)
		close(held[i]);
	ok(daemon_idle(d->pid, base) && rel_job(2) == 0, "once those jobs "
	    "end, a new job runs");

	for (i = 0; i < 6; i++) {
		uint8_t b[64];

		held[i] = rel_connect(d->sock);
		rel_send(held[i], b, rel_hello_frame(b));
	}
	rc = init1(&c, 1, err, sizeof err);
	ok(rc == FB_E_LIMIT && strstr(err, "uid") != NULL &&
	    strstr(err, "6 connections") != NULL, "--max-conns-per-uid 6: "
	    "a 7th connection of the uid gets FB_E_LIMIT: %s", err);
	other_uid_job("still gets in meanwhile");
	for (i = 0; i < 6; i++)
		close(held[i]);
	ok(daemon_idle(d->pid, base) && rel_job(2) == 0, "once they close, "
	    "the uid's new job runs");
}

/* --max-jobs-per-uid: one user cannot take every job slot, even with jobs
 * that failed at init and linger. */
static void
caps_jobs_per_uid(void)
{
	static const char *const args[] = { "--max-jobs-per-uid", "2", NULL };
	struct th_daemon d;
	char err[600];
	fb_comm *c;
	int held[4], i, rc, ok1, base;

	ok(th_daemon_start(&d, args) == 0, "fastbootd --max-jobs-per-uid 2 "
	    "started");
	base = rel_proc_fds(d.pid);
	chmod(d.dir, 0755);
	ok1 = hold_ready_job(held) == 0 && hold_ready_job(held + 2) == 0;
	rc = init1(&c, 1, err, sizeof err);
	ok(ok1 && rc == FB_E_LIMIT && strstr(err, "2 jobs") != NULL &&
	    strstr(err, "uid") != NULL, "--max-jobs-per-uid 2: the uid's "
	    "third job gets FB_E_LIMIT: %s", err);
	other_uid_job("still makes a job meanwhile");
	for (i = 0; i < 4; i++)
		close(held[i]);
	ok(daemon_idle(d.pid, base) && rel_job(2) == 0, "once its jobs end, "
	    "the uid makes a new job");
	th_daemon_cleanup(&d);
}

struct pend {
	const fb_unique_id *id;
	int rank;
	volatile int *flag;
	int sent, limited, received, rc;
	char err[600];
};

/* Rank 0 sends 1 MiB messages to rank 1, which does not receive, until the
 * daemon refuses; then rank 1 receives them all; both barrier. */
static void *
pend_main(void *arg)
{
	struct pend *p = arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	size_t len = 1u << 20;	/* one frame each */
	uint8_t *buf;
	fb_comm *c;
	int i, rc;

	p->rc = -1;
	cfg.timeout_ms = 20000;
	if ((buf = malloc(len)) == NULL ||
	    fb_comm_init_config(&c, p->id, p->rank, 2, &cfg) != 0)
		return NULL;
	if (p->rank == 0) {
		for (i = 0; i < 64; i++) {
			memset(buf, i, len);
			rc = fb_send(c, buf, len, 1, 3);
			if (rc == FB_E_LIMIT) {
				p->limited = 1;
				snprintf(p->err, sizeof p->err, "%s",
				    fb_comm_last_error(c));
				break;
			}
			if (rc != 0)
				break;
			p->sent++;
		}
		__atomic_store_n(p->flag, p->sent + 1, __ATOMIC_SEQ_CST);
	} else {
		double end = th_now_ms() + 20000;

		while (__atomic_load_n(p->flag, __ATOMIC_SEQ_CST) == 0 &&
		    th_now_ms() < end)
			usleep(1000);
		for (i = 0; i < *p->flag - 1; i++) {
			if (fb_recv(c, buf, len, 0, 3) != 0 ||
			    buf[0] != (uint8_t)i || buf[len - 1] != (uint8_t)i)
				break;
			p->received++;
		}
	}
	p->rc = fb_barrier(c);
	fb_comm_destroy(c);
	free(buf);
	return NULL;
}

static void
cap_pending(void)
{
	struct pend p[2];
	pthread_t t[2];
	fb_unique_id id;
	volatile int flag = 0;
	int r;

	th_unique_id(&id);
	memset(p, 0, sizeof p);
	for (r = 0; r < 2; r++) {
		p[r].id = &id;
		p[r].rank = r;
		p[r].flag = &flag;
		pthread_create(&t[r], NULL, pend_main, &p[r]);
	}
	for (r = 0; r < 2; r++)
		pthread_join(t[r], NULL);
	ok(p[0].limited && strstr(p[0].err, "not yet received") != NULL,
	    "--max-pending 1 MiB, receiver not receiving: fb_send gets "
	    "FB_E_LIMIT after %d messages: %s", p[0].sent, p[0].err);
	ok(p[0].sent > 0 && p[1].received == p[0].sent && p[0].rc == 0 &&
	    p[1].rc == 0, "the %d accepted messages all arrive intact and the "
	    "job goes on (barrier)", p[0].sent);
}

static void
cap_payload(void)
{
	char err[600];
	uint8_t *buf;
	fb_comm *c;
	int rc1, rc2, rc3, rc4;

	if (init1(&c, 1, err, sizeof err) != 0 ||
	    (buf = calloc(1, FB_MAX_ALLTOALL_BYTES + 16)) == NULL) {
		ok(0, "payload limits: %s", err);
		return;
	}
	rc1 = fb_send(c, buf, FB_MAX_MSG_BYTES + 1, 0, 0);
	rc2 = fb_allgather(c, buf, FB_MAX_SLICE_BYTES + 1);
	rc3 = fb_alltoall(c, buf, buf + 8, FB_MAX_PEER_BYTES + 1);
	rc4 = fb_barrier(c);
	ok(rc1 == FB_E_INVAL && rc2 == FB_E_INVAL && rc3 == FB_E_INVAL &&
	    rc4 == 0, "payload limits: send, allgather and alltoall over the "
	    "limit get FB_E_INVAL and the handle stays usable");
	fb_comm_destroy(c);
	free(buf);
}

static void
caps_conns_handshake(void)
{
	static const char *const args[] = { "--max-conns", "8",
	    "--handshake-ms", "200", NULL };
	struct th_daemon d;
	char err[600];
	int held[8], i, fd, rc;
	double t0, t;

	ok(th_daemon_start(&d, args) == 0, "fastbootd --max-conns 8 "
	    "--handshake-ms 200 started");
	for (i = 0; i < 8; i++)
		held[i] = rel_connect(d.sock);
	fd = rel_connect(d.sock);
	rc = rel_expect_error(fd, MS, err, sizeof err);
	close(fd);
	ok(rc == FB_E_LIMIT && strstr(err, "8 connections") != NULL,
	    "--max-conns 8: a 9th connection gets FB_E_LIMIT: %s", err);
	t0 = th_now_ms();
	rc = rel_expect_error(held[0], MS, err, sizeof err);
	t = th_now_ms() - t0;
	ok(rc == FB_E_TIMEOUT, "--handshake-ms 200: a silent client is "
	    "dropped with FB_E_TIMEOUT: %s", err);
	tap_diag("silent client dropped %.0f ms after the test started "
	    "waiting", t);
	for (i = 0; i < 8; i++)
		close(held[i]);
	ok(rel_job(4) == 0, "then the daemon serves a 4-rank job");
	th_daemon_cleanup(&d);
}

/*
 * Accept with every descriptor in use: back off, don't spin, on the Unix
 * socket and on a --listen-tcp one.  The measure is how long the daemon was
 * runnable (on a CPU or waiting for one, from /proc/PID/schedstat) over a
 * stretch of wall time: a daemon spinning on EMFILE is runnable all along
 * however busy the machine is, where its CPU share falls with the load.
 * Backing off 100 ms at a time, it is runnable for one accept() per
 * wake-up.
 */
#define EMFILE_WINDOW_MS	1000
/* Seen: 1.5-13.5% backing off (load up to ~30), 99-100% spinning. */
#define EMFILE_RUNNABLE_MAX	0.75

/* port 0: fill the Unix socket's descriptors; else a --listen-tcp port's. */
static void
emfile(int port)
{
	enum { N = 48, NOFILE = 24 };
	struct th_daemon_opts o = { .nofile = NOFILE };
	struct th_daemon d;
	char ep[32];
	const char *args[] = { "--listen-tcp", ep, NULL };
	const char *on = port ? "a TCP listener" : "the Unix socket";
	int fds[N], i, n = 0, full, have;
	double run0, wait0, run1, wait1, t0, t1, runnable;

	snprintf(ep, sizeof ep, "127.0.0.1:%d", port);
	if (th_daemon_start_opts(&d, port ? args : NULL, &o) == -1) {
		if (port) {	/* the port may be another's */
			tap_skip("EMFILE on %s: no daemon on %s", on, ep);
			tap_skip("EMFILE on %s", on);
			tap_skip("EMFILE on %s", on);
			tap_skip("EMFILE on %s", on);
			return;
		}
		ok(0, "fastbootd under RLIMIT_NOFILE 24 started");
		return;
	}
	ok(1, "fastbootd under RLIMIT_NOFILE 24 started%s%s", port ?
	    ", listening on " : "", port ? ep : "");
	for (i = 0; i < N; i++)
		if ((fds[i] = port ? rel_connect_loopback(port) :
		    rel_connect(d.sock)) != -1)
			n++;
	/* Out of descriptors: it has accepted all it can. */
	t0 = th_now_ms();
	while ((full = rel_proc_fds(d.pid) >= NOFILE) == 0 &&
	    th_now_ms() - t0 < 10000)
		usleep(10000);
	have = rel_proc_sched(d.pid, &run0, &wait0) == 0;
	t0 = th_now_ms();
	usleep(EMFILE_WINDOW_MS * 1000);	/* the window measured */
	have = have && rel_proc_sched(d.pid, &run1, &wait1) == 0;
	t1 = th_now_ms();
	if (!have) {
		tap_skip("no /proc/PID/schedstat: cannot measure");
		ok(rel_daemon_alive(&d), "the daemon out of descriptors is "
		    "alive");
	} else {
		runnable = (run1 - run0 + wait1 - wait0) / (t1 - t0);
		tap_diag("%d connections to %s of a daemon with %d "
		    "descriptors: in %.0f ms it ran %.1f ms and waited for a "
		    "CPU %.1f ms (runnable %.1f%%)", n, on, NOFILE, t1 - t0,
		    run1 - run0, wait1 - wait0, runnable * 100);
		ok(n == N && full && runnable < EMFILE_RUNNABLE_MAX,
		    "EMFILE on accept on %s backs off: the daemon is runnable "
		    "%.1f%% of the time (< %.0f%%; spinning: ~100%%)", on,
		    runnable * 100, EMFILE_RUNNABLE_MAX * 100);
		ok(rel_daemon_alive(&d), "the daemon out of descriptors is "
		    "alive");
	}
	for (i = 0; i < N; i++)
		if (fds[i] != -1)
			close(fds[i]);
	ok(rel_job(4) == 0, "once the connections close it serves a 4-rank "
	    "job again");
	th_daemon_cleanup(&d);
}

int
main(void)
{
	static const char *const args[] = { "--max-ranks", "4", "--max-jobs",
	    "2", "--max-conns-per-uid", "6", "--max-pending", "1048576",
	    NULL };
	struct th_daemon d;
	int base;

	th_deadline(180);
	tap_plan(1 + 6 + 2 + 1 + 4 + 4 + 4 + 4);
	ok(th_daemon_start(&d, args) == 0, "fastbootd --max-ranks 4 "
	    "--max-jobs 2 --max-conns-per-uid 6 --max-pending 1048576 started");
	base = rel_proc_fds(d.pid);
	chmod(d.dir, 0755);
	caps_ranks_jobs_conns(&d, base);
	cap_pending();
	cap_payload();
	th_daemon_cleanup(&d);
	caps_conns_handshake();
	emfile(0);
	/* A loopback port of this test's own. */
	emfile(30000 + getpid() % 20000);
	caps_jobs_per_uid();
	return tap_done();
}
