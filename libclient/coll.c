/*
 * coll.c - barrier, allgather and alltoall: each rank writes its part into
 * its slot of the shared rank table, sends one 32-byte ARRIVE and waits for
 * one 16-byte RELEASE; then it reads the others' parts from the table.
 */
#include <sys/uio.h>

#include <stdio.h>
#include <string.h>

#include "client.h"

/* Ranks whose arrival at collective seq (0: whose JOIN) is missing. */
void
coll_missing(const fb_comm *c, uint32_t seq, char *buf, size_t size)
{
	size_t used = 0;
	int r, first = -1, w;

	buf[0] = '\0';
	for (r = 0; r <= c->nranks; r++) {
		int miss = 0;

		if (r < c->nranks) {
			const struct table_rank *tr = &c->trank[r];

			if (seq == 0)
				miss = __atomic_load_n(&tr->state,
				    __ATOMIC_ACQUIRE) != TABLE_RANK_JOINED;
			else
				miss = __atomic_load_n(&tr->arrived,
				    __ATOMIC_ACQUIRE) < seq;
		}
		if (miss && first == -1)
			first = r;
		if (!miss && first != -1) {
			if (first == r - 1)
				w = snprintf(buf + used, size - used, "%s%d",
				    used ? "," : "", first);
			else
				w = snprintf(buf + used, size - used, "%s%d-%d",
				    used ? "," : "", first, r - 1);
			if (w < 0 || (size_t)w >= size - used) {
				if (size > 5)
					strcpy(buf + size - 5, ",...");
				return;
			}
			used += (size_t)w;
			first = -1;
		}
	}
	if (used == 0)
		snprintf(buf, size, "(none: the release is in flight)");
}

/* Tell the daemon this rank gives up, so that the others hear at once. */
void
coll_abort(fb_comm *c, const char *why)
{
	uint8_t frame[WIRE_STATUS_FRAME_MAX];
	struct iovec iov;

	if (c->fd == -1)
		return;
	iov.iov_base = frame;
	iov.iov_len = wire_encode_status(frame, WIRE_ABORT, 0, FB_E_TIMEOUT,
	    (uint32_t)c->rank, why);
	io_write(c, &iov, 1, io_now_ns() + 100000000u);
}

static int
coll_released(fb_comm *c, const void *arg)
{
	return c->released >= *(const uint32_t *)arg;
}

static uint8_t *
coll_slot(const fb_comm *c, uint32_t seq, int rank)
{
	return c->data + ((uint64_t)(seq % 2) * (uint64_t)c->nranks +
	    (uint64_t)rank) * c->slot_bytes;
}

/* Run collective #seq: arrive, wait for the release. */
static int
coll_run(fb_comm *c, uint32_t kind, uint64_t bytes)
{
	uint8_t frame[WIRE_HDR_LEN + WIRE_ARRIVE_LEN];
	struct wire_arrive a = { kind, 0, bytes };
	struct iovec iov = { frame, 0 };
	uint32_t seq = c->coll_seq + 1;
	uint64_t start = io_now_ns();
	char missing[512];
	int rc;

	iov.iov_len = wire_encode_arrive(frame, seq, &a);
	/* Our slot's bytes must be visible before the daemon hears of it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if ((rc = io_write(c, &iov, 1, io_deadline(c))) != 0)
		return rc;
	rc = io_wait(c, start + (c->timeout_ms < 0 ? UINT64_MAX - start :
	    (uint64_t)c->timeout_ms * 1000000u), coll_released, &seq);
	if (rc == FB_E_TIMEOUT && !c->failed) {
		coll_missing(c, seq, missing, sizeof missing);
		comm_fail(c, FB_E_TIMEOUT, "%s #%u timed out after %d ms: "
		    "ranks %s of %d have not arrived", wire_coll_name(kind),
		    seq, io_ms_since(start), missing, c->nranks);
		coll_abort(c, c->err);
		return FB_E_TIMEOUT;
	}
	if (rc != 0)
		return rc;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	c->coll_seq = seq;
	return 0;
}

static int
coll_check(fb_comm *c)
{
	if (c->failed)
		return c->failed;	/* the detail stays in c->err */
	return 0;
}

int
fb_barrier(fb_comm *comm)
{
	int rc;

	if (comm == NULL)
		return FB_E_INVAL;
	if ((rc = coll_check(comm)) != 0)
		return rc;
	return coll_run(comm, WIRE_COLL_BARRIER, 0);
}

int
fb_allgather(fb_comm *comm, void *buf, size_t bytes)
{
	uint8_t *b = buf;
	uint32_t seq;
	int rc, r;

	if (comm == NULL)
		return FB_E_INVAL;
	if ((rc = coll_check(comm)) != 0)
		return rc;
	if (bytes > FB_MAX_SLICE_BYTES)
		return comm_error(comm, FB_E_INVAL, "allgather of %zu bytes "
		    "per rank: the limit is %u", bytes, FB_MAX_SLICE_BYTES);
	if (buf == NULL && bytes > 0)
		return comm_error(comm, FB_E_INVAL, "allgather: buf is NULL");
	seq = comm->coll_seq + 1;
	memcpy(coll_slot(comm, seq, comm->rank), b + (size_t)comm->rank * bytes,
	    bytes);
	if ((rc = coll_run(comm, WIRE_COLL_ALLGATHER, bytes)) != 0)
		return rc;
	for (r = 0; r < comm->nranks; r++)
		if (r != comm->rank)
			memcpy(b + (size_t)r * bytes, coll_slot(comm, seq, r),
			    bytes);
	return 0;
}

int
fb_alltoall(fb_comm *comm, const void *sendbuf, void *recvbuf, size_t bytes)
{
	const uint8_t *s = sendbuf;
	uint8_t *d = recvbuf;
	size_t total;
	uint32_t seq;
	int rc, r;

	if (comm == NULL)
		return FB_E_INVAL;
	if ((rc = coll_check(comm)) != 0)
		return rc;
	total = bytes * (size_t)comm->nranks;
	if (bytes > FB_MAX_PEER_BYTES || total > FB_MAX_ALLTOALL_BYTES ||
	    total > comm->slot_bytes)
		return comm_error(comm, FB_E_INVAL, "alltoall of %zu bytes per "
		    "peer (%zu in all): the limits are %u per peer and %u in "
		    "all", bytes, total, FB_MAX_PEER_BYTES,
		    FB_MAX_ALLTOALL_BYTES);
	if ((sendbuf == NULL || recvbuf == NULL) && bytes > 0)
		return comm_error(comm, FB_E_INVAL, "alltoall: NULL buffer");
	if (bytes > 0 && s < d + total && d < s + total)
		return comm_error(comm, FB_E_INVAL, "alltoall: sendbuf and "
		    "recvbuf overlap");
	seq = comm->coll_seq + 1;
	memcpy(coll_slot(comm, seq, comm->rank), s, total);
	if ((rc = coll_run(comm, WIRE_COLL_ALLTOALL, bytes)) != 0)
		return rc;
	for (r = 0; r < comm->nranks; r++)
		memcpy(d + (size_t)r * bytes, coll_slot(comm, seq, r) +
		    (size_t)comm->rank * bytes, bytes);
	return 0;
}
