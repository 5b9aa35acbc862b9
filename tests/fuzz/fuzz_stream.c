/*
 * fuzz_stream.c - the harness the daemon's fuzz targets share (fuzz_daemon,
 * fuzz_peer): one input is the byte stream of a fresh connection, a
 * socketpair whose one end the daemon's own accept function takes (a
 * client's connection, a peer link), written in chunks of FUZZ_CHUNK so
 * that frames split anywhere, with the event loop run between chunks and
 * the daemon's answers read and dropped; then EOF, the loop again, and the
 * target's close-all, so that nothing is left for the next input.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <unistd.h>

#include "daemon/fastbootd.h"
#include "fuzz.h"

#define FUZZ_CHUNK	1500	/* bytes per write: one Ethernet frame */
#define FUZZ_TURNS	4	/* loop turns after each write */

static void
fuzz_drain(int fd)
{
	uint8_t buf[65536];

	while (fd != -1 && recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
}

static void
fuzz_run(int fd)
{
	int i;

	for (i = 0; i < FUZZ_TURNS; i++) {
		event_base_loop(dbase, EVLOOP_NONBLOCK);
		fuzz_drain(fd);
	}
}

void
fuzz_stream(const uint8_t *data, size_t size, void (*accept_fn)(int),
    void (*close_all)(void))
{
	size_t off = 0, n;
	ssize_t w;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		return;
	accept_fn(sv[0]);
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
	/* Whatever is left (a job waiting for more ranks, a link): closed as
	 * at shutdown. */
	close_all();
	fuzz_run(-1);
}
