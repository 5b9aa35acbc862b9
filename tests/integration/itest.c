/*
 * itest.c - shared results for the integration tests (see itest.h).
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <poll.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"
#include "wire/wire.h"
#include "itest.h"

struct itest *
itest_shared(void)
{
	struct itest *t;

	t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		printf("Bail out! mmap of the results area failed\n");
		_exit(1);
	}
	return t;
}

void
itest_reset(struct itest *t)
{
	memset(t, 0, sizeof *t);
}

int
itest_fail(struct itest *t, int rank, const char *fmt, ...)
{
	struct itest_rank *r = &t->r[rank];
	va_list ap;

	if (r->fail[0] != '\0')
		return 1;
	va_start(ap, fmt);
	vsnprintf(r->fail, sizeof r->fail, fmt, ap);
	va_end(ap);
	if (r->fail[0] == '\0')
		strcpy(r->fail, "failed");
	__atomic_add_fetch(&t->nfail, 1, __ATOMIC_SEQ_CST);
	fprintf(stderr, "rank %d (pid %d): %s\n", rank, (int)getpid(),
	    r->fail);
	return 1;
}

int
itest_report(const struct itest *t, int nranks)
{
	int i, n = 0;

	for (i = 0; i < nranks && i < ITEST_MAX_RANKS; i++) {
		if (t->r[i].fail[0] == '\0')
			continue;
		n++;
		tap_diag("rank %d: %s", i, t->r[i].fail);
	}
	return n;
}

void
itest_note(struct itest *t, int rank, fb_comm *comm, int rc, double start)
{
	struct itest_rank *r = &t->r[rank];

	r->t_ms = th_now_ms();
	r->elapsed_ms = r->t_ms - start;
	r->rc = rc;
	snprintf(r->err, sizeof r->err, "%s", fb_comm_last_error(comm));
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
}

int
itest_wait_flags(struct itest *t, int nranks, int skip, int ms)
{
	double end = th_now_ms() + ms;
	int i, all;

	for (;;) {
		all = 1;
		for (i = 0; i < nranks; i++)
			if (i != skip && !__atomic_load_n(&t->r[i].flag,
			    __ATOMIC_SEQ_CST))
				all = 0;
		if (all)
			return 1;
		if (th_now_ms() > end)
			return 0;
		usleep(1000);
	}
}

int
itest_wait_steps(struct itest *t, int nranks, int skip, int want, int ms)
{
	double end = th_now_ms() + ms;
	int i, all;

	for (;;) {
		all = 1;
		for (i = 0; i < nranks; i++)
			if (i != skip && __atomic_load_n(&t->r[i].step,
			    __ATOMIC_SEQ_CST) < want)
				all = 0;
		if (all)
			return 1;
		if (th_now_ms() > end)
			return 0;
		usleep(1000);
	}
}

long
itest_ctl_value(const char *path, const char *key)
{
	struct wire_hello hello = { 1, 1, WIRE_ROLE_CTL, 0 };
	struct sockaddr_un sun;
	struct pollfd pfd;
	struct wire_hdr h;
	uint8_t out[64];
	static uint8_t in[65536];
	size_t n, len = 0, klen = strlen(key);
	ssize_t got;
	double end = th_now_ms() + 5000;
	char *line;
	long v = -1;
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	n = wire_encode_hello(out, &hello);
	n += wire_encode_empty(out + n, WIRE_CTL_STATUS, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (len >= WIRE_HDR_LEN && wire_decode_hdr_untrusted(in, len,
		    WIRE_FROM_DAEMON, &h) == WIRE_OK && h.type ==
		    WIRE_CTL_REPLY && len - WIRE_HDR_LEN >= h.length &&
		    h.length < sizeof in - WIRE_HDR_LEN)
			break;
		if (th_now_ms() > end || len == sizeof in - 1 ||
		    poll(&pfd, 1, 100) < 0) {
			close(fd);
			return -1;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		got = read(fd, in + len, sizeof in - 1 - len);
		if (got <= 0) {
			close(fd);
			return -1;
		}
		len += (size_t)got;
	}
	close(fd);
	in[WIRE_HDR_LEN + h.length] = '\0';
	for (line = (char *)in + WIRE_HDR_LEN; line != NULL && *line != '\0';
	    line = strchr(line, '\n') != NULL ? strchr(line, '\n') + 1 :
	    NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	return v;
}

int
itest_ctl_wait(const char *path, const char *key, long want, int ms)
{
	double end = th_now_ms() + ms;

	for (;;) {
		if (itest_ctl_value(path, key) == want)
			return 1;
		if (th_now_ms() > end)
			return 0;
		usleep(2000);
	}
}

void
itest_daemon_finish(struct th_daemon *d)
{
	int st;

	ok(itest_ctl_wait(d->sock, "jobs", 0, 10000) &&
	    itest_ctl_wait(d->sock, "ranks", 0, 10000) &&
	    itest_ctl_wait(d->sock, "connections", 1, 10000), "afterwards "
	    "fastbootd holds no job, rank or connection but our status "
	    "request's");
	st = th_daemon_stop(d);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fastbootd stopped cleanly "
	    "on SIGTERM (wait status %d)", st);
	th_daemon_cleanup(d);
}
