/*
 * mn_mapjoin.c - one rank of a job across nodes whose node map comes in its
 * JOIN, as a PMIx launcher's would (dns_test.sh): the host names are given
 * here, so a test can hand the daemon names that only /etc/hosts knows, or
 * none knows, without a PMIx server.  It speaks the Unix-socket protocol
 * with the project's own codec (wire/), waits for READY, FAIL or ERROR
 * within a deadline, and prints one line:
 *
 *   mn_mapjoin SOCKET KEY NRANKS RANK NODE HOSTS NODE_OF_RANK TIMEOUT_MS
 *
 *   KEY		up to 16 characters: the job secret (same on all nodes)
 *   HOSTS		h0,h1,...: the node names, in node order
 *   NODE_OF_RANK	n0,n1,...: each rank's node
 *
 * Output: "ready node N nnodes M", "error CODE TEXT", "fail CODE TEXT" or
 * "timeout"; exit status 0 for ready, 1 otherwise, 2 for bad usage.
 * The descriptors that come with JOIN_ACK are closed unread.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wire/wire.h"

static uint64_t
mapjoin_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Splits a comma list into at most max fields; returns their number. */
static uint32_t
mapjoin_split(char *s, char **out, uint32_t max)
{
	uint32_t n = 0;
	char *t;

	for (t = strtok(s, ","); t != NULL && n < max; t = strtok(NULL, ","))
		out[n++] = t;
	return n;
}

/* Reads what is there, closing any descriptors that came with it. */
static ssize_t
mapjoin_read(int fd, uint8_t *buf, size_t size)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct iovec iov = { buf, size };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;
	size_t i, k;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof u.b;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	for (c = CMSG_FIRSTHDR(&mh); n >= 0 && c != NULL;
	    c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int d;

			memcpy(&d, CMSG_DATA(c) + i * sizeof d, sizeof d);
			close(d);
		}
	}
	return n;
}

int
main(int argc, char **argv)
{
	static uint8_t in[1 << 16];
	char *hosts[WIRE_MAX_NODES], *nor[4096];
	struct sockaddr_un sun;
	struct wire_hello hello;
	struct wire_join join;
	struct wire_hdr h;
	struct wire_status_msg st;
	uint32_t nranks, rank, node, nh, nr, i;
	uint8_t *out, *q;
	size_t n, ext, got = 0;
	uint64_t deadline;
	struct pollfd pfd;
	ssize_t r;
	int fd;

	if (argc != 9) {
		fprintf(stderr, "usage: mn_mapjoin SOCKET KEY NRANKS RANK NODE "
		    "HOSTS NODE_OF_RANK TIMEOUT_MS\n");
		return 2;
	}
	nranks = (uint32_t)strtoul(argv[3], NULL, 10);
	rank = (uint32_t)strtoul(argv[4], NULL, 10);
	node = (uint32_t)strtoul(argv[5], NULL, 10);
	nh = mapjoin_split(argv[6], hosts, WIRE_MAX_NODES);
	nr = mapjoin_split(argv[7], nor, 4096);
	deadline = mapjoin_now_ms() + strtoull(argv[8], NULL, 10);
	if (nranks == 0 || nr != nranks || nh == 0 || node >= nh ||
	    rank >= nranks || strlen(argv[1]) >= sizeof sun.sun_path) {
		fprintf(stderr, "mn_mapjoin: bad arguments\n");
		return 2;
	}
	ext = WIRE_JOIN_EXT_MIN + 8 + (size_t)nh * WIRE_HOST_LEN +
	    (size_t)nranks * 4;
	if ((out = calloc(1, WIRE_HDR_LEN * 2 + WIRE_HELLO_LEN +
	    WIRE_JOIN_LEN + ext)) == NULL)
		return 2;
	memset(&hello, 0, sizeof hello);
	hello.min_version = WIRE_VERSION_MIN;
	hello.max_version = WIRE_VERSION_MAX;
	hello.role = WIRE_ROLE_RANK;
	memset(&join, 0, sizeof join);
	memcpy(join.key, argv[2], strnlen(argv[2], WIRE_KEY_LEN));
	join.rank = rank;
	join.nranks = nranks;
	join.flags = WIRE_JOIN_DAEMON_COLL | WIRE_JOIN_MULTINODE;
	n = wire_encode_hello(out, &hello);
	n += wire_encode_join_hdr(out + n, &join, (uint32_t)ext);
	q = out + n;
	wire_put32(q, WIRE_EXT_MAP);	/* no root endpoints */
	q += WIRE_JOIN_EXT_MIN;
	wire_put32(q, nh);
	wire_put32(q + 4, node);
	q += 8;
	for (i = 0; i < nh; i++, q += WIRE_HOST_LEN)
		memcpy(q, hosts[i], strnlen(hosts[i], WIRE_HOST_LEN - 1));
	for (i = 0; i < nranks; i++, q += 4)
		wire_put32(q, (uint32_t)strtoul(nor[i], NULL, 10));
	n += ext;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		printf("error connect %s\n", strerror(errno));
		return 1;
	}
	if (send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n) {
		printf("error send %s\n", strerror(errno));
		return 1;
	}
	free(out);
	for (;;) {
		while (got >= WIRE_HDR_LEN) {
			if (wire_decode_hdr_untrusted(in, got,
			    WIRE_FROM_DAEMON, &h) != WIRE_OK) {
				printf("error bad frame from the daemon\n");
				return 1;
			}
			if (got < WIRE_HDR_LEN + (size_t)h.length)
				break;
			if (h.type == WIRE_READY) {
				printf("ready node %u nnodes %u\n",
				    h.length >= 12 ? wire_get32(in +
				    WIRE_HDR_LEN + 8) : 0, h.length >= 16 ?
				    wire_get32(in + WIRE_HDR_LEN + 12) : 0);
				return 0;
			}
			if (h.type == WIRE_FAIL || h.type == WIRE_ERROR) {
				if (wire_decode_status(in + WIRE_HDR_LEN,
				    h.length, &st) != WIRE_OK) {
					printf("error bad status frame\n");
					return 1;
				}
				printf("%s %d %.*s\n", h.type == WIRE_FAIL ?
				    "fail" : "error", st.code,
				    (int)st.text_len, st.text);
				return 1;
			}
			n = WIRE_HDR_LEN + (size_t)h.length;
			memmove(in, in + n, got - n);
			got -= n;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (mapjoin_now_ms() >= deadline ||
		    poll(&pfd, 1, (int)(deadline - mapjoin_now_ms())) == 0) {
			printf("timeout\n");
			return 1;
		}
		if (got == sizeof in) {
			printf("error frame too large\n");
			return 1;
		}
		r = mapjoin_read(fd, in + got, sizeof in - got);
		if (r <= 0) {
			printf("error the daemon closed the connection\n");
			return 1;
		}
		got += (size_t)r;
	}
}
