/*
 * fuzz_wire.c - libFuzzer target for the wire codec, the code that sees
 * every untrusted byte the daemon and the library read.
 *
 * One input is decoded four ways: as a stream of frames from a client (as
 * fastbootd does), as a stream from the daemon (as libfastboot-client does),
 * through the incremental frame reader that both of them use (and peer
 * links: WIRE_FROM_PEER, the same rule table), fed in pieces of several
 * sizes, and by every per-type payload decoder.  Whatever a
 * decoder accepts must
 * encode back to the same bytes, and its fields must satisfy the rules the
 * callers rely on; a breach aborts, which the fuzzer reports as a crash.
 *
 * tests/fuzz/replay.c drives the same entry point over the seed corpus in
 * `make check`, without libFuzzer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"
#include "wire/reader.h"
#include "wire/peer.h"
#include "fuzz.h"

#define FUZZ_CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void
fuzz_hdr(const uint8_t *d, size_t n)
{
	struct wire_hdr h;
	uint8_t buf[WIRE_HDR_LEN];
	int from, rc;

	for (from = WIRE_FROM_CLIENT; from <= WIRE_FROM_PEER; from++) {
		rc = wire_decode_hdr_untrusted(d, n, from, &h);
		FUZZ_CHECK(rc <= WIRE_NEED_MORE && rc >= WIRE_EVALUE);
		FUZZ_CHECK(wire_status_name(rc) != NULL);
		if (rc != WIRE_OK)
			continue;
		FUZZ_CHECK(n >= WIRE_HDR_LEN);
		FUZZ_CHECK(strcmp(wire_frame_name(from, h.type), "unknown") !=
		    0);
		/* Every accepted length is bounded before any allocation. */
		FUZZ_CHECK(h.length <= wire_max_length(from));
		if (from == WIRE_FROM_PEER) {
			FUZZ_CHECK(h.magic == WPEER_MAGIC);
			FUZZ_CHECK(h.length <= WPEER_PAYLOAD_MAX);
			wpeer_encode_hdr(buf, h.type, h.length, h.seq);
			FUZZ_CHECK(memcmp(buf, d, WIRE_HDR_LEN) == 0);
			continue;
		}
		FUZZ_CHECK(h.magic == WIRE_MAGIC);
		FUZZ_CHECK(h.length <= WIRE_CTL_MAX);
		FUZZ_CHECK(h.type == WIRE_CTL_REPLY ||
		    h.length <= WIRE_PAYLOAD_MAX);
		FUZZ_CHECK(strcmp(wire_type_name(h.type), "unknown") != 0);
		wire_encode_hdr(buf, h.type, h.length, h.seq);
		FUZZ_CHECK(memcmp(buf, d, WIRE_HDR_LEN) == 0);
	}
}

static void
fuzz_payloads(const uint8_t *d, size_t n)
{
	uint8_t out[WIRE_HDR_LEN + WIRE_STATUS_HDR_LEN + WIRE_TEXT_MAX];
	char text[WIRE_TEXT_MAX + 1];
	struct wire_hello hello;
	struct wire_join join;
	struct wire_arrive arrive;
	struct wire_msg msg;
	struct wire_status_msg st;
	struct wire_join_ack ack;
	struct wire_ready ready;
	size_t len;

	if (wire_decode_hello(d, n, &hello) == WIRE_OK) {
		FUZZ_CHECK(hello.min_version <= hello.max_version);
		len = wire_encode_hello(out, &hello);
		FUZZ_CHECK(len == WIRE_HDR_LEN + n);
		FUZZ_CHECK(memcmp(out + WIRE_HDR_LEN, d, n) == 0);
	}
	if (wire_decode_join(d, n, &join) == WIRE_OK) {
		FUZZ_CHECK(join.nranks > 0 && join.rank < join.nranks);
		len = wire_encode_join(out, &join);
		FUZZ_CHECK(len == WIRE_HDR_LEN + n);
		FUZZ_CHECK(memcmp(out + WIRE_HDR_LEN, d, n) == 0);
	}
	if (wire_decode_arrive(d, n, &arrive) == WIRE_OK) {
		FUZZ_CHECK(arrive.bytes <= (1u << 20));
		FUZZ_CHECK(strcmp(wire_coll_name(arrive.kind),
		    "unknown collective") != 0);
		len = wire_encode_arrive(out, 1, &arrive);
		FUZZ_CHECK(len == WIRE_HDR_LEN + n);
		FUZZ_CHECK(memcmp(out + WIRE_HDR_LEN, d, n) == 0);
	}
	if (wire_decode_msg(d, n, &msg) == WIRE_OK) {
		FUZZ_CHECK(msg.tag <= 0x7fffffffu);
		FUZZ_CHECK(msg.data == d + WIRE_MSG_HDR_LEN);
		FUZZ_CHECK((size_t)msg.len + WIRE_MSG_HDR_LEN == n);
		len = wire_encode_msg_hdr(out, WIRE_SEND, 0, msg.peer, msg.tag,
		    msg.len);
		FUZZ_CHECK(len == WIRE_HDR_LEN + WIRE_MSG_HDR_LEN);
		FUZZ_CHECK(memcmp(out + WIRE_HDR_LEN, d, len - WIRE_HDR_LEN) ==
		    0);
		FUZZ_CHECK(wire_get32(out + 8) == n);
	}
	if (wire_decode_status(d, n, &st) == WIRE_OK) {
		FUZZ_CHECK(st.code <= 0);
		FUZZ_CHECK(st.text_len <= WIRE_TEXT_MAX);
		FUZZ_CHECK(st.text == (const char *)d + WIRE_STATUS_HDR_LEN);
		/* Texts travel without a NUL; the encoder stops at one. */
		memcpy(text, st.text, st.text_len);
		text[st.text_len] = '\0';
		len = wire_encode_status(out, WIRE_FAIL, 0, st.code, st.rank,
		    text);
		FUZZ_CHECK(len <= sizeof out);
		FUZZ_CHECK(len - WIRE_HDR_LEN - WIRE_STATUS_HDR_LEN ==
		    strlen(text));
		FUZZ_CHECK(memcmp(out + WIRE_HDR_LEN, d, len - WIRE_HDR_LEN) ==
		    0);
	}
	if (wire_decode_join_ack(d, n, &ack) == WIRE_OK) {
		FUZZ_CHECK(ack.ctl_size > 0 && ack.ctl_size <= ack.table_size);
		len = wire_encode_join_ack(out, &ack);
		FUZZ_CHECK(len == WIRE_HDR_LEN + n);
		FUZZ_CHECK(memcmp(out + WIRE_HDR_LEN, d, n) == 0);
	}
	if (wire_decode_ready(d, n, &ready) == WIRE_OK) {
		FUZZ_CHECK(ready.local_rank < ready.local_size);
		len = wire_encode_ready(out, &ready);
		FUZZ_CHECK(len == WIRE_HDR_LEN + n);
		FUZZ_CHECK(memcmp(out + WIRE_HDR_LEN, d, n) == 0);
	}
}

/*
 * Feed the reader step bytes at a time: every frame it returns is the next
 * one in the input, it holds exactly what it has not returned, and a
 * stream wire_check_stream() accepts comes out whole.
 */
static void
fuzz_reader(const uint8_t *d, size_t n, int from, size_t step)
{
	struct wire_reader r;
	struct wire_frame f;
	size_t off = 0, done = 0, need = 0, room, k;
	uint8_t *sp;
	int rc = WIRE_NEED_MORE;

	wire_reader_init(&r, from, 64, 16);
	while (off < n) {
		if ((sp = wire_reader_space(&r, &room)) == NULL)
			break;
		FUZZ_CHECK(room >= 16);
		k = n - off < step ? n - off : step;
		k = k < room ? k : room;
		memcpy(sp, d + off, k);
		wire_reader_commit(&r, k);
		off += k;
		while ((rc = wire_reader_next(&r, &f, &need)) == WIRE_OK) {
			FUZZ_CHECK(done + WIRE_HDR_LEN + f.hdr.length <= off);
			FUZZ_CHECK(memcmp(f.payload, d + done + WIRE_HDR_LEN,
			    f.hdr.length) == 0);
			FUZZ_CHECK(f.bytes + WIRE_HDR_LEN == f.payload &&
			    memcmp(f.bytes, d + done, WIRE_HDR_LEN) == 0);
			done += WIRE_HDR_LEN + f.hdr.length;
		}
		if (rc != WIRE_NEED_MORE)
			break;
		FUZZ_CHECK(need > 0);
		FUZZ_CHECK(wire_reader_buffered(&r) == off - done);
	}
	if (rc == WIRE_NEED_MORE)	/* an empty input: ask once */
		rc = wire_reader_next(&r, &f, &need);
	FUZZ_CHECK(rc <= WIRE_NEED_MORE && rc >= WIRE_EVALUE);
	if ((from == WIRE_FROM_PEER ? wpeer_check_stream(d, n) :
	    wire_check_stream(d, n, from)) == WIRE_OK)
		FUZZ_CHECK(rc == WIRE_NEED_MORE && done == n &&
		    need == WIRE_HDR_LEN);
	wire_reader_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	int rc;

	/* An exact-size heap copy, so that ASan sees any read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = wire_check_stream(copy, size, WIRE_FROM_CLIENT);
	FUZZ_CHECK(rc <= WIRE_NEED_MORE && rc >= WIRE_EVALUE);
	rc = wire_check_stream(copy, size, WIRE_FROM_DAEMON);
	FUZZ_CHECK(rc <= WIRE_NEED_MORE && rc >= WIRE_EVALUE);
	for (rc = WIRE_FROM_CLIENT; rc <= WIRE_FROM_PEER; rc++) {
		fuzz_reader(copy, size, rc, 1);
		fuzz_reader(copy, size, rc, 7);
		fuzz_reader(copy, size, rc, size ? size : 1);
	}
	fuzz_hdr(copy, size);
	fuzz_payloads(copy, size);
	/* Payload decoders also see what follows a header, as callers do. */
	if (size > WIRE_HDR_LEN)
		fuzz_payloads(copy + WIRE_HDR_LEN, size - WIRE_HDR_LEN);
	free(copy);
	return 0;
}
