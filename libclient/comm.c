/*
 * comm.c - job ids, joining a job, and leaving it.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "nodemap.h"

void
fb_config_init(fb_config *config)
{
	static const fb_config def = FB_CONFIG_INITIALIZER;

	if (config != NULL)
		*config = def;
}

#define COMM_ID_TIMEOUT_MS	2000
#define COMM_LEAVE_MS		1000	/* fb_comm_destroy's wait */
/* The adaptive wait's bound (coll.c): about two wake-ups from epoll on a
 * small VM; FASTBOOT_SPIN_US sets it. */
#define FB_SPIN_DEFAULT_US	50
#define FB_SPIN_MAX_US		10000

/* An environment variable as a whole number, or -1. */
static long
comm_env_long(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long l;

	if (v == NULL || *v == '\0')
		return -1;
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || l < 0)
		return -1;
	return l;
}

/*
 * Does the launcher's environment say that every rank of this process's
 * job runs on this node?  The same fact as a PMIx node map of one node,
 * read without PMIx's lookups, which cost a round through its progress
 * thread each (60 us to 2 ms on a busy 2-vCPU machine, most of a
 * bootstrap): OpenMPI's mpirun (OMPI_COMM_WORLD_*), Slurm's srun
 * (SLURM_STEP_*).  rank and nranks, unless -1, must be this process's in
 * that job.  0 when it does not say so: then PMIx is asked.
 */
static int
comm_one_node_env(long rank, long nranks)
{
	long size;

	if ((size = comm_env_long("OMPI_COMM_WORLD_SIZE")) > 0 &&
	    (nranks == -1 || size == nranks) && (rank == -1 ||
	    comm_env_long("OMPI_COMM_WORLD_RANK") == rank) &&
	    comm_env_long("OMPI_COMM_WORLD_LOCAL_SIZE") == size)
		return 1;
	if ((size = comm_env_long("SLURM_STEP_NUM_TASKS")) > 0 &&
	    (nranks == -1 || size == nranks) && (rank == -1 ||
	    comm_env_long("SLURM_PROCID") == rank) &&
	    comm_env_long("SLURM_STEP_NUM_NODES") == 1)
		return 1;
	return 0;
}

/*
 * Ask the local daemon (FASTBOOT_SOCKET, else the default path) for a
 * secret and its TCP endpoints.  1: *id filled with them; 0: no daemon, or
 * one without TCP (the caller makes a local id); never an error.
 */
static int
comm_id_from_daemon(uint8_t *p)
{
	uint8_t out[WIRE_HDR_LEN * 2 + WIRE_HELLO_LEN], in[WIRE_HDR_LEN +
	    WIRE_ID_MAX];
	struct wire_hello hello = { WIRE_VERSION_MIN, WIRE_VERSION_MAX,
	    WIRE_ROLE_CTL, 0 };
	struct sockaddr_un sun;
	struct wire_hdr h;
	struct pollfd pfd;
	const char *path = getenv("FASTBOOT_SOCKET");
	uint64_t deadline = clock_mono_ns() + COMM_ID_TIMEOUT_MS * 1000000ull;
	size_t n, got = 0;
	ssize_t r;
	uint32_t nep, i;
	int fd, ok = 0, ms;

	if (path == NULL || *path == '\0')
		path = FB_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof sun.sun_path)
		return 0;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return 0;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		goto out;
	n = wire_encode_hello(out, &hello);
	n += wire_encode_empty(out + n, WIRE_CTL_ID, 0);
	if (send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n)
		goto out;
	for (;;) {
		if (got >= WIRE_HDR_LEN) {
			if (wire_decode_hdr_untrusted(in, got, WIRE_FROM_DAEMON,
			    &h) != WIRE_OK || h.type != WIRE_ID)
				goto out;
			if (got >= WIRE_HDR_LEN + h.length)
				break;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		ms = (int)((deadline - clock_mono_ns()) / 1000000);
		if (clock_mono_ns() >= deadline || ms <= 0)
			goto out;
		if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
			goto out;
		r = recv(fd, in + got, sizeof in - got, MSG_DONTWAIT);
		if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR))
			goto out;
		if (r > 0)
			got += (size_t)r;
	}
	nep = wire_get32(in + WIRE_HDR_LEN + WIRE_KEY_LEN + 8);
	if (nep == 0 || nep > WIRE_ID_MAX_EP ||
	    h.length != WIRE_ID_MIN + nep * WIRE_EP_LEN)
		goto out;
	memcpy(p + UID_OFF_KEY, in + WIRE_HDR_LEN, WIRE_KEY_LEN);
	wire_put16(p + UID_OFF_FLAGS, UID_FLAG_TCP);
	memcpy(p + UID_OFF_INST, in + WIRE_HDR_LEN + WIRE_KEY_LEN, 8);
	p[UID_OFF_NEP] = (uint8_t)nep;
	for (i = 0; i < nep; i++)
		memcpy(p + UID_OFF_EP + i * WIRE_EP_LEN, in + WIRE_HDR_LEN +
		    WIRE_ID_MIN + i * WIRE_EP_LEN, WIRE_EP_LEN);
	ok = 1;
out:
	explicit_bzero(in, sizeof in);
	close(fd);
	return ok;
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
	/* A daemon that serves other nodes: an id they can join through.
	 * Not asked when the launcher says every rank of this job is on this
	 * node (one round trip to a daemon less on the job's critical path),
	 * unless FASTBOOT_ID_FROM_DAEMON=1 wants an id other nodes can join. */
	if ((comm_env_long("FASTBOOT_ID_FROM_DAEMON") == 1 ||
	    !comm_one_node_env(-1, -1)) && comm_id_from_daemon(p))
		return 0;
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
				    "of milliseconds (1..86400000, or -1)",
				    env);
			c->timeout_ms = (int)v;
		}
	} else if (c->timeout_ms < -1)
		return comm_error(c, FB_E_INVAL, "timeout_ms %d: use a "
		    "positive value, 0 for the default or -1 for none",
		    c->timeout_ms);

	c->spin_max_ns = FB_SPIN_DEFAULT_US * 1000u;
	if ((env = getenv("FASTBOOT_SPIN_US")) != NULL && *env != '\0') {
		errno = 0;
		v = strtol(env, &end, 10);
		if (errno != 0 || *end != '\0' || v < 0 ||
		    v > FB_SPIN_MAX_US)
			return comm_error(c, FB_E_INVAL,
			    "FASTBOOT_SPIN_US='%s' is not a number of "
			    "microseconds (0..%d; 0: never spin)", env,
			    FB_SPIN_MAX_US);
		c->spin_max_ns = (uint64_t)v * 1000u;
	}

	env = getenv("FASTBOOT_COLLECTIVES");
	if (env != NULL && strcmp(env, "daemon") == 0)
		c->daemon_coll = c->coll_frames = 1;
	else if (env != NULL && *env != '\0' && strcmp(env, "shm") != 0)
		return comm_error(c, FB_E_INVAL, "FASTBOOT_COLLECTIVES='%s': "
		    "use shm (the default) or daemon", env);

	env = getenv("FASTBOOT_P2P");
	if (env != NULL && strcmp(env, "daemon") == 0)
		c->p2p_daemon = 1;
	else if (env != NULL && *env != '\0' && strcmp(env, "shm") != 0)
		return comm_error(c, FB_E_INVAL, "FASTBOOT_P2P='%s': use shm "
		    "(the default) or daemon", env);

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

/* Microseconds from the start of init to phase t (-1: not reached). */
static int
comm_us(const fb_comm *c, uint64_t t)
{
	return t >= c->t_start ? (int)((t - c->t_start) / 1000) : -1;
}

static int
comm_acked(fb_comm *c, const void *arg)
{
	return c->joined;
}

/* READY, as a frame or (WIRE_ACK_TABLE_READY) as the table's word. */
static int
comm_joined(fb_comm *c, const void *arg)
{
	if (!c->ready && c->table_ready &&
	    __atomic_load_n(&c->hdr->ready, __ATOMIC_ACQUIRE) != 0) {
		c->ready = 1;
		c->t_ready = clock_mono_ns();
	}
	return c->ready;
}

static void
comm_free(fb_comm *c)
{
	if (c->fd != -1)
		close(c->fd);
	wire_reader_free(&c->in);
	shm_free(c);
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
	if (c->multinode)
		comm_fail(c, FB_E_TIMEOUT, "init timed out after %d ms: %u "
		    "ranks of %d joined on this node", io_ms_since(start),
		    __atomic_load_n(&c->hdr->joined, __ATOMIC_ACQUIRE),
		    c->nranks);
	else
		comm_fail(c, FB_E_TIMEOUT, "init timed out after %d ms: ranks "
		    "%s of %d have not joined (%u have)", io_ms_since(start),
		    missing, c->nranks, __atomic_load_n(&c->hdr->joined,
		    __ATOMIC_ACQUIRE));
	coll_give_up(c, FB_E_TIMEOUT);
}

/*
 * JOIN's extension (wire.h) for a job that may span nodes.  Under a PMIx
 * launcher the whole node map goes with it (no discovery round); a map of
 * one node makes it a plain local job.  Otherwise, with an id from a daemon
 * that listens on TCP, the root daemon's endpoints.  *ext stays NULL for a
 * job on this node only.
 */
static int
comm_ext(fb_comm *c, const fb_unique_id *id, uint8_t **ext, size_t *len,
    int *one_node)
{
	const uint8_t *u = id->internal;
	struct nodemap map;
	char why[256];
	uint32_t nep = 0, i, flags = 0;
	size_t n;
	uint8_t *p;
	int rc;

	*ext = NULL;
	*len = 0;
	*one_node = 0;
	if (wire_get16(u + UID_OFF_FLAGS) & UID_FLAG_TCP) {
		nep = u[UID_OFF_NEP];
		flags |= WIRE_EXT_ROOT;
	}
	memset(&map, 0, sizeof map);
	if (comm_one_node_env(c->rank, c->nranks)) {
		*one_node = 1;
		return 0;	/* the launcher says: all on this node */
	}
	rc = nodemap_from_pmix(&map, (uint32_t)c->rank, (uint32_t)c->nranks,
	    why, sizeof why);
	if (rc < 0)
		return comm_error(c, rc, "PMIx node map: %s", why);
	if (rc == 1)
		comm_log(c, FB_LOG_DEBUG, "no PMIx node map (%s): %s", why,
		    nep > 0 ? "discovery through the id's root daemon" :
		    "a job on this node");
	else if (map.nnodes <= 1) {
		nodemap_free(&map);
		*one_node = 1;
		return 0;	/* one node: nothing to federate */
	} else
		flags |= WIRE_EXT_MAP;
	if (flags == 0)
		return 0;
	n = WIRE_JOIN_EXT_MIN + (size_t)nep * WIRE_EP_LEN;
	if (flags & WIRE_EXT_MAP)
		n += 8 + (size_t)map.nnodes * WIRE_HOST_LEN +
		    (size_t)c->nranks * 4;
	if ((p = calloc(1, n)) == NULL) {
		nodemap_free(&map);
		return comm_error(c, FB_E_NOMEM, "out of memory");
	}
	wire_put32(p, flags);
	wire_put32(p + 4, nep);
	if (nep > 0)
		memcpy(p + 8, u + UID_OFF_INST, 8);
	for (i = 0; i < nep; i++)
		memcpy(p + WIRE_JOIN_EXT_MIN + i * WIRE_EP_LEN,
		    u + UID_OFF_EP + i * WIRE_EP_LEN, WIRE_EP_LEN);
	if (flags & WIRE_EXT_MAP) {
		uint8_t *q = p + WIRE_JOIN_EXT_MIN + (size_t)nep * WIRE_EP_LEN;

		wire_put32(q, map.nnodes);
		wire_put32(q + 4, map.node);
		q += 8;
		for (i = 0; i < map.nnodes; i++, q += WIRE_HOST_LEN)
			memcpy(q, map.host[i], strnlen(map.host[i],
			    WIRE_HOST_LEN - 1));
		for (i = 0; i < (uint32_t)c->nranks; i++, q += 4)
			wire_put32(q, map.node_of_rank[i]);
		comm_log(c, FB_LOG_DEBUG, "PMIx: node %u of %u", map.node,
		    map.nnodes);
	}
	nodemap_free(&map);
	/* Across nodes, collectives go through the daemons. */
	c->daemon_coll = 1;
	c->multinode = 1;
	*ext = p;
	*len = n;
	return 0;
}

/* coll_yield's test in init: what the socket holds now, then done(). */
struct comm_await {
	int (*done)(fb_comm *, const void *);
};

static int
comm_peek_done(fb_comm *c, const void *arg)
{
	const struct comm_await *w = arg;

	io_peek(c);
	return w->done(c, NULL);
}

/*
 * Wait in init for JOIN_ACK or READY.  With more ranks on this node than
 * CPUs (the launcher says every rank is here: yield_first), a rank first
 * hands its CPU once to the processes waiting for one, which are often the
 * ones it waits for (fastbootd, woken by this very JOIN, or the ranks
 * still to join), and looks again, as the collectives do (coll_yield).
 * Then it sleeps.
 */
static int
comm_wait(fb_comm *c, uint64_t deadline,
    int (*done)(fb_comm *, const void *))
{
	const struct comm_await w = { done };

	if (!done(c, NULL))
		(void)coll_yield(c, comm_peek_done, &w);
	return io_wait(c, deadline, done, NULL);
}

int
fb_comm_init_config(fb_comm **comm, const fb_unique_id *id, int rank,
    int nranks, const fb_config *config)
{
	uint8_t frames[WIRE_HDR_LEN * 2 + WIRE_HELLO_LEN + WIRE_JOIN_LEN];
	struct wire_hello hello = { WIRE_VERSION_MIN, WIRE_VERSION_MAX,
	    WIRE_ROLE_RANK, 0 };
	struct wire_join join;
	struct iovec iov2[2];
	uint64_t start = clock_mono_ns(), deadline;
	uint8_t *ext = NULL;
	size_t n, ext_len = 0;
	fb_comm *c;
	int rc, one_node;

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
	io_owner(c);
	c->evfd = -1;
	c->epfd = -1;
	c->bellfd = -1;
	c->belltx = -1;
	wire_reader_init(&c->in, WIRE_FROM_DAEMON, 65536, 4096);
	c->rank = rank;
	c->nranks = nranks;
	if ((rc = comm_configure(c, config)) != 0)
		goto fail;
	if (id == NULL || wire_get32(id->internal + UID_OFF_MAGIC) !=
	    UID_MAGIC || wire_get16(id->internal + UID_OFF_VERSION) !=
	    UID_VERSION || (wire_get16(id->internal + UID_OFF_FLAGS) &
	    ~UID_FLAG_TCP) != 0 || ((wire_get16(id->internal +
	    UID_OFF_FLAGS) & UID_FLAG_TCP) && (id->internal[UID_OFF_NEP] == 0 ||
	    id->internal[UID_OFF_NEP] > WIRE_ID_MAX_EP))) {
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
	c->t_start = start;
	if ((rc = io_connect(c, deadline)) != 0)
		goto fail;
	c->t_connect = clock_mono_ns();

	/* A job that may span nodes: the root daemon's endpoints from the id,
	 * or the whole map from PMIx. */
	if ((rc = comm_ext(c, id, &ext, &ext_len, &one_node)) != 0)
		goto fail;
	c->t_ext = clock_mono_ns();
	/* coll_spin_setup sets it again once the node's ranks are known. */
	c->cpus = coll_count_cpus();
	c->yield_first = one_node && c->cpus < nranks;

	/* HELLO and JOIN in one write: the handshake costs no round trip. */
	memset(&join, 0, sizeof join);
	memcpy(join.key, c->key, WIRE_KEY_LEN);
	join.rank = (uint32_t)rank;
	join.nranks = (uint32_t)nranks;
	join.flags = c->daemon_coll ? WIRE_JOIN_DAEMON_COLL : 0;
	if (ext != NULL)
		join.flags |= WIRE_JOIN_MULTINODE;
	/* On one node with shared-memory collectives, READY can come
	 * through the table (the daemon says so in JOIN_ACK). */
	if (!c->daemon_coll && !c->multinode)
		hello.flags = WIRE_HELLO_TABLE_READY | WIRE_HELLO_COUNT_SLEEP;
	else if (c->multinode && !c->coll_frames)
		hello.flags = WIRE_HELLO_NODE_ARRIVE;
	hello.flags |= WIRE_HELLO_LEAVE_CLOSE;
	n = wire_encode_hello(frames, &hello);
	n += wire_encode_join_hdr(frames + n, &join, (uint32_t)ext_len);
	iov2[0].iov_base = frames;
	iov2[0].iov_len = n;
	iov2[1].iov_base = ext;
	iov2[1].iov_len = ext_len;
	rc = io_write(c, iov2, ext != NULL ? 2 : 1, deadline);
	free(ext);
	ext = NULL;
	if (rc != 0)
		goto fail;
	c->t_sent = clock_mono_ns();
	/* While the daemon handles the JOIN: the epoll set, on the socket. */
	if (!c->daemon_coll && (rc = rtab_epoll_open(c)) != 0)
		goto fail;
	rc = comm_wait(c, deadline, comm_acked);
	/* READY through the table: a job on this node, whose shape is
	 * known now; the doorbell is set up while the others join. */
	if (rc == 0 && c->table_ready) {
		c->local_rank = rank;
		c->local_size = nranks;
		c->node = 0;
		c->nnodes = 1;
		coll_spin_setup(c);
		shm_start(c);
	}
	if (rc == 0)
		rc = comm_wait(c, deadline, comm_joined);
	if (rc == FB_E_TIMEOUT && !c->failed)
		comm_init_timeout(c, start);
	if (rc != 0)
		goto fail;
	if (!c->table_ready) {
		coll_spin_setup(c);
		shm_start(c);
	}
	/* Set before READY (the word, or the frame sent after it). */
	if (!c->daemon_coll && !c->multinode)
		c->wake_counted = (__atomic_load_n(&c->hdr->wake,
		    __ATOMIC_ACQUIRE) & TABLE_WAKE_COUNTED) != 0;
	else if (c->multinode && c->epfd != -1)
		c->node_arrive = (__atomic_load_n(&c->hdr->wake,
		    __ATOMIC_ACQUIRE) & TABLE_NODE_ARRIVE) != 0;
	/* The phases, in us from the start (bench/sys_fastboot.c reads them):
	 * connected, node map read, HELLO+JOIN written, JOIN_ACK read, table
	 * mapped, READY read. */
	comm_log(c, FB_LOG_DEBUG, "rank %d of %d joined job %u in %d us: "
	    "connect=%d nodemap=%d sent=%d join_ack=%d mmap=%d ready=%d", rank,
	    nranks, c->job_id, (int)((clock_mono_ns() - start) / 1000),
	    comm_us(c, c->t_connect), comm_us(c, c->t_ext),
	    comm_us(c, c->t_sent), comm_us(c, c->t_ack),
	    comm_us(c, c->t_mapped), comm_us(c, c->t_ready));
	*comm = c;
	return 0;
fail:
	free(ext);
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
fb_comm_node(const fb_comm *comm, int *node, int *nnodes)
{
	if (comm == NULL || (node == NULL && nnodes == NULL))
		return FB_E_INVAL;
	if (node != NULL)
		*node = comm->node;
	if (nnodes != NULL)
		*nnodes = comm->nnodes;
	return 0;
}

int
fb_comm_destroy(fb_comm *comm)
{
	uint8_t frame[WIRE_HDR_LEN];
	struct iovec iov = { frame, sizeof frame };

	if (comm == NULL)
		return 0;
	if (comm->coll_spin.spins > 0 || comm->recv_spin.spins > 0)
		comm_log(comm, FB_LOG_DEBUG, "adaptive wait: %llu of %llu "
		    "spins ended by the release, %llu of %llu in fb_recv by "
		    "a message", (unsigned long long)comm->coll_spin.hits,
		    (unsigned long long)comm->coll_spin.spins,
		    (unsigned long long)comm->recv_spin.hits,
		    (unsigned long long)comm->recv_spin.spins);
	if (comm->yields > 0)
		comm_log(comm, FB_LOG_DEBUG, "oversubscribed: %llu of %llu "
		    "yields before a sleep made it needless",
		    (unsigned long long)comm->yield_hits,
		    (unsigned long long)comm->yields);
	if (comm->wakes_skipped > 0)
		comm_log(comm, FB_LOG_DEBUG, "last to arrive: %llu eventfd "
		    "writes, %llu skipped (nobody asleep)", (unsigned long long)
		    comm->wakes, (unsigned long long)comm->wakes_skipped);
	/* No more messages through our rings, then tell the daemon this is
	 * a clean departure, not a crash; a forked child's copy goes quietly
	 * (the rank, its rings and its doorbell are its parent's). */
	if (!io_foreign(comm))
		shm_stop(comm);
	else
		comm->shm = 0;	/* comm_free must not clear its doorbell */
	if (comm->fd != -1 && comm->failed != FB_E_DAEMON_LOST &&
	    !comm->torn && !io_foreign(comm)) {
		uint64_t end = clock_mono_ns() + COMM_LEAVE_MS * 1000000ull;

		/* Then, if the daemon promised, wait (bounded) until it has
		 * released this rank: once every rank's fb_comm_destroy
		 * returned, the job is gone and its id free again. */
		wire_encode_empty(frame, WIRE_LEAVE, 0);
		if (io_write(comm, &iov, 1, end) == 0 && comm->leave_close &&
		    io_wait_closed(comm, end) != 0)
			comm_log(comm, FB_LOG_WARNING, "rank %d: fastbootd "
			    "did not close the connection within %d ms of "
			    "LEAVE", comm->rank, COMM_LEAVE_MS);
	}
	comm_free(comm);
	return 0;
}
