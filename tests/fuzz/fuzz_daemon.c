/*
 * fuzz_daemon.c - libFuzzer target for fastbootd's connection state
 * machine and job logic: the daemon's own code runs in this process and
 * one input is what a client writes on a fresh connection (a socketpair),
 * in chunks, then EOF.  The daemon must neither crash nor leak whatever it
 * reads; its replies are read and dropped.
 *
 * A one-rank job completes every collective alone, so HELLO, JOIN, ARRIVE,
 * SEND to itself, WAIT, LEAVE, ABORT and the control requests all reach
 * their handlers.  tests/fuzz/replay_daemon drives the same entry point
 * over the seed corpus in `make check`.
 */
#include <sys/socket.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "daemon/fastbootd.h"
#include "fuzz.h"

#define FUZZ_CHUNK	1500	/* bytes per write: frames split anywhere */

static void
fuzz_drain(int fd)
{
	uint8_t buf[65536];

	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
}

static void
fuzz_run(int client)
{
	int i;

	for (i = 0; i < 4; i++) {
		event_base_loop(dbase, EVLOOP_NONBLOCK);
		fuzz_drain(client);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	size_t off = 0, n;
	ssize_t w;
	int sv[2];

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
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		return 0;
	conn_accept(sv[0]);
	while (off < size) {
		n = size - off < FUZZ_CHUNK ? size - off : FUZZ_CHUNK;
		w = write(sv[1], data + off, n);
		if (w <= 0)
			break;		/* the daemon dropped us */
		off += (size_t)w;
		fuzz_run(sv[1]);
	}
	shutdown(sv[1], SHUT_WR);
	fuzz_run(sv[1]);
	close(sv[1]);
	fuzz_run(-1);
	/* Whatever is left (a job waiting for more ranks): closed as at
	 * shutdown, which frees every job. */
	conn_close_all();
	event_base_loop(dbase, EVLOOP_NONBLOCK);
	return 0;
}
