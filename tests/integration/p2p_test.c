/*
 * p2p_test.c - send/recv between ranks of one node through the rank
 * table's rings (libclient/shm.c), against a real fastbootd:
 *
 *  - small messages travel through the rings: fastbootd forwards none;
 *  - a receiver that is not receiving: fb_send does not wait, the full
 *    ring spills to fastbootd, messages larger than a ring go through it,
 *    and the receiver still gets every message in order per (peer, tag);
 *  - FASTBOOT_P2P=daemon sends everything through fastbootd;
 *  - a message larger than a frame that the receiver's --max-pending
 *    cannot hold: fb_send fails with FB_E_LIMIT and none of it arrives,
 *    while the next message does;
 *  - a rank that scribbles over the rings: its peer's fb_send spills, its
 *    peer's fb_recv fails with FB_E_PROTO naming it, nothing crashes, and
 *    fastbootd serves the next job;
 *  - a rank that refills its ring to a receiver as fast as it is emptied:
 *    the receiver's fb_recv still ends at its deadline;
 *  - a rank that scribbles over the table's header while the job forms:
 *    the rank that joins after it refuses the table (FB_E_PROTO) instead
 *    of using its offsets;
 *  - a forked child that destroys its copy of the handle leaves the
 *    parent's doorbell as it was;
 *  - a send through fastbootd cut short by its deadline (the daemon
 *    stopped): the handle fails for good, its next call too, and says
 *    nothing more on the socket, so the daemon sees a lost rank, not the
 *    next frame read as the rest of the cut one.
 */
#include <sys/wait.h>

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tap.h"
#include "itest.h"
#include "wire/table.h"
#include "wire/ring.h"

static struct itest *t;

#define CHECK(cond, ...) ITEST_CHECK(t, rank, cond, __VA_ARGS__)
#define CALL(expr) do {							\
	int rc_ = (expr);						\
	CHECK(rc_ == 0, "%s: %s (%s)", #expr, fb_strerror(rc_),		\
	    fb_comm_last_error(comm));					\
} while (0)

#define P2P_PINGS	200
#define P2P_FLOOD	600	/* messages sent before any is received */
#define P2P_SMALL	200
#define P2P_BIG		(100u << 10)	/* larger than a ring */

static int
p2p_init(fb_comm **comm, const fb_unique_id *id, int rank, int n)
{
	int rc = fb_comm_init(comm, id, rank, n);

	CHECK(rc == 0, "init: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(NULL));
	return 0;
}

/* Ping-pong 64 B with the other rank, and a message to ourselves. */
static int
p2p_ping(const fb_unique_id *id, int rank, int n, void *arg)
{
	uint8_t buf[64];
	fb_comm *comm;
	int i, peer = rank ^ 1;

	if (p2p_init(&comm, id, rank, n))
		return 1;
	/* Both have their doorbells once both arrived. */
	CALL(fb_barrier(comm));
	for (i = 0; i < P2P_PINGS; i++) {
		memset(buf, rank == 0 ? i & 0xff : 0, sizeof buf);
		if (rank == 0) {
			CALL(fb_send(comm, buf, sizeof buf, peer, 1));
			CALL(fb_recv(comm, buf, sizeof buf, peer, 2));
		} else {
			CALL(fb_recv(comm, buf, sizeof buf, peer, 1));
			CALL(fb_send(comm, buf, sizeof buf, peer, 2));
		}
		CHECK(buf[0] == (i & 0xff) && buf[63] == (i & 0xff),
		    "ping %d came back as %u", i, buf[0]);
	}
	CALL(fb_send(comm, "self", 4, rank, 3));
	CALL(fb_recv(comm, buf, 4, rank, 3));
	CHECK(memcmp(buf, "self", 4) == 0, "message to ourselves differs");
	CALL(fb_barrier(comm));
	CALL(fb_comm_destroy(comm));
	t->r[rank].done = 1;
	return 0;
}

/* Message k of the flood: its size, tag and bytes. */
static size_t
p2p_flood_len(int k)
{
	return k % 50 == 49 ? P2P_BIG : P2P_SMALL;
}

static void
p2p_flood_fill(uint8_t *b, int k, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = itest_byte(0, 1, i, (uint32_t)k);
	memcpy(b, &k, sizeof k);
}

static int
p2p_flood(const fb_unique_id *id, int rank, int n, void *arg)
{
	uint8_t *buf, *want;
	fb_comm *comm;
	int k, tag, got;

	buf = malloc(P2P_BIG);
	want = malloc(P2P_BIG);
	CHECK(buf != NULL && want != NULL, "malloc");
	if (p2p_init(&comm, id, rank, n))
		return 1;
	if (rank == 0) {
		/* Rank 1 receives nothing until all are sent. */
		for (k = 0; k < P2P_FLOOD; k++) {
			p2p_flood_fill(buf, k, p2p_flood_len(k));
			CALL(fb_send(comm, buf, p2p_flood_len(k), 1,
			    5 + k % 2));
		}
		t->r[0].step = 1;
	} else {
		CHECK(itest_wait_steps(t, 2, 1, 1, 120000), "rank 0 did not "
		    "finish sending");
		/* Tag 6 first, then tag 5: each in the order sent. */
		for (tag = 6; tag >= 5; tag--)
			for (k = tag - 5; k < P2P_FLOOD; k += 2) {
				CALL(fb_recv(comm, buf, p2p_flood_len(k), 0,
				    tag));
				memcpy(&got, buf, sizeof got);
				CHECK(got == k, "tag %d: message %d came where "
				    "%d was due", tag, got, k);
				p2p_flood_fill(want, k, p2p_flood_len(k));
				CHECK(memcmp(buf, want, p2p_flood_len(k)) == 0,
				    "message %d differs", k);
			}
	}
	CALL(fb_barrier(comm));
	CALL(fb_comm_destroy(comm));
	free(buf);
	free(want);
	t->r[rank].done = 1;
	return 0;
}

/* The rank table as this process mapped it (from /proc/self/maps). */
static struct table_hdr *
p2p_table(void)
{
	char line[512];
	uintptr_t lo;
	FILE *f;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return NULL;
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, "memfd:fastboot-job") != NULL &&
		    sscanf(line, "%" SCNxPTR "-", &lo) == 1) {
			fclose(f);
			return (struct table_hdr *)lo;
		}
	fclose(f);
	return NULL;
}

static struct ring_hdr *
p2p_ring(struct table_hdr *h, uint32_t src, uint32_t dst)
{
	return (struct ring_hdr *)((uint8_t *)h + h->p2p_off +
	    ((uint64_t)dst * h->nranks + src) * h->ring_bytes);
}

static int
p2p_scribble(const fb_unique_id *id, int rank, int n, void *arg)
{
	struct table_hdr *h;
	uint8_t buf[64];
	fb_comm *comm;
	int rc;

	if (p2p_init(&comm, id, rank, n))
		return 1;
	h = p2p_table();
	CHECK(h != NULL && h->ring_bytes != 0, "no rank table with rings "
	    "in /proc/self/maps");
	if (rank == 1) {
		/* The head of rank 0's ring to us: far ahead of its tail. */
		__atomic_store_n(&p2p_ring(h, 0, 1)->head, (uint64_t)1 << 40,
		    __ATOMIC_RELEASE);
		t->r[1].step = 1;
		memset(buf, 0, sizeof buf);
		CALL(fb_recv(comm, buf, sizeof buf, 0, 1));
		CHECK(memcmp(buf, "spilled", 8) == 0, "the message that "
		    "spilled differs");
		/* The tail of our ring to rank 0: not a whole entry. */
		__atomic_store_n(&p2p_ring(h, 1, 0)->tail, (uint64_t)12345,
		    __ATOMIC_RELEASE);
		t->r[1].step = 2;
		CHECK(itest_wait_steps(t, 2, 1, 3, 60000), "rank 0 did not "
		    "finish");
	} else {
		CHECK(itest_wait_steps(t, 2, 0, 1, 60000), "rank 1 did not "
		    "scribble");
		memset(buf, 0, sizeof buf);
		memcpy(buf, "spilled", 8);
		/* The ring is unusable: the message goes through fastbootd. */
		CALL(fb_send(comm, buf, sizeof buf, 1, 1));
		CHECK(itest_wait_steps(t, 2, 0, 2, 60000), "rank 1 did not "
		    "scribble again");
		rc = fb_recv(comm, buf, sizeof buf, 1, 2);
		itest_note(t, rank, comm, rc, th_now_ms());
		CHECK(rc == FB_E_PROTO, "recv from the scribbled ring: %s, "
		    "want FB_E_PROTO (%s)", fb_strerror(rc),
		    fb_comm_last_error(comm));
		CHECK(strstr(fb_comm_last_error(comm), "ring from rank 1") !=
		    NULL && strstr(fb_comm_last_error(comm), "corrupt") !=
		    NULL, "detail does not name rank 1's ring: %s",
		    fb_comm_last_error(comm));
		t->r[0].step = 3;
	}
	fb_comm_destroy(comm);
	t->r[rank].done = 1;
	return 0;
}

/* Rank 0's second thread: empty messages into its ring to rank 1, as
 * fast as rank 1 takes them, until rank 1's fb_recv has returned (step 2)
 * or 30 s passed (then flood_capped). */
struct p2p_flood {
	struct ring_hdr *ring;
	uint64_t size;
};

static void *
p2p_flood_ring(void *arg)
{
	const struct p2p_flood *f = arg;
	struct ring_hdr *r = f->ring;
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	double end = th_now_ms() + 30000;
	long sent = 0;

	while (__atomic_load_n(&t->r[1].step, __ATOMIC_SEQ_CST) < 2) {
		if (th_now_ms() > end) {
			t->r[0].flag = 2;	/* the flood had to stop */
			break;
		}
		if (ring_put(r, f->size, &tail, 7, 0, NULL, 0) == RING_OK &&
		    ++sent == 1)
			t->r[0].step = 1;
	}
	return NULL;
}

static int
p2p_flood_recv(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	struct p2p_flood flood;
	struct table_hdr *h;
	pthread_t th;
	uint8_t buf[8];
	fb_comm *comm;
	double t0;
	int rc;

	/* Rank 1's deadline, a tenth of the flood's cap. */
	cfg.timeout_ms = rank == 1 ? 3000 : 0;
	rc = fb_comm_init_config(&comm, id, rank, n, &cfg);
	CHECK(rc == 0, "init: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(NULL));
	h = p2p_table();
	CHECK(h != NULL && h->ring_bytes != 0, "no rank table with rings "
	    "in /proc/self/maps");
	if (rank == 0) {
		flood.ring = p2p_ring(h, 0, 1);
		flood.size = h->ring_bytes;
		CHECK(pthread_create(&th, NULL, p2p_flood_ring, &flood) == 0,
		    "pthread_create");
		pthread_join(th, NULL);
		CHECK(t->r[0].flag != 2, "rank 1's fb_recv returned only "
		    "once the flood stopped, 30 s later");
		t->r[0].step = 3;
	} else {
		CHECK(itest_wait_steps(t, 2, 1, 1, 60000), "rank 0 did not "
		    "start its flood");
		t0 = th_now_ms();
		rc = fb_recv(comm, buf, sizeof buf, 0, 9);
		itest_note(t, rank, comm, rc, t0);
		t->r[1].step = 2;
		CHECK(rc == FB_E_TIMEOUT, "recv of a tag never sent, under a "
		    "flood of other messages: %s, want FB_E_TIMEOUT (%s)",
		    fb_strerror(rc), fb_comm_last_error(comm));
		CHECK(itest_wait_steps(t, 2, 1, 3, 60000), "rank 0 did not "
		    "stop its flood");
	}
	fb_comm_destroy(comm);
	t->r[rank].done = 1;
	return 0;
}

/* Rank 0's second thread: once rank 0 has the table (its init still waits
 * for rank 1), a slot size whose double overflows, then step 1. */
static void *
p2p_scribble_hdr(void *arg)
{
	double end = th_now_ms() + 60000;
	struct table_hdr *h;

	while ((h = p2p_table()) == NULL && th_now_ms() < end)
		usleep(1000);
	if (h != NULL) {
		__atomic_store_n(&h->slot_bytes, (uint64_t)1 << 63,
		    __ATOMIC_SEQ_CST);
		t->r[0].step = 1;
	}
	return NULL;
}

static int
p2p_header(const fb_unique_id *id, int rank, int n, void *arg)
{
	static uint8_t buf[2u << 20];
	fb_comm *comm = NULL;
	pthread_t th;
	int rc;

	if (rank == 0) {
		CHECK(pthread_create(&th, NULL, p2p_scribble_hdr, NULL) == 0,
		    "pthread_create");
		/* Rank 1's JOIN completed the job before rank 1 looked at
		 * the table: init returns, the job fails after. */
		rc = fb_comm_init(&comm, id, rank, n);
		pthread_join(th, NULL);
		CHECK(t->r[0].step == 1, "rank 0 never saw its table");
		CHECK(rc == 0, "init of the rank that scribbled: %s (%s)",
		    fb_strerror(rc), fb_comm_last_error(NULL));
		rc = fb_barrier(comm);
		itest_note(t, rank, comm, rc, th_now_ms());
		CHECK(rc == FB_E_PEER_LOST && strstr(fb_comm_last_error(comm),
		    "rank 1") != NULL, "barrier after rank 1 refused the "
		    "table: %s, want FB_E_PEER_LOST naming rank 1 (%s)",
		    fb_strerror(rc), fb_comm_last_error(comm));
	} else {
		CHECK(itest_wait_steps(t, 2, 1, 1, 60000), "rank 0 did not "
		    "scribble");
		rc = fb_comm_init(&comm, id, rank, n);
		itest_note(t, rank, comm, rc, th_now_ms());
		/* Were the table taken, this would write far outside it. */
		if (rc == 0)
			rc = fb_allgather(comm, buf, 1u << 20);
		CHECK(rc == FB_E_PROTO, "init after the header was scribbled: "
		    "%s, want FB_E_PROTO (%s)", fb_strerror(rc),
		    fb_comm_last_error(comm));
		CHECK(strstr(fb_comm_last_error(comm), "header is "
		    "inconsistent") != NULL, "detail does not say the header "
		    "is inconsistent: %s", fb_comm_last_error(comm));
	}
	fb_comm_destroy(comm);
	t->r[rank].done = 1;
	return 0;
}

/* One rank: its doorbell, bound by a sleep in fb_recv, outlives a forked
 * child's fb_comm_destroy of the handle's copy. */
static int
p2p_fork_bell(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	struct table_rank *me;
	struct table_hdr *h;
	fb_comm *comm;
	uint64_t bell;
	pid_t child;
	uint8_t b = 0;
	int rc, st;

	cfg.timeout_ms = 300;
	rc = fb_comm_init_config(&comm, id, rank, n, &cfg);
	CHECK(rc == 0, "init: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(NULL));
	CHECK((h = p2p_table()) != NULL, "no rank table in /proc/self/maps");
	me = (struct table_rank *)(h + 1) + rank;
	/* Nothing sent: it sleeps (binding its doorbell), then times out. */
	rc = fb_recv(comm, &b, 1, rank, 1);
	CHECK(rc == FB_E_TIMEOUT, "recv of nothing: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(comm));
	bell = __atomic_load_n(&me->bell, __ATOMIC_ACQUIRE);
	CHECK(bell != 0, "no doorbell after a sleep in fb_recv");
	if ((child = fork()) == 0) {
		fb_comm_destroy(comm);
		_exit(0);
	}
	CHECK(child > 0 && waitpid(child, &st, 0) == child, "fork/wait");
	CHECK(__atomic_load_n(&me->bell, __ATOMIC_ACQUIRE) == bell, "the "
	    "child's fb_comm_destroy changed the parent's doorbell from "
	    "%#llx to %#llx", (unsigned long long)bell,
	    (unsigned long long)__atomic_load_n(&me->bell, __ATOMIC_ACQUIRE));
	CALL(fb_send(comm, "x", 1, rank, 2));
	CALL(fb_recv(comm, &b, 1, rank, 2));
	CHECK(b == 'x', "the message to itself: %#x", b);
	itest_note(t, rank, comm, 0, th_now_ms());
	CALL(fb_comm_destroy(comm));
	t->r[rank].done = 1;
	return 0;
}

static pid_t p2p_daemon_pid;

static int
p2p_torn(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	uint8_t *buf = NULL;
	fb_comm *comm;
	int rc;

	/* Rank 0's deadline for its send. */
	cfg.timeout_ms = rank == 0 ? 2000 : 0;
	rc = fb_comm_init_config(&comm, id, rank, n, &cfg);
	CHECK(rc == 0, "init: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(NULL));
	CALL(fb_barrier(comm));
	if (rank == 0) {
		CHECK((buf = calloc(1, 8u << 20)) != NULL, "malloc");
		CHECK(itest_wait_steps(t, 2, 0, 1, 60000), "rank 1 did not "
		    "stop fastbootd");
		/* Larger than a ring: through the stopped daemon, whose
		 * socket takes part of the first 1 MiB part. */
		rc = fb_send(comm, buf, 8u << 20, 1, 1);
		CHECK(rc == FB_E_TIMEOUT, "send to a stopped fastbootd: %s, "
		    "want FB_E_TIMEOUT (%s)", fb_strerror(rc),
		    fb_comm_last_error(comm));
		t->r[0].step = 2;
		CHECK(itest_wait_steps(t, 2, 0, 3, 60000), "rank 1 did not "
		    "resume fastbootd");
		rc = fb_barrier(comm);
		itest_note(t, rank, comm, rc, th_now_ms());
		CHECK(rc == FB_E_TIMEOUT, "barrier after the cut send: %s, "
		    "want the handle's FB_E_TIMEOUT (%s)", fb_strerror(rc),
		    fb_comm_last_error(comm));
	} else {
		kill(p2p_daemon_pid, SIGSTOP);
		t->r[1].step = 1;
		CHECK(itest_wait_steps(t, 2, 1, 2, 60000), "rank 0 did not "
		    "send");
		kill(p2p_daemon_pid, SIGCONT);
		t->r[1].step = 3;
		rc = fb_barrier(comm);
		itest_note(t, rank, comm, rc, th_now_ms());
		CHECK(rc == FB_E_PEER_LOST, "barrier with rank 0 failed: %s, "
		    "want FB_E_PEER_LOST (%s)", fb_strerror(rc),
		    fb_comm_last_error(comm));
	}
	fb_comm_destroy(comm);
	free(buf);
	t->r[rank].done = 1;
	return 0;
}

#define P2P_OVER	(8u << 20)	/* over the second daemon's cap */
#define P2P_AFTER	(20u << 10)	/* spills: larger than a ring */

/* After a refused message, the next one on the same tag arrives whole:
 * the receiver dropped the refused message's parts. */
static int
p2p_over(const fb_unique_id *id, int rank, int n, void *arg)
{
	uint8_t *buf;
	fb_comm *comm;
	size_t i;
	int rc;

	CHECK((buf = calloc(1, P2P_OVER)) != NULL, "malloc");
	if (p2p_init(&comm, id, rank, n))
		return 1;
	CALL(fb_barrier(comm));
	if (rank == 0) {
		rc = fb_send(comm, buf, P2P_OVER, 1, 1);
		itest_note(t, rank, comm, rc, th_now_ms());
		CHECK(rc == FB_E_LIMIT, "send of %u bytes to a rank that "
		    "does not receive: %s, want FB_E_LIMIT", P2P_OVER,
		    fb_strerror(rc));
		CHECK(strstr(fb_comm_last_error(comm), "part of a larger") !=
		    NULL, "detail does not say a part was refused: %s",
		    fb_comm_last_error(comm));
		/* Larger than a ring: it goes after the refused parts. */
		memset(buf, 0xa5, P2P_AFTER);
		CALL(fb_send(comm, buf, P2P_AFTER, 1, 2));
		t->r[0].step = 1;
		CHECK(itest_wait_steps(t, 2, 0, 1, 60000), "rank 1 did not "
		    "receive");
		memset(buf, 0x5a, P2P_OVER / 4);
		CALL(fb_send(comm, buf, P2P_OVER / 4, 1, 1));
	} else {
		CHECK(itest_wait_steps(t, 2, 1, 1, 60000), "rank 0 did not "
		    "send");
		CALL(fb_recv(comm, buf, P2P_AFTER, 0, 2));
		for (i = 0; i < P2P_AFTER; i++)
			CHECK(buf[i] == 0xa5, "byte %zu of the message after "
			    "the refused one is %#x", i, buf[i]);
		t->r[1].step = 1;
		CALL(fb_recv(comm, buf, P2P_OVER / 4, 0, 1));
		for (i = 0; i < P2P_OVER / 4; i++)
			CHECK(buf[i] == 0x5a, "byte %zu of the message after "
			    "the refused one is %#x", i, buf[i]);
	}
	CALL(fb_barrier(comm));
	CALL(fb_comm_destroy(comm));
	free(buf);
	t->r[rank].done = 1;
	return 0;
}

/* Run ranks; how many messages fastbootd forwarded meanwhile, or -1. */
static long
p2p_run(struct th_daemon *d, th_rank_fn fn, int *failed)
{
	long before = itest_ctl_value(d->sock, "messages"), after;

	itest_reset(t);
	*failed = th_run_ranks(2, fn, NULL, 180000);
	itest_report(t, 2);
	after = itest_ctl_value(d->sock, "messages");
	return before < 0 || after < 0 ? -1 : after - before;
}

int
main(void)
{
	struct th_daemon d;
	int failed;
	long fwd;

	th_deadline(600);
	unsetenv("FASTBOOT_COLLECTIVES");
	unsetenv("FASTBOOT_P2P");
	t = itest_shared();
	tap_plan(13);
	if (!ok(th_daemon_start(&d, NULL) == 0, "fastbootd started"))
		return tap_done();

	fwd = p2p_run(&d, p2p_ping, &failed);
	ok(failed == 0 && fwd == 0, "2 ranks: %d ping-pongs of 64 B and a "
	    "message to self through the rings: fastbootd forwarded %ld "
	    "(want 0)", P2P_PINGS, fwd);

	fwd = p2p_run(&d, p2p_flood, &failed);
	ok(failed == 0 && fwd > P2P_FLOOD / 50 && fwd < P2P_FLOOD, "%d "
	    "messages (every 50th of %u KiB) to a rank not receiving: no "
	    "fb_send waited, %ld spilled to fastbootd, all received in order "
	    "per tag, every byte checked", P2P_FLOOD, P2P_BIG >> 10, fwd);

	setenv("FASTBOOT_P2P", "daemon", 1);
	fwd = p2p_run(&d, p2p_ping, &failed);
	unsetenv("FASTBOOT_P2P");
	ok(failed == 0 && fwd == 2 * P2P_PINGS + 2, "FASTBOOT_P2P=daemon: "
	    "fastbootd forwarded %ld messages (want %d)", fwd,
	    2 * P2P_PINGS + 2);

	{
		static const char *const args[] = { "--max-pending",
		    "3145728", NULL };
		struct th_daemon d2;

		if (th_daemon_start(&d2, args) != 0)
			ok(0, "a second fastbootd with --max-pending 3 MiB");
		else {
			p2p_run(&d2, p2p_over, &failed);
			ok(failed == 0 && t->r[0].rc == FB_E_LIMIT,
			    "--max-pending 3 MiB, receiver not receiving: a "
			    "%u MiB message gets %s (%s); none of it arrives, "
			    "the next ones do, whole", P2P_OVER >> 20,
			    fb_strerror(t->r[0].rc), t->r[0].err);
			th_daemon_stop(&d2);
			th_daemon_cleanup(&d2);
		}
		setenv("FASTBOOT_SOCKET", d.sock, 1);
	}

	fwd = p2p_run(&d, p2p_scribble, &failed);
	ok(failed == 0 && t->r[0].rc == FB_E_PROTO, "a rank that scribbles "
	    "over the rings: the peer's send spilled, its recv got %s: %s",
	    fb_strerror(t->r[0].rc), t->r[0].err);

	p2p_run(&d, p2p_flood_recv, &failed);
	ok(failed == 0 && t->r[1].rc == FB_E_TIMEOUT, "a ring refilled as "
	    "fast as it is emptied: the receiver's fb_recv ends at its "
	    "3 s deadline with %s, after %.0f ms", fb_strerror(t->r[1].rc),
	    t->r[1].elapsed_ms);

	p2p_run(&d, p2p_header, &failed);
	ok(failed == 0 && t->r[1].rc == FB_E_PROTO, "a header scribbled "
	    "while the job forms: the rank that joins next gets %s: %s",
	    fb_strerror(t->r[1].rc), t->r[1].err);

	itest_reset(t);
	failed = th_run_ranks(1, p2p_fork_bell, NULL, 60000);
	itest_report(t, 1);
	ok(failed == 0, "a forked child destroys its copy of the handle: "
	    "the parent's doorbell stays, its rings still work");

	p2p_daemon_pid = d.pid;
	p2p_run(&d, p2p_torn, &failed);
	kill(d.pid, SIGCONT);	/* whatever the ranks did */
	ok(failed == 0 && t->r[0].rc == FB_E_TIMEOUT &&
	    t->r[1].rc == FB_E_PEER_LOST, "a send cut short by its deadline: "
	    "the sender's next call gets %s, the peer's barrier %s: %s",
	    fb_strerror(t->r[0].rc), fb_strerror(t->r[1].rc), t->r[1].err);

	fwd = p2p_run(&d, p2p_ping, &failed);
	ok(failed == 0 && fwd == 0, "fastbootd serves the next job, rings "
	    "and all (forwarded %ld)", fwd);
	itest_daemon_finish(&d);
	return tap_done();
}
