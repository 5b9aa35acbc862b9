/*
 * wake_test.c - no lost wake-up now that the last rank of a shared-memory
 * collective skips the eventfd write when no rank counts as asleep
 * (libclient/coll.c coll_sleep/coll_release, TABLE_WAKE_COUNTED), against
 * a real fastbootd:
 *
 *  - 2 ranks, 100,000 collectives (barriers, and allgathers whose bytes
 *    are checked) with FASTBOOT_SPIN_US 0 (always asleep), 1 and 10 (spins
 *    that end about when the last rank arrives: the race between a rank
 *    counting itself and the last rank's load; a waker that loaded
 *    sleepers before storing gen lost a wake-up here within 10,000) and
 *    10000 (a spin that mostly catches the release);
 *  - 8 ranks (more ranks than CPUs here: no spin, but one sched_yield
 *    before each sleep unless FASTBOOT_SPIN_US is 0), the same with
 *    FASTBOOT_SPIN_US 0 and 10000;
 *  - 2 ranks, 100,000 ring ping-pongs of 64 B, a barrier every 1000, with
 *    FASTBOOT_SPIN_US 0, 10 and 10000 (fb_recv spins too);
 *  - 8 ranks, 20,000 endpoint exchanges, FASTBOOT_SPIN_US 0 and 50 (a
 *    64 B and a 1 KiB message to every other rank, the 1 KiB one received
 *    first, so that a receiver woken for the first sleeps again in the
 *    same fb_recv: a sender rings once per sleep, libclient/shm.c).
 *
 * A lost wake-up leaves a rank asleep until its deadline, where io_wait()
 * finds the release published and the call succeeds: so each call runs
 * under a WAKE_TIMEOUT_MS fb_config timeout, and one that took that long
 * fails the test (a call that slow has nothing else to wait for).  The
 * whole binary runs under th_deadline.  With a CPU for each of 2 spinning
 * ranks the job's eventfd counter (read from /proc/self/fdinfo, never
 * consumed) must show writes skipped.
 */
#include <sys/types.h>

#include <dirent.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"
#include "itest.h"

static struct itest *t;

#define WAKE_TIMEOUT_MS	20000

struct wake_run {
	int iters;		/* collectives */
	int pings;		/* ping-pongs (2 ranks) */
	int exchanges;		/* endpoint exchanges, second message first */
};

#define WAKE_SMALL	64
#define WAKE_LARGE	1024

#define CHECK(cond, ...) ITEST_CHECK(t, rank, cond, __VA_ARGS__)
#define CALL(expr) do {							\
	double t0_ = th_now_ms();					\
	int rc_ = (expr);						\
									\
	CHECK(th_now_ms() - t0_ < WAKE_TIMEOUT_MS, "%s at %d took "	\
	    "%.0f ms: asleep until its deadline, a lost wake-up",	\
	    #expr, i, th_now_ms() - t0_);				\
	if (rc_ != 0) {							\
		t->r[rank].rc = rc_;					\
		snprintf(t->r[rank].err, sizeof t->r[rank].err, "%s",	\
		    fb_comm_last_error(comm));				\
	}								\
	CHECK(rc_ == 0, "%s at %d: %s (%s)", #expr, i,			\
	    fb_strerror(rc_), fb_comm_last_error(comm));		\
} while (0)

/* The job's eventfd's counter (every write since the job began, as the
 * ranks never read it), or -1 if this process has no eventfd. */
static long long
wake_evfd_count(void)
{
	char path[300], link[64], line[128];
	struct dirent *de;
	long long v = -1;
	ssize_t n;
	DIR *d;
	FILE *f;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while (v == -1 && (de = readdir(d)) != NULL) {
		snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
		n = readlink(path, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:[eventfd]") != 0)
			continue;
		snprintf(path, sizeof path, "/proc/self/fdinfo/%s",
		    de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof line, f) != NULL)
			if (sscanf(line, "eventfd-count: %llx", &v) == 1)
				break;
		fclose(f);
	}
	closedir(d);
	return v;
}

static int
wake_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	const struct wake_run *w = arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	uint64_t mine[ITEST_MAX_RANKS];
	uint8_t buf[64], sbig[WAKE_LARGE], rbig[WAKE_LARGE];
	fb_comm *comm = NULL;
	int i = 0, r, rc;

	cfg.timeout_ms = WAKE_TIMEOUT_MS;
	rc = fb_comm_init_config(&comm, id, rank, n, &cfg);
	CHECK(rc == 0, "init: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(NULL));
	for (i = 0; i < w->iters; i++) {
		if (i % 2 == 0) {
			CALL(fb_barrier(comm));
			continue;
		}
		for (r = 0; r < n; r++)
			mine[r] = r == rank ? (uint64_t)i << 8 | (uint64_t)r :
			    UINT64_MAX;
		CALL(fb_allgather(comm, mine, sizeof mine[0]));
		for (r = 0; r < n; r++)
			CHECK(mine[r] == ((uint64_t)i << 8 | (uint64_t)r),
			    "allgather %d: rank %d's slice is %#" PRIx64, i,
			    r, mine[r]);
	}
	for (i = 0; i < w->pings; i++) {
		memset(buf, rank == 0 ? i & 0xff : 0, sizeof buf);
		if (rank == 0) {
			CALL(fb_send(comm, buf, sizeof buf, 1, 1));
			CALL(fb_recv(comm, buf, sizeof buf, 1, 2));
		} else {
			CALL(fb_recv(comm, buf, sizeof buf, 0, 1));
			CALL(fb_send(comm, buf, sizeof buf, 0, 2));
		}
		CHECK(buf[0] == (i & 0xff) && buf[63] == (i & 0xff),
		    "ping %d came back as %u", i, buf[0]);
		if (i % 1000 == 999)
			CALL(fb_barrier(comm));
	}
	/*
	 * Every rank sends a 64 B and a 1 KiB message to every other, then
	 * receives the 1 KiB one first: a receiver woken by the 64 B one
	 * sleeps again in the same fb_recv, and the 1 KiB one must ring
	 * again (a sender rings once per sleep, not once per fb_recv).
	 */
	for (i = 0; i < w->exchanges; i++) {
		for (r = 1; r < n; r++) {
			int p = (rank + r) % n;

			memset(sbig, (i + p) & 0xff, sizeof sbig);
			CALL(fb_send(comm, sbig, WAKE_SMALL, p, 2 * rank));
			CALL(fb_send(comm, sbig, WAKE_LARGE, p, 2 * rank + 1));
		}
		for (r = 1; r < n; r++) {
			int p = (rank - r + n) % n;

			CALL(fb_recv(comm, rbig, WAKE_LARGE, p, 2 * p + 1));
			CHECK(rbig[0] == ((i + rank) & 0xff) &&
			    rbig[WAKE_LARGE - 1] == ((i + rank) & 0xff),
			    "exchange %d: rank %d's 1 KiB message has %u", i,
			    p, rbig[0]);
			CALL(fb_recv(comm, rbig, WAKE_SMALL, p, 2 * p));
			CHECK(rbig[WAKE_SMALL - 1] == ((i + rank) & 0xff),
			    "exchange %d: rank %d's 64 B message has %u", i,
			    p, rbig[WAKE_SMALL - 1]);
		}
		CALL(fb_barrier(comm));
	}
	CALL(fb_barrier(comm));
	if (rank == 0) {
		long long v = wake_evfd_count();

		memcpy(t->scratch, &v, sizeof v);
	}
	t->r[rank].done = 1;
	fb_comm_destroy(comm);
	return 0;
}

/* One job of n ranks with FASTBOOT_SPIN_US=spin; the writes to its
 * eventfd (-1: unknown), or -2 if a rank failed. */
static long long
wake_job(int n, const char *spin, const struct wake_run *w)
{
	double t0 = th_now_ms();
	long long v;
	int failed, r;

	itest_reset(t);
	setenv("FASTBOOT_SPIN_US", spin, 1);
	failed = th_run_ranks(n, wake_rank, (void *)w, 300000);
	unsetenv("FASTBOOT_SPIN_US");
	itest_report(t, n);
	for (r = 0; r < n; r++)
		if (!t->r[r].done)
			failed++;
	memcpy(&v, t->scratch, sizeof v);
	tap_diag("%d ranks, FASTBOOT_SPIN_US=%s: %d collectives, %d "
	    "ping-pongs, %d exchanges in %.0f ms; %lld eventfd writes", n,
	    spin, w->iters, w->pings, w->exchanges, th_now_ms() - t0, v);
	return failed ? -2 : v;
}

/* A CPU for each of 2 ranks (coll.c's test, as a rank makes it)? */
static int
wake_two_cpus(void)
{
	cpu_set_t set;
	long cpus = 0;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		cpus = CPU_COUNT(&set);
	if (cpus == 1)
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus >= 2;
}

int
main(void)
{
	static const char *const spins[] = { "0", "1", "10", "10000" };
	static const struct wake_run two = { 100000, 0, 0 };
	static const struct wake_run eight = { 100000, 0, 0 };
	static const struct wake_run ring = { 2, 100000, 0 };
	static const struct wake_run exch = { 2, 0, 20000 };
	struct th_daemon d;
	long long v;
	size_t s;

	th_deadline(900);
	unsetenv("FASTBOOT_COLLECTIVES");
	unsetenv("FASTBOOT_P2P");
	t = itest_shared();
	tap_plan(15);
	if (!ok(th_daemon_start(&d, NULL) == 0, "fastbootd started"))
		return tap_done();
	for (s = 0; s < sizeof spins / sizeof spins[0]; s++) {
		v = wake_job(2, spins[s], &two);
		ok(v != -2, "2 ranks, FASTBOOT_SPIN_US=%s: %d barriers and "
		    "allgathers (bytes checked) all completed, none at its "
		    "deadline: no wake-up lost", spins[s], two.iters);
		if (s == 3) {
			if (!wake_two_cpus())
				tap_skip("one CPU: the ranks do not spin");
			else
				ok(v >= 0 && v < two.iters, "2 spinning ranks "
				    "with a CPU each: %lld eventfd writes for "
				    "%d collectives (writes for nobody "
				    "asleep skipped)", v, two.iters);
		}
	}
	for (s = 0; s < sizeof spins / sizeof spins[0]; s += 3) {
		v = wake_job(8, spins[s], &eight);
		ok(v != -2, "8 ranks, FASTBOOT_SPIN_US=%s: %d barriers and "
		    "allgathers (bytes checked) all completed, none at its "
		    "deadline: no wake-up lost", spins[s], eight.iters);
	}
	for (s = 0; s < sizeof spins / sizeof spins[0]; s++) {
		if (s == 1)
			continue;
		v = wake_job(2, spins[s], &ring);
		ok(v != -2, "2 ranks, FASTBOOT_SPIN_US=%s: %d ring "
		    "ping-pongs of 64 B, a barrier every 1000, all completed, "
		    "none at its deadline", spins[s], ring.pings);
	}
	/* 0: sleep at once; 50 (the default): more ranks than CPUs here,
	 * so one yield before each sleep. */
	for (s = 0; s < 2; s++) {
		v = wake_job(8, s == 0 ? "0" : "50", &exch);
		ok(v != -2, "8 ranks, FASTBOOT_SPIN_US=%s: %d endpoint "
		    "exchanges (64 B and 1 KiB to each, the 1 KiB received "
		    "first), all completed, bytes checked, none at its "
		    "deadline", s == 0 ? "0" : "50", exch.exchanges);
	}
	itest_daemon_finish(&d);
	return tap_done();
}
