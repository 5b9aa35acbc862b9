/*
 * table.c - a job's shared-memory rank table: a memfd sealed against
 * resizing, never named in /dev/shm, passed to the job's ranks only.  The
 * daemon maps only the control part (header and rank records) and writes
 * it; it never reads what ranks wrote.  See wire/table.h for the layout.
 */
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
