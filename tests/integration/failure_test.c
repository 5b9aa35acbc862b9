/*
 * failure_test.c - what a job sees when one of its ranks dies, never comes,
 * disagrees or leaves: the right code on every rank, promptly, with a
 * detail that names the rank.
 */
#include <signal.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"
#include "itest.h"

#define GROUP_MS	30000	/* each rank group's bound */
#define LONG_MS		20000	/* a timeout that a prompt error beats */
#define PROMPT_MS	5000	/* "promptly": well below LONG_MS */

static struct itest *t;

static fb_comm *
failure_init(int rank, int nranks, const fb_unique_id *id, int timeout_ms)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm = NULL;
	int rc;

	cfg.timeout_ms = timeout_ms;
	rc = fb_comm_init_config(&comm, id, rank, nranks, &cfg);
	if (rc != 0) {
		itest_fail(t, rank, "init: %s (%s)", fb_strerror(rc),
		    fb_comm_last_error(NULL));
		return NULL;
	}
	return comm;
}

/* --- a rank killed during a barrier ---------------------------------- */

#define KILLED 5
#define RECEIVER 6	/* in a recv from KILLED, not in the barrier */

static int
failure_kill_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_comm *comm;
	double start;
	char b[4];
	int rc;

	if ((comm = failure_init(rank, n, id, LONG_MS)) == NULL)
		return 1;
	t->r[rank].pid = getpid();
	if (rank == KILLED) {
		__atomic_store_n(&t->r[rank].flag, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();	/* until SIGKILL */
	}
	__atomic_store_n(&t->r[rank].flag, 1, __ATOMIC_SEQ_CST);
	start = th_now_ms();
	if (rank == RECEIVER)
		rc = fb_recv(comm, b, sizeof b, KILLED, 0);
	else
		rc = fb_barrier(comm);
	itest_note(t, rank, comm, rc, start);
	/* Every later call fails the same way. */
	ITEST_CHECK(t, rank, fb_barrier(comm) == FB_E_PEER_LOST, "a later "
	    "barrier is not FB_E_PEER_LOST");
	ITEST_CHECK(t, rank, fb_send(comm, "x", 1, 0, 1) == FB_E_PEER_LOST,
	    "a later send is not FB_E_PEER_LOST");
	fb_comm_destroy(comm);
	return 0;
}

static void
failure_kill_in_barrier(int n)
{
	fb_unique_id id;
	pid_t pids[ITEST_MAX_RANKS];
	double killed, lat, worst = 0;
	char pidtxt[32];
	int r, good = 1, named = 1, failed;

	itest_reset(t);
	th_unique_id(&id);
	th_spawn_ranks(n, failure_kill_rank, NULL, &id, pids);
	if (!ok(itest_wait_flags(t, n, -1, GROUP_MS), "%d ranks joined; %d "
	    "entering a barrier, rank %d a recv from rank %d, rank %d holding "
	    "back", n, n - 2, RECEIVER, KILLED, KILLED)) {
		itest_report(t, n);
		th_wait_pids(pids, n, 0, NULL);
		return;
	}
	usleep(100000);		/* let them block; not needed to pass */
	killed = th_now_ms();
	kill(pids[KILLED], SIGKILL);
	failed = th_wait_pids(pids, n, GROUP_MS, NULL);
	snprintf(pidtxt, sizeof pidtxt, "pid %d", (int)pids[KILLED]);
	for (r = 0; r < n; r++) {
		if (r == KILLED)
			continue;
		lat = t->r[r].t_ms - killed;
		if (lat > worst)
			worst = lat;
		if (t->r[r].rc != FB_E_PEER_LOST || !t->r[r].done) {
			tap_diag("rank %d: %s: %s", r,
			    fb_strerror(t->r[r].rc), t->r[r].err);
			good = 0;
		}
		if (strstr(t->r[r].err, "rank 5") == NULL ||
		    strstr(t->r[r].err, pidtxt) == NULL) {
			tap_diag("rank %d: \"%s\" does not name rank 5, %s",
			    r, t->r[r].err, pidtxt);
			named = 0;
		}
	}
	itest_report(t, n);
	ok(good && failed == 1, "the %d others get FB_E_PEER_LOST from the "
	    "barrier or the recv, and from later calls", n - 1);
	ok(named, "fb_comm_last_error names rank %d and its pid: \"%s\"",
	    KILLED, t->r[0].err);
	tap_diag("failure detection latency, %d ranks (SIGKILL to the last "
	    "rank's return): %.1f ms, timeout %d ms", n, worst, LONG_MS);
	ok(good && worst < PROMPT_MS, "all saw it within %.1f ms, well "
	    "below the %d ms timeout", worst, LONG_MS);
}

/* --- a rank that never comes ------------------------------------------ */

#define SHORT_MS 1500

struct missing_arg {
	int at_barrier;		/* 0: never join; 1: join, never arrive */
	unsigned mask;		/* the missing ranks */
	const char *want;	/* what every detail must say */
};

static int
failure_missing_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	const struct missing_arg *a = arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm = NULL;
	int missing = (a->mask >> rank) & 1;
	double start;
	int rc, i;

	if (missing && !a->at_barrier)
		return 0;
	cfg.timeout_ms = SHORT_MS;
	start = th_now_ms();
	rc = fb_comm_init_config(&comm, id, rank, n, &cfg);
	if (!a->at_barrier) {
		itest_note(t, rank, NULL, rc, start);
		return 0;
	}
	if (rc != 0)
		return itest_fail(t, rank, "init: %s (%s)", fb_strerror(rc),
		    fb_comm_last_error(NULL));
	if (missing) {
		/* Stay in the job without arriving, until the others are
		 * done (then leave by exiting). */
		for (i = 0; i < 3000; i++) {
			int r, all = 1;

			for (r = 0; r < n; r++)
				if (!((a->mask >> r) & 1) && !__atomic_load_n(
				    &t->r[r].done, __ATOMIC_SEQ_CST))
					all = 0;
			if (all)
				break;
			usleep(10000);
		}
		return 0;
	}
	start = th_now_ms();
	rc = fb_barrier(comm);
	itest_note(t, rank, comm, rc, start);
	fb_comm_destroy(comm);
	return 0;
}

static void
failure_missing(int at_barrier, unsigned mask, const char *want)
{
	struct missing_arg a = { at_barrier, mask, want };
	int r, good = 1, ntimeout = 0, failed, nhere = 0;
	double shortest = 1e9;

	itest_reset(t);
	failed = th_run_ranks(8, failure_missing_rank, &a, GROUP_MS);
	itest_report(t, 8);
	for (r = 0; r < 8; r++) {
		if ((mask >> r) & 1)
			continue;
		nhere++;
		if (t->r[r].rc == FB_E_TIMEOUT) {
			ntimeout++;
			if (t->r[r].elapsed_ms < shortest)
				shortest = t->r[r].elapsed_ms;
		} else if (t->r[r].rc != FB_E_ABORTED) {
			good = 0;
		}
		if (strstr(t->r[r].err, want) == NULL) {
			tap_diag("rank %d: %s: \"%s\"", r,
			    fb_strerror(t->r[r].rc), t->r[r].err);
			good = 0;
		}
	}
	ok(failed == 0 && good && ntimeout > 0, "missing at %s: FB_E_TIMEOUT "
	    "(or FB_E_ABORTED from the first to time out) on all %d, each "
	    "saying \"%s\"; e.g. \"%s\"", at_barrier ? "a barrier" : "init",
	    nhere, want, t->r[0].err);
	ok(ntimeout > 0 && shortest >= SHORT_MS - 1 && shortest < SHORT_MS +
	    PROMPT_MS, "fb_config.timeout_ms %d honoured: the first timeout "
	    "came after %.0f ms", SHORT_MS, shortest);
}

/* --- a recv that nothing answers -------------------------------------- */

static int
failure_recv_timeout_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_comm *comm;
	double start;
	char b[4];
	int rc;

	comm = failure_init(rank, n, id, rank == 0 ? SHORT_MS : LONG_MS);
	if (comm == NULL)
		return 1;
	if (rank == 0) {
		start = th_now_ms();
		rc = fb_recv(comm, b, sizeof b, 1, 42);
		itest_note(t, rank, comm, rc, start);
		/* Not a job failure: the handle goes on. */
		rc = fb_send(comm, "ok", 3, 1, 43);
		ITEST_CHECK(t, rank, rc == 0, "send after a recv timeout: %s "
		    "(%s)", fb_strerror(rc), fb_comm_last_error(comm));
	} else {
		rc = fb_recv(comm, b, 3, 0, 43);
		ITEST_CHECK(t, rank, rc == 0 && strcmp(b, "ok") == 0,
		    "recv: %s (%s)", fb_strerror(rc),
		    fb_comm_last_error(comm));
	}
	rc = fb_barrier(comm);
	ITEST_CHECK(t, rank, rc == 0, "barrier after a recv timeout: %s (%s)",
	    fb_strerror(rc), fb_comm_last_error(comm));
	fb_comm_destroy(comm);
	return 0;
}

static void
failure_recv_timeout(void)
{
	int failed;

	itest_reset(t);
	failed = th_run_ranks(2, failure_recv_timeout_rank, NULL, GROUP_MS);
	itest_report(t, 2);
	ok(t->r[0].rc == FB_E_TIMEOUT && t->r[0].elapsed_ms >= SHORT_MS - 1 &&
	    t->r[0].elapsed_ms < SHORT_MS + PROMPT_MS &&
	    strstr(t->r[0].err, "rank 1 tag 42") != NULL, "a recv from a rank "
	    "that sends nothing: FB_E_TIMEOUT after %.0f ms (timeout %d) "
	    "naming rank and tag: \"%s\"", t->r[0].elapsed_ms, SHORT_MS,
	    t->r[0].err);
	ok(failed == 0, "the handle goes on: a send, a recv and a barrier "
	    "after it work");
}

/* --- FASTBOOT_TIMEOUT_MS, and the config over it ------------------- */

struct env_arg {
	const char *env;
	int cfg_ms;
};

static int
failure_env_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	const struct env_arg *a = arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm = NULL;
	double start;
	int rc;

	if (rank != 0)
		return 0;	/* never joins */
	setenv("FASTBOOT_TIMEOUT_MS", a->env, 1);
	cfg.timeout_ms = a->cfg_ms;
	start = th_now_ms();
	rc = fb_comm_init_config(&comm, id, rank, n, &cfg);
	itest_note(t, rank, NULL, rc, start);
	return 0;
}

static void
failure_env_timeout(const char *env, int cfg_ms, int want_ms)
{
	struct env_arg a = { env, cfg_ms };
	int failed;

	itest_reset(t);
	failed = th_run_ranks(2, failure_env_rank, &a, GROUP_MS);
	ok(failed == 0 && t->r[0].rc == FB_E_TIMEOUT &&
	    t->r[0].elapsed_ms >= want_ms - 1 &&
	    t->r[0].elapsed_ms < want_ms + PROMPT_MS &&
	    strstr(t->r[0].err, "ranks 1 of 2 have not joined") != NULL,
	    "FASTBOOT_TIMEOUT_MS=%s, fb_config.timeout_ms=%d: init timed out "
	    "after %.0f ms (want %d): \"%s\"", env, cfg_ms,
	    t->r[0].elapsed_ms, want_ms, t->r[0].err);
}

/* --- disagreements --------------------------------------------------- */

#define ODD 2

static int
failure_nranks_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm = NULL;
	double start = th_now_ms();
	int rc;

	cfg.timeout_ms = LONG_MS;
	if (arg != NULL && rank == ODD) {
		/* The odd rank runs collectives the other way. */
		const char *e = getenv("FASTBOOT_COLLECTIVES");

		setenv("FASTBOOT_COLLECTIVES", e != NULL &&
		    strcmp(e, "daemon") == 0 ? "shm" : "daemon", 1);
	}
	rc = fb_comm_init_config(&comm, id, rank, rank == ODD && arg == NULL ?
	    n + 1 : n, &cfg);
	itest_note(t, rank, NULL, rc, start);
	if (rc == 0)
		fb_comm_destroy(comm);
	return 0;
}

struct size_arg {
	int kind;		/* 0: allgather sizes, 1: barrier vs allgather,
				   2: alltoall sizes */
};

static int
failure_size_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	const struct size_arg *a = arg;
	uint8_t buf[4 * 64], out[4 * 64];
	fb_comm *comm;
	double start;
	int rc = 0;

	memset(buf, rank, sizeof buf);
	if ((comm = failure_init(rank, n, id, LONG_MS)) == NULL)
		return 1;
	rc = fb_allgather(comm, buf, 16);
	ITEST_CHECK(t, rank, rc == 0, "a first, agreeing allgather: %s (%s)",
	    fb_strerror(rc), fb_comm_last_error(comm));
	start = th_now_ms();
	switch (a->kind) {
	case 0:
		rc = fb_allgather(comm, buf, rank == 1 ? 32 : 64);
		break;
	case 1:
		rc = rank == 1 ? fb_barrier(comm) : fb_allgather(comm, buf, 8);
		break;
	case 2:
		rc = fb_alltoall(comm, buf, out, rank == 3 ? 16 : 8);
		break;
	}
	itest_note(t, rank, comm, rc, start);
	ITEST_CHECK(t, rank, fb_barrier(comm) == FB_E_MISMATCH, "the "
	    "mismatch is not sticky");
	fb_comm_destroy(comm);
	return 0;
}

static int
failure_all_rc(int n, int want, int skip)
{
	int r, good = 1;

	for (r = 0; r < n; r++) {
		if (r == skip)
			continue;
		if (t->r[r].rc != want || !t->r[r].done) {
			tap_diag("rank %d: %s: \"%s\"", r,
			    fb_strerror(t->r[r].rc), t->r[r].err);
			good = 0;
		}
	}
	return good;
}

static void
failure_mismatch(void)
{
	static const char *what[] = { "allgather of 32 vs 64 bytes",
	    "barrier vs allgather", "alltoall of 16 vs 8 bytes" };
	static const char *odd[] = { "rank 1 called allgather with 32 bytes",
	    "rank 1 called barrier", "rank 3 called alltoall with 16 bytes" };
	struct size_arg a;
	int failed, k;

	itest_reset(t);
	failed = th_run_ranks(4, failure_nranks_rank, NULL, GROUP_MS);
	ok(failed == 0 && failure_all_rc(4, FB_E_MISMATCH, -1), "rank %d says "
	    "nranks=5, the others 4: FB_E_MISMATCH on every rank (\"%s\")",
	    ODD, t->r[ODD].err);
	itest_reset(t);
	failed = th_run_ranks(4, failure_nranks_rank, "flip", GROUP_MS);
	ok(failed == 0 && failure_all_rc(4, FB_E_MISMATCH, -1), "rank %d "
	    "runs collectives the other way (FASTBOOT_COLLECTIVES): "
	    "FB_E_MISMATCH on every rank (\"%s\")", ODD, t->r[0].err);
	for (k = 0; k < 3; k++) {
		itest_reset(t);
		a.kind = k;
		failed = th_run_ranks(4, failure_size_rank, &a, GROUP_MS);
		itest_report(t, 4);
		ok(failed == 0 && failure_all_rc(4, FB_E_MISMATCH, -1), "%s: "
		    "FB_E_MISMATCH on every rank", what[k]);
		ok(strstr(t->r[0].err, odd[k]) != NULL && strstr(t->r[2].err,
		    odd[k]) != NULL, "the detail names the rank that "
		    "differs (\"%s\"): \"%s\"", odd[k], t->r[0].err);
	}
}

/* --- clean departures ------------------------------------------------ */

#define LEAVER 3

/*
 * Rank 3 sends one message to rank 1 and leaves (fb_comm_destroy) while
 * rank 0 is blocked receiving from it.  Ranks 0-2 go on with send/recv
 * among themselves; only what needs rank 3 fails.
 */
static int
failure_leave_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_comm *comm;
	char m[16];
	double start;
	int rc, s;

	if ((comm = failure_init(rank, n, id, LONG_MS)) == NULL)
		return 1;
	rc = fb_barrier(comm);
	ITEST_CHECK(t, rank, rc == 0, "barrier: %s", fb_strerror(rc));
	if (rank == LEAVER) {
		rc = fb_send(comm, "bye", 3, 1, 5);
		ITEST_CHECK(t, rank, rc == 0, "send: %s", fb_strerror(rc));
		/* Wait for rank 0 to block in its recv (not needed to
		 * pass: a WAIT after the LEAVE is answered at once). */
		itest_wait_flags(t, 1, -1, GROUP_MS);
		usleep(100000);
		t->r[LEAVER].t_ms = th_now_ms();
		rc = fb_comm_destroy(comm);
		ITEST_CHECK(t, rank, rc == 0, "destroy: %s", fb_strerror(rc));
		t->r[LEAVER].done = 1;
		return 0;
	}
	if (rank == 0) {
		__atomic_store_n(&t->r[0].flag, 1, __ATOMIC_SEQ_CST);
		start = th_now_ms();
		rc = fb_recv(comm, m, 4, LEAVER, 9);
		itest_note(t, rank, comm, rc, start);
		ITEST_CHECK(t, rank, rc == FB_E_PEER_LOST, "recv from the "
		    "rank that left: %s, want FB_E_PEER_LOST", fb_strerror(rc));
		/* It is gone now, as the daemon saw it. */
		rc = fb_send(comm, "x", 1, LEAVER, 1);
		ITEST_CHECK(t, rank, rc == FB_E_PEER_LOST, "send to the rank "
		    "that left: %s, want FB_E_PEER_LOST", fb_strerror(rc));
		for (s = 1; s < n - 1; s++) {
			rc = fb_send(comm, "gone", 4, s, 6);
			ITEST_CHECK(t, rank, rc == 0, "send: %s (%s)",
			    fb_strerror(rc), fb_comm_last_error(comm));
		}
	} else {
		rc = fb_recv(comm, m, 4, 0, 6);
		ITEST_CHECK(t, rank, rc == 0 && memcmp(m, "gone", 4) == 0,
		    "recv from rank 0: %s (%s)", fb_strerror(rc),
		    fb_comm_last_error(comm));
	}
	if (rank == 1) {
		rc = fb_recv(comm, m, 3, LEAVER, 5);
		ITEST_CHECK(t, rank, rc == 0 && memcmp(m, "bye", 3) == 0,
		    "recv of the message rank 3 sent before leaving: %s (%s)",
		    fb_strerror(rc), fb_comm_last_error(comm));
		rc = fb_recv(comm, m, 3, LEAVER, 5);
		ITEST_CHECK(t, rank, rc == FB_E_PEER_LOST, "a second recv "
		    "from rank 3: %s, want FB_E_PEER_LOST", fb_strerror(rc));
	}
	/* A ring among the ranks still here, several rounds. */
	for (s = 0; s < 20; s++) {
		int next = (rank + 1) % (n - 1), prev = (rank + n - 2) %
		    (n - 1), v = rank * 100 + s, got = -1;

		rc = fb_send(comm, &v, sizeof v, next, 1000 + s);
		ITEST_CHECK(t, rank, rc == 0, "ring send %d: %s (%s)", s,
		    fb_strerror(rc), fb_comm_last_error(comm));
		rc = fb_recv(comm, &got, sizeof got, prev, 1000 + s);
		ITEST_CHECK(t, rank, rc == 0 && got == prev * 100 + s,
		    "ring recv %d: %s (%s)", s, fb_strerror(rc),
		    fb_comm_last_error(comm));
	}
	/* All three are through the ring before a barrier fails the job
	 * (a failed job fails pending sends and recvs too). */
	__atomic_store_n(&t->r[rank].step, 1, __ATOMIC_SEQ_CST);
	ITEST_CHECK(t, rank, itest_wait_steps(t, n, LEAVER, 1, GROUP_MS),
	    "the others did not finish the ring");
	/* A collective needs rank 3: that is the error. */
	rc = fb_barrier(comm);
	ITEST_CHECK(t, rank, rc == FB_E_PEER_LOST && strstr(
	    fb_comm_last_error(comm), "rank 3") != NULL, "a barrier without "
	    "rank 3: %s (%s), want FB_E_PEER_LOST naming rank 3",
	    fb_strerror(rc), fb_comm_last_error(comm));
	t->r[rank].done = 1;
	fb_comm_destroy(comm);
	return 0;
}

static void
failure_leave(void)
{
	int failed;
	double lat;

	itest_reset(t);
	failed = th_run_ranks(4, failure_leave_rank, NULL, GROUP_MS);
	itest_report(t, 4);
	ok(failed == 0, "a rank that leaves cleanly: the others keep "
	    "sending and receiving among themselves; its earlier message "
	    "is still delivered; sends to it and a barrier fail");
	lat = t->r[0].t_ms - t->r[LEAVER].t_ms;
	tap_diag("recv blocked on a rank that called fb_comm_destroy "
	    "returned %.1f ms after it", lat);
	ok(t->r[0].rc == FB_E_PEER_LOST && lat < PROMPT_MS, "a recv blocked "
	    "on that rank returned FB_E_PEER_LOST promptly (%.1f ms): \"%s\"",
	    lat, t->r[0].err);
}

/* --- a rank that leaves while the others wait in a barrier ------------ */

static int
failure_leave_barrier_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_comm *comm;
	double start;
	int rc;

	if ((comm = failure_init(rank, n, id, LONG_MS)) == NULL)
		return 1;
	rc = fb_barrier(comm);
	ITEST_CHECK(t, rank, rc == 0, "first barrier: %s", fb_strerror(rc));
	if (rank == LEAVER) {
		itest_wait_flags(t, n, LEAVER, GROUP_MS);
		usleep(100000);		/* not needed to pass */
		t->r[rank].t_ms = th_now_ms();
		ITEST_CHECK(t, rank, fb_comm_destroy(comm) == 0, "destroy");
		return 0;
	}
	__atomic_store_n(&t->r[rank].flag, 1, __ATOMIC_SEQ_CST);
	start = th_now_ms();
	rc = fb_barrier(comm);
	itest_note(t, rank, comm, rc, start);
	fb_comm_destroy(comm);
	return 0;
}

static void
failure_leave_in_barrier(void)
{
	double worst = 0, lat;
	int r, good = 1, failed;

	itest_reset(t);
	failed = th_run_ranks(4, failure_leave_barrier_rank, NULL, GROUP_MS);
	itest_report(t, 4);
	for (r = 0; r < 3; r++) {
		lat = t->r[r].t_ms - t->r[LEAVER].t_ms;
		if (lat > worst)
			worst = lat;
		if (t->r[r].rc != FB_E_PEER_LOST ||
		    strstr(t->r[r].err, "rank 3") == NULL) {
			tap_diag("rank %d: %s: \"%s\"", r,
			    fb_strerror(t->r[r].rc), t->r[r].err);
			good = 0;
		}
	}
	ok(failed == 0 && good, "a rank calls fb_comm_destroy while 3 wait in "
	    "a barrier: FB_E_PEER_LOST naming it on all 3 (\"%s\")",
	    t->r[0].err);
	tap_diag("barrier left by a destroyed rank: the last rank returned "
	    "%.1f ms after fb_comm_destroy", worst);
	ok(good && worst < PROMPT_MS, "within %.1f ms, well below the %d ms "
	    "timeout", worst, LONG_MS);
}

/* --- a rank lost during init, and one that comes after ---------------- */

#define LATE 3

struct init_arg {
	int rank;		/* -1: the rank th_spawn_ranks gives */
};

static int
failure_lost_init_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	const struct init_arg *a = arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm = NULL;
	double start;
	int rc;

	if (a->rank >= 0)
		rank = a->rank;
	n = 4;
	t->r[rank].pid = getpid();
	cfg.timeout_ms = LONG_MS;
	start = th_now_ms();
	rc = fb_comm_init_config(&comm, id, rank, n, &cfg);
	itest_note(t, rank, NULL, rc, start);
	if (rc == 0)
		fb_comm_destroy(comm);
	return 0;
}

static void
failure_lost_in_init(const char *sock)
{
	struct init_arg a = { -1 }, late = { LATE };
	fb_unique_id id;
	pid_t pids[3], lpid[1];
	char pidtxt[32];
	double killed;
	int r, good = 1;

	itest_reset(t);
	if (!ok(itest_ctl_wait(sock, "ranks", 0, GROUP_MS), "no ranks left "
	    "from earlier tests"))
		return;
	th_unique_id(&id);
	th_spawn_ranks(3, failure_lost_init_rank, &a, &id, pids);
	if (!ok(itest_ctl_wait(sock, "ranks", 3, GROUP_MS), "ranks 0-2 of 4 "
	    "joined (fastbootd's status says 3 ranks)")) {
		th_wait_pids(pids, 3, 0, NULL);
		return;
	}
	killed = th_now_ms();
	kill(pids[2], SIGKILL);
	th_wait_pids(pids, 3, GROUP_MS, NULL);
	snprintf(pidtxt, sizeof pidtxt, "pid %d", (int)pids[2]);
	for (r = 0; r < 2; r++)
		if (t->r[r].rc != FB_E_PEER_LOST || t->r[r].t_ms - killed >=
		    PROMPT_MS || strstr(t->r[r].err, "rank 2") == NULL ||
		    strstr(t->r[r].err, pidtxt) == NULL) {
			tap_diag("rank %d: %s after %.0f ms: \"%s\"", r,
			    fb_strerror(t->r[r].rc), t->r[r].t_ms - killed,
			    t->r[r].err);
			good = 0;
		}
	ok(good, "rank 2 SIGKILLed during init: ranks 0 and 1 get "
	    "FB_E_PEER_LOST naming it and its pid within %d ms (\"%s\")",
	    PROMPT_MS, t->r[0].err);
	/* Rank 3 comes after all that: it hears why, at once. */
	th_spawn_ranks(1, failure_lost_init_rank, &late, &id, lpid);
	th_wait_pids(lpid, 1, GROUP_MS, NULL);
	ok(t->r[LATE].rc == FB_E_PEER_LOST && t->r[LATE].elapsed_ms <
	    PROMPT_MS && strstr(t->r[LATE].err, "rank 2") != NULL,
	    "rank 3, coming after the others went, gets FB_E_PEER_LOST in "
	    "%.0f ms, not a timeout: \"%s\"", t->r[LATE].elapsed_ms,
	    t->r[LATE].err);
}

int
main(void)
{
	struct th_daemon d;
	int st;

	th_deadline(150);
#ifdef ITEST_DAEMON_COLL
	/* The same, with collectives through the daemon (ARRIVE/RELEASE). */
	setenv("FASTBOOT_COLLECTIVES", "daemon", 1);
	tap_diag("FASTBOOT_COLLECTIVES=daemon");
#else
	unsetenv("FASTBOOT_COLLECTIVES");
#endif
	t = itest_shared();
	unsetenv("FASTBOOT_TIMEOUT_MS");
	if (!ok(th_daemon_start(&d, NULL) == 0, "fastbootd started"))
		return tap_done();
	failure_kill_in_barrier(8);
	failure_kill_in_barrier(64);
	failure_missing(0, 1u << 3, "ranks 3 of 8 have not joined");
	failure_missing(1, 1u << 3, "ranks 3 of 8 have not arrived");
	failure_missing(1, 1u << 3 | 1u << 5 | 1u << 6 | 1u << 7,
	    "ranks 3,5-7 of 8 have not arrived");
	failure_recv_timeout();
	failure_env_timeout("700", 0, 700);
	failure_env_timeout("60000", 600, 600);
	failure_mismatch();
	failure_leave();
	failure_leave_in_barrier();
	failure_lost_in_init(d.sock);
	st = th_daemon_stop(&d);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fastbootd stopped cleanly "
	    "on SIGTERM (wait status %d)", st);
	th_daemon_cleanup(&d);
	return tap_done();
}
