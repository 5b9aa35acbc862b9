/*
 * wire_test.c - table-driven byte vectors for the wire codec: every message
 * type encoded to exact bytes and decoded back, every length rule at its
 * edges, every header and field error, and whole streams.
 *
 * The expected values are written out here from the specification (wire.h,
 * doc/protocol.md), not taken from the codec's own tables.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire/wire.h"
#include "wire/reader.h"
#include "harness.h"
#include "tap.h"

#define C WIRE_FROM_CLIENT
#define D WIRE_FROM_DAEMON

/* A STATUS-type frame: header, 8 bytes of fields, at most 512 of text. */
_Static_assert(WIRE_STATUS_FRAME_MAX == WIRE_HDR_LEN + 8 + 512,
    "WIRE_STATUS_FRAME_MAX is a header, 8 bytes and 512 of text");

/* Hex (spaces ignored) to bytes; returns the count. */
static size_t
wire_test_hex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = 0;
	unsigned int v;

	while (*hex != '\0') {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (n == size || sscanf(hex, "%2x", &v) != 1) {
			fprintf(stderr, "bad vector near '%s'\n", hex);
			exit(99);
		}
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static int
wire_test_same(const uint8_t *got, size_t got_len, const char *hex)
{
	uint8_t want[128];
	size_t n = wire_test_hex(hex, want, sizeof want), i;

	if (n == got_len && memcmp(got, want, n) == 0)
		return 1;
	printf("# want:");
	for (i = 0; i < n; i++)
		printf(" %02x", want[i]);
	printf("\n# got: ");
	for (i = 0; i < got_len; i++)
		printf(" %02x", got[i]);
	printf("\n");
	return 0;
}

static void
wire_test_put_hdr(uint8_t *b, uint32_t magic, uint16_t version,
    uint16_t type, uint32_t length, uint32_t seq)
{
	wire_put32(b, magic);
	wire_put16(b + 4, version);
	wire_put16(b + 6, type);
	wire_put32(b + 8, length);
	wire_put32(b + 12, seq);
}

/* The frame's header decodes to these fields in direction from. */
static int
wire_test_hdr_is(const uint8_t *b, size_t len, int from, uint16_t type,
    uint32_t length, uint32_t seq)
{
	struct wire_hdr h;

	return wire_decode_hdr_untrusted(b, len, from, &h) == WIRE_OK &&
	    h.magic == WIRE_MAGIC && h.version == WIRE_VERSION &&
	    h.type == type && h.length == length && h.seq == seq;
}

static void
wire_test_encode(void)
{
	uint8_t b[WIRE_STATUS_FRAME_MAX + 16], key[WIRE_KEY_LEN];
	struct wire_hello hello, hello2;
	struct wire_join join, join2;
	struct wire_arrive arr, arr2;
	struct wire_msg msg;
	struct wire_status_msg st;
	struct wire_join_ack ack, ack2;
	struct wire_ready ready, ready2;
	char longtext[WIRE_TEXT_MAX + 100];
	size_t n;
	int i;

	/* HELLO */
	hello.min_version = 1;
	hello.max_version = 1;
	hello.role = WIRE_ROLE_RANK;
	hello.flags = 0;
	n = wire_encode_hello(b, &hello);
	ok(wire_test_same(b, n, "46425731 0100 0100 0c000000 00000000 "
	    "0100 0100 01000000 00000000"), "encode HELLO");
	ok(wire_test_hdr_is(b, n, C, WIRE_HELLO, 12, 0) &&
	    wire_decode_hello(b + 16, 12, &hello2) == WIRE_OK &&
	    hello2.min_version == 1 && hello2.max_version == 1 &&
	    hello2.role == WIRE_ROLE_RANK && hello2.flags == 0,
	    "decode HELLO");
	hello.role = WIRE_ROLE_CTL;
	hello.max_version = 0x0203;
	n = wire_encode_hello(b, &hello);
	ok(wire_test_same(b, n, "46425731 0100 0100 0c000000 00000000 "
	    "0100 0302 02000000 00000000") &&
	    wire_decode_hello(b + 16, 12, &hello2) == WIRE_OK &&
	    hello2.role == WIRE_ROLE_CTL && hello2.max_version == 0x0203,
	    "encode and decode HELLO of a control client");

	/* JOIN */
	for (i = 0; i < WIRE_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	memset(&join, 0, sizeof join);
	memcpy(join.key, key, sizeof key);
	join.rank = 3;
	join.nranks = 8;
	n = wire_encode_join(b, &join);
	ok(wire_test_same(b, n, "46425731 0100 0200 20000000 00000000 "
	    "000102030405060708090a0b0c0d0e0f 03000000 08000000 00000000 "
	    "00000000"), "encode JOIN");
	ok(wire_test_hdr_is(b, n, C, WIRE_JOIN, 32, 0) &&
	    wire_decode_join(b + 16, 32, &join2) == WIRE_OK &&
	    memcmp(join2.key, key, sizeof key) == 0 && join2.rank == 3 &&
	    join2.nranks == 8 && join2.flags == 0, "decode JOIN");
	join.rank = 65535;
	join.nranks = 65536;
	n = wire_encode_join(b, &join);
	ok(wire_decode_join(b + 16, 32, &join2) == WIRE_OK &&
	    join2.rank == 65535 && join2.nranks == 65536 &&
	    b[16 + 16] == 0xff && b[16 + 17] == 0xff && b[16 + 22] == 1,
	    "JOIN of the last rank of 65536 round-trips");

	/* ARRIVE */
	arr.kind = WIRE_COLL_ALLGATHER;
	arr.flags = 0;
	arr.bytes = 1u << 20;
	n = wire_encode_arrive(b, 7, &arr);
	ok(wire_test_same(b, n, "46425731 0100 0300 10000000 07000000 "
	    "02000000 00000000 0000100000000000"), "encode ARRIVE");
	ok(wire_test_hdr_is(b, n, C, WIRE_ARRIVE, 16, 7) &&
	    wire_decode_arrive(b + 16, 16, &arr2) == WIRE_OK &&
	    arr2.kind == WIRE_COLL_ALLGATHER && arr2.bytes == 1u << 20,
	    "decode ARRIVE");
	arr.kind = WIRE_COLL_BARRIER;
	arr.bytes = 0;
	n = wire_encode_arrive(b, 0xfffffffe, &arr);
	ok(wire_test_same(b, n, "46425731 0100 0300 10000000 feffffff "
	    "01000000 00000000 0000000000000000") &&
	    wire_test_hdr_is(b, n, C, WIRE_ARRIVE, 16, 0xfffffffe) &&
	    wire_decode_arrive(b + 16, 16, &arr2) == WIRE_OK &&
	    arr2.kind == WIRE_COLL_BARRIER, "encode and decode barrier "
	    "ARRIVE with a large seq");

	/* SEND and DELIVER: the codec writes only the 24 leading bytes. */
	n = wire_encode_msg_hdr(b, WIRE_SEND, 5, 2, 0x01020304, 3);
	ok(wire_test_same(b, n, "46425731 0100 0400 0b000000 05000000 "
	    "02000000 04030201"), "encode SEND header (3 data bytes)");
	memcpy(b + n, "abc", 3);
	ok(wire_test_hdr_is(b, n + 3, C, WIRE_SEND, 11, 5) &&
	    wire_decode_msg(b + 16, 11, &msg) == WIRE_OK && msg.peer == 2 &&
	    msg.tag == 0x01020304 && msg.len == 3 && msg.data == b + 24 &&
	    memcmp(msg.data, "abc", 3) == 0, "decode SEND");
	n = wire_encode_msg_hdr(b, WIRE_DELIVER, 9, 6, 7, 0);
	ok(wire_test_same(b, n, "46425731 0100 2300 08000000 09000000 "
	    "06000000 07000000"), "encode DELIVER of 0 bytes");
	ok(wire_test_hdr_is(b, n, D, WIRE_DELIVER, 8, 9) &&
	    wire_decode_msg(b + 16, 8, &msg) == WIRE_OK && msg.peer == 6 &&
	    msg.tag == 7 && msg.len == 0, "decode DELIVER of 0 bytes");
	n = wire_encode_msg_hdr(b, WIRE_SEND, 1, 0, 0x7fffffff, 1u << 20);
	ok(wire_test_same(b, n, "46425731 0100 0400 08001000 01000000 "
	    "00000000 ffffff7f") && wire_test_hdr_is(b, n, C, WIRE_SEND,
	    (1u << 20) + 8, 1), "encode SEND of 1 MiB, the largest tag");

	/* ABORT, SEND_ACK, FAIL, ERROR */
	n = wire_encode_status(b, WIRE_ABORT, 0, -3, 4, "hi");
	ok(wire_test_same(b, n, "46425731 0100 0600 0a000000 00000000 "
	    "fdffffff 04000000 6869"), "encode ABORT");
	ok(wire_test_hdr_is(b, n, C, WIRE_ABORT, 10, 0) &&
	    wire_decode_status(b + 16, 10, &st) == WIRE_OK && st.code == -3 &&
	    st.rank == 4 && st.text_len == 2 &&
	    st.text == (const char *)b + 24 && memcmp(st.text, "hi", 2) == 0,
	    "decode ABORT");
	n = wire_encode_status(b, WIRE_SEND_ACK, 0x11223344, 0, 1, NULL);
	ok(wire_test_same(b, n, "46425731 0100 2400 08000000 44332211 "
	    "00000000 01000000"), "encode SEND_ACK without text");
	ok(wire_test_hdr_is(b, n, D, WIRE_SEND_ACK, 8, 0x11223344) &&
	    wire_decode_status(b + 16, 8, &st) == WIRE_OK && st.code == 0 &&
	    st.rank == 1 && st.text_len == 0, "decode SEND_ACK");
	n = wire_encode_status(b, WIRE_FAIL, 0, -4, 5, "x");
	ok(wire_test_same(b, n, "46425731 0100 2500 09000000 00000000 "
	    "fcffffff 05000000 78"), "encode FAIL");
	ok(wire_test_hdr_is(b, n, D, WIRE_FAIL, 9, 0) &&
	    wire_decode_status(b + 16, 9, &st) == WIRE_OK && st.code == -4 &&
	    st.rank == 5 && st.text_len == 1 && st.text[0] == 'x',
	    "decode FAIL");
	n = wire_encode_status(b, WIRE_ERROR, 0, -7, WIRE_NO_RANK, "");
	ok(wire_test_same(b, n, "46425731 0100 2600 08000000 00000000 "
	    "f9ffffff ffffffff"), "encode ERROR with empty text");
	ok(wire_test_hdr_is(b, n, D, WIRE_ERROR, 8, 0) &&
	    wire_decode_status(b + 16, 8, &st) == WIRE_OK && st.code == -7 &&
	    st.rank == WIRE_NO_RANK && st.text_len == 0, "decode ERROR");
	memset(longtext, 'a', sizeof longtext - 1);
	longtext[sizeof longtext - 1] = '\0';
	n = wire_encode_status(b, WIRE_ERROR, 0, -1, 0, longtext);
	ok(n == WIRE_STATUS_FRAME_MAX &&
	    wire_test_hdr_is(b, n, D, WIRE_ERROR, 520, 0) &&
	    wire_check_stream(b, n, D) == WIRE_OK,
	    "a text over %d bytes is cut to fit the length rule",
	    WIRE_TEXT_MAX);

	/* JOIN_ACK */
	memset(&ack, 0, sizeof ack);
	ack.version = 1;
	ack.job_id = 42;
	ack.table_size = 0x10000;
	ack.ctl_size = 0x1000;
	n = wire_encode_join_ack(b, &ack);
	ok(wire_test_same(b, n, "46425731 0100 2000 18000000 00000000 "
	    "0100 0000 2a000000 0000010000000000 0010000000000000"),
	    "encode JOIN_ACK");
	ok(wire_test_hdr_is(b, n, D, WIRE_JOIN_ACK, 24, 0) &&
	    wire_decode_join_ack(b + 16, 24, &ack2) == WIRE_OK &&
	    ack2.version == 1 && ack2.job_id == 42 &&
	    ack2.table_size == 0x10000 && ack2.ctl_size == 0x1000,
	    "decode JOIN_ACK");
	ack.table_size = 0x123456789aull;
	ack.ctl_size = 0x123456789aull;
	n = wire_encode_join_ack(b, &ack);
	ok(wire_decode_join_ack(b + 16, 24, &ack2) == WIRE_OK &&
	    ack2.table_size == 0x123456789aull && b[16 + 12] == 0x12,
	    "JOIN_ACK: a table over 4 GiB keeps its high bytes");

	/* READY */
	memset(&ready, 0, sizeof ready);
	ready.local_rank = 2;
	ready.local_size = 8;
	n = wire_encode_ready(b, &ready);
	ok(wire_test_same(b, n, "46425731 0100 2100 08000000 00000000 "
	    "02000000 08000000"), "encode READY");
	ok(wire_test_hdr_is(b, n, D, WIRE_READY, 8, 0) &&
	    wire_decode_ready(b + 16, 8, &ready2) == WIRE_OK &&
	    ready2.local_rank == 2 && ready2.local_size == 8, "decode READY");
	ready.node = 2;
	ready.nnodes = 3;
	n = wire_encode_ready(b, &ready);
	ok(wire_test_same(b, n, "46425731 0100 2100 10000000 00000000 "
	    "02000000 08000000 02000000 03000000"), "encode READY of a job "
	    "across nodes");
	ok(wire_decode_ready(b + 16, 16, &ready2) == WIRE_OK &&
	    ready2.node == 2 && ready2.nnodes == 3, "decode READY: node 2 "
	    "of 3");
	wire_put32(b + 16 + 8, 3);
	ok(wire_decode_ready(b + 16, 16, &ready2) == WIRE_EVALUE,
	    "READY: node 3 of 3 is refused");

	/* Empty frames. */
	n = wire_encode_empty(b, WIRE_LEAVE, 0);
	ok(wire_test_same(b, n, "46425731 0100 0500 00000000 00000000") &&
	    wire_test_hdr_is(b, n, C, WIRE_LEAVE, 0, 0), "LEAVE");
	n = wire_encode_empty(b, WIRE_CTL_STATUS, 0);
	ok(wire_test_same(b, n, "46425731 0100 0700 00000000 00000000") &&
	    wire_test_hdr_is(b, n, C, WIRE_CTL_STATUS, 0, 0), "CTL_STATUS");
	n = wire_encode_empty(b, WIRE_CTL_JOBS, 0);
	ok(wire_test_same(b, n, "46425731 0100 0800 00000000 00000000") &&
	    wire_test_hdr_is(b, n, C, WIRE_CTL_JOBS, 0, 0), "CTL_JOBS");
	n = wire_encode_empty(b, WIRE_WAIT, 3);
	ok(wire_test_same(b, n, "46425731 0100 0900 00000000 03000000") &&
	    wire_test_hdr_is(b, n, C, WIRE_WAIT, 0, 3), "WAIT for rank 3");
	n = wire_encode_empty(b, WIRE_RELEASE, 0xdeadbeef);
	ok(wire_test_same(b, n, "46425731 0100 2200 00000000 efbeadde") &&
	    wire_test_hdr_is(b, n, D, WIRE_RELEASE, 0, 0xdeadbeef),
	    "RELEASE");
	n = wire_encode_empty(b, WIRE_LEFT, 4);
	ok(wire_test_same(b, n, "46425731 0100 2800 00000000 04000000") &&
	    wire_test_hdr_is(b, n, D, WIRE_LEFT, 0, 4), "LEFT of rank 4");
	wire_encode_hdr(b, WIRE_CTL_REPLY, 3, 0);
	memcpy(b + 16, "ok\n", 3);
	ok(wire_test_same(b, 19, "46425731 0100 2700 03000000 00000000 "
	    "6f6b0a") && wire_test_hdr_is(b, 19, D, WIRE_CTL_REPLY, 3, 0) &&
	    wire_check_stream(b, 19, D) == WIRE_OK, "CTL_REPLY");
}

/* Every type's direction and length rule, at and beyond its edges. */
static const struct wire_test_rule {
	uint16_t type;
	int from;
	uint32_t min, max;
} wire_test_rules[] = {
	{ WIRE_HELLO, C, 12, 12 },
	{ WIRE_JOIN, C, 32, (1u << 20) + 8 },
	{ WIRE_ARRIVE, C, 16, 16 },
	{ WIRE_SEND, C, 8, (1u << 20) + 8 },
	{ WIRE_LEAVE, C, 0, 0 },
	{ WIRE_ABORT, C, 8, 8 + 512 },
	{ WIRE_CTL_STATUS, C, 0, 0 },
	{ WIRE_CTL_JOBS, C, 0, 0 },
	{ WIRE_WAIT, C, 0, 0 },
	{ WIRE_CTL_ID, C, 0, 0 },
	{ WIRE_CTL_PEERS, C, 0, 0 },
	{ WIRE_JOIN_ACK, D, 24, 24 },
	{ WIRE_READY, D, 8, 16 },
	{ WIRE_RELEASE, D, 0, 0 },
	{ WIRE_DELIVER, D, 8, (1u << 20) + 8 },
	{ WIRE_SEND_ACK, D, 8, 8 + 512 },
	{ WIRE_FAIL, D, 8, 8 + 512 },
	{ WIRE_ERROR, D, 8, 8 + 512 },
	{ WIRE_CTL_REPLY, D, 0, 4u << 20 },
	{ WIRE_LEFT, D, 0, 0 },
	{ WIRE_ID, D, 28, 28 + 4 * 20 },
};

static int
wire_test_hdr_rc(uint32_t magic, uint16_t version, uint16_t type,
    uint32_t length, int from)
{
	uint8_t b[WIRE_HDR_LEN];
	struct wire_hdr h;

	wire_test_put_hdr(b, magic, version, type, length, 0);
	return wire_decode_hdr_untrusted(b, sizeof b, from, &h);
}

static void
wire_test_lengths(void)
{
	const struct wire_test_rule *r;
	size_t i;
	int other;

	for (i = 0; i < sizeof wire_test_rules / sizeof wire_test_rules[0];
	    i++) {
		r = &wire_test_rules[i];
		other = r->from == C ? D : C;
		ok(wire_test_hdr_rc(WIRE_MAGIC, 1, r->type, r->min, r->from) ==
		    WIRE_OK, "%s: length %u (min) accepted",
		    wire_type_name(r->type), r->min);
		ok(wire_test_hdr_rc(WIRE_MAGIC, 1, r->type, r->max, r->from) ==
		    WIRE_OK, "%s: length %u (max) accepted",
		    wire_type_name(r->type), r->max);
		if (r->min > 0)
			ok(wire_test_hdr_rc(WIRE_MAGIC, 1, r->type, r->min - 1,
			    r->from) == WIRE_ELENGTH, "%s: length %u (min-1) "
			    "refused", wire_type_name(r->type), r->min - 1);
		ok(wire_test_hdr_rc(WIRE_MAGIC, 1, r->type, r->max + 1,
		    r->from) == WIRE_ELENGTH, "%s: length %u (max+1) refused",
		    wire_type_name(r->type), r->max + 1);
		ok(wire_test_hdr_rc(WIRE_MAGIC, 1, r->type, UINT32_MAX,
		    r->from) == WIRE_ELENGTH, "%s: length 2^32-1 refused",
		    wire_type_name(r->type));
		ok(wire_test_hdr_rc(WIRE_MAGIC, 1, r->type, r->min, other) ==
		    WIRE_EDIRECTION, "%s: refused from the %s",
		    wire_type_name(r->type), other == C ? "client" : "daemon");
		ok(strcmp(wire_type_name(r->type), "unknown") != 0,
		    "type %u has a name", r->type);
	}
}

static void
wire_test_headers(void)
{
	static const uint16_t unknown[] = { 0, 12, 13, 31, 42, 0x100, 0xffff };
	uint8_t b[WIRE_HDR_LEN];
	struct wire_hdr h;
	size_t i;
	int all;

	ok(wire_test_hdr_rc(0x31574247, 1, WIRE_HELLO, 12, C) == WIRE_EMAGIC,
	    "bad magic (one bit off) refused");
	ok(wire_test_hdr_rc(0x46425731, 1, WIRE_HELLO, 12, C) == WIRE_EMAGIC,
	    "byte-swapped magic refused");
	ok(wire_test_hdr_rc(0, 0, 0, 0, C) == WIRE_EMAGIC,
	    "all-zero header refused as bad magic");
	ok(wire_test_hdr_rc(WIRE_MAGIC, 0, WIRE_HELLO, 12, C) ==
	    WIRE_EVERSION, "version 0 refused");
	ok(wire_test_hdr_rc(WIRE_MAGIC, 2, WIRE_HELLO, 12, C) ==
	    WIRE_EVERSION, "version 2 refused");
	ok(wire_test_hdr_rc(WIRE_MAGIC, 0xffff, WIRE_JOIN_ACK, 24, D) ==
	    WIRE_EVERSION, "version 65535 refused");
	for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		ok(wire_test_hdr_rc(WIRE_MAGIC, 1, unknown[i], 0, C) ==
		    WIRE_ETYPE && wire_test_hdr_rc(WIRE_MAGIC, 1, unknown[i],
		    0, D) == WIRE_ETYPE, "unknown type %u refused both ways",
		    unknown[i]);
	}
	/* Magic is checked before version, version before type. */
	ok(wire_test_hdr_rc(1, 7, 0xffff, UINT32_MAX, C) == WIRE_EMAGIC &&
	    wire_test_hdr_rc(WIRE_MAGIC, 7, 0xffff, UINT32_MAX, C) ==
	    WIRE_EVERSION && wire_test_hdr_rc(WIRE_MAGIC, 1, 0xffff,
	    UINT32_MAX, C) == WIRE_ETYPE, "checks run magic, version, type, "
	    "length in that order");
	wire_test_put_hdr(b, WIRE_MAGIC, 1, WIRE_LEAVE, 0, 0);
	all = 1;
	for (i = 0; i < WIRE_HDR_LEN; i++)
		if (wire_decode_hdr_untrusted(b, i, C, &h) != WIRE_NEED_MORE)
			all = 0;
	ok(all, "a header of 0..15 bytes wants more");
	ok(wire_decode_hdr_untrusted(b, WIRE_HDR_LEN, C, &h) == WIRE_OK,
	    "a whole 16-byte header decodes");
	wire_test_put_hdr(b, WIRE_MAGIC, 1, WIRE_HELLO, 12, 0);
	ok(wire_check_stream(b, WIRE_HDR_LEN, C) == WIRE_NEED_MORE,
	    "a header without its payload wants more");
	ok(strcmp(wire_status_name(WIRE_EMAGIC), wire_status_name(
	    WIRE_ELENGTH)) != 0 && strstr(wire_status_name(-99), "unknown") !=
	    NULL, "decoder statuses have distinct names");
	ok(strcmp(wire_coll_name(WIRE_COLL_BARRIER), "barrier") == 0 &&
	    strcmp(wire_coll_name(WIRE_COLL_ALLGATHER), "allgather") == 0 &&
	    strcmp(wire_coll_name(WIRE_COLL_ALLTOALL), "alltoall") == 0 &&
	    strstr(wire_coll_name(0), "unknown") != NULL,
	    "collective names");
}

/* Payload field checks, decoder by decoder. */
static void
wire_test_fields(void)
{
	uint8_t p[64];
	struct wire_hello hello;
	struct wire_join join;
	struct wire_arrive arr;
	struct wire_msg msg;
	struct wire_status_msg st;
	struct wire_join_ack ack;
	struct wire_ready ready;

	/* HELLO */
	memset(p, 0, sizeof p);
	wire_put16(p, 2);
	wire_put16(p + 2, 1);
	wire_put32(p + 4, WIRE_ROLE_RANK);
	ok(wire_decode_hello(p, 12, &hello) == WIRE_EVALUE,
	    "HELLO: min_version > max_version refused");
	wire_put16(p, 1);
	wire_put16(p + 2, 9);
	ok(wire_decode_hello(p, 12, &hello) == WIRE_OK,
	    "HELLO: a range reaching past ours decodes (negotiation is the "
	    "daemon's)");
	wire_put32(p + 4, 0);
	ok(wire_decode_hello(p, 12, &hello) == WIRE_EVALUE,
	    "HELLO: role 0 refused");
	wire_put32(p + 4, 3);
	ok(wire_decode_hello(p, 12, &hello) == WIRE_EVALUE,
	    "HELLO: role 3 refused");
	ok(wire_decode_hello(p, 11, &hello) == WIRE_ELENGTH &&
	    wire_decode_hello(p, 13, &hello) == WIRE_ELENGTH,
	    "HELLO decoder rechecks its length");

	/* JOIN */
	memset(p, 0, sizeof p);
	wire_put32(p + 16, 0);
	wire_put32(p + 20, 0);
	ok(wire_decode_join(p, 32, &join) == WIRE_EVALUE,
	    "JOIN: nranks 0 refused");
	wire_put32(p + 16, 8);
	wire_put32(p + 20, 8);
	ok(wire_decode_join(p, 32, &join) == WIRE_EVALUE,
	    "JOIN: rank == nranks refused");
	wire_put32(p + 16, 0xffffffff);
	ok(wire_decode_join(p, 32, &join) == WIRE_EVALUE,
	    "JOIN: rank 2^32-1 refused");
	wire_put32(p + 16, 7);
	ok(wire_decode_join(p, 32, &join) == WIRE_OK && join.rank == 7 &&
	    join.nranks == 8, "JOIN: rank nranks-1 accepted");
	wire_put32(p + 16, 0);
	wire_put32(p + 20, 1);
	ok(wire_decode_join(p, 32, &join) == WIRE_OK,
	    "JOIN: rank 0 of 1 accepted");
#ifdef WIRE_JOIN_DAEMON_COLL
	wire_put32(p + 24, 0x80000000u);
	ok(wire_decode_join(p, 32, &join) == WIRE_EVALUE,
	    "JOIN: unknown flag refused");
	wire_put32(p + 24, 0);
#endif
	ok(wire_decode_join(p, 31, &join) == WIRE_ELENGTH &&
	    wire_decode_join(p, 33, &join) == WIRE_ELENGTH,
	    "JOIN decoder rechecks its length");

	/* ARRIVE */
	memset(p, 0, sizeof p);
	wire_put32(p, WIRE_COLL_BARRIER);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_OK,
	    "ARRIVE: barrier of 0 bytes accepted");
	wire_put64(p + 8, 1);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_EVALUE,
	    "ARRIVE: barrier with bytes refused");
	wire_put32(p, 0);
	wire_put64(p + 8, 0);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_EVALUE,
	    "ARRIVE: collective kind 0 refused");
	wire_put32(p, 4);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_EVALUE,
	    "ARRIVE: collective kind 4 refused");
	wire_put32(p, WIRE_COLL_ALLGATHER);
	wire_put64(p + 8, 1u << 20);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_OK && arr.bytes == 1u << 20,
	    "ARRIVE: allgather of 1 MiB per rank accepted");
	wire_put64(p + 8, (1u << 20) + 1);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_EVALUE,
	    "ARRIVE: allgather of 1 MiB + 1 refused");
	wire_put64(p + 8, 1ull << 32);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_EVALUE,
	    "ARRIVE: allgather of 4 GiB (high word only) refused");
	wire_put32(p, WIRE_COLL_ALLTOALL);
	wire_put64(p + 8, 1u << 20);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_OK,
	    "ARRIVE: alltoall of 1 MiB per peer accepted");
	wire_put64(p + 8, (1u << 20) + 1);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_EVALUE,
	    "ARRIVE: alltoall of 1 MiB + 1 per peer refused");
	wire_put64(p + 8, UINT64_MAX);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_EVALUE,
	    "ARRIVE: alltoall of 2^64-1 bytes refused");
	wire_put64(p + 8, 0);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_OK,
	    "ARRIVE: alltoall of 0 bytes accepted");
	ok(wire_decode_arrive(p, 15, &arr) == WIRE_ELENGTH &&
	    wire_decode_arrive(p, 17, &arr) == WIRE_ELENGTH,
	    "ARRIVE decoder rechecks its length");
	wire_put32(p + 4, WIRE_ARRIVE_NODE);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_OK &&
	    arr.flags == WIRE_ARRIVE_NODE, "ARRIVE: the node flag accepted");
	wire_put32(p + 4, 2);
	ok(wire_decode_arrive(p, 16, &arr) == WIRE_EVALUE,
	    "ARRIVE: an unknown flag refused");

	/* SEND / DELIVER */
	memset(p, 0, sizeof p);
	wire_put32(p, 1);
	wire_put32(p + 4, 0x80000000u);
	ok(wire_decode_msg(p, 8, &msg) == WIRE_EVALUE,
	    "SEND: tag 2^31 refused");
	wire_put32(p + 4, 0xffffffffu);
	ok(wire_decode_msg(p, 8, &msg) == WIRE_EVALUE,
	    "SEND: tag 2^32-1 refused");
	wire_put32(p + 4, 0x7fffffffu);
	ok(wire_decode_msg(p, 12, &msg) == WIRE_OK && msg.len == 4 &&
	    msg.data == p + 8, "SEND: tag 2^31-1 with 4 bytes accepted");
	ok(wire_decode_msg(p, 7, &msg) == WIRE_ELENGTH &&
	    wire_decode_msg(p, (1u << 20) + 9, &msg) == WIRE_ELENGTH,
	    "SEND decoder rechecks its length");

	/* Status frames */
	memset(p, 0, sizeof p);
	wire_put32(p, 1);
	ok(wire_decode_status(p, 8, &st) == WIRE_EVALUE,
	    "status: code 1 refused");
	wire_put32(p, 0x7fffffff);
	ok(wire_decode_status(p, 8, &st) == WIRE_EVALUE,
	    "status: code INT32_MAX refused");
	wire_put32(p, (uint32_t)-1000);
	ok(wire_decode_status(p, 8, &st) == WIRE_OK && st.code == -1000,
	    "status: code -1000 accepted");
	wire_put32(p, (uint32_t)-1001);
	ok(wire_decode_status(p, 8, &st) == WIRE_EVALUE,
	    "status: code -1001 refused");
	wire_put32(p, 0x80000000u);
	ok(wire_decode_status(p, 8, &st) == WIRE_EVALUE,
	    "status: code INT32_MIN refused");
	wire_put32(p, 0);
	ok(wire_decode_status(p, 8, &st) == WIRE_OK && st.code == 0,
	    "status: code 0 accepted");
	ok(wire_decode_status(p, 7, &st) == WIRE_ELENGTH &&
	    wire_decode_status(p, 8 + 513, &st) == WIRE_ELENGTH,
	    "status decoder rechecks its length");

	/* JOIN_ACK */
	memset(p, 0, sizeof p);
	wire_put16(p, 1);
	wire_put64(p + 8, 8192);
	wire_put64(p + 16, 4096);
	ok(wire_decode_join_ack(p, 24, &ack) == WIRE_OK,
	    "JOIN_ACK: a sane one accepted");
	wire_put16(p, 0);
	ok(wire_decode_join_ack(p, 24, &ack) == WIRE_EVALUE,
	    "JOIN_ACK: version 0 refused");
	wire_put16(p, 2);
	ok(wire_decode_join_ack(p, 24, &ack) == WIRE_EVALUE,
	    "JOIN_ACK: version 2 refused");
	wire_put16(p, 1);
	wire_put64(p + 16, 0);
	ok(wire_decode_join_ack(p, 24, &ack) == WIRE_EVALUE,
	    "JOIN_ACK: control part of 0 bytes refused");
	wire_put64(p + 16, 8193);
	ok(wire_decode_join_ack(p, 24, &ack) == WIRE_EVALUE,
	    "JOIN_ACK: control part larger than the table refused");
	wire_put64(p + 16, 8192);
	ok(wire_decode_join_ack(p, 24, &ack) == WIRE_OK,
	    "JOIN_ACK: control part equal to the table accepted");
#ifdef WIRE_ACK_EVENTFD
	wire_put16(p + 2, 0x8000);
	ok(wire_decode_join_ack(p, 24, &ack) == WIRE_EVALUE,
	    "JOIN_ACK: unknown flag refused");
	wire_put16(p + 2, 0);
#endif
	ok(wire_decode_join_ack(p, 23, &ack) == WIRE_ELENGTH &&
	    wire_decode_join_ack(p, 25, &ack) == WIRE_ELENGTH,
	    "JOIN_ACK decoder rechecks its length");

	/* READY */
	memset(p, 0, sizeof p);
	ok(wire_decode_ready(p, 8, &ready) == WIRE_EVALUE,
	    "READY: local_size 0 refused");
	wire_put32(p, 4);
	wire_put32(p + 4, 4);
	ok(wire_decode_ready(p, 8, &ready) == WIRE_EVALUE,
	    "READY: local_rank == local_size refused");
	wire_put32(p, 3);
	ok(wire_decode_ready(p, 8, &ready) == WIRE_OK && ready.local_rank == 3,
	    "READY: local_rank local_size-1 accepted");
	ok(wire_decode_ready(p, 7, &ready) == WIRE_ELENGTH &&
	    wire_decode_ready(p, 9, &ready) == WIRE_ELENGTH,
	    "READY decoder rechecks its length");
}

/* Whole streams: several frames back to back, cut anywhere. */
static void
wire_test_streams(void)
{
	uint8_t s[512], bad[512];
	struct wire_hello hello = { 1, 1, WIRE_ROLE_RANK, 0 };
	struct wire_join join;
	struct wire_arrive arr = { WIRE_COLL_ALLTOALL, 0, 64 };
	struct wire_join_ack ack;
	struct wire_ready ready = { 0, 2, 0, 1 };
	size_t n = 0, d = 0, i, cuts[8], ncuts = 0, k;
	int all, boundary;

	memset(&join, 0, sizeof join);
	join.rank = 1;
	join.nranks = 2;
	n += wire_encode_hello(s + n, &hello);
	cuts[ncuts++] = n;
	n += wire_encode_join(s + n, &join);
	cuts[ncuts++] = n;
	n += wire_encode_arrive(s + n, 1, &arr);
	cuts[ncuts++] = n;
	n += wire_encode_msg_hdr(s + n, WIRE_SEND, 1, 0, 9, 5);
	memcpy(s + n, "hello", 5);
	n += 5;
	cuts[ncuts++] = n;
	n += wire_encode_empty(s + n, WIRE_WAIT, 0);
	cuts[ncuts++] = n;
	n += wire_encode_status(s + n, WIRE_ABORT, 0, -3, 1, "late");
	cuts[ncuts++] = n;
	n += wire_encode_empty(s + n, WIRE_LEAVE, 0);
	ok(wire_check_stream(s, n, C) == WIRE_OK,
	    "7 client frames back to back decode");
	ok(wire_check_stream(s, n, D) == WIRE_EDIRECTION,
	    "the same stream read as the daemon's is refused");
	all = 1;
	for (i = 0; i < n; i++) {
		int rc = wire_check_stream(s, i, C);

		boundary = i == 0;
		for (k = 0; k < ncuts; k++)
			if (cuts[k] == i)
				boundary = 1;
		if (rc != (boundary ? WIRE_OK : WIRE_NEED_MORE)) {
			tap_diag("cut at %zu: %s", i, wire_status_name(rc));
			all = 0;
		}
	}
	ok(all, "the stream cut at each of its %zu bytes: whole frames pass, "
	    "a cut frame wants more", n);

	memset(&ack, 0, sizeof ack);
	ack.version = 1;
	ack.table_size = 8192;
	ack.ctl_size = 4096;
	d += wire_encode_join_ack(bad + d, &ack);
	d += wire_encode_ready(bad + d, &ready);
	d += wire_encode_empty(bad + d, WIRE_RELEASE, 1);
	d += wire_encode_msg_hdr(bad + d, WIRE_DELIVER, 1, 1, 9, 0);
	d += wire_encode_status(bad + d, WIRE_SEND_ACK, 1, 0, 1, NULL);
	d += wire_encode_empty(bad + d, WIRE_LEFT, 1);
	d += wire_encode_status(bad + d, WIRE_FAIL, 0, -4, 1, "lost");
	ok(wire_check_stream(bad, d, D) == WIRE_OK,
	    "7 daemon frames back to back decode");
	ok(wire_check_stream(bad, d - 1, D) == WIRE_NEED_MORE,
	    "the daemon stream less its last byte wants more");

	/* A bad frame in the middle of good ones. */
	memcpy(bad, s, n);
	bad[cuts[2] + 6] = 0x77;	/* the SEND's type */
	ok(wire_check_stream(bad, n, C) == WIRE_ETYPE,
	    "an unknown type in the 4th frame stops the stream");
	memcpy(bad, s, n);
	bad[cuts[1] + 16] = 9;		/* the ARRIVE's kind */
	ok(wire_check_stream(bad, n, C) == WIRE_EVALUE,
	    "a bad collective kind in the 3rd frame stops the stream");
	memcpy(bad, s, n);
	wire_put32(bad + cuts[0] + 16 + 20, 0);	/* the JOIN's nranks */
	ok(wire_check_stream(bad, n, C) == WIRE_EVALUE,
	    "nranks 0 in the 2nd frame stops the stream");
	memcpy(bad, s, n);
	bad[cuts[4]] ^= 1;		/* the ABORT's magic */
	ok(wire_check_stream(bad, n, C) == WIRE_EMAGIC,
	    "bad magic in the 6th frame stops the stream");
	memcpy(bad, s, n);
	wire_put32(bad + cuts[3] + 8, 1);	/* WAIT with a payload */
	ok(wire_check_stream(bad, n, C) == WIRE_ELENGTH,
	    "a WAIT with a payload stops the stream");
	ok(wire_check_stream(s, 0, C) == WIRE_OK &&
	    wire_check_stream(s, 0, D) == WIRE_OK,
	    "an empty stream is fine");
}

/* Copy len bytes into the reader, at most step at a time, collecting the
 * frames it returns; the last status and need are left in *rc, *need. */
static size_t
wire_test_feed(struct wire_reader *r, const uint8_t *d, size_t len,
    size_t step, uint16_t *types, size_t max, int *rc, size_t *need,
    int *needs_ok)
{
	struct wire_frame f;
	size_t off = 0, nf = 0, room, k, held = 0, whole = 0;
	uint8_t *sp;

	*rc = WIRE_NEED_MORE;
	while (off < len) {
		sp = wire_reader_space(r, &room);
		if (sp == NULL)
			return nf;
		k = len - off < step ? len - off : step;
		k = k < room ? k : room;
		memcpy(sp, d + off, k);
		wire_reader_commit(r, k);
		off += k;
		held += k;
		while ((*rc = wire_reader_next(r, &f, need)) == WIRE_OK) {
			if (nf < max)
				types[nf] = f.hdr.type;
			nf++;
			held -= WIRE_HDR_LEN + f.hdr.length;
		}
		if (*rc != WIRE_NEED_MORE)
			return nf;
		/* What it wants: the rest of the header, then of the frame. */
		whole = held < WIRE_HDR_LEN ? WIRE_HDR_LEN : WIRE_HDR_LEN +
		    wire_get32(d + off - held + 8);
		if (*need != whole - held)
			*needs_ok = 0;
	}
	return nf;
}

static int
wire_test_fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* The incremental reader: the one every reader of frames uses. */
static void
wire_test_reader(void)
{
	static const uint16_t want[] = { WIRE_HELLO, WIRE_JOIN, WIRE_ARRIVE,
	    WIRE_SEND, WIRE_WAIT, WIRE_ABORT, WIRE_LEAVE };
	uint8_t s[512], big[WIRE_HDR_LEN + WIRE_MSG_HDR_LEN];
	struct wire_hello hello = { 1, 1, WIRE_ROLE_RANK, 0 };
	struct wire_join join;
	struct wire_arrive arr = { WIRE_COLL_BARRIER, 0, 0 };
	struct wire_reader r;
	struct wire_frame f;
	uint16_t types[16];
	size_t n = 0, nf, need, room, step, frame5 = 0;
	int rc, needs_ok, order_ok, fds[6], got[6], sv[2], i, nfd;
	struct iovec iov;
	ssize_t w;

	memset(&join, 0, sizeof join);
	join.rank = 1;
	join.nranks = 2;
	n += wire_encode_hello(s + n, &hello);
	n += wire_encode_join(s + n, &join);
	n += wire_encode_arrive(s + n, 1, &arr);
	n += wire_encode_msg_hdr(s + n, WIRE_SEND, 1, 0, 9, 5);
	memcpy(s + n, "hello", 5);
	n += 5;
	n += wire_encode_empty(s + n, WIRE_WAIT, 0);
	frame5 = n;
	n += wire_encode_status(s + n, WIRE_ABORT, 0, -3, 1, "late");
	n += wire_encode_empty(s + n, WIRE_LEAVE, 0);

	for (step = 1; step <= n; step = step < 8 ? step + 1 : step * 4) {
		wire_reader_init(&r, C, 16, 8);
		needs_ok = 1;
		nf = wire_test_feed(&r, s, n, step, types, 16, &rc, &need,
		    &needs_ok);
		order_ok = nf == 7 && memcmp(types, want, sizeof want) == 0;
		if (!ok(order_ok && rc == WIRE_NEED_MORE &&
		    need == WIRE_HDR_LEN && needs_ok &&
		    wire_reader_buffered(&r) == 0, "reader fed %zu byte(s) at "
		    "a time: 7 frames in order, each 'need' exact", step))
			tap_diag("frames %zu rc %d need %zu", nf, rc, need);
		wire_reader_free(&r);
	}
	wire_reader_init(&r, C, 16, 8);
	needs_ok = 1;
	nf = wire_test_feed(&r, s, n, n, types, 16, &rc, &need, &needs_ok);
	ok(nf == 7 && rc == WIRE_NEED_MORE, "reader fed the whole stream at "
	    "once returns all 7 frames");
	wire_reader_free(&r);

	s[frame5] ^= 1;			/* the ABORT's magic */
	wire_reader_init(&r, C, 16, 8);
	nf = wire_test_feed(&r, s, n, 3, types, 16, &rc, &need, &needs_ok);
	ok(nf == 5 && rc == WIRE_EMAGIC, "bad magic in the 6th frame: 5 "
	    "frames, then WIRE_EMAGIC (got %zu, %s)", nf, wire_status_name(rc));
	wire_reader_free(&r);
	s[frame5] ^= 1;
	wire_reader_init(&r, D, 16, 8);
	nf = wire_test_feed(&r, s, n, n, types, 16, &rc, &need, &needs_ok);
	ok(nf == 0 && rc == WIRE_EDIRECTION, "the client stream read as the "
	    "daemon's: WIRE_EDIRECTION before any frame");
	wire_reader_free(&r);

	/* A 1 MiB SEND: room for it only once its header passed. */
	wire_reader_init(&r, C, 64, 16);
	wire_encode_msg_hdr(big, WIRE_SEND, 1, 0, 0, 1u << 20);
	wire_reader_space(&r, &room);
	ok(room == 64, "before a header, the reader offers its first 64 "
	    "bytes (offered %zu)", room);
	memcpy(wire_reader_space(&r, &room), big, sizeof big);
	wire_reader_commit(&r, sizeof big);
	rc = wire_reader_next(&r, &f, &need);
	ok(rc == WIRE_NEED_MORE && need == (1u << 20) + WIRE_MSG_HDR_LEN +
	    WIRE_HDR_LEN - sizeof big, "a 1 MiB SEND's header: need %zu more",
	    need);
	room = 0;
	rc = wire_reader_space(&r, &room) != NULL;
	ok(rc && room >= need, "then the reader offers room for the whole "
	    "frame (%zu bytes)", room);
	wire_reader_free(&r);

	/* Descriptors: held up to WIRE_READER_FDS, oldest taken first. */
	wire_reader_init(&r, D, 16, 8);
	for (i = 0; i < 6; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		wire_reader_add_fd(&r, fds[i]);
	}
	ok(r.nfds == WIRE_READER_FDS && r.fds_lost == 2 &&
	    !wire_test_fd_open(fds[4]) && !wire_test_fd_open(fds[5]),
	    "6 descriptors: 4 held, 2 closed and counted lost");
	nfd = wire_reader_take_fds(&r, got, 2);
	ok(nfd == 2 && got[0] == fds[0] && got[1] == fds[1] && r.nfds == 2,
	    "take 2: the oldest two, 2 left");
	close(got[0]);
	close(got[1]);
	wire_reader_free(&r);
	ok(!wire_test_fd_open(fds[2]) && !wire_test_fd_open(fds[3]),
	    "freeing the reader closes the descriptors it held");

	/* One sendmsg/recvmsg pair: a frame and two descriptors. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		exit(99);
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	iov.iov_base = s;
	iov.iov_len = WIRE_HDR_LEN + WIRE_HELLO_LEN;
	w = wire_sendmsg(sv[0], &iov, 1, fds, 2, 0);
	close(fds[0]);
	close(fds[1]);
	wire_reader_init(&r, C, 64, 16);
	w = w == (ssize_t)iov.iov_len ? wire_recvmsg(sv[1], &r, &room) : -1;
	rc = wire_reader_next(&r, &f, &need);
	ok(w == (ssize_t)iov.iov_len && rc == WIRE_OK &&
	    f.hdr.type == WIRE_HELLO && r.nfds == 2 &&
	    wire_test_fd_open(r.fds[0]) && wire_test_fd_open(r.fds[1]),
	    "wire_sendmsg/wire_recvmsg: HELLO and 2 descriptors arrive");
	ok((fcntl(r.fds[0], F_GETFD) & FD_CLOEXEC) != 0,
	    "received descriptors are close-on-exec");
	wire_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	th_deadline(30);
	wire_test_encode();
	wire_test_lengths();
	wire_test_headers();
	wire_test_fields();
	wire_test_streams();
	wire_test_reader();
	return tap_done();
}
