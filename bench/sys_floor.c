/*
 * sys_floor.c - the shared-memory floor: a futex barrier and a shared-table
 * allgather/alltoall among the job's ranks on one node, with no daemon.  It is
 * the physical limit of the machine, against which every figure can be read.
 *
 * Bootstrap: rank 0 creates a POSIX shared-memory segment with a random name,
 * broadcasts the name with MPI_Bcast, every rank maps it, the first futex
 * barrier completes, then rank 0 unlinks the name.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/futex.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "wire/clock.h"
#include "bench/bench.h"

#define FLOOR_MAX_SLICE		(1u << 20)
#define FLOOR_MAX_PEER		(4u << 10)
#define FLOOR_MAX_MSG		(4u << 10)
#define FLOOR_DEADLINE_US	30e6

struct floor_hdr {
	_Atomic uint32_t	count;
	_Atomic uint32_t	gen;
	char			pad[56];
};

struct floor_mbox {
	_Atomic uint32_t	full;
	uint32_t		len;
	char			pad[56];
	unsigned char		data[FLOOR_MAX_MSG];
};

struct floor {
	unsigned char		*base;
	size_t			 size;
	struct floor_hdr	*hdr;
	struct floor_mbox	*mbox;		/* one per receiving rank */
	unsigned char		*table[2];	/* nranks * FLOOR_MAX_SLICE */
	unsigned char		*a2a[2];	/* nranks^2 * FLOOR_MAX_PEER */
	unsigned		 parity;
};

static long
sys_floor_futex(_Atomic uint32_t *w, int op, uint32_t val,
    const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)w, op, val, ts, NULL, 0);
}

/* Wait while *w == val, in the kernel, bounded by the deadline. */
static int
sys_floor_wait(_Atomic uint32_t *w, uint32_t val, double end,
    char *err, size_t errlen, const char *what)
{
	struct timespec ts = { 1, 0 };

	while (atomic_load_explicit(w, memory_order_acquire) == val) {
		if (bench_now_us() > end) {
			snprintf(err, errlen, "%s: timed out after %.0f s",
			    what, FLOOR_DEADLINE_US / 1e6);
			return -1;
		}
		if (sys_floor_futex(w, FUTEX_WAIT, val, &ts) == -1 &&
		    errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
			snprintf(err, errlen, "%s: futex: %s", what,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
sys_floor_barrier(void *h, char *err, size_t errlen)
{
	struct floor *f = h;
	uint32_t gen;

	gen = atomic_load_explicit(&f->hdr->gen, memory_order_acquire);
	if (atomic_fetch_add_explicit(&f->hdr->count, 1,
	    memory_order_acq_rel) == (uint32_t)bench_nranks - 1) {
		atomic_store_explicit(&f->hdr->count, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&f->hdr->gen, 1,
		    memory_order_release);
		sys_floor_futex(&f->hdr->gen, FUTEX_WAKE, INT_MAX, NULL);
		return 0;
	}
	return sys_floor_wait(&f->hdr->gen, gen, bench_now_us() +
	    FLOOR_DEADLINE_US, err, errlen, "floor barrier");
}

static int
sys_floor_boot(void **h, char *err, size_t errlen)
{
	struct floor *f;
	char name[64];
	size_t n = (size_t)bench_nranks, off;
	int fd = -1, rc = 0;

	if ((f = calloc(1, sizeof *f)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	off = sizeof *f->hdr;
	off += n * sizeof *f->mbox;
	f->size = off + 2 * n * FLOOR_MAX_SLICE + 2 * n * n * FLOOR_MAX_PEER;
	if (bench_rank == 0) {
		snprintf(name, sizeof name, "/fbbench-floor.%d.%lx",
		    (int)getpid(), (unsigned long)clock_mono_ns() ^ random());
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (fd == -1 || ftruncate(fd, (off_t)f->size) == -1)
			rc = -1;
	}
	MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (rc != 0) {
		snprintf(err, errlen, "shm_open on rank 0 failed");
		if (fd != -1) {
			close(fd);
			shm_unlink(name);
		}
		free(f);
		return -1;
	}
	MPI_Bcast(name, sizeof name, MPI_CHAR, 0, MPI_COMM_WORLD);
	bench_id_us = bench_now_us();
	if (bench_rank != 0)
		fd = shm_open(name, O_RDWR | O_CLOEXEC, 0600);
	if (fd != -1) {
		f->base = mmap(NULL, f->size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
		close(fd);
	}
	if (fd == -1 || f->base == MAP_FAILED) {
		/* The others would wait at the barrier until its deadline. */
		snprintf(err, errlen, "map %s: %s", name, strerror(errno));
		free(f);
		return -1;
	}
	f->hdr = (struct floor_hdr *)f->base;
	f->mbox = (struct floor_mbox *)(f->base + sizeof *f->hdr);
	f->table[0] = f->base + off;
	f->table[1] = f->table[0] + n * FLOOR_MAX_SLICE;
	f->a2a[0] = f->table[1] + n * FLOOR_MAX_SLICE;
	f->a2a[1] = f->a2a[0] + n * n * FLOOR_MAX_PEER;
	if (sys_floor_barrier(f, err, errlen) != 0) {
		munmap(f->base, f->size);
		free(f);
		return -1;
	}
	if (bench_rank == 0)
		shm_unlink(name);
	*h = f;
	return 0;
}

static int
sys_floor_fini(void *h)
{
	struct floor *f = h;

	munmap(f->base, f->size);
	free(f);
	return 0;
}

/* Write our slice into this op's table, barrier, read all slices. */
static int
sys_floor_allgather(void *h, void *buf, size_t bytes, char *err,
    size_t errlen)
{
	struct floor *f = h;
	unsigned char *t = f->table[f->parity++ & 1];
	size_t r = (size_t)bench_rank;

	if (bytes > FLOOR_MAX_SLICE) {
		snprintf(err, errlen, "allgather: %zu bytes over the limit",
		    bytes);
		return -1;
	}
	memcpy(t + r * bytes, (unsigned char *)buf + r * bytes, bytes);
	if (sys_floor_barrier(f, err, errlen) != 0)
		return -1;
	bench_copy_others(buf, t, bytes);
	return 0;
}

static int
sys_floor_alltoall(void *h, const void *sbuf, void *rbuf, size_t bytes,
    char *err, size_t errlen)
{
	struct floor *f = h;
	unsigned char *t = f->a2a[f->parity++ & 1];
	size_t n = (size_t)bench_nranks, r = (size_t)bench_rank, p;

	if (bytes > FLOOR_MAX_PEER) {
		snprintf(err, errlen, "alltoall: %zu bytes over the limit",
		    bytes);
		return -1;
	}
	/* Row r holds what r sends: cell (r, p) goes to p. */
	memcpy(t + r * n * bytes, sbuf, n * bytes);
	if (sys_floor_barrier(f, err, errlen) != 0)
		return -1;
	for (p = 0; p < n; p++)
		memcpy((unsigned char *)rbuf + p * bytes,
		    t + (p * n + r) * bytes, bytes);
	return 0;
}

static int
sys_floor_send(struct floor *f, const void *buf, size_t len, int peer,
    char *err, size_t errlen)
{
	struct floor_mbox *mb = &f->mbox[peer];

	if (sys_floor_wait(&mb->full, 1, bench_now_us() + FLOOR_DEADLINE_US,
	    err, errlen, "floor send") != 0)
		return -1;
	memcpy(mb->data, buf, len);
	mb->len = (uint32_t)len;
	atomic_store_explicit(&mb->full, 1, memory_order_release);
	sys_floor_futex(&mb->full, FUTEX_WAKE, INT_MAX, NULL);
	return 0;
}

static int
sys_floor_recv(struct floor *f, void *buf, size_t len, char *err, size_t errlen)
{
	struct floor_mbox *mb = &f->mbox[bench_rank];

	if (sys_floor_wait(&mb->full, 0, bench_now_us() + FLOOR_DEADLINE_US,
	    err, errlen, "floor recv") != 0)
		return -1;
	memcpy(buf, mb->data, len < mb->len ? len : mb->len);
	atomic_store_explicit(&mb->full, 0, memory_order_release);
	sys_floor_futex(&mb->full, FUTEX_WAKE, INT_MAX, NULL);
	return 0;
}

static int
sys_floor_pingpong(void *h, void *buf, size_t len, int peer, char *err,
    size_t errlen)
{
	struct floor *f = h;

	if (len > FLOOR_MAX_MSG) {
		snprintf(err, errlen, "pingpong: %zu bytes over the limit",
		    len);
		return -1;
	}
	if (bench_rank < peer) {
		if (sys_floor_send(f, buf, len, peer, err, errlen) != 0)
			return -1;
		return sys_floor_recv(f, buf, len, err, errlen);
	}
	if (sys_floor_recv(f, buf, len, err, errlen) != 0)
		return -1;
	return sys_floor_send(f, buf, len, peer, err, errlen);
}

/*
 * Endpoint exchange (bench.h) at the floor: every message goes straight
 * into its cell of the alltoall table, one futex barrier publishes them
 * all, and the operation's own barrier ends it.
 */
static int
sys_floor_exchange(void *h, const void *sbuf, void *rbuf, char *err,
    size_t errlen)
{
	_Static_assert(BENCH_EXCH_BYTES <= FLOOR_MAX_PEER,
	    "an exchange cell fits the alltoall table");

	if (sys_floor_alltoall(h, sbuf, rbuf, BENCH_EXCH_BYTES, err,
	    errlen) != 0)
		return -1;
	return sys_floor_barrier(h, err, errlen);
}

const struct bench_sys sys_floor = {
	.name = "shm-floor",
	.boot_what = "shm_open (rank 0) -> MPI_Bcast of the name -> mmap -> "
	    "first futex barrier",
	.boot = sys_floor_boot,
	.fini = sys_floor_fini,
	.barrier = sys_floor_barrier,
	.allgather = sys_floor_allgather,
	.alltoall = sys_floor_alltoall,
	.pingpong = sys_floor_pingpong,
	.exchange = sys_floor_exchange,
};
