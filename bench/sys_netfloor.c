/*
 * sys_netfloor.c - the floor across nodes (bootstrap_benchmark --nodes): a
 * job with no daemon at all.  Within a node the ranks meet in shared memory
 * as at the shared-memory floor (futexes); across nodes one rank per node,
 * the node's leader (its lowest rank), talks TCP to the other nodes'
 * leaders: a dissemination barrier, and Bruck's allgather of the nodes'
 * blocks, over ceil(log2 M) links each way.  Every wait sleeps (futex,
 * poll), as fastboot's do, so this is what the same algorithms cost on
 * these simulated nodes without fastbootd's extra process on the path.
 *
 * Bootstrap: rank 0 listens and broadcasts its address and a job nonce
 * with MPI_Bcast (the id); every other leader listens, connects to rank 0
 * and sends its address; rank 0 answers each with all of them; each leader
 * connects to its partners (node i + 2^k) and accepts from node i - 2^k;
 * the node's ranks map a shared-memory segment named by the nonce and the
 * node; the first barrier completes.  A new job pays every connect: that
 * is what a job without a warm daemon costs.
 *
 * Ranks must be numbered node by node, the same number on every node (as
 * scripts/run-benchmark.sh --nodes starts them).  IPv4, the node's first
 * non-loopback address that is up.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <linux/futex.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "wire/clock.h"
#include "bench/bench.h"

#define NFL_MAX_SLICE	(1u << 20)
#define NFL_MAX_ROUNDS	13		/* 4096 nodes */
#define NFL_DEADLINE_US	30e6

struct nfl_hdr {
	_Atomic uint32_t	count;	/* this op's arrivals on the node */
	_Atomic uint32_t	local;	/* last op all the node's ranks began */
	_Atomic uint32_t	gen;	/* last op released */
	_Atomic uint32_t	failed;	/* the leader failed: why in err */
	char			pad[48];
	char			err[256];
};

/* What a leader sends: to rank 0 first (round -1), then to each partner. */
struct nfl_hello {
	uint32_t	node;
	int32_t		round;
	uint32_t	addr;		/* network order */
	uint16_t	port;		/* network order */
	uint16_t	pad;
};

struct nfl_id {
	uint32_t	addr;		/* rank 0's, network order */
	uint16_t	port;
	uint16_t	pad;
	uint64_t	nonce;
};

struct nfl {
	unsigned char		*base;
	size_t			 size;
	struct nfl_hdr		*hdr;
	unsigned char		*table[2];
	unsigned		 parity;
	uint32_t		 seq;
	int			 out[NFL_MAX_ROUNDS];	/* to node i + 2^k */
	int			 in[NFL_MAX_ROUNDS];	/* from node i - 2^k */
};

static uint32_t nfl_my_addr(void);

/* The job's shape, learnt once from MPI, and the node's address. */
static struct {
	int	known, bad;
	int	lrank, lsize, node, nnodes, rounds;
	uint32_t addr;		/* where this node's leader listens */
} nfl_shape;

static long
nfl_futex(_Atomic uint32_t *w, int op, uint32_t val)
{
	struct timespec ts = { 1, 0 };

	return syscall(SYS_futex, (uint32_t *)w, op, val,
	    op == FUTEX_WAIT ? &ts : NULL, NULL, 0);
}

/* Wait until *w == want, asleep in the kernel, until end. */
static int
nfl_wait(_Atomic uint32_t *w, uint32_t want, double end, char *err,
    size_t errlen, const char *what)
{
	uint32_t cur;

	while ((cur = atomic_load_explicit(w, memory_order_acquire)) != want) {
		if (bench_now_us() > end) {
			snprintf(err, errlen, "net floor: %s timed out after "
			    "%.0f s", what, NFL_DEADLINE_US / 1e6);
			return -1;
		}
		if (nfl_futex(w, FUTEX_WAIT, cur) == -1 && errno != EAGAIN &&
		    errno != EINTR && errno != ETIMEDOUT) {
			snprintf(err, errlen, "net floor: %s: futex: %s", what,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
nfl_learn_shape(char *err, size_t errlen)
{
	MPI_Comm node = bench_node_comm();
	int lmin, lmax, first, ok, allok;

	if (nfl_shape.known)
		goto out;
	nfl_shape.known = 1;
	nfl_shape.addr = nfl_my_addr();
	MPI_Comm_rank(node, &nfl_shape.lrank);
	MPI_Comm_size(node, &nfl_shape.lsize);
	MPI_Allreduce(&nfl_shape.lsize, &lmin, 1, MPI_INT, MPI_MIN,
	    MPI_COMM_WORLD);
	MPI_Allreduce(&nfl_shape.lsize, &lmax, 1, MPI_INT, MPI_MAX,
	    MPI_COMM_WORLD);
	/* Numbered node by node: the node's lowest rank is rank - lrank, a
	 * multiple of the node's size, and the node's ranks agree on it. */
	first = bench_rank - nfl_shape.lrank;
	ok = lmin == lmax && first % nfl_shape.lsize == 0;
	MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, node);
	ok = ok && first == bench_rank - nfl_shape.lrank;
	MPI_Allreduce(&ok, &allok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
	nfl_shape.bad = !allok;
	nfl_shape.node = bench_rank / nfl_shape.lsize;
	nfl_shape.nnodes = bench_nranks / nfl_shape.lsize;
	while ((1 << nfl_shape.rounds) < nfl_shape.nnodes)
		nfl_shape.rounds++;
out:
	if (nfl_shape.bad) {
		snprintf(err, errlen, "net floor: needs the same number of "
		    "ranks on every node, numbered node by node");
		return -1;
	}
	if (nfl_shape.rounds > NFL_MAX_ROUNDS) {
		snprintf(err, errlen, "net floor: %d nodes: at most %d",
		    nfl_shape.nnodes, 1 << NFL_MAX_ROUNDS);
		return -1;
	}
	return 0;
}

/* The node's first IPv4 address that is up and not loopback (netns: its
 * veth's), else loopback. */
static uint32_t
nfl_my_addr(void)
{
	struct ifaddrs *ifa, *i;
	struct sockaddr_in *sin;
	uint32_t a = htonl(INADDR_LOOPBACK);

	if (getifaddrs(&ifa) == -1)
		return a;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		sin = (struct sockaddr_in *)(void *)i->ifa_addr;
		a = sin->sin_addr.s_addr;
		break;
	}
	freeifaddrs(ifa);
	return a;
}

static void
nfl_tune(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Wait for fd to be ready for events, until end; 0, or -1 (err). */
static int
nfl_poll(int fd, short events, double end, char *err, size_t errlen,
    const char *what)
{
	struct pollfd p = { fd, events, 0 };
	double left;
	int n;

	for (;;) {
		if ((left = end - bench_now_us()) <= 0) {
			snprintf(err, errlen, "net floor: %s timed out after "
			    "%.0f s", what, NFL_DEADLINE_US / 1e6);
			return -1;
		}
		n = poll(&p, 1, (int)(left / 1e3) + 1);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR) {
			snprintf(err, errlen, "net floor: %s: poll: %s", what,
			    strerror(errno));
			return -1;
		}
	}
}

/* k bytes of *v (n pieces) went: step past them. */
static void
nfl_advance(struct iovec **v, int *n, size_t k)
{
	for (; k > 0 && k >= (*v)->iov_len; (*n)--)
		k -= ((*v)++)->iov_len;
	if (k > 0) {
		(*v)->iov_base = (char *)(*v)->iov_base + k;
		(*v)->iov_len -= k;
	}
}

/*
 * Send siov to sfd and receive riov from rfd at the same time (either may
 * be empty), non-blocking, asleep in poll between: two leaders that send
 * each other megabytes first and read later would block forever.
 */
static int
nfl_xfer(int sfd, struct iovec *siov, int sn, int rfd, struct iovec *riov,
    int rn, double end, char *err, size_t errlen, const char *what)
{
	struct pollfd p[2];
	ssize_t k;
	double left;
	int np;

	for (;;) {
		while (sn > 0 && siov->iov_len == 0) {
			siov++;
			sn--;
		}
		while (rn > 0 && riov->iov_len == 0) {
			riov++;
			rn--;
		}
		if (sn == 0 && rn == 0)
			return 0;
		np = 0;
		if (sn > 0)
			p[np++] = (struct pollfd){ sfd, POLLOUT, 0 };
		if (rn > 0)
			p[np++] = (struct pollfd){ rfd, POLLIN, 0 };
		if ((left = end - bench_now_us()) <= 0) {
			snprintf(err, errlen, "net floor: %s timed out after "
			    "%.0f s", what, NFL_DEADLINE_US / 1e6);
			return -1;
		}
		if (poll(p, (nfds_t)np, (int)(left / 1e3) + 1) == -1 &&
		    errno != EINTR) {
			snprintf(err, errlen, "net floor: %s: poll: %s", what,
			    strerror(errno));
			return -1;
		}
		if (sn > 0 && (k = sendmsg(sfd, &(struct msghdr){
		    .msg_iov = siov, .msg_iovlen = (size_t)sn },
		    MSG_NOSIGNAL)) > 0)
			nfl_advance(&siov, &sn, (size_t)k);
		else if (sn > 0 && k == -1 && errno != EAGAIN &&
		    errno != EINTR) {
			snprintf(err, errlen, "net floor: %s: send: %s", what,
			    strerror(errno));
			return -1;
		}
		if (rn > 0 && (k = readv(rfd, riov, rn)) > 0)
			nfl_advance(&riov, &rn, (size_t)k);
		else if (rn > 0 && (k == 0 || (k == -1 && errno != EAGAIN &&
		    errno != EINTR))) {
			snprintf(err, errlen, "net floor: %s: %s", what,
			    k == 0 ? "the peer closed the link" :
			    strerror(errno));
			return -1;
		}
	}
}

static int
nfl_send_all(int fd, void *buf, size_t len, double end, char *err,
    size_t errlen, const char *what)
{
	struct iovec v = { buf, len };

	return nfl_xfer(fd, &v, 1, -1, NULL, 0, end, err, errlen, what);
}

static int
nfl_recv_all(int fd, void *buf, size_t len, double end, char *err,
    size_t errlen, const char *what)
{
	struct iovec v = { buf, len };

	return nfl_xfer(-1, NULL, 0, fd, &v, 1, end, err, errlen, what);
}

static int
nfl_listen(uint32_t addr, uint16_t *port, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd;

	sa.sin_addr.s_addr = addr;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    listen(fd, 1024) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1) {
		snprintf(err, errlen, "net floor: listen on %s: %s",
		    inet_ntoa(sa.sin_addr), strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	*port = sa.sin_port;
	return fd;
}

static int
nfl_connect(uint32_t addr, uint16_t port, double end, char *err,
    size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(int);
	int fd, e = 0;

	sa.sin_addr.s_addr = addr;
	sa.sin_port = port;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	nfl_tune(fd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		if (nfl_poll(fd, POLLOUT, end, err, errlen, "connect") != 0) {
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1 ||
		    e != 0) {
			errno = e != 0 ? e : errno;
			goto fail;
		}
	}
	return fd;
fail:
	snprintf(err, errlen, "net floor: connect to %s:%u: %s",
	    inet_ntoa(sa.sin_addr), ntohs(port), strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

static int
nfl_accept(int lfd, struct nfl_hello *h, double end, char *err,
    size_t errlen)
{
	int fd;

	if (nfl_poll(lfd, POLLIN, end, err, errlen, "accept") != 0)
		return -1;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		snprintf(err, errlen, "net floor: accept: %s",
		    strerror(errno));
		return -1;
	}
	nfl_tune(fd);
	if (nfl_recv_all(fd, h, sizeof *h, end, err, errlen, "hello") != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Leaders: rank 0 learns every leader's address and tells them all, then
 * each leader links to its partners.  lfd is closed on the way out. */
static int
nfl_links(struct nfl *f, int lfd, const struct nfl_id *id, uint16_t myport,
    char *err, size_t errlen)
{
	int M = nfl_shape.nnodes, me = nfl_shape.node, R = nfl_shape.rounds;
	double end = bench_now_us() + NFL_DEADLINE_US;
	struct nfl_hello h, got;
	int *fds = NULL, fd = -1, k, j, rc = -1;
	uint32_t *tab = NULL;

	if ((tab = calloc((size_t)M, 2 * sizeof *tab)) == NULL) {
		snprintf(err, errlen, "net floor: out of memory");
		goto out;
	}
	memset(&h, 0, sizeof h);
	h.node = (uint32_t)me;
	h.round = -1;
	h.addr = nfl_shape.addr;
	h.port = myport;
	if (me == 0) {
		if ((fds = calloc((size_t)M, sizeof *fds)) == NULL) {
			snprintf(err, errlen, "net floor: out of memory");
			goto out;
		}
		tab[0] = id->addr;
		tab[1] = id->port;
		for (j = 1; j < M; j++) {
			if ((fds[j] = nfl_accept(lfd, &got, end, err,
			    errlen)) == -1)
				goto out;
			if (got.round != -1 || got.node == 0 ||
			    got.node >= (uint32_t)M || tab[2 * got.node] != 0) {
				snprintf(err, errlen, "net floor: a stray "
				    "hello (node %u, round %d)", got.node,
				    got.round);
				goto out;
			}
			tab[2 * got.node] = got.addr;
			tab[2 * got.node + 1] = got.port;
		}
		for (j = 1; j < M; j++)
			if (nfl_send_all(fds[j], tab, (size_t)M * 2 *
			    sizeof *tab, end, err, errlen, "the node table") !=
			    0)
				goto out;
	} else {
		if ((fd = nfl_connect(id->addr, id->port, end, err,
		    errlen)) == -1 || nfl_send_all(fd, &h, sizeof h, end, err,
		    errlen, "hello to rank 0") != 0 ||
		    nfl_recv_all(fd, tab, (size_t)M * 2 * sizeof *tab, end,
		    err, errlen, "the node table from rank 0") != 0)
			goto out;
		close(fd);
		fd = -1;
	}
	for (k = 0; k < R; k++) {
		j = (me + (1 << k)) % M;
		h.round = k;
		if ((f->out[k] = nfl_connect(tab[2 * j], (uint16_t)tab[2 * j +
		    1], end, err, errlen)) == -1 ||
		    nfl_send_all(f->out[k], &h, sizeof h, end, err, errlen,
		    "hello to a partner") != 0)
			goto out;
	}
	for (k = 0; k < R; k++) {
		if ((fd = nfl_accept(lfd, &got, end, err, errlen)) == -1)
			goto out;
		j = got.round;
		if (j < 0 || j >= R || f->in[j] != -1 || got.node !=
		    (uint32_t)((me - (1 << j) % M + M) % M)) {
			snprintf(err, errlen, "net floor: a stray hello (node "
			    "%u, round %d)", got.node, got.round);
			goto out;
		}
		f->in[j] = fd;
		fd = -1;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	for (j = 1; fds != NULL && j < M; j++)
		if (fds[j] > 0)
			close(fds[j]);
	free(fds);
	free(tab);
	close(lfd);
	return rc;
}

/* The node's part: the leader runs net() once all its ranks arrived and
 * releases them; a leader's failure reaches them through the header. */
static int
nfl_sync(struct nfl *f, int (*net)(struct nfl *, void *, char *, size_t),
    void *arg, char *err, size_t errlen)
{
	struct nfl_hdr *h = f->hdr;
	uint32_t seq = ++f->seq;
	double end = bench_now_us() + NFL_DEADLINE_US;
	int rc = 0;

	if (atomic_fetch_add_explicit(&h->count, 1, memory_order_acq_rel) ==
	    (uint32_t)nfl_shape.lsize - 1) {
		atomic_store_explicit(&h->count, 0, memory_order_relaxed);
		atomic_store_explicit(&h->local, seq, memory_order_release);
		if (nfl_shape.lrank != 0)
			nfl_futex(&h->local, FUTEX_WAKE, 1);
	}
	if (nfl_shape.lrank != 0) {
		if (nfl_wait(&h->gen, seq, end, err, errlen, "waiting for "
		    "the node's leader") != 0)
			return -1;
		if (atomic_load_explicit(&h->failed, memory_order_acquire)) {
			snprintf(err, errlen, "%s", h->err);
			return -1;
		}
		return 0;
	}
	if (nfl_wait(&h->local, seq, end, err, errlen, "waiting for the "
	    "node's ranks") != 0)
		rc = -1;
	else if (nfl_shape.nnodes > 1 && net != NULL)
		rc = net(f, arg, err, errlen);
	if (rc != 0) {
		snprintf(h->err, sizeof h->err, "%s", err);
		atomic_store_explicit(&h->failed, 1, memory_order_release);
	}
	atomic_store_explicit(&h->gen, seq, memory_order_release);
	if (nfl_shape.lsize > 1)
		nfl_futex(&h->gen, FUTEX_WAKE, INT_MAX);
	return rc;
}

/* Dissemination: in round k, tell node i + 2^k and hear node i - 2^k. */
static int
nfl_net_barrier(struct nfl *f, void *arg, char *err, size_t errlen)
{
	double end = bench_now_us() + NFL_DEADLINE_US;
	uint32_t seq = f->seq, got;
	struct iovec s, r;
	char what[64];
	int k;

	for (k = 0; k < nfl_shape.rounds; k++) {
		s = (struct iovec){ &seq, sizeof seq };
		r = (struct iovec){ &got, sizeof got };
		snprintf(what, sizeof what, "barrier #%u, round %d", seq, k);
		if (nfl_xfer(f->out[k], &s, 1, f->in[k], &r, 1, end, err,
		    errlen, what) != 0)
			return -1;
		if (got != seq) {
			snprintf(err, errlen, "net floor: %s: got #%u", what,
			    got);
			return -1;
		}
	}
	return 0;
}

static int
nfl_barrier(void *h, char *err, size_t errlen)
{
	return nfl_sync(h, nfl_net_barrier, NULL, err, errlen);
}

/* Nodes' blocks from..from+cnt-1 (mod M) of table t as at most two
 * pieces; the count of pieces. */
static int
nfl_blocks(unsigned char *t, size_t block, int from, int cnt,
    struct iovec v[2])
{
	int M = nfl_shape.nnodes, first = cnt;

	from %= M;
	if (from + cnt > M)
		first = M - from;
	v[0] = (struct iovec){ t + (size_t)from * block, (size_t)first *
	    block };
	if (first == cnt)
		return 1;
	v[1] = (struct iovec){ t, (size_t)(cnt - first) * block };
	return 2;
}

/* Bruck: in round k (d = 2^k) send the blocks held, i .. i + cnt - 1, to
 * node i - d and receive i + d .. i + d + cnt - 1 from node i + d. */
static int
nfl_net_allgather(struct nfl *f, void *arg, char *err, size_t errlen)
{
	int M = nfl_shape.nnodes, me = nfl_shape.node, k, d, cnt, sn, rn;
	double end = bench_now_us() + NFL_DEADLINE_US;
	size_t block = *(size_t *)arg * (size_t)nfl_shape.lsize;
	unsigned char *t = f->table[f->parity & 1];
	struct iovec s[2], r[2];
	char what[64];

	for (k = 0; k < nfl_shape.rounds; k++) {
		d = 1 << k;
		cnt = d < M - d ? d : M - d;
		sn = nfl_blocks(t, block, me, cnt, s);
		rn = nfl_blocks(t, block, me + d, cnt, r);
		snprintf(what, sizeof what, "allgather #%u, round %d", f->seq,
		    k);
		if (nfl_xfer(f->in[k], s, sn, f->out[k], r, rn, end, err,
		    errlen, what) != 0)
			return -1;
	}
	return 0;
}

static int
nfl_allgather(void *h, void *buf, size_t bytes, char *err, size_t errlen)
{
	struct nfl *f = h;
	unsigned char *t;
	size_t r = (size_t)bench_rank;

	if (bytes > NFL_MAX_SLICE) {
		snprintf(err, errlen, "net floor: allgather: %zu bytes over "
		    "the limit", bytes);
		return -1;
	}
	t = f->table[++f->parity & 1];
	memcpy(t + r * bytes, (unsigned char *)buf + r * bytes, bytes);
	if (nfl_sync(f, nfl_net_allgather, &bytes, err, errlen) != 0)
		return -1;
	bench_copy_others(buf, t, bytes);
	return 0;
}

static int
nfl_fini(void *h)
{
	struct nfl *f = h;
	int k;

	for (k = 0; k < NFL_MAX_ROUNDS; k++) {
		if (f->out[k] != -1)
			close(f->out[k]);
		if (f->in[k] != -1)
			close(f->in[k]);
	}
	if (f->base != NULL && f->base != MAP_FAILED)
		munmap(f->base, f->size);
	free(f);
	return 0;
}

static int
nfl_boot(void **hp, char *err, size_t errlen)
{
	struct nfl_id id;
	struct nfl *f;
	char name[64];
	uint16_t port = 0;
	int lfd = -1, fd, k, rc = 0;

	if (nfl_learn_shape(err, errlen) != 0)
		return -1;
	if ((f = calloc(1, sizeof *f)) == NULL) {
		snprintf(err, errlen, "net floor: out of memory");
		return -1;
	}
	for (k = 0; k < NFL_MAX_ROUNDS; k++)
		f->out[k] = f->in[k] = -1;
	memset(&id, 0, sizeof id);
	if (nfl_shape.lrank == 0 && nfl_shape.nnodes > 1 &&
	    (lfd = nfl_listen(nfl_shape.addr, &port, err, errlen)) == -1)
		rc = -1;
	if (bench_rank == 0) {
		id.addr = nfl_shape.addr;
		id.port = port;
		id.nonce = clock_mono_ns() ^ ((uint64_t)getpid() << 32) ^
		    (uint64_t)random();
	}
	/* The id; a failed listen on rank 0 shows as port 0. */
	MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
	bench_id_us = bench_now_us();
	if (rc == 0 && nfl_shape.nnodes > 1 && id.port == 0) {
		snprintf(err, errlen, "net floor: rank 0 could not listen");
		rc = -1;
	}
	if (rc == 0 && lfd != -1)
		rc = nfl_links(f, lfd, &id, port, err, errlen);
	else if (lfd != -1)
		close(lfd);
	f->size = sizeof *f->hdr + 2 * (size_t)bench_nranks * NFL_MAX_SLICE;
	snprintf(name, sizeof name, "/fbbench-nfl.%llx.%d",
	    (unsigned long long)id.nonce, nfl_shape.node);
	if (rc == 0) {
		fd = shm_open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1 || ftruncate(fd, (off_t)f->size) == -1 ||
		    (f->base = mmap(NULL, f->size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0)) == MAP_FAILED) {
			snprintf(err, errlen, "net floor: map %s: %s", name,
			    strerror(errno));
			rc = -1;
		}
		if (fd != -1)
			close(fd);
	}
	if (rc == 0) {
		f->hdr = (struct nfl_hdr *)f->base;
		f->table[0] = f->base + sizeof *f->hdr;
		f->table[1] = f->table[0] + (size_t)bench_nranks *
		    NFL_MAX_SLICE;
		rc = nfl_barrier(f, err, errlen);
	}
	/* Every rank of the node has it mapped once the barrier is done;
	 * after a failure any rank may have made it. */
	if (nfl_shape.lrank == 0 || rc != 0)
		shm_unlink(name);
	if (rc != 0) {
		nfl_fini(f);
		return -1;
	}
	*hp = f;
	return 0;
}

const struct bench_sys sys_netfloor = {
	.name = "net-floor",
	.boot_what = "listen; MPI_Bcast of rank 0's address (the id); each "
	    "node's leader connects to rank 0, which sends every leader's "
	    "address back; the leaders connect to their log2(M) partners; "
	    "each node's ranks map their node's shared memory; first barrier",
	.note = "the floor across nodes: no daemon; shared memory and futexes "
	    "within a node, one leader rank per node on TCP (dissemination "
	    "barrier, Bruck allgather), every wait asleep; fresh links every "
	    "job",
	.boot = nfl_boot,
	.fini = nfl_fini,
	.barrier = nfl_barrier,
	.allgather = nfl_allgather,
};
