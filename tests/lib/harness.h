/*
 * harness.h - start a real fastbootd on a private socket, wait for its
 * READY=1 on a NOTIFY_SOCKET the test owns, and run ranks as processes.
 */
#ifndef FB_HARNESS_H
#define FB_HARNESS_H

#include <sys/types.h>

#include "fastboot/fastboot.h"

struct th_daemon {
	pid_t pid;
	char dir[64];		/* private temporary directory */
	char sock[128];		/* the daemon's socket */
	char notify[128];	/* our NOTIFY_SOCKET */
	int notify_fd;
	char status[256];	/* last STATUS= seen */
};

/* Bound the whole test binary: SIGALRM kills it (and its ranks). */
void th_deadline(int seconds);

/* How to start the daemon; all zero is the plain way. */
struct th_daemon_opts {
	unsigned long nofile;	/* RLIMIT_NOFILE (soft and hard); 0: as is */
	const char *const *wrapper;	/* argv prefix (valgrind ...) */
	int ready_ms;		/* wait for READY=1 (default 10000) */
};

/* Start daemon/fastbootd with extra arguments (NULL-terminated, may be
 * NULL) in a new private directory; waits up to 10 s for READY=1.  Sets
 * FASTBOOT_SOCKET for children.  Returns 0 or -1. */
int th_daemon_start(struct th_daemon *, const char *const *args);
int th_daemon_start_opts(struct th_daemon *, const char *const *args,
    const struct th_daemon_opts *);
/* The two halves: make the directory, socket path and NOTIFY_SOCKET; start
 * a daemon there (again, after one stopped: same paths). */
int th_daemon_prepare(struct th_daemon *);
int th_daemon_spawn(struct th_daemon *, const char *const *args,
    const struct th_daemon_opts *);
/* Read notify messages for up to ms; returns 1 if one contained want. */
int th_daemon_notified(struct th_daemon *, const char *want, int ms);
/* SIGTERM and reap (SIGKILL after 5 s, or ms); returns the wait status. */
int th_daemon_stop(struct th_daemon *);
int th_daemon_stop_within(struct th_daemon *, int ms);
void th_daemon_kill(struct th_daemon *, int sig);
void th_daemon_cleanup(struct th_daemon *);
const char *th_fastbootd_path(void);

/* A rank body: returns 0 on success; runs in a child process. */
typedef int (*th_rank_fn)(const fb_unique_id *, int rank, int nranks,
    void *arg);

/* Fork nranks children running fn; wait for all, killing them all after
 * timeout_ms.  Returns how many failed (nonzero exit, signal, timeout). */
int th_run_ranks(int nranks, th_rank_fn fn, void *arg, int timeout_ms);
/* The same, without waiting: pids[] gets the children. */
int th_spawn_ranks(int nranks, th_rank_fn fn, void *arg,
    const fb_unique_id *id, pid_t *pids);
/* Wait for the given children until timeout_ms, killing the rest; returns
 * how many failed.  status[] (may be NULL) gets each wait status. */
int th_wait_pids(pid_t *pids, int n, int timeout_ms, int *status);

/* fb_get_unique_id(), or "Bail out!" with its code and detail: a test
 * never goes on with an id it did not get. */
void th_unique_id(fb_unique_id *);

double th_now_ms(void);

#endif
