/*
 * ring.h - one-way message ring between two ranks of a node, in the p2p
 * area of the job's rank table (wire/table.h).  One sender, one receiver:
 *
 *	[ head (receiver) | tail (sender) | data: cap bytes, wrapping ]
 *
 * head and tail count bytes since the job began (never wrap in practice:
 * 2^64).  An entry is a 16-byte header (struct ring_entry) and the message,
 * padded to 8 bytes; it may wrap around the end of the data.  The sender
 * writes the entry, then publishes tail (release); the receiver copies the
 * entry out, then publishes head.  Each side keeps its own index in private
 * memory and only ever reads the other's from the ring: what it reads is
 * checked (0 <= tail - head <= cap, lengths within what was published), so
 * that a rank that scribbles over the table hurts no one but its own job.
 *
 * Pure code: no I/O, no allocation (the fuzz target drives it directly).
 */
#ifndef FB_WIRE_RING_H
#define FB_WIRE_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring_hdr {
	uint64_t head __attribute__((aligned(64)));	/* receiver writes */
	uint8_t pad0[56];
	uint64_t tail __attribute__((aligned(64)));	/* sender writes */
	uint8_t pad1[56];
};
#define RING_HDR_LEN	128
_Static_assert(sizeof(struct ring_hdr) == RING_HDR_LEN, "ring header");

struct ring_entry {
	uint32_t len;		/* message bytes */
	uint32_t tag;		/* <= INT_MAX */
	uint32_t spilled;	/* messages the sender had sent to this
				 * receiver through fastbootd before this one */
	uint32_t check;		/* RING_CHECK ^ len ^ tag ^ spilled */
};
#define RING_ENTRY_LEN	16
#define RING_CHECK	0x46425247u	/* "GRBF" */
_Static_assert(sizeof(struct ring_entry) == RING_ENTRY_LEN, "ring entry");

#define RING_MIN_BYTES	512		/* smallest ring, header included */
#define RING_MAX_BYTES	(1u << 24)	/* largest */

enum {
	RING_OK = 0,
	RING_EMPTY = 1,		/* ring_peek: nothing published */
	RING_FULL = 2,		/* ring_put: no room now */
	RING_ECORRUPT = -1,	/* the other side's index or entry is bad */
};

/* Bytes an entry of len takes in the ring. */
static inline uint64_t
ring_entry_size(uint32_t len)
{
	return RING_ENTRY_LEN + (((uint64_t)len + 7) & ~(uint64_t)7);
}

/* Is size (header included) a usable ring size? */
int ring_size_ok(uint64_t size);
/* The largest message a ring of size can ever hold. */
uint32_t ring_max_msg(uint64_t size);

/*
 * Sender: append one message if it fits.  *tail is the sender's own index
 * (private); the receiver's head is read from the ring and checked.
 * RING_OK (tail published), RING_FULL, or RING_ECORRUPT.
 */
int ring_put(void *ring, uint64_t size, uint64_t *tail, uint32_t tag,
    uint32_t spilled, const void *buf, uint32_t len);
/*
 * Receiver: the entry at head (its own index, private), checked against the
 * published tail.  RING_OK (*e filled), RING_EMPTY or RING_ECORRUPT.
 */
int ring_peek(const void *ring, uint64_t size, uint64_t head,
    struct ring_entry *e);
/* Receiver: copy the message of the entry at head (after ring_peek). */
void ring_copy_out(const void *ring, uint64_t size, uint64_t head, void *dst,
    uint32_t len);
/* Receiver: done with the entry at *head; publish the new head. */
void ring_consume(void *ring, uint64_t *head, uint32_t len);

#endif /* FB_WIRE_RING_H */
