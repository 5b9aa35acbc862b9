/*
 * ctl_test.c - fastbootctl as an operator uses it when a job hangs: a job
 * waits for a rank that never came, then for one that never reached a
 * barrier, and "fastbootctl jobs" (text and --json) names that rank.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptest.h"
#include "tap.h"

#define NRANKS	4
#define LATE_INIT	2	/* joins only when told */
#define LATE_BARRIER	3	/* reaches the barrier only when told */

static int gate_init[2], gate_barrier[2];

static void
wait_gate(int *gate)
{
	char c;

	/* Every rank holds the write end: the parent writes a byte. */
	(void)!read(gate[0], &c, 1);
}

static int
rank_main(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	fb_comm *comm;

	if (rank == LATE_INIT)
		wait_gate(gate_init);
	if (fb_comm_init(&comm, id, rank, nranks) != 0)
		return 1;
	if (rank == LATE_BARRIER)
		wait_gate(gate_barrier);
	if (fb_barrier(comm) != 0)
		return 1;
	return fb_comm_destroy(comm);
}

static int
ctl(struct th_daemon *d, const char *cmd, int json, char *out, size_t size)
{
	const char *argv[] = { ptest_fastbootctl(), "-s", d->sock, cmd,
	    json ? "--json" : NULL, NULL };

	return ptest_run(argv, out, size, 10000);
}

/* Ask until the daemon shows what we wait for (bounded by th_deadline). */
static int
ctl_until(struct th_daemon *d, const char *want, char *out, size_t size)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (ctl(d, "jobs", 1, out, size) == 0 &&
		    strstr(out, want) != NULL)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void
diag_output(const char *out)
{
	char *copy = strdup(out), *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		tap_diag("%s", line);
	free(copy);
}

int
main(void)
{
	static char out[65536];
	const char *nodaemon[] = { ptest_fastbootctl(), "-s",
	    "/nonexistent/fastbootd.sock", "status", NULL };
	struct th_daemon d;
	fb_unique_id id;
	pid_t pids[NRANKS];
	int rc;

	/* Bounds, not expectations: generous for a loaded machine. */
	th_deadline(240);
	setenv("FASTBOOT_TIMEOUT_MS", "120000", 1);
	if (access(ptest_fastbootctl(), X_OK) != 0)
		tap_plan_skip("no fastbootctl at %s", ptest_fastbootctl());
	tap_plan(14);

	rc = ptest_run(nodaemon, out, sizeof out, 10000);
	ok(rc != 0 && rc != -1 && strstr(out, "not running") != NULL,
	    "no daemon: fastbootctl says so and exits nonzero (%d)", rc);
	diag_output(out);

	if (!ok(th_daemon_start(&d, NULL) == 0, "fastbootd started"))
		return tap_done();
	rc = ctl(&d, "status", 0, out, sizeof out);
	ok(rc == 0 && strstr(out, "fastbootd " PACKAGE_VERSION) != NULL &&
	    strstr(out, "uptime:") != NULL && strstr(out, "collectives:") !=
	    NULL, "fastbootctl status shows version, uptime, collectives");
	diag_output(out);
	rc = ctl(&d, "status", 1, out, sizeof out);
	ok(rc == 0 && strstr(out, "\"version\": \"" PACKAGE_VERSION "\"") !=
	    NULL && strstr(out, "\"jobs\": 0") != NULL,
	    "fastbootctl status --json");
	rc = ctl(&d, "jobs", 0, out, sizeof out);
	ok(rc == 0 && strstr(out, "no jobs") != NULL, "no jobs yet");

	if (pipe(gate_init) == -1 || pipe(gate_barrier) == -1 ||
	    fb_get_unique_id(&id) != 0 ||
	    th_spawn_ranks(NRANKS, rank_main, NULL, &id, pids) == -1)
		tap_plan_skip("cannot start ranks");
	close(gate_init[0]);
	close(gate_barrier[0]);

	/* Three ranks joined, rank 2 missing at init. */
	ok(ctl_until(&d, "\"registered\": \"0-1,3\"", out, sizeof out),
	    "jobs --json: ranks 0,1,3 registered");
	ok(strstr(out, "\"pending\": \"init\"") != NULL &&
	    strstr(out, "\"missing\": \"2\"") != NULL &&
	    strstr(out, "\"missing_ranks\": [2]") != NULL &&
	    strstr(out, "\"nranks\": 4") != NULL,
	    "jobs --json: init pending, missing rank 2");
	diag_output(out);
	rc = ctl(&d, "jobs", 0, out, sizeof out);
	ok(rc == 0 && strstr(out, "registered:  3 of 4: 0-1,3") != NULL &&
	    strstr(out, "for rank 2\n") != NULL,
	    "jobs: text view shows 3 of 4 registered, waiting for rank 2");
	diag_output(out);

	/* Rank 2 joins; rank 3 holds the barrier back. */
	(void)!write(gate_init[1], "g", 1);
	ok(ctl_until(&d, "\"missing_ranks\": [3]", out, sizeof out),
	    "jobs --json: collective pending, missing rank 3");
	ok(strstr(out, "\"state\": \"collective\"") != NULL &&
	    strstr(out, "\"registered\": \"0-3\"") != NULL,
	    "jobs --json: all registered, state collective");
	diag_output(out);
	rc = ctl(&d, "jobs", 0, out, sizeof out);
	ok(rc == 0 && strstr(out, "for rank 3\n") != NULL &&
	    strstr(out, "pending:") != NULL,
	    "jobs: text view shows the pending collective and rank 3");
	diag_output(out);

	(void)!write(gate_barrier[1], "g", 1);
	ok(th_wait_pids(pids, NRANKS, 60000, NULL) == 0,
	    "the job completes once the late ranks come");
	ok(ctl_until(&d, "\"jobs\": []", out, sizeof out),
	    "jobs: the finished job is gone");
	rc = ctl(&d, "status", 1, out, sizeof out);
	ok(rc == 0 && strstr(out, "\"jobs_created\": 1,") != NULL &&
	    strstr(out, "\"collectives\": 1,") != NULL,
	    "status --json: 1 job created, its 1 collective counted as served");
	diag_output(out);
	th_daemon_cleanup(&d);
	return tap_done();
}
