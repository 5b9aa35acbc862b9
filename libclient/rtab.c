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

/* Takes tabfd (closed here) and evfd (kept, -1 if none). */
int
rtab_map(fb_comm *comm, const struct wire_join_ack *m, int tabfd, int evfd)
{
	const struct table_hdr *h;
	uint64_t p2p_off, ring, n;
	void *t;

	t = mmap(NULL, (size_t)m->table_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, tabfd, 0);
	close(tabfd);
	comm->evfd = evfd;
	if (t == MAP_FAILED)
		return comm_fail(comm, FB_E_SYS, "mmap of the %llu-byte rank "
		    "table: %s", (unsigned long long)m->table_size,
		    strerror(errno));
	h = t;
	if (h->magic != TABLE_MAGIC || h->version != TABLE_VERSION ||
	    h->nranks != (uint32_t)comm->nranks || h->table_size !=
	    m->table_size || h->data_off < m->ctl_size ||
	    h->slot_bytes == 0 || h->data_off + 2 * h->slot_bytes *
	    h->nranks > m->table_size) {
		munmap(t, (size_t)m->table_size);
		return comm_fail(comm, FB_E_PROTO, "the rank table's header "
		    "is inconsistent");
	}
	/* The p2p part: read once, checked, kept in the handle (ranks can
	 * write the header afterwards). */
	n = h->nranks;
	p2p_off = h->p2p_off;
	ring = h->ring_bytes;
	if (ring != 0 && (!ring_size_ok(ring) || p2p_off <
	    h->data_off + 2 * h->slot_bytes * n || p2p_off > m->table_size ||
	    n * n * ring > m->table_size - p2p_off)) {
		munmap(t, (size_t)m->table_size);
		return comm_fail(comm, FB_E_PROTO, "the rank table's p2p part "
		    "(%llu rings of %llu bytes at %llu) does not fit its %llu "
		    "bytes", (unsigned long long)(n * n),
		    (unsigned long long)ring, (unsigned long long)p2p_off,
		    (unsigned long long)m->table_size);
	}
	comm->table = t;
	comm->table_size = (size_t)m->table_size;
	comm->hdr = t;
	comm->trank = (struct table_rank *)(comm->hdr + 1);
	comm->data = (uint8_t *)t + h->data_off;
	comm->slot_bytes = h->slot_bytes;
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
