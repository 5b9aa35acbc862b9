/*
 * table.c - a job's shared-memory rank table: a memfd sealed against
 * resizing, never named in /dev/shm, passed to the job's ranks only.  The
 * daemon maps only the control part (header and rank records) and writes
 * it; it never reads what ranks wrote.  See wire/table.h for the layout.
 */
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fastbootd.h"

static uint64_t table_page;

/*
 * One table made ahead, off the bootstrap's path, for the next job's first
 * JOIN: at startup, and when a job ends, for that job's size (the sizes of
 * a node's jobs tend to repeat).  Never a table a job used: each job gets
 * a memfd no other process has seen.  Its two descriptors come out of the
 * daemon's own reserve (doc/limits.md); a job that takes it is charged for
 * them as for a table made at its JOIN.
 */
static struct table table_spare = { -1, -1, 0, 0, NULL, NULL };
static int table_spare_off;	/* stopping: the jobs freed now make none */

static int
table_make(struct table *t, uint32_t nranks)
{
	struct table_hdr *h;
	uint64_t slot, data, ring;
	int fd, saved;

	memset(t, 0, sizeof *t);
	t->memfd = t->evfd = -1;
	if (table_page == 0)
		table_page = (uint64_t)sysconf(_SC_PAGESIZE);
	slot = table_slot_bytes(nranks);
	t->ctl_size = table_ctl_size(nranks, table_page);
	data = 2 * slot * nranks;
	ring = table_ring_bytes(nranks);
	t->size = t->ctl_size + data + ring * nranks * nranks;

	fd = memfd_create("fastboot-job", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return -1;
	/* Sparse: pages cost memory only once a collective touches them. */
	if (ftruncate(fd, (off_t)t->size) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == -1)
		goto fail;
	h = mmap(NULL, t->ctl_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		goto fail;
	/* Never read: ranks wait for its writes with EPOLLET. */
	t->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->evfd == -1) {
		saved = errno;
		munmap(h, t->ctl_size);
		errno = saved;
		goto fail;
	}
	h->magic = TABLE_MAGIC;
	h->version = TABLE_VERSION;
	h->nranks = nranks;
	h->ctl_size = t->ctl_size;
	h->data_off = t->ctl_size;
	h->slot_bytes = slot;
	h->p2p_off = t->ctl_size + data;
	h->ring_bytes = ring;
	h->table_size = t->size;
	t->hdr = h;
	t->rank = (struct table_rank *)(h + 1);
	t->memfd = fd;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* A table for a new job: the spare if it has the job's size, else made
 * now (a memfd, its size and seals, the control part mapped, an eventfd). */
int
table_create(struct table *t, uint32_t nranks, uint32_t job_id)
{
	if (table_spare.hdr != NULL && table_spare.hdr->nranks == nranks) {
		*t = table_spare;
		table_spare.memfd = table_spare.evfd = -1;
		table_spare.hdr = NULL;
		table_spare.rank = NULL;
	} else if (table_make(t, nranks) == -1)
		return -1;
	t->hdr->job_id = job_id;
	t->hdr->created_ns = clock_wall_ns();
	return 0;
}

/* Make the spare for jobs of nranks, unless it is there (a failure only
 * means the next job makes its own). */
void
table_spare_fill(uint32_t nranks)
{
	if (table_spare_off)
		return;
	if (table_spare.hdr != NULL) {
		if (table_spare.hdr->nranks == nranks)
			return;
		table_destroy(&table_spare);
	}
	if (table_make(&table_spare, nranks) == -1) {
		log_debug("no spare table for %u ranks: %s", nranks,
		    strerror(errno));
		table_spare.memfd = table_spare.evfd = -1;
	}
}

/* For good: the daemon is stopping. */
void
table_spare_free(void)
{
	table_spare_off = 1;
	if (table_spare.hdr != NULL)
		table_destroy(&table_spare);
}

void
table_destroy(struct table *t)
{
	if (t->hdr != NULL)
		munmap(t->hdr, t->ctl_size);
	if (t->memfd != -1)
		close(t->memfd);
	if (t->evfd != -1)
		close(t->evfd);
	t->evfd = -1;
	t->hdr = NULL;
	t->rank = NULL;
	t->memfd = -1;
}

void
table_set_rank(struct table *t, uint32_t rank, uint32_t state,
    const struct conn_cred *who, uint32_t joined)
{
	struct table_rank *tr = &t->rank[rank];

	if (state == TABLE_RANK_JOINED) {
		tr->pid = who->pid;
		tr->uid = who->uid;
		tr->local_rank = rank;
		tr->joined_ns = clock_mono_ns();
		__atomic_store_n(&t->hdr->joined, joined, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&tr->state, state, __ATOMIC_RELEASE);
}

void
table_set_arrived(struct table *t, uint32_t rank, uint64_t seq)
{
	__atomic_store_n(&t->rank[rank].arrived, seq, __ATOMIC_RELEASE);
}

void
table_set_failed(struct table *t, int code)
{
	__atomic_store_n(&t->hdr->failed, (uint32_t)-code, __ATOMIC_RELEASE);
}

/* Publish a clean departure before looking for a collective it would
 * block (the ranks check nleft after adding themselves to count). */
void
table_set_left(struct table *t, uint32_t nleft)
{
	__atomic_store_n(&t->hdr->nleft, nleft, __ATOMIC_SEQ_CST);
}

/*
 * Every rank of a job on one node joined: ranks that take READY through
 * the table (WIRE_ACK_TABLE_READY) see the word once they mapped it.  The
 * wake word (TABLE_WAKE_*) goes first: every rank reads it once READY
 * came, as the word or as a frame sent after this.
 */
void
table_set_ready(struct table *t, uint32_t wake)
{
	__atomic_store_n(&t->hdr->wake, wake, __ATOMIC_RELAXED);
	__atomic_store_n(&t->hdr->ready, 1, __ATOMIC_RELEASE);
}

/* A job across nodes: the wake word (TABLE_NODE_ARRIVE), before READY. */
void
table_set_wake(struct table *t, uint32_t wake)
{
	__atomic_store_n(&t->hdr->wake, wake, __ATOMIC_RELEASE);
}

/*
 * A node's ranks arrive through the table (TABLE_NODE_ARRIVE): what rank
 * wrote of its last arrival.  The ranks' words: the daemon only compares
 * them, and a rank that scribbles fails its own job.
 */
uint64_t
table_arrival(const struct table *t, uint32_t rank, uint32_t *kind,
    uint64_t *bytes)
{
	uint64_t seq = __atomic_load_n(&t->rank[rank].arrived,
	    __ATOMIC_ACQUIRE);

	*kind = __atomic_load_n(&t->rank[rank].kind, __ATOMIC_RELAXED);
	*bytes = __atomic_load_n(&t->rank[rank].bytes, __ATOMIC_RELAXED);
	return seq;
}

/* Collective seq is complete: publish it and wake the node's ranks, all
 * asleep on the eventfd, with one write. */
void
table_release(struct table *t, uint32_t seq)
{
	__atomic_store_n(&t->hdr->gen, seq, __ATOMIC_SEQ_CST);
	table_wake(t);
}

/* Wake every rank asleep on the job's eventfd (they never read it: each
 * write is an edge for all of them). */
void
table_wake(struct table *t)
{
	uint64_t one = 1;

	if (write(t->evfd, &one, sizeof one) == -1 && errno != EAGAIN)
		log_warn("job %u: eventfd", t->hdr->job_id);
}

/* Shared-memory collectives completed (0 once the table is gone). */
uint32_t
table_gen(const struct table *t)
{
	return t->hdr != NULL ?
	    __atomic_load_n(&t->hdr->gen, __ATOMIC_ACQUIRE) : 0;
}

/*
 * Is a shared-memory collective under way?  Reads what ranks wrote, so the
 * answer is only ever shown or used to fail the ranks' own job.
 */
int
table_pending(const struct table *t, uint32_t *gen)
{
	*gen = __atomic_load_n(&t->hdr->gen, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&t->hdr->count, __ATOMIC_SEQ_CST) != 0;
}

/* Has rank not yet arrived at shared-memory collective gen + 1? */
int
table_missed(const struct table *t, uint32_t rank, uint32_t gen)
{
	return __atomic_load_n(&t->rank[rank].arrived, __ATOMIC_ACQUIRE) !=
	    (uint64_t)gen + 1;
}

/* When the pending shared-memory collective began (a rank's word). */
uint64_t
table_since(const struct table *t, uint64_t now)
{
	uint64_t ts = __atomic_load_n(&t->hdr->since_ns, __ATOMIC_ACQUIRE);

	return ts > now ? now : ts;
}
