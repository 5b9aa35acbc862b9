/*
 * fuzz_daemon.c - libFuzzer target for fastbootd's connection state
 * machine and job logic: the daemon's own code runs in this process and
 * one input is what a client writes on a fresh connection (fuzz_stream.c:
 * a socketpair, in chunks, then EOF).  The daemon must neither crash nor
 * leak whatever it reads; its replies are read and dropped.
 *
 * A one-rank job completes every collective alone, so HELLO, JOIN, ARRIVE,
 * SEND to itself, WAIT, LEAVE, ABORT and the control requests all reach
 * their handlers.  tests/fuzz/replay_daemon drives the same entry point
 * over the seed corpus in `make check`.
 */
#include <signal.h>
#include <stdint.h>

#include "daemon/fastbootd.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		signal(SIGPIPE, SIG_IGN);
		log_init(-1, 0);
		/* Jobs that fail during init linger 30 s: let them pile up
		 * without reaching a cap, and keep each one small. */
		dconf.max_jobs = dconf.max_jobs_per_uid = 1u << 20;
		dconf.max_ranks = 64;
		if ((dbase = event_base_new()) == NULL)
			return 0;
		ready = 1;
	}
	/* What is left (a job waiting for more ranks) is closed as at
	 * shutdown, which frees every job. */
	fuzz_stream(data, size, conn_accept, conn_close_all);
	return 0;
}
