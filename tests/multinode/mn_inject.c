/*
 * mn_inject.c - a host on the network without a job's secret tries to get
 * frames into a fastbootd's daemon-to-daemon port (forged_test.sh).
 *
 *   mn_inject ADDR[:PORT] IDFILE [NODE_ADDR:PORT]
 *
 * IDFILE holds two ids made by the target daemon (hex lines, mn_rank
 * --make-id): the first is a live job's, of which the intruder knows only
 * the public tag (it travels in clear in every job frame, so anyone on the
 * path sees it); the second is an unused one whose secret stands for frames
 * the intruder recorded on the wire, to replay them.
 *
 * With NODE_ADDR:PORT, the endpoint of a real node of the live job, a last
 * case says HELLO as that node (HELLO is not authenticated) and sends a
 * frame of the live job with a bad MAC: the link is dropped, and the job
 * must not take the impostor's failure for the real node's (the script
 * checks that the job completes).
 *
 *   mn_inject --squat ADDR[:PORT] NODE_ADDR:PORT SECONDS
 *
 * The squatter: before any link between the daemon at ADDR and the real
 * node at NODE_ADDR exists, say HELLO as that node, with its daemon's
 * instance read from its own HELLO first, and stay (answering
 * nothing, sending a PING now and then) for SECONDS while a job across the
 * two forms.  The daemon must send it no job frame (type 16 and up): it has
 * proved no secret.  Prints "squatting as ..." once the HELLOs crossed,
 * then one "ok"/"FAIL" line; exit status 0 or 1.
 *
 *   mn_inject --kept ADDR[:PORT] IDFILE SECONDS
 *
 * Frames kept for jobs not known yet, without the secret: after HELLO, a
 * COLL under a random tag, then a COLL under the tag of the first id's
 * job (not started yet) with a bad MAC.  Prints "kept", then waits up to
 * SECONDS for the daemon to drop the link, which it does when that job's
 * first rank joins (the script starts it) and the kept frame fails its
 * MAC; it must survive that, with the other frame's entry freed along.
 *
 *   mn_inject --early ADDR[:PORT] IDFILE COUNT
 *
 * One who holds the first id's secret sends COUNT collective steps of its
 * job, each with a good MAC, to a node that has the job but not its map:
 * the node keeps a bounded number, then fails the job (FB_E_LIMIT).
 *
 *   mn_inject --refuse ADDR[:PORT] IDFILE
 *
 * A REFUSE (it has no MAC) of the first id's job, on a link of one that is
 * not its root, then a frame with a bad MAC, so the link drops after the
 * REFUSE was read: the job must not fail (the script checks).
 *
 * Each case opens its own TCP connection and must end in a refusal (a
 * REFUSE frame) or a dropped link (EOF or reset) within MN_INJ_WAIT_MS;
 * a frame silently taken or ignored fails the case.  Frames are laid out
 * per doc/protocol.md ("Daemon to daemon") with the codec of wire/peer.h;
 * MACs with libsodium.  One line per case, "ok"/"FAIL"; exit status: the
 * number of failed cases.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "fastboot/fastboot.h"
#include "wire/clock.h"
#include "wire/wire.h"
#include "wire/peer.h"

#define MN_INJ_WAIT_MS	5000
/* The secret's place in the 128-byte id (libclient/client.h). */
#define MN_ID_KEY_OFF	8

struct mn_job {
	uint8_t tag[WPEER_TAG_LEN];
	crypto_auth_hmacsha512256_state mac;
};

struct mn_link {
	int fd;
	uint8_t nonce[WPEER_NONCE_LEN];		/* ours */
	uint8_t rnonce[WPEER_NONCE_LEN];	/* the daemon's */
	uint64_t rinstance;			/* the daemon's */
	uint32_t seq;
};

static struct sockaddr_in mn_target;
static int mn_failed;
static struct wpeer_ep mn_as;		/* the endpoint our HELLO claims */
static int mn_as_set;
static uint64_t mn_as_instance;		/* and its daemon's instance */

static long
mn_ms(void)
{
	return (long)(clock_mono_ns() / 1000000u);
}

/* The job's public tag and MAC key from its secret, as the daemons derive
 * them (doc/protocol.md). */
static void
mn_job_keys(const uint8_t *key, struct mn_job *j)
{
	crypto_auth_hmacsha512256_state st;
	uint8_t out[crypto_auth_hmacsha512256_BYTES];

	crypto_auth_hmacsha512256_init(&st, key, WIRE_KEY_LEN);
	crypto_auth_hmacsha512256_update(&st, (const uint8_t *)
	    "fastboot job tag v1", 19);
	crypto_auth_hmacsha512256_final(&st, out);
	memcpy(j->tag, out, WPEER_TAG_LEN);
	crypto_auth_hmacsha512256_init(&st, key, WIRE_KEY_LEN);
	crypto_auth_hmacsha512256_update(&st, (const uint8_t *)
	    "fastboot job mac v1", 19);
	crypto_auth_hmacsha512256_final(&st, out);
	crypto_auth_hmacsha512256_init(&j->mac, out, sizeof out);
}

static int
mn_read_ids(const char *path, uint8_t keys[2][WIRE_KEY_LEN])
{
	char line[512];
	unsigned int b;
	FILE *f;
	int n = 0, i;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (n < 2 && fgets(line, sizeof line, f) != NULL) {
		if (strlen(line) < 2 * (MN_ID_KEY_OFF + WIRE_KEY_LEN))
			break;
		for (i = 0; i < WIRE_KEY_LEN; i++) {
			if (sscanf(line + 2 * (MN_ID_KEY_OFF + i), "%2x",
			    &b) != 1)
				break;
			keys[n][i] = (uint8_t)b;
		}
		n++;
	}
	fclose(f);
	return n == 2 ? 0 : -1;
}

static int
mn_connect(void)
{
	struct timeval tv = { MN_INJ_WAIT_MS / 1000, 0 };
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&mn_target, sizeof mn_target)
	    == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
mn_write(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes before the deadline; 0, or -1 (errno; 0 = EOF). */
static int
mn_read(int fd, uint8_t *buf, size_t len, long deadline)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;
	long left;

	while (len > 0) {
		if ((left = deadline - mn_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if ((n = recv(fd, buf, len, 0)) == 0) {
			errno = 0;
			return -1;
		}
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * What the daemon made of it: read frames until a REFUSE, EOF, a reset or
 * the deadline.  Returns a static word: "refused", "dropped", "reset" (all
 * good) or "ignored" / "answered TYPE" (bad).
 */
static const char *
mn_verdict(int fd, int skip_job, char *detail, size_t dlen)
{
	static char word[64];
	uint8_t hdr[WPEER_HDR_LEN], *body;
	long deadline = mn_ms() + MN_INJ_WAIT_MS;
	struct wire_hdr h;
	struct wpeer_refuse r;

	detail[0] = '\0';
	for (;;) {
		if (mn_read(fd, hdr, sizeof hdr, deadline) == -1)
			return errno == 0 ? "dropped" : errno == ECONNRESET ?
			    "reset" : errno == ETIMEDOUT ? "ignored" :
			    strerror(errno);
		if (wire_decode_hdr_untrusted(hdr, sizeof hdr,
		    WIRE_FROM_PEER, &h) != WIRE_OK || h.length > 65536) {
			snprintf(word, sizeof word, "answered garbage");
			return word;
		}
		if ((body = malloc(h.length + 1)) == NULL ||
		    mn_read(fd, body, h.length, deadline) == -1) {
			free(body);
			return errno == 0 ? "dropped" : "reset";
		}
		/* Its side of the setup; or, after a frame that was valid,
		 * the daemon's answers to it. */
		if (h.type == WPEER_HELLO || (skip_job &&
		    h.type != WPEER_REFUSE)) {
			free(body);
			continue;
		}
		if (h.type == WPEER_REFUSE && wpeer_decode_refuse(body,
		    h.length, &r) == WIRE_OK) {
			snprintf(detail, dlen, "code %d: %.*s", (int)r.code,
			    (int)r.text_len, r.text);
			free(body);
			return "refused";
		}
		free(body);
		snprintf(word, sizeof word, "answered %s",
		    wpeer_type_name(h.type));
		return word;
	}
}

static void
mn_case(const char *name, int fd, int skip_job)
{
	char detail[600];
	const char *v;
	int good;

	if (fd == -1) {
		printf("FAIL %s: could not connect or send: %s\n", name,
		    strerror(errno));
		mn_failed++;
		return;
	}
	v = mn_verdict(fd, skip_job, detail, sizeof detail);
	good = strcmp(v, "refused") == 0 || strcmp(v, "dropped") == 0 ||
	    strcmp(v, "reset") == 0;
	printf("%s %s: %s%s%s\n", good ? "ok" : "FAIL", name, v,
	    detail[0] ? " " : "", detail);
	if (!good)
		mn_failed++;
	close(fd);
}

/* Our HELLO, and the daemon's (its nonce).  -1 on failure. */
static int
mn_hello(struct mn_link *l)
{
	uint8_t buf[WPEER_HDR_LEN + WPEER_HELLO_LEN], *p;
	struct wpeer_hello m;
	struct wire_hdr h;
	struct sockaddr_in me;
	socklen_t melen = sizeof me;
	long deadline = mn_ms() + MN_INJ_WAIT_MS;

	memset(l, 0, sizeof *l);
	if ((l->fd = mn_connect()) == -1)
		return -1;
	memset(&m, 0, sizeof m);
	m.min_version = m.max_version = WPEER_VERSION;
	randombytes_buf(&m.instance, sizeof m.instance);
	randombytes_buf(l->nonce, sizeof l->nonce);
	memcpy(m.nonce, l->nonce, sizeof m.nonce);
	getsockname(l->fd, (struct sockaddr *)&me, &melen);
	m.ep.family = 4;
	m.ep.port = 1;		/* nothing listens there */
	memcpy(m.ep.addr, &me.sin_addr, 4);
	snprintf(m.host, sizeof m.host, "intruder");
	if (mn_as_set) {
		m.ep = mn_as;
		snprintf(m.host, sizeof m.host, "impostor");
		if (mn_as_instance != 0)
			m.instance = mn_as_instance;
	}
	if (mn_write(l->fd, buf, wpeer_encode_hello(buf, &m)) == -1)
		goto bad;
	for (;;) {
		if (mn_read(l->fd, buf, WPEER_HDR_LEN, deadline) == -1 ||
		    wire_decode_hdr_untrusted(buf, WPEER_HDR_LEN,
		    WIRE_FROM_PEER, &h) != WIRE_OK)
			goto bad;
		if (h.type == WPEER_HELLO && h.length == WPEER_HELLO_LEN)
			break;
		goto bad;
	}
	p = buf + WPEER_HDR_LEN;
	if (mn_read(l->fd, p, WPEER_HELLO_LEN, deadline) == -1 ||
	    wpeer_decode_hello(p, WPEER_HELLO_LEN, &m) != WIRE_OK)
		goto bad;
	memcpy(l->rnonce, m.nonce, sizeof l->rnonce);
	l->rinstance = m.instance;
	return 0;
bad:
	close(l->fd);
	l->fd = -1;
	return -1;
}

/*
 * A job frame: header, tag, node, body, MAC.  mac NULL: 32 zero bytes;
 * else keyed by *mac over the daemon's nonce, ours, and the frame.
 */
static size_t
mn_job_frame(uint8_t *out, const struct mn_link *l, uint32_t seq,
    uint16_t type, const uint8_t *tag, const crypto_auth_hmacsha512256_state
    *mac, const uint8_t *body, size_t blen)
{
	crypto_auth_hmacsha512256_state st;
	size_t len = WPEER_HDR_LEN + WPEER_JOB_HDR_LEN + blen;

	wpeer_encode_hdr(out, type, (uint32_t)(WPEER_JOB_OVERHEAD + blen),
	    seq);
	memcpy(out + WPEER_HDR_LEN, tag, WPEER_TAG_LEN);
	wire_put32(out + WPEER_HDR_LEN + WPEER_TAG_LEN, WPEER_NO_NODE);
	memcpy(out + WPEER_HDR_LEN + WPEER_JOB_HDR_LEN, body, blen);
	if (mac == NULL) {
		memset(out + len, 0, WPEER_MAC_LEN);
	} else {
		st = *mac;
		crypto_auth_hmacsha512256_update(&st, l->rnonce,
		    WPEER_NONCE_LEN);
		crypto_auth_hmacsha512256_update(&st, l->nonce,
		    WPEER_NONCE_LEN);
		crypto_auth_hmacsha512256_update(&st, out, len);
		crypto_auth_hmacsha512256_final(&st, out + len);
	}
	return len + WPEER_MAC_LEN;
}

/* A JOIN body: nranks, flags, endpoint, host, one rank. */
static size_t
mn_join_body(uint8_t *b, const struct mn_link *l)
{
	struct sockaddr_in me;
	socklen_t melen = sizeof me;
	struct wpeer_ep ep;

	memset(b, 0, WPEER_JOIN_MIN + 4);
	wire_put32(b, 4);
	wire_put32(b + 4, WIRE_JOIN_DAEMON_COLL | WIRE_JOIN_MULTINODE);
	memset(&ep, 0, sizeof ep);
	getsockname(l->fd, (struct sockaddr *)&me, &melen);
	ep.family = 4;
	ep.port = 1;
	memcpy(ep.addr, &me.sin_addr, 4);
	wpeer_put_ep(b + 8, &ep);
	memcpy(b + 8 + WPEER_EP_LEN, "intruder", 8);
	wire_put32(b + 8 + WPEER_EP_LEN + WPEER_HOST_LEN, 1);
	wire_put32(b + WPEER_JOIN_MIN, 3);
	return WPEER_JOIN_MIN + 4;
}

/* Parse ADDR:PORT into an endpoint; -1 if it is not one. */
static int
mn_parse_ep(const char *spec, struct wpeer_ep *ep)
{
	char addr[64], *colon;
	struct in_addr a;

	snprintf(addr, sizeof addr, "%s", spec);
	if ((colon = strchr(addr, ':')) == NULL)
		return -1;
	*colon = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1 || atoi(colon + 1) <= 0 ||
	    atoi(colon + 1) > 65535)
		return -1;
	memset(ep, 0, sizeof *ep);
	ep->family = 4;
	ep->port = (uint16_t)atoi(colon + 1);
	memcpy(ep->addr, &a, 4);
	return 0;
}

static int
mn_target_set(const char *spec)
{
	char addr[64], *colon;
	int port = WPEER_DEFAULT_PORT;

	snprintf(addr, sizeof addr, "%s", spec);
	if ((colon = strchr(addr, ':')) != NULL) {
		*colon = '\0';
		port = atoi(colon + 1);
	}
	memset(&mn_target, 0, sizeof mn_target);
	mn_target.sin_family = AF_INET;
	mn_target.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &mn_target.sin_addr) != 1) {
		fprintf(stderr, "mn_inject: %s: not an IPv4 address\n", addr);
		return -1;
	}
	return 0;
}

/* --squat: HELLO as a real node, then count the job frames sent to us. */
static int
mn_squat(const char *node, int seconds)
{
	uint8_t hdr[WPEER_HDR_LEN], ping[WPEER_HDR_LEN], *body;
	struct mn_link l;
	struct wire_hdr h;
	long end, next_ping;
	struct sockaddr_in target = mn_target;
	int njob = 0, ended = 0;
	char first[64] = "";

	if (mn_parse_ep(node, &mn_as) == -1) {
		fprintf(stderr, "mn_inject: %s: not ADDR:PORT\n", node);
		return 100;
	}
	/* The real node's daemon instance, from its HELLO (sent in clear to
	 * anyone who connects): the impostor's HELLO names the same daemon. */
	if (mn_target_set(node) == -1 || mn_hello(&l) == -1) {
		printf("FAIL - squatter: no HELLO from %s\n", node);
		return 1;
	}
	close(l.fd);
	mn_as_instance = l.rinstance;
	mn_target = target;
	mn_as_set = 1;
	if (mn_hello(&l) == -1) {
		printf("FAIL - squatter: no HELLO exchange with the daemon\n");
		return 1;
	}
	printf("squatting as %s\n", node);
	fflush(stdout);
	wpeer_encode_hdr(ping, WPEER_PING, 0, 0);
	end = mn_ms() + seconds * 1000L;
	next_ping = mn_ms();
	while (mn_ms() < end && !ended) {
		if (mn_ms() >= next_ping) {
			if (mn_write(l.fd, ping, sizeof ping) == -1)
				break;
			next_ping = mn_ms() + 250;
		}
		if (mn_read(l.fd, hdr, sizeof hdr, next_ping) == -1) {
			if (errno == ETIMEDOUT)
				continue;
			ended = 1;	/* the daemon dropped us: fine */
			break;
		}
		if (wire_decode_hdr_untrusted(hdr, sizeof hdr, WIRE_FROM_PEER,
		    &h) != WIRE_OK || h.length > (1u << 20) ||
		    (body = malloc(h.length + 1)) == NULL) {
			printf("FAIL - squatter: the daemon sent garbage\n");
			close(l.fd);
			return 1;
		}
		if (mn_read(l.fd, body, h.length, mn_ms() +
		    MN_INJ_WAIT_MS) == -1)
			ended = 1;
		free(body);
		if (h.type >= WPEER_JOIN) {
			if (njob++ == 0)
				snprintf(first, sizeof first, "%s",
				    wpeer_type_name(h.type));
		}
	}
	close(l.fd);
	if (njob > 0) {
		printf("FAIL - squatter claiming %s got %d job frame(s), the "
		    "first a %s\n", node, njob, first);
		return 1;
	}
	printf("ok - squatter claiming %s got no job frame in %d s%s\n", node,
	    seconds, ended ? " (then dropped)" : "");
	return 0;
}

/* A collective step's body of 32 bytes, of collective seq. */
static size_t
mn_coll_body(uint8_t *body, uint32_t seq)
{
	memset(body, 0, WPEER_COLL_HDR + 32);
	wire_put32(body, seq);
	wire_put16(body + 4, 1);	/* kind */
	wire_put16(body + 6, 0);	/* step */
	wire_put64(body + 8, 32);	/* bytes */
	return WPEER_COLL_HDR + 32;
}

/* The other modes: --kept, --early, --refuse (see above). */
static int
mn_mode(const char *mode, const char *target, const char *idfile,
    long arg)
{
	uint8_t keys[2][WIRE_KEY_LEN], frame[4096], body[512], rtag[16];
	struct mn_job job, fake;
	struct mn_link l;
	struct wire_hdr h;
	size_t blen, flen;
	const char *v;
	long i, deadline;

	if (mn_target_set(target) == -1 || mn_read_ids(idfile, keys) == -1) {
		fprintf(stderr, "mn_inject: %s: two ids needed\n", idfile);
		return 100;
	}
	mn_job_keys(keys[0], &job);
	randombytes_buf(keys[1], sizeof keys[1]);
	mn_job_keys(keys[1], &fake);
	if (mn_hello(&l) == -1) {
		printf("FAIL %s: no HELLO exchange with the daemon\n", mode);
		return 1;
	}
	if (strcmp(mode, "--kept") == 0) {
		randombytes_buf(rtag, sizeof rtag);
		blen = mn_coll_body(body, 1);
		flen = mn_job_frame(frame, &l, ++l.seq, WPEER_COLL, rtag, NULL,
		    body, blen);
		if (mn_write(l.fd, frame, flen) == -1)
			goto lost;
		flen = mn_job_frame(frame, &l, ++l.seq, WPEER_COLL, job.tag,
		    &fake.mac, body, blen);
		if (mn_write(l.fd, frame, flen) == -1)
			goto lost;
		printf("kept\n");
		fflush(stdout);
		/* Dropped only once the job's first rank joined. */
		deadline = mn_ms() + arg * 1000;
		/* Its PINGs (no body) until the end. */
		while (mn_read(l.fd, frame, WPEER_HDR_LEN, deadline) == 0 &&
		    wire_decode_hdr_untrusted(frame, WPEER_HDR_LEN,
		    WIRE_FROM_PEER, &h) == WIRE_OK &&
		    h.length <= sizeof frame &&
		    mn_read(l.fd, frame, h.length, deadline) == 0)
			;
		v = errno == 0 ? "dropped" : errno == ECONNRESET ? "reset" :
		    errno == ETIMEDOUT ? "still open" : strerror(errno);
		close(l.fd);
		if (strcmp(v, "dropped") != 0 && strcmp(v, "reset") != 0) {
			printf("FAIL --kept: %s\n", v);
			return 1;
		}
		printf("ok --kept: %s once the job came\n", v);
		return 0;
	}
	if (strcmp(mode, "--early") == 0) {
		/* Collective #1's steps: this node never runs #0's here. */
		blen = mn_coll_body(body, 1);
		for (i = 0; i < arg; i++) {
			flen = mn_job_frame(frame, &l, ++l.seq, WPEER_COLL,
			    job.tag, &job.mac, body, blen);
			if (mn_write(l.fd, frame, flen) == -1)
				goto lost;
		}
		printf("ok --early: sent %ld steps with good MACs\n", arg);
		close(l.fd);
		return 0;
	}
	/* --refuse */
	flen = wpeer_encode_refuse(frame, job.tag, FB_E_PERM, "forged refusal");
	if (mn_write(l.fd, frame, flen) == -1)
		goto lost;
	blen = mn_coll_body(body, 1);
	flen = mn_job_frame(frame, &l, ++l.seq, WPEER_COLL, job.tag,
	    &fake.mac, body, blen);
	if (mn_write(l.fd, frame, flen) == -1)
		goto lost;
	mn_case("REFUSE of a live job, not from its root", l.fd, 0);
	return mn_failed;
lost:
	printf("FAIL %s: could not send: %s\n", mode, strerror(errno));
	close(l.fd);
	return 1;
}

int
main(int argc, char **argv)
{
	uint8_t keys[2][WIRE_KEY_LEN], frame[4096], body[512], rec[4096];
	struct mn_job live, fake, recorded;
	struct mn_link l, l2;
	size_t blen, flen, rlen;
	uint8_t junk[64];
	int fd;

	if (argc == 5 && strcmp(argv[1], "--squat") == 0) {
		if (sodium_init() < 0 || mn_target_set(argv[2]) == -1)
			return 100;
		return mn_squat(argv[3], atoi(argv[4]));
	}
	if (argc >= 2 && (strcmp(argv[1], "--kept") == 0 ||
	    strcmp(argv[1], "--early") == 0) && argc == 5) {
		if (sodium_init() < 0)
			return 100;
		return mn_mode(argv[1], argv[2], argv[3], atol(argv[4]));
	}
	if (argc == 4 && strcmp(argv[1], "--refuse") == 0) {
		if (sodium_init() < 0)
			return 100;
		return mn_mode(argv[1], argv[2], argv[3], 0);
	}
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: mn_inject ADDR[:PORT] IDFILE "
		    "[NODE_ADDR:PORT]\n"
		    "       mn_inject --squat ADDR[:PORT] NODE_ADDR:PORT "
		    "SECONDS\n");
		return 100;
	}
	if (sodium_init() < 0 || mn_read_ids(argv[2], keys) == -1) {
		fprintf(stderr, "mn_inject: %s: two ids needed\n", argv[2]);
		return 100;
	}
	if (mn_target_set(argv[1]) == -1)
		return 100;
	mn_job_keys(keys[0], &live);
	mn_job_keys(keys[1], &recorded);
	/* The intruder's own key: some other secret. */
	randombytes_buf(keys[0], sizeof keys[0]);
	mn_job_keys(keys[0], &fake);

	/* 1. Bytes that are no frame at all. */
	memset(junk, 0xab, sizeof junk);
	fd = mn_connect();
	if (fd != -1 && mn_write(fd, junk, sizeof junk) == -1) {
		close(fd);
		fd = -1;
	}
	mn_case("garbage before HELLO", fd, 0);

	/* 2. A frame header announcing 4 GiB. */
	fd = mn_connect();
	wpeer_encode_hdr(frame, WPEER_JOIN, 0xfffffff0u, 1);
	if (fd != -1 && mn_write(fd, frame, WPEER_HDR_LEN) == -1) {
		close(fd);
		fd = -1;
	}
	mn_case("a 4 GiB length", fd, 0);

	/* 3. JOIN of the live job: its tag, no MAC. */
	if (mn_hello(&l) == 0) {
		blen = mn_join_body(body, &l);
		flen = mn_job_frame(frame, &l, 1, WPEER_JOIN, live.tag, NULL,
		    body, blen);
		if (mn_write(l.fd, frame, flen) == -1) {
			close(l.fd);
			l.fd = -1;
		}
	}
	mn_case("JOIN with the live job's tag and no MAC", l.fd, 0);

	/* 4. A collective step of the live job, MAC under another key. */
	if (mn_hello(&l) == 0) {
		memset(body, 0, sizeof body);
		wire_put32(body, 1);		/* seq */
		wire_put16(body + 4, 1);	/* kind */
		wire_put16(body + 6, 0);	/* step */
		wire_put64(body + 8, 64);	/* bytes */
		flen = mn_job_frame(frame, &l, 1, WPEER_COLL, live.tag,
		    &fake.mac, body, WPEER_COLL_HDR + 64);
		if (mn_write(l.fd, frame, flen) == -1) {
			close(l.fd);
			l.fd = -1;
		}
	}
	mn_case("COLL with the live job's tag, MAC of another key", l.fd, 0);

	/* 5. A message to rank 0 of the live job, MAC under another key. */
	if (mn_hello(&l) == 0) {
		memset(body, 0, sizeof body);
		wire_put32(body, 4);		/* src */
		wire_put32(body + 4, 0);	/* dst */
		wire_put32(body + 8, 5);	/* tag */
		wire_put32(body + 12, 1);	/* sendseq */
		memcpy(body + WPEER_MSG_HDR, "injected", 8);
		flen = mn_job_frame(frame, &l, 1, WPEER_MSG, live.tag,
		    &fake.mac, body, WPEER_MSG_HDR + 8);
		if (mn_write(l.fd, frame, flen) == -1) {
			close(l.fd);
			l.fd = -1;
		}
	}
	mn_case("MSG to rank 0 with the live job's tag, MAC of another key",
	    l.fd, 0);

	/*
	 * 6, 7. Replays.  A frame sealed for link A (the recorded one) is
	 * sent on link B, whose nonces differ, and then again on link A
	 * with its sequence number already used.
	 */
	if (mn_hello(&l) == -1) {
		mn_case("a frame of link A replayed on link B", -1, 0);
		mn_case("a frame replayed on its own link", -1, 0);
		return mn_failed;
	}
	blen = mn_join_body(body, &l);
	rlen = mn_job_frame(rec, &l, 1, WPEER_JOIN, recorded.tag,
	    &recorded.mac, body, blen);
	if (mn_write(l.fd, rec, rlen) == -1) {
		close(l.fd);
		l.fd = -1;
	}
	if (mn_hello(&l2) == 0 && mn_write(l2.fd, rec, rlen) == -1) {
		close(l2.fd);
		l2.fd = -1;
	}
	mn_case("a frame of link A replayed on link B", l2.fd, 0);
	if (l.fd != -1 && mn_write(l.fd, rec, rlen) == -1) {
		close(l.fd);
		l.fd = -1;
	}
	mn_case("a frame replayed on its own link", l.fd, 1);

	/* 8. After HELLO, a header announcing a 64 MiB collective step: no
	 * link that proved nothing gets a buffer that large. */
	if (mn_hello(&l) == 0) {
		wpeer_encode_hdr(frame, WPEER_COLL, 64u << 20, 1);
		memcpy(frame + WPEER_HDR_LEN, live.tag, WPEER_TAG_LEN);
		if (mn_write(l.fd, frame, WPEER_HDR_LEN + WPEER_TAG_LEN) ==
		    -1) {
			close(l.fd);
			l.fd = -1;
		}
	}
	mn_case("a 64 MiB frame announced after HELLO", l.fd, 0);
	if (argc == 4) {
		struct in_addr a;
		char addr[64], *colon;

		snprintf(addr, sizeof addr, "%s", argv[3]);
		if ((colon = strchr(addr, ':')) != NULL)
			*colon = '\0';
		if (colon == NULL || inet_pton(AF_INET, addr, &a) != 1) {
			fprintf(stderr, "mn_inject: %s: not ADDR:PORT\n",
			    argv[3]);
			return 100;
		}
		memset(&mn_as, 0, sizeof mn_as);
		mn_as.family = 4;
		mn_as.port = (uint16_t)atoi(colon + 1);
		memcpy(mn_as.addr, &a, 4);
		mn_as_set = 1;
		if (mn_hello(&l) == 0) {
			memset(body, 0, sizeof body);
			wire_put32(body, 1);
			wire_put16(body + 4, 1);
			wire_put64(body + 8, 64);
			flen = mn_job_frame(frame, &l, 1, WPEER_COLL, live.tag,
			    &fake.mac, body, WPEER_COLL_HDR + 64);
			if (mn_write(l.fd, frame, flen) == -1) {
				close(l.fd);
				l.fd = -1;
			}
		}
		mn_case("HELLO as a real node, then a frame with a bad MAC",
		    l.fd, 0);
	}
	return mn_failed;
}
