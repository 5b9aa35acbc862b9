/*
 * rtab.c - the job's rank table: map the memfd the daemon passed with
 * JOIN_ACK, check its header before trusting any offset in it, and wait on
 * the socket and the job's eventfd together (epoll) for shared-memory
 * collectives.
 */
#include <sys/epoll.h>
#include <sys/mman.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

/*
 * The epoll set that waits on the socket (level) and, once mapped, the
 * job's eventfd (edge).  fb_comm_init makes it while the daemon handles the
 * JOIN, so that only the eventfd is left to add when JOIN_ACK comes.
 */
int
rtab_epoll_open(fb_comm *comm)
{
	struct epoll_event ev;

	comm->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (comm->epfd == -1)
		return comm_fail(comm, FB_E_SYS, "epoll: %s", strerror(errno));
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.fd = comm->fd;
	if (epoll_ctl(comm->epfd, EPOLL_CTL_ADD, comm->fd, &ev) == -1)
		return comm_fail(comm, FB_E_SYS, "epoll: %s", strerror(errno));
	return 0;
}

static int
rtab_epoll(fb_comm *comm)
{
	struct epoll_event ev;

	if (comm->epfd == -1 && rtab_epoll_open(comm) != 0)
		return -1;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = comm->evfd;
	return epoll_ctl(comm->epfd, EPOLL_CTL_ADD, comm->evfd, &ev);
}

/* A word of the header, read once: the compiler must not read it again. */
#define RTAB_LOAD(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

/*
 * Takes tabfd (closed here) and evfd (kept, -1 if none).  The header lies
 * in the part every rank of the job may write, and a rank that joins late
 * maps what the others made of it: each word is read once, checked without
 * overflow (n <= FB_MAX_NRANKS), and only the checked copies are used.
 */
int
rtab_map(fb_comm *comm, const struct wire_join_ack *m, int tabfd, int evfd)
{
	const struct table_hdr *h;
	uint64_t size = m->table_size, ctl = m->ctl_size;
	uint64_t data_off, slot, p2p_off, ring, n = (uint64_t)comm->nranks;
	void *t;

	t = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    tabfd, 0);
	close(tabfd);
	comm->evfd = evfd;
	if (t == MAP_FAILED)
		return comm_fail(comm, FB_E_SYS, "mmap of the %llu-byte rank "
		    "table: %s", (unsigned long long)size, strerror(errno));
	h = t;
	data_off = RTAB_LOAD(h->data_off);
	slot = RTAB_LOAD(h->slot_bytes);
	p2p_off = RTAB_LOAD(h->p2p_off);
	ring = RTAB_LOAD(h->ring_bytes);
	if (RTAB_LOAD(h->magic) != TABLE_MAGIC ||
	    RTAB_LOAD(h->version) != TABLE_VERSION ||
	    RTAB_LOAD(h->nranks) != n || RTAB_LOAD(h->table_size) != size ||
	    ctl < sizeof *h + n * sizeof(struct table_rank) || ctl > size ||
	    data_off < ctl || data_off > size || data_off % 64 != 0 ||
	    slot == 0 || slot % 64 != 0 || slot > (size - data_off) / (2 * n)) {
		munmap(t, (size_t)size);
		return comm_fail(comm, FB_E_PROTO, "the rank table's header "
		    "is inconsistent (data part of 2 x %llu slots of %llu "
		    "bytes at %llu in %llu bytes): fastbootd made it so, or "
		    "a rank of the job wrote over it", (unsigned long long)n,
		    (unsigned long long)slot, (unsigned long long)data_off,
		    (unsigned long long)size);
	}
	/* The p2p part (absent when ring is 0). */
	if (ring != 0 && (!ring_size_ok(ring) || p2p_off % 64 != 0 ||
	    p2p_off < data_off + 2 * slot * n || p2p_off > size ||
	    n * n > (size - p2p_off) / ring)) {
		munmap(t, (size_t)size);
		return comm_fail(comm, FB_E_PROTO, "the rank table's p2p part "
		    "(%llu rings of %llu bytes at %llu) does not fit its %llu "
		    "bytes", (unsigned long long)(n * n),
		    (unsigned long long)ring, (unsigned long long)p2p_off,
		    (unsigned long long)size);
	}
	comm->table = t;
	comm->table_size = (size_t)size;
	comm->hdr = t;
	comm->trank = (struct table_rank *)(comm->hdr + 1);
	comm->data = (uint8_t *)t + data_off;
	comm->slot_bytes = slot;
	if (shm_init(comm, p2p_off, ring) == -1)
		return comm_fail(comm, FB_E_NOMEM, "out of memory");
	if (!comm->daemon_coll && comm->evfd == -1)
		return comm_fail(comm, FB_E_PROTO, "fastbootd passed no "
		    "eventfd for shared-memory collectives");
	/* Across nodes the release may come through the table too
	 * (TABLE_NODE_ARRIVE, known at READY): set up while the other nodes
	 * join. */
	if ((!comm->daemon_coll || (comm->multinode && comm->evfd != -1)) &&
	    rtab_epoll(comm) == -1)
		return comm->failed ? comm->failed : comm_fail(comm, FB_E_SYS,
		    "epoll: %s", strerror(errno));
	return 0;
}

void
rtab_unmap(fb_comm *c)
{
	if (c->evfd != -1)
		close(c->evfd);
	if (c->epfd != -1)
		close(c->epfd);
	if (c->table != NULL)
		munmap(c->table, c->table_size);
	c->evfd = c->epfd = -1;
	c->table = NULL;
}
