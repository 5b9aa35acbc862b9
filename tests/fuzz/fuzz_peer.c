/*
 * fuzz_peer.c - libFuzzer target for what a host on the network can send a
 * daemon's TCP port: one input is the byte stream of a fresh accepted peer
 * link (fuzz_stream.c: a socketpair standing for the TCP connection, in
 * chunks, then EOF).  The daemon's own link and federation code (peer.c on
 * its transport, fed.c) runs in this process; it must neither crash nor
 * leak, and whatever it cannot authenticate must end in a REFUSE, a dropped
 * frame or a closed link.  The input is also run through the peer codec's
 * stream checker, so that every body decoder sees it.  tests/fuzz/replay_peer
 * replays the seed corpus through this entry point in `make check`.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "daemon/fastbootd.h"
#include "fuzz.h"

/* The link as if it came from 10.213.0.12:40000. */
static void
fuzz_peer_accept(int fd)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(40000);
	sin.sin_addr.s_addr = htonl(0x0ad5000c);
	peer_accept(fd, (struct sockaddr *)&sin);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		signal(SIGPIPE, SIG_IGN);
		log_init(-1, 0);
		if (fed_init() == -1 || (dbase = event_base_new()) == NULL)
			return 0;
		ready = 1;
	}
	(void)wpeer_check_stream(data, size);
	fuzz_stream(data, size, fuzz_peer_accept, peer_close_all);
	return 0;
}
