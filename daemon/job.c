/*
 * job.c - jobs: membership bound to a uid, the collective in progress,
 * point-to-point delivery, and failure that reaches every rank at once.
 *
 * Work per message is O(1), except a collective's release and a job's
 * failure, which write one small frame to each rank: O(1) per rank.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

static struct job **job_hash;
static size_t job_hash_size;	/* power of two */
static struct job *job_list;
static uint64_t job_seed;
static uint32_t job_next_id;

/* How long a job that failed during init outlives its last rank. */
#define JOB_LINGER_MS	FB_DEFAULT_TIMEOUT_MS

static uint64_t
job_hashkey(const uint8_t *key)
{
	uint64_t h = 1469598103934665603ull ^ job_seed;
	int i;

	for (i = 0; i < WIRE_KEY_LEN; i++) {
		h ^= key[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static int
job_hash_grow(void)
{
	size_t nsize = job_hash_size ? job_hash_size * 2 : 64, i;
	struct job **nh, *j, *next;

	if (job_seed == 0 && getrandom(&job_seed, sizeof job_seed, 0) !=
	    sizeof job_seed)
		job_seed = util_now_ns();
	if ((nh = calloc(nsize, sizeof *nh)) == NULL)
		return -1;
	for (i = 0; i < job_hash_size; i++) {
		for (j = job_hash[i]; j != NULL; j = next) {
			size_t b = job_hashkey(j->key) & (nsize - 1);

			next = j->hnext;
			j->hnext = nh[b];
			nh[b] = j;
		}
	}
	free(job_hash);
	job_hash = nh;
	job_hash_size = nsize;
	return 0;
}

struct job *
job_find(const uint8_t *key)
{
	struct job *j;

	if (job_hash_size == 0)
		return NULL;
	for (j = job_hash[job_hashkey(key) & (job_hash_size - 1)]; j != NULL;
	    j = j->hnext)
		if (memcmp(j->key, key, WIRE_KEY_LEN) == 0)
			return j;
	return NULL;
}

struct job *
job_first(void)
{
	return job_list;
}

/* Collectives a job completed: shared-memory ones (the table's gen) and
 * the daemon's share one numbering. */
uint32_t
job_collectives(const struct job *j)
{
	uint32_t gen = j->tab != NULL ?
	    __atomic_load_n(&j->tab->gen, __ATOMIC_ACQUIRE) : 0;

	return gen > j->coll_seq ? gen : j->coll_seq;
}

/* Collectives served: by finished jobs, and so far by live ones. */
uint64_t
job_collectives_served(void)
{
	const struct job *j;
	uint64_t n = dstats.collectives;

	for (j = job_list; j != NULL; j = j->lnext)
		n += job_collectives(j);
	return n;
}

static struct job *
job_new(const uint8_t *key, uint32_t nranks, uint32_t flags, uid_t uid)
{
	struct job *j;
	size_t b;

	if (dstats.jobs >= job_hash_size && job_hash_grow() == -1)
		return NULL;
	if ((j = calloc(1, sizeof *j)) == NULL)
		return NULL;
	memcpy(j->key, key, WIRE_KEY_LEN);
	j->id = ++job_next_id;
	j->uid = uid;
	j->nranks = nranks;
	j->nlocal = nranks;
	j->flags = flags;
	j->memfd = -1;
	j->evfd = -1;
	j->created_ns = util_now_ns();
	j->ranks = calloc(nranks, sizeof *j->ranks);
	j->rstate = calloc(nranks, sizeof *j->rstate);
	j->rarrived = calloc(nranks, sizeof *j->rarrived);
	if (j->ranks == NULL || j->rstate == NULL || j->rarrived == NULL ||
	    table_create(j) == -1) {
		free(j->ranks);
		free(j->rstate);
		free(j->rarrived);
		free(j);
		return NULL;
	}
	b = job_hashkey(j->key) & (job_hash_size - 1);
	j->hnext = job_hash[b];
	job_hash[b] = j;
	j->lnext = job_list;
	if (job_list != NULL)
		job_list->lprev = j;
	job_list = j;
	dstats.jobs++;
	dstats.jobs_created++;
	log_debug("job %u: created for uid %u, %u ranks", j->id,
	    (unsigned)uid, j->nranks);
	return j;
}

/*
 * A job a peer daemon announced before any of its ranks joined here (this
 * daemon is the root of its id).  NULL with errno set if refused.
 */
struct job *
job_create(const uint8_t *key, uid_t uid, uint32_t nranks, uint32_t flags)
{
	struct job *j;

	if (nranks > dconf.max_ranks || dstats.jobs >= dconf.max_jobs) {
		errno = EUSERS;
		return NULL;
	}
	if (uidmap_add(uid, UIDMAP_JOB) == -1) {
		errno = EDQUOT;
		return NULL;
	}
	if ((j = job_new(key, nranks, flags, uid)) == NULL)
		uidmap_del(uid, UIDMAP_JOB);
	return j;
}

void
job_free(struct job *j)
{
	struct job **pp;

	pp = &job_hash[job_hashkey(j->key) & (job_hash_size - 1)];
	while (*pp != j)
		pp = &(*pp)->hnext;
	*pp = j->hnext;
	if (j->lprev != NULL)
		j->lprev->lnext = j->lnext;
	else
		job_list = j->lnext;
	if (j->lnext != NULL)
		j->lnext->lprev = j->lprev;
	log_debug("job %u: freed", j->id);
	dstats.collectives += job_collectives(j);
	if (j->fed != NULL)
		fed_free(j);
	table_destroy(j);
	free(j->ranks);
	free(j->rstate);
	free(j->rarrived);
	uidmap_del(j->uid, UIDMAP_JOB);
	explicit_bzero(j->key, sizeof j->key);
	free(j);
	dstats.jobs--;
	notify_status();
}

/* What the job was doing, for error texts. */
static void
job_phase(const struct job *j, char *buf, size_t size)
{
	if (!j->ready)
		snprintf(buf, size, "during init (%u of %u ranks joined)",
		    j->joined, j->nranks);
	else if (j->coll_kind != 0)
		snprintf(buf, size, "in %s #%u (%u of %u arrived)",
		    wire_coll_name(j->coll_kind), j->coll_seq + 1,
		    j->coll_arrived, j->nranks);
	else
		snprintf(buf, size, "after collective #%u", j->coll_seq);
}

static void
job_send_status(struct conn *c, uint16_t type, uint32_t seq, int code,
    uint32_t rank, const char *text)
{
	uint8_t frame[WIRE_STATUS_FRAME_MAX];
	size_t n;

	n = wire_encode_status(frame, type, seq, code, rank, text);
	conn_send(c, frame, n);
}

/*
 * The job can no longer complete: remember why and tell every rank now.
 * Later calls of its ranks get the same error (the failure is sticky).
 */
void
job_fail(struct job *j, int code, uint32_t rank, const char *fmt, ...)
{
	va_list ap;
	uint32_t r;

	if (j->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(j->error, sizeof j->error, fmt, ap);
	va_end(ap);
	j->failed = code;
	j->failed_rank = rank;
	j->coll_kind = 0;
	dstats.jobs_failed++;
	table_set_failed(j, code);
	log_info("job %u (uid %u): %s", j->id, (unsigned)j->uid, j->error);
	if (j->fed != NULL)
		fed_failed(j);
	for (r = 0; r < j->nranks; r++) {
		struct conn *c = j->ranks[r];

		if (c != NULL && !c->left)
			job_send_status(c, WIRE_FAIL, 0, code, rank, j->error);
	}
}

/* A new connection presents JOIN.  Returns -1 if it was refused. */
int
job_join(struct conn *c, const struct wire_join *m)
{
	struct wire_join_ack ack;
	struct wire_ready ready;
	uint8_t frame[WIRE_HDR_LEN + WIRE_JOIN_ACK_LEN];
	struct job *j;
	uint32_t r;
	size_t n;
	int fds[2];

	if (m->nranks > dconf.max_ranks) {
		conn_error(c, FB_E_LIMIT, "nranks %u is over fastbootd's cap "
		    "of %u ranks per job", m->nranks, dconf.max_ranks);
		return -1;
	}
	j = job_find(m->key);
	if (j == NULL) {
		if (dstats.jobs >= dconf.max_jobs) {
			conn_error(c, FB_E_LIMIT, "fastbootd already serves "
			    "%u jobs, its cap", dstats.jobs);
			return -1;
		}
		if (uidmap_add(c->uid, UIDMAP_JOB) == -1) {
			conn_error(c, FB_E_LIMIT, "uid %u already has %u jobs "
			    "in fastbootd, the cap", (unsigned)c->uid,
			    dconf.max_jobs_per_uid);
			return -1;
		}
		if ((j = job_new(m->key, m->nranks, m->flags,
		    c->uid)) == NULL) {
			uidmap_del(c->uid, UIDMAP_JOB);
			conn_error(c, FB_E_NOMEM, "fastbootd could not make "
			    "the job's table: %s", strerror(errno));
			return -1;
		}
	} else if (c->uid != j->uid && !(c->uid == 0 && dconf.allow_root)) {
		conn_error(c, FB_E_PERM, "the job belongs to another user "
		    "(uid %u); pid %d runs as uid %u", (unsigned)j->uid,
		    (int)c->pid, (unsigned)c->uid);
		return -1;
	}
	if (j->failed) {
		conn_error(c, j->failed, "%s", j->error);
		return -1;
	}
	if (m->nranks != j->nranks) {
		job_fail(j, FB_E_MISMATCH, m->rank, "rank %u (pid %d) says "
		    "nranks=%u but the job has nranks=%u", m->rank,
		    (int)c->pid, m->nranks, j->nranks);
		conn_error(c, FB_E_MISMATCH, "%s", j->error);
		return -1;
	}
	if (m->flags != j->flags) {
		job_fail(j, FB_E_MISMATCH, m->rank, "rank %u (pid %d) runs "
		    "collectives through %s, the job's first rank through %s "
		    "(FASTBOOT_COLLECTIVES differs)", m->rank, (int)c->pid,
		    m->flags & WIRE_JOIN_DAEMON_COLL ? "the daemon" :
		    "shared memory", j->flags & WIRE_JOIN_DAEMON_COLL ?
		    "the daemon" : "shared memory");
		conn_error(c, FB_E_MISMATCH, "%s", j->error);
		return -1;
	}
	if (j->fed != NULL && fed_is_remote(j, m->rank)) {
		conn_error(c, FB_E_INVAL, "rank %u of job %u belongs to "
		    "another node", m->rank, j->id);
		return -1;
	}
	if (j->rstate[m->rank] != TABLE_RANK_ABSENT) {
		conn_error(c, FB_E_INVAL, "rank %u of job %u is already "
		    "taken%s", m->rank, j->id, j->ranks[m->rank] != NULL ?
		    " by a live process" : " (it left)");
		return -1;
	}
	if ((m->flags & WIRE_JOIN_MULTINODE) && fed_join(c, j, m) == -1) {
		if (j->fed == NULL && j->attached == 0 && j->joined == 0)
			job_free(j);
		return -1;
	}
	c->job = j;
	c->rank = m->rank;
	c->state = CONN_MEMBER;
	j->ranks[m->rank] = c;
	j->rstate[m->rank] = TABLE_RANK_JOINED;
	j->joined++;
	j->attached++;
	dstats.ranks++;
	table_set_rank(j, m->rank, TABLE_RANK_JOINED, c);

	memset(&ack, 0, sizeof ack);
	ack.version = WIRE_VERSION;
	ack.flags = WIRE_ACK_EVENTFD;
	ack.job_id = j->id;
	ack.table_size = j->table_size;
	ack.ctl_size = j->ctl_size;
	n = wire_encode_join_ack(frame, &ack);
	fds[0] = j->memfd;
	fds[1] = j->evfd;
	if (conn_send_fds(c, frame, n, fds, 2) == -1) {
		conn_error(c, FB_E_SYS, "could not pass the rank table: %s",
		    strerror(errno));
		return -1;
	}
	log_debug("job %u: rank %u/%u joined (pid %d)", j->id, m->rank,
	    j->nranks, (int)c->pid);
	notify_status();	/* a job still forming shows in STATUS= too */

	if (j->fed != NULL) {
		fed_rank_joined(j, m->rank);
		return 0;
	}
	if (j->joined == j->nranks) {
		j->ready = 1;
		j->ready_ns = util_now_ns();
		for (r = 0; r < j->nranks; r++) {
			if (j->ranks[r] == NULL)
				continue;
			/* One node: local ranks are global ranks. */
			ready.local_rank = r;
			ready.local_size = j->nranks;
			ready.node = 0;
			ready.nnodes = 1;
			n = wire_encode_ready(frame, &ready);
			conn_send(j->ranks[r], frame, n);
		}
		notify_status();
	}
	return 0;
}

/* READY to one rank of a job across nodes (fed.c). */
void
job_send_ready(struct job *j, uint32_t rank, uint32_t local_rank,
    uint32_t local_size, uint32_t node, uint32_t nnodes)
{
	uint8_t frame[WIRE_HDR_LEN + WIRE_READY_LEN];
	struct wire_ready ready;

	if (j->ranks[rank] == NULL || j->ranks[rank]->left)
		return;
	ready.local_rank = local_rank;
	ready.local_size = local_size;
	ready.node = node;
	ready.nnodes = nnodes;
	conn_send(j->ranks[rank], frame, wire_encode_ready(frame, &ready));
}

static void
job_linger_cb(int fd, short events, void *arg)
{
	job_free(arg);
}

/*
 * A job that failed before all its ranks joined keeps its record (and its
 * error) for a while after its last rank went, so that ranks still on
 * their way are refused with the job's error instead of starting a new
 * job under the same id and timing out.  Returns 1 if it lingers.
 */
static int
job_linger(struct job *j)
{
	struct timeval tv = { JOB_LINGER_MS / 1000,
	    (JOB_LINGER_MS % 1000) * 1000 };

	if (!j->failed || j->ready)
		return 0;
	if (event_base_once(dbase, -1, EV_TIMEOUT, job_linger_cb, j,
	    &tv) != 0)
		return 0;
	table_destroy(j);	/* only the error is needed now */
	return 1;
}

/* The connection of a rank is going away (EOF, error, shutdown). */
void
job_detach(struct conn *c)
{
	struct job *j = c->job;
	char phase[128];

	if (j == NULL)
		return;
	/* Out of the job first: a rank dropped for a protocol error gets its
	 * ERROR, not a FAIL that names itself as the lost rank. */
	j->ranks[c->rank] = NULL;
	if (!c->left) {
		j->rstate[c->rank] = TABLE_RANK_LOST;
		table_set_rank(j, c->rank, TABLE_RANK_LOST, c);
		job_phase(j, phase, sizeof phase);
		job_fail(j, FB_E_PEER_LOST, c->rank, "rank %u (pid %d) was "
		    "lost %s: its connection closed without fb_comm_destroy",
		    c->rank, (int)c->pid, phase);
	}
	if (c->wait_peer != 0)
		j->nwaiting--;
	j->attached--;
	dstats.ranks--;
	c->job = NULL;
	if (j->attached == 0 && !job_linger(j))
		job_free(j);
}

void
job_tell_left(struct job *j, uint32_t rank)
{
	uint8_t frame[WIRE_HDR_LEN];
	uint32_t r;
	size_t n;

	if (j->nwaiting == 0)
		return;
	n = wire_encode_empty(frame, WIRE_LEFT, rank);
	for (r = 0; r < j->nranks; r++) {
		struct conn *w = j->ranks[r];

		if (w != NULL && w->wait_peer == rank + 1) {
			conn_send(w, frame, n);
			w->wait_peer = 0;
			j->nwaiting--;
		}
	}
}

/* fb_comm_destroy: a clean departure. */
void
job_leave(struct conn *c)
{
	struct job *j = c->job;
	uint32_t gen;

	if (c->wait_peer != 0) {
		c->wait_peer = 0;
		j->nwaiting--;
	}
	c->left = 1;
	j->nleft++;
	j->rstate[c->rank] = TABLE_RANK_LEFT;
	table_set_rank(j, c->rank, TABLE_RANK_LEFT, c);
	table_set_left(j);
	log_debug("job %u: rank %u left", j->id, c->rank);
	if (j->failed)
		return;
	if (!j->ready)
		job_fail(j, FB_E_PEER_LOST, c->rank, "rank %u (pid %d) left "
		    "the job during init (%u of %u ranks joined)", c->rank,
		    (int)c->pid, j->joined, j->nranks);
	else if (j->coll_kind != 0 && j->rarrived[c->rank] != j->coll_seq + 1)
		job_fail(j, FB_E_PEER_LOST, c->rank, "rank %u (pid %d) left "
		    "the job (fb_comm_destroy) before %s #%u", c->rank,
		    (int)c->pid, wire_coll_name(j->coll_kind), j->coll_seq + 1);
	else if (j->ready && table_pending(j, &gen) &&
	    table_missed(j, c->rank, gen))
		job_fail(j, FB_E_PEER_LOST, c->rank, "rank %u (pid %d) left "
		    "the job (fb_comm_destroy) before collective #%u", c->rank,
		    (int)c->pid, gen + 1);
	else {
		job_tell_left(j, c->rank);
		if (j->fed != NULL)
			fed_left(j, c->rank);
	}
}

/*
 * Blocked in recv from peer: tell it at once if that peer leaves.
 * WIRE_NO_RANK: the receive is over.
 */
void
job_wait(struct conn *c, uint32_t peer)
{
	struct job *j = c->job;
	uint8_t frame[WIRE_HDR_LEN];

	if (peer == WIRE_NO_RANK) {
		if (c->wait_peer != 0)
			j->nwaiting--;
		c->wait_peer = 0;
		return;
	}
	if (peer >= j->nranks) {
		conn_error(c, FB_E_PROTO, "WAIT for rank %u of %u", peer,
		    j->nranks);
		return;
	}
	if (j->rstate[peer] == TABLE_RANK_LEFT) {
		conn_send(c, frame, wire_encode_empty(frame, WIRE_LEFT, peer));
		return;
	}
	if (c->wait_peer == 0)
		j->nwaiting++;
	c->wait_peer = peer + 1;
}

void
job_release(struct job *j, uint32_t seq)
{
	uint8_t frame[WIRE_HDR_LEN];
	uint32_t r;
	size_t n;

	j->coll_seq = seq;
	j->coll_kind = 0;
	j->coll_arrived = 0;
	n = wire_encode_empty(frame, WIRE_RELEASE, seq);
	for (r = 0; r < j->nranks; r++)
		if (j->ranks[r] != NULL && !j->ranks[r]->left)
			conn_send(j->ranks[r], frame, n);
}

static uint32_t
job_some_left(const struct job *j)
{
	uint32_t r;

	for (r = 0; r < j->nranks; r++)
		if (j->rstate[r] == TABLE_RANK_LEFT)
			return r;
	return WIRE_NO_RANK;
}

void
job_arrive(struct conn *c, uint32_t seq, const struct wire_arrive *a)
{
	struct job *j = c->job;
	uint32_t left;

	if (c->wait_peer != 0) {
		c->wait_peer = 0;
		j->nwaiting--;
	}
	if (j->failed)
		return;		/* the rank has its FAIL already */
	if (!j->ready || !(j->flags & WIRE_JOIN_DAEMON_COLL)) {
		conn_error(c, FB_E_PROTO, "%s %s", wire_coll_name(a->kind),
		    !j->ready ? "before all ranks joined" :
		    "ARRIVE in a job that runs collectives in shared memory");
		return;
	}
	if (seq != j->coll_seq + 1 || j->rarrived[c->rank] == seq) {
		conn_error(c, FB_E_PROTO, "%s #%u out of order: the job is at "
		    "#%u", wire_coll_name(a->kind), seq, j->coll_seq + 1);
		return;
	}
	if (a->kind == WIRE_COLL_ALLTOALL &&
	    a->bytes * j->nranks > FB_MAX_ALLTOALL_BYTES) {
		conn_error(c, FB_E_PROTO, "alltoall of %llu bytes per peer "
		    "exceeds the limit", (unsigned long long)a->bytes);
		return;
	}
	if (j->coll_kind == 0) {
		j->coll_kind = a->kind;
		j->coll_bytes = a->bytes;
		j->coll_first = c->rank;
		j->coll_since_ns = util_now_ns();
		if (j->nleft > 0 && (left = job_some_left(j)) != WIRE_NO_RANK) {
			job_fail(j, FB_E_PEER_LOST, left, "%s #%u needs rank "
			    "%u, which left the job (fb_comm_destroy)",
			    wire_coll_name(a->kind), seq, left);
			return;
		}
	} else if (a->kind != j->coll_kind || a->bytes != j->coll_bytes) {
		job_fail(j, FB_E_MISMATCH, c->rank, "collective #%u: rank %u "
		    "called %s with %llu bytes, rank %u called %s with %llu "
		    "bytes", seq, j->coll_first, wire_coll_name(j->coll_kind),
		    (unsigned long long)j->coll_bytes, c->rank,
		    wire_coll_name(a->kind), (unsigned long long)a->bytes);
		return;
	}
	if (j->fed != NULL && a->kind == WIRE_COLL_ALLTOALL &&
	    a->bytes * j->nranks > j->tab->slot_bytes) {
		conn_error(c, FB_E_PROTO, "alltoall of %llu bytes per peer "
		    "does not fit the job's slots", (unsigned long long)a->bytes);
		return;
	}
	j->rarrived[c->rank] = seq;
	table_set_arrived(j, c->rank, seq);
	if (++j->coll_arrived == j->nlocal) {
		if (j->fed != NULL)
			fed_arrived(j, seq);
		else
			job_release(j, seq);
	}
}

void
job_send(struct conn *c, uint32_t seq, const struct wire_msg *m)
{
	struct job *j = c->job;
	uint8_t hdr[WIRE_HDR_LEN + WIRE_MSG_HDR_LEN];
	struct conn *dst;
	char text[WIRE_TEXT_MAX];
	size_t n;

	if (c->wait_peer != 0) {
		c->wait_peer = 0;
		j->nwaiting--;
	}
	if (j->failed) {
		job_send_status(c, WIRE_SEND_ACK, seq, j->failed,
		    j->failed_rank, j->error);
		return;
	}
	if (m->peer >= j->nranks) {
		conn_error(c, FB_E_PROTO, "SEND to rank %u of %u", m->peer,
		    j->nranks);
		return;
	}
	if (j->fed != NULL && fed_is_remote(j, m->peer)) {
		fed_send(c, seq, m);
		return;
	}
	dst = j->ranks[m->peer];
	if (dst == NULL || dst->left) {
		snprintf(text, sizeof text, "send to rank %u: it left the job",
		    m->peer);
		job_send_status(c, WIRE_SEND_ACK, seq, FB_E_PEER_LOST,
		    m->peer, text);
		return;
	}
	if (conn_pending(dst) + m->len > dconf.max_pending) {
		snprintf(text, sizeof text, "send to rank %u: it has %zu "
		    "bytes not yet received, the cap is %llu", m->peer,
		    conn_pending(dst), (unsigned long long)dconf.max_pending);
		job_send_status(c, WIRE_SEND_ACK, seq, FB_E_LIMIT, m->peer,
		    text);
		return;
	}
	n = wire_encode_msg_hdr(hdr, WIRE_DELIVER, seq, c->rank, m->tag,
	    m->len);
	conn_send2(dst, hdr, n, m->data, m->len);
	dstats.messages++;
	job_send_status(c, WIRE_SEND_ACK, seq, 0, m->peer, NULL);
}

/* A rank gave up (its deadline passed): fail the job for everyone. */
void
job_abort(struct conn *c, const struct wire_status_msg *m)
{
	struct job *j = c->job;
	char nodes[WIRE_TEXT_MAX / 2];

	/* Across nodes, this daemon knows which node the job waits for. */
	nodes[0] = '\0';
	if (j->fed != NULL && m->code == FB_E_TIMEOUT)
		fed_pending(j, nodes, sizeof nodes);
	/* What a rank found (a disagreement, a departed rank) is the job's
	 * error as it is; a rank's own timeout is ABORTED for the others. */
	job_fail(j, m->code == FB_E_MISMATCH || m->code == FB_E_PEER_LOST ?
	    m->code : FB_E_ABORTED,
	    c->rank, "rank %u (pid %d) gave up: %.*s%s%s", c->rank,
	    (int)c->pid, (int)m->text_len, m->text, nodes[0] ? "; " : "",
	    nodes);
}

void
job_missing(const struct job *j, char *buf, size_t size)
{
	uint32_t *v, r, n = 0, gen = 0;
	int shm = j->ready && j->coll_kind == 0 && table_pending(j, &gen);

	if ((v = malloc(sizeof *v * (j->nranks ? j->nranks : 1))) == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	for (r = 0; r < j->nranks; r++) {
		if (!j->ready ? j->rstate[r] != TABLE_RANK_JOINED :
		    shm ? table_missed(j, r, gen) :
		    (j->coll_kind != 0 && j->rarrived[r] != j->coll_seq + 1))
			v[n++] = r;
	}
	util_ranges(buf, size, v, n);
	free(v);
}

void
job_registered(const struct job *j, char *buf, size_t size)
{
	uint32_t *v, r, n = 0;

	if ((v = malloc(sizeof *v * (j->nranks ? j->nranks : 1))) == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	for (r = 0; r < j->nranks; r++)
		if (j->rstate[r] == TABLE_RANK_JOINED)
			v[n++] = r;
	util_ranges(buf, size, v, n);
	free(v);
}
