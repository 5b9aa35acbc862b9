/*
 * jobs_test.c - many jobs on one daemon: 16 at once without crosstalk, a
 * process holding handles of two jobs, hostile clients dropped with an
 * error reply while another job keeps running, and READY through the rank
 * table beside a rank of an older library that takes READY frames.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire/reader.h"
#include "wire/table.h"
#include "wire/wire.h"
#include "libclient/client.h"	/* UID_OFF_KEY: where the job key sits */
#include "harness.h"
#include "tap.h"
#include "itest.h"

#define GROUP_MS	30000
#define NJOBS		16
#define JOB_RANKS	4

static struct itest *t;
static const char *sock_path;
static pid_t daemon_pid;

/* --- 16 jobs at once ------------------------------------------------- */

static int
jobs_many_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	int job = *(const int *)arg, slot = job * JOB_RANKS + rank, r, k, rc;
	uint32_t seed = (uint32_t)job * 7777u;
	uint8_t ag[JOB_RANKS * 256], s[JOB_RANKS * 64], d[JOB_RANKS * 64];
	uint8_t m[100], got[100];
	fb_comm *comm;
	size_t i;

	rc = fb_comm_init(&comm, id, rank, n);
	if (rc != 0)
		return itest_fail(t, slot, "job %d: init: %s (%s)", job,
		    fb_strerror(rc), fb_comm_last_error(NULL));
	for (k = 0; k < 10; k++) {
		for (i = 0; i < 256; i++)
			ag[rank * 256 + i] = itest_byte(rank, job, i, seed + k);
		rc = fb_allgather(comm, ag, 256);
		ITEST_CHECK(t, slot, rc == 0, "job %d: allgather: %s (%s)",
		    job, fb_strerror(rc), fb_comm_last_error(comm));
		for (r = 0; r < n; r++)
			for (i = 0; i < 256; i++)
				ITEST_CHECK(t, slot, ag[r * 256 + i] ==
				    itest_byte(r, job, i, seed + k), "job %d: "
				    "allgather %d: byte %zu from rank %d "
				    "(another job's data?)", job, k, i, r);
		for (r = 0; r < n; r++)
			for (i = 0; i < 64; i++)
				s[r * 64 + i] = itest_byte(rank, r, i,
				    seed + 100 + k);
		rc = fb_alltoall(comm, s, d, 64);
		ITEST_CHECK(t, slot, rc == 0, "job %d: alltoall: %s", job,
		    fb_strerror(rc));
		for (r = 0; r < n; r++)
			for (i = 0; i < 64; i++)
				ITEST_CHECK(t, slot, d[r * 64 + i] ==
				    itest_byte(r, rank, i, seed + 100 + k),
				    "job %d: alltoall %d: byte %zu from rank "
				    "%d", job, k, i, r);
		/* Same ranks and tags in every job: only the job tells
		 * them apart. */
		for (i = 0; i < sizeof m; i++)
			m[i] = itest_byte(rank, job, i, seed + 200 + k);
		rc = fb_send(comm, m, sizeof m, (rank + 1) % n, 1);
		ITEST_CHECK(t, slot, rc == 0, "job %d: send: %s", job,
		    fb_strerror(rc));
		rc = fb_recv(comm, got, sizeof got, (rank + n - 1) % n, 1);
		ITEST_CHECK(t, slot, rc == 0, "job %d: recv: %s", job,
		    fb_strerror(rc));
		for (i = 0; i < sizeof got; i++)
			ITEST_CHECK(t, slot, got[i] == itest_byte((rank + n -
			    1) % n, job, i, seed + 200 + k), "job %d: recv "
			    "%d: byte %zu", job, k, i);
		rc = fb_barrier(comm);
		ITEST_CHECK(t, slot, rc == 0, "job %d: barrier: %s", job,
		    fb_strerror(rc));
	}
	rc = fb_comm_destroy(comm);
	ITEST_CHECK(t, slot, rc == 0, "job %d: destroy: %s", job,
	    fb_strerror(rc));
	return 0;
}

static void
jobs_many_jobs(void)
{
	static int jobidx[NJOBS];
	fb_unique_id id;
	pid_t pids[NJOBS * JOB_RANKS];
	double start = th_now_ms();
	int j, failed;

	itest_reset(t);
	for (j = 0; j < NJOBS; j++) {
		jobidx[j] = j;
		th_unique_id(&id);
		th_spawn_ranks(JOB_RANKS, jobs_many_rank, &jobidx[j], &id,
		    pids + j * JOB_RANKS);
	}
	failed = th_wait_pids(pids, NJOBS * JOB_RANKS, GROUP_MS, NULL);
	itest_report(t, NJOBS * JOB_RANKS);
	ok(failed == 0, "%d jobs of %d ranks at once, same ranks and tags: "
	    "10 rounds of allgather, alltoall, send/recv, barrier each, no "
	    "crosstalk (%.0f ms)", NJOBS, JOB_RANKS, th_now_ms() - start);
}

/* --- one process, two jobs ------------------------------------------- */

struct two_arg {
	fb_unique_id a, b;
};

/* Process p is rank p of job A and rank 1-p of job B. */
static int
jobs_two_rank(const fb_unique_id *unused, int p, int n, void *arg)
{
	const struct two_arg *ids = arg;
	fb_comm *a, *b;
	int ra = p, rb = 1 - p, v[2], w[2], rc;
	char m[8];

	rc = fb_comm_init(&a, &ids->a, ra, 2);
	ITEST_CHECK(t, p, rc == 0, "init A: %s", fb_strerror(rc));
	rc = fb_comm_init(&b, &ids->b, rb, 2);
	ITEST_CHECK(t, p, rc == 0, "init B: %s", fb_strerror(rc));
	ITEST_CHECK(t, p, fb_comm_rank(a, &v[0]) == 0 && v[0] == ra &&
	    fb_comm_rank(b, &v[1]) == 0 && v[1] == rb, "ranks");
	v[ra] = 100 + ra;
	w[rb] = 200 + rb;
	ITEST_CHECK(t, p, fb_allgather(a, v, sizeof v[0]) == 0 &&
	    fb_allgather(b, w, sizeof w[0]) == 0, "allgathers");
	ITEST_CHECK(t, p, v[0] == 100 && v[1] == 101 && w[0] == 200 &&
	    w[1] == 201, "allgather results mixed up: %d %d %d %d", v[0],
	    v[1], w[0], w[1]);
	/* The same peer and tag on both handles. */
	ITEST_CHECK(t, p, fb_send(a, "A-msg", 6, 1 - ra, 3) == 0 &&
	    fb_send(b, "B-msg", 6, 1 - rb, 3) == 0, "sends");
	ITEST_CHECK(t, p, fb_recv(b, m, 6, 1 - rb, 3) == 0 &&
	    strcmp(m, "B-msg") == 0, "recv on B got \"%.6s\"", m);
	ITEST_CHECK(t, p, fb_recv(a, m, 6, 1 - ra, 3) == 0 &&
	    strcmp(m, "A-msg") == 0, "recv on A got \"%.6s\"", m);
	ITEST_CHECK(t, p, fb_barrier(b) == 0 && fb_barrier(a) == 0,
	    "barriers in opposite orders");
	/* Leaving A does not disturb B. */
	ITEST_CHECK(t, p, fb_comm_destroy(a) == 0, "destroy A");
	rc = fb_barrier(b);
	ITEST_CHECK(t, p, rc == 0, "barrier on B after A was destroyed: %s "
	    "(%s)", fb_strerror(rc), fb_comm_last_error(b));
	ITEST_CHECK(t, p, fb_comm_destroy(b) == 0, "destroy B");
	return 0;
}

static void
jobs_two_handles(void)
{
	struct two_arg ids;
	int failed;

	itest_reset(t);
	th_unique_id(&ids.a);
	th_unique_id(&ids.b);
	failed = th_run_ranks(2, jobs_two_rank, &ids, GROUP_MS);
	itest_report(t, 2);
	ok(failed == 0, "two processes each holding handles of two jobs "
	    "(ranks crossed): collectives and send/recv stay apart; "
	    "destroying one leaves the other working");
}

/* --- hostile clients ------------------------------------------------- */

static int
jobs_raw_connect(void)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock_path);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof sun) ==
	    -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read what the daemon sends until EOF (bounded by ms).  Returns the
 * ERROR's code, or 1 if the stream held no ERROR, or 2 if no EOF came.
 */
static int
jobs_raw_reply(int fd, int ms, char *text, size_t size)
{
	uint8_t buf[65536];
	size_t len = 0, off = 0;
	double end = th_now_ms() + ms;
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct wire_hdr h;
	struct wire_status_msg st;
	ssize_t n;
	int code = 1;

	text[0] = '\0';
	for (;;) {
		int left = (int)(end - th_now_ms());

		if (left <= 0)
			return 2;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		n = read(fd, buf + len, sizeof buf - len);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;	/* ECONNRESET: also the end */
		}
		len += (size_t)n;
		if (len == sizeof buf)
			return 2;
	}
	while (wire_decode_hdr_untrusted(buf + off, len - off,
	    WIRE_FROM_DAEMON, &h) == WIRE_OK && len - off - WIRE_HDR_LEN >=
	    h.length) {
		if (h.type == WIRE_ERROR && wire_decode_status(buf + off +
		    WIRE_HDR_LEN, h.length, &st) == WIRE_OK) {
			code = st.code;
			snprintf(text, size, "%.*s", (int)st.text_len, st.text);
		}
		off += WIRE_HDR_LEN + h.length;
	}
	return code;
}

/* Send bytes, read the reply: the daemon's ERROR code. */
static int
jobs_raw_try(const void *bytes, size_t len, char *text, size_t size)
{
	int fd, code;

	if ((fd = jobs_raw_connect()) == -1)
		return 3;
	if (len > 0 && send(fd, bytes, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return 4;
	}
	code = jobs_raw_reply(fd, 5000, text, size);
	close(fd);
	return code;
}

/* The job that runs while the hostile clients come and go. */
static int
jobs_busy_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	uint64_t v[JOB_RANKS];
	fb_comm *comm;
	int k, r, rc;

	rc = fb_comm_init(&comm, id, rank, n);
	if (rc != 0)
		return itest_fail(t, rank, "init: %s", fb_strerror(rc));
	__atomic_store_n(&t->r[rank].flag, 1, __ATOMIC_SEQ_CST);
	for (k = 0; k < 100000; k++) {
		/* Rank 0 decides when to stop, so that all stop together. */
		v[0] = rank == 0 ? __atomic_load_n(&t->go, __ATOMIC_SEQ_CST) :
		    0;
		v[rank] = rank == 0 ? v[0] : (uint64_t)k * 10 + (uint64_t)rank;
		rc = fb_allgather(comm, v, sizeof v[0]);
		ITEST_CHECK(t, rank, rc == 0, "allgather %d while others "
		    "misbehave: %s (%s)", k, fb_strerror(rc),
		    fb_comm_last_error(comm));
		for (r = 1; r < n; r++)
			ITEST_CHECK(t, rank, v[r] == (uint64_t)k * 10 +
			    (uint64_t)r, "allgather %d: rank %d's value", k, r);
		rc = fb_send(comm, &k, sizeof k, (rank + 1) % n, 0);
		ITEST_CHECK(t, rank, rc == 0, "send %d: %s", k,
		    fb_strerror(rc));
		rc = fb_recv(comm, &r, sizeof r, (rank + n - 1) % n, 0);
		ITEST_CHECK(t, rank, rc == 0 && r == k, "recv %d: %s", k,
		    fb_strerror(rc));
		if (v[0] != 0)
			break;
	}
	t->r[rank].t_ms = k;
	ITEST_CHECK(t, rank, fb_comm_destroy(comm) == 0, "destroy");
	return 0;
}

/* A job whose rank 1 is a raw client that turns hostile after joining. */
static int
jobs_victim_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm;
	double start;
	char b[4];
	int rc;

	cfg.timeout_ms = 20000;
	rc = fb_comm_init_config(&comm, id, 0, 2, &cfg);
	if (rc != 0)
		return itest_fail(t, 8, "victim init: %s (%s)",
		    fb_strerror(rc), fb_comm_last_error(NULL));
	__atomic_store_n(&t->r[8].flag, 1, __ATOMIC_SEQ_CST);
	start = th_now_ms();
	rc = fb_recv(comm, b, sizeof b, 1, 0);
	itest_note(t, 8, comm, rc, start);
	fb_comm_destroy(comm);
	return 0;
}

static int
jobs_victim_ready(void)
{
	double end = th_now_ms() + GROUP_MS;

	while (!__atomic_load_n(&t->r[8].flag, __ATOMIC_SEQ_CST))
		if (th_now_ms() > end)
			return 0;
		else
			usleep(1000);
	return 1;
}

static void
jobs_hostile(void)
{
	uint8_t f[256], key[WIRE_KEY_LEN];
	struct wire_hello hello = { 1, 1, WIRE_ROLE_RANK, 0 };
	struct wire_join join;
	fb_unique_id id, vid;
	pid_t pids[JOB_RANKS], vpid[1];
	char text[600];
	size_t n;
	int code, fd, failed, i;

	itest_reset(t);
	th_unique_id(&id);
	th_spawn_ranks(JOB_RANKS, jobs_busy_rank, NULL, &id, pids);
	if (!ok(itest_wait_flags(t, JOB_RANKS, -1, GROUP_MS), "a %d-rank job "
	    "is running", JOB_RANKS)) {
		th_wait_pids(pids, JOB_RANKS, 0, NULL);
		return;
	}

	for (i = 0; i < (int)sizeof f; i++)
		f[i] = (uint8_t)(i * 37 + 11);
	code = jobs_raw_try(f, sizeof f, text, sizeof text);
	ok(code == FB_E_PROTO, "256 bytes of garbage: ERROR %d (%s) then "
	    "EOF: \"%s\"", code, fb_strerror(code), text);

	n = wire_encode_hello(f, &hello);
	memset(&join, 0, sizeof join);
	join.nranks = 0;
	wire_encode_join(f + n, &join);
	code = jobs_raw_try(f, n + WIRE_HDR_LEN + WIRE_JOIN_LEN, text,
	    sizeof text);
	ok(code == FB_E_PROTO, "JOIN with nranks 0: ERROR %d (%s): \"%s\"",
	    code, fb_strerror(code), text);

	wire_encode_hdr(f, WIRE_SEND, 0xffffffffu, 0);
	code = jobs_raw_try(f, WIRE_HDR_LEN, text, sizeof text);
	ok(code == FB_E_PROTO, "a header claiming a 4 GiB SEND: ERROR %d "
	    "(%s): \"%s\"", code, fb_strerror(code), text);

	wire_encode_hdr(f, WIRE_RELEASE, 0, 0);
	code = jobs_raw_try(f, WIRE_HDR_LEN, text, sizeof text);
	ok(code == FB_E_PROTO, "a daemon-only type from a client: ERROR %d "
	    "(%s): \"%s\"", code, fb_strerror(code), text);

	hello.min_version = 7;
	hello.max_version = 9;
	n = wire_encode_hello(f, &hello);
	code = jobs_raw_try(f, n, text, sizeof text);
	ok(code == FB_E_VERSION, "HELLO for versions 7-9: ERROR %d (%s): "
	    "\"%s\"", code, fb_strerror(code), text);
	hello.min_version = hello.max_version = 1;

	n = wire_encode_hello(f, &hello);
	wire_encode_empty(f + n, WIRE_ARRIVE, 1);
	code = jobs_raw_try(f, n + WIRE_HDR_LEN, text, sizeof text);
	ok(code == FB_E_PROTO, "an ARRIVE with a bad length: ERROR %d (%s): "
	    "\"%s\"", code, fb_strerror(code), text);

	/* Silence after connecting: the handshake deadline (1 s here). */
	code = jobs_raw_try(NULL, 0, text, sizeof text);
	ok(code == FB_E_TIMEOUT, "a client that says nothing: ERROR %d (%s) "
	    "after --handshake-ms: \"%s\"", code, fb_strerror(code), text);

	/* A descriptor attached to a HELLO. */
	if ((fd = jobs_raw_connect()) != -1) {
		union {
			struct cmsghdr hdr;
			char buf[CMSG_SPACE(sizeof(int))];
		} cm;
		struct msghdr mh;
		struct iovec iov;
		struct cmsghdr *cmsg;
		int pass = 0;

		n = wire_encode_hello(f, &hello);
		iov.iov_base = f;
		iov.iov_len = n;
		memset(&mh, 0, sizeof mh);
		memset(&cm, 0, sizeof cm);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof cm.buf;
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pass, sizeof pass);
		code = sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)n ?
		    jobs_raw_reply(fd, 5000, text, sizeof text) : 4;
		close(fd);
		ok(code == FB_E_PROTO, "a HELLO carrying a descriptor: ERROR "
		    "%d (%s): \"%s\"", code, fb_strerror(code), text);
	}

	/* Over the daemon's cap on ranks, through the library. */
	{
		fb_unique_id big;
		fb_comm *comm = NULL;
		double start = th_now_ms();

		th_unique_id(&big);
		code = fb_comm_init(&comm, &big, 0, 5000);
		ok(code == FB_E_LIMIT && comm == NULL && th_now_ms() - start <
		    5000, "init of rank 0 of 5000 (the daemon's cap is 4096): "
		    "FB_E_LIMIT at once: \"%s\"", fb_comm_last_error(NULL));
	}

	/* Half a header, then it closes: nothing to answer, no harm. */
	if ((fd = jobs_raw_connect()) != -1) {
		(void)!send(fd, f, 7, MSG_NOSIGNAL);
		close(fd);
	}

	/* A member that turns hostile: its job fails, the other does not. */
	th_unique_id(&vid);
	th_spawn_ranks(1, jobs_victim_rank, NULL, &vid, vpid);
	memcpy(key, vid.internal + UID_OFF_KEY, sizeof key);
	memset(&join, 0, sizeof join);
	memcpy(join.key, key, sizeof key);
	join.rank = 1;
	join.nranks = 2;
	n = wire_encode_hello(f, &hello);
	n += wire_encode_join(f + n, &join);
	fd = jobs_raw_connect();
	if (fd != -1 && send(fd, f, n, MSG_NOSIGNAL) == (ssize_t)n &&
	    jobs_victim_ready()) {
		memset(f, 0xa5, 64);
		(void)!send(fd, f, 64, MSG_NOSIGNAL);
		code = jobs_raw_reply(fd, 5000, text, sizeof text);
		ok(code == FB_E_PROTO, "a joined rank sending garbage: ERROR "
		    "%d (%s): \"%s\"", code, fb_strerror(code), text);
	} else
		ok(0, "a raw rank joined a job");
	if (fd != -1)
		close(fd);
	th_wait_pids(vpid, 1, GROUP_MS, NULL);
	ok(t->r[8].rc == FB_E_PEER_LOST && strstr(t->r[8].err, "rank 1") !=
	    NULL, "its peer gets FB_E_PEER_LOST naming rank 1: \"%s\"",
	    t->r[8].err);

	__atomic_store_n(&t->go, 1, __ATOMIC_SEQ_CST);
	failed = th_wait_pids(pids, JOB_RANKS, GROUP_MS, NULL);
	itest_report(t, JOB_RANKS);
	ok(failed == 0 && t->r[0].t_ms > 0, "meanwhile the other job ran %.0f "
	    "rounds of allgather and send/recv, all verified, and finished",
	    t->r[0].t_ms);
}

/* --- the daemon's cap on bytes waiting for a receiver ------------------ */

#define MAX_PENDING	(3u << 20)
#define BIG		(1u << 20)

static int
jobs_pending_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	static uint8_t m[BIG], got[BIG];
	fb_comm *comm;
	size_t i;
	int k, sent = 0, rc;

	rc = fb_comm_init(&comm, id, rank, n);
	if (rc != 0)
		return itest_fail(t, rank, "init: %s", fb_strerror(rc));
	if (rank == 0) {
		/* Rank 1 is not receiving: the daemon holds what it sends. */
		for (k = 0; k < 16; k++) {
			memset(m, k, sizeof m);
			rc = fb_send(comm, m, sizeof m, 1, k);
			if (rc != 0)
				break;
			sent++;
		}
		snprintf(t->r[0].err, sizeof t->r[0].err, "%s",
		    fb_comm_last_error(comm));
		t->r[0].rc = rc;
		t->r[0].flag = sent;
		__atomic_store_n(&t->r[0].step, 1, __ATOMIC_SEQ_CST);
		ITEST_CHECK(t, rank, rc == FB_E_LIMIT && sent >= 2,
		    "send #%d of 1 MiB with a %u-byte cap: %s (%s)", sent,
		    MAX_PENDING, fb_strerror(rc), fb_comm_last_error(comm));
		/* Once rank 1 has taken them, there is room again. */
		ITEST_CHECK(t, rank, itest_wait_steps(t, 2, 0, 1, GROUP_MS),
		    "rank 1 did not receive");
		memset(m, 0x77, sizeof m);
		rc = fb_send(comm, m, sizeof m, 1, 99);
		ITEST_CHECK(t, rank, rc == 0, "a send after the receiver "
		    "drained: %s (%s)", fb_strerror(rc),
		    fb_comm_last_error(comm));
	} else {
		ITEST_CHECK(t, rank, itest_wait_steps(t, 1, -1, 1, GROUP_MS),
		    "rank 0 did not finish sending");
		sent = t->r[0].flag;
		for (k = 0; k < sent; k++) {
			rc = fb_recv(comm, got, sizeof got, 0, k);
			ITEST_CHECK(t, rank, rc == 0, "recv %d: %s", k,
			    fb_strerror(rc));
			for (i = 0; i < sizeof got; i++)
				ITEST_CHECK(t, rank, got[i] == k, "recv %d: "
				    "byte %zu", k, i);
		}
		__atomic_store_n(&t->r[1].step, 1, __ATOMIC_SEQ_CST);
		rc = fb_recv(comm, got, sizeof got, 0, 99);
		ITEST_CHECK(t, rank, rc == 0 && got[0] == 0x77 &&
		    got[BIG - 1] == 0x77, "recv after the drain: %s",
		    fb_strerror(rc));
	}
	ITEST_CHECK(t, rank, fb_barrier(comm) == 0, "final barrier");
	fb_comm_destroy(comm);
	return 0;
}

static void
jobs_pending_cap(void)
{
	int failed;

	itest_reset(t);
	failed = th_run_ranks(2, jobs_pending_rank, NULL, GROUP_MS);
	itest_report(t, 2);
	ok(failed == 0 && t->r[0].rc == FB_E_LIMIT, "--max-pending %u: "
	    "send #%d of 1 MiB to a rank not receiving is FB_E_LIMIT (\"%s\"); "
	    "the %d before arrive intact and, once received, sending works "
	    "again", MAX_PENDING, t->r[0].flag + 1, t->r[0].err,
	    t->r[0].flag);
}

/* --- a rank claimed twice ---------------------------------------------- */

struct dup_arg {
	int rank;
};

static int
jobs_dup_rank(const fb_unique_id *id, int unused, int n, void *arg)
{
	const struct dup_arg *a = arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm = NULL;
	int slot = a->rank < 0 ? 2 : a->rank, rc;
	double start = th_now_ms();

	cfg.timeout_ms = 20000;
	rc = fb_comm_init_config(&comm, id, a->rank < 0 ? 0 : a->rank, 2,
	    &cfg);
	itest_note(t, slot, NULL, rc, start);
	if (rc == 0) {
		rc = fb_barrier(comm);
		t->r[slot].rc = rc;
		fb_comm_destroy(comm);
	}
	return 0;
}

static void
jobs_duplicate_rank(void)
{
	struct dup_arg first = { 0 }, dup = { -1 }, second = { 1 };
	fb_unique_id id;
	pid_t p[2], pd[1];

	itest_reset(t);
	th_unique_id(&id);
	if (!ok(itest_ctl_wait(sock_path, "ranks", 0, GROUP_MS),
	    "no ranks left from earlier tests"))
		return;
	th_spawn_ranks(1, jobs_dup_rank, &first, &id, &p[0]);
	if (!ok(itest_ctl_wait(sock_path, "ranks", 1, GROUP_MS), "rank 0 of "
	    "2 joined")) {
		th_wait_pids(p, 1, 0, NULL);
		return;
	}
	th_spawn_ranks(1, jobs_dup_rank, &dup, &id, pd);
	th_wait_pids(pd, 1, GROUP_MS, NULL);
	ok(t->r[2].rc == FB_E_INVAL && t->r[2].elapsed_ms < 5000 &&
	    strstr(t->r[2].err, "already taken") != NULL, "a second process "
	    "claiming rank 0: FB_E_INVAL at once: \"%s\"", t->r[2].err);
	th_spawn_ranks(1, jobs_dup_rank, &second, &id, &p[1]);
	/* Both at once: th_wait_pids reaps any child it sees. */
	th_wait_pids(p, 2, GROUP_MS, NULL);
	ok(t->r[0].done && t->r[1].done && t->r[0].rc == 0 &&
	    t->r[1].rc == 0, "the first rank 0 and rank 1 still make the job "
	    "and pass a barrier (%s, %s)",
	    fb_strerror(t->r[0].rc), fb_strerror(t->r[1].rc));
}

/* --- calls interrupted by signals ------------------------------------- */

static volatile sig_atomic_t sig_count;

static void
jobs_sig_tick(int sig)
{
	sig_count++;
}

static int
jobs_signal_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	struct itimerval it = { { 0, 300 }, { 0, 300 } };
	struct sigaction sa;
	uint32_t v[JOB_RANKS];
	fb_comm *comm;
	int k, r, rc, got;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = jobs_sig_tick;	/* no SA_RESTART: calls see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	rc = fb_comm_init(&comm, id, rank, n);
	ITEST_CHECK(t, rank, rc == 0, "init under signals: %s (%s)",
	    fb_strerror(rc), fb_comm_last_error(NULL));
	for (k = 0; k < 300; k++) {
		v[rank] = (uint32_t)(k * 8 + rank);
		rc = fb_allgather(comm, v, sizeof v[0]);
		ITEST_CHECK(t, rank, rc == 0, "allgather %d under signals: %s "
		    "(%s)", k, fb_strerror(rc), fb_comm_last_error(comm));
		for (r = 0; r < n; r++)
			ITEST_CHECK(t, rank, v[r] == (uint32_t)(k * 8 + r),
			    "allgather %d: rank %d's value", k, r);
		rc = fb_send(comm, &k, sizeof k, (rank + 1) % n, 5);
		ITEST_CHECK(t, rank, rc == 0, "send %d under signals: %s (%s)",
		    k, fb_strerror(rc), fb_comm_last_error(comm));
		rc = fb_recv(comm, &got, sizeof got, (rank + n - 1) % n, 5);
		ITEST_CHECK(t, rank, rc == 0 && got == k, "recv %d under "
		    "signals: %s (%s)", k, fb_strerror(rc),
		    fb_comm_last_error(comm));
		rc = fb_barrier(comm);
		ITEST_CHECK(t, rank, rc == 0, "barrier %d under signals: %s "
		    "(%s)", k, fb_strerror(rc), fb_comm_last_error(comm));
	}
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	t->r[rank].flag = (int)sig_count;
	ITEST_CHECK(t, rank, fb_comm_destroy(comm) == 0, "destroy");
	return 0;
}

static void
jobs_signals(void)
{
	int failed;

	itest_reset(t);
	failed = th_run_ranks(JOB_RANKS, jobs_signal_rank, NULL, GROUP_MS);
	itest_report(t, JOB_RANKS);
	ok(failed == 0 && t->r[0].flag > 0, "%d ranks, each taking a signal "
	    "every 300 us (no SA_RESTART; rank 0 took %d): 300 rounds of "
	    "allgather, send/recv and barrier succeed", JOB_RANKS,
	    t->r[0].flag);
}

/* --- fork() in a rank ---------------------------------------------------- */

static int
jobs_fork_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	uint32_t v[JOB_RANKS];
	fb_comm *comm;
	pid_t child;
	int k, r, rc, st;

	rc = fb_comm_init(&comm, id, rank, n);
	ITEST_CHECK(t, rank, rc == 0, "init: %s", fb_strerror(rc));
	for (k = 0; k < 3; k++) {
		/* A child that drops the handle (exits, or execs), as the
		 * header says it may. */
		child = fork();
		if (child == 0) {
			if (k == 1)
				execl("/bin/true", "true", (char *)NULL);
			_exit(0);
		}
		ITEST_CHECK(t, rank, child > 0 && waitpid(child, &st, 0) ==
		    child, "fork/wait");
		v[rank] = (uint32_t)(k * 8 + rank);
		rc = fb_allgather(comm, v, sizeof v[0]);
		ITEST_CHECK(t, rank, rc == 0, "allgather after a child "
		    "exited: %s (%s)", fb_strerror(rc),
		    fb_comm_last_error(comm));
		for (r = 0; r < n; r++)
			ITEST_CHECK(t, rank, v[r] == (uint32_t)(k * 8 + r),
			    "allgather %d: rank %d's value", k, r);
		rc = fb_send(comm, &k, sizeof k, (rank + 1) % n, 0);
		ITEST_CHECK(t, rank, rc == 0, "send: %s", fb_strerror(rc));
		rc = fb_recv(comm, &r, sizeof r, (rank + n - 1) % n, 0);
		ITEST_CHECK(t, rank, rc == 0 && r == k, "recv: %s",
		    fb_strerror(rc));
	}
	ITEST_CHECK(t, rank, fb_comm_destroy(comm) == 0, "destroy");
	return 0;
}

static void
jobs_fork(void)
{
	int failed;

	itest_reset(t);
	failed = th_run_ranks(JOB_RANKS, jobs_fork_rank, NULL, GROUP_MS);
	itest_report(t, JOB_RANKS);
	ok(failed == 0, "ranks fork children that exit or exec without "
	    "touching the handle: the job does not notice");
}

/* --- ranks as threads of one process ----------------------------------- */

struct jobs_thread {
	pthread_t tid;
	const fb_unique_id *id;
	int rank;
	int rc;			/* 0 or the first failing line */
	char err[300];
};

static void *
jobs_thread_main(void *arg)
{
	struct jobs_thread *th = arg;
	uint32_t v[JOB_RANKS], a[JOB_RANKS], b[JOB_RANKS];
	fb_comm *comm;
	int k, r, got, n = JOB_RANKS, rank = th->rank, rc;

#define TCHECK(cond) do {						\
	if (!(cond)) {							\
		th->rc = __LINE__;					\
		snprintf(th->err, sizeof th->err, "rank %d: %s: %s", rank, \
		    #cond, comm != NULL ? fb_comm_last_error(comm) :	\
		    fb_comm_last_error(NULL));				\
		return NULL;						\
	}								\
} while (0)
	comm = NULL;
	rc = fb_comm_init(&comm, th->id, rank, n);
	TCHECK(rc == 0);
	for (k = 0; k < 100; k++) {
		v[rank] = (uint32_t)(k * 8 + rank);
		TCHECK(fb_allgather(comm, v, sizeof v[0]) == 0);
		for (r = 0; r < n; r++)
			TCHECK(v[r] == (uint32_t)(k * 8 + r));
		for (r = 0; r < n; r++)
			a[r] = (uint32_t)(rank * 1000 + r + k);
		TCHECK(fb_alltoall(comm, a, b, sizeof a[0]) == 0);
		for (r = 0; r < n; r++)
			TCHECK(b[r] == (uint32_t)(r * 1000 + rank + k));
		TCHECK(fb_send(comm, &k, sizeof k, (rank + 1) % n, 3) == 0);
		TCHECK(fb_recv(comm, &got, sizeof got, (rank + n - 1) % n,
		    3) == 0 && got == k);
		TCHECK(fb_barrier(comm) == 0);
	}
	TCHECK(fb_comm_destroy(comm) == 0);
#undef TCHECK
	return NULL;
}

static int
jobs_threads_body(const fb_unique_id *id, int unused, int one, void *arg)
{
	struct jobs_thread th[JOB_RANKS];
	int r, bad = 0;

	for (r = 0; r < JOB_RANKS; r++) {
		memset(&th[r], 0, sizeof th[r]);
		th[r].id = id;
		th[r].rank = r;
		if (pthread_create(&th[r].tid, NULL, jobs_thread_main,
		    &th[r]) != 0)
			return itest_fail(t, 0, "pthread_create");
	}
	for (r = 0; r < JOB_RANKS; r++) {
		pthread_join(th[r].tid, NULL);
		if (th[r].rc != 0 && !bad++)
			itest_fail(t, 0, "line %d: %s", th[r].rc, th[r].err);
	}
	return bad;
}

static void
jobs_threads(void)
{
	int failed;

	itest_reset(t);
	failed = th_run_ranks(1, jobs_threads_body, NULL, GROUP_MS);
	itest_report(t, 1);
	ok(failed == 0, "one process, %d threads, each a rank of the same "
	    "job: 100 rounds of allgather, alltoall, send/recv and barrier",
	    JOB_RANKS);
}

/* --- fb_config.socket_path over FASTBOOT_SOCKET ----------------------- */

static int
jobs_path_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm;
	int rc;

	setenv("FASTBOOT_SOCKET", "/nonexistent/fastbootd.sock", 1);
	cfg.socket_path = sock_path;
	rc = fb_comm_init_config(&comm, id, rank, n, &cfg);
	ITEST_CHECK(t, rank, rc == 0, "init through fb_config.socket_path: "
	    "%s (%s)", fb_strerror(rc), fb_comm_last_error(NULL));
	ITEST_CHECK(t, rank, fb_barrier(comm) == 0, "barrier");
	ITEST_CHECK(t, rank, fb_comm_destroy(comm) == 0, "destroy");
	return 0;
}

static void
jobs_socket_path(void)
{
	int failed;

	itest_reset(t);
	failed = th_run_ranks(2, jobs_path_rank, NULL, GROUP_MS);
	itest_report(t, 2);
	ok(failed == 0, "fb_config.socket_path wins over a FASTBOOT_SOCKET "
	    "that leads nowhere");
}

/* --- READY through the table, beside an older library ----------------- */

#define TR_RANKS	3	/* ranks 0, 1: the library; 2: a raw client */
#define TR_TAG		7

/* The library's ranks: READY either way, then a message from the raw
 * rank 2 (through the daemon) to rank 0. */
static int
jobs_tr_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *comm;
	uint8_t b[4];
	int rc, lr = -1, ls = -1, node = -1, nnodes = -1;

	cfg.timeout_ms = 20000;
	rc = fb_comm_init_config(&comm, id, rank, TR_RANKS, &cfg);
	ITEST_CHECK(t, rank, rc == 0, "init: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(NULL));
	fb_comm_local_rank(comm, &lr);
	fb_comm_local_size(comm, &ls);
	fb_comm_node(comm, &node, &nnodes);
	if (lr != rank || ls != TR_RANKS || node != 0 || nnodes != 1) {
		fb_comm_destroy(comm);
		return itest_fail(t, rank, "local rank %d of %d, node %d of "
		    "%d", lr, ls, node, nnodes);
	}
	if (rank == 0) {
		rc = fb_recv(comm, b, sizeof b, 2, TR_TAG);
		if (rc != 0 || memcmp(b, "tr2", 4) != 0) {
			fb_comm_destroy(comm);
			return itest_fail(t, rank, "recv from the raw rank: "
			    "%s (%s)", fb_strerror(rc),
			    fb_comm_last_error(comm));
		}
	}
	t->r[rank].done = 1;
	fb_comm_destroy(comm);
	return 0;
}

/* The next whole frame from the daemon within ms: 0, or -1. */
static int
jobs_tr_frame(int fd, struct wire_reader *in, struct wire_frame *f, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	double end = th_now_ms() + ms;
	size_t need, room;
	ssize_t n;
	int rc;

	for (;;) {
		if ((rc = wire_reader_next(in, f, &need)) == WIRE_OK)
			return 0;
		if (rc != WIRE_NEED_MORE || th_now_ms() > end)
			return -1;
		if (poll(&pfd, 1, (int)(end - th_now_ms()) + 1) <= 0)
			continue;
		n = wire_recvmsg(fd, in, &room);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return -1;
	}
}

/*
 * One 3-rank job whose rank 2 is a raw client saying hello_flags in HELLO
 * and joining first; ranks 0 and 1 use the library.  The table's wake word
 * says TABLE_WAKE_COUNTED only if the raw rank said
 * WIRE_HELLO_COUNT_SLEEP too (the library's ranks always do).  With
 * WIRE_HELLO_TABLE_READY the raw rank must get WIRE_ACK_TABLE_READY, see
 * the table's ready word only after the others joined, be woken by the
 * job's eventfd, and get no READY frame (its next frame is the SEND_ACK of
 * a message it then sends); without it (an older library) it must get a
 * READY frame as before.
 */
/*
 * A raw rank: HELLO with hello_flags and JOIN as rank of nranks under id,
 * then its JOIN_ACK (decoded into *ack) and the descriptors with it (in
 * fds, their count in *nfds).  The socket, or -1 (after a socket was made,
 * *fd holds it for the caller to close).
 */
static int
jobs_raw_join(uint32_t hello_flags, uint32_t rank, uint32_t nranks,
    const fb_unique_id *id, struct wire_reader *in,
    struct wire_join_ack *ack, int *fds, int *nfds, int *fd)
{
	struct wire_hello hello = { WIRE_VERSION_MIN, WIRE_VERSION_MAX,
	    WIRE_ROLE_RANK, hello_flags };
	struct wire_join join;
	struct wire_frame f;
	uint8_t out[128];
	size_t n;

	*nfds = 0;
	memset(&join, 0, sizeof join);
	memcpy(join.key, id->internal + UID_OFF_KEY, WIRE_KEY_LEN);
	join.rank = rank;
	join.nranks = nranks;
	n = wire_encode_hello(out, &hello);
	n += wire_encode_join(out + n, &join);
	if ((*fd = jobs_raw_connect()) == -1 ||
	    send(*fd, out, n, MSG_NOSIGNAL) != (ssize_t)n ||
	    jobs_tr_frame(*fd, in, &f, GROUP_MS) != 0 ||
	    f.hdr.type != WIRE_JOIN_ACK ||
	    wire_decode_join_ack(f.payload, f.hdr.length, ack) != WIRE_OK)
		return -1;
	*nfds = wire_reader_take_fds(in, fds, 2);
	return *fd;
}

static void
jobs_tr_one(uint32_t hello_flags)
{
	const char *how = hello_flags ? "through the table" : "as a frame";
	struct wire_join_ack ack;
	struct wire_ready ready;
	struct wire_status_msg st;
	struct wire_reader in;
	struct wire_frame f;
	struct table_hdr *h = MAP_FAILED;
	struct pollfd pfd;
	fb_unique_id id;
	pid_t pids[2];
	uint8_t out[128];
	int fd = -1, fds[2] = { -1, -1 }, nfds = 0, failed, rc;
	uint32_t wake;
	size_t n;

	itest_reset(t);
	wire_reader_init(&in, WIRE_FROM_DAEMON, 4096, 512);
	th_unique_id(&id);
	if (jobs_raw_join(hello_flags, 2, TR_RANKS, &id, &in, &ack, fds,
	    &nfds, &fd) == -1 || nfds != 2) {
		ok(0, "READY %s: the raw rank 2 joined (%d descriptors)", how,
		    nfds);
		goto out;
	}
	ok(ack.flags == (hello_flags ? WIRE_ACK_EVENTFD |
	    WIRE_ACK_TABLE_READY : WIRE_ACK_EVENTFD), "READY %s: JOIN_ACK "
	    "flags 0x%x for HELLO flags 0x%x", how, ack.flags, hello_flags);
	h = mmap(NULL, (size_t)ack.ctl_size, PROT_READ, MAP_SHARED, fds[0], 0);
	ok(h != MAP_FAILED && h->magic == TABLE_MAGIC &&
	    __atomic_load_n(&h->ready, __ATOMIC_ACQUIRE) == 0 &&
	    __atomic_load_n(&h->wake, __ATOMIC_ACQUIRE) == 0,
	    "READY %s: the table's ready and wake words are 0 while ranks 0 "
	    "and 1 have not joined", how);
	if (h == MAP_FAILED)
		goto out;
	th_spawn_ranks(2, jobs_tr_rank, NULL, &id, pids);
	if (hello_flags) {
		pfd.fd = fds[1];
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, GROUP_MS);
		ok(rc == 1 && __atomic_load_n(&h->ready, __ATOMIC_ACQUIRE) ==
		    1 && __atomic_load_n(&h->joined, __ATOMIC_ACQUIRE) ==
		    TR_RANKS, "READY through the table: the eventfd woke the "
		    "raw rank and the ready word is set (%u of %u joined)",
		    __atomic_load_n(&h->joined, __ATOMIC_ACQUIRE), TR_RANKS);
	} else {
		rc = jobs_tr_frame(fd, &in, &f, GROUP_MS);
		ok(rc == 0 && f.hdr.type == WIRE_READY &&
		    wire_decode_ready(f.payload, f.hdr.length, &ready) ==
		    WIRE_OK && ready.local_rank == 2 && ready.local_size ==
		    TR_RANKS && __atomic_load_n(&h->ready,
		    __ATOMIC_ACQUIRE) == 1, "READY as a frame: the older "
		    "library's rank gets READY (local rank 2 of 3) as before");
	}
	/* Every rank counts itself in sleepers (WIRE_HELLO_COUNT_SLEEP), or
	 * the last rank of a collective must always write the eventfd. */
	wake = __atomic_load_n(&h->wake, __ATOMIC_ACQUIRE);
	ok(wake == (hello_flags & WIRE_HELLO_COUNT_SLEEP ?
	    TABLE_WAKE_COUNTED : 0u), "HELLO flags 0x%x beside two ranks "
	    "that count themselves: the table's wake word is 0x%x once READY "
	    "came (%s)", hello_flags, wake, hello_flags &
	    WIRE_HELLO_COUNT_SLEEP ? "the last rank may skip the eventfd "
	    "write when nobody sleeps" : "a rank that does not count: the "
	    "last rank always writes");
	/* A message to rank 0: its SEND_ACK must be the next frame (no
	 * READY frame came before it when READY went through the table). */
	n = wire_encode_msg_hdr(out, WIRE_SEND, 1, 0, TR_TAG, 4);
	memcpy(out + n, "tr2", 4);
	n += 4;
	rc = send(fd, out, n, MSG_NOSIGNAL) == (ssize_t)n ?
	    jobs_tr_frame(fd, &in, &f, GROUP_MS) : -1;
	ok(rc == 0 && f.hdr.type == WIRE_SEND_ACK &&
	    wire_decode_status(f.payload, f.hdr.length, &st) == WIRE_OK &&
	    st.code == 0, "READY %s: the raw rank's next frame is the SEND_ACK "
	    "of its message to rank 0 (%s)", how, rc == 0 ?
	    wire_type_name(f.hdr.type) : "none");
	failed = th_wait_pids(pids, 2, GROUP_MS, NULL);
	itest_report(t, 2);
	ok(failed == 0 && t->r[0].done && t->r[1].done, "READY %s: the "
	    "library's ranks 0 and 1 joined beside it (local rank and size "
	    "right) and rank 0 got its message", how);
	n = wire_encode_empty(out, WIRE_LEAVE, 0);
	(void)!send(fd, out, n, MSG_NOSIGNAL);
out:
	if (h != MAP_FAILED)
		munmap(h, (size_t)ack.ctl_size);
	while (nfds > 0)
		close(fds[--nfds]);
	if (fd != -1)
		close(fd);
	wire_reader_free(&in);
}

static void
jobs_table_ready(void)
{
	jobs_tr_one(WIRE_HELLO_TABLE_READY | WIRE_HELLO_COUNT_SLEEP);
	jobs_tr_one(WIRE_HELLO_TABLE_READY);
	jobs_tr_one(0);
}

/* --- fb_comm_destroy returns once fastbootd let the rank go ----------- */

#define LC_RANKS	2
#define LC_HOLD_MS	200	/* the daemon stopped, destroy must wait */
#define LC_BOUND_MS	1000	/* libclient/comm.c: COMM_LEAVE_MS */

/* Init, a barrier, flag, wait for the go, destroy (timed). */
static int
jobs_lc_rank(const fb_unique_id *id, int rank, int n, void *arg)
{
	fb_comm *comm;
	double start;
	int rc;

	rc = fb_comm_init(&comm, id, rank, n);
	ITEST_CHECK(t, rank, rc == 0, "init: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(NULL));
	rc = fb_barrier(comm);
	ITEST_CHECK(t, rank, rc == 0, "barrier: %s (%s)", fb_strerror(rc),
	    fb_comm_last_error(comm));
	__atomic_store_n(&t->r[rank].flag, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&t->go, __ATOMIC_SEQ_CST))
		usleep(1000);
	start = th_now_ms();
	rc = fb_comm_destroy(comm);
	t->r[rank].elapsed_ms = th_now_ms() - start;
	t->r[rank].rc = rc;
	__atomic_store_n(&t->r[rank].done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* Ranks of a job flagged ready to destroy; the daemon is stopped, then
 * the go.  Returns the ranks' pids in pids. */
static int
jobs_lc_start(pid_t *pids)
{
	fb_unique_id id;

	itest_reset(t);
	th_unique_id(&id);
	th_spawn_ranks(LC_RANKS, jobs_lc_rank, NULL, &id, pids);
	if (!itest_wait_flags(t, LC_RANKS, -1, GROUP_MS)) {
		itest_report(t, LC_RANKS);
		ok(0, "the ranks joined and passed a barrier");
		th_wait_pids(pids, LC_RANKS, GROUP_MS, NULL);
		return -1;
	}
	kill(daemon_pid, SIGSTOP);
	__atomic_store_n(&t->go, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* Ranks whose fb_comm_destroy has returned. */
static int
jobs_lc_done(void)
{
	int r, n = 0;

	for (r = 0; r < LC_RANKS; r++)
		n += __atomic_load_n(&t->r[r].done, __ATOMIC_SEQ_CST);
	return n;
}

/*
 * The library asks (HELLO flag 0x8) and the daemon promises (JOIN_ACK flag
 * 0x4) to close the connection once it has handled the LEAVE; until then,
 * for at most a second, fb_comm_destroy waits.  So with the daemon stopped
 * (SIGSTOP) destroy does not return, and returns once it runs again; a
 * daemon that stays stopped holds it a second, no longer.
 */
static void
jobs_leave_close(void)
{
	pid_t pids[LC_RANKS];
	double t0, held;
	int n;

	if (!ok(itest_ctl_wait(sock_path, "ranks", 0, GROUP_MS),
	    "no ranks left from earlier tests") || jobs_lc_start(pids) != 0)
		return;
	t0 = th_now_ms();
	usleep(LC_HOLD_MS * 1000);
	n = jobs_lc_done();
	held = th_now_ms() - t0;
	kill(daemon_pid, SIGCONT);
	/* Past the bound, the check would say nothing: the parent slept
	 * too long to tell (a loaded machine). */
	if (held < LC_BOUND_MS - 200)
		ok(n == 0, "fastbootd stopped: no rank's fb_comm_destroy "
		    "returned within %.0f ms of LEAVE (%d did)", held, n);
	else
		tap_skip("the parent slept %.0f ms, past the %d ms bound",
		    held, LC_BOUND_MS);
	th_wait_pids(pids, LC_RANKS, GROUP_MS, NULL);
	itest_report(t, LC_RANKS);
	ok(jobs_lc_done() == LC_RANKS && t->r[0].rc == 0 && t->r[1].rc == 0,
	    "fastbootd running again: both fb_comm_destroy returned 0");
	/* The job went before the connections closed: nothing to wait
	 * for here. */
	ok(itest_ctl_value(sock_path, "jobs") == 0 &&
	    itest_ctl_value(sock_path, "ranks") == 0, "fastbootd holds no "
	    "job and no rank once every destroy returned");

	if (!ok(itest_ctl_wait(sock_path, "ranks", 0, GROUP_MS),
	    "no ranks left") || jobs_lc_start(pids) != 0)
		return;
	t0 = th_now_ms();
	while (jobs_lc_done() < LC_RANKS && th_now_ms() < t0 + GROUP_MS)
		usleep(10000);
	kill(daemon_pid, SIGCONT);
	th_wait_pids(pids, LC_RANKS, GROUP_MS, NULL);
	itest_report(t, LC_RANKS);
	ok(jobs_lc_done() == LC_RANKS && t->r[0].rc == 0 &&
	    t->r[0].elapsed_ms >= LC_BOUND_MS - 50 && t->r[1].rc == 0 &&
	    t->r[1].elapsed_ms >= LC_BOUND_MS - 50, "fastbootd stopped for "
	    "good: fb_comm_destroy still returns 0, after its %d ms bound "
	    "(%.0f and %.0f ms)", LC_BOUND_MS, t->r[0].elapsed_ms,
	    t->r[1].elapsed_ms);
	ok(itest_ctl_wait(sock_path, "jobs", 0, GROUP_MS), "and the job ends "
	    "once fastbootd runs again");
}

/* A raw rank alone in its job: JOIN_ACK's flags for these HELLO flags,
 * then LEAVE; 1 if the daemon closed the connection within ms. */
static int
jobs_lc_raw(uint32_t hello_flags, uint16_t *ack_flags, int ms)
{
	struct wire_join_ack ack;
	struct wire_reader in;
	struct pollfd pfd;
	fb_unique_id id;
	uint8_t out[64], buf[256];
	int fd = -1, fds[2] = { -1, -1 }, nfds = 0, closed = -1;
	double end;
	ssize_t got;
	size_t n;

	*ack_flags = 0;
	wire_reader_init(&in, WIRE_FROM_DAEMON, 4096, 512);
	th_unique_id(&id);
	if (jobs_raw_join(hello_flags, 0, 1, &id, &in, &ack, fds, &nfds,
	    &fd) == -1)
		goto out;
	*ack_flags = ack.flags;
	n = wire_encode_empty(out, WIRE_LEAVE, 0);
	if (send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n)
		goto out;
	closed = 0;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (end = th_now_ms() + ms; th_now_ms() < end;) {
		if (poll(&pfd, 1, 10) < 1)
			continue;
		if ((got = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) == 0) {
			closed = 1;
			break;
		}
		if (got == -1 && errno != EAGAIN && errno != EINTR)
			break;
	}
out:
	while (nfds > 0)
		close(fds[--nfds]);
	if (fd != -1)
		close(fd);
	wire_reader_free(&in);
	return closed;
}

static void
jobs_leave_close_raw(void)
{
	uint16_t flags;
	int closed;

	closed = jobs_lc_raw(WIRE_HELLO_LEAVE_CLOSE, &flags, GROUP_MS);
	ok(closed == 1 && (flags & WIRE_ACK_LEAVE_CLOSE), "HELLO flag 0x8: "
	    "JOIN_ACK promises the close (flags 0x%x) and fastbootd closes "
	    "the connection after LEAVE", flags);
	/* An older library never asked: the connection stays until it
	 * closes it, as before (300 ms without an end of file). */
	closed = jobs_lc_raw(0, &flags, 300);
	ok(closed == 0 && !(flags & WIRE_ACK_LEAVE_CLOSE), "without HELLO "
	    "flag 0x8: no promise in JOIN_ACK (flags 0x%x) and the connection "
	    "stays open after LEAVE", flags);
	ok(itest_ctl_wait(sock_path, "jobs", 0, GROUP_MS), "both raw jobs "
	    "ended");
}

/* --- the launcher says every rank is here, and they outnumber the CPUs - */

#define OV_ROUNDS	20

/* Rounds of init (with mpirun's environment), allgather, destroy. */
static int
jobs_ov_rank(const fb_unique_id *unused, int rank, int n, void *arg)
{
	const fb_unique_id *ids = arg;
	uint32_t v[ITEST_MAX_RANKS];
	char num[16];
	fb_comm *comm;
	int k, r, rc;

	snprintf(num, sizeof num, "%d", n);
	setenv("OMPI_COMM_WORLD_SIZE", num, 1);
	setenv("OMPI_COMM_WORLD_LOCAL_SIZE", num, 1);
	snprintf(num, sizeof num, "%d", rank);
	setenv("OMPI_COMM_WORLD_RANK", num, 1);
	for (k = 0; k < OV_ROUNDS; k++) {
		rc = fb_comm_init(&comm, &ids[k], rank, n);
		ITEST_CHECK(t, rank, rc == 0, "round %d: init: %s (%s)", k,
		    fb_strerror(rc), fb_comm_last_error(NULL));
		v[rank] = (uint32_t)(k * 1000 + rank);
		rc = fb_allgather(comm, v, sizeof v[0]);
		ITEST_CHECK(t, rank, rc == 0, "round %d: allgather: %s (%s)",
		    k, fb_strerror(rc), fb_comm_last_error(comm));
		for (r = 0; r < n; r++)
			ITEST_CHECK(t, rank, v[r] == (uint32_t)(k * 1000 + r),
			    "round %d: rank %d's value", k, r);
		ITEST_CHECK(t, rank, fb_comm_destroy(comm) == 0, "round %d: "
		    "destroy", k);
	}
	t->r[rank].done = 1;
	return 0;
}

/*
 * Ranks that mpirun started on this node (OMPI_COMM_WORLD_*: no PMIx
 * lookups), twice as many as the CPUs (at least 8): init yields once
 * before each of its waits (comm.c, comm_wait).  Every round of init,
 * allgather and destroy must still succeed with the right values.
 */
static void
jobs_oversubscribed(void)
{
	static fb_unique_id ids[OV_ROUNDS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cpus > 4 ? (int)(2 * cpus) : 8, k, failed;
	pid_t pids[ITEST_MAX_RANKS];

	if (n > ITEST_MAX_RANKS)
		n = ITEST_MAX_RANKS;
	itest_reset(t);
	for (k = 0; k < OV_ROUNDS; k++)
		th_unique_id(&ids[k]);
	th_spawn_ranks(n, jobs_ov_rank, ids, &ids[0], pids);
	failed = th_wait_pids(pids, n, GROUP_MS, NULL);
	itest_report(t, n);
	ok(failed == 0, "%d ranks on %ld CPUs, each told by mpirun's "
	    "environment that all %d are on this node: %d rounds of init, "
	    "allgather and destroy, every value right", n, cpus, n,
	    OV_ROUNDS);
}

int
main(void)
{
	static const char *const args[] = { "--handshake-ms", "1000",
	    "--max-pending", "3145728", NULL };
	struct th_daemon d;

	th_deadline(120);
	t = itest_shared();
	if (!ok(th_daemon_start(&d, args) == 0, "fastbootd started"))
		return tap_done();
	sock_path = d.sock;
	daemon_pid = d.pid;
	jobs_many_jobs();
	jobs_two_handles();
	jobs_hostile();
	jobs_pending_cap();
	jobs_duplicate_rank();
	jobs_signals();
	jobs_fork();
	jobs_threads();
	jobs_socket_path();
	jobs_table_ready();
	jobs_leave_close();
	jobs_leave_close_raw();
	jobs_oversubscribed();
	itest_daemon_finish(&d);
	return tap_done();
}
