/*
 * error_test.c - every FB_E_* code through fb_strerror, and the detail of
 * a failed fb_comm_init through fb_comm_last_error(NULL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastboot/fastboot.h"
#include "harness.h"
#include "tap.h"

static const struct {
	int code;
	const char *name;
} error_test_codes[] = {
	{ FB_E_INVAL, "FB_E_INVAL" },
	{ FB_E_NOMEM, "FB_E_NOMEM" },
	{ FB_E_TIMEOUT, "FB_E_TIMEOUT" },
	{ FB_E_PEER_LOST, "FB_E_PEER_LOST" },
	{ FB_E_DAEMON_LOST, "FB_E_DAEMON_LOST" },
	{ FB_E_NODAEMON, "FB_E_NODAEMON" },
	{ FB_E_PROTO, "FB_E_PROTO" },
	{ FB_E_VERSION, "FB_E_VERSION" },
	{ FB_E_PERM, "FB_E_PERM" },
	{ FB_E_MISMATCH, "FB_E_MISMATCH" },
	{ FB_E_SYS, "FB_E_SYS" },
	{ FB_E_LIMIT, "FB_E_LIMIT" },
	{ FB_E_ABORTED, "FB_E_ABORTED" },
	{ FB_E_NOGPU, "FB_E_NOGPU" },
};
#define NCODES (sizeof error_test_codes / sizeof error_test_codes[0])

static void
error_test_strerror(void)
{
	const char *s[NCODES], *unk;
	size_t i, j;
	int distinct;

	unk = fb_strerror(-9999);
	ok(unk != NULL && *unk != '\0', "fb_strerror(-9999) is not NULL or "
	    "empty: \"%s\"", unk != NULL ? unk : "(null)");
	ok(fb_strerror(1) != NULL && fb_strerror(-1000) != NULL &&
	    fb_strerror(-2147483647 - 1) != NULL, "fb_strerror of 1, -1000 "
	    "and INT_MIN is not NULL");
	ok(strcmp(fb_strerror(-1000), unk) == 0 && strcmp(fb_strerror(1),
	    unk) == 0, "unknown codes share the unknown text");
	ok(fb_strerror(0) != NULL && strcmp(fb_strerror(0), unk) != 0,
	    "FB_OK has its own text: \"%s\"", fb_strerror(0));
	for (i = 0; i < NCODES; i++) {
		s[i] = fb_strerror(error_test_codes[i].code);
		ok(s[i] != NULL && *s[i] != '\0' && strcmp(s[i], unk) != 0 &&
		    strstr(s[i], "unknown") == NULL && strcmp(s[i],
		    fb_strerror(0)) != 0, "%s (%d): \"%s\"",
		    error_test_codes[i].name, error_test_codes[i].code,
		    s[i] != NULL ? s[i] : "(null)");
	}
	distinct = 1;
	for (i = 0; i < NCODES; i++)
		for (j = i + 1; j < NCODES; j++)
			if (s[i] != NULL && s[j] != NULL &&
			    strcmp(s[i], s[j]) == 0) {
				tap_diag("%s and %s share a text",
				    error_test_codes[i].name,
				    error_test_codes[j].name);
				distinct = 0;
			}
	ok(distinct, "all %zu codes have distinct texts", NCODES);
	/* A code added to the header without a line above fails here. */
	distinct = 1;
	for (i = 1; i <= 64; i++) {
		int code = -(int)i, known = 0;

		for (j = 0; j < NCODES; j++)
			if (error_test_codes[j].code == code)
				known = 1;
		if (!known && strcmp(fb_strerror(code), unk) != 0) {
			tap_diag("code %d has a text but no line in this "
			    "test", code);
			distinct = 0;
		}
	}
	ok(distinct, "every named code from -1 to -64 is tested here");
}

/* The header's promise, checked by the compiler. */
_Static_assert(FB_OK == 0, "FB_OK is 0");
_Static_assert(FB_E_INVAL < 0 && FB_E_ABORTED < 0 && FB_E_NOGPU < 0,
    "error codes are negative");

static void
error_test_init(void)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_unique_id id;
	fb_comm *comm = (fb_comm *)&cfg;
	const char *e;
	int rc;

	ok(fb_get_unique_id(&id) == 0, "fb_get_unique_id works without a "
	    "daemon");
	ok(fb_get_unique_id(NULL) == FB_E_INVAL, "fb_get_unique_id(NULL) is "
	    "FB_E_INVAL");

	rc = fb_comm_init(&comm, &id, 0, 0);
	e = fb_comm_last_error(NULL);
	ok(rc == FB_E_INVAL && comm == NULL, "init with nranks 0 is "
	    "FB_E_INVAL and sets *comm to NULL");
	ok(e != NULL && strstr(e, "rank 0 of 0") != NULL,
	    "last_error(NULL) says why: \"%s\"", e != NULL ? e : "(null)");
	rc = fb_comm_init(&comm, &id, 4, 4);
	ok(rc == FB_E_INVAL && strstr(fb_comm_last_error(NULL), "rank 4 of 4")
	    != NULL, "init as rank 4 of 4 is FB_E_INVAL: \"%s\"",
	    fb_comm_last_error(NULL));
	rc = fb_comm_init(&comm, &id, -1, 4);
	ok(rc == FB_E_INVAL, "init as rank -1 is FB_E_INVAL");
	rc = fb_comm_init(&comm, NULL, 0, 1);
	ok(rc == FB_E_INVAL && strstr(fb_comm_last_error(NULL), "unique id")
	    != NULL, "init with a NULL id is FB_E_INVAL: \"%s\"",
	    fb_comm_last_error(NULL));
	id.internal[0] ^= 0xff;
	rc = fb_comm_init(&comm, &id, 0, 1);
	ok(rc == FB_E_INVAL, "init with a damaged id is FB_E_INVAL");
	id.internal[0] ^= 0xff;
	ok(fb_comm_init(NULL, &id, 0, 1) == FB_E_INVAL, "init with comm NULL "
	    "is FB_E_INVAL");

	cfg.socket_path = "/nonexistent/fastboot-error-test.sock";
	rc = fb_comm_init_config(&comm, &id, 0, 1, &cfg);
	e = fb_comm_last_error(NULL);
	ok(rc == FB_E_NODAEMON && comm == NULL, "init with no daemon is "
	    "FB_E_NODAEMON (got %d)", rc);
	ok(strstr(e, "/nonexistent/fastboot-error-test.sock") != NULL,
	    "last_error(NULL) names the socket: \"%s\"", e);
	cfg.size = 4;
	ok(fb_comm_init_config(&comm, &id, 0, 1, &cfg) == FB_E_INVAL,
	    "a config with a bad size is FB_E_INVAL: \"%s\"",
	    fb_comm_last_error(NULL));
	fb_config_init(&cfg);
	cfg.timeout_ms = -2;
	ok(fb_comm_init_config(&comm, &id, 0, 1, &cfg) == FB_E_INVAL,
	    "timeout_ms -2 is FB_E_INVAL");
	fb_config_init(&cfg);
	cfg.socket_path = "/nonexistent/fastboot-error-test.sock";
	setenv("FASTBOOT_TIMEOUT_MS", "soon", 1);
	ok(fb_comm_init_config(&comm, &id, 0, 1, &cfg) == FB_E_INVAL &&
	    strstr(fb_comm_last_error(NULL), "FASTBOOT_TIMEOUT_MS") != NULL,
	    "FASTBOOT_TIMEOUT_MS=soon is FB_E_INVAL naming the variable");
	unsetenv("FASTBOOT_TIMEOUT_MS");
	setenv("FASTBOOT_SPIN_US", "-5", 1);
	ok(fb_comm_init_config(&comm, &id, 0, 1, &cfg) == FB_E_INVAL &&
	    strstr(fb_comm_last_error(NULL), "FASTBOOT_SPIN_US='-5'") != NULL,
	    "FASTBOOT_SPIN_US=-5 is FB_E_INVAL naming the variable: \"%s\"",
	    fb_comm_last_error(NULL));
	setenv("FASTBOOT_SPIN_US", "10001", 1);
	ok(fb_comm_init_config(&comm, &id, 0, 1, &cfg) == FB_E_INVAL &&
	    strstr(fb_comm_last_error(NULL), "0..10000") != NULL,
	    "FASTBOOT_SPIN_US=10001 is FB_E_INVAL naming the range");
	setenv("FASTBOOT_SPIN_US", "0", 1);
	ok(fb_comm_init_config(&comm, &id, 0, 1, &cfg) == FB_E_NODAEMON,
	    "FASTBOOT_SPIN_US=0 is accepted (then: no daemon)");
	unsetenv("FASTBOOT_SPIN_US");

	/* Calls on a NULL handle. */
	ok(fb_barrier(NULL) == FB_E_INVAL && fb_allgather(NULL, NULL, 0) ==
	    FB_E_INVAL && fb_alltoall(NULL, NULL, NULL, 0) == FB_E_INVAL &&
	    fb_send(NULL, NULL, 0, 0, 0) == FB_E_INVAL &&
	    fb_recv(NULL, NULL, 0, 0, 0) == FB_E_INVAL &&
	    fb_comm_rank(NULL, &rc) == FB_E_INVAL &&
	    fb_comm_size(NULL, &rc) == FB_E_INVAL &&
	    fb_comm_local_rank(NULL, &rc) == FB_E_INVAL &&
	    fb_comm_local_size(NULL, &rc) == FB_E_INVAL,
	    "every call on a NULL handle is FB_E_INVAL");
	ok(fb_comm_destroy(NULL) == 0, "fb_comm_destroy(NULL) is fine");
	ok(fb_version() != NULL && *fb_version() != '\0', "fb_version: %s",
	    fb_version());
}

struct error_test_log {
	int calls;
	int level;
	char last[1200];
};

static void
error_test_log_fn(void *arg, int level, const char *msg)
{
	struct error_test_log *l = arg;

	l->calls++;
	l->level = level;
	snprintf(l->last, sizeof l->last, "%s", msg);
}

/* Run one failing init with stderr going to a file; return its size. */
static long
error_test_stderr_of(const fb_config *cfg)
{
	char path[] = "/tmp/fberrtest.XXXXXX";
	fb_unique_id id;
	fb_comm *comm;
	long size;
	int fd, saved;

	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	th_unique_id(&id);
	(void)fb_comm_init_config(&comm, &id, 0, 1, cfg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	size = (long)lseek(fd, 0, SEEK_END);
	close(fd);
	return size;
}

static void
error_test_logging(void)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	struct error_test_log l;
	long n;

	unsetenv("FASTBOOT_DEBUG");
	cfg.socket_path = "/nonexistent/fastboot-log-test.sock";
	n = error_test_stderr_of(&cfg);
	ok(n == 0, "a failed init prints nothing by default (%ld bytes on "
	    "stderr)", n);
	setenv("FASTBOOT_DEBUG", "1", 1);
	n = error_test_stderr_of(&cfg);
	ok(n > 0, "with FASTBOOT_DEBUG=1 it logs to stderr (%ld bytes)", n);
	memset(&l, 0, sizeof l);
	cfg.log_fn = error_test_log_fn;
	cfg.log_arg = &l;
	n = error_test_stderr_of(&cfg);
	ok(n == 0 && l.calls > 0 && strstr(l.last,
	    "fastboot-log-test.sock") != NULL, "with a log callback it logs "
	    "there, not to stderr (%d calls, last \"%s\")", l.calls, l.last);
	unsetenv("FASTBOOT_DEBUG");
	memset(&l, 0, sizeof l);
	cfg.log_level = FB_LOG_DEBUG;
	n = error_test_stderr_of(&cfg);
	ok(n == 0 && l.calls > 0 && l.level == FB_LOG_DEBUG, "log_level "
	    "FB_LOG_DEBUG without FASTBOOT_DEBUG reaches the callback (%d "
	    "calls)", l.calls);
	memset(&l, 0, sizeof l);
	cfg.log_level = 0;
	n = error_test_stderr_of(&cfg);
	ok(n == 0 && l.calls == 0, "log_level 0 without FASTBOOT_DEBUG: a "
	    "debug detail is not logged (%d calls)", l.calls);
}

static void
error_test_ids(void)
{
	fb_unique_id a, b;

	ok(fb_get_unique_id(&a) == 0 && fb_get_unique_id(&b) == 0 &&
	    memcmp(&a, &b, sizeof a) != 0, "two unique ids differ");
}

int
main(void)
{
	th_deadline(30);
	unsetenv("FASTBOOT_TIMEOUT_MS");
	error_test_strerror();
	error_test_init();
	error_test_logging();
	error_test_ids();
	return tap_done();
}
