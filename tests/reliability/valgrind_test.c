/*
 * valgrind_test.c - fastbootd under valgrind memcheck through a job's
 * life, a lost rank, a job that fails during init and hostile clients;
 * then SIGTERM.  memcheck's exit status says whether it found errors or
 * definite leaks (zero expected).  Skips without valgrind and in sanitizer
 * builds (ASan and valgrind do not mix).
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rel.h"
#include "tap.h"

#ifndef VALGRIND_PATH
#define VALGRIND_PATH ""
#endif
#define VG_ERROR_EXIT	42
#define MS		20000

int
main(void)
{
	static const char *const vg[] = { VALGRIND_PATH, "--tool=memcheck",
	    "--error-exitcode=42", "--leak-check=full",
	    "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
	    "--track-fds=no", "-q", NULL };
	static const char *const args[] = { "--handshake-ms", "2000", NULL };
	struct th_daemon_opts o = { .wrapper = vg, .ready_ms = 60000 };
	struct th_daemon d;
	uint8_t b[128], key[WIRE_KEY_LEN];
	int fd, fd2, pfd[2], st, rc;
	size_t n;

	th_deadline(240);
#ifdef FB_SANITIZERS
	tap_plan_skip("built with sanitizers: valgrind does not mix with ASan");
#endif
	if (VALGRIND_PATH[0] == '\0' || access(VALGRIND_PATH, X_OK) != 0)
		tap_plan_skip("valgrind not found");
	tap_plan(6);
	ok(th_daemon_start_opts(&d, args, &o) == 0, "fastbootd started under "
	    "valgrind memcheck");

	ok(rel_job(4) == 0 && rel_job(2) == 0, "two jobs through their whole "
	    "life (init, barrier, allgather, alltoall, destroy)");

	/* A rank lost mid-job, a job failed during init, a duplicate. */
	rel_random_key(key);
	fd = rel_connect(d.sock);
	fd2 = rel_connect(d.sock);
	rc = rel_join(fd, key, 0, 2, MS) == 0 && rel_join(fd2, key, 1, 2, MS) ==
	    0;
	close(fd);
	rc = rc && rel_expect_error(fd2, MS, NULL, 0) == FB_E_PEER_LOST;
	close(fd2);
	rel_random_key(key);
	fd = rel_connect(d.sock);
	fd2 = rel_connect(d.sock);
	rc = rc && rel_join(fd, key, 0, 3, MS) == 0 &&
	    rel_join(fd2, key, 0, 3, MS) == FB_E_INVAL;
	close(fd);
	close(fd2);
	ok(rc, "a rank lost after READY, a job failing during init, a "
	    "duplicate rank");

	/* Hostile clients. */
	rc = 1;
	fd = rel_connect(d.sock);
	wire_put32(b, 0xdeadbeef);
	memset(b + 4, 0, 12);
	rel_send(fd, b, WIRE_HDR_LEN);
	rc &= rel_expect_error(fd, MS, NULL, 0) == FB_E_PROTO;
	close(fd);
	if (pipe2(pfd, O_CLOEXEC) == 0) {
		fd = rel_connect(d.sock);
		n = rel_hello_frame(b);
		rel_send_fds(fd, b, n, pfd, 2);
		rc &= rel_expect_error(fd, MS, NULL, 0) == FB_E_PROTO;
		close(fd);
		close(pfd[0]);
		close(pfd[1]);
	}
	fd = rel_connect(d.sock);
	n = rel_hello_frame(b);
	rel_send(fd, b, n - 3);		/* truncated, then close */
	close(fd);
	fd = rel_connect(d.sock);	/* silent: the handshake deadline */
	rc &= rel_expect_error(fd, MS, NULL, 0) == FB_E_TIMEOUT;
	close(fd);
	ok(rc, "hostile clients: bad magic, descriptors attached, truncated "
	    "frame, silence");
	ok(rel_job(3) == 0, "a job after them");

	st = th_daemon_stop_within(&d, 60000);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fastbootd exits cleanly "
	    "and memcheck reports no errors and no definite leaks (exit %d%s)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFEXITED(st) &&
	    WEXITSTATUS(st) == VG_ERROR_EXIT ? ": memcheck errors, see the log"
	    : "");
	th_daemon_cleanup(&d);
	return tap_done();
}
