/*
 * peer_test.c - byte vectors for the daemon-to-daemon codec (wire/peer.c):
 * the header and each type's length rule at its edges, HELLO and REFUSE to
 * exact bytes and back, the job part, every body decoder's value checks,
 * endpoints, and whole streams cut anywhere.
 *
 * Expected values come from doc/protocol.md ("Daemon to daemon"), not from
 * the codec's tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"
#include "wire/peer.h"
#include "harness.h"
#include "tap.h"

#define PV WPEER_VERSION

static void
put_hdr(uint8_t *b, uint32_t magic, uint16_t version, uint16_t type,
    uint32_t length, uint32_t seq)
{
	wire_put32(b, magic);
	wire_put16(b + 4, version);
	wire_put16(b + 6, type);
	wire_put32(b + 8, length);
	wire_put32(b + 12, seq);
}

static int
hdr_rc(uint32_t magic, uint16_t version, uint16_t type, uint32_t length,
    uint32_t seq)
{
	uint8_t b[WPEER_HDR_LEN];
	struct wire_hdr h;

	put_hdr(b, magic, version, type, length, seq);
	return wire_decode_hdr_untrusted(b, sizeof b, WIRE_FROM_PEER, &h);
}

/* The rules as doc/protocol.md states them (job frames: 52 bytes of tag,
 * node and MAC around the body). */
static const struct {
	uint16_t type;
	uint32_t min, max;
	int numbered;
} rules[] = {
	{ 1, 116, 116, 0 },			/* HELLO */
	{ 2, 20, 20 + 512, 0 },			/* REFUSE */
	{ 3, 0, 0, 0 },				/* PING */
	{ 16, 52 + 96 + 4, 52 + 96 + 4 * 65536, 1 },	/* JOIN */
	{ 17, 52 + 8, 52 + 4 + 4 * 65536, 1 },	/* RANKS */
	{ 18, 52 + 12 + 84 + 4, 52 + 12 + 84 * 4096 + 4 * 65536, 1 },
	{ 19, 52 + 16, (64u << 20) + 4096, 1 },	/* COLL */
	{ 20, 52 + 16, 52 + 16 + (1u << 20), 1 },	/* MSG */
	{ 21, 52 + 16, 52 + 16 + 512, 1 },	/* MSG_ACK */
	{ 22, 52 + 8, 52 + 8, 1 },		/* LEFT */
	{ 23, 52 + 8, 52 + 8 + 512, 1 },	/* FAIL */
	{ 24, 52, 52, 1 },			/* PROOF */
	{ 25, 52, 52, 1 },			/* RETIRE */
	{ 26, 52 + 16, 52 + 16 + (1u << 20), 1 },	/* MSG_HELD */
};

static void
test_headers(void)
{
	static const uint16_t unknown[] = { 0, 4, 15, 27, 0xffff };
	size_t i;

	for (i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		uint32_t seq = rules[i].numbered ? 7 : 0;
		const char *name = wpeer_type_name(rules[i].type);

		ok(hdr_rc(WPEER_MAGIC, PV, rules[i].type, rules[i].min, seq) ==
		    WIRE_OK && hdr_rc(WPEER_MAGIC, PV, rules[i].type,
		    rules[i].max, seq) == WIRE_OK, "%s: lengths %u and %u "
		    "accepted", name, rules[i].min, rules[i].max);
		ok((rules[i].min == 0 || hdr_rc(WPEER_MAGIC, PV, rules[i].type,
		    rules[i].min - 1, seq) == WIRE_ELENGTH) &&
		    hdr_rc(WPEER_MAGIC, PV, rules[i].type, rules[i].max + 1,
		    seq) == WIRE_ELENGTH && hdr_rc(WPEER_MAGIC, PV,
		    rules[i].type, UINT32_MAX, seq) == WIRE_ELENGTH,
		    "%s: min-1, max+1 and 2^32-1 refused", name);
		ok(hdr_rc(WPEER_MAGIC, PV, rules[i].type, rules[i].min,
		    rules[i].numbered ? 0 : 1) == WIRE_EVALUE, "%s: %s "
		    "refused", name, rules[i].numbered ? "seq 0" : "seq 1");
	}
	for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		ok(hdr_rc(WPEER_MAGIC, PV, unknown[i], 0, 1) == WIRE_ETYPE,
		    "unknown type %u refused", unknown[i]);
	ok(hdr_rc(WIRE_MAGIC, PV, 1, 116, 0) == WIRE_EMAGIC,
	    "the client protocol's magic is refused on a peer link");
	ok(hdr_rc(WPEER_MAGIC, PV + 1, 1, 116, 0) == WIRE_EVERSION &&
	    hdr_rc(WPEER_MAGIC, PV - 1, 1, 116, 0) == WIRE_EVERSION &&
	    hdr_rc(WPEER_MAGIC, 0, 1, 116, 0) == WIRE_EVERSION,
	    "versions 0, the one before and the one after refused");
	ok(hdr_rc(1, 9, 0xffff, UINT32_MAX, 0) == WIRE_EMAGIC &&
	    hdr_rc(WPEER_MAGIC, 9, 0xffff, UINT32_MAX, 0) == WIRE_EVERSION &&
	    hdr_rc(WPEER_MAGIC, PV, 0xffff, UINT32_MAX, 0) == WIRE_ETYPE,
	    "checks run magic, version, type, length in that order");
}

/* One rule table for every direction: a type number means the frame of the
 * stream's protocol, and each protocol's magic stays its own. */
static void
test_one_table(void)
{
	uint8_t b[WIRE_HDR_LEN];
	struct wire_hdr h;

	ok(strcmp(wire_frame_name(WIRE_FROM_PEER, WPEER_PROOF), "PROOF") ==
	    0 && strcmp(wpeer_type_name(WPEER_MAP), "MAP") == 0 &&
	    strcmp(wire_frame_name(WIRE_FROM_CLIENT, WIRE_JOIN), "JOIN") ==
	    0 && strcmp(wire_type_name(WIRE_DELIVER), "DELIVER") == 0 &&
	    strcmp(wire_frame_name(WIRE_FROM_PEER, WIRE_DELIVER), "unknown") ==
	    0, "type names per protocol from the one table");
	ok(wire_max_length(WIRE_FROM_PEER) == WPEER_PAYLOAD_MAX &&
	    wire_max_length(WIRE_FROM_CLIENT) == WIRE_PAYLOAD_MAX &&
	    wire_max_length(WIRE_FROM_DAEMON) == WIRE_CTL_MAX,
	    "largest payload per direction: %u, %u, %u",
	    wire_max_length(WIRE_FROM_PEER),
	    wire_max_length(WIRE_FROM_CLIENT),
	    wire_max_length(WIRE_FROM_DAEMON));
	/* A peer HELLO's header read as a client's, and the reverse. */
	wpeer_encode_hdr(b, WPEER_HELLO, WPEER_HELLO_LEN, 0);
	ok(wire_decode_hdr_untrusted(b, sizeof b, WIRE_FROM_CLIENT, &h) ==
	    WIRE_EMAGIC, "a peer frame on a client socket: bad magic");
	wire_encode_hdr(b, WIRE_HELLO, WIRE_HELLO_LEN, 0);
	ok(wire_decode_hdr_untrusted(b, sizeof b, WIRE_FROM_DAEMON, &h) ==
	    WIRE_EDIRECTION && wire_decode_hdr_untrusted(b, sizeof b,
	    WIRE_FROM_CLIENT, &h) == WIRE_OK, "client HELLO: from the "
	    "client only (the direction rule still holds)");
	/* The client protocol has no sequence rule. */
	wire_encode_hdr(b, WIRE_LEAVE, 0, 5);
	ok(wire_decode_hdr_untrusted(b, sizeof b, WIRE_FROM_CLIENT, &h) ==
	    WIRE_OK && h.seq == 5, "client frames take any seq");
}

static int
same(const uint8_t *a, const uint8_t *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static void
test_hello_refuse(void)
{
	struct wpeer_hello h, h2;
	struct wpeer_refuse r;
	uint8_t b[256], tag[16];
	static const uint8_t hdr[16] = { 0x46, 0x42, 0x50, 0x31,
	    WPEER_VERSION, 0, 1, 0,
	    116, 0, 0, 0, 0, 0, 0, 0 };
	size_t n;

	memset(&h, 0, sizeof h);
	h.min_version = 1;
	h.max_version = 3;
	h.instance = 0x0102030405060708ull;
	memset(h.nonce, 0xab, sizeof h.nonce);
	h.ep.family = 4;
	h.ep.port = 7720;
	h.ep.addr[0] = 10;
	h.ep.addr[1] = 213;
	h.ep.addr[2] = 7;
	h.ep.addr[3] = 12;
	snprintf(h.host, sizeof h.host, "nodeB");
	n = wpeer_encode_hello(b, &h);
	ok(n == 132 && same(b, hdr, 16) && b[16] == 1 && b[18] == 3 &&
	    b[24] == 8 && b[31] == 1 && b[32] == 0xab && b[48] == 4 &&
	    b[49] == 0 && wire_get16(b + 50) == 7720 && b[52] == 10 &&
	    b[55] == 12 && b[56] == 0 && memcmp(b + 68, "nodeB", 6) == 0,
	    "HELLO: 16 + 116 bytes, fields at their offsets");
	ok(wpeer_decode_hello(b + 16, 116, &h2) == WIRE_OK &&
	    h2.instance == h.instance && h2.ep.port == 7720 &&
	    wpeer_ep_equal(&h.ep, &h2.ep) && strcmp(h2.host, "nodeB") == 0,
	    "HELLO decodes back");
	b[16 + 32] = 5;
	ok(wpeer_decode_hello(b + 16, 116, &h2) == WIRE_EVALUE,
	    "HELLO with endpoint family 5 refused");
	b[16 + 32] = 4;
	b[16 + 40] = 1;		/* an IPv4 address with bytes past 4 */
	ok(wpeer_decode_hello(b + 16, 116, &h2) == WIRE_EVALUE,
	    "HELLO with an IPv4 endpoint that has bytes after the address "
	    "refused");
	b[16 + 40] = 0;
	memset(b + 16 + 52, 'x', 64);	/* no NUL, unprintables */
	b[16 + 53] = '\n';
	ok(wpeer_decode_hello(b + 16, 116, &h2) == WIRE_OK &&
	    strlen(h2.host) == 63 && h2.host[1] == '?',
	    "HELLO host: cut to 63 characters, control characters replaced");

	memset(tag, 0x11, sizeof tag);
	n = wpeer_encode_refuse(b, tag, -9, "no such job");
	ok(n == 16 + 20 + 11 && wire_get16(b + 6) == 2 &&
	    wire_get32(b + 8) == 31 && wire_get32(b + 12) == 0 &&
	    wpeer_decode_refuse(b + 16, n - 16, &r) == WIRE_OK &&
	    r.code == -9 && r.text_len == 11 && same(r.tag, tag, 16),
	    "REFUSE: encodes and decodes (code -9, 11 bytes of text)");
	wire_put32(b + 16 + 16, 0);
	ok(wpeer_decode_refuse(b + 16, n - 16, &r) == WIRE_EVALUE,
	    "REFUSE with code 0 refused");
}

static void
test_bodies(void)
{
	uint8_t p[4096], *q;
	struct wpeer_job job;
	struct wpeer_join jm;
	struct wpeer_ranks rk;
	struct wpeer_map mp;
	struct wpeer_coll co;
	struct wpeer_msg ms;
	struct wpeer_status st;
	struct wpeer_ep ep = { 6, 7720, { 0xfd, 0, [15] = 5 } };
	char a[64];
	uint32_t rank, done;
	size_t n;

	memset(p, 0x22, 16);
	wire_put32(p + 16, 3);
	memset(p + 20, 0, 40);
	ok(wpeer_decode_job(p, 60, &job) == WIRE_OK && job.node == 3 &&
	    job.body == p + 20 && job.body_len == 8 && job.mac == p + 28,
	    "job part: tag, node 3, 8 bytes of body, MAC at the end");
	wire_put32(p + 16, 4096);
	ok(wpeer_decode_job(p, 60, &job) == WIRE_EVALUE,
	    "job part: node 4096 refused");
	wire_put32(p + 16, WPEER_NO_NODE);
	ok(wpeer_decode_job(p, 60, &job) == WIRE_OK,
	    "job part: no node yet (0xffffffff) accepted");

	wpeer_ep_format(&ep, a, sizeof a);
	ok(strcmp(a, "[fd00::5]:7720") == 0, "IPv6 endpoint shown as %s", a);

	/* JOIN */
	wire_put32(p, 16);
	wire_put32(p + 4, 3);
	wpeer_put_ep(p + 8, &ep);
	memset(p + 28, 0, 64);
	memcpy(p + 28, "nodeC", 5);
	wire_put32(p + 92, 2);
	wire_put32(p + 96, 8);
	wire_put32(p + 100, 9);
	ok(wpeer_decode_join(p, 104, &jm) == WIRE_OK && jm.nranks == 16 &&
	    jm.nlist == 2 && wire_get32(jm.list + 4) == 9 &&
	    strcmp(jm.host, "nodeC") == 0 && jm.ep.family == 6,
	    "JOIN: 16 ranks, ranks 8 and 9 from nodeC");
	ok(wpeer_decode_join(p, 100, &jm) == WIRE_ELENGTH,
	    "JOIN: a list shorter than its count refused");
	wire_put32(p + 92, 0);
	ok(wpeer_decode_join(p, 96, &jm) == WIRE_ELENGTH,
	    "JOIN: an empty rank list refused");
	wire_put32(p, 0);
	wire_put32(p + 92, 2);
	ok(wpeer_decode_join(p, 104, &jm) == WIRE_EVALUE,
	    "JOIN: nranks 0 refused");

	/* RANKS */
	wire_put32(p, 1);
	wire_put32(p + 4, 5);
	ok(wpeer_decode_ranks(p, 8, &rk) == WIRE_OK && rk.nlist == 1,
	    "RANKS: one rank");
	wire_put32(p, 65537);
	ok(wpeer_decode_ranks(p, 8, &rk) == WIRE_ELENGTH,
	    "RANKS: a count over 65536 refused");

	/* MAP: 2 nodes, 4 ranks */
	wire_put32(p, 2);
	wire_put32(p + 4, 1);
	wire_put32(p + 8, 4);
	q = p + 12;
	wpeer_put_ep(q, &ep);
	wpeer_put_ep(q + 84, &ep);
	n = 12 + 2 * 84 + 16;
	ok(wpeer_decode_map(p, n, &mp) == WIRE_OK && mp.nnodes == 2 &&
	    mp.node == 1 && mp.node_of_rank == p + 12 + 168,
	    "MAP: 2 nodes, this is node 1, 4 ranks");
	wire_put32(p + 4, 2);
	ok(wpeer_decode_map(p, n, &mp) == WIRE_EVALUE,
	    "MAP: the receiver's node 2 of 2 refused");
	wire_put32(p + 4, 1);
	wire_put32(p, 5);
	ok(wpeer_decode_map(p, n, &mp) == WIRE_EVALUE,
	    "MAP: more nodes than ranks refused");
	wire_put32(p, 2);
	ok(wpeer_decode_map(p, n - 4, &mp) == WIRE_ELENGTH,
	    "MAP: one rank short refused");

	/* COLL */
	wire_put32(p, 9);
	wire_put16(p + 4, WIRE_COLL_ALLGATHER);
	wire_put16(p + 6, 2);
	wire_put64(p + 8, 64);
	ok(wpeer_decode_coll(p, 16 + 128, &co) == WIRE_OK && co.seq == 9 &&
	    co.step == 2 && co.bytes == 64 && co.len == 128,
	    "COLL: allgather #9 step 2, 128 bytes of data");
	wire_put16(p + 4, 4);
	ok(wpeer_decode_coll(p, 16, &co) == WIRE_EVALUE,
	    "COLL: kind 4 refused");
	wire_put16(p + 4, WIRE_COLL_BARRIER);
	wire_put16(p + 6, 32);
	ok(wpeer_decode_coll(p, 16, &co) == WIRE_EVALUE,
	    "COLL: step 32 refused");
	wire_put16(p + 6, 0);
	wire_put64(p + 8, (1u << 20) + 1);
	ok(wpeer_decode_coll(p, 16, &co) == WIRE_EVALUE,
	    "COLL: a size over 1 MiB refused");

	/* MSG, MSG_ACK, LEFT, FAIL */
	wire_put32(p, 1);
	wire_put32(p + 4, 9);
	wire_put32(p + 8, 77);
	wire_put32(p + 12, 4);
	ok(wpeer_decode_msg(p, 16 + 3, &ms) == WIRE_OK && ms.src == 1 &&
	    ms.dst == 9 && ms.tag == 77 && ms.sendseq == 4 && ms.len == 3,
	    "MSG: rank 1 to rank 9, tag 77, send 4, 3 bytes");
	wire_put32(p + 8, 0x80000000u);
	ok(wpeer_decode_msg(p, 16, &ms) == WIRE_EVALUE,
	    "MSG: tag 2^31 refused");
	wire_put32(p + 8, (uint32_t)-12);
	ok(wpeer_decode_ack(p, 16 + 5, &st) == WIRE_OK && st.src == 1 &&
	    st.sendseq == 9 && st.code == -12 && st.rank == 4 &&
	    st.text_len == 5, "MSG_ACK: code -12 with 5 bytes of text");
	wire_put32(p + 8, 1);
	ok(wpeer_decode_ack(p, 16, &st) == WIRE_EVALUE,
	    "MSG_ACK: a positive code refused");
	wire_put32(p + 4, 7);
	ok(wpeer_decode_left(p, 8, &rank, &done) == WIRE_OK && rank == 1 &&
	    done == 7 && wpeer_decode_left(p, 4, &rank, &done) ==
	    WIRE_ELENGTH && wpeer_decode_left(p, 9, &rank, &done) ==
	    WIRE_ELENGTH, "LEFT: rank 1 after collective #7, 8 bytes exactly");
	wire_put32(p, (uint32_t)-4);
	wire_put32(p + 4, 3);
	ok(wpeer_decode_fail(p, 8, &st) == WIRE_OK && st.code == -4 &&
	    st.rank == 3, "FAIL: code -4, rank 3");
	wire_put32(p, 0);
	ok(wpeer_decode_fail(p, 8, &st) == WIRE_EVALUE,
	    "FAIL: code 0 refused");
}

static void
test_streams(void)
{
	struct wpeer_hello h;
	uint8_t s[512];
	size_t n, cut;
	int all = 1;

	memset(&h, 0, sizeof h);
	h.min_version = h.max_version = PV;
	h.ep.family = 4;
	h.ep.port = 7720;
	n = wpeer_encode_hello(s, &h);
	put_hdr(s + n, WPEER_MAGIC, PV, WPEER_PING, 0, 0);
	n += 16;
	put_hdr(s + n, WPEER_MAGIC, PV, WPEER_LEFT, 60, 1);
	memset(s + n + 16, 0, 60);
	wire_put32(s + n + 16 + 16, 2);
	n += 16 + 60;
	ok(wpeer_check_stream(s, n) == WIRE_OK,
	    "HELLO, PING, LEFT: a valid stream");
	for (cut = 1; cut < n; cut++) {
		int rc = wpeer_check_stream(s, cut);

		if (rc != WIRE_OK && rc != WIRE_NEED_MORE)
			all = 0;
	}
	ok(all, "the stream cut anywhere: only OK or NEED_MORE");
	s[n - 60 - 16 + 6] = 99;
	ok(wpeer_check_stream(s, n) == WIRE_ETYPE,
	    "a bad type in the third frame is found");
}

int
main(void)
{
	th_deadline(30);
	test_headers();
	test_one_table();
	test_hello_refuse();
	test_bodies();
	test_streams();
	return tap_done();
}
