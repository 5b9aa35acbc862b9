/*
 * fuzz_peer.c - libFuzzer target for what a host on the network can send a
 * daemon's TCP port: one input is the byte stream of a fresh accepted peer
 * link (a socketpair standing for the TCP connection), written in chunks,
 * then EOF.  The daemon's own link and federation code (peer.c, fed.c)
 * runs in this process; it must neither crash nor leak, and whatever it
 * cannot authenticate must end in a REFUSE, a dropped frame or a closed
 * link.  The input is also run through the peer codec's stream checker,
 * so that every body decoder sees it.  tests/fuzz/replay_peer replays the
 * seed corpus through this entry point in `make check`.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "daemon/fastbootd.h"
#include "fuzz.h"

#define FUZZ_CHUNK	1500	/* one Ethernet frame's worth per write */

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

	for (i = 0; i < 4; i++) {
		event_base_loop(dbase, EVLOOP_NONBLOCK);
		fuzz_drain(fd);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sockaddr_in sin;
	size_t off = 0, n;
	ssize_t w;
	int sv[2];

	if (!ready) {
		signal(SIGPIPE, SIG_IGN);
		log_init(-1, 0);
		if (fed_init() == -1 || (dbase = event_base_new()) == NULL)
			return 0;
		ready = 1;
	}
	(void)wpeer_check_stream(data, size);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		return 0;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(40000);
	sin.sin_addr.s_addr = htonl(0x0ad5000c);	/* 10.213.0.12 */
	peer_accept(sv[0], (struct sockaddr *)&sin);
	while (off < size) {
		n = size - off < FUZZ_CHUNK ? size - off : FUZZ_CHUNK;
		w = write(sv[1], data + off, n);
		if (w <= 0)
			break;		/* the daemon closed the link */
		off += (size_t)w;
		fuzz_run(sv[1]);
	}
	shutdown(sv[1], SHUT_WR);
	fuzz_run(sv[1]);
	close(sv[1]);
	peer_close_all();
	fuzz_run(-1);
	return 0;
}
