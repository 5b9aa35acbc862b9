/*
 * coll.c - barrier, allgather and alltoall.  Each rank writes its part into
 * its slot of the shared rank table, then arrives:
 *
 *  - shared memory (the default): it adds itself to the table's count; the
 *    last to arrive checks that all agree, publishes the collective's number
 *    and writes the job's eventfd, which wakes every waiting rank at once.
 *    The daemon is not on this path; it stays the failure detector (a lost
 *    rank or the daemon's own death arrives on the socket the ranks wait on
 *    together with the eventfd).
 *  - daemon (FASTBOOT_COLLECTIVES=daemon): one 32-byte ARRIVE to fastbootd
 *    and one 16-byte RELEASE back.
 *
 * Then it reads the others' parts from the table.
 *
 * The adaptive wait: when the node has a CPU for every local rank, a rank
 * that waits for a shared-memory release first spins on the table for a
 * bounded time (FASTBOOT_SPIN_US, 50 us by default), then sleeps in epoll
 * as before.  A spin that ends without the release halves the bound for the
 * next wait; below 1 us the rank stops spinning for COLL_SPIN_REST
 * collectives, then tries the full bound again.  Oversubscribed (more local
 * ranks than CPUs), it never spins, but yields its CPU once before it
 * sleeps (coll_yield).  doc/decisions.md says why.  fb_recv (p2p.c) waits
 * the same way on the ring from its peer, with a bound of its own.
 *
 * The last rank to arrive writes the eventfd only when a rank may sleep
 * (coll_sleep, coll_release; wire/table.h's TABLE_WAKE_COUNTED).
 */
#include <sys/uio.h>

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
				/* Never joined: one that joined and then
				 * gave up (its own timeout, at about the
				 * same moment) is not missing. */
				miss = __atomic_load_n(&tr->state,
				    __ATOMIC_ACQUIRE) == TABLE_RANK_ABSENT;
			else
				/* Across nodes the table holds this node's
				 * ranks only; the daemon names the nodes. */
				miss = __atomic_load_n(&tr->arrived,
				    __ATOMIC_ACQUIRE) < seq &&
				    (c->nnodes <= 1 ||
				    __atomic_load_n(&tr->state,
				    __ATOMIC_ACQUIRE) == TABLE_RANK_JOINED);
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
		snprintf(buf, size, c->nnodes > 1 ? "(none of this node's)" :
		    "(none: the release is in flight)");
}

/* Tell the daemon this rank gives up, so that the others hear at once. */
void
coll_abort(fb_comm *c, int code, const char *why)
{
	uint8_t frame[WIRE_STATUS_FRAME_MAX];
	struct iovec iov;

	if (c->fd == -1)
		return;
	iov.iov_base = frame;
	iov.iov_len = wire_encode_status(frame, WIRE_ABORT, 0, code,
	    (uint32_t)c->rank, why);
	io_write(c, &iov, 1, clock_mono_ns() + 100000000u);
}

static int
coll_never(fb_comm *c, const void *arg);

/*
 * This rank gives up (its error is in c->err): tell the daemon.  Across
 * nodes only the daemons know which node is late: wait a moment for the
 * job's FAIL, whose text names it, and keep that text with our code.
 */
void
coll_give_up(fb_comm *c, int code)
{
	char mine[sizeof c->err];

	coll_abort(c, code, c->err);
	if (!c->multinode || c->fd == -1)
		return;
	snprintf(mine, sizeof mine, "%s", c->err);
	c->failed = 0;
	(void)io_wait(c, clock_mono_ns() + 200000000u, coll_never, NULL);
	if (!c->failed)
		snprintf(c->err, sizeof c->err, "%s", mine);
	c->failed = code;
}

#define COLL_SPIN_REST		64	/* waits asleep after a miss */
#define COLL_SPIN_MIN_NS	1000u	/* below: stop spinning a while */

/*
 * The CPUs this rank may run on.  One CPU means the launcher pinned each
 * rank to its own (mpirun --bind-to core), so the node's online CPUs
 * count: sysconf reads them from sysfs (three system calls, 15 us on the
 * project's VM), once per process.  fb_comm_init asks once per handle.
 */
long
coll_count_cpus(void)
{
	static long online;
	cpu_set_t set;
	long cpus = 0, n;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		cpus = CPU_COUNT(&set);
	if (cpus != 1)
		return cpus;
	if ((n = __atomic_load_n(&online, __ATOMIC_RELAXED)) <= 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		__atomic_store_n(&online, n, __ATOMIC_RELAXED);
	}
	return n;
}

/* Once the job's shape is known: may this rank spin?  Only if the node
 * has a CPU for every local rank (c->cpus, counted at init). */
void
coll_spin_setup(fb_comm *c)
{
	long cpus = c->cpus;

	memset(&c->coll_spin, 0, sizeof c->coll_spin);
	memset(&c->recv_spin, 0, sizeof c->recv_spin);
	c->yield_first = 0;
	if (c->spin_max_ns == 0 || c->daemon_coll || c->local_size < 2)
		return;
	if (cpus >= c->local_size)
		c->coll_spin.ns = c->recv_spin.ns = c->spin_max_ns;
	else
		c->yield_first = 1;
	comm_log(c, FB_LOG_DEBUG, "adaptive wait: %s (%d local ranks, %ld "
	    "CPUs)", c->coll_spin.ns ? "spin, then sleep" : "yield once, "
	    "then sleep", c->local_size, cpus);
}

/*
 * More local ranks than CPUs: before it sleeps, a rank hands its CPU once
 * to the ranks waiting for one (sched_yield), which are often the ones it
 * waits for; then looks again.  1: ready() says it need not sleep.  One
 * system call in place of a sleep, a wake-up and the waker's system call;
 * with nobody else runnable it returns at once.  Not a spin: once per
 * wait.
 */
int
coll_yield(fb_comm *c, int (*ready)(fb_comm *, const void *),
    const void *arg)
{
	if (!c->yield_first)
		return 0;
	c->yields++;
	sched_yield();
	if (!ready(c, arg))
		return 0;
	c->yield_hits++;
	return 1;
}

static inline void
coll_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * Spin on the table until ready() says so, the daemon marks the job
 * failed, or the bound s->ns passes.  1: ready.  The socket is not read
 * here: a lost peer is seen at most s->ns later, in io_wait().  ready()
 * must be cheap: a load or two of the table.
 */
int
coll_spin_wait(fb_comm *c, struct spin *s,
    int (*ready)(fb_comm *, const void *), const void *arg)
{
	uint64_t end;
	int i;

	if (s->ns == 0) {
		if (c->spin_max_ns != 0 && s->rest > 0 && --s->rest == 0)
			s->ns = c->spin_max_ns;
		return 0;
	}
	s->spins++;
	end = clock_mono_ns() + s->ns;
	do {
		for (i = 0; i < 32; i++) {
			if (ready(c, arg)) {
				s->hits++;
				s->ns = c->spin_max_ns;
				return 1;
			}
			coll_cpu_relax();
		}
		if (__atomic_load_n(&c->hdr->failed, __ATOMIC_RELAXED) != 0)
			return 0;
	} while (clock_mono_ns() < end);
	s->ns /= 2;
	if (s->ns < COLL_SPIN_MIN_NS) {
		s->ns = 0;
		s->rest = COLL_SPIN_REST;
	}
	return 0;
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

/* Is collective *arg published?  The spin's, the yield's and the sleep's
 * test; seq_cst for the sleep, after a sleeper counted itself (coll_sleep),
 * and on x86-64 and arm64 no dearer than an acquire load in the spin. */
static int
coll_published(fb_comm *c, const void *arg)
{
	return (int32_t)(__atomic_load_n(&c->hdr->gen, __ATOMIC_SEQ_CST) -
	    *(const uint32_t *)arg) >= 0;
}

/*
 * Wait in epoll for collective seq's release.  With TABLE_WAKE_COUNTED the
 * rank counts itself in the header's sleepers first and io_wait() then
 * checks gen (coll_published) before each sleep: the last rank stores gen
 * before it loads sleepers (coll_release), all four seq_cst, so either it
 * sees us and writes the eventfd, or we see gen and do not sleep.  A write
 * that lands before our epoll_wait() is not lost: the eventfd is on the
 * ready list until epoll reports it.  Counted while awake too (a stray
 * wake-up, a frame from the daemon) only costs the last rank a write.
 */
static int
coll_sleep(fb_comm *c, uint64_t deadline, uint32_t seq)
{
	int rc;

	if (!c->wake_counted)
		return io_wait(c, deadline, coll_published, &seq);
	__atomic_fetch_add(&c->hdr->sleepers, 1, __ATOMIC_SEQ_CST);
	rc = io_wait(c, deadline, coll_published, &seq);
	__atomic_fetch_sub(&c->hdr->sleepers, 1, __ATOMIC_SEQ_CST);
	return rc;
}

/*
 * The last rank publishes collective seq and wakes the ranks asleep in
 * epoll with one eventfd write, unless none counts as asleep (coll_sleep):
 * with a core each the others spin, and the write is a system call for
 * nobody.
 */
static void
coll_release(fb_comm *c, uint32_t seq)
{
	uint64_t one = 1;

	__atomic_store_n(&c->hdr->gen, seq, __ATOMIC_SEQ_CST);
	if (c->wake_counted && __atomic_load_n(&c->hdr->sleepers,
	    __ATOMIC_SEQ_CST) == 0) {
		c->wakes_skipped++;
		return;
	}
	c->wakes++;
	(void)!write(c->evfd, &one, sizeof one);
}

static int
coll_timeout(fb_comm *c, uint32_t kind, uint32_t seq, uint64_t start)
{
	char missing[512];

	coll_missing(c, seq, missing, sizeof missing);
	comm_fail(c, FB_E_TIMEOUT, "%s #%u timed out after %d ms: ranks %s of "
	    "%d have not arrived", wire_coll_name(kind), seq,
	    io_ms_since(start), missing, c->nranks);
	coll_give_up(c, FB_E_TIMEOUT);
	return FB_E_TIMEOUT;
}

/* The last rank to arrive: does everyone agree on kind and size? */
static void
coll_verify(fb_comm *c, uint32_t kind, uint64_t bytes)
{
	int32_t status = 0;
	uint32_t bad = 0;
	int r;

	/* Against rank 0, so that the detail names two ranks that differ
	 * whichever came last. */
	kind = c->trank[0].kind;
	bytes = c->trank[0].bytes;
	for (r = 1; r < c->nranks; r++) {
		if (c->trank[r].kind != kind || c->trank[r].bytes != bytes) {
			status = FB_E_MISMATCH;
			bad = (uint32_t)r;
			break;
		}
	}
	c->hdr->status = status;
	c->hdr->mismatch_rank = bad;
}

static int
coll_never(fb_comm *c, const void *arg)
{
	return 0;
}

/*
 * The daemon marks a failed job in the table before it sends each rank the
 * FAIL that says why: report that FAIL, not what the table shows since
 * (ranks that left after the failure, a count that can still complete).
 */
static int
coll_job_failed(fb_comm *c, uint64_t start)
{
	uint32_t code = __atomic_load_n(&c->hdr->failed, __ATOMIC_ACQUIRE);
	int rc;

	if (code == 0)
		return 0;
	rc = io_wait(c, io_deadline_from(c, start), coll_never, NULL);
	if (c->failed)
		return c->failed;
	return comm_fail(c, rc != FB_E_TIMEOUT ? rc : -(int)code, "the job "
	    "failed (%s); fastbootd's detail did not arrive",
	    fb_strerror(-(int)code));
}

/*
 * Across nodes (TABLE_NODE_ARRIVE), the last of the node's ranks to arrive
 * at collective seq: one ARRIVE for all of them, which the daemon checks
 * against their entries in the table.
 */
static int
coll_node_arrive(fb_comm *c, uint32_t kind, uint64_t bytes, uint32_t seq)
{
	uint8_t frame[WIRE_HDR_LEN + WIRE_ARRIVE_LEN];
	struct wire_arrive a = { kind, WIRE_ARRIVE_NODE, bytes };
	struct iovec iov = { frame, 0 };

	iov.iov_len = wire_encode_arrive(frame, seq, &a);
	return io_write(c, &iov, 1, io_deadline(c));
}

/*
 * Collective #seq through shared memory: on one node the last rank
 * releases it; across nodes (node_arrive) it tells the daemon, which
 * releases it once the other nodes are there.
 */
static int
coll_shm(fb_comm *c, uint32_t kind, uint64_t bytes, uint32_t seq)
{
	struct table_rank *me = &c->trank[c->rank];
	struct table_hdr *h = c->hdr;
	uint64_t start = clock_mono_ns();
	const struct table_rank *o;
	uint32_t old, r, need = (uint32_t)(c->node_arrive ? c->local_size :
	    c->nranks);
	int rc, last;

	if ((rc = coll_job_failed(c, start)) != 0)
		return rc;
	me->kind = kind;
	me->bytes = bytes;
	/* Publishes our slot's bytes too. */
	__atomic_store_n(&me->arrived, seq, __ATOMIC_RELEASE);
	old = __atomic_fetch_add(&h->count, 1, __ATOMIC_SEQ_CST);
	if (old == 0)
		__atomic_store_n(&h->since_ns, start, __ATOMIC_RELEASE);
	/* Pairs with the daemon's store of nleft before it reads count.  If
	 * the collective was published meanwhile, a rank that left did so
	 * after it: nothing is missing. */
	if (__atomic_load_n(&h->nleft, __ATOMIC_SEQ_CST) != 0 &&
	    !coll_published(c, &seq)) {
		if ((rc = coll_job_failed(c, start)) != 0)
			return rc;
		for (r = 0; r < (uint32_t)c->nranks; r++)
			if (__atomic_load_n(&c->trank[r].state,
			    __ATOMIC_ACQUIRE) == TABLE_RANK_LEFT)
				break;
		comm_fail(c, FB_E_PEER_LOST, "%s #%u needs rank %u, which "
		    "left the job (fb_comm_destroy)", wire_coll_name(kind),
		    seq, r);
		coll_abort(c, FB_E_PEER_LOST, c->err);
		return FB_E_PEER_LOST;
	}
	last = old + 1 == need;
	if (last) {
		/* Nobody adds to count again before the release. */
		__atomic_store_n(&h->count, 0, __ATOMIC_RELAXED);
		if (!c->node_arrive) {
			coll_verify(c, kind, bytes);
			coll_release(c, seq);
		} else if ((rc = coll_node_arrive(c, kind, bytes, seq)) != 0)
			return rc;
	}
	/* Across nodes the last one waits too: the daemon releases. */
	if ((!last || c->node_arrive) && !coll_spin_wait(c, &c->coll_spin,
	    coll_published, &seq) && !coll_yield(c, coll_published, &seq)) {
		rc = coll_sleep(c, io_deadline_from(c, start), seq);
		if (rc == FB_E_TIMEOUT && !c->failed)
			return coll_timeout(c, kind, seq, start);
		if (rc != 0)
			return rc;
	}
	if (__atomic_load_n(&h->status, __ATOMIC_ACQUIRE) != 0) {
		o = &c->trank[h->mismatch_rank % (uint32_t)c->nranks];
		comm_fail(c, FB_E_MISMATCH, "collective #%u: rank 0 called %s "
		    "with %llu bytes, rank %u called %s with %llu bytes", seq,
		    wire_coll_name(c->trank[0].kind),
		    (unsigned long long)c->trank[0].bytes,
		    h->mismatch_rank, wire_coll_name(o->kind),
		    (unsigned long long)o->bytes);
		if (last)
			coll_abort(c, FB_E_MISMATCH, c->err);
		return FB_E_MISMATCH;
	}
	return 0;
}

/* Run collective #seq: arrive, wait for the release. */
static int
coll_run(fb_comm *c, uint32_t kind, uint64_t bytes)
{
	uint8_t frame[WIRE_HDR_LEN + WIRE_ARRIVE_LEN];
	struct wire_arrive a = { kind, 0, bytes };
	struct iovec iov = { frame, 0 };
	uint32_t seq = c->coll_seq + 1;
	uint64_t start = clock_mono_ns();
	int rc;

	if (!c->daemon_coll || c->node_arrive) {
		if ((rc = coll_shm(c, kind, bytes, seq)) != 0)
			return rc;
		c->coll_seq = seq;
		return 0;
	}
	iov.iov_len = wire_encode_arrive(frame, seq, &a);
	/* Our slot's bytes must be visible before the daemon hears of it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if ((rc = io_write(c, &iov, 1, io_deadline(c))) != 0)
		return rc;
	rc = io_wait(c, io_deadline_from(c, start), coll_released, &seq);
	if (rc == FB_E_TIMEOUT && !c->failed)
		return coll_timeout(c, kind, seq, start);
	if (rc != 0)
		return rc;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	c->coll_seq = seq;
	return 0;
}

static int
coll_check(fb_comm *c)
{
	return io_check(c);	/* a failure's detail stays in c->err */
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
	if (bytes > comm->slot_bytes)	/* a table from another daemon */
		return comm_error(comm, FB_E_INVAL, "allgather of %zu bytes "
		    "per rank: this job's table holds %llu", bytes,
		    (unsigned long long)comm->slot_bytes);
	if (bytes == 0)		/* nothing to copy; buf may be NULL */
		return coll_run(comm, WIRE_COLL_ALLGATHER, 0);
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
	if (bytes == 0)		/* nothing to copy; the buffers may be NULL */
		return coll_run(comm, WIRE_COLL_ALLTOALL, 0);
	seq = comm->coll_seq + 1;
	memcpy(coll_slot(comm, seq, comm->rank), s, total);
	if ((rc = coll_run(comm, WIRE_COLL_ALLTOALL, bytes)) != 0)
		return rc;
	for (r = 0; r < comm->nranks; r++)
		memcpy(d + (size_t)r * bytes, coll_slot(comm, seq, r) +
		    (size_t)comm->rank * bytes, bytes);
	return 0;
}
