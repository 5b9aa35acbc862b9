/*
 * comm.c - job ids, joining a job, and leaving it.
 */
#include <sys/random.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

void
fb_config_init(fb_config *config)
{
	static const fb_config def = FB_CONFIG_INITIALIZER;

	if (config != NULL)
		*config = def;
}

int
fb_get_unique_id(fb_unique_id *id)
{
	uint8_t *p;
	ssize_t n;
	size_t got = 0;

	if (id == NULL)
		return FB_E_INVAL;
	memset(id, 0, sizeof *id);
	p = id->internal;
	wire_put32(p + UID_OFF_MAGIC, UID_MAGIC);
	wire_put16(p + UID_OFF_VERSION, UID_VERSION);
	while (got < WIRE_KEY_LEN) {
		n = getrandom(p + UID_OFF_KEY + got, WIRE_KEY_LEN - got, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return FB_E_SYS;
		}
		got += (size_t)n;
	}
	if (gethostname((char *)p + UID_OFF_HOST, UID_HOST_LEN - 1) == -1)
		p[UID_OFF_HOST] = '\0';
	return 0;
}

int
fb_comm_init(fb_comm **comm, const fb_unique_id *id, int rank, int nranks)
{
	return fb_comm_init_config(comm, id, rank, nranks, NULL);
}

/* Settings: the config's, else the environment's, else the defaults. */
static int
comm_configure(fb_comm *c, const fb_config *cfg)
{
	fb_config def = FB_CONFIG_INITIALIZER;
	const char *env, *path;
	char *end;
	long v;

	if (cfg == NULL)
		cfg = &def;
	else if (cfg->size < offsetof(fb_config, log_level) + sizeof(int))
		return comm_error(c, FB_E_INVAL, "fb_config.size is %zu: "
		    "start from FB_CONFIG_INITIALIZER", cfg->size);
	env = getenv("FASTBOOT_DEBUG");
	c->log_fn = cfg->log_fn;
	c->log_arg = cfg->log_arg;
	c->log_level = cfg->log_level;
	if (c->log_level == 0)
		c->log_level = env != NULL && strcmp(env, "0") != 0 &&
		    *env != '\0' ? FB_LOG_DEBUG : -1;
	if (cfg->log_fn != NULL && cfg->log_level == 0 && c->log_level < 0)
		c->log_level = FB_LOG_WARNING;

	c->timeout_ms = cfg->timeout_ms;
	if (c->timeout_ms == 0) {
		c->timeout_ms = FB_DEFAULT_TIMEOUT_MS;
		if ((env = getenv("FASTBOOT_TIMEOUT_MS")) != NULL &&
		    *env != '\0') {
			errno = 0;
			v = strtol(env, &end, 10);
			if (errno != 0 || *end != '\0' || v < -1 || v == 0 ||
			    v > 86400000)
				return comm_error(c, FB_E_INVAL,
				    "FASTBOOT_TIMEOUT_MS='%s' is not a number "
				    "of milliseconds (1..86400000, or -1)", env);
			c->timeout_ms = (int)v;
		}
	} else if (c->timeout_ms < -1)
		return comm_error(c, FB_E_INVAL, "timeout_ms %d: use a "
		    "positive value, 0 for the default or -1 for none",
		    c->timeout_ms);

	env = getenv("FASTBOOT_COLLECTIVES");
	if (env != NULL && strcmp(env, "daemon") == 0)
		c->daemon_coll = 1;
	else if (env != NULL && *env != '\0' && strcmp(env, "shm") != 0)
		return comm_error(c, FB_E_INVAL, "FASTBOOT_COLLECTIVES='%s': "
		    "use shm (the default) or daemon", env);

	path = cfg->socket_path;
	if (path == NULL || *path == '\0')
		path = getenv("FASTBOOT_SOCKET");
	if (path == NULL || *path == '\0')
		path = FB_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof c->path)
		return comm_error(c, FB_E_INVAL, "socket path is %zu bytes, "
		    "at most %zu fit: %s", strlen(path), sizeof c->path - 1,
		    path);
	strcpy(c->path, path);
	return 0;
}

static int
comm_joined(fb_comm *c, const void *arg)
{
	return c->ready;
}

static void
comm_free(fb_comm *c)
{
	if (c->fd != -1)
		close(c->fd);
	wire_reader_free(&c->in);
	rtab_unmap(c);
	mq_free(c);
	free(c);
}

/* Name the ranks that have not joined, from the rank table. */
static void
comm_init_timeout(fb_comm *c, uint64_t start)
{
	char missing[512];

	if (!c->joined) {
		comm_error(c, FB_E_TIMEOUT, "init of rank %d timed out after "
		    "%d ms: fastbootd at %s did not answer JOIN", c->rank,
		    io_ms_since(start), c->path);
		return;
	}
	coll_missing(c, 0, missing, sizeof missing);
	comm_fail(c, FB_E_TIMEOUT, "init timed out after %d ms: ranks %s of "
	    "%d have not joined (%u have)", io_ms_since(start), missing,
	    c->nranks, __atomic_load_n(&c->hdr->joined, __ATOMIC_ACQUIRE));
	coll_abort(c, FB_E_TIMEOUT, c->err);
}

int
fb_comm_init_config(fb_comm **comm, const fb_unique_id *id, int rank,
    int nranks, const fb_config *config)
{
	uint8_t frames[WIRE_HDR_LEN * 2 + WIRE_HELLO_LEN + WIRE_JOIN_LEN];
	struct wire_hello hello = { WIRE_VERSION_MIN, WIRE_VERSION_MAX,
	    WIRE_ROLE_RANK, 0 };
	struct wire_join join;
	struct iovec iov;
	uint64_t start = io_now_ns(), deadline;
	fb_comm *c;
	size_t n;
	int rc;

	if (comm == NULL) {
		comm_init_error("fb_comm_init: comm is NULL");
		return FB_E_INVAL;
	}
	*comm = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		comm_init_error("fb_comm_init: out of memory");
		return FB_E_NOMEM;
	}
	c->fd = -1;
	c->evfd = -1;
	c->epfd = -1;
	wire_reader_init(&c->in, WIRE_FROM_DAEMON, 65536, 4096);
	c->rank = rank;
	c->nranks = nranks;
	if ((rc = comm_configure(c, config)) != 0)
		goto fail;
	if (id == NULL || wire_get32(id->internal + UID_OFF_MAGIC) !=
	    UID_MAGIC || wire_get16(id->internal + UID_OFF_VERSION) !=
	    UID_VERSION) {
		rc = comm_error(c, FB_E_INVAL, "the unique id was not made by "
		    "fb_get_unique_id (or was not broadcast whole)");
		goto fail;
	}
	if (nranks < 1 || nranks > FB_MAX_NRANKS || rank < 0 ||
	    rank >= nranks) {
		rc = comm_error(c, FB_E_INVAL, "rank %d of %d: need 0 <= rank "
		    "< nranks <= %d", rank, nranks, FB_MAX_NRANKS);
		goto fail;
	}
	if (mq_init(c) == -1) {
		rc = comm_error(c, FB_E_NOMEM, "out of memory");
		goto fail;
	}
	memcpy(c->key, id->internal + UID_OFF_KEY, WIRE_KEY_LEN);
	deadline = io_deadline(c);
	if ((rc = io_connect(c, deadline)) != 0)
		goto fail;

	/* HELLO and JOIN in one write: the handshake costs no round trip. */
	memset(&join, 0, sizeof join);
	memcpy(join.key, c->key, WIRE_KEY_LEN);
	join.rank = (uint32_t)rank;
	join.nranks = (uint32_t)nranks;
	join.flags = c->daemon_coll ? WIRE_JOIN_DAEMON_COLL : 0;
	n = wire_encode_hello(frames, &hello);
	n += wire_encode_join(frames + n, &join);
	iov.iov_base = frames;
	iov.iov_len = n;
	if ((rc = io_write(c, &iov, 1, deadline)) != 0)
		goto fail;
	rc = io_wait(c, deadline, comm_joined, NULL);
	if (rc == FB_E_TIMEOUT && !c->failed)
		comm_init_timeout(c, start);
	if (rc != 0)
		goto fail;
	comm_log(c, FB_LOG_DEBUG, "rank %d of %d joined job %u in %d us",
	    rank, nranks, c->job_id, (int)((io_now_ns() - start) / 1000));
	*comm = c;
	return 0;
fail:
	comm_init_error(c->err);
	comm_free(c);
	return rc;
}

int
fb_comm_rank(const fb_comm *comm, int *rank)
{
	if (comm == NULL || rank == NULL)
		return FB_E_INVAL;
	*rank = comm->rank;
	return 0;
}

int
fb_comm_size(const fb_comm *comm, int *nranks)
{
	if (comm == NULL || nranks == NULL)
		return FB_E_INVAL;
	*nranks = comm->nranks;
	return 0;
}

int
fb_comm_local_rank(const fb_comm *comm, int *local_rank)
{
	if (comm == NULL || local_rank == NULL)
		return FB_E_INVAL;
	*local_rank = comm->local_rank;
	return 0;
}

int
fb_comm_local_size(const fb_comm *comm, int *local_size)
{
	if (comm == NULL || local_size == NULL)
		return FB_E_INVAL;
	*local_size = comm->local_size;
	return 0;
}

int
fb_comm_destroy(fb_comm *comm)
{
	uint8_t frame[WIRE_HDR_LEN];
	struct iovec iov = { frame, sizeof frame };

	if (comm == NULL)
		return 0;
	/* Tell the daemon this is a clean departure, not a crash. */
	if (comm->fd != -1 && comm->failed != FB_E_DAEMON_LOST) {
		wire_encode_empty(frame, WIRE_LEAVE, 0);
		io_write(comm, &iov, 1, io_now_ns() + 100000000u);
	}
	comm_free(comm);
	return 0;
}
