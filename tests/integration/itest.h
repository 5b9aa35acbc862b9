/*
 * itest.h - what the integration tests share: a results area that rank
 * processes write and the parent reads, and checks that record the first
 * failure of a rank instead of printing TAP from a child.
 */
#ifndef FB_ITEST_H
#define FB_ITEST_H

#include <sys/types.h>

#include <stdint.h>

#include "fastboot/fastboot.h"

#define ITEST_MAX_RANKS	64

struct itest_rank {
	pid_t pid;
	int rc;			/* the call's result */
	int done;		/* the body reached its end */
	int flag;		/* a step the parent waits for */
	int step;		/* a step other ranks wait for */
	double t_ms;		/* th_now_ms() when the call returned */
	double elapsed_ms;	/* how long the call took */
	char err[600];		/* fb_comm_last_error() after the call */
	char fail[400];		/* first failed check, empty if none */
};

struct itest {
	struct itest_rank r[ITEST_MAX_RANKS];
	int nfail;		/* ranks that recorded a failure */
	int go;			/* the parent's go-ahead */
	unsigned char scratch[4096];
};

/* A shared, zeroed area that survives fork(). */
struct itest *itest_shared(void);
void itest_reset(struct itest *);
/* Record the first failure of rank; always returns 1 (a failed body). */
int itest_fail(struct itest *, int rank, const char *, ...)
    __attribute__((format(printf, 3, 4)));
/* Print every rank's failure as TAP diagnostics; returns how many. */
int itest_report(const struct itest *, int nranks);
/* Record a call's result and the handle's last error. */
void itest_note(struct itest *, int rank, fb_comm *, int rc, double start);
/* Wait (polling, bounded) until flag is set for each of the ranks in
 * [0, nranks) but skip; returns 1 if all did within ms. */
int itest_wait_flags(struct itest *, int nranks, int skip, int ms);
/* The same for step >= want (ranks waiting for each other outside the
 * library, so that a test's phases do not race). */
int itest_wait_steps(struct itest *, int nranks, int skip, int want, int ms);
/* Ask the daemon at path for its status (CTL_STATUS over the control
 * protocol) and return the number on the line "key N", or -1. */
long itest_ctl_value(const char *path, const char *key);
/* Poll itest_ctl_value until it equals want (bounded); 1 if it did. */
int itest_ctl_wait(const char *path, const char *key, long want, int ms);
/* Two TAP tests at the end of a binary: the daemon holds nothing any more,
 * and it stops cleanly on SIGTERM; then clean up. */
void itest_daemon_finish(struct th_daemon *);
/* The byte at offset i of a slice that src made for dst with seed. */
static inline uint8_t
itest_byte(int src, int dst, size_t i, uint32_t seed)
{
	uint32_t v = (uint32_t)src * 2654435761u ^ (uint32_t)dst * 40503u ^
	    (uint32_t)i * 2246822519u ^ seed;

	return (uint8_t)(v ^ v >> 13 ^ v >> 24);
}

#define ITEST_CHECK(t, rank, cond, ...) do {				\
	if (!(cond))							\
		return itest_fail((t), (rank), __VA_ARGS__);		\
} while (0)

#endif
