/*
 * gen_corpus.c - write the fuzz seed corpus: a valid frame of every type in
 * both directions, whole conversations, and the edge cases the decoders
 * must refuse.  Rebuild the corpus with
 *
 *	make tests/fuzz/gen_corpus &&
 *	    tests/fuzz/gen_corpus $(srcdir)/tests/fuzz/corpus
 *
 * Files the fuzzer found (crash-*, regress-*) live beside these; this
 * program never removes them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wire/wire.h"
#include "wire/peer.h"

static const char *outdir;
static int failed;

static void
put(const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", outdir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "gen_corpus: %s: %s\n", path, strerror(errno));
		failed = 1;
	}
}

/* A header with any fields, for the edge cases. */
static size_t
raw_hdr(uint8_t *b, uint32_t magic, uint16_t version, uint16_t type,
    uint32_t length, uint32_t seq)
{
	wire_put32(b, magic);
	wire_put16(b + 4, version);
	wire_put16(b + 6, type);
	wire_put32(b + 8, length);
	wire_put32(b + 12, seq);
	return WIRE_HDR_LEN;
}

static size_t
hello(uint8_t *b, uint16_t min, uint16_t max, uint32_t role)
{
	struct wire_hello m = { min, max, role, 0 };

	return wire_encode_hello(b, &m);
}

static size_t
join_flags(uint8_t *b, uint32_t rank, uint32_t nranks, uint32_t flags)
{
	struct wire_join m;
	int i;

	memset(&m, 0, sizeof m);
	m.flags = flags;
	for (i = 0; i < WIRE_KEY_LEN; i++)
		m.key[i] = (uint8_t)(0xa0 + i);
	m.rank = rank;
	m.nranks = nranks;
	return wire_encode_join(b, &m);
}

static size_t
join(uint8_t *b, uint32_t rank, uint32_t nranks)
{
	return join_flags(b, rank, nranks, 0);
}

static size_t
arrive(uint8_t *b, uint32_t seq, uint32_t kind, uint64_t bytes)
{
	struct wire_arrive m = { kind, 0, bytes };

	return wire_encode_arrive(b, seq, &m);
}

static size_t
msg(uint8_t *b, uint16_t type, uint32_t seq, uint32_t peer, uint32_t tag,
    const char *data)
{
	size_t n = strlen(data);
	size_t h = wire_encode_msg_hdr(b, type, seq, peer, tag, (uint32_t)n);

	memcpy(b + h, data, n);
	return h + n;
}

static size_t
ack_flags(uint8_t *b, uint64_t table, uint64_t ctl, uint16_t version,
    uint16_t flags)
{
	struct wire_join_ack m = { version, flags, 7, table, ctl };

	return wire_encode_join_ack(b, &m);
}

static size_t
ack(uint8_t *b, uint64_t table, uint64_t ctl, uint16_t version)
{
	struct wire_join_ack m = { version, 0, 7, table, ctl };

	return wire_encode_join_ack(b, &m);
}

static size_t
ready(uint8_t *b, uint32_t lr, uint32_t ls)
{
	struct wire_ready m = { lr, ls, 0, 1 };

	return wire_encode_ready(b, &m);
}

/* Daemon-to-daemon frames (fuzz_peer): a HELLO, then job frames whose MAC
 * is computed with a job key and nonces the daemon under test never has,
 * so they exercise every decoder up to the MAC and the refusal paths. */
static size_t
p_hello(uint8_t *b)
{
	struct wpeer_hello h;

	memset(&h, 0, sizeof h);
	h.min_version = h.max_version = WPEER_VERSION;
	h.instance = 0x1122334455667788ull;
	memset(h.nonce, 0x5a, sizeof h.nonce);
	h.ep.family = 4;
	h.ep.port = WPEER_DEFAULT_PORT;
	h.ep.addr[0] = 10;
	h.ep.addr[1] = 213;
	h.ep.addr[3] = 12;
	snprintf(h.host, sizeof h.host, "nodeB");
	return wpeer_encode_hello(b, &h);
}

static size_t
p_job(uint8_t *b, uint16_t type, uint32_t seq, uint32_t node,
    const uint8_t *body, size_t blen)
{
	static const uint8_t key[32] = { 1, 2, 3, 4 };
	uint8_t *p = b + WPEER_HDR_LEN;

	wpeer_encode_hdr(b, type, (uint32_t)(WPEER_JOB_OVERHEAD + blen), seq);
	memset(p, 0xa5, WPEER_TAG_LEN);
	wire_put32(p + WPEER_TAG_LEN, node);
	memcpy(p + WPEER_JOB_HDR_LEN, body, blen);
	crypto_auth_hmacsha512256(p + WPEER_JOB_HDR_LEN + blen, b,
	    WPEER_HDR_LEN + WPEER_JOB_HDR_LEN + blen, key);
	return WPEER_HDR_LEN + WPEER_JOB_OVERHEAD + blen;
}

static void
peer_seeds(uint8_t *b)
{
	uint8_t body[4096], *q;
	struct wpeer_ep ep = { 4, WPEER_DEFAULT_PORT, { 10, 213, 0, 12 } };
	size_t n, k;

	put("p-hello", b, p_hello(b));
	n = p_hello(b);
	wpeer_encode_hdr(b + n, WPEER_PING, 0, 0);
	put("p-hello-ping", b, n + WPEER_HDR_LEN);
	/* JOIN of an unknown job: the daemon refuses it. */
	n = p_hello(b);
	q = body;
	wire_put32(q, 16);
	wire_put32(q + 4, WIRE_JOIN_DAEMON_COLL | WIRE_JOIN_MULTINODE);
	wpeer_put_ep(q + 8, &ep);
	memset(q + 8 + WPEER_EP_LEN, 0, WPEER_HOST_LEN);
	memcpy(q + 8 + WPEER_EP_LEN, "nodeB", 5);
	k = 8 + WPEER_EP_LEN + WPEER_HOST_LEN;
	wire_put32(q + k, 2);
	wire_put32(q + k + 4, 8);
	wire_put32(q + k + 8, 9);
	n += p_job(b + n, WPEER_JOIN, 1, WPEER_NO_NODE, body, k + 12);
	put("p-join-unknown", b, n);
	/* Frames of a job not known yet: kept a while, then dropped. */
	n = p_hello(b);
	wire_put32(body, 1);
	wire_put16(body + 4, WIRE_COLL_BARRIER);
	wire_put16(body + 6, 0);
	wire_put64(body + 8, 0);
	n += p_job(b + n, WPEER_COLL, 1, 1, body, WPEER_COLL_HDR);
	wire_put32(body, 3);
	wire_put32(body + 4, 9);
	wire_put32(body + 8, 77);
	wire_put32(body + 12, 1);
	memcpy(body + 16, "hello", 5);
	n += p_job(b + n, WPEER_MSG, 2, 1, body, WPEER_MSG_HDR + 5);
	n += p_job(b + n, WPEER_MSG_HELD, 3, 1, body, WPEER_MSG_HDR + 5);
	wire_put32(body, 3);
	wire_put32(body + 4, 2);
	n += p_job(b + n, WPEER_LEFT, 4, 1, body, WPEER_LEFT_LEN);
	wire_put32(body, (uint32_t)-4);
	wire_put32(body + 4, 3);
	memcpy(body + 8, "node lost", 9);
	n += p_job(b + n, WPEER_FAIL, 5, 1, body, WPEER_FAIL_HDR + 9);
	put("p-stream-unknown-job", b, n);
	/* A replay: the same sequence number twice closes the link. */
	n = p_hello(b);
	wire_put32(body, 2);
	wire_put32(body + 4, 5);
	n += p_job(b + n, WPEER_RANKS, 1, WPEER_NO_NODE, body, 4);
	n += p_job(b + n, WPEER_RANKS, 1, WPEER_NO_NODE, body, 4);
	put("p-replayed-seq", b, n);
	/* PROOF (empty body) of a job unknown here, then a PING. */
	n = p_hello(b);
	n += p_job(b + n, WPEER_PROOF, 1, 1, body, 0);
	wpeer_encode_hdr(b + n, WPEER_PING, 0, 0);
	put("p-proof", b, n + WPEER_HDR_LEN);
	/* A job frame, then RETIRE (empty body): the sender's last frame on
	 * this link; anything after it is out of place. */
	n = p_hello(b);
	n += p_job(b + n, WPEER_PROOF, 1, 1, body, 0);
	n += p_job(b + n, WPEER_RETIRE, 2, 1, body, 0);
	put("p-retire", b, n);
	/* A MAP for 2 nodes and 4 ranks. */
	n = p_hello(b);
	wire_put32(body, 2);
	wire_put32(body + 4, 1);
	wire_put32(body + 8, 4);
	q = body + 12;
	wpeer_put_ep(q, &ep);
	memset(q + WPEER_EP_LEN, 0, WPEER_HOST_LEN);
	q += WPEER_MAP_NODE_LEN;
	ep.addr[3] = 11;
	wpeer_put_ep(q, &ep);
	memset(q + WPEER_EP_LEN, 0, WPEER_HOST_LEN);
	q += WPEER_MAP_NODE_LEN;
	for (k = 0; k < 4; k++)
		wire_put32(q + k * 4, k / 2);
	n += p_job(b + n, WPEER_MAP, 1, WPEER_NO_NODE, body,
	    12 + 2 * WPEER_MAP_NODE_LEN + 16);
	put("p-map", b, n);
	/* Unauthenticated REFUSE, and frames before HELLO. */
	n = p_hello(b);
	memset(body, 0xa5, WPEER_TAG_LEN);
	n += wpeer_encode_refuse(b + n, body, -9, "no such job");
	put("p-refuse", b, n);
	wire_put32(body, 1);
	wire_put32(body + 4, 0);
	put("p-job-before-hello", b, p_job(b, WPEER_LEFT, 1, 0, body,
	    WPEER_LEFT_LEN));
	/* A header that claims the largest payload, then nothing. */
	wpeer_encode_hdr(b, WPEER_COLL, WPEER_PAYLOAD_MAX, 1);
	n = p_hello(b + WPEER_HDR_LEN);
	memmove(b, b + WPEER_HDR_LEN, n);
	wpeer_encode_hdr(b + n, WPEER_COLL, WPEER_PAYLOAD_MAX, 1);
	put("p-huge-length", b, n + WPEER_HDR_LEN);
}

int
main(int argc, char **argv)
{
	static uint8_t b[1 << 16];
	char text[WIRE_TEXT_MAX + 1];
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	memset(text, 'x', WIRE_TEXT_MAX);
	text[WIRE_TEXT_MAX] = '\0';

	/* Valid frames, client to daemon. */
	put("c-hello-rank", b, hello(b, 1, 1, WIRE_ROLE_RANK));
	put("c-hello-ctl", b, hello(b, 1, 1, WIRE_ROLE_CTL));
	put("c-hello-range", b, hello(b, 1, 9, WIRE_ROLE_RANK));
	put("c-join", b, join(b, 3, 8));
	put("c-join-last", b, join(b, 65535, 65536));
	put("c-join-daemon-coll", b, join_flags(b, 1, 4,
	    WIRE_JOIN_DAEMON_COLL));
	put("c-arrive-barrier", b, arrive(b, 1, WIRE_COLL_BARRIER, 0));
	put("c-arrive-allgather", b, arrive(b, 2, WIRE_COLL_ALLGATHER, 64));
	put("c-arrive-alltoall", b, arrive(b, 3, WIRE_COLL_ALLTOALL,
	    1u << 20));
	put("c-send", b, msg(b, WIRE_SEND, 1, 2, 77, "hello, rank 2"));
	put("c-send-empty", b, msg(b, WIRE_SEND, 2, 0, 0, ""));
	put("c-leave", b, wire_encode_empty(b, WIRE_LEAVE, 0));
	put("c-wait", b, wire_encode_empty(b, WIRE_WAIT, 5));
	put("c-ctl-status", b, wire_encode_empty(b, WIRE_CTL_STATUS, 0));
	put("c-ctl-jobs", b, wire_encode_empty(b, WIRE_CTL_JOBS, 0));
	put("c-abort", b, wire_encode_status(b, WIRE_ABORT, 0, -3, 4,
	    "barrier #2 timed out after 30000 ms: ranks 5-7 of 8"));
	put("c-abort-maxtext", b, wire_encode_status(b, WIRE_ABORT, 0, -3, 0,
	    text));
	n = hello(b, 1, 1, WIRE_ROLE_RANK);
	n += join(b + n, 0, 2);
	n += arrive(b + n, 1, WIRE_COLL_BARRIER, 0);
	n += arrive(b + n, 2, WIRE_COLL_ALLGATHER, 8);
	n += msg(b + n, WIRE_SEND, 1, 1, 9, "ping");
	n += wire_encode_empty(b + n, WIRE_WAIT, 1);
	n += wire_encode_empty(b + n, WIRE_LEAVE, 0);
	put("c-stream-rank", b, n);
	n = hello(b, 1, 1, WIRE_ROLE_CTL);
	n += wire_encode_empty(b + n, WIRE_CTL_STATUS, 0);
	n += wire_encode_empty(b + n, WIRE_CTL_JOBS, 0);
	put("c-stream-ctl", b, n);

	/* Valid frames, daemon to client. */
	put("d-join-ack", b, ack(b, 1u << 24, 4096, 1));
	put("d-join-ack-eventfd", b, ack_flags(b, 1u << 24, 4096, 1,
	    WIRE_ACK_EVENTFD));
	put("d-ready", b, ready(b, 3, 8));
	put("d-release", b, wire_encode_empty(b, WIRE_RELEASE, 4));
	put("d-deliver", b, msg(b, WIRE_DELIVER, 1, 3, 77, "from rank 3"));
	put("d-send-ack", b, wire_encode_status(b, WIRE_SEND_ACK, 1, 0, 2,
	    NULL));
	put("d-send-ack-limit", b, wire_encode_status(b, WIRE_SEND_ACK, 2,
	    -12, 2, "send to rank 2: it has 67108864 bytes not yet received"));
	put("d-fail", b, wire_encode_status(b, WIRE_FAIL, 0, -4, 5,
	    "rank 5 (pid 1234) was lost in barrier #3 (7 of 8 arrived)"));
	put("d-error", b, wire_encode_status(b, WIRE_ERROR, 0, -9,
	    WIRE_NO_RANK, "the job belongs to another user"));
	put("d-left", b, wire_encode_empty(b, WIRE_LEFT, 6));
	n = raw_hdr(b, WIRE_MAGIC, 1, WIRE_CTL_REPLY, 14, 0);
	memcpy(b + n, "{\"jobs\": 0}\n\n\n", 14);
	put("d-ctl-reply", b, n + 14);
	n = ack(b, 1u << 24, 4096, 1);
	n += ready(b + n, 0, 2);
	n += wire_encode_empty(b + n, WIRE_RELEASE, 1);
	n += msg(b + n, WIRE_DELIVER, 1, 1, 9, "pong");
	n += wire_encode_status(b + n, WIRE_SEND_ACK, 1, 0, 1, NULL);
	n += wire_encode_empty(b + n, WIRE_LEFT, 1);
	n += wire_encode_status(b + n, WIRE_FAIL, 0, -4, 1, "rank 1 lost");
	put("d-stream-rank", b, n);

	/* Headers the decoder must refuse. */
	put("e-empty", b, 0);
	put("e-half-header", b, hello(b, 1, 1, WIRE_ROLE_RANK) / 2);
	n = hello(b, 1, 1, WIRE_ROLE_RANK);
	put("e-truncated-hello", b, n - 1);
	n = raw_hdr(b, 0x46425731, 1, WIRE_HELLO, WIRE_HELLO_LEN, 0);
	put("e-bad-magic", b, n + WIRE_HELLO_LEN);
	put("e-version-0", b, raw_hdr(b, WIRE_MAGIC, 0, WIRE_HELLO, 0, 0));
	put("e-version-2", b, raw_hdr(b, WIRE_MAGIC, 2, WIRE_HELLO,
	    WIRE_HELLO_LEN, 0) + WIRE_HELLO_LEN);
	put("e-type-0", b, raw_hdr(b, WIRE_MAGIC, 1, 0, 0, 0));
	put("e-type-99", b, raw_hdr(b, WIRE_MAGIC, 1, 99, 0, 0));
	put("e-type-ffff", b, raw_hdr(b, WIRE_MAGIC, 1, 0xffff, 0, 0));
	put("e-send-over-limit", b, raw_hdr(b, WIRE_MAGIC, 1, WIRE_SEND,
	    WIRE_PAYLOAD_MAX + 1, 1));
	put("e-send-length-max-u32", b, raw_hdr(b, WIRE_MAGIC, 1, WIRE_SEND,
	    0xffffffffu, 1));
	put("e-send-under-min", b, raw_hdr(b, WIRE_MAGIC, 1, WIRE_SEND, 4, 1));
	put("e-send-max-truncated", b, raw_hdr(b, WIRE_MAGIC, 1, WIRE_SEND,
	    WIRE_PAYLOAD_MAX, 1) + 64);
	put("e-ctl-reply-over-limit", b, raw_hdr(b, WIRE_MAGIC, 1,
	    WIRE_CTL_REPLY, WIRE_CTL_MAX + 1, 0));
	put("e-hello-long", b, raw_hdr(b, WIRE_MAGIC, 1, WIRE_HELLO,
	    WIRE_HELLO_LEN + 1, 0) + WIRE_HELLO_LEN + 1);
	put("e-leave-with-payload", b, raw_hdr(b, WIRE_MAGIC, 1, WIRE_LEAVE,
	    1, 0) + 1);
	put("e-abort-text-over", b, raw_hdr(b, WIRE_MAGIC, 1, WIRE_ABORT,
	    WIRE_STATUS_HDR_LEN + WIRE_TEXT_MAX + 1, 0) + WIRE_STATUS_HDR_LEN +
	    WIRE_TEXT_MAX + 1);
	/* Right frame, wrong direction. */
	put("e-client-sends-release", b, wire_encode_empty(b, WIRE_RELEASE,
	    1));
	put("e-daemon-sends-join", b, join(b, 0, 1));

	/* Payloads the decoders must refuse. */
	put("e-hello-min-over-max", b, hello(b, 2, 1, WIRE_ROLE_RANK));
	put("e-hello-role-0", b, hello(b, 1, 1, 0));
	put("e-hello-role-9", b, hello(b, 1, 1, 9));
	put("e-join-rank-eq-nranks", b, join(b, 8, 8));
	put("e-join-nranks-0", b, join(b, 0, 0));
	put("e-join-nranks-negative", b, join(b, 0, 0xffffffffu));
	put("e-join-rank-negative", b, join(b, 0xfffffffeu, 0xffffffffu));
	put("e-arrive-kind-0", b, arrive(b, 1, 0, 0));
	put("e-arrive-kind-9", b, arrive(b, 1, 9, 0));
	put("e-arrive-barrier-bytes", b, arrive(b, 1, WIRE_COLL_BARRIER, 1));
	put("e-arrive-allgather-huge", b, arrive(b, 1, WIRE_COLL_ALLGATHER,
	    (1u << 20) + 1));
	put("e-arrive-alltoall-u64", b, arrive(b, 1, WIRE_COLL_ALLTOALL,
	    UINT64_MAX));
	put("e-send-tag-negative", b, msg(b, WIRE_SEND, 1, 0, 0x80000000u,
	    "x"));
	put("e-fail-code-positive", b, wire_encode_status(b, WIRE_FAIL, 0, 1,
	    0, "x"));
	put("e-fail-code-low", b, wire_encode_status(b, WIRE_FAIL, 0, -1001,
	    0, "x"));
	n = wire_encode_status(b, WIRE_ERROR, 0, -7, 0, "ab");
	b[n - 1] = '\0';	/* a NUL inside the text */
	put("e-error-text-nul", b, n);
	put("e-join-flags-unknown", b, join_flags(b, 0, 2, 0x80));
	put("e-join-ack-flags-unknown", b, ack_flags(b, 1u << 24, 4096, 1,
	    0x8000));
	put("e-join-ack-ctl-over-table", b, ack(b, 4096, 8192, 1));
	put("e-join-ack-ctl-0", b, ack(b, 4096, 0, 1));
	put("e-join-ack-version-2", b, ack(b, 1u << 24, 4096, 2));
	put("e-ready-rank-eq-size", b, ready(b, 8, 8));
	put("e-ready-size-0", b, ready(b, 0, 0));
	/* A good frame, then garbage. */
	n = hello(b, 1, 1, WIRE_ROLE_RANK);
	memcpy(b + n, "GARBAGE-GARBAGE!", 16);
	put("e-hello-then-garbage", b, n + 16);
	n = join(b, 0, 2);
	n += raw_hdr(b + n, WIRE_MAGIC, 1, WIRE_JOIN, WIRE_JOIN_LEN, 0);
	put("e-join-then-truncated-join", b, n + 5);
	peer_seeds(b);
	return failed;
}
