/*
 * soak_test.c - 10,000 sequential 8-rank jobs, then 64 concurrent 8-rank
 * jobs (several rounds), through one daemon; every job's allgather and
 * alltoall verified.  The daemon's open descriptors and RSS before and
 * after are printed; descriptors must not grow, RSS only within a generous
 * bound.  Ranks are threads of this process (distinct handles in distinct
 * threads).
 *
 *	SOAK_JOBS=N	sequential jobs (default 10000)
 */
#include <sys/resource.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rel.h"
#include "tap.h"

#define NR		8
#define NCONC		64
#define ROUNDS		5
#ifdef FB_SANITIZERS
/* ASan's quarantine holds freed memory */
#define RSS_BOUND_KB	(768 * 1024)
#else
#define RSS_BOUND_KB	(32 * 1024)
#endif

struct seq {
	pthread_barrier_t bar;
	fb_unique_id id;
	int njobs;
	int failed[NR];
	int done[NR];
};

static int
one_job(const fb_unique_id *id, int rank, uint32_t salt)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	uint32_t v[NR], s[NR], d[NR];
	fb_comm *c;
	int r, bad = 0;

	cfg.timeout_ms = 30000;
	if ((r = fb_comm_init_config(&c, id, rank, NR, &cfg)) != 0) {
		static int told;

		if (__atomic_fetch_add(&told, 1, __ATOMIC_RELAXED) < 3)
			tap_diag("rank %d init: %s: %s", rank, fb_strerror(r),
			    fb_comm_last_error(NULL));
		return 1;
	}
	v[rank] = salt * 131u + (uint32_t)rank;
	for (r = 0; r < NR; r++)
		s[r] = salt ^ (uint32_t)(rank << 8 | r);
	if (fb_allgather(c, v, sizeof v[0]) != 0 ||
	    fb_alltoall(c, s, d, sizeof s[0]) != 0)
		bad = 1;
	for (r = 0; !bad && r < NR; r++)
		if (v[r] != salt * 131u + (uint32_t)r ||
		    d[r] != (salt ^ (uint32_t)(r << 8 | rank)))
			bad = 1;
	if (fb_comm_destroy(c) != 0)
		bad = 1;
	return bad;
}

struct seq_arg {
	struct seq *s;
	int rank;
};

static void *
seq_main(void *arg)
{
	struct seq_arg *a = arg;
	struct seq *s = a->s;
	int j;

	for (j = 0; j < s->njobs; j++) {
		if (a->rank == 0)
			th_unique_id(&s->id);
		pthread_barrier_wait(&s->bar);
		s->failed[a->rank] += one_job(&s->id, a->rank, (uint32_t)j);
		s->done[a->rank]++;
		/* Nobody reads the id after init; rank 0 may then make the
		 * next one. */
		pthread_barrier_wait(&s->bar);
	}
	return NULL;
}

struct conc_arg {
	const fb_unique_id *id;
	int rank;
	uint32_t salt;
	int failed;
};

static void *
conc_main(void *arg)
{
	struct conc_arg *a = arg;

	a->failed = one_job(a->id, a->rank, a->salt);
	return NULL;
}

static void
figures(pid_t pid, const char *when, int *fds, long *rss)
{
	*fds = rel_proc_fds_min(pid, 300);
	*rss = rel_proc_rss_kb(pid);
	tap_diag("daemon %s: %d open descriptors, VmRSS %ld kB", when, *fds,
	    *rss);
}

int
main(void)
{
	static struct seq s;
	static fb_unique_id ids[NCONC];
	static struct conc_arg ca[NCONC * NR];
	static pthread_t ct[NCONC * NR];
	struct seq_arg sa[NR];
	pthread_t st[NR];
	pthread_attr_t attr;
	struct th_daemon d;
	struct rlimit rl;
	const char *env;
	int fds0, fds1, fds2, r, j, failed = 0, done = 0, round;
	long rss0, rss1, rss2;
	double t0, t1, t2;

	/* A bound: 300 s ran out at load ~30 (the flake hunt). */
	th_deadline(900);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	s.njobs = 10000;
	if ((env = getenv("SOAK_JOBS")) != NULL && atoi(env) > 0)
		s.njobs = atoi(env);
	tap_plan(7);
	ok(th_daemon_start(&d, NULL) == 0, "fastbootd started");
	/* Warm up, so that the baseline holds the daemon's steady state. */
	for (j = 0; j < 20; j++)
		rel_job(NR);
	figures(d.pid, "before", &fds0, &rss0);

	pthread_barrier_init(&s.bar, NULL, NR);
	t0 = th_now_ms();
	for (r = 0; r < NR; r++) {
		sa[r].s = &s;
		sa[r].rank = r;
		pthread_create(&st[r], NULL, seq_main, &sa[r]);
	}
	for (r = 0; r < NR; r++) {
		pthread_join(st[r], NULL);
		failed += s.failed[r];
		done += s.done[r];
	}
	t1 = th_now_ms();
	tap_diag("%d sequential %d-rank jobs in %.1f s (%.0f jobs/s)",
	    s.njobs, NR, (t1 - t0) / 1e3, s.njobs / ((t1 - t0) / 1e3));
	ok(failed == 0 && done == s.njobs * NR, "%d sequential 8-rank jobs: "
	    "every rank of every job verified (%d rank failures)", s.njobs,
	    failed);
	figures(d.pid, "after the sequential jobs", &fds1, &rss1);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	failed = 0;
	t1 = th_now_ms();
	for (round = 0; round < ROUNDS; round++) {
		for (j = 0; j < NCONC; j++) {
			th_unique_id(&ids[j]);
			for (r = 0; r < NR; r++) {
				struct conc_arg *a = &ca[j * NR + r];

				a->id = &ids[j];
				a->rank = r;
				a->salt = (uint32_t)(round * NCONC + j);
				a->failed = 1;
				if (pthread_create(&ct[j * NR + r], &attr,
				    conc_main, a) != 0)
					ct[j * NR + r] = 0;
			}
		}
		for (j = 0; j < NCONC * NR; j++) {
			if (ct[j] != 0)
				pthread_join(ct[j], NULL);
			failed += ca[j].failed;
		}
	}
	t2 = th_now_ms();
	tap_diag("%d rounds of %d concurrent %d-rank jobs (%d threads) in "
	    "%.1f s", ROUNDS, NCONC, NR, NCONC * NR, (t2 - t1) / 1e3);
	ok(failed == 0, "%d x %d concurrent 8-rank jobs: every rank verified "
	    "(%d rank failures)", ROUNDS, NCONC, failed);
	figures(d.pid, "after the concurrent jobs", &fds2, &rss2);

	ok(fds1 <= fds0 && fds2 <= fds0, "no descriptor growth: %d -> %d -> "
	    "%d", fds0, fds1, fds2);
	ok(rss1 - rss0 < RSS_BOUND_KB, "RSS after %d sequential jobs grew "
	    "%ld kB (< %d kB)", s.njobs, rss1 - rss0, RSS_BOUND_KB);
	ok(rss2 - rss0 < RSS_BOUND_KB, "RSS after the concurrent jobs grew "
	    "%ld kB (< %d kB)", rss2 - rss0, RSS_BOUND_KB);
	ok(rel_daemon_alive(&d) && rel_job(NR) == 0, "the daemon still "
	    "serves a job");
	th_daemon_cleanup(&d);
	return tap_done();
}
