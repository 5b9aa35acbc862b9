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

int
table_create(struct job *j)
{
	struct table_hdr *h;
	uint64_t slot, data;
	int fd, saved;

	if (table_page == 0)
		table_page = (uint64_t)sysconf(_SC_PAGESIZE);
	slot = table_slot_bytes(j->nranks);
	j->ctl_size = table_ctl_size(j->nranks, table_page);
	data = 2 * slot * j->nranks;
	j->table_size = j->ctl_size + data;

	fd = memfd_create("fastboot-job", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return -1;
	/* Sparse: pages cost memory only once a collective touches them. */
	if (ftruncate(fd, (off_t)j->table_size) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == -1)
		goto fail;
	h = mmap(NULL, j->ctl_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		goto fail;
	/* Never read: ranks wait for its writes with EPOLLET. */
	j->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (j->evfd == -1) {
		saved = errno;
		munmap(h, j->ctl_size);
		errno = saved;
		goto fail;
	}
	h->magic = TABLE_MAGIC;
	h->version = TABLE_VERSION;
	h->nranks = j->nranks;
	h->job_id = j->id;
	h->ctl_size = j->ctl_size;
	h->data_off = j->ctl_size;
	h->slot_bytes = slot;
	h->table_size = j->table_size;
	h->created_ns = util_wall_ns();
	j->tab = h;
	j->trank = (struct table_rank *)(h + 1);
	j->memfd = fd;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

void
table_destroy(struct job *j)
{
	if (j->tab != NULL)
		munmap(j->tab, j->ctl_size);
	if (j->memfd != -1)
		close(j->memfd);
	if (j->evfd != -1)
		close(j->evfd);
	j->evfd = -1;
	j->tab = NULL;
	j->trank = NULL;
	j->memfd = -1;
}

void
table_set_rank(struct job *j, uint32_t rank, uint32_t state,
    const struct conn *c)
{
	struct table_rank *tr = &j->trank[rank];

	if (state == TABLE_RANK_JOINED) {
		tr->pid = c->pid;
		tr->uid = c->uid;
		tr->local_rank = rank;
		tr->joined_ns = util_now_ns();
		__atomic_store_n(&j->tab->joined, j->joined, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&tr->state, state, __ATOMIC_RELEASE);
}

void
table_set_arrived(struct job *j, uint32_t rank, uint64_t seq)
{
	__atomic_store_n(&j->trank[rank].arrived, seq, __ATOMIC_RELEASE);
}

void
table_set_failed(struct job *j, int code)
{
	__atomic_store_n(&j->tab->failed, (uint32_t)-code, __ATOMIC_RELEASE);
}

/* Publish a clean departure before looking for a collective it would
 * block (the ranks check nleft after adding themselves to count). */
void
table_set_left(struct job *j)
{
	__atomic_store_n(&j->tab->nleft, j->nleft, __ATOMIC_SEQ_CST);
}

/*
 * Is a shared-memory collective under way?  Reads what ranks wrote, so the
 * answer is only ever shown or used to fail the ranks' own job.
 */
int
table_pending(const struct job *j, uint32_t *gen)
{
	*gen = __atomic_load_n(&j->tab->gen, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&j->tab->count, __ATOMIC_SEQ_CST) != 0;
}

/* Has rank not yet arrived at shared-memory collective gen + 1? */
int
table_missed(const struct job *j, uint32_t rank, uint32_t gen)
{
	return __atomic_load_n(&j->trank[rank].arrived, __ATOMIC_ACQUIRE) !=
	    (uint64_t)gen + 1;
}

/* When the pending shared-memory collective began (a rank's word). */
uint64_t
table_since(const struct job *j, uint64_t now)
{
	uint64_t t = __atomic_load_n(&j->tab->since_ns, __ATOMIC_ACQUIRE);

	return t > now ? now : t;
}
