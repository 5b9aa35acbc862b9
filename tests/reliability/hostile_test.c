/*
 * hostile_test.c - malformed and hostile clients get a clean error and a
 * disconnect, and the daemon keeps serving: after each case another job on
 * the same daemon must still complete.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rel.h"
#include "tap.h"

#define MS	5000

static struct th_daemon d;
static int base_fds;

static size_t
hdr(uint8_t *b, uint32_t magic, uint16_t version, uint16_t type,
    uint32_t length)
{
	wire_put32(b, magic);
	wire_put16(b + 4, version);
	wire_put16(b + 6, type);
	wire_put32(b + 8, length);
	wire_put32(b + 12, 0);
	return WIRE_HDR_LEN;
}

/* Send bytes on a fresh connection; expect ERROR with code, then EOF. */
static int
expect(const uint8_t *b, size_t n, int code, char *text, size_t size)
{
	int fd, rc;

	if ((fd = rel_connect(d.sock)) == -1)
		return 0;
	if (n > 0 && rel_send(fd, b, n) == -1) {
		close(fd);
		return 0;
	}
	rc = rel_expect_error(fd, MS, text, size);
	close(fd);
	return rc == code;
}

static void
check(int cond, const char *what, const char *text)
{
	int job = rel_job(4) == 0;

	ok(cond && job && rel_daemon_alive(&d), "%s -> %s%s", what,
	    text[0] ? text : "(no reply)", job ? "; then a 4-rank job "
	    "completes" : "; THE NEXT JOB FAILED");
}

static void
simple_cases(void)
{
	uint8_t b[256], key[WIRE_KEY_LEN];
	char text[600];
	size_t n;
	int c;

	n = hdr(b, 0x46425731, 1, WIRE_HELLO, WIRE_HELLO_LEN);
	memset(b + n, 0, WIRE_HELLO_LEN);
	c = expect(b, n + WIRE_HELLO_LEN, FB_E_PROTO, text, sizeof text);
	check(c, "bad magic", text);

	n = rel_hello_frame(b);
	wire_put16(b + 4, 2);
	c = expect(b, n, FB_E_VERSION, text, sizeof text);
	check(c, "protocol version 2 in the header", text);

	n = rel_hello_frame(b);
	wire_put16(b + WIRE_HDR_LEN, 7);
	wire_put16(b + WIRE_HDR_LEN + 2, 9);
	c = expect(b, n, FB_E_VERSION, text, sizeof text);
	check(c, "HELLO offering only versions 7-9", text);

	n = hdr(b, WIRE_MAGIC, 1, 99, 0);
	c = expect(b, n, FB_E_PROTO, text, sizeof text);
	check(c, "unknown type 99", text);

	n = hdr(b, WIRE_MAGIC, 1, WIRE_SEND, WIRE_PAYLOAD_MAX + 1);
	c = expect(b, n, FB_E_PROTO, text, sizeof text);
	check(c, "SEND header with length over the limit", text);

	n = hdr(b, WIRE_MAGIC, 1, WIRE_SEND, 0xffffffffu);
	c = expect(b, n, FB_E_PROTO, text, sizeof text);
	check(c, "length 0xffffffff", text);

	n = hdr(b, WIRE_MAGIC, 1, WIRE_RELEASE, 0);
	c = expect(b, n, FB_E_PROTO, text, sizeof text);
	check(c, "a daemon-only type (RELEASE) from a client", text);

	rel_random_key(key);
	n = rel_join_frame(b, key, 0, 2);
	c = expect(b, n, FB_E_PROTO, text, sizeof text);
	check(c, "JOIN before HELLO", text);

	n = wire_encode_arrive(b, 1, &(struct wire_arrive){ WIRE_COLL_BARRIER,
	    0, 0 });
	c = expect(b, n, FB_E_PROTO, text, sizeof text);
	check(c, "ARRIVE before HELLO", text);

	n = rel_hello_frame(b);
	n += wire_encode_empty(b + n, WIRE_LEAVE, 0);
	c = expect(b, n, FB_E_PROTO, text, sizeof text);
	check(c, "LEAVE before JOIN", text);

	n = rel_hello_frame(b);
	n += rel_join_frame(b + n, key, 5, 5);
	c = expect(b, n, FB_E_PROTO, text, sizeof text);
	check(c, "JOIN with rank 5 of nranks 5", text);

	n = rel_hello_frame(b);
	n += rel_join_frame(b + n, key, 0, 0);
	c = expect(b, n, FB_E_PROTO, text, sizeof text);
	check(c, "JOIN with nranks 0", text);

	n = rel_hello_frame(b);
	n += rel_join_frame(b + n, key, 0, 0xffffffffu);
	c = expect(b, n, FB_E_LIMIT, text, sizeof text);
	check(c, "JOIN with nranks -1 (0xffffffff as u32)", text);

	n = rel_hello_frame(b);
	n += rel_join_frame(b + n, key, 0xfffffffeu, 0xffffffffu);
	c = expect(b, n, FB_E_LIMIT, text, sizeof text);
	check(c, "JOIN with rank -2 of nranks -1", text);

	/* Half a header, then silence: the handshake deadline drops it. */
	n = rel_hello_frame(b);
	c = expect(b, 8, FB_E_TIMEOUT, text, sizeof text);
	check(c, "half a header then silence", text);

	n = rel_hello_frame(b);
	c = expect(b, n, FB_E_TIMEOUT, text, sizeof text);
	check(c, "HELLO then silence (no JOIN)", text);
}

/* Truncated frame then close: nothing to answer; nothing must leak. */
static void
truncated_close(void)
{
	uint8_t b[128];
	int fd, fds = -1;
	size_t n;

	n = rel_hello_frame(b);
	if ((fd = rel_connect(d.sock)) != -1) {
		rel_send(fd, b, n - 5);
		close(fd);
	}
	n = hdr(b, WIRE_MAGIC, 1, WIRE_SEND, 4096);
	if ((fd = rel_connect(d.sock)) != -1) {
		rel_send(fd, b, n + 20);
		close(fd);
	}
	fds = rel_proc_fds_wait(d.pid, base_fds, 3000);
	check(fds == base_fds, "truncated frames then close (daemon fds "
	    "back to baseline)", "dropped");
}

/* A descriptor attached to a message is closed and the client dropped. */
static void
attached_fds(void)
{
	uint8_t b[128], key[WIRE_KEY_LEN];
	char text[600];
	int fd, pfd[2], fds = -1, c, rc;
	size_t n;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		return;
	n = rel_hello_frame(b);
	c = 0;
	if ((fd = rel_connect(d.sock)) != -1) {
		rel_send_fds(fd, b, n, pfd, 2);
		c = rel_expect_error(fd, MS, text, sizeof text) == FB_E_PROTO;
		close(fd);
	}
	fds = rel_proc_fds_wait(d.pid, base_fds, 3000);
	if (fds != base_fds) {
		char cmd[128];

		tap_diag("daemon fds %d, expected %d:", fds, base_fds);
		snprintf(cmd, sizeof cmd, "ls -l /proc/%d/fd | sed 's/^/# /'",
		    (int)d.pid);
		fflush(stdout);
		(void)!system(cmd);
	}
	check(c && fds == base_fds, "two descriptors attached to HELLO "
	    "(SCM_RIGHTS; closed by the daemon)", text);

	/* A member attaching one: dropped, and its job sees it lost. */
	rel_random_key(key);
	c = 0;
	if ((fd = rel_connect(d.sock)) != -1) {
		int fd2 = rel_connect(d.sock);

		rc = rel_join(fd, key, 0, 2, MS);
		if (rc == 0 && fd2 != -1 && rel_join(fd2, key, 1, 2, MS) == 0) {
			n = wire_encode_empty(b, WIRE_WAIT, 1);
			rel_send_fds(fd, b, n, pfd, 1);
			c = rel_expect_error(fd, MS, text, sizeof text) ==
			    FB_E_PROTO;
			c = c && rel_expect_error(fd2, MS, NULL, 0) ==
			    FB_E_PEER_LOST;
		}
		if (fd2 != -1)
			close(fd2);
		close(fd);
	}
	close(pfd[0]);
	close(pfd[1]);
	check(c, "a member attaching a descriptor to WAIT (its job: "
	    "FB_E_PEER_LOST)", text);
}

static void
membership(void)
{
	uint8_t key[WIRE_KEY_LEN];
	char text[600];
	int a, b2, c2, ok1 = 0;

	/* Duplicate rank: refused; the first holder and the job go on. */
	rel_random_key(key);
	a = rel_connect(d.sock);
	b2 = rel_connect(d.sock);
	c2 = rel_connect(d.sock);
	text[0] = '\0';
	if (a != -1 && b2 != -1 && c2 != -1 && rel_join(a, key, 0, 2, MS) ==
	    0) {
		uint8_t fr[128];
		size_t n = rel_hello_frame(fr);

		n += rel_join_frame(fr + n, key, 0, 2);
		rel_send(b2, fr, n);
		ok1 = rel_expect_error(b2, MS, text, sizeof text) == FB_E_INVAL;
		ok1 = ok1 && rel_join(c2, key, 1, 2, MS) == 0;
		/* Both real ranks get READY. */
		if (ok1) {
			struct wire_hdr h;

			ok1 = rel_read_frame(a, &h, NULL, 0, MS) == 1 &&
			    h.type == WIRE_READY &&
			    rel_read_frame(c2, &h, NULL, 0, MS) == 1 &&
			    h.type == WIRE_READY;
		}
	}
	close(a);
	close(b2);
	close(c2);
	check(ok1, "duplicate rank 0 (the first holder and the job go on to "
	    "READY)", text);

	/* nranks disagreement: the newcomer and the job fail MISMATCH. */
	rel_random_key(key);
	a = rel_connect(d.sock);
	b2 = rel_connect(d.sock);
	ok1 = 0;
	if (a != -1 && b2 != -1 && rel_join(a, key, 0, 2, MS) == 0) {
		ok1 = rel_join(b2, key, 1, 3, MS) == FB_E_MISMATCH &&
		    rel_expect_error(a, MS, text, sizeof text) ==
		    FB_E_MISMATCH;
	}
	close(a);
	close(b2);
	check(ok1, "nranks disagreement (2 vs 3)", text);
}

struct agr {
	const fb_unique_id *id;
	int rank;
	size_t bytes;
	int rc;
	char err[600];
};

static void *
agr_main(void *arg)
{
	struct agr *a = arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	uint8_t buf[64];
	fb_comm *c;

	cfg.timeout_ms = 10000;
	a->rc = fb_comm_init_config(&c, a->id, a->rank, 2, &cfg);
	if (a->rc != 0)
		return NULL;
	memset(buf, 0, sizeof buf);
	a->rc = fb_allgather(c, buf, a->bytes);
	snprintf(a->err, sizeof a->err, "%s", fb_comm_last_error(c));
	fb_comm_destroy(c);
	return NULL;
}

static void
size_disagreement(void)
{
	struct agr a[2];
	pthread_t t[2];
	fb_unique_id id;
	int r;

	th_unique_id(&id);
	for (r = 0; r < 2; r++) {
		a[r].id = &id;
		a[r].rank = r;
		a[r].bytes = r == 0 ? 8 : 16;
		a[r].err[0] = '\0';
	}
	for (r = 0; r < 2; r++)
		pthread_create(&t[r], NULL, agr_main, &a[r]);
	for (r = 0; r < 2; r++)
		pthread_join(t[r], NULL);
	check(a[0].rc == FB_E_MISMATCH && a[1].rc == FB_E_MISMATCH &&
	    strstr(a[0].err, "8 bytes") != NULL &&
	    strstr(a[0].err, "16 bytes") != NULL,
	    "allgather size disagreement (8 vs 16 bytes): both ranks "
	    "FB_E_MISMATCH", a[0].err);
}

/* Many connections at once, half silent, half bad. */
static void
flood(void)
{
	enum { N = 400 };
	static int fds[N];
	uint8_t b[64];
	int i, bad = 0, job, n;

	hdr(b, 0xdeadbeef, 1, WIRE_HELLO, 0);
	for (i = 0; i < N; i++)
		fds[i] = rel_connect(d.sock);
	for (i = 0; i < N; i += 2)
		if (fds[i] != -1)
			rel_send(fds[i], b, WIRE_HDR_LEN);
	job = rel_job(8) == 0;
	for (i = 0; i < N; i += 2)
		if (fds[i] == -1 || rel_expect_error(fds[i], MS, NULL, 0) !=
		    FB_E_PROTO)
			bad++;
	for (i = 0; i < N; i++)
		if (fds[i] != -1)
			close(fds[i]);
	n = rel_proc_fds_wait(d.pid, base_fds, 3000);
	ok(job && bad == 0 && rel_job(4) == 0, "a flood of %d connections "
	    "(half bad magic, half silent): an 8-rank job completes during "
	    "it, every bad one gets FB_E_PROTO (%d did not), a job after", N,
	    bad);
	ok(n == base_fds, "the daemon's descriptors are back to %d after "
	    "the flood", base_fds);
}

int
main(void)
{
	static const char *const args[] = { "--handshake-ms", "300", NULL };

	th_deadline(180);
	tap_plan(1 + 16 + 1 + 2 + 2 + 1 + 2 + 1);
	ok(th_daemon_start(&d, args) == 0, "fastbootd started "
	    "(--handshake-ms 300)");
	/* Baseline after a first job: startup's own descriptors are gone. */
	rel_job(2);
	base_fds = rel_proc_fds_min(d.pid, 300);
	tap_diag("daemon fds after a first job: %d", base_fds);
	simple_cases();
	truncated_close();
	attached_fds();
	size_disagreement();
	flood();
	/* Last: a job that fails during init lingers (and holds its table)
	 * for a while after its ranks went. */
	membership();
	ok(rel_daemon_alive(&d) && rel_job(8) == 0, "the daemon is alive and "
	    "serves an 8-rank job at the end");
	th_daemon_cleanup(&d);
	return tap_done();
}
