/*
 * calls_test.c - jobs of 1, 2, 8 and 64 ranks, each rank a real process,
 * running every call of the API against one real fastbootd, with every
 * byte of every result checked.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tap.h"
#include "itest.h"

static struct itest *t;

#define CHECK(cond, ...) ITEST_CHECK(t, rank, cond, __VA_ARGS__)
#define CALL(expr) do {							\
	int rc_ = (expr);						\
	CHECK(rc_ == 0, "%s: %s (%s)", #expr, fb_strerror(rc_),		\
	    fb_comm_last_error(comm));					\
} while (0)

/* Find the first wrong byte of buf against itest_byte(src(i), ...). */
static int
calls_check_allgather(int rank, const uint8_t *buf, size_t bytes, int n,
    uint32_t seed)
{
	size_t i;
	int r;

	for (r = 0; r < n; r++)
		for (i = 0; i < bytes; i++)
			CHECK(buf[(size_t)r * bytes + i] ==
			    itest_byte(r, -1, i, seed), "allgather of %zu "
			    "bytes: byte %zu of rank %d's slice is wrong",
			    bytes, i, r);
	return 0;
}

static int
calls_collectives(fb_comm *comm, int rank, int n)
{
	static const size_t ag_sizes[] = { 0, 1, 64, 4096, 65536, 1u << 20 };
	static const size_t a2a_sizes[] = { 0, 8, 1000, 65536, 1u << 20 };
	uint8_t *buf, *sbuf, *rbuf;
	size_t k, i, bytes, total;
	uint32_t seed;
	int r, rc;

	buf = malloc((size_t)n << 20);
	sbuf = malloc((size_t)n << 20);
	rbuf = malloc((size_t)n << 20);
	CHECK(buf != NULL && sbuf != NULL && rbuf != NULL, "malloc");

	for (k = 0; k < sizeof ag_sizes / sizeof ag_sizes[0]; k++) {
		bytes = ag_sizes[k];
		/* 64 KiB and up per rank only where it stays cheap. */
		if (bytes >= 65536 && (size_t)n * bytes > (8u << 20))
			continue;
		seed = (uint32_t)(k * 977 + 1);
		memset(buf, 0xee, (size_t)n * bytes);
		for (i = 0; i < bytes; i++)
			buf[(size_t)rank * bytes + i] =
			    itest_byte(rank, -1, i, seed);
		CALL(fb_allgather(comm, buf, bytes));
		if (calls_check_allgather(rank, buf, bytes, n, seed))
			return 1;
	}
	/* The same buffer twice in a row: both halves of the table. */
	for (k = 0; k < 3; k++) {
		seed = (uint32_t)(k + 5000);
		for (i = 0; i < 64; i++)
			buf[(size_t)rank * 64 + i] =
			    itest_byte(rank, -1, i, seed);
		CALL(fb_allgather(comm, buf, 64));
		if (calls_check_allgather(rank, buf, 64, n, seed))
			return 1;
	}
	rc = fb_allgather(comm, buf, (1u << 20) + 1);
	CHECK(rc == FB_E_INVAL, "allgather of 1 MiB + 1 per rank: %s, want "
	    "FB_E_INVAL", fb_strerror(rc));
	CHECK(strstr(fb_comm_last_error(comm), "limit") != NULL, "the "
	    "allgather limit error says so: %s", fb_comm_last_error(comm));

	for (k = 0; k < sizeof a2a_sizes / sizeof a2a_sizes[0]; k++) {
		bytes = a2a_sizes[k];
		total = (size_t)n * bytes;
		if (bytes >= 65536 && total > (8u << 20))
			continue;
		seed = (uint32_t)(k * 7919 + 3);
		for (r = 0; r < n; r++)
			for (i = 0; i < bytes; i++)
				sbuf[(size_t)r * bytes + i] =
				    itest_byte(rank, r, i, seed);
		memset(rbuf, 0xee, total);
		CALL(fb_alltoall(comm, sbuf, rbuf, bytes));
		for (r = 0; r < n; r++)
			for (i = 0; i < bytes; i++)
				CHECK(rbuf[(size_t)r * bytes + i] ==
				    itest_byte(r, rank, i, seed), "alltoall "
				    "of %zu bytes: byte %zu from rank %d is "
				    "wrong", bytes, i, r);
	}
	rc = fb_alltoall(comm, sbuf, rbuf, (1u << 20) + 1);
	CHECK(rc == FB_E_INVAL, "alltoall of 1 MiB + 1 per peer: %s, want "
	    "FB_E_INVAL", fb_strerror(rc));
	rc = fb_alltoall(comm, sbuf, sbuf, 8);
	CHECK(rc == FB_E_INVAL, "alltoall with sendbuf == recvbuf: %s, want "
	    "FB_E_INVAL", fb_strerror(rc));
	/* The refused calls left the job in step: a barrier completes. */
	CALL(fb_barrier(comm));

	/* Many collectives back to back, sizes changing every time: both
	 * halves of the table reused while slower ranks still read. */
	for (k = 0; k < (n > 8 ? 30u : 300u); k++) {
		bytes = (k * 37) % 200 + 1;
		seed = (uint32_t)(k * 31 + 77);
		switch (k % 3) {
		case 0:
			CALL(fb_barrier(comm));
			break;
		case 1:
			for (i = 0; i < bytes; i++)
				buf[(size_t)rank * bytes + i] =
				    itest_byte(rank, -1, i, seed);
			CALL(fb_allgather(comm, buf, bytes));
			if (calls_check_allgather(rank, buf, bytes, n, seed))
				return 1;
			break;
		case 2:
			for (r = 0; r < n; r++)
				for (i = 0; i < bytes; i++)
					sbuf[(size_t)r * bytes + i] =
					    itest_byte(rank, r, i, seed);
			CALL(fb_alltoall(comm, sbuf, rbuf, bytes));
			for (r = 0; r < n; r++)
				for (i = 0; i < bytes; i++)
					CHECK(rbuf[(size_t)r * bytes + i] ==
					    itest_byte(r, rank, i, seed),
					    "alltoall #%zu of %zu bytes: byte "
					    "%zu from rank %d is wrong", k,
					    bytes, i, r);
			break;
		}
	}
	free(buf);
	free(sbuf);
	free(rbuf);
	return 0;
}

/* A message: who sent it, its tag, its number, then pattern bytes. */
static void
calls_msg(uint8_t *m, size_t len, int src, int dst, int tag, int seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		m[i] = itest_byte(src, dst, i, (uint32_t)(tag * 1000 + seq));
}

static int
calls_recv_check(fb_comm *comm, int rank, int src, int tag, int seq,
    size_t len)
{
	uint8_t *want = malloc(len + 1), *got = malloc(len + 1);
	size_t i;
	int rc;

	CHECK(want != NULL && got != NULL, "malloc");
	calls_msg(want, len, src, rank, tag, seq);
	rc = fb_recv(comm, got, len, src, tag);
	CHECK(rc == 0, "recv #%d of %zu bytes from rank %d tag %d: %s (%s)",
	    seq, len, src, tag, fb_strerror(rc), fb_comm_last_error(comm));
	for (i = 0; i < len; i++)
		CHECK(got[i] == want[i], "recv #%d from rank %d tag %d: byte "
		    "%zu of %zu is wrong (out of order or corrupt)", seq, src,
		    tag, i, len);
	free(want);
	free(got);
	return 0;
}

static int
calls_send(fb_comm *comm, int rank, int dst, int tag, int seq, size_t len)
{
	uint8_t *m = malloc(len + 1);
	int rc;

	CHECK(m != NULL, "malloc");
	calls_msg(m, len, rank, dst, tag, seq);
	rc = fb_send(comm, m, len, dst, tag);
	CHECK(rc == 0, "send #%d of %zu bytes to rank %d tag %d: %s (%s)", seq,
	    len, dst, tag, fb_strerror(rc), fb_comm_last_error(comm));
	free(m);
	return 0;
}

static int
calls_p2p(fb_comm *comm, int rank, int n)
{
	static const size_t lens[] = { 0, 1, 100, 4096, 70000 };
	int next = (rank + 1) % n, prev = (rank + n - 1) % n, p, s, rc;
	uint8_t small[16], big[8];

	/* Ring: two tags interleaved, received tag 2 first, each in order. */
	for (s = 0; s < 5; s++) {
		if (calls_send(comm, rank, next, 1, s, lens[s]) ||
		    calls_send(comm, rank, next, 2, s, lens[4 - s]))
			return 1;
	}
	for (s = 0; s < 5; s++)
		if (calls_recv_check(comm, rank, prev, 2, s, lens[4 - s]))
			return 1;
	for (s = 0; s < 5; s++)
		if (calls_recv_check(comm, rank, prev, 1, s, lens[s]))
			return 1;

	/* All pairs: every send before any recv, tags name the sender. */
	for (p = 0; p < n; p++)
		if (p != rank && calls_send(comm, rank, p, 100 + rank, 0, 16))
			return 1;
	for (p = n - 1; p >= 0; p--)
		if (p != rank && calls_recv_check(comm, rank, p, 100 + p, 0,
		    16))
			return 1;

	/* To itself. */
	if (calls_send(comm, rank, rank, 7, 0, 33) ||
	    calls_send(comm, rank, rank, 7, 1, 0) ||
	    calls_recv_check(comm, rank, rank, 7, 0, 33) ||
	    calls_recv_check(comm, rank, rank, 7, 1, 0))
		return 1;

	/* Wrong length: FB_E_MISMATCH, and the message stays queued. */
	if (calls_send(comm, rank, next, 50, 0, 10))
		return 1;
	rc = fb_recv(comm, small, 9, prev, 50);
	CHECK(rc == FB_E_MISMATCH, "recv of 9 bytes for a 10-byte message: "
	    "%s, want FB_E_MISMATCH", fb_strerror(rc));
	CHECK(strstr(fb_comm_last_error(comm), "10") != NULL, "the mismatch "
	    "names the message's length: %s", fb_comm_last_error(comm));
	rc = fb_recv(comm, small, 11, prev, 50);
	CHECK(rc == FB_E_MISMATCH, "recv of 11 bytes for a 10-byte message: "
	    "%s, want FB_E_MISMATCH", fb_strerror(rc));
	if (calls_recv_check(comm, rank, prev, 50, 0, 10))
		return 1;

	/* Limits. */
	rc = fb_send(comm, big, FB_MAX_MSG_BYTES + 1, next, 3);
	CHECK(rc == FB_E_INVAL, "send of 64 MiB + 1: %s, want FB_E_INVAL",
	    fb_strerror(rc));
	rc = fb_send(comm, big, 1, n, 3);
	CHECK(rc == FB_E_INVAL, "send to rank %d of %d: %s, want FB_E_INVAL",
	    n, n, fb_strerror(rc));
	rc = fb_send(comm, big, 1, next, -1);
	CHECK(rc == FB_E_INVAL, "send with tag -1: %s, want FB_E_INVAL",
	    fb_strerror(rc));
	rc = fb_recv(comm, big, 1, -1, 3);
	CHECK(rc == FB_E_INVAL, "recv from rank -1: %s, want FB_E_INVAL",
	    fb_strerror(rc));
	rc = fb_recv(comm, big, FB_MAX_MSG_BYTES + 1, prev, 3);
	CHECK(rc == FB_E_INVAL, "recv of 64 MiB + 1: %s, want FB_E_INVAL",
	    fb_strerror(rc));

	/* A message of one frame, and one in parts (1 MiB + 1), both ways
	 * before either receives. */
	if (n <= 8) {
		if (calls_send(comm, rank, next, 11, 0, (1u << 20) + 1) ||
		    calls_send(comm, rank, prev, 12, 1, (1u << 20) + 1) ||
		    calls_recv_check(comm, rank, next, 12, 1,
		    (1u << 20) + 1) ||
		    calls_recv_check(comm, rank, prev, 11, 0, (1u << 20) + 1))
			return 1;
	}
	/* The largest message, there and back.  One at a time: two of them
	 * toward a rank that is not reading are over --max-pending (65 MiB)
	 * by design, and whether its library drains the first in time is up
	 * to the scheduler. */
	if (n <= 2) {
		if (rank == 0 && calls_send(comm, rank, next, 9, 0,
		    FB_MAX_MSG_BYTES))
			return 1;
		if (calls_recv_check(comm, rank, prev, 9, 0, FB_MAX_MSG_BYTES))
			return 1;
		if (rank != 0 && calls_send(comm, rank, next, 9, 0,
		    FB_MAX_MSG_BYTES))
			return 1;
	}
	if (n <= 8) {
		if (calls_send(comm, rank, next, 9, 0, 1u << 20) ||
		    calls_send(comm, rank, prev, 10, 1, 1u << 20) ||
		    calls_recv_check(comm, rank, next, 10, 1, 1u << 20) ||
		    calls_recv_check(comm, rank, prev, 9, 0, 1u << 20))
			return 1;
	}
	return 0;
}

static int
calls_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_comm *comm;
	int v, rc;

	rc = fb_comm_init(&comm, id, rank, n);
	CHECK(rc == 0, "init: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(NULL));
	CALL(fb_comm_rank(comm, &v));
	CHECK(v == rank, "fb_comm_rank says %d", v);
	CALL(fb_comm_size(comm, &v));
	CHECK(v == n, "fb_comm_size says %d", v);
	CALL(fb_comm_local_rank(comm, &v));
	CHECK(v == rank, "fb_comm_local_rank says %d on one node", v);
	CALL(fb_comm_local_size(comm, &v));
	CHECK(v == n, "fb_comm_local_size says %d on one node", v);
	CHECK(fb_comm_rank(comm, NULL) == FB_E_INVAL, "fb_comm_rank(NULL)");
	CALL(fb_barrier(comm));
	CALL(fb_barrier(comm));
	/* Nothing to move: NULL buffers are fine. */
	CALL(fb_allgather(comm, NULL, 0));
	CALL(fb_alltoall(comm, NULL, NULL, 0));
	CALL(fb_send(comm, NULL, 0, rank, 11));
	CALL(fb_recv(comm, NULL, 0, rank, 11));
	if (calls_collectives(comm, rank, n))
		return 1;
	if (calls_p2p(comm, rank, n))
		return 1;
	CALL(fb_barrier(comm));
	CALL(fb_comm_destroy(comm));
	t->r[rank].done = 1;
	return 0;
}

int
main(void)
{
	static const int sizes[] = { 1, 2, 8, 64 };
	struct th_daemon d;
	size_t k;
	double start;
	int failed, n;

	th_deadline(600);	/* bounds, not expectations: see below */
#ifdef ITEST_DAEMON_COLL
	/* The same, with collectives through the daemon (ARRIVE/RELEASE). */
	setenv("FASTBOOT_COLLECTIVES", "daemon", 1);
	tap_diag("FASTBOOT_COLLECTIVES=daemon");
#else
	unsetenv("FASTBOOT_COLLECTIVES");
#endif
	t = itest_shared();
	tap_plan(3 + (int)(sizeof sizes / sizeof sizes[0]));
	if (!ok(th_daemon_start(&d, NULL) == 0, "fastbootd started"))
		return tap_done();
	for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		n = sizes[k];
		itest_reset(t);
		/* One group with no timeout at all: nothing may expire. */
		if (n == 2)
			setenv("FASTBOOT_TIMEOUT_MS", "-1", 1);
		else
			unsetenv("FASTBOOT_TIMEOUT_MS");
		start = th_now_ms();
		/* 64 ranks ran past 60 s at load ~30 (flake hunt). */
		failed = th_run_ranks(n, calls_rank, NULL, 300000);
		itest_report(t, n);
		ok(failed == 0, "%d rank%s%s: init, getters, barrier, "
		    "allgather, alltoall, send/recv (ring, all pairs, self, "
		    "wrong length, limits), mixed collectives, every byte "
		    "checked (%.0f ms)", n, n > 1 ? "s" : "", n == 2 ?
		    " (FASTBOOT_TIMEOUT_MS=-1)" : "",
		    th_now_ms() - start);
	}
	itest_daemon_finish(&d);
	return tap_done();
}
