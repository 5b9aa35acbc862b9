/*
 * p2p.c - send and recv.  Between ranks of one node fb_send puts the
 * message into the rank table's ring to the peer (shm.c) and returns.
 * Otherwise (another node, a full ring, a message larger than a ring) it
 * hands the message to the daemon, which forwards it to the receiver's
 * socket at once (bounded per receiver) and acknowledges; a message larger
 * than a frame goes in parts of 1 MiB, each acknowledged, and if one is
 * refused the receiver is told to drop the parts it has.  The receiver
 * keeps arrivals of both paths in one FIFO (mq.c), in the order the sender
 * sent them, and matches (peer, tag) in order.  A receiver still blocked
 * on a peer after 2 ms tells the daemon (WAIT), so that it hears at once
 * if that peer leaves.  With a CPU for each local rank, a receiver spins a
 * bounded, adaptive while on the ring from its peer before it sleeps
 * (coll.c's adaptive wait), and the sender then rings no doorbell.
 */
#include <sys/uio.h>

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* A tag is any non-negative int: "tag >= 0" is the whole check. */
_Static_assert(FB_MAX_TAG == INT_MAX, "FB_MAX_TAG is INT_MAX");

static int
p2p_acked(fb_comm *c, const void *arg)
{
	return c->acked == *(const uint32_t *)arg;
}

/* One SEND (a whole message or a part, says flags) and its SEND_ACK. */
static int
p2p_send_part(fb_comm *comm, const void *buf, uint32_t len, int peer,
    int tag, uint32_t flags, int parts, uint64_t start)
{
	uint8_t hdr[WIRE_HDR_LEN + WIRE_MSG_HDR_LEN];
	struct iovec iov[2];
	uint64_t deadline;
	uint32_t seq;
	int rc;

	comm->send_seq = (comm->send_seq + 1) & P2P_SEQ_MASK;
	if (comm->send_seq == 0)	/* 0 is "none acknowledged yet" */
		comm->send_seq = 1;
	seq = comm->send_seq | flags;
	iov[0].iov_base = hdr;
	iov[0].iov_len = wire_encode_msg_hdr(hdr, WIRE_SEND, seq,
	    (uint32_t)peer, (uint32_t)tag, len);
	iov[1].iov_base = (void *)buf;
	iov[1].iov_len = len;
	/* One deadline for the whole message, every part of it. */
	deadline = io_deadline_from(comm, start);
	if ((rc = io_write(comm, iov, 2, deadline)) != 0)
		return rc;
	rc = io_wait(comm, deadline, p2p_acked, &seq);
	if (rc == FB_E_TIMEOUT)
		return comm_fail(comm, FB_E_TIMEOUT, "send to rank %d: "
		    "fastbootd did not acknowledge within %d ms", peer,
		    io_ms_since(start));
	if (rc != 0)
		return rc;
	if (comm->ack_code != 0)
		return comm_error(comm, comm->ack_code, "%s%s", comm->ack_text,
		    parts ? "; refused at a 1 MiB part of a larger message, "
		    "none of which is delivered" : "");
	return 0;
}

/* The arguments of fb_send and fb_recv (what: "send to", "recv from"). */
static int
p2p_check(fb_comm *comm, const char *what, const void *buf, size_t len,
    int peer, int tag)
{
	int rc;

	if (comm == NULL)
		return FB_E_INVAL;
	if ((rc = io_check(comm)) != 0)
		return rc;
	if (peer < 0 || peer >= comm->nranks || tag < 0)
		return comm_error(comm, FB_E_INVAL, "%s rank %d tag %d: need "
		    "0 <= peer < %d and tag >= 0", what, peer, tag,
		    comm->nranks);
	if (len > FB_MAX_MSG_BYTES)
		return comm_error(comm, FB_E_INVAL, "%s rank %d: %zu bytes, "
		    "the limit is %u", what, peer, len, FB_MAX_MSG_BYTES);
	if (buf == NULL && len > 0)
		return comm_error(comm, FB_E_INVAL, "%s rank %d: buf is NULL "
		    "for %zu bytes", what, peer, len);
	return 0;
}

int
fb_send(fb_comm *comm, const void *buf, size_t len, int peer, int tag)
{
	const uint8_t *b = buf;
	uint64_t start = clock_mono_ns();
	char err[sizeof comm->err], why[256];
	size_t off, part;
	uint32_t more;
	int rc;

	if ((rc = p2p_check(comm, "send to", buf, len, peer, tag)) != 0)
		return rc;
	if (shm_send(comm, buf, len, (uint32_t)peer, (uint32_t)tag) == 0)
		return 0;
	/* Through fastbootd, in parts if larger than a frame. */
	for (off = 0;; off += part) {
		part = len - off < P2P_PART_BYTES ? len - off : P2P_PART_BYTES;
		more = off + part < len ? P2P_SEQ_MORE : 0;
		rc = p2p_send_part(comm, b + off, (uint32_t)part, peer, tag,
		    more, len > P2P_PART_BYTES, start);
		if (rc != 0 && off > 0 && !comm->failed) {
			/* The receiver drops the parts it has.  If it cannot
			 * be told, it would take our next message to it as
			 * their rest: this handle sends no more. */
			memcpy(err, comm->err, sizeof err);
			if (p2p_send_part(comm, NULL, 0, peer, tag,
			    P2P_SEQ_CANCEL, 1, start) != 0 && !comm->failed) {
				memcpy(why, comm->err, sizeof why - 1);
				why[sizeof why - 1] = '\0';
				return comm_fail(comm, rc, "%s; the cancel of "
				    "its first %zu bytes was refused too (%s): "
				    "rank %d may hold them, so this handle "
				    "sends no more", err, off, why, peer);
			}
			memcpy(comm->err, err, sizeof err);
		}
		if (rc != 0)
			return rc;
		if (!more)
			break;
	}
	shm_spilled(comm, (uint32_t)peer);
	return 0;
}

#define P2P_WAIT_GRACE_NS	2000000u	/* 2 ms before WAIT */

struct p2p_want {
	uint32_t peer;
	uint32_t tag;
};


/*
 * Does the rank table say the peer is gone?  Only a hint: the peer's last
 * messages may still be on their way to us (in our socket, or queued in
 * the daemon).  The daemon's LEFT frame is the proof, since it comes after
 * every message the peer sent.
 */
static int
p2p_peer_gone_hint(const fb_comm *c, uint32_t peer)
{
	uint32_t st = __atomic_load_n(&c->trank[peer].state, __ATOMIC_ACQUIRE);

	return st == TABLE_RANK_LEFT || st == TABLE_RANK_LOST;
}

/* The spin's test: has the ring from the peer moved? */
static int
p2p_arrived(fb_comm *c, const void *arg)
{
	return shm_pending(c, ((const struct p2p_want *)arg)->peer);
}

static int
p2p_matched(fb_comm *c, const void *arg)
{
	const struct p2p_want *w = arg;

	shm_wait(c, (int)w->peer);	/* a new sleep, should we sleep */
	if (shm_drain(c, w->peer) != 0)
		return 0;	/* io_wait reports c->failed */
	return mq_find(c, w->peer, w->tag) != NULL || mq_left(c, w->peer);
}

int
fb_recv(fb_comm *comm, void *buf, size_t len, int peer, int tag)
{
	uint8_t frame[WIRE_HDR_LEN];
	struct iovec iov = { frame, sizeof frame };
	struct p2p_want w;
	struct msgq **pp, *q;
	uint64_t start = clock_mono_ns(), deadline, grace;
	int rc;

	if ((rc = p2p_check(comm, "recv from", buf, len, peer, tag)) != 0)
		return rc;
	w.peer = (uint32_t)peer;
	w.tag = (uint32_t)tag;
	deadline = io_deadline_from(comm, start);
	if ((rc = shm_drain(comm, w.peer)) != 0)
		return rc;
	if ((pp = mq_find(comm, w.peer, w.tag)) == NULL) {
		if (mq_left(comm, w.peer))
			return comm_error(comm, FB_E_PEER_LOST, "recv from "
			    "rank %d tag %d: it left the job and sent no such "
			    "message", peer, tag);
		/* Most receives are answered within microseconds: only one
		 * that is still waiting after a grace period (or whose peer
		 * the table says is gone) asks the daemon to say at once if
		 * the peer leaves, and says when it is done. */
		grace = start + P2P_WAIT_GRACE_NS < deadline ?
		    start + P2P_WAIT_GRACE_NS : deadline;
		if (p2p_peer_gone_hint(comm, w.peer))
			grace = start;
		/* With a CPU for each local rank: the adaptive spin on the
		 * ring from peer (coll.c), no doorbell rung meanwhile; with
		 * fewer, one yield of the CPU to the ranks that wait for it,
		 * the peer perhaps among them. */
		else if (comm->shm && (coll_spin_wait(comm, &comm->recv_spin,
		    p2p_arrived, &w) || coll_yield(comm, p2p_arrived, &w))) {
			if ((rc = shm_drain(comm, w.peer)) != 0)
				return rc;
			if ((pp = mq_find(comm, w.peer, w.tag)) != NULL)
				goto take;
		}
		/* From here a sender rings our doorbell. */
		shm_wait(comm, peer);
		rc = grace > start ? io_wait(comm, grace, p2p_matched, &w) :
		    FB_E_TIMEOUT;
		if (rc == FB_E_TIMEOUT && grace < deadline) {
			wire_encode_empty(frame, WIRE_WAIT, w.peer);
			if ((rc = io_write(comm, &iov, 1, deadline)) != 0) {
				shm_wait(comm, -1);
				return rc;
			}
			rc = io_wait(comm, deadline, p2p_matched, &w);
			wire_encode_empty(frame, WIRE_WAIT, WIRE_NO_RANK);
			if (!comm->failed)
				io_write(comm, &iov, 1, clock_mono_ns() +
				    P2P_WAIT_GRACE_NS);
		}
		shm_wait(comm, -1);
		if (rc == FB_E_TIMEOUT)
			return comm_error(comm, FB_E_TIMEOUT, "recv from rank "
			    "%d tag %d timed out after %d ms: nothing arrived",
			    peer, tag, io_ms_since(start));
		if (rc != 0)
			return rc;
		if ((pp = mq_find(comm, w.peer, w.tag)) == NULL)
			return comm_error(comm, FB_E_PEER_LOST, "recv from "
			    "rank %d tag %d: it left the job and sent no such "
			    "message", peer, tag);
	}
take:
	q = *pp;
	if (q->len != len)
		return comm_error(comm, FB_E_MISMATCH, "recv from rank %d tag "
		    "%d: the message has %u bytes, the buffer %zu (the "
		    "message stays queued)", peer, tag, q->len, len);
	if (len > 0)		/* buf may be NULL for an empty message */
		memcpy(buf, q->data, len);
	mq_take(comm, pp);
	return 0;
}
