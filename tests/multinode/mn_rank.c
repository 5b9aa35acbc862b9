/*
 * mn_rank.c - the ranks of one simulated node in a multi-node test.
 *
 *   mn_rank --make-id FILE [--count K]
 *	Make K job ids through this node's fastbootd (FASTBOOT_SOCKET) and
 *	write them to FILE, one hex line each.
 *   mn_rank --id FILE --nranks N --ranks A-B [--mode MODE] [options]
 *	Run ranks A..B of an N-rank job, one process each (children of this
 *	one, killed with it).  Each prints one line, written whole:
 *	  rank R joined node K nnodes M		(after fb_comm_init)
 *	  rank R ok node K nnodes M local L/S init_ms X total_ms Y
 *	  rank R fail CALL rc CODE NAME at_ms T detail TEXT
 *	Exit status: the number of ranks that failed (0: all printed ok, or,
 *	for the loop and hold modes, all printed their error line).
 *
 * Modes (public API only):
 *   calls	every call, each result checked byte for byte: rank, size,
 *		local rank and size (ranks A..B make the node), fb_comm_node,
 *		barriers, allgather of 1 B to 64 KiB, alltoall of 1 B to 4 KiB
 *		per peer, send/recv to the next rank and across the job (order
 *		per (peer, tag) and zero-length messages), then destroy.
 *   jobs	--count K jobs in a row, the j-th with the j-th id of the file:
 *		init, barrier, allgather 64 B checked, destroy.
 *   barrier	init, then barriers until a call fails or --run-ms passes.
 *   allgather	the same with allgathers of 64 B, checked.
 *   hold	init, then one fb_recv nobody answers until it fails.
 *   init	init only; its result is the line (a forged id's refusal).
 *   stream	init, then at once (no barrier: while the links of a new
 *		job may still be settling) --count K numbered messages to
 *		every rank of the other nodes on each of tags 1 (64 B) and 2
 *		(1000 B), interleaved; then the same received and checked
 *		byte for byte, numbers in order per (peer, tag); a barrier,
 *		destroy.  The "ok" line ends with "msgs N" (received).
 *   flood	a 2-rank job, a rank per node: rank 0 sends numbered
 *		1000-byte messages (tag 1) to rank 1, which reads none yet,
 *		until fb_send fails (at most --count sends); then both
 *		allgather how many went, and rank 1 receives them all,
 *		checked byte for byte in order, then one more that rank 0
 *		sends once rank 1 has drained (the next number: nothing of
 *		the refused send arrived).  The "ok" line ends with
 *		"sent N refused NAME" (rank 0: what the failed call returned,
 *		FB_OK on rank 1).
 *   mismatch	init, a barrier, then rank 1 calls fb_barrier and every other
 *		rank fb_allgather of 8 bytes: each must fail with
 *		FB_E_MISMATCH (its line is the fail line; any other
 *		outcome is wrong).
 * In the loop and hold modes the first failure is the expected outcome:
 * the line says which call, which code, when (CLOCK_REALTIME ms) and the
 * detail; the test script judges it.
 *
 * --pmix: run one rank in this process, the one a PMIx launcher (mpirun)
 * gave it: rank PMIX_RANK; this node's ranks from OMPI_COMM_WORLD_LOCAL_RANK
 * and OMPI_COMM_WORLD_LOCAL_SIZE (contiguous, as mpirun maps by slot).
 *
 * --gate (calls mode): after init and a first barrier, print the "joined"
 * line and wait for SIGUSR1 (sent to the driver, which passes it on) before
 * the rest, so that a test can act while the job is live on every node.
 *
 * Options: --nnodes M (check fb_comm_node's count), --timeout MS (per call,
 * default 30000), --run-ms MS (loop modes, default 20000), --seed S,
 * --id-line J (use line J of the id file, from 0), --slow-leave R:MS (jobs
 * mode: rank R sleeps MS before each fb_comm_destroy, so that the other
 * ranks start the next job while its job has not ended on its node),
 * --leave R:K:MS (barrier and allgather modes: rank R leaves the job with
 * fb_comm_destroy MS ms after its K-th round and prints "rank R left after
 * K rounds"; the others go on, into round K + 1, until their call fails),
 * --frames-rank R (rank R runs with FASTBOOT_COLLECTIVES=daemon: it sends
 * its own ARRIVE frames, as a rank of an older library does),
 * --lag R:K:MS (loop modes: rank R sleeps MS ms after its K-th round,
 * then prints "rank R late at round K+1" and goes on).
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wire/clock.h"
#include "fastboot/fastboot.h"

/* fb_comm_node arrives with multi-node fastbootd (FASTBOOT_0.2); a weak
 * reference lets this driver say "missing" instead of failing to link. */
int fb_comm_node(const fb_comm *comm, int *node, int *nnodes);
#pragma weak fb_comm_node

#define MN_MAX_IDS	1024

enum mn_mode { MN_CALLS, MN_JOBS, MN_BARRIER, MN_ALLGATHER, MN_HOLD,
    MN_INIT, MN_STREAM, MN_FLOOD, MN_MISMATCH };

static struct {
	const char *id_file;
	int nranks;
	int first, last;	/* the ranks of this node */
	int nnodes;		/* expected, 0: unchecked */
	int timeout_ms;
	int run_ms;
	uint32_t seed;
	int count;
	int id_line;
	int gate;
	int slow_rank;		/* --slow-leave: this rank (-1: none) */
	int slow_ms;		/* sleeps this long before each destroy */
	int leave_rank;		/* --leave: this rank (-1: none) */
	uint32_t leave_after;	/* leaves after this many rounds */
	int leave_ms;		/* and this long after the last */
	int frames_rank;	/* --frames-rank: FASTBOOT_COLLECTIVES=daemon */
	int lag_rank;		/* --lag: this rank (-1: none) */
	uint32_t lag_after;	/* sleeps after this many rounds */
	int lag_ms;
	enum mn_mode mode;
} opt = { .timeout_ms = 30000, .run_ms = 20000, .seed = 1, .count = 1,
    .slow_rank = -1, .leave_rank = -1, .frames_rank = -1, .lag_rank = -1 };

static fb_unique_id *mn_ids;
static int mn_nids;
static pid_t *mn_pids;
static int mn_npids;

static double
mn_mono_ms(void)
{
	return (double)clock_mono_ns() / 1e6;
}

static long long
mn_real_ms(void)
{
	return (long long)(clock_wall_ns() / 1000000u);
}

/* One line, one write(2): lines of ranks sharing the file never mix. */
static void
mn_line(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	/* The detail must stay on one line. */
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[n++] = '\n';
	(void)!write(STDOUT_FILENO, buf, (size_t)n);
}

static const char *
mn_code_name(int rc)
{
	switch (rc) {
	case FB_OK: return "FB_OK";
	case FB_E_INVAL: return "FB_E_INVAL";
	case FB_E_NOMEM: return "FB_E_NOMEM";
	case FB_E_TIMEOUT: return "FB_E_TIMEOUT";
	case FB_E_PEER_LOST: return "FB_E_PEER_LOST";
	case FB_E_DAEMON_LOST: return "FB_E_DAEMON_LOST";
	case FB_E_NODAEMON: return "FB_E_NODAEMON";
	case FB_E_PROTO: return "FB_E_PROTO";
	case FB_E_VERSION: return "FB_E_VERSION";
	case FB_E_PERM: return "FB_E_PERM";
	case FB_E_MISMATCH: return "FB_E_MISMATCH";
	case FB_E_SYS: return "FB_E_SYS";
	case FB_E_LIMIT: return "FB_E_LIMIT";
	case FB_E_ABORTED: return "FB_E_ABORTED";
	case FB_E_NOGPU: return "FB_E_NOGPU";
	}
	return "FB_E_?";
}

/* A call failed: the line says which, with what, when and why. */
static int
mn_fail(int rank, const fb_comm *c, const char *call, int rc)
{
	mn_line("rank %d fail %s rc %d %s at_ms %lld detail %s", rank, call,
	    rc, mn_code_name(rc), mn_real_ms(),
	    fb_comm_last_error(c)[0] != '\0' ? fb_comm_last_error(c) :
	    fb_strerror(rc));
	return 1;
}

/* A result was wrong: rc 0 but the bytes or numbers were not. */
static int
mn_wrong(int rank, const char *call, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	mn_line("rank %d fail %s rc 0 WRONG at_ms %lld detail %s", rank, call,
	    mn_real_ms(), what);
	return 1;
}

/* The byte at offset i of what src made for dst in round k. */
static uint8_t
mn_byte(int src, int dst, size_t i, uint32_t k)
{
	uint32_t v = (uint32_t)src * 2654435761u ^ (uint32_t)dst * 40503u ^
	    (uint32_t)i * 2246822519u ^ (k + opt.seed) * 3266489917u;

	return (uint8_t)(v ^ v >> 13 ^ v >> 24);
}

static int
mn_allgather(fb_comm *c, int rank, size_t sz, uint32_t k)
{
	size_t n = (size_t)opt.nranks, i;
	uint8_t *buf;
	int rc, r;

	if ((buf = malloc(n * sz)) == NULL)
		return mn_wrong(rank, "fb_allgather", "malloc %zu", n * sz);
	memset(buf, 0xee, n * sz);
	for (i = 0; i < sz; i++)
		buf[(size_t)rank * sz + i] = mn_byte(rank, -1, i, k);
	if ((rc = fb_allgather(c, buf, sz)) != 0) {
		free(buf);
		return mn_fail(rank, c, "fb_allgather", rc);
	}
	for (r = 0; r < opt.nranks; r++)
		for (i = 0; i < sz; i++)
			if (buf[(size_t)r * sz + i] != mn_byte(r, -1, i, k)) {
				free(buf);
				return mn_wrong(rank, "fb_allgather", "%zu B "
				    "per rank: byte %zu of rank %d's slice "
				    "differs", sz, i, r);
			}
	free(buf);
	return 0;
}

static int
mn_alltoall(fb_comm *c, int rank, size_t sz, uint32_t k)
{
	size_t n = (size_t)opt.nranks, i;
	uint8_t *sb, *rb;
	int rc, p, ret = 0;

	sb = malloc(n * sz);
	rb = malloc(n * sz);
	if (sb == NULL || rb == NULL) {
		free(sb);
		free(rb);
		return mn_wrong(rank, "fb_alltoall", "malloc %zu", n * sz);
	}
	memset(rb, 0xee, n * sz);
	for (p = 0; p < opt.nranks; p++)
		for (i = 0; i < sz; i++)
			sb[(size_t)p * sz + i] = mn_byte(rank, p, i, k);
	if ((rc = fb_alltoall(c, sb, rb, sz)) != 0)
		ret = mn_fail(rank, c, "fb_alltoall", rc);
	for (p = 0; ret == 0 && p < opt.nranks; p++)
		for (i = 0; i < sz; i++)
			if (rb[(size_t)p * sz + i] != mn_byte(p, rank, i, k)) {
				ret = mn_wrong(rank, "fb_alltoall", "%zu B per "
				    "peer: byte %zu from rank %d differs", sz,
				    i, p);
				break;
			}
	free(sb);
	free(rb);
	return ret;
}

/* Messages: 3 to the next rank on tag 5, 3 to the rank half the job away
 * (another node when the nodes are even blocks) on tag 9 with growing
 * lengths, one empty one on tag 11; then the same received, in order. */
#define MN_P2P_MAX 3000
static int
mn_p2p(fb_comm *c, int rank)
{
	static const size_t len9[3] = { 10, 1000, MN_P2P_MAX };
	int n = opt.nranks, next = (rank + 1) % n, prev = (rank + n - 1) % n;
	int far = (rank + n / 2) % n, from = (rank + n - n / 2) % n;
	uint8_t out[MN_P2P_MAX], in[MN_P2P_MAX];
	size_t i;
	int k, rc;

	for (k = 0; k < 3; k++) {
		for (i = 0; i < 100; i++)
			out[i] = mn_byte(rank, next, i, 100 + (uint32_t)k);
		if ((rc = fb_send(c, out, 100, next, 5)) != 0)
			return mn_fail(rank, c, "fb_send", rc);
		for (i = 0; i < len9[k]; i++)
			out[i] = mn_byte(rank, far, i, 200 + (uint32_t)k);
		if ((rc = fb_send(c, out, len9[k], far, 9)) != 0)
			return mn_fail(rank, c, "fb_send", rc);
	}
	if ((rc = fb_send(c, out, 0, next, 11)) != 0)
		return mn_fail(rank, c, "fb_send (0 B)", rc);
	for (k = 0; k < 3; k++) {
		memset(in, 0xee, sizeof in);
		if ((rc = fb_recv(c, in, 100, prev, 5)) != 0)
			return mn_fail(rank, c, "fb_recv", rc);
		for (i = 0; i < 100; i++)
			if (in[i] != mn_byte(prev, rank, i, 100 + (uint32_t)k))
				return mn_wrong(rank, "fb_recv", "message %d "
				    "from rank %d tag 5: byte %zu differs", k,
				    prev, i);
	}
	for (k = 0; k < 3; k++) {
		memset(in, 0xee, sizeof in);
		if ((rc = fb_recv(c, in, len9[k], from, 9)) != 0)
			return mn_fail(rank, c, "fb_recv", rc);
		for (i = 0; i < len9[k]; i++)
			if (in[i] != mn_byte(from, rank, i, 200 + (uint32_t)k))
				return mn_wrong(rank, "fb_recv", "message %d "
				    "(%zu B) from rank %d tag 9: byte %zu "
				    "differs (out of order?)", k, len9[k],
				    from, i);
	}
	if ((rc = fb_recv(c, in, 0, prev, 11)) != 0)
		return mn_fail(rank, c, "fb_recv (0 B)", rc);
	return 0;
}

static int
mn_init_comm(fb_comm **c, int rank, int idx, double *ms)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	double t0 = mn_mono_ms();
	int rc;

	cfg.timeout_ms = opt.timeout_ms;
	rc = fb_comm_init_config(c, &mn_ids[idx], rank, opt.nranks, &cfg);
	*ms = mn_mono_ms() - t0;
	if (rc != 0) {
		mn_fail(rank, NULL, "fb_comm_init", rc);
		*c = NULL;
	}
	return rc;
}

static int
mn_where(fb_comm *c, int rank, int *node, int *nnodes)
{
	int v, rc;

	*node = *nnodes = -1;
	if ((rc = fb_comm_rank(c, &v)) != 0)
		return mn_fail(rank, c, "fb_comm_rank", rc);
	if (v != rank)
		return mn_wrong(rank, "fb_comm_rank", "says %d", v);
	if ((rc = fb_comm_size(c, &v)) != 0)
		return mn_fail(rank, c, "fb_comm_size", rc);
	if (v != opt.nranks)
		return mn_wrong(rank, "fb_comm_size", "says %d, not %d", v,
		    opt.nranks);
	if ((rc = fb_comm_local_rank(c, &v)) != 0)
		return mn_fail(rank, c, "fb_comm_local_rank", rc);
	if (v != rank - opt.first)
		return mn_wrong(rank, "fb_comm_local_rank", "says %d, not %d "
		    "(this node has ranks %d-%d)", v, rank - opt.first,
		    opt.first, opt.last);
	if ((rc = fb_comm_local_size(c, &v)) != 0)
		return mn_fail(rank, c, "fb_comm_local_size", rc);
	if (v != opt.last - opt.first + 1)
		return mn_wrong(rank, "fb_comm_local_size", "says %d, not %d",
		    v, opt.last - opt.first + 1);
	if (fb_comm_node == NULL)
		return mn_wrong(rank, "fb_comm_node", "missing from the "
		    "library");
	if ((rc = fb_comm_node(c, node, nnodes)) != 0)
		return mn_fail(rank, c, "fb_comm_node", rc);
	if (*node < 0 || *node >= *nnodes ||
	    (opt.nnodes != 0 && *nnodes != opt.nnodes))
		return mn_wrong(rank, "fb_comm_node", "node %d of %d, "
		    "expected one of %d", *node, *nnodes, opt.nnodes);
	return 0;
}

/* Stream mode: message k from src to dst on tag t: its number, then
 * bytes that depend on all four. */
#define MN_STREAM_TAGS	2
static size_t
mn_stream_len(int tag)
{
	return tag == 1 ? 64 : 1000;
}

static void
mn_stream_fill(uint8_t *m, int src, int dst, int tag, uint32_t k)
{
	size_t i, len = mn_stream_len(tag);

	m[0] = (uint8_t)k;
	m[1] = (uint8_t)(k >> 8);
	m[2] = (uint8_t)(k >> 16);
	m[3] = (uint8_t)(k >> 24);
	for (i = 4; i < len; i++)
		m[i] = mn_byte(src, dst, i, k * MN_STREAM_TAGS + (uint32_t)tag);
}

static int
mn_stream_mine(int r)
{
	return r >= opt.first && r <= opt.last;
}

static int
mn_stream(fb_comm *c, int rank, long *got)
{
	uint8_t out[1000], in[1000];
	uint32_t k, num;
	size_t len, i;
	int r, t, rc;

	for (k = 0; k < (uint32_t)opt.count; k++)
		for (r = 0; r < opt.nranks; r++) {
			if (mn_stream_mine(r))
				continue;
			for (t = 1; t <= MN_STREAM_TAGS; t++) {
				mn_stream_fill(out, rank, r, t, k);
				if ((rc = fb_send(c, out, mn_stream_len(t), r,
				    t)) != 0)
					return mn_fail(rank, c, "fb_send", rc);
			}
		}
	for (r = 0; r < opt.nranks; r++) {
		if (mn_stream_mine(r))
			continue;
		for (t = 1; t <= MN_STREAM_TAGS; t++)
			for (k = 0; k < (uint32_t)opt.count; k++) {
				len = mn_stream_len(t);
				memset(in, 0xee, len);
				if ((rc = fb_recv(c, in, len, r, t)) != 0)
					return mn_fail(rank, c, "fb_recv", rc);
				num = (uint32_t)in[0] | (uint32_t)in[1] << 8 |
				    (uint32_t)in[2] << 16 |
				    (uint32_t)in[3] << 24;
				if (num != k)
					return mn_wrong(rank, "fb_recv", "from "
					    "rank %d tag %d: message %u came "
					    "where %u was due (out of order)",
					    r, t, num, k);
				mn_stream_fill(out, r, rank, t, k);
				for (i = 4; i < len; i++)
					if (in[i] != out[i])
						return mn_wrong(rank,
						    "fb_recv", "from rank %d "
						    "tag %d: message %u, byte "
						    "%zu differs", r, t, k, i);
				(*got)++;
			}
	}
	return 0;
}

/* A mode's last barrier, the handle destroyed, and its "ok" line (more:
 * the mode's own fields, from a space, or ""). */
static int
mn_finish(fb_comm *c, int rank, int node, int nnodes, double init_ms,
    double t0, const char *more)
{
	int rc;

	if ((rc = fb_barrier(c)) != 0) {
		mn_fail(rank, c, "fb_barrier", rc);
		fb_comm_destroy(c);
		return 1;
	}
	if ((rc = fb_comm_destroy(c)) != 0)
		return mn_fail(rank, NULL, "fb_comm_destroy", rc);
	mn_line("rank %d ok node %d nnodes %d local %d/%d init_ms %.3f "
	    "total_ms %.3f%s", rank, node, nnodes, rank - opt.first,
	    opt.last - opt.first + 1, init_ms, mn_mono_ms() - t0, more);
	return 0;
}

static int
mn_streams(int rank)
{
	double t0 = mn_mono_ms(), init_ms;
	fb_comm *c;
	char more[32];
	long got = 0;
	int node, nnodes;

	if (mn_init_comm(&c, rank, opt.id_line, &init_ms) != 0)
		return 1;
	if (mn_where(c, rank, &node, &nnodes) != 0 ||
	    mn_stream(c, rank, &got) != 0) {
		fb_comm_destroy(c);
		return 1;
	}
	snprintf(more, sizeof more, " msgs %ld", got);
	return mn_finish(c, rank, node, nnodes, init_ms, t0, more);
}

#define MN_FLOOD_LEN	1000

/* Message k of the flood. */
static void
mn_flood_fill(uint8_t *m, uint32_t k)
{
	size_t i;

	for (i = 0; i < MN_FLOOD_LEN; i++)
		m[i] = mn_byte(0, 1, i, k);
}

/* 0 once pid is stopped (its state in /proc is T), -1 past ms. */
static int
mn_wait_stopped(pid_t pid, int ms)
{
	char path[64], buf[256], *p;
	double end = mn_mono_ms() + ms;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	while (mn_mono_ms() < end) {
		if ((f = fopen(path, "r")) != NULL) {
			p = fgets(buf, sizeof buf, f);
			fclose(f);
			/* "pid (comm) S ...": the state follows the last ')' */
			if (p != NULL && (p = strrchr(buf, ')')) != NULL &&
			    p[1] == ' ' && p[2] == 'T')
				return 0;
		}
		usleep(1000);
	}
	return -1;
}

static int
mn_flood(int rank)
{
	double t0 = mn_mono_ms(), init_ms;
	uint8_t m[MN_FLOOD_LEN], want[MN_FLOOD_LEN];
	uint64_t mine = 0, all[2];
	fb_comm *c;
	char more[64];
	int node, nnodes, rc, refused = 0;
	uint32_t k, n;

	if (mn_init_comm(&c, rank, opt.id_line, &init_ms) != 0)
		return 1;
	if (mn_where(c, rank, &node, &nnodes) != 0)
		goto bad;
	/* The receiver stops itself (its library reads nothing while it is
	 * stopped); the sender waits until it is, floods, and wakes it. */
	all[0] = all[1] = 0;
	all[rank] = (uint64_t)getpid();
	if ((rc = fb_allgather(c, all, sizeof all[0])) != 0) {
		mn_fail(rank, c, "fb_allgather", rc);
		goto bad;
	}
	if (rank == 1)
		raise(SIGSTOP);
	else {
		if (mn_wait_stopped((pid_t)all[1], opt.timeout_ms) != 0) {
			mn_wrong(rank, "flood", "rank 1 (pid %d) did not stop "
			    "within %d ms", (int)all[1], opt.timeout_ms);
			goto bad;
		}
		for (k = 0; k < (uint32_t)opt.count; k++) {
			mn_flood_fill(m, k);
			if ((refused = fb_send(c, m, sizeof m, 1, 1)) != 0)
				break;
		}
		mine = k;
		kill((pid_t)all[1], SIGCONT);
	}
	all[0] = all[1] = 0;
	all[rank] = mine;
	if ((rc = fb_allgather(c, all, sizeof all[0])) != 0) {
		mn_fail(rank, c, "fb_allgather", rc);
		goto bad;
	}
	n = (uint32_t)all[0];
	if (rank == 1) {
		/* n messages, a barrier (drained), then the one sent after. */
		for (k = 0; k <= n; k++) {
			if (k == n && (rc = fb_barrier(c)) != 0) {
				mn_fail(rank, c, "fb_barrier", rc);
				goto bad;
			}
			if ((rc = fb_recv(c, m, sizeof m, 0, 1)) != 0) {
				mn_fail(rank, c, "fb_recv", rc);
				goto bad;
			}
			mn_flood_fill(want, k);
			if (memcmp(m, want, sizeof m) != 0) {
				mn_wrong(rank, "fb_recv", "flood message %u of "
				    "%u (the last sent after the drain) is "
				    "not message %u", k, n + 1, k);
				goto bad;
			}
		}
	} else {
		if ((rc = fb_barrier(c)) != 0) {	/* rank 1 drained */
			mn_fail(rank, c, "fb_barrier", rc);
			goto bad;
		}
		mn_flood_fill(m, n);
		if ((rc = fb_send(c, m, sizeof m, 1, 1)) != 0) {
			mn_fail(rank, c, "fb_send", rc);
			goto bad;
		}
	}
	snprintf(more, sizeof more, " sent %u refused %s", n,
	    mn_code_name(refused));
	return mn_finish(c, rank, node, nnodes, init_ms, t0, more);
bad:
	fb_comm_destroy(c);
	return 1;
}

static int
mn_calls(int rank)
{
	static const size_t ag[] = { 1, 8, 64, 1000, 65536 };
	static const size_t a2a[] = { 1, 16, 4096 };
	double t0 = mn_mono_ms(), init_ms;
	fb_comm *c;
	size_t i;
	int rc, node, nnodes;

	if (mn_init_comm(&c, rank, opt.id_line, &init_ms) != 0)
		return 1;
	if (mn_where(c, rank, &node, &nnodes) != 0)
		goto bad;
	if (opt.gate) {
		struct timespec ts = { opt.timeout_ms / 1000, 0 };
		sigset_t set;

		if ((rc = fb_barrier(c)) != 0) {
			mn_fail(rank, c, "fb_barrier", rc);
			goto bad;
		}
		mn_line("rank %d joined node %d nnodes %d init_ms %.3f", rank,
		    node, nnodes, init_ms);
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		if (sigtimedwait(&set, NULL, &ts) != SIGUSR1) {
			mn_wrong(rank, "gate", "no SIGUSR1 within %d ms",
			    opt.timeout_ms);
			goto bad;
		}
	}
	for (i = 0; i < 3; i++)
		if ((rc = fb_barrier(c)) != 0) {
			mn_fail(rank, c, "fb_barrier", rc);
			goto bad;
		}
	for (i = 0; i < sizeof ag / sizeof ag[0]; i++)
		if (mn_allgather(c, rank, ag[i], (uint32_t)i) != 0)
			goto bad;
	for (i = 0; i < sizeof a2a / sizeof a2a[0]; i++)
		if (mn_alltoall(c, rank, a2a[i], 10 + (uint32_t)i) != 0)
			goto bad;
	if (mn_p2p(c, rank) != 0)
		goto bad;
	return mn_finish(c, rank, node, nnodes, init_ms, t0, "");
bad:
	fb_comm_destroy(c);
	return 1;
}

static int
mn_jobs(int rank)
{
	double init_ms, first = 0, rest = 0, t0 = mn_mono_ms();
	fb_comm *c;
	int j, rc, node, nnodes;

	if (opt.id_line + opt.count > mn_nids)
		return mn_wrong(rank, "ids", "%d ids needed, %d in %s",
		    opt.id_line + opt.count, mn_nids, opt.id_file);
	for (j = 0; j < opt.count; j++) {
		if (mn_init_comm(&c, rank, opt.id_line + j, &init_ms) != 0)
			return 1;
		if (j == 0)
			first = init_ms;
		else
			rest += init_ms;
		if (j == 0 && mn_where(c, rank, &node, &nnodes) != 0)
			goto bad;
		if ((rc = fb_barrier(c)) != 0) {
			mn_fail(rank, c, "fb_barrier", rc);
			goto bad;
		}
		if (mn_allgather(c, rank, 64, (uint32_t)j) != 0)
			goto bad;
		if (rank == opt.slow_rank)
			usleep((useconds_t)opt.slow_ms * 1000);
		if ((rc = fb_comm_destroy(c)) != 0)
			return mn_fail(rank, NULL, "fb_comm_destroy", rc);
	}
	mn_line("rank %d ok node %d nnodes %d local %d/%d init_ms %.3f "
	    "total_ms %.3f jobs %d later_init_ms %.3f", rank, node, nnodes,
	    rank - opt.first, opt.last - opt.first + 1, first,
	    mn_mono_ms() - t0, opt.count,
	    opt.count > 1 ? rest / (opt.count - 1) : 0.0);
	return 0;
bad:
	fb_comm_destroy(c);
	return 1;
}

/* Loop and hold modes: succeed (exit 0) when a call fails, having said
 * how; fail when nothing failed within --run-ms. */
static int
mn_until_error(int rank)
{
	double init_ms, t0;
	fb_comm *c;
	uint8_t buf[16];
	uint32_t k = 0;
	int rc, node, nnodes;

	if (mn_init_comm(&c, rank, opt.id_line, &init_ms) != 0)
		return opt.mode == MN_INIT ? 0 : 1;
	if (mn_where(c, rank, &node, &nnodes) != 0) {
		fb_comm_destroy(c);
		return 1;
	}
	mn_line("rank %d joined node %d nnodes %d init_ms %.3f", rank, node,
	    nnodes, init_ms);
	if (opt.mode == MN_INIT) {
		if ((rc = fb_barrier(c)) != 0) {
			mn_fail(rank, c, "fb_barrier", rc);
			fb_comm_destroy(c);
			return 1;
		}
		fb_comm_destroy(c);
		mn_line("rank %d ok node %d nnodes %d", rank, node, nnodes);
		return 0;
	}
	t0 = mn_mono_ms();
	for (;;) {
		if (mn_mono_ms() - t0 > opt.run_ms) {
			fb_comm_destroy(c);
			return mn_wrong(rank, "loop", "no call failed in %d ms "
			    "(%u rounds)", opt.run_ms, k);
		}
		if (rank == opt.lag_rank && k == opt.lag_after) {
			usleep((useconds_t)opt.lag_ms * 1000);
			mn_line("rank %d late at round %u", rank, k + 1);
		}
		if (rank == opt.leave_rank && k == opt.leave_after) {
			usleep((useconds_t)opt.leave_ms * 1000);
			fb_comm_destroy(c);
			mn_line("rank %d left after %u rounds", rank, k);
			return 0;
		}
		switch (opt.mode) {
		case MN_BARRIER:
			if ((rc = fb_barrier(c)) != 0) {
				mn_fail(rank, c, "fb_barrier", rc);
				goto out;
			}
			break;
		case MN_ALLGATHER:
			if (mn_allgather(c, rank, 64, k) != 0)
				goto out;
			break;
		default:
			rc = fb_recv(c, buf, sizeof buf, (rank + 1) %
			    opt.nranks, 99);
			mn_fail(rank, c, "fb_recv", rc);
			goto out;
		}
		k++;
	}
out:
	fb_comm_destroy(c);
	return 0;
}

/* Mismatch mode: rank 1 calls a barrier where the others allgather. */
static int
mn_mismatch(int rank)
{
	uint64_t buf[64];
	double init_ms;
	fb_comm *c;
	int rc;

	if (mn_init_comm(&c, rank, opt.id_line, &init_ms) != 0)
		return 1;
	if ((rc = fb_barrier(c)) != 0) {
		mn_fail(rank, c, "fb_barrier", rc);
		fb_comm_destroy(c);
		return 1;
	}
	memset(buf, 0, sizeof buf);
	if (rank == 1)
		rc = fb_barrier(c);
	else if (opt.nranks <= 64)
		rc = fb_allgather(c, buf, 8);
	mn_fail(rank, c, rank == 1 ? "fb_barrier" : "fb_allgather", rc);
	fb_comm_destroy(c);
	return rc == FB_E_MISMATCH ? 0 : 1;
}

static int
mn_rank_main(int rank)
{
	switch (opt.mode) {
	case MN_CALLS:
		return mn_calls(rank);
	case MN_JOBS:
		return mn_jobs(rank);
	case MN_STREAM:
		return mn_streams(rank);
	case MN_FLOOD:
		return mn_flood(rank);
	case MN_MISMATCH:
		return mn_mismatch(rank);
	default:
		return mn_until_error(rank);
	}
}

static int
mn_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
mn_read_ids(const char *path)
{
	char line[2 * FB_UNIQUE_ID_BYTES + 8];
	FILE *f;
	int i, hi, lo;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "mn_rank: %s: %s\n", path, strerror(errno));
		return -1;
	}
	mn_ids = calloc(MN_MAX_IDS, sizeof *mn_ids);
	while (mn_ids != NULL && mn_nids < MN_MAX_IDS &&
	    fgets(line, sizeof line, f) != NULL) {
		if (strlen(line) < 2 * FB_UNIQUE_ID_BYTES)
			break;
		for (i = 0; i < FB_UNIQUE_ID_BYTES; i++) {
			hi = mn_hex(line[2 * i]);
			lo = mn_hex(line[2 * i + 1]);
			if (hi < 0 || lo < 0)
				break;
			mn_ids[mn_nids].internal[i] = (unsigned char)
			    (hi << 4 | lo);
		}
		if (i != FB_UNIQUE_ID_BYTES)
			break;
		mn_nids++;
	}
	fclose(f);
	if (mn_nids == 0) {
		fprintf(stderr, "mn_rank: %s: no job id in it\n", path);
		return -1;
	}
	return 0;
}

static int
mn_make_ids(const char *path, int count)
{
	fb_unique_id id;
	FILE *f;
	int i, j, rc;

	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "mn_rank: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (j = 0; j < count; j++) {
		if ((rc = fb_get_unique_id(&id)) != 0) {
			fprintf(stderr, "mn_rank: fb_get_unique_id: %s\n",
			    fb_strerror(rc));
			fclose(f);
			return 1;
		}
		for (i = 0; i < FB_UNIQUE_ID_BYTES; i++)
			fprintf(f, "%02x", id.internal[i]);
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : 1;
}

/* The driver passes SIGUSR1 on to its ranks (--gate). */
static void
mn_forward(int sig)
{
	int i, saved = errno;

	for (i = 0; i < mn_npids; i++)
		if (mn_pids[i] > 0)
			kill(mn_pids[i], sig);
	errno = saved;
}

static void
mn_usage(void)
{
	fprintf(stderr, "usage: mn_rank --make-id FILE [--count K]\n"
	    "       mn_rank --id FILE --nranks N --ranks A-B [--mode "
	    "calls|jobs|barrier|allgather|hold|init|stream|flood|\n"
	    "               mismatch]\n"
	    "               [--nnodes M] [--timeout MS] [--run-ms MS] "
	    "[--count K] [--seed S] [--id-line J] [--pmix] [--gate]\n"
	    "               [--slow-leave RANK:MS] [--leave RANK:ROUNDS:MS]\n"
	    "               [--frames-rank RANK] [--lag RANK:ROUNDS:MS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "make-id", required_argument, NULL, 'm' },
		{ "id", required_argument, NULL, 'i' },
		{ "nranks", required_argument, NULL, 'n' },
		{ "ranks", required_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'M' },
		{ "nnodes", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 't' },
		{ "run-ms", required_argument, NULL, 'R' },
		{ "count", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "id-line", required_argument, NULL, 'l' },
		{ "pmix", no_argument, NULL, 'P' },
		{ "gate", no_argument, NULL, 'g' },
		{ "slow-leave", required_argument, NULL, 'L' },
		{ "leave", required_argument, NULL, 'E' },
		{ "frames-rank", required_argument, NULL, 'F' },
		{ "lag", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *modes[] = { "calls", "jobs", "barrier",
	    "allgather", "hold", "init", "stream", "flood", "mismatch" };
	const char *make = NULL, *env;
	pid_t *pids, pid;
	int ch, i, n, failed = 0, status, limit_s, pmix = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm': make = optarg; break;
		case 'i': opt.id_file = optarg; break;
		case 'n': opt.nranks = atoi(optarg); break;
		case 'r':
			if (sscanf(optarg, "%d-%d", &opt.first, &opt.last) != 2)
				opt.first = opt.last = atoi(optarg);
			break;
		case 'M':
			for (i = 0; i < 9 && strcmp(optarg, modes[i]) != 0; i++)
				;
			if (i == 9)
				mn_usage();
			opt.mode = (enum mn_mode)i;
			break;
		case 'N': opt.nnodes = atoi(optarg); break;
		case 't': opt.timeout_ms = atoi(optarg); break;
		case 'R': opt.run_ms = atoi(optarg); break;
		case 'c': opt.count = atoi(optarg); break;
		case 's': opt.seed = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'l': opt.id_line = atoi(optarg); break;
		case 'P': pmix = 1; break;
		case 'g': opt.gate = 1; break;
		case 'L':
			if (sscanf(optarg, "%d:%d", &opt.slow_rank,
			    &opt.slow_ms) != 2)
				mn_usage();
			break;
		case 'F': opt.frames_rank = atoi(optarg); break;
		case 'G':
			if (sscanf(optarg, "%d:%u:%d", &opt.lag_rank,
			    &opt.lag_after, &opt.lag_ms) != 3 || opt.lag_ms < 0)
				mn_usage();
			break;
		case 'E':
			if (sscanf(optarg, "%d:%u:%d", &opt.leave_rank,
			    &opt.leave_after, &opt.leave_ms) != 3 ||
			    opt.leave_ms < 0)
				mn_usage();
			break;
		default: mn_usage();
		}
	}
	if (make != NULL)
		return mn_make_ids(make, opt.count);
	if (pmix) {
		int lr, ls;

		if ((env = getenv("PMIX_RANK")) == NULL) {
			fprintf(stderr, "mn_rank --pmix: no PMIX_RANK\n");
			return 100;
		}
		i = atoi(env);
		lr = (env = getenv("OMPI_COMM_WORLD_LOCAL_RANK")) ? atoi(env)
		    : 0;
		ls = (env = getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) ? atoi(env)
		    : 1;
		opt.first = i - lr;
		opt.last = opt.first + ls - 1;
		if (opt.id_file == NULL || opt.nranks <= 0 || i >= opt.nranks ||
		    opt.first < 0 || opt.last >= opt.nranks)
			mn_usage();
		if (mn_read_ids(opt.id_file) == -1)
			return 100;
		alarm((unsigned)((opt.timeout_ms * 2 + opt.run_ms) / 1000 +
		    10));
		return mn_rank_main(i);
	}
	if (opt.id_file == NULL || opt.nranks <= 0 || opt.first < 0 ||
	    opt.last < opt.first || opt.last >= opt.nranks || opt.count < 1)
		mn_usage();
	if (mn_read_ids(opt.id_file) == -1)
		return 100;
	if (opt.id_line >= mn_nids)
		mn_usage();
	n = opt.last - opt.first + 1;
	if ((pids = calloc((size_t)n, sizeof *pids)) == NULL)
		return 100;
	mn_pids = pids;
	mn_npids = n;
	/* Ranks start with SIGUSR1 blocked (the gate); the driver forwards
	 * it once they all exist. */
	{
		struct sigaction sa;
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = mn_forward;
		sigaction(SIGUSR1, &sa, NULL);
	}
	for (i = 0; i < n; i++) {
		if ((pid = fork()) == -1) {
			perror("mn_rank: fork");
			failed++;
			break;
		}
		if (pid == 0) {
			/* Die with the driver, whatever kills it. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(99);
			if (opt.first + i == opt.frames_rank)
				setenv("FASTBOOT_COLLECTIVES", "daemon", 1);
			_exit(mn_rank_main(opt.first + i) ? 1 : 0);
		}
		pids[i] = pid;
	}
	{
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	/* Bounded: every rank's calls have deadlines; this is the backstop. */
	limit_s = (opt.timeout_ms * 2 + opt.run_ms) / 1000 + 10;
	if (opt.mode == MN_JOBS)
		limit_s += opt.count * 2;
	alarm((unsigned)limit_s);
	for (i = 0; i < n && pids[i] != 0; i++) {
		while (waitpid(pids[i], &status, 0) == -1 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	return failed;
}
