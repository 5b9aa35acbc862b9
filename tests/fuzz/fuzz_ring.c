/*
 * fuzz_ring.c - libFuzzer target for the send/recv rings of the rank table
 * (wire/ring.c), which read what another process wrote into shared memory.
 *
 * The input is a ring as a scribbling rank could leave it: the first bytes
 * choose the ring's size and the private indexes, the rest is its memory,
 * header included.  The receiver takes entries until the ring says empty
 * or corrupt; every entry it accepts must lie within what was published.
 * The sender then appends a message against the scribbled head; if the
 * ring takes it, reading it back from where it went must give the same
 * message.  The ring lives in a buffer of exactly its size, so that a
 * sanitizer build sees any access outside it.
 */
#include <stdlib.h>
#include <string.h>

#include "wire/ring.h"
#include "fuzz.h"

#define FUZZ_CHECK(cond) do { if (!(cond)) abort(); } while (0)

static uint64_t
fuzz_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const uint64_t sizes[] = { RING_MIN_BYTES, 1024, 4096 };
	struct ring_entry e;
	uint64_t size, head, tail, old, published;
	uint32_t len, max, tag;
	uint8_t *ring, *out, *msg;
	int i, rc;

	if (n < 24)
		return 0;
	size = sizes[d[0] % 3];
	/* The private indexes start at 0 and grow by at most a ring per
	 * message, never from what the table says: 2^48 bytes is plenty
	 * (the ring's positions are taken modulo its capacity, which is
	 * continuous only below 2^64). */
	head = fuzz_u64(d + 8) & (((uint64_t)1 << 48) - 1);
	tail = fuzz_u64(d + 16) & (((uint64_t)1 << 48) - 1);
	/* Keep the ring 8-aligned, as the table's are. */
	if ((ring = aligned_alloc(64, size)) == NULL)
		return 0;
	memset(ring, 0, size);
	memcpy(ring, d + 24, n - 24 < size ? n - 24 : size);
	max = ring_max_msg(size);
	FUZZ_CHECK(ring_size_ok(size));
	FUZZ_CHECK(max + RING_ENTRY_LEN <= size - RING_HDR_LEN);
	out = malloc(max);
	msg = malloc(max);
	if (out == NULL || msg == NULL)
		goto out;

	/* The receiver. */
	for (i = 0; i < 1000; i++) {
		published = __atomic_load_n(&((struct ring_hdr *)ring)->tail,
		    __ATOMIC_RELAXED);
		rc = ring_peek(ring, size, head, &e);
		FUZZ_CHECK(rc == RING_OK || rc == RING_EMPTY ||
		    rc == RING_ECORRUPT);
		if (rc != RING_OK)
			break;
		FUZZ_CHECK(e.len <= max);
		FUZZ_CHECK(ring_entry_size(e.len) <= published - head);
		FUZZ_CHECK(published - head <= size - RING_HDR_LEN);
		ring_copy_out(ring, size, head, out, e.len);
		old = head;
		ring_consume(ring, &head, e.len);
		FUZZ_CHECK(head - old == ring_entry_size(e.len));
	}

	/* The sender, against whatever head the input left. */
	len = (uint32_t)d[1] * 8 + d[2] % 8;
	tag = (uint32_t)fuzz_u64(d) & 0x7fffffffu;
	memset(msg, d[3], max);
	old = tail;
	rc = ring_put(ring, size, &tail, tag, d[4], msg, len);
	FUZZ_CHECK(rc == RING_OK || rc == RING_FULL || rc == RING_ECORRUPT);
	if (rc != RING_OK) {
		FUZZ_CHECK(tail == old);
		goto out;
	}
	FUZZ_CHECK(len <= max && tail - old == ring_entry_size(len));
	FUZZ_CHECK(ring_peek(ring, size, old, &e) == RING_OK);
	FUZZ_CHECK(e.len == len && e.tag == tag && e.spilled == d[4]);
	ring_copy_out(ring, size, old, out, len);
	FUZZ_CHECK(memcmp(out, msg, len) == 0);
out:
	free(out);
	free(msg);
	free(ring);
	return 0;
}
