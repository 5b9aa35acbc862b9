/*
 * failure_test.c - failures propagate at once and say who failed.
 *
 * A rank SIGKILLed at each point (during init, in a barrier, allgather or
 * alltoall it had arrived at, while others are blocked in recv from it,
 * with sends pending), a rank that _exits without fb_comm_destroy, a rank
 * that leaves cleanly while others still need it, the daemon SIGKILLed, and
 * timeouts.  Ranks are processes.  Detection latency (death to the
 * survivors' calls returning) is printed as TAP diagnostics; the tests
 * assert only a generous bound.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rel.h"
#include "tap.h"

#define NR		8
#define VICTIM		3
#define LATE		(NR - 1)
#define RUNS		3
#define BOUND_MS	2000.0
#define RANK_TIMEOUT	15000

enum scenario {
	S_INIT, S_BARRIER, S_ALLGATHER, S_ALLTOALL, S_RECV, S_SENDS, S_EXIT,
	S_COUNT
};
static const char *sname[S_COUNT] = {
	"during init", "in barrier", "in allgather", "in alltoall",
	"while others recv from it", "with sends pending",
	"exit without fb_comm_destroy",
};

struct shm {
	volatile int stage[NR];		/* 1: about to block; 3: done */
	volatile int go;		/* the victim is dead */
	volatile int flag;		/* scenario-specific */
	volatile int returned;		/* blocked ranks whose call returned */
	int pending[NR];		/* blocked when the victim died */
	int rc[NR], rc2[NR];
	double t_ret[NR];
	double t_death;
	char err[NR][300], err2[NR][300];
};
static struct shm *sh;

/* Returns what fb_comm_init_config returned; *c is NULL on failure. */
static int
rank_init(fb_comm **c, const fb_unique_id *id, int rank, int nranks,
    int timeout_ms)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	int rc;

	cfg.timeout_ms = timeout_ms;
	*c = NULL;
	if ((rc = fb_comm_init_config(c, id, rank, nranks, &cfg)) != 0)
		*c = NULL;
	return rc;
}

static void
wait_for(volatile int *p, int v)
{
	double end = th_now_ms() + 20000;

	while (*p < v && th_now_ms() < end)
		usleep(1000);
}

static int
coll(fb_comm *c, enum scenario s, int rank)
{
	uint64_t buf[NR], out[NR];

	memset(buf, 0, sizeof buf);
	buf[rank] = (uint64_t)rank;
	switch (s) {
	case S_ALLGATHER:
		return fb_allgather(c, buf, sizeof buf[0]);
	case S_ALLTOALL:
		return fb_alltoall(c, buf, out, sizeof buf[0]);
	default:
		return fb_barrier(c);
	}
}

/* Every rank of a run; the victim is killed by the parent. */
static int
rank_main(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	enum scenario s = *(enum scenario *)arg;
	char msg[4096];
	fb_comm *c;
	int rc, p;

	memset(msg, 0x5a, sizeof msg);
	sh->pending[rank] = 0;
	if (s == S_INIT) {
		/* Rank 7 never comes: everyone waits in init. */
		if (rank != VICTIM)
			sh->pending[rank] = 1;
		sh->stage[rank] = 1;
		sh->rc[rank] = rank_init(&c, id, rank, NR, RANK_TIMEOUT);
		sh->t_ret[rank] = th_now_ms();
		/* A failed init leaves no handle: its detail is the
		 * thread's last error. */
		if (c == NULL)
			snprintf(sh->err[rank], sizeof sh->err[rank], "%s",
			    fb_comm_last_error(NULL));
		sh->stage[rank] = 3;
		return 0;
	}
	if (rank_init(&c, id, rank, nranks, RANK_TIMEOUT) != 0 ||
	    fb_barrier(c) != 0)
		return 1;
	if (rank == VICTIM) {
		switch (s) {
		case S_SENDS:
			for (p = 0; p < nranks; p++)
				if (p != rank && fb_send(c, msg, sizeof msg,
				    p, 1) != 0)
					return 1;
			break;
		case S_BARRIER:
		case S_ALLGATHER:
		case S_ALLTOALL:
			/* Arrive, then die inside the collective. */
			sh->stage[rank] = 1;
			coll(c, s, rank);
			return 1;
		case S_EXIT:
			for (p = 0; p < nranks; p++)
				if (p != rank)
					wait_for(&sh->stage[p], 1);
			usleep(50000);
			sh->t_death = th_now_ms();
			_exit(0);
		default:
			break;
		}
		sh->stage[rank] = 1;
		pause();
		return 1;
	}
	if (s == S_SENDS)
		wait_for(&sh->flag, 1);
	if (rank == LATE && s >= S_BARRIER && s <= S_ALLTOALL) {
		/* Not blocked when the victim dies: its first call after the
		 * others heard of it. */
		sh->stage[rank] = 1;
		wait_for(&sh->returned, 1);
		rc = coll(c, s, rank);
		sh->rc[rank] = rc;
		sh->t_ret[rank] = th_now_ms();
		snprintf(sh->err[rank], sizeof sh->err[rank], "%s",
		    fb_comm_last_error(c));
	} else {
		sh->pending[rank] = 1;
		sh->stage[rank] = 1;
		if (s == S_RECV)
			rc = fb_recv(c, msg, 16, VICTIM, 1);
		else
			rc = coll(c, s, rank);
		sh->t_ret[rank] = th_now_ms();
		__atomic_add_fetch(&sh->returned, 1, __ATOMIC_SEQ_CST);
		sh->rc[rank] = rc;
		snprintf(sh->err[rank], sizeof sh->err[rank], "%s",
		    fb_comm_last_error(c));
	}
	/* The next call fails the same way, with the same detail. */
	sh->rc2[rank] = s == S_SENDS ? fb_recv(c, msg, sizeof msg, VICTIM, 1) :
	    fb_barrier(c);
	snprintf(sh->err2[rank], sizeof sh->err2[rank], "%s",
	    fb_comm_last_error(c));
	sh->stage[rank] = 3;
	/* No fb_comm_destroy: the job is dead; just drop the handle. */
	return 0;
}

/* One run: spawn, wait until everyone is about to block, kill, collect. */
static int
run(enum scenario s, double *lat, int *nlat, char *why, size_t whysize)
{
	fb_unique_id id;
	pid_t pids[NR], victim;
	char want[64];
	int r, n = s == S_INIT ? NR - 1 : NR, bad = 0, i;
	double t_kill;

	memset(sh, 0, sizeof *sh);
	th_unique_id(&id);
	if (s == S_SENDS)
		sh->flag = 0;
	if (th_spawn_ranks(n, rank_main, &s, &id, pids) == -1) {
		snprintf(why, whysize, "fork failed");
		return -1;
	}
	victim = pids[VICTIM];
	for (r = 0; r < n; r++)
		if (s != S_EXIT || r != VICTIM)
			wait_for(&sh->stage[r], 1);
	if (s == S_SENDS) {
		sh->flag = 1;
		for (r = 0; r < n; r++)
			if (r != VICTIM)
				wait_for(&sh->stage[r], 1);
	}
	if (s == S_INIT) {
		/* The victim has joined once it maps the rank table. */
		for (i = 0; i < 5000 && !rel_proc_maps_has(victim,
		    "fastboot-job"); i++)
			usleep(1000);
	}
	usleep(50000);	/* let the others block (the result does not
			   depend on it, only the latency figure does) */
	if (s == S_EXIT) {
		t_kill = 0;
	} else {
		t_kill = th_now_ms();
		kill(victim, SIGKILL);
	}
	sh->go = 1;
	rel_wait_pids(pids, n, 30000);
	if (s == S_EXIT)
		t_kill = sh->t_death;
	snprintf(want, sizeof want, "pid %d", (int)victim);
	why[0] = '\0';
	for (r = 0; r < n; r++) {
		if (r == VICTIM)
			continue;
		if (sh->stage[r] != 3 || sh->rc[r] != FB_E_PEER_LOST ||
		    strstr(sh->err[r], "rank 3") == NULL ||
		    strstr(sh->err[r], want) == NULL) {
			snprintf(why, whysize, "rank %d: stage %d rc %d (%s)",
			    r, sh->stage[r], sh->rc[r], sh->err[r]);
			bad++;
			continue;
		}
		if (s != S_INIT && (sh->rc2[r] != FB_E_PEER_LOST ||
		    strstr(sh->err2[r], "rank 3") == NULL)) {
			snprintf(why, whysize, "rank %d: next call rc %d (%s)",
			    r, sh->rc2[r], sh->err2[r]);
			bad++;
			continue;
		}
		if (sh->pending[r] && t_kill > 0)
			lat[(*nlat)++] = sh->t_ret[r] - t_kill;
	}
	return bad;
}

/* fb_comm_destroy by rank 7 after the first barrier. */
static int
leave_main(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	char buf[16] = "ping";
	fb_comm *c;
	int rc;

	if (rank_init(&c, id, rank, nranks, RANK_TIMEOUT) != 0 ||
	    fb_barrier(c) != 0)
		return 1;
	if (rank == 7) {
		fb_comm_destroy(c);
		sh->flag = 1;
		return 0;
	}
	wait_for(&sh->flag, 1);
	switch (rank) {
	case 0:		/* a pair that does not need rank 7 is fine */
		rc = fb_send(c, buf, sizeof buf, 1, 4) == 0 &&
		    fb_recv(c, buf, sizeof buf, 1, 5) == 0 &&
		    strcmp(buf, "pong") == 0;
		sh->rc[rank] = rc ? 0 : 1;
		break;
	case 1:
		rc = fb_recv(c, buf, sizeof buf, 0, 4) == 0 &&
		    strcmp(buf, "ping") == 0;
		strcpy(buf, "pong");
		rc = rc && fb_send(c, buf, sizeof buf, 0, 5) == 0;
		sh->rc[rank] = rc ? 0 : 1;
		break;
	case 2:		/* needs a message from rank 7: lost */
		sh->rc[rank] = fb_recv(c, buf, sizeof buf, 7, 1);
		snprintf(sh->err[rank], sizeof sh->err[rank], "%s",
		    fb_comm_last_error(c));
		break;
	default:
		sh->rc[rank] = 0;
		break;
	}
	__atomic_add_fetch(&sh->stage[0], 1, __ATOMIC_SEQ_CST);
	/* Then everyone's barrier needs rank 7. */
	wait_for(&sh->stage[0], 7);
	sh->rc2[rank] = fb_barrier(c);
	snprintf(sh->err2[rank], sizeof sh->err2[rank], "%s",
	    fb_comm_last_error(c));
	fb_comm_destroy(c);
	return 0;
}

static void
test_leave(void)
{
	int r, bad = 0;

	memset(sh, 0, sizeof *sh);
	th_run_ranks(8, leave_main, NULL, 30000);
	ok(sh->rc[0] == 0 && sh->rc[1] == 0, "fb_comm_destroy by rank 7: "
	    "ranks 0 and 1, which do not need it, still send and recv");
	ok(sh->rc[2] == FB_E_PEER_LOST && strstr(sh->err[2], "rank 7") !=
	    NULL, "recv from the departed rank: FB_E_PEER_LOST (%s)",
	    sh->err[2]);
	for (r = 0; r < 7; r++)
		if (sh->rc2[r] != FB_E_PEER_LOST ||
		    strstr(sh->err2[r], "rank 7") == NULL) {
			tap_diag("rank %d barrier: %d %s", r, sh->rc2[r],
			    sh->err2[r]);
			bad++;
		}
	ok(bad == 0, "a barrier that needs the departed rank 7: "
	    "FB_E_PEER_LOST naming it on all 7 others (%s)", sh->err2[0]);
}

/* Timeouts name the missing ranks and the time waited. */
static int
timeout_main(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	int which = *(int *)arg;
	char buf[8];
	fb_comm *c;

	switch (which) {
	case 0:		/* init: ranks 2-3 of 4 never come */
		sh->rc[rank] = rank_init(&c, id, rank, 4, 600);
		snprintf(sh->err[rank], sizeof sh->err[rank], "%s",
		    fb_comm_last_error(NULL));
		return 0;
	case 1:		/* barrier: rank 2 of 3 never arrives */
		if (rank_init(&c, id, rank, nranks, 600) != 0)
			return 1;
		if (rank == 2) {
			wait_for(&sh->flag, 2);
			fb_comm_destroy(c);
			return 0;
		}
		sh->rc[rank] = fb_barrier(c);
		snprintf(sh->err[rank], sizeof sh->err[rank], "%s",
		    fb_comm_last_error(c));
		__atomic_add_fetch(&sh->flag, 1, __ATOMIC_SEQ_CST);
		fb_comm_destroy(c);
		return 0;
	default:	/* recv: rank 1 never sends */
		if (rank_init(&c, id, rank, nranks, 400) != 0)
			return 1;
		if (rank == 1) {
			wait_for(&sh->flag, 1);
			fb_comm_destroy(c);
			return 0;
		}
		sh->rc[rank] = fb_recv(c, buf, sizeof buf, 1, 5);
		snprintf(sh->err[rank], sizeof sh->err[rank], "%s",
		    fb_comm_last_error(c));
		sh->flag = 1;
		fb_comm_destroy(c);
		return 0;
	}
}

static void
test_timeouts(void)
{
	int which;

	memset(sh, 0, sizeof *sh);
	which = 0;
	th_run_ranks(2, timeout_main, &which, 20000);
	ok((sh->rc[0] == FB_E_TIMEOUT || sh->rc[0] == FB_E_ABORTED) &&
	    strstr(sh->err[0], "2-3") != NULL && strstr(sh->err[0], " ms") !=
	    NULL && (sh->rc[0] == FB_E_TIMEOUT || sh->rc[1] == FB_E_TIMEOUT),
	    "init timeout names missing ranks 2-3 and the time: %s",
	    sh->err[0]);
	memset(sh, 0, sizeof *sh);
	which = 1;
	th_run_ranks(3, timeout_main, &which, 20000);
	ok((sh->rc[0] == FB_E_TIMEOUT || sh->rc[0] == FB_E_ABORTED) &&
	    strstr(sh->err[0], "ranks 2 of 3") != NULL &&
	    strstr(sh->err[0], " ms") != NULL,
	    "barrier timeout names missing rank 2 and the time: %s",
	    sh->err[0]);
	memset(sh, 0, sizeof *sh);
	which = 2;
	th_run_ranks(2, timeout_main, &which, 20000);
	ok(sh->rc[0] == FB_E_TIMEOUT && strstr(sh->err[0], "rank 1 tag 5") !=
	    NULL && strstr(sh->err[0], " ms") != NULL,
	    "recv timeout names the peer, tag and time: %s", sh->err[0]);
}

/* The daemon dies under waiting clients. */
static int
dlost_main(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	int which = *(int *)arg;
	char buf[8];
	fb_comm *c;
	int rc;

	if (which == 1) {	/* job B: 2 of 4 ranks, blocked in init */
		sh->stage[rank + 4] = 1;
		sh->rc[rank + 4] = rank_init(&c, id, rank, 4, RANK_TIMEOUT);
		sh->t_ret[rank + 4] = th_now_ms();
		snprintf(sh->err[rank + 4], sizeof sh->err[0], "%s",
		    fb_comm_last_error(NULL));
		sh->stage[rank + 4] = 3;
		return 0;
	}
	/* Job A: 4 ranks; 0-1 in barrier, 2 in recv, 3 idle. */
	if (rank_init(&c, id, rank, nranks, RANK_TIMEOUT) != 0 ||
	    fb_barrier(c) != 0)
		return 1;
	sh->stage[rank] = 1;
	if (rank == 3) {
		wait_for(&sh->go, 1);
		rc = fb_barrier(c);
	} else {
		sh->pending[rank] = 1;
		rc = rank == 2 ? fb_recv(c, buf, sizeof buf, 3, 1) :
		    fb_barrier(c);
	}
	sh->t_ret[rank] = th_now_ms();
	sh->rc[rank] = rc;
	snprintf(sh->err[rank], sizeof sh->err[rank], "%s",
	    fb_comm_last_error(c));
	sh->rc2[rank] = fb_barrier(c);
	sh->stage[rank] = 3;
	fb_comm_destroy(c);
	return 0;
}

static void
test_daemon_lost(struct th_daemon *d)
{
	fb_unique_id ida, idb;
	pid_t pa[4], pb[2];
	double lat[8], t_kill;
	int r, which, bad = 0, n = 0, st;

	memset(sh, 0, sizeof *sh);
	th_unique_id(&ida);
	th_unique_id(&idb);
	which = 0;
	th_spawn_ranks(4, dlost_main, &which, &ida, pa);
	which = 1;
	th_spawn_ranks(2, dlost_main, &which, &idb, pb);
	for (r = 0; r < 4; r++)
		wait_for(&sh->stage[r], 1);
	for (r = 4; r < 6; r++)
		wait_for(&sh->stage[r], 1);
	for (r = 0; r < 2; r++)
		for (n = 0; n < 5000 && !rel_proc_maps_has(pb[r],
		    "fastboot-job"); n++)
			usleep(1000);
	usleep(50000);
	t_kill = th_now_ms();
	th_daemon_kill(d, SIGKILL);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
	sh->go = 1;
	rel_wait_pids(pa, 4, 30000);
	rel_wait_pids(pb, 2, 30000);
	n = 0;
	for (r = 0; r < 6; r++) {
		if (sh->stage[r] != 3 || sh->rc[r] != FB_E_DAEMON_LOST ||
		    (r < 4 && sh->rc2[r] != FB_E_DAEMON_LOST)) {
			tap_diag("rank %d: stage %d rc %d next %d (%s)", r % 4,
			    sh->stage[r], sh->rc[r], sh->rc2[r], sh->err[r]);
			bad++;
			continue;
		}
		if (r != 3)
			lat[n++] = sh->t_ret[r] - t_kill;
	}
	ok(bad == 0, "daemon SIGKILLed: every waiting client (barrier, recv, "
	    "init) and the next call return FB_E_DAEMON_LOST (%s)", sh->err[0]);
	tap_diag("daemon-death detection latency: median %.2f ms, max %.2f ms "
	    "over %d waiting clients", rel_median(lat, n), rel_max(lat, n), n);
	ok(n > 0 && rel_max(lat, n) < BOUND_MS, "daemon death detected "
	    "within %.0f ms", BOUND_MS);
	ok(th_daemon_spawn(d, NULL, NULL) == 0, "a new fastbootd starts on "
	    "the same socket path %s", d->sock);
	ok(rel_job(8) == 0, "the new daemon serves a new 8-rank job");
}

int
main(void)
{
	struct th_daemon d;
	double lat[S_COUNT][RUNS * NR], all[S_COUNT * RUNS * NR];
	int nlat[S_COUNT], nall = 0, s, i, bad;
	char why[512];

	th_deadline(240);
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		tap_plan_skip("mmap failed");
	tap_plan(1 + S_COUNT + 2 + 3 + 3 + 4);
	ok(th_daemon_start(&d, NULL) == 0, "fastbootd started");

	for (s = 0; s < S_COUNT; s++) {
		nlat[s] = 0;
		bad = 0;
		for (i = 0; i < RUNS; i++)
			bad += run((enum scenario)s, lat[s], &nlat[s], why,
			    sizeof why) != 0;
		ok(bad == 0, "rank 3 of 8 killed %s: every other rank's "
		    "pending and next call return FB_E_PEER_LOST naming rank "
		    "and pid (%d runs)%s%s", sname[s], RUNS, bad ? ": " : "",
		    bad ? why : "");
		if (nlat[s] > 0) {
			memcpy(all + nall, lat[s], sizeof(double) *
			    (size_t)nlat[s]);
			nall += nlat[s];
			tap_diag("  %s: detection median %.2f ms, max %.2f ms "
			    "(%d samples)", sname[s], rel_median(lat[s],
			    nlat[s]), rel_max(lat[s], nlat[s]), nlat[s]);
		}
	}
	tap_diag("rank-death detection latency, all points: median %.2f ms, "
	    "max %.2f ms over %d blocked ranks", rel_median(all, nall),
	    rel_max(all, nall), nall);
	ok(nall > 0 && rel_max(all, nall) < BOUND_MS, "every blocked rank "
	    "heard of the death within %.0f ms (not at its %d ms timeout)",
	    BOUND_MS, RANK_TIMEOUT);
	ok(rel_job(8) == 0, "the daemon still serves a new job afterwards");

	test_leave();
	test_timeouts();
	test_daemon_lost(&d);
	th_daemon_cleanup(&d);
	return tap_done();
}
