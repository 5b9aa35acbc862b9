/*
 * ring.c - the single-sender, single-receiver message ring of wire/ring.h.
 */
#include <limits.h>
#include <string.h>

#include "wire/ring.h"

static uint64_t
ring_cap(uint64_t size)
{
	return size - RING_HDR_LEN;
}

int
ring_size_ok(uint64_t size)
{
	return size >= RING_MIN_BYTES && size <= RING_MAX_BYTES &&
	    size % 64 == 0;
}

uint32_t
ring_max_msg(uint64_t size)
{
	return (uint32_t)((ring_cap(size) - RING_ENTRY_LEN) & ~(uint64_t)7);
}

static uint8_t *
ring_data(const void *ring)
{
	return (uint8_t *)ring + RING_HDR_LEN;
}

/* Copy n bytes into the data at byte position pos, wrapping. */
static void
ring_write(void *ring, uint64_t size, uint64_t pos, const void *src,
    uint64_t n)
{
	uint64_t cap = ring_cap(size), off = pos % cap, first;

	first = cap - off < n ? cap - off : n;
	memcpy(ring_data(ring) + off, src, (size_t)first);
	if (first < n)
		memcpy(ring_data(ring), (const uint8_t *)src + first,
		    (size_t)(n - first));
}

static void
ring_read(const void *ring, uint64_t size, uint64_t pos, void *dst,
    uint64_t n)
{
	uint64_t cap = ring_cap(size), off = pos % cap, first;

	first = cap - off < n ? cap - off : n;
	memcpy(dst, ring_data(ring) + off, (size_t)first);
	if (first < n)
		memcpy((uint8_t *)dst + first, ring_data(ring),
		    (size_t)(n - first));
}

int
ring_put(void *ring, uint64_t size, uint64_t *tail, uint32_t tag,
    uint32_t spilled, const void *buf, uint32_t len)
{
	struct ring_hdr *h = ring;
	struct ring_entry e;
	uint64_t head, used, need = ring_entry_size(len);

	head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	used = *tail - head;
	if (used > ring_cap(size) || used % 8 != 0)
		return RING_ECORRUPT;
	if (need > ring_cap(size) - used)
		return RING_FULL;
	e.len = len;
	e.tag = tag;
	e.spilled = spilled;
	e.check = RING_CHECK ^ len ^ tag ^ spilled;
	ring_write(ring, size, *tail, &e, sizeof e);
	if (len > 0)
		ring_write(ring, size, *tail + RING_ENTRY_LEN, buf, len);
	*tail += need;
	__atomic_store_n(&h->tail, *tail, __ATOMIC_RELEASE);
	return RING_OK;
}

int
ring_peek(const void *ring, uint64_t size, uint64_t head, struct ring_entry *e)
{
	const struct ring_hdr *h = ring;
	uint64_t tail, avail;

	tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
	avail = tail - head;
	if (avail == 0)
		return RING_EMPTY;
	if (avail > ring_cap(size) || avail % 8 != 0 ||
	    avail < RING_ENTRY_LEN)
		return RING_ECORRUPT;
	ring_read(ring, size, head, e, sizeof *e);
	if (e->check != (RING_CHECK ^ e->len ^ e->tag ^ e->spilled) ||
	    e->tag > INT_MAX || ring_entry_size(e->len) > avail)
		return RING_ECORRUPT;
	return RING_OK;
}

void
ring_copy_out(const void *ring, uint64_t size, uint64_t head, void *dst,
    uint32_t len)
{
	if (len > 0)
		ring_read(ring, size, head + RING_ENTRY_LEN, dst, len);
}

void
ring_consume(void *ring, uint64_t *head, uint32_t len)
{
	struct ring_hdr *h = ring;

	*head += ring_entry_size(len);
	__atomic_store_n(&h->head, *head, __ATOMIC_RELEASE);
}
