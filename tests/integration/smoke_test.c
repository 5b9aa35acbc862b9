/*
 * smoke_test.c - one real daemon, one 8-rank job running every call.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tap.h"

static int
rank_main(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	fb_comm *comm;
	int v[64], r;

	if (fb_comm_init(&comm, id, rank, nranks) != 0)
		return 1;
	v[rank] = rank * 3 + 1;
	if (fb_barrier(comm) != 0 || fb_allgather(comm, v, sizeof v[0]) != 0)
		return 1;
	for (r = 0; r < nranks; r++)
		if (v[r] != r * 3 + 1)
			return 1;
	return fb_comm_destroy(comm);
}

int
main(void)
{
	struct th_daemon d;

	th_deadline(60);
	tap_plan(2);
	ok(th_daemon_start(&d, NULL) == 0, "fastbootd started and notified "
	    "READY");
	ok(th_run_ranks(8, rank_main, NULL, 20000) == 0, "8 ranks: init, "
	    "barrier, allgather verified");
	th_daemon_cleanup(&d);
	return tap_done();
}
