/*
 * itest.c - shared results for the integration tests (see itest.h).
 */
#include <sys/mman.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"
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
