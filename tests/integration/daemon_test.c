/*
 * daemon_test.c - the library without a daemon, and with a daemon that
 * dies (SIGKILL) or stops (SIGTERM) under clients blocked in every kind
 * of wait: an error at once, never a hang; and the daemon's scheduling
 * policy.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"
#include "itest.h"

#define GROUP_MS	30000
#define LONG_MS		20000
#define PROMPT_MS	5000

static struct itest *t;

static int
daemon_nodaemon_init(const char *path, double *ms, char *err, size_t size)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_unique_id id;
	fb_comm *comm = NULL;
	double start = th_now_ms();
	int rc;

	th_unique_id(&id);
	cfg.timeout_ms = LONG_MS;
	cfg.socket_path = path;
	rc = fb_comm_init_config(&comm, &id, 0, 2, &cfg);
	*ms = th_now_ms() - start;
	snprintf(err, size, "%s", fb_comm_last_error(NULL));
	if (rc == 0)
		fb_comm_destroy(comm);
	return rc;
}

static void
daemon_nodaemon(void)
{
	struct sockaddr_un sun;
	char dir[] = "/tmp/fbnodaemon.XXXXXX", path[64], err[1024];
	double ms;
	int fd, rc;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/none.sock", dir);
	rc = daemon_nodaemon_init(path, &ms, err, sizeof err);
	ok(rc == FB_E_NODAEMON && ms < PROMPT_MS && strstr(err, path) != NULL,
	    "no socket file: FB_E_NODAEMON in %.1f ms, naming the path: "
	    "\"%s\"", ms, err);

	/* A socket file nobody listens on (a daemon that died). */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		ok(0, "bind a stale socket");
	else {
		close(fd);
		rc = daemon_nodaemon_init(path, &ms, err, sizeof err);
		ok(rc == FB_E_NODAEMON && ms < PROMPT_MS, "a stale socket "
		    "file: FB_E_NODAEMON in %.1f ms: \"%s\"", ms, err);
	}
	unlink(path);

	/* A plain file in its place. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	rc = daemon_nodaemon_init(path, &ms, err, sizeof err);
	ok(rc == FB_E_NODAEMON && ms < PROMPT_MS, "a plain file at the path: "
	    "FB_E_NODAEMON in %.1f ms: \"%s\"", ms, err);
	unlink(path);

	/* FASTBOOT_SOCKET is used when the config names none. */
	setenv("FASTBOOT_SOCKET", path, 1);
	rc = daemon_nodaemon_init(NULL, &ms, err, sizeof err);
	ok(rc == FB_E_NODAEMON && strstr(err, path) != NULL,
	    "FASTBOOT_SOCKET is honoured: \"%s\"", err);
	rmdir(dir);
}

/*
 * Rank 0 waits in a barrier that rank 1 never joins; rank 1 waits in a
 * recv from rank 2, rank 2 in a recv from rank 1.  Then the daemon goes.
 */
static int
daemon_lost_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm = NULL;
	double start;
	char b[8];
	int rc;

	cfg.timeout_ms = LONG_MS;
	rc = fb_comm_init_config(&comm, id, rank, n, &cfg);
	if (rc != 0)
		return itest_fail(t, rank, "init: %s (%s)", fb_strerror(rc),
		    fb_comm_last_error(NULL));
	__atomic_store_n(&t->r[rank].flag, 1, __ATOMIC_SEQ_CST);
	start = th_now_ms();
	if (rank == 0)
		rc = fb_barrier(comm);
	else
		rc = fb_recv(comm, b, sizeof b, rank == 1 ? 2 : 1, 0);
	itest_note(t, rank, comm, rc, start);
	/* Later calls fail the same way, without waiting. */
	start = th_now_ms();
	ITEST_CHECK(t, rank, fb_barrier(comm) == rc && fb_send(comm, b, 1,
	    0, 0) == rc && fb_allgather(comm, b, 1) == rc, "a later call "
	    "does not fail as the first did");
	ITEST_CHECK(t, rank, fb_comm_destroy(comm) == 0, "destroy");
	ITEST_CHECK(t, rank, th_now_ms() - start < PROMPT_MS, "later calls "
	    "and destroy took %.0f ms", th_now_ms() - start);
	return 0;
}

static void
daemon_gone(int sig)
{
	struct th_daemon d;
	fb_unique_id id;
	pid_t pids[3];
	double gone, worst = 0;
	int r, good = 1, failed, st;

	itest_reset(t);
	if (!ok(th_daemon_start(&d, NULL) == 0, "fastbootd started")) {
		th_daemon_cleanup(&d);
		return;
	}
	th_unique_id(&id);
	th_spawn_ranks(3, daemon_lost_rank, NULL, &id, pids);
	if (!itest_wait_flags(t, 3, -1, GROUP_MS)) {
		itest_report(t, 3);
		ok(0, "3 ranks joined");
	}
	usleep(100000);		/* let them block; not needed to pass */
	gone = th_now_ms();
	th_daemon_kill(&d, sig);
	waitpid(d.pid, &st, 0);	/* reap it here, not in th_wait_pids */
	d.pid = 0;
	failed = th_wait_pids(pids, 3, GROUP_MS, NULL);
	itest_report(t, 3);
	for (r = 0; r < 3; r++) {
		if (t->r[r].rc != FB_E_DAEMON_LOST || !t->r[r].done) {
			tap_diag("rank %d: %s: \"%s\"", r,
			    fb_strerror(t->r[r].rc), t->r[r].err);
			good = 0;
		}
		if (t->r[r].t_ms - gone > worst)
			worst = t->r[r].t_ms - gone;
	}
	ok(failed == 0 && good, "fastbootd %s under a barrier and two recvs: "
	    "FB_E_DAEMON_LOST on all 3, later calls too, destroy fine "
	    "(\"%s\")", sig == SIGKILL ? "SIGKILLed" : "stopped by SIGTERM",
	    t->r[0].err);
	tap_diag("daemon %s: the last rank returned after %.1f ms",
	    sig == SIGKILL ? "killed" : "stopped", worst);
	ok(good && worst < PROMPT_MS, "within %.1f ms, well below the %d ms "
	    "timeout", worst, LONG_MS);
	if (sig == SIGKILL) {
		double ms;
		char err[1024];
		int rc = daemon_nodaemon_init(d.sock, &ms, err, sizeof err);

		ok(rc == FB_E_NODAEMON && ms < PROMPT_MS, "a new init on the "
		    "dead daemon's socket: FB_E_NODAEMON in %.1f ms", ms);
	}
	th_daemon_cleanup(&d);
}

/* Init, a barrier, destroy. */
static int
daemon_two_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_comm *comm = NULL;
	int rc;

	(void)arg;
	if ((rc = fb_comm_init(&comm, id, rank, n)) == 0)
		rc = fb_barrier(comm);
	if (comm != NULL && fb_comm_destroy(comm) != 0 && rc == 0)
		rc = -1;
	return rc != 0;
}

/*
 * The daemon's scheduling policy, as the kernel reports it for its pid:
 * SCHED_BATCH by default (a rank's message does not preempt the rank),
 * SCHED_OTHER with --sched-policy other, and a policy it was started with
 * (here SCHED_IDLE, through chrt) kept.  Each daemon then serves a job.
 */
static void
daemon_sched_one(const char *how, const char *const *args,
    const char *const *wrapper, int want)
{
	struct th_daemon_opts o = { 0, wrapper, 0 };
	struct th_daemon d;
	int policy = -1, rc = -1;

	if (th_daemon_start_opts(&d, args, &o) == 0) {
		policy = sched_getscheduler(d.pid);
		rc = th_run_ranks(2, daemon_two_rank, NULL, GROUP_MS);
	}
	ok(policy == want && rc == 0, "%s: the daemon's policy is %d (want "
	    "%d), and it serves a 2-rank job (%d failed)", how, policy, want,
	    rc);
	th_daemon_cleanup(&d);
}

static void
daemon_sched(void)
{
	static const char *const other[] = { "--sched-policy", "other",
	    NULL };
	static const char *const idle[] = { "chrt", "--idle", "0", NULL };

	daemon_sched_one("default", NULL, NULL, SCHED_BATCH);
	daemon_sched_one("--sched-policy other", other, NULL, SCHED_OTHER);
	if (access("/usr/bin/chrt", X_OK) == 0)
		daemon_sched_one("started under chrt --idle", NULL, idle,
		    SCHED_IDLE);
	else
		tap_skip("no /usr/bin/chrt");
}

int
main(void)
{
	th_deadline(90);
	t = itest_shared();
	daemon_nodaemon();
	daemon_gone(SIGKILL);
	daemon_gone(SIGTERM);
	daemon_sched();
	return tap_done();
}
