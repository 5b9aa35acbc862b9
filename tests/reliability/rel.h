/*
 * rel.h - helpers of the reliability tests: daemons started in special ways
 * (same socket path, low descriptor limit, under valgrind), raw-frame
 * clients that say what libfastboot-client never would, /proc figures of
 * the daemon, and jobs whose ranks are threads of the test.
 */
#ifndef FB_REL_H
#define FB_REL_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "fastboot/fastboot.h"
#include "wire/wire.h"
#include "harness.h"

int rel_daemon_alive(const struct th_daemon *);

/* Raw clients: blocking sockets, every read bounded by ms. */
int rel_connect(const char *sock);
/* A TCP connection to 127.0.0.1:port (the kernel completes it whether or
 * not the daemon accepts), or -1. */
int rel_connect_loopback(int port);
int rel_send(int fd, const void *, size_t);
int rel_send_fds(int fd, const void *, size_t, const int *fds, int nfds);
size_t rel_hello_frame(uint8_t *);
size_t rel_join_frame(uint8_t *, const uint8_t *key, uint32_t rank,
    uint32_t nranks);
/* One frame: 1, 0 on EOF, -1 on timeout or error.  Descriptors that came
 * with it are closed.  payload gets at most size bytes (rest dropped). */
int rel_read_frame(int fd, struct wire_hdr *, uint8_t *payload, size_t size,
    int ms);
/* Frames until an ERROR or FAIL, then EOF (ERROR only).  Returns the code
 * (negative) or 1 if none came; text gets the message. */
int rel_expect_error(int fd, int ms, char *text, size_t size);
/* 1 if the daemon closed the connection within ms (frames skipped). */
int rel_expect_eof(int fd, int ms);
/* HELLO + JOIN, wait for JOIN_ACK: 0, or the error code. */
int rel_join(int fd, const uint8_t *key, uint32_t rank, uint32_t nranks,
    int ms);
void rel_key(const fb_unique_id *, uint8_t *key);
void rel_random_key(uint8_t *key);

/* /proc figures. */
int rel_proc_fds(pid_t);
/* The fewest descriptors seen over ms: connections that clients closed
 * take the daemon a moment to drop. */
int rel_proc_fds_min(pid_t, int ms);
/* Wait up to ms for the count to come down to want; returns the last. */
int rel_proc_fds_wait(pid_t, int want, int ms);
long rel_proc_rss_kb(pid_t);
double rel_proc_cpu_ms(pid_t);
/* /proc/PID/schedstat: nanoseconds on a CPU and waiting on a run queue.
 * Their sum over a stretch of wall time is how long the process was
 * runnable, whatever the load: a spinning process is runnable all along.
 * Returns 0, or -1 if the kernel does not keep the figures. */
int rel_proc_sched(pid_t, double *run_ms, double *wait_ms);
/* Whether the process maps a memfd whose name contains name. */
int rel_proc_maps_has(pid_t, const char *needle);

/* A job of nranks threads: init, barrier, allgather (verified), alltoall
 * (verified), destroy.  Returns 0 if every rank succeeded. */
int rel_job(int nranks);

/* Like th_wait_pids, but reaps only the given children (th_wait_pids
 * reaps any child, which loses the status of another group's). */
int rel_wait_pids(const pid_t *, int n, int timeout_ms);

double rel_median(double *, int);
double rel_max(const double *, int);

#endif
