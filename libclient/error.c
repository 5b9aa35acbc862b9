/*
 * error.c - error codes, the detail of the last failure, and logging
 * through the application's callback.
 */
#include <stdio.h>
#include <string.h>

#include "client.h"

/* Detail of the last failed fb_comm_init on this thread (no handle yet). */
static __thread char init_error[1024];

const char *
fb_strerror(int err)
{
	switch ((enum fb_error)err) {
	case FB_OK:
		return "success";
	case FB_E_INVAL:
		return "invalid argument or over a documented limit";
	case FB_E_NOMEM:
		return "out of memory";
	case FB_E_TIMEOUT:
		return "timed out";
	case FB_E_PEER_LOST:
		return "a rank of the job died or left";
	case FB_E_DAEMON_LOST:
		return "lost the connection to fastbootd";
	case FB_E_NODAEMON:
		return "no fastbootd is listening on the socket";
	case FB_E_PROTO:
		return "protocol error";
	case FB_E_VERSION:
		return "no protocol version in common with fastbootd";
	case FB_E_PERM:
		return "permission denied: the job belongs to another user";
	case FB_E_MISMATCH:
		return "ranks disagree on the number of ranks or sizes";
	case FB_E_SYS:
		return "system call failed";
	case FB_E_LIMIT:
		return "a fastbootd resource limit was reached";
	case FB_E_ABORTED:
		return "another rank of the job gave up";
	case FB_E_NOGPU:
		return "no usable GPU";
	}
	return "unknown fastboot error";
}

const char *
fb_comm_last_error(const fb_comm *comm)
{
	if (comm == NULL)
		return init_error;
	return comm->err;
}

const char *
fb_version(void)
{
	return PACKAGE_VERSION;
}

void
comm_log(const fb_comm *comm, int level, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	if (level > comm->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (comm->log_fn != NULL)
		comm->log_fn(comm->log_arg, level, msg);
	else
		fprintf(stderr, "fastboot[rank %d]: %s\n", comm->rank, msg);
}

static int __attribute__((format(printf, 3, 0)))
comm_verror(fb_comm *comm, int code, const char *fmt, va_list ap)
{
	vsnprintf(comm->err, sizeof comm->err, fmt, ap);
	comm_log(comm, FB_LOG_DEBUG, "%s: %s", fb_strerror(code), comm->err);
	return code;
}

/* A call failed; the handle stays usable. */
int
comm_error(fb_comm *comm, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	comm_verror(comm, code, fmt, ap);
	va_end(ap);
	return code;
}

/* The job cannot go on: every later call returns the same error. */
int
comm_fail(fb_comm *comm, int code, const char *fmt, ...)
{
	va_list ap;

	if (comm->failed)
		return comm->failed;
	va_start(ap, fmt);
	comm_verror(comm, code, fmt, ap);
	va_end(ap);
	comm->failed = code;
	comm_log(comm, FB_LOG_ERROR, "%s", comm->err);
	return code;
}

void
comm_init_error(const char *msg)
{
	snprintf(init_error, sizeof init_error, "%s", msg);
}
