/*
 * ptest.h - helpers for the packaging tests: a listening socket held the
 * way systemd holds it, a fastbootd started on it (socket activation) with
 * a NOTIFY_SOCKET the test owns, and commands run with bounded time.
 */
#ifndef FB_PTEST_H
#define FB_PTEST_H

#include <stddef.h>

#include "harness.h"

/* A blocking listening socket on path, as systemd's socket unit makes. */
int ptest_listen(const char *path);
/* Exec argv (argv[0] a path) with NOTIFY_SOCKET=d->notify and, if lfd is
 * not -1, lfd passed as the one activated socket (fd 3, LISTEN_FDS=1,
 * LISTEN_PID).  extra_env: NULL-terminated "NAME=VALUE" (may be NULL).
 * Does not wait for READY.  Returns 0 or -1. */
int ptest_daemon_exec(struct th_daemon *d, int lfd,
    const char *const *argv, const char *const *extra_env);
/* Run argv, collect its stdout and stderr (NUL-terminated, truncated to
 * size), kill it after timeout_ms.  Returns its exit status, or -1 on
 * timeout or failure to run. */
int ptest_run(const char *const *argv, char *out, size_t size,
    int timeout_ms);
/* Try connect() to path until it succeeds (1) or ms pass (0): the way to
 * know something listens there; the file exists from bind() on. */
int ptest_wait_connect(const char *path, int ms);
const char *ptest_fastbootctl(void);
/* Is an executable called name on $PATH? */
int ptest_have(const char *name);

#endif
