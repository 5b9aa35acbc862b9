/*
 * shm.c - send/recv between ranks of one node through rings in the rank
 * table's p2p part (wire/ring.h), with the daemon path as the spill.
 *
 *  - fb_send puts the message into the ring from this rank to the peer
 *    and returns: no system call unless the peer sleeps in fb_recv
 *    waiting for this very sender, and then one datagram to its
 *    doorbell.  A message that does not fit (the ring is full, or the
 *    message is larger than a ring holds) spills to the daemon path
 *    (SEND/DELIVER), as does every message to a peer that has no
 *    doorbell.
 *  - Order per sender: each ring entry carries how many messages the
 *    sender had spilled to this receiver before it; the receiver takes an
 *    entry only once it has had that many DELIVERs from the sender, and
 *    takes the entries that came before a DELIVER before queueing it.
 *  - Doorbell: a datagram socket of each rank in the abstract namespace,
 *    named from the job, the rank and a random number the rank publishes
 *    in its table record only once the name is bound.  It is bound when
 *    the rank first sleeps in fb_recv, not at init (five system calls off
 *    the bootstrap of every rank that never needs one); until then the
 *    record holds SHM_BELL_UNBOUND, which lets senders use the rings, and
 *    a sender that finds its peer asleep without a doorbell wakes it
 *    through the job's eventfd.  A wake-up is only a hint (the ring is the
 *    message), so a stray datagram costs a look at the rings and nothing
 *    else.  fb_recv waits on it, the socket and the job's eventfd together
 *    (io.c's epoll), so a lost peer or daemon still ends the wait at
 *    once.
 *
 * Everything read from the table is checked (ring.c); a ring that breaks
 * its rules fails the receiving handle with FB_E_PROTO naming the sender.
 * Jobs on several nodes, jobs with FASTBOOT_COLLECTIVES=daemon or
 * FASTBOOT_P2P=daemon, and jobs over TABLE_P2P_MAX_RANKS use the daemon
 * path alone.
 */
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

/* A rank's bell before it first sleeps in fb_recv: rings in use, no
 * doorbell bound (never a bound bell's number). */
#define SHM_BELL_UNBOUND	UINT64_MAX

/* The ring from src to dst. */
static void *
shm_ring(const fb_comm *c, uint32_t src, uint32_t dst)
{
	return c->p2p + ((uint64_t)dst * (uint64_t)c->nranks + src) *
	    c->ring_bytes;
}

/* The doorbell's address: "\0fastboot/<job>/<rank>/<bell>". */
static socklen_t
shm_bell_addr(const fb_comm *c, uint32_t rank, uint64_t bell,
    struct sockaddr_un *sun)
{
	int n;

	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path + 1, sizeof sun->sun_path - 1,
	    "fastboot/%u/%u/%016llx", c->job_id, rank,
	    (unsigned long long)bell);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)n);
}

/* At the JOIN_ACK: the p2p part of a table that has one (rtab.c checked
 * that it lies inside the table), and the per-peer counters. */
int
shm_init(fb_comm *c, uint64_t p2p_off, uint64_t ring_bytes)
{
	size_t n = (size_t)c->nranks;

	c->bellfd = c->belltx = -1;
	c->spill_got = calloc(n, sizeof *c->spill_got);
	if (c->spill_got == NULL)
		return -1;
	if (ring_bytes == 0)
		return 0;
	c->p2p = (uint8_t *)c->table + p2p_off;
	c->ring_bytes = ring_bytes;
	c->ring_max = ring_max_msg(ring_bytes);
	c->tx_tail = calloc(n, sizeof *c->tx_tail);
	c->rx_head = calloc(n, sizeof *c->rx_head);
	c->spill_sent = calloc(n, sizeof *c->spill_sent);
	c->rung = calloc(n, sizeof *c->rung);
	if (c->tx_tail == NULL || c->rx_head == NULL ||
	    c->spill_sent == NULL || c->rung == NULL)
		return -1;
	return 0;
}

/*
 * Once the job's shape is known (READY, or a JOIN_ACK that says READY
 * comes through the table, while the others join): open the rings to the
 * others, if this handle may use them.  The doorbell comes later
 * (shm_bind).
 */
void
shm_start(fb_comm *c)
{
	if (c->p2p == NULL || c->daemon_coll || c->multinode ||
	    c->nnodes > 1 || c->epfd == -1)
		return;
	if (c->p2p_daemon) {
		comm_log(c, FB_LOG_DEBUG, "FASTBOOT_P2P=daemon: send/recv "
		    "through fastbootd");
		return;
	}
	c->shm = 1;
	__atomic_store_n(&c->trank[c->rank].bell, SHM_BELL_UNBOUND,
	    __ATOMIC_RELEASE);
}

/*
 * Before the first sleep in fb_recv: bind the doorbell, watch it, publish
 * it.  On failure (logged once) the record keeps SHM_BELL_UNBOUND and
 * senders wake this rank through the job's eventfd instead.
 */
static void
shm_bind(fb_comm *c)
{
	struct sockaddr_un sun;
	struct epoll_event ev;
	socklen_t len;
	uint64_t bell;
	int fd, tries;

	c->bell_tried = 1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		goto fail;
	for (tries = 0; tries < 4; tries++) {
		if (getrandom(&bell, sizeof bell, 0) != sizeof bell)
			goto fail;
		if (bell == 0 || bell == SHM_BELL_UNBOUND)
			continue;
		len = shm_bell_addr(c, (uint32_t)c->rank, bell, &sun);
		if (bind(fd, (struct sockaddr *)&sun, len) == 0)
			break;
		if (errno != EADDRINUSE)
			goto fail;
	}
	if (tries == 4)
		goto fail;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		goto fail;
	c->bellfd = fd;
	__atomic_store_n(&c->trank[c->rank].bell, bell, __ATOMIC_RELEASE);
	return;
fail:
	comm_log(c, FB_LOG_WARNING, "rank %d: no doorbell for shared-memory "
	    "send/recv (%s); senders wake it through the job's eventfd",
	    c->rank, strerror(errno));
	if (fd != -1)
		close(fd);
}

/* Leaving: from now on the others send to us through fastbootd, which
 * answers that we left. */
void
shm_stop(fb_comm *c)
{
	if (c->shm)
		__atomic_store_n(&c->trank[c->rank].bell, 0, __ATOMIC_SEQ_CST);
	c->shm = 0;
}

void
shm_free(fb_comm *c)
{
	shm_stop(c);
	if (c->bellfd != -1)
		close(c->bellfd);
	if (c->belltx != -1)
		close(c->belltx);
	c->bellfd = c->belltx = -1;
	c->shm = 0;
	free(c->tx_tail);
	free(c->rx_head);
	free(c->spill_sent);
	free(c->spill_got);
	free(c->rung);
	c->rung = NULL;
	c->tx_tail = c->rx_head = NULL;
	c->spill_sent = c->spill_got = NULL;
}

/* Wake peer, asleep in fb_recv.  A full doorbell is already ringing. */
static void
shm_ring_bell(fb_comm *c, uint32_t peer, uint64_t bell)
{
	struct sockaddr_un sun;
	socklen_t len = shm_bell_addr(c, peer, bell, &sun);
	char b = 0;
	uint64_t one = 1;

	if (bell == SHM_BELL_UNBOUND) {
		/* It sleeps without a doorbell (it could not bind one). */
		(void)!write(c->evfd, &one, sizeof one);
		return;
	}
	if (c->belltx == -1)
		c->belltx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
	if (c->belltx != -1 && (sendto(c->belltx, &b, 1, MSG_DONTWAIT |
	    MSG_NOSIGNAL, (struct sockaddr *)&sun, len) == 1 ||
	    errno == EAGAIN))
		return;
	/* Not reachable (another network namespace?): the job's eventfd
	 * wakes every rank that waits, the peer among them. */
	comm_log(c, FB_LOG_DEBUG, "doorbell of rank %u: %s; waking through "
	    "the job's eventfd", peer, strerror(errno));
	(void)!write(c->evfd, &one, sizeof one);
}

/*
 * Put a message for peer into the ring: 0 when it is there (and the peer
 * woken if it sleeps), 1 when it must go through fastbootd instead.
 */
int
shm_send(fb_comm *c, const void *buf, size_t len, uint32_t peer, uint32_t tag)
{
	uint64_t bell;
	uint32_t sleeps;
	int rc;

	if (!c->shm || len > c->ring_max)
		return 1;
	bell = __atomic_load_n(&c->trank[peer].bell, __ATOMIC_ACQUIRE);
	/* A peer that left (or is leaving) gets nothing more: fastbootd
	 * answers such a send with FB_E_PEER_LOST. */
	if (bell == 0 || mq_left(c, peer) || __atomic_load_n(
	    &c->trank[peer].state, __ATOMIC_ACQUIRE) != TABLE_RANK_JOINED)
		return 1;
	rc = ring_put(shm_ring(c, (uint32_t)c->rank, peer), c->ring_bytes,
	    &c->tx_tail[peer], tag, c->spill_sent[peer], buf, (uint32_t)len);
	if (rc == RING_ECORRUPT) {
		/* Rank peer scribbled over its ring's head: its loss. */
		comm_log(c, FB_LOG_WARNING, "ring to rank %u: its head is "
		    "out of range; sending through fastbootd", peer);
		return 1;
	}
	if (rc != RING_OK)
		return 1;
	/* Pairs with shm_wait(): either it sees the new tail, or we see
	 * that it sleeps, and then the doorbell it bound before that. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->trank[peer].p2p_waiting, __ATOMIC_ACQUIRE) !=
	    (uint32_t)c->rank + 1)
		return 0;
	/* Once per sleep: a second message (the 1 KiB after the 64 B) finds
	 * the doorbell rung for the sleep it would ring for. */
	sleeps = __atomic_load_n(&c->trank[peer].p2p_sleeps, __ATOMIC_ACQUIRE);
	if (sleeps != 0 && sleeps == c->rung[peer])
		return 0;
	if ((bell = __atomic_load_n(&c->trank[peer].bell,
	    __ATOMIC_ACQUIRE)) != 0) {
		shm_ring_bell(c, peer, bell);
		c->rung[peer] = sleeps;
	}
	return 0;
}

/* A message to peer went through fastbootd. */
void
shm_spilled(fb_comm *c, uint32_t peer)
{
	if (c->spill_sent != NULL)
		c->spill_sent[peer]++;
}

/*
 * Move what src's ring holds for us into the queue, up to the first entry
 * that must wait for a DELIVER, and at most one ring's worth: a sender
 * that refills the ring as fast as we empty it must not keep us here past
 * our deadline, nor fill our memory.  What is left is seen at the next
 * call (a waiting receiver is rung for what comes after its sleep count,
 * shm_wait).  0, or the handle's error.
 */
int
shm_drain(fb_comm *c, uint32_t src)
{
	struct ring_entry e;
	struct msgq *q;
	uint64_t head0;
	void *ring;
	int rc;

	if (!c->shm)
		return 0;
	ring = shm_ring(c, src, (uint32_t)c->rank);
	for (head0 = c->rx_head[src]; c->rx_head[src] - head0 <
	    c->ring_bytes;) {
		rc = ring_peek(ring, c->ring_bytes, c->rx_head[src], &e);
		if (rc == RING_EMPTY)
			return 0;
		if (rc != RING_OK)
			return comm_fail(c, FB_E_PROTO, "the shared-memory "
			    "ring from rank %u is corrupt at byte %llu: its "
			    "tail (%llu) or the entry there breaks the ring's "
			    "rules", src, (unsigned long long)c->rx_head[src],
			    (unsigned long long)__atomic_load_n(&((struct
			    ring_hdr *)ring)->tail, __ATOMIC_RELAXED));
		if (e.spilled < c->spill_got[src])
			return comm_fail(c, FB_E_PROTO, "the shared-memory "
			    "ring from rank %u is corrupt at byte %llu: its "
			    "entry comes after %u messages through fastbootd, "
			    "%u have come", src,
			    (unsigned long long)c->rx_head[src], e.spilled,
			    c->spill_got[src]);
		if (e.spilled > c->spill_got[src])
			return 0;	/* a DELIVER comes first */
		if ((q = malloc(sizeof *q + e.len)) == NULL)
			return comm_fail(c, FB_E_NOMEM, "no memory to queue "
			    "a %u-byte message from rank %u", e.len, src);
		q->src = src;
		q->tag = e.tag;
		q->len = e.len;
		ring_copy_out(ring, c->ring_bytes, c->rx_head[src], q->data,
		    e.len);
		ring_consume(ring, &c->rx_head[src], e.len);
		mq_push(c, q);
	}
	return 0;
}

/* Has src put something into its ring to us since we last drained it?
 * One load: fb_recv's spin (p2p.c) calls it in a loop. */
int
shm_pending(const fb_comm *c, uint32_t src)
{
	const struct ring_hdr *r = shm_ring(c, src, (uint32_t)c->rank);

	return __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) != c->rx_head[src];
}

/* decode.c: a DELIVER from q->src, in its place after the ring's entries. */
int
shm_deliver(fb_comm *c, struct msgq *q)
{
	int rc = shm_drain(c, q->src);

	mq_push(c, q);
	if (c->spill_got != NULL)
		c->spill_got[q->src]++;
	return rc;
}

/*
 * fb_recv may sleep until src's message comes (src >= 0), or is awake
 * again (-1).  Only src rings the bell: messages from others wait in their
 * rings without waking us.  Called before every look at the rings that can
 * precede a sleep (p2p.c's p2p_matched): each gets a new p2p_sleeps, so
 * that a sender rings at most once for it, and a ring drained since (the
 * look came after the drain) never stands for a sleep still to come.
 */
void
shm_wait(fb_comm *c, int src)
{
	struct table_rank *me;

	if (!c->shm)
		return;
	me = &c->trank[c->rank];
	if (src >= 0) {
		if (c->bellfd == -1 && !c->bell_tried)
			shm_bind(c);
		if (++c->p2p_sleeps == 0)
			c->p2p_sleeps = 1;	/* 0: "ring every time" */
		__atomic_store_n(&me->p2p_sleeps, c->p2p_sleeps,
		    __ATOMIC_RELAXED);
	}
	/* Release: a sender that sees us waiting sees our doorbell and our
	 * p2p_sleeps; the fence pairs with shm_send()'s. */
	__atomic_store_n(&me->p2p_waiting, (uint32_t)(src + 1),
	    __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#define SHM_BELL_BATCH	16

/* io.c: the doorbell rang; empty it (the rings say what came), usually in
 * one system call. */
void
shm_bell_drain(fb_comm *c)
{
	struct mmsghdr mm[SHM_BELL_BATCH];
	struct iovec iov[SHM_BELL_BATCH];
	char b[SHM_BELL_BATCH];
	int i;

	if (c->bellfd == -1)
		return;
	memset(mm, 0, sizeof mm);
	for (i = 0; i < SHM_BELL_BATCH; i++) {
		iov[i].iov_base = &b[i];
		iov[i].iov_len = 1;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (recvmmsg(c->bellfd, mm, SHM_BELL_BATCH, MSG_DONTWAIT, NULL) ==
	    SHM_BELL_BATCH)
		;
}
