/*
 * job.c - jobs: membership bound to a uid, the collective in progress,
 * point-to-point delivery, and failure that reaches every rank at once.
 *
 * Work per message is O(1), except a collective's release and a job's
 * failure, which write one small frame to each rank: O(1) per rank.
 *
 * A job's state (enum job_state) changes in job_set_state() only.  Ranks
 * are reached through their transports; what a rank did wrong comes back
 * to conn.c as an FB_E_* code and a text, and conn.c drops it.
 */
#include <sys/random.h>
#include <sys/uio.h>

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
static const struct job_hooks *job_fed;	/* NULL: no multi-node support */
static uint32_t job_next_id;

/* j->rtready[rank]: what the rank's HELLO said it takes (one node only). */
#define JOB_RT_TABLE_READY	0x1	/* READY through the table */
#define JOB_RT_COUNTS		0x2	/* counts itself in sleepers */
#define JOB_RT_NODE_ARRIVE	0x4	/* across nodes, arrives in the table */

/* How long a job that failed during init outlives its last rank. */
#define JOB_LINGER_MS	FB_DEFAULT_TIMEOUT_MS

/*
 * What is left of a job that failed during init once its last rank went:
 * its id, owner and error, no descriptors and no per-rank arrays.  Kept
 * JOB_LINGER_MS, at most dconf.max_lingering_per_uid per uid (its oldest
 * goes first) and dconf.max_jobs in all (the oldest goes first); they
 * never count against the job slots.
 */
struct job_rec {
	uint8_t key[WIRE_KEY_LEN];
	uint32_t id;
	uid_t uid;
	int code;
	uint64_t expires_ns;
	struct job_rec *hnext;	/* hash chain */
	struct job_rec *next, *prev;	/* all, oldest first */
	struct job_rec *unext, *uprev;	/* the uid's, oldest first */
	char error[];
};

static struct job_rec **job_rec_hash;
static size_t job_rec_nbuckets;
static struct job_rec *job_rec_first, *job_rec_last;
static struct event *job_rec_ev;

static struct job_rec *job_rec_find(const uint8_t *);
static int job_rec_add(const struct job *);
static int job_linger(struct job *);

const char *
job_state_name(enum job_state st)
{
	switch (st) {
	case JOB_FORMING:
		return "forming";
	case JOB_RUNNING:
		return "running";
	case JOB_COLLECTIVE:
		return "collective";
	case JOB_FAILED:
		return "failed";
	}
	return "unknown";
}

/*
 * The one place a job's state changes:
 *	FORMING --all joined--> RUNNING <--release-- COLLECTIVE
 *	RUNNING --first ARRIVE--> COLLECTIVE
 *	any --job_fail()--> FAILED (sticky)
 */
static void
job_set_state(struct job *j, enum job_state to)
{
	enum job_state from = j->state;

	if (from == to || from == JOB_FAILED ||
	    (to == JOB_RUNNING && from != JOB_FORMING &&
	    from != JOB_COLLECTIVE) ||
	    (to == JOB_COLLECTIVE && from != JOB_RUNNING) || to == JOB_FORMING)
		fatalx("job %u: state %s to %s", j->id, job_state_name(from),
		    job_state_name(to));
	j->state = to;
	if (from == JOB_FORMING && to == JOB_RUNNING)
		j->ready_ns = clock_mono_ns();
	if (to != JOB_COLLECTIVE)
		j->coll_kind = 0;
}

void
job_set_hooks(const struct job_hooks *h)
{
	job_fed = h;
}

int
job_refuse(char *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, WIRE_TEXT_MAX, fmt, ap);
	va_end(ap);
	return code;
}

void
job_send_frame(struct job *j, uint32_t rank, const void *buf, size_t len)
{
	transport_send1(j->links[rank], buf, len);
}

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
		job_seed = clock_mono_ns();
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
	uint32_t gen = table_gen(&j->table);

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

/* The table's two descriptors count against the uid's share. */
static int
job_table_create(struct job *j, char *err)
{
	int rc;

	if ((rc = uidmap_fds(j->uid, 2, err)) < 0)
		return rc;
	if (table_create(&j->table, j->nranks, j->id) == -1) {
		rc = errno;
		uidmap_fds_del(j->uid, 2);
		return job_refuse(err, rc == EMFILE || rc == ENFILE ?
		    FB_E_LIMIT : FB_E_NOMEM, "fastbootd could not make the "
		    "job's table: %s", strerror(rc));
	}
	return 0;
}

static void
job_table_destroy(struct job *j)
{
	if (j->table.memfd == -1 && j->table.hdr == NULL)
		return;
	table_destroy(&j->table);
	uidmap_fds_del(j->uid, 2);
}

static int
job_new(struct job **jp, const uint8_t *key, uint32_t nranks, uint32_t flags,
    uid_t uid, char *err)
{
	struct job *j;
	struct uidmap *u;
	size_t b;
	int rc = FB_E_NOMEM;

	*jp = NULL;
	if ((dstats.jobs >= job_hash_size && job_hash_grow() == -1) ||
	    (j = calloc(1, sizeof *j)) == NULL)
		return job_refuse(err, FB_E_NOMEM, "fastbootd is out of "
		    "memory");
	j->table.memfd = j->table.evfd = -1;
	memcpy(j->key, key, WIRE_KEY_LEN);
	j->id = ++job_next_id;
	j->uid = uid;
	j->nranks = nranks;
	j->nlocal = nranks;
	j->flags = flags;
	j->state = JOB_FORMING;
	j->created_ns = clock_mono_ns();
	j->links = calloc(nranks, sizeof *j->links);
	j->rpid = calloc(nranks, sizeof *j->rpid);
	j->rwait = calloc(nranks, sizeof *j->rwait);
	j->rstate = calloc(nranks, sizeof *j->rstate);
	j->rarrived = calloc(nranks, sizeof *j->rarrived);
	j->rtready = calloc(nranks, sizeof *j->rtready);
	if (j->links == NULL || j->rpid == NULL || j->rwait == NULL ||
	    j->rstate == NULL || j->rarrived == NULL || j->rtready == NULL)
		job_refuse(err, FB_E_NOMEM, "fastbootd is out of memory");
	else
		rc = job_table_create(j, err);
	if (rc < 0) {
		free(j->links);
		free(j->rpid);
		free(j->rwait);
		free(j->rstate);
		free(j->rarrived);
		free(j->rtready);
		free(j);
		return rc;
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
	if ((u = uidmap_find(uid)) != NULL)
		u->jobs_created++;
	log_debug("job %u: created for uid %u, %u ranks", j->id,
	    (unsigned)uid, j->nranks);
	*jp = j;
	return 0;
}

/*
 * May uid make one more job?  Its own cap, and its share of the daemon's
 * (uidmap.c): jobs of users over their guaranteed part never take the last
 * eighth of the slots.  Counts the job for uid on success.
 */
static int
job_admit(uid_t uid, char *err)
{
	struct uidmap *u = uidmap_get(uid);
	uint32_t have = u != NULL ? u->count[UIDMAP_JOB] : 0;

	if (dstats.jobs >= dconf.max_jobs)
		return job_refuse(err, FB_E_LIMIT, "fastbootd already serves "
		    "%u jobs, its cap", dstats.jobs);
	if (!uidmap_share(have, 1, dstats.jobs, dconf.max_jobs))
		return job_refuse(err, FB_E_LIMIT, "fastbootd serves %u jobs "
		    "of its %u; the last %u are kept for users with fewer than "
		    "%u and uid %u has %u", dstats.jobs, dconf.max_jobs,
		    dconf.max_jobs / 8, dconf.max_jobs / 64, (unsigned)uid,
		    have);
	if (uidmap_add(uid, UIDMAP_JOB) == -1)
		return job_refuse(err, FB_E_LIMIT, "uid %u already has %u jobs "
		    "in fastbootd, the cap", (unsigned)uid,
		    dconf.max_jobs_per_uid);
	return 0;
}

/* Take an old generation out of the hash: job_find() no longer sees it. */
static void
job_unhash(struct job *j)
{
	struct job **pp;

	pp = &job_hash[job_hashkey(j->key) & (job_hash_size - 1)];
	while (*pp != j)
		pp = &(*pp)->hnext;
	*pp = j->hnext;
	j->hnext = NULL;
	j->unhashed = 1;
	log_debug("job %u: ended; its id starts a new job", j->id);
}

/*
 * A JOIN for rank of a job whose every rank joined and left cleanly: the
 * same id used again once the job under it ended starts a new job.
 */
static int
job_new_generation(const struct job *j, uint32_t rank)
{
	return j->fed == NULL && j->state != JOB_FAILED && j->ready_ns != 0 &&
	    j->nleft == j->nranks;
}

/*
 * The job under the JOIN's id is ending (its rank, or another, left it
 * cleanly): the id is used again for a new job, which starts once the old
 * one ended (job_wake).  Across nodes, the old job ends here when its
 * ranks here are gone; the new one's frames carry the id's next
 * generation (fed.c), so the two do not mix on any node.
 */
static int
job_old_generation(const struct job *j, const struct wire_join *m)
{
	return (j->fed != NULL) == ((m->flags & WIRE_JOIN_MULTINODE) != 0) &&
	    j->state != JOB_FAILED && j->ready_ns != 0 &&
	    m->rank < j->nranks && (j->rstate[m->rank] == TABLE_RANK_LEFT ||
	    (j->nleft > 0 && j->rstate[m->rank] == TABLE_RANK_JOINED));
}

/* Tell the JOINs waiting on j to try again (each is called once). */
static void
job_wake(struct job *j)
{
	struct job_waiter *w, *next;

	w = j->waiters;
	j->waiters = NULL;
	for (; w != NULL; w = next) {
		next = w->next;
		w->job = NULL;
		w->next = w->prev = NULL;
		w->fn(w->arg);
	}
}

void
job_waiter_cancel(struct job_waiter *w)
{
	if (w->job == NULL)
		return;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		w->job->waiters = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->job = NULL;
	w->next = w->prev = NULL;
}

/*
 * A job a peer daemon announced before any of its ranks joined here (this
 * daemon is the root of its id).  NULL with errno set if refused.
 */
struct job *
job_create(const uint8_t *key, uid_t uid, uint32_t nranks, uint32_t flags)
{
	char err[WIRE_TEXT_MAX];
	struct job *j;

	if (nranks > dconf.max_ranks || job_admit(uid, err) < 0) {
		errno = EUSERS;
		return NULL;
	}
	if (job_new(&j, key, nranks, flags, uid, err) < 0) {
		log_info("job for uid %u refused: %s", (unsigned)uid, err);
		uidmap_del(uid, UIDMAP_JOB);
		errno = EMFILE;
	}
	return j;
}

void
job_free(struct job *j)
{
	struct job **pp;
	struct uidmap *u;

	if (!j->unhashed) {
		pp = &job_hash[job_hashkey(j->key) & (job_hash_size - 1)];
		while (*pp != j)
			pp = &(*pp)->hnext;
		*pp = j->hnext;
	}
	if (j->lprev != NULL)
		j->lprev->lnext = j->lnext;
	else
		job_list = j->lnext;
	if (j->lnext != NULL)
		j->lnext->lprev = j->lprev;
	log_debug("job %u: freed", j->id);
	job_wake(j);
	dstats.collectives += job_collectives(j);
	if ((u = uidmap_find(j->uid)) != NULL)
		u->collectives += job_collectives(j);
	if (j->fed != NULL)
		job_fed->free(j);
	job_table_destroy(j);
	/* The next job of this size finds its table made. */
	table_spare_fill(j->nranks);
	free(j->links);
	free(j->rpid);
	free(j->rwait);
	free(j->rstate);
	free(j->rarrived);
	free(j->rtready);
	uidmap_del(j->uid, UIDMAP_JOB);
	explicit_bzero(j->key, sizeof j->key);
	free(j);
	dstats.jobs--;
	notify_status();
}

/*
 * This node's ranks, without a walk over the whole job: *n of them, the
 * i-th JOB_LOCAL(loc, i); loc is NULL for a job on one node (all ranks).
 */
static const uint32_t *
job_locals(const struct job *j, uint32_t *n)
{
	if (j->fed == NULL) {
		*n = j->nranks;
		return NULL;
	}
	return job_fed->locals(j, n);
}
#define JOB_LOCAL(loc, i)	((loc) != NULL ? (loc)[i] : (i))

/* Is rank one of this node's?  (Across nodes the table holds only them.) */
static int
job_local(const struct job *j, uint32_t rank)
{
	return j->fed == NULL || !job_fed->remote(j, rank);
}

/* What the job was doing, for error texts. */
static void
job_phase(const struct job *j, char *buf, size_t size)
{
	uint32_t gen, r, n;

	if (j->state == JOB_FORMING)
		snprintf(buf, size, "during init (%u of %u ranks joined)",
		    j->joined, j->nranks);
	else if (j->state == JOB_COLLECTIVE)
		snprintf(buf, size, "in %s #%u (%u of %u arrived)",
		    wire_coll_name(j->coll_kind), j->coll_seq + 1,
		    j->coll_arrived, j->nranks);
	else if (j->table.hdr != NULL && j->ready_ns != 0 &&
	    (!(j->flags & WIRE_JOIN_DAEMON_COLL) || j->node_arrive) &&
	    table_pending(&j->table, &gen)) {
		/* The ranks' word, only ever told to the ranks' own job. */
		for (r = 0, n = 0; r < j->nranks; r++)
			if (job_local(j, r) && !table_missed(&j->table, r, gen))
				n++;
		snprintf(buf, size, "in collective #%u (%u of %u%s arrived)",
		    gen + 1, n, j->nlocal, j->fed != NULL ? " of this node's "
		    "ranks" : "");
	} else
		snprintf(buf, size, "after collective #%u",
		    job_collectives(j));
}

static void
job_send_status(struct job *j, uint32_t to, uint16_t type, uint32_t seq,
    int code, uint32_t rank, const char *text)
{
	uint8_t frame[WIRE_STATUS_FRAME_MAX];
	size_t n;

	n = wire_encode_status(frame, type, seq, code, rank, text);
	job_send_frame(j, to, frame, n);
}

/* Is rank's connection there to be told things? */
int
job_reachable(const struct job *j, uint32_t rank)
{
	return j->links[rank] != NULL && j->rstate[rank] != TABLE_RANK_LEFT;
}

/*
 * The job can no longer complete: remember why and tell every rank now.
 * Later calls of its ranks get the same error (the failure is sticky).
 */
void
job_fail(struct job *j, int code, uint32_t rank, const char *fmt, ...)
{
	struct uidmap *u;
	unsigned char *p;
	va_list ap;
	uint32_t r;

	if (j->state == JOB_FAILED)
		return;
	va_start(ap, fmt);
	vsnprintf(j->error, sizeof j->error, fmt, ap);
	va_end(ap);
	/* It may quote a rank's or a node's text (ABORT, REFUSE, FAIL): no
	 * control character reaches the log or fastbootctl's lines. */
	for (p = (unsigned char *)j->error; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	j->failed = code;
	j->failed_rank = rank;
	job_set_state(j, JOB_FAILED);
	dstats.jobs_failed++;
	if ((u = uidmap_find(j->uid)) != NULL)
		u->jobs_failed++;
	if (j->table.hdr != NULL)
		table_set_failed(&j->table, code);
	log_info("job %u (uid %u): %s", j->id, (unsigned)j->uid, j->error);
	if (j->fed != NULL)
		job_fed->failed(j);
	for (r = 0; r < j->nranks; r++)
		if (job_reachable(j, r))
			job_send_status(j, r, WIRE_FAIL, 0, code, rank,
			    j->error);
	job_wake(j);	/* they hear the error */
}

/*
 * The table's wake word for a job whose ranks all joined: TABLE_WAKE_COUNTED
 * only if every one of them counts itself in the table's sleepers (a rank
 * of an older library sleeps without counting, and must always be woken).
 */
static uint32_t
job_wake_word(const struct job *j)
{
	uint32_t r;

	for (r = 0; r < j->nranks; r++)
		if (!(j->rtready[r] & JOB_RT_COUNTS))
			return 0;
	return TABLE_WAKE_COUNTED;
}

/*
 * A connection presents JOIN.  *jp is set once the rank is in the job
 * (then a later refusal is a lost rank); a negative return refuses it.
 */
int
job_join(struct transport *t, const struct conn_cred *who,
    const struct wire_join *m, uint32_t hello_flags, struct job **jp,
    char *err, struct job_waiter *w)
{
	struct wire_join_ack ack;
	struct wire_ready ready;
	uint8_t frame[WIRE_HDR_LEN + WIRE_JOIN_ACK_LEN];
	struct job *j;
	struct job_rec *rec;
	struct uidmap *u;
	uint32_t r, wake;
	int rc;
	size_t n;
	int fds[2];

	*jp = NULL;
	if (m->nranks > dconf.max_ranks)
		return job_refuse(err, FB_E_LIMIT, "nranks %u is over "
		    "fastbootd's cap of %u ranks per job", m->nranks,
		    dconf.max_ranks);
	j = job_find(m->key);
	if (j != NULL && job_new_generation(j, m->rank)) {
		/* The job under this id ended (every rank left cleanly) and
		 * a new one starts: the old one stays, out of the hash, until
		 * its connections are gone. */
		job_unhash(j);
		j = NULL;
	}
	if (j == NULL && (rec = job_rec_find(m->key)) != NULL) {
		if (who->uid != rec->uid && !(who->uid == 0 &&
		    dconf.allow_root))
			return job_refuse(err, FB_E_PERM, "the job belongs to "
			    "another user (uid %u); pid %d runs as uid %u",
			    (unsigned)rec->uid, (int)who->pid,
			    (unsigned)who->uid);
		return job_refuse(err, rec->code, "%s", rec->error);
	}
	if (j == NULL) {
		if ((rc = job_admit(who->uid, err)) < 0)
			return rc;
		if ((rc = job_new(&j, m->key, m->nranks, m->flags, who->uid,
		    err)) < 0) {
			uidmap_del(who->uid, UIDMAP_JOB);
			return rc;
		}
	} else if (who->uid != j->uid && !(who->uid == 0 &&
	    dconf.allow_root))
		return job_refuse(err, FB_E_PERM, "the job belongs to another "
		    "user (uid %u); pid %d runs as uid %u", (unsigned)j->uid,
		    (int)who->pid, (unsigned)who->uid);
	if (w != NULL && job_old_generation(j, m)) {
		w->job = j;
		w->prev = NULL;
		w->next = j->waiters;
		if (j->waiters != NULL)
			j->waiters->prev = w;
		j->waiters = w;
		log_debug("job %u: pid %d's JOIN as rank %u waits for the job "
		    "to end", j->id, (int)who->pid, m->rank);
		return JOB_JOIN_WAIT;
	}
	if (j->state == JOB_FAILED)
		return job_refuse(err, j->failed, "%s", j->error);
	/* A JOIN that cannot be part of the job is refused alone: a stray
	 * process must not fail a job that formed without it. */
	if (m->rank < j->nranks && j->rstate[m->rank] != TABLE_RANK_ABSENT)
		return job_refuse(err, FB_E_INVAL, "rank %u of job %u is "
		    "already taken%s", m->rank, j->id,
		    j->links[m->rank] != NULL ? " by a live process" :
		    " (it left)");
	if (j->state != JOB_FORMING)
		return job_refuse(err, FB_E_INVAL, "job %u is already running "
		    "(all its %u ranks joined); pid %d's JOIN as rank %u of %u "
		    "is refused", j->id, j->nranks, (int)who->pid, m->rank,
		    m->nranks);
	if (m->nranks != j->nranks) {
		job_fail(j, FB_E_MISMATCH, m->rank, "rank %u (pid %d) says "
		    "nranks=%u but the job has nranks=%u", m->rank,
		    (int)who->pid, m->nranks, j->nranks);
		return job_refuse(err, FB_E_MISMATCH, "%s", j->error);
	}
	if (m->flags != j->flags) {
		job_fail(j, FB_E_MISMATCH, m->rank, "rank %u (pid %d) runs "
		    "collectives through %s, the job's first rank through %s "
		    "(FASTBOOT_COLLECTIVES differs)", m->rank, (int)who->pid,
		    m->flags & WIRE_JOIN_DAEMON_COLL ? "the daemon" :
		    "shared memory", j->flags & WIRE_JOIN_DAEMON_COLL ?
		    "the daemon" : "shared memory");
		return job_refuse(err, FB_E_MISMATCH, "%s", j->error);
	}
	if (j->fed != NULL && job_fed->remote(j, m->rank))
		return job_refuse(err, FB_E_INVAL, "rank %u of job %u belongs "
		    "to another node", m->rank, j->id);
	if ((m->flags & WIRE_JOIN_MULTINODE) && job_fed == NULL)
		return job_refuse(err, FB_E_INVAL, "this fastbootd does not "
		    "serve jobs across nodes");
	if (m->flags & WIRE_JOIN_MULTINODE) {
		rc = job_fed->join(j, m, err);
		/* A job this JOIN made goes with it; one that failed while
		 * its first rank joined (a frame kept for it, replayed)
		 * lingers with its error first, as its peers may speak of it
		 * still. */
		if (rc < 0) {
			if ((j->fed == NULL || j->failed) && j->attached == 0 &&
			    j->joined == 0 && !job_linger(j))
				job_free(j);
			return rc;
		}
	}
	*jp = j;
	j->links[m->rank] = t;
	j->rpid[m->rank] = who->pid;
	j->rstate[m->rank] = TABLE_RANK_JOINED;
	j->joined++;
	j->attached++;
	dstats.ranks++;
	if ((u = uidmap_find(j->uid)) != NULL)
		u->ranks++;
	table_set_rank(&j->table, m->rank, TABLE_RANK_JOINED, who, j->joined);

	memset(&ack, 0, sizeof ack);
	ack.version = WIRE_VERSION;
	ack.flags = WIRE_ACK_EVENTFD;
	if (hello_flags & WIRE_HELLO_LEAVE_CLOSE)
		ack.flags |= WIRE_ACK_LEAVE_CLOSE;	/* conn.c, on LEAVE */
	/* On one node, READY through the table to the ranks that take it:
	 * one eventfd write wakes them all, and the last rank, which sees
	 * the word as soon as it maps the table, needs no wake-up. */
	if (j->fed == NULL &&
	    !(j->flags & (WIRE_JOIN_DAEMON_COLL | WIRE_JOIN_MULTINODE))) {
		if (hello_flags & WIRE_HELLO_TABLE_READY) {
			j->rtready[m->rank] |= JOB_RT_TABLE_READY;
			ack.flags |= WIRE_ACK_TABLE_READY;
		}
		if (hello_flags & WIRE_HELLO_COUNT_SLEEP)
			j->rtready[m->rank] |= JOB_RT_COUNTS;
	} else if (j->fed != NULL && (hello_flags & WIRE_HELLO_NODE_ARRIVE))
		j->rtready[m->rank] |= JOB_RT_NODE_ARRIVE;
	if (j->fed == NULL && j->joined == j->nranks) {
		job_set_state(j, JOB_RUNNING);
		table_set_ready(&j->table, job_wake_word(j));
	}
	ack.job_id = j->id;
	ack.table_size = j->table.size;
	ack.ctl_size = j->table.ctl_size;
	n = wire_encode_join_ack(frame, &ack);
	fds[0] = j->table.memfd;
	fds[1] = j->table.evfd;
	if (transport_send_fds(t, frame, n, fds, 2) == -1)
		return job_refuse(err, FB_E_SYS, "could not pass the rank "
		    "table: %s", strerror(errno));
	log_debug("job %u: rank %u/%u joined (pid %d)", j->id, m->rank,
	    j->nranks, (int)who->pid);
	notify_status();	/* a job still forming shows in STATUS= too */

	if (j->fed != NULL) {
		job_fed->joined(j, m->rank);
		return 0;
	}
	if (j->joined == j->nranks) {
		for (r = 0, wake = 0; r < j->nranks; r++) {
			if (j->links[r] == NULL)
				continue;
			if (j->rtready[r] & JOB_RT_TABLE_READY) {
				wake |= r != m->rank;
				continue;
			}
			/* One node: local ranks are global ranks. */
			ready.local_rank = r;
			ready.local_size = j->nranks;
			ready.node = 0;
			ready.nnodes = 1;
			n = wire_encode_ready(frame, &ready);
			job_send_frame(j, r, frame, n);
		}
		if (wake)
			table_wake(&j->table);
		notify_status();
	}
	return 0;
}

static void
job_linger_cb(int fd, short events, void *arg)
{
	job_free(arg);
}

static struct job_rec *
job_rec_find(const uint8_t *key)
{
	struct job_rec *r;

	if (job_rec_nbuckets == 0)
		return NULL;
	for (r = job_rec_hash[job_hashkey(key) & (job_rec_nbuckets - 1)];
	    r != NULL; r = r->hnext)
		if (memcmp(r->key, key, WIRE_KEY_LEN) == 0)
			return r;
	return NULL;
}

static void
job_rec_free(struct job_rec *r)
{
	struct job_rec **pp;
	struct uidmap *u = uidmap_find(r->uid);

	pp = &job_rec_hash[job_hashkey(r->key) & (job_rec_nbuckets - 1)];
	while (*pp != r)
		pp = &(*pp)->hnext;
	*pp = r->hnext;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		job_rec_first = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		job_rec_last = r->prev;
	if (r->uprev != NULL)
		r->uprev->unext = r->unext;
	else
		u->lfirst = r->unext;
	if (r->unext != NULL)
		r->unext->uprev = r->uprev;
	else
		u->llast = r->uprev;
	u->lingering--;
	dstats.lingering--;
	explicit_bzero(r->key, sizeof r->key);
	free(r);
}

static void
job_rec_arm(void)
{
	uint64_t now = clock_mono_ns(), ns;
	struct timeval tv;

	if (job_rec_first == NULL)
		return;
	ns = job_rec_first->expires_ns > now ?
	    job_rec_first->expires_ns - now : 0;
	tv.tv_sec = (time_t)(ns / 1000000000u);
	tv.tv_usec = (suseconds_t)(ns % 1000000000u / 1000u);
	evtimer_add(job_rec_ev, &tv);
}

/* Records expire in the order they were made (one linger time). */
static void
job_rec_expire_cb(int fd, short events, void *arg)
{
	uint64_t now = clock_mono_ns();

	while (job_rec_first != NULL && job_rec_first->expires_ns <= now)
		job_rec_free(job_rec_first);
	job_rec_arm();
}

/*
 * Keep what late ranks of a job that failed during init need to hear (its
 * error), in a record with no descriptors that no job slot counts; the
 * job itself is freed.  0 if there is no room or memory for it.
 */
static int
job_rec_add(const struct job *j)
{
	struct job_rec *r;
	struct uidmap *u;
	size_t len = strlen(j->error) + 1, b;

	if ((u = uidmap_get(j->uid)) == NULL)
		return 0;
	if (job_rec_nbuckets == 0) {
		job_rec_nbuckets = 1024;
		while (job_rec_nbuckets < dconf.max_jobs / 2)
			job_rec_nbuckets *= 2;
		job_rec_hash = calloc(job_rec_nbuckets, sizeof *job_rec_hash);
		job_rec_ev = evtimer_new(dbase, job_rec_expire_cb, NULL);
		if (job_rec_hash == NULL || job_rec_ev == NULL)
			fatalx("out of memory for failed-job records");
	}
	if (dconf.max_lingering_per_uid == 0)
		return 0;
	/* A uid's flood of failing jobs pushes out its own oldest records,
	 * then, at the daemon's bound, the oldest of all. */
	if (u->lingering >= dconf.max_lingering_per_uid)
		job_rec_free(u->lfirst);
	if (dstats.lingering >= dconf.max_jobs && job_rec_first != NULL)
		job_rec_free(job_rec_first);
	if ((r = calloc(1, sizeof *r + len)) == NULL)
		return 0;
	memcpy(r->key, j->key, WIRE_KEY_LEN);
	r->id = j->id;
	r->uid = j->uid;
	r->code = j->failed;
	memcpy(r->error, j->error, len);
	r->expires_ns = clock_mono_ns() + JOB_LINGER_MS * 1000000ull;
	b = job_hashkey(r->key) & (job_rec_nbuckets - 1);
	r->hnext = job_rec_hash[b];
	job_rec_hash[b] = r;
	r->prev = job_rec_last;
	if (job_rec_last != NULL)
		job_rec_last->next = r;
	else
		job_rec_first = r;
	job_rec_last = r;
	r->uprev = u->llast;
	if (u->llast != NULL)
		((struct job_rec *)u->llast)->unext = r;
	else
		u->lfirst = r;
	u->llast = r;
	u->lingering++;
	dstats.lingering++;
	if (!evtimer_pending(job_rec_ev, NULL))
		job_rec_arm();
	return 1;
}

/*
 * A job that failed before all its ranks joined leaves its error behind
 * for a while after its last rank went, so that ranks still on their way
 * are refused with the job's error instead of starting a new job under
 * the same id and timing out.  On one node that is a job_rec and the job
 * is freed (returns 0); a job across nodes lingers whole (returns 1), as
 * its peers may still speak of it.
 */
static int
job_linger(struct job *j)
{
	struct timeval tv = { JOB_LINGER_MS / 1000,
	    (JOB_LINGER_MS % 1000) * 1000 };

	if (j->state != JOB_FAILED || j->ready_ns != 0)
		return 0;
	if (j->fed == NULL) {
		if (!j->unhashed)
			job_rec_add(j);
		return 0;
	}
	if (event_base_once(dbase, -1, EV_TIMEOUT, job_linger_cb, j,
	    &tv) != 0)
		return 0;
	j->lingering = 1;	/* the timer frees it, nothing else */
	job_table_destroy(j);	/* only the error is needed now */
	return 1;
}

static void
job_unwait(struct job *j, uint32_t rank)
{
	if (j->rwait[rank] != 0) {
		j->rwait[rank] = 0;
		j->nwaiting--;
	}
}

/*
 * The connection of a rank is going away (EOF, error, shutdown).  quiet:
 * it left cleanly, or the daemon is stopping; otherwise the rank is lost.
 */
void
job_detach(struct job *j, uint32_t rank, int quiet)
{
	struct uidmap *u;
	char phase[128];

	/* Out of the job first: a rank dropped for a protocol error gets its
	 * ERROR, not a FAIL that names itself as the lost rank. */
	j->links[rank] = NULL;
	if (!quiet && j->rstate[rank] != TABLE_RANK_LEFT) {
		j->rstate[rank] = TABLE_RANK_LOST;
		if (j->table.hdr != NULL) {
			struct conn_cred who = { j->rpid[rank], j->uid, 0 };

			table_set_rank(&j->table, rank, TABLE_RANK_LOST, &who,
			    j->joined);
		}
		job_phase(j, phase, sizeof phase);
		job_fail(j, FB_E_PEER_LOST, rank, "rank %u (pid %d) was "
		    "lost %s: its connection closed without fb_comm_destroy",
		    rank, (int)j->rpid[rank], phase);
	}
	job_unwait(j, rank);
	j->attached--;
	dstats.ranks--;
	if ((u = uidmap_find(j->uid)) != NULL && u->ranks > 0)
		u->ranks--;
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
		if (j->links[r] != NULL && j->rwait[r] == rank + 1) {
			job_send_frame(j, r, frame, n);
			job_unwait(j, r);
		}
	}
}

/* fb_comm_destroy: a clean departure. */
void
job_leave(struct job *j, uint32_t rank)
{
	pid_t pid = j->rpid[rank];
	uint32_t gen;

	job_unwait(j, rank);
	j->nleft++;
	j->rstate[rank] = TABLE_RANK_LEFT;
	if (j->table.hdr != NULL) {
		struct conn_cred who = { pid, j->uid, 0 };

		table_set_rank(&j->table, rank, TABLE_RANK_LEFT, &who,
		    j->joined);
		table_set_left(&j->table, j->nleft);
	}
	log_debug("job %u: rank %u left", j->id, rank);
	switch (j->state) {
	case JOB_FAILED:
		return;
	case JOB_FORMING:
		job_fail(j, FB_E_PEER_LOST, rank, "rank %u (pid %d) left "
		    "the job during init (%u of %u ranks joined)", rank,
		    (int)pid, j->joined, j->nranks);
		return;
	case JOB_COLLECTIVE:
	case JOB_RUNNING:
		break;
	}
	if (j->state == JOB_COLLECTIVE && j->rarrived[rank] != j->coll_seq + 1)
		job_fail(j, FB_E_PEER_LOST, rank, "rank %u (pid %d) left the "
		    "job (fb_comm_destroy) before %s #%u", rank, (int)pid,
		    wire_coll_name(j->coll_kind), j->coll_seq + 1);
	else if (table_pending(&j->table, &gen) &&
	    table_missed(&j->table, rank, gen))
		job_fail(j, FB_E_PEER_LOST, rank, "rank %u (pid %d) left the "
		    "job (fb_comm_destroy) before collective #%u", rank,
		    (int)pid, gen + 1);
	else {
		job_tell_left(j, rank);
		if (j->fed != NULL)
			job_fed->left(j, rank);
	}
	/* The last rank left: the id may start a new job now. */
	if (j->nleft == j->nranks && j->waiters != NULL &&
	    job_new_generation(j, 0)) {
		if (!j->unhashed)
			job_unhash(j);
		job_wake(j);
	}
}

/*
 * Blocked in recv from peer: tell it at once if that peer leaves.
 * WIRE_NO_RANK: the receive is over.
 */
int
job_wait(struct job *j, uint32_t rank, uint32_t peer, char *err)
{
	uint8_t frame[WIRE_HDR_LEN];

	if (peer == WIRE_NO_RANK) {
		job_unwait(j, rank);
		return 0;
	}
	if (peer >= j->nranks)
		return job_refuse(err, FB_E_PROTO, "WAIT for rank %u of %u",
		    peer, j->nranks);
	if (j->rstate[peer] == TABLE_RANK_LEFT) {
		job_send_frame(j, rank, frame, wire_encode_empty(frame,
		    WIRE_LEFT, peer));
		return 0;
	}
	if (j->rwait[rank] == 0)
		j->nwaiting++;
	j->rwait[rank] = peer + 1;
	return 0;
}

void
job_release(struct job *j, uint32_t seq)
{
	uint8_t frame[WIRE_HDR_LEN];
	const uint32_t *loc;
	uint32_t i, nloc;
	size_t n;

	j->coll_seq = seq;
	j->coll_arrived = 0;
	job_set_state(j, JOB_RUNNING);
	if (j->node_arrive) {
		table_release(&j->table, seq);
		return;
	}
	n = wire_encode_empty(frame, WIRE_RELEASE, seq);
	loc = job_locals(j, &nloc);
	for (i = 0; i < nloc; i++)
		if (job_reachable(j, JOB_LOCAL(loc, i)))
			job_send_frame(j, JOB_LOCAL(loc, i), frame, n);
}

/*
 * Every rank on this node arrived at daemon collective seq.  On one node
 * that completes it.  A job spanning nodes adds its cross-node step here:
 * hand the local part to the peer link and release when it completes.
 */
static void
job_local_complete(struct job *j, uint32_t seq)
{
	if (j->fed != NULL)
		job_fed->arrived(j, seq);
	else
		job_release(j, seq);
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

/*
 * The last of this node's ranks to arrive at collective seq speaks for all
 * (TABLE_NODE_ARRIVE): their entries in the table must say seq, with its
 * kind and size.  Opens the collective and hands it on (job_arrive's
 * checks done).
 */
static int
job_arrive_node(struct job *j, uint32_t rank, uint32_t seq,
    const struct wire_arrive *a)
{
	const uint32_t *loc;
	uint32_t i, n, r, kind;
	uint64_t at, bytes;

	loc = job_locals(j, &n);
	for (i = 0; i < n; i++) {
		r = JOB_LOCAL(loc, i);
		at = table_arrival(&j->table, r, &kind, &bytes);
		if (at != seq) {
			/* The sender's claim is what is false. */
			job_fail(j, FB_E_PROTO, rank, "rank %u arrived at %s "
			    "#%u for every rank of this node, but rank %u's "
			    "entry in the table says #%llu", rank,
			    wire_coll_name(a->kind), seq, r,
			    (unsigned long long)at);
			return 0;
		}
		if (kind != a->kind || bytes != a->bytes) {
			job_fail(j, FB_E_MISMATCH, r, "collective #%u: rank "
			    "%u called %s with %llu bytes, rank %u called %s "
			    "with %llu bytes", seq, rank,
			    wire_coll_name(a->kind),
			    (unsigned long long)a->bytes, r,
			    wire_coll_name(kind), (unsigned long long)bytes);
			return 0;
		}
	}
	job_set_state(j, JOB_COLLECTIVE);
	j->coll_kind = a->kind;
	j->coll_bytes = a->bytes;
	j->coll_first = rank;
	j->coll_since_ns = clock_mono_ns();
	for (i = 0; i < n; i++)
		j->rarrived[JOB_LOCAL(loc, i)] = seq;
	j->coll_arrived = n;
	dstats.coll_node_arrivals++;
	job_local_complete(j, seq);
	return 0;
}

/* Across nodes an alltoall's send buffer goes whole through the rank's
 * slot: 0, or the refusal of one that does not fit. */
static int
job_fits_slots(const struct job *j, const struct wire_arrive *a, char *err)
{
	if (a->kind == WIRE_COLL_ALLTOALL &&
	    a->bytes * j->nranks > table_slot_bytes(j->nranks))
		return job_refuse(err, FB_E_PROTO, "alltoall of %llu bytes per "
		    "peer does not fit the job's slots",
		    (unsigned long long)a->bytes);
	return 0;
}

int
job_arrive(struct job *j, uint32_t rank, uint32_t seq,
    const struct wire_arrive *a, char *err)
{
	uint32_t left;
	int rc;

	job_unwait(j, rank);
	if (j->state == JOB_FAILED)
		return 0;	/* the rank has its FAIL already */
	if (j->state != JOB_FORMING &&
	    j->node_arrive != ((a->flags & WIRE_ARRIVE_NODE) != 0))
		return job_refuse(err, FB_E_PROTO, "%s: %s", wire_coll_name(
		    a->kind), j->node_arrive ? "an ARRIVE of one rank where "
		    "the node's ranks arrive through the table" : "an ARRIVE "
		    "for the node where each rank sends its own");
	if (j->state == JOB_FORMING || !(j->flags & WIRE_JOIN_DAEMON_COLL))
		return job_refuse(err, FB_E_PROTO, "%s %s",
		    wire_coll_name(a->kind), j->state == JOB_FORMING ?
		    "before all ranks joined" : "ARRIVE in a job that runs "
		    "collectives in shared memory");
	if (seq != j->coll_seq + 1 || j->rarrived[rank] == seq)
		return job_refuse(err, FB_E_PROTO, "%s #%u out of order: the "
		    "job is at #%u", wire_coll_name(a->kind), seq,
		    j->coll_seq + 1);
	if (a->kind == WIRE_COLL_ALLTOALL &&
	    a->bytes * j->nranks > FB_MAX_ALLTOALL_BYTES)
		return job_refuse(err, FB_E_PROTO, "alltoall of %llu bytes per "
		    "peer exceeds the limit", (unsigned long long)a->bytes);
	if (a->flags & WIRE_ARRIVE_NODE) {
		if (j->state != JOB_RUNNING)
			return job_refuse(err, FB_E_PROTO, "%s #%u for the "
			    "node while #%u is open", wire_coll_name(a->kind),
			    seq, seq);
		if ((rc = job_fits_slots(j, a, err)) != 0)
			return rc;
		if (j->nleft > 0 && (left = job_some_left(j)) != WIRE_NO_RANK) {
			job_fail(j, FB_E_PEER_LOST, left, "%s #%u needs rank "
			    "%u, which left the job (fb_comm_destroy)",
			    wire_coll_name(a->kind), seq, left);
			return 0;
		}
		return job_arrive_node(j, rank, seq, a);
	}
	if (j->state == JOB_RUNNING) {
		job_set_state(j, JOB_COLLECTIVE);
		j->coll_kind = a->kind;
		j->coll_bytes = a->bytes;
		j->coll_first = rank;
		j->coll_since_ns = clock_mono_ns();
		if (j->nleft > 0 && (left = job_some_left(j)) != WIRE_NO_RANK) {
			job_fail(j, FB_E_PEER_LOST, left, "%s #%u needs rank "
			    "%u, which left the job (fb_comm_destroy)",
			    wire_coll_name(a->kind), seq, left);
			return 0;
		}
	} else if (a->kind != j->coll_kind || a->bytes != j->coll_bytes) {
		job_fail(j, FB_E_MISMATCH, rank, "collective #%u: rank %u "
		    "called %s with %llu bytes, rank %u called %s with %llu "
		    "bytes", seq, j->coll_first, wire_coll_name(j->coll_kind),
		    (unsigned long long)j->coll_bytes, rank,
		    wire_coll_name(a->kind), (unsigned long long)a->bytes);
		return 0;
	}
	if (j->fed != NULL && (rc = job_fits_slots(j, a, err)) != 0)
		return rc;
	j->rarrived[rank] = seq;
	table_set_arrived(&j->table, rank, seq);
	if (++j->coll_arrived == j->nlocal) {
		if (j->fed != NULL)
			dstats.coll_rank_arrivals++;
		job_local_complete(j, seq);
	}
	return 0;
}

int
job_send(struct job *j, uint32_t rank, uint32_t seq, const struct wire_msg *m,
    char *err)
{
	uint8_t hdr[WIRE_HDR_LEN + WIRE_MSG_HDR_LEN];
	struct iovec iov[2];
	struct transport *dst;
	struct uidmap *u;
	char text[WIRE_TEXT_MAX], why[WIRE_TEXT_MAX];

	job_unwait(j, rank);
	if (j->state == JOB_FAILED) {
		job_send_status(j, rank, WIRE_SEND_ACK, seq, j->failed,
		    j->failed_rank, j->error);
		return 0;
	}
	if (m->peer >= j->nranks)
		return job_refuse(err, FB_E_PROTO, "SEND to rank %u of %u",
		    m->peer, j->nranks);
	if (j->fed != NULL && job_fed->remote(j, m->peer)) {
		job_fed->send(j, rank, seq, m);
		return 0;
	}
	if (!job_reachable(j, m->peer)) {
		snprintf(text, sizeof text, "send to rank %u: it left the job",
		    m->peer);
		job_send_status(j, rank, WIRE_SEND_ACK, seq, FB_E_PEER_LOST,
		    m->peer, text);
		return 0;
	}
	dst = j->links[m->peer];
	if (transport_pending(dst) + m->len > dconf.max_pending) {
		snprintf(text, sizeof text, "send to rank %u: it has %zu "
		    "bytes not yet received, the cap is %llu", m->peer,
		    transport_pending(dst),
		    (unsigned long long)dconf.max_pending);
		job_send_status(j, rank, WIRE_SEND_ACK, seq, FB_E_LIMIT,
		    m->peer, text);
		return 0;
	}
	/* Queued for the receiver, the bytes count against the uid's share
	 * of --max-memory: past it, the sender hears which rank does not
	 * read. */
	if (transport_pending(dst) + m->len > 64 * 1024 &&
	    uidmap_bytes(j->uid, m->len, why) < 0) {
		snprintf(text, sizeof text, "send to rank %u: it has %zu "
		    "bytes not yet received and %.*s", m->peer,
		    transport_pending(dst), WIRE_TEXT_MAX - 100, why);
		job_send_status(j, rank, WIRE_SEND_ACK, seq, FB_E_LIMIT,
		    m->peer, text);
		return 0;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = wire_encode_msg_hdr(hdr, WIRE_DELIVER, seq, rank,
	    m->tag, m->len);
	iov[1].iov_base = (void *)m->data;
	iov[1].iov_len = m->len;
	transport_send(dst, iov, 2);
	dstats.messages++;
	if ((u = uidmap_find(j->uid)) != NULL)
		u->messages++;
	job_send_status(j, rank, WIRE_SEND_ACK, seq, 0, m->peer, NULL);
	return 0;
}

/* A rank gave up (its deadline passed): fail the job for everyone. */
void
job_abort(struct job *j, uint32_t rank, const struct wire_status_msg *m)
{
	char nodes[WIRE_TEXT_MAX / 2];

	/* Across nodes, this daemon knows which node the job waits for. */
	nodes[0] = '\0';
	if (j->fed != NULL && m->code == FB_E_TIMEOUT)
		job_fed->pending(j, nodes, sizeof nodes);
	/* What a rank found (a disagreement, a departed rank) is the job's
	 * error as it is; a rank's own timeout is ABORTED for the others. */
	job_fail(j, m->code == FB_E_MISMATCH || m->code == FB_E_PEER_LOST ?
	    m->code : FB_E_ABORTED,
	    rank, "rank %u (pid %d) gave up: %.*s%s%s", rank,
	    (int)j->rpid[rank], (int)m->text_len, m->text, nodes[0] ? "; " :
	    "", nodes);
}

/* All ranks of a job across nodes are there (fed.c): READY to one. */
void
job_ready(struct job *j, uint32_t rank, uint32_t local_rank,
    uint32_t local_size, uint32_t node, uint32_t nnodes)
{
	uint8_t frame[WIRE_HDR_LEN + WIRE_READY_LEN];
	struct wire_ready ready;

	if (!job_reachable(j, rank))
		return;
	ready.local_rank = local_rank;
	ready.local_size = local_size;
	ready.node = node;
	ready.nnodes = nnodes;
	job_send_frame(j, rank, frame, wire_encode_ready(frame, &ready));
}

/*
 * The job across nodes is formed: it runs (fed.c).  Its ranks here arrive
 * at collectives through the table if every one of them can
 * (TABLE_NODE_ARRIVE: a rank of an older library sends its own ARRIVE);
 * they read the word once READY came, which is sent after this.
 */
void
job_running(struct job *j)
{
	const uint32_t *loc;
	uint32_t i, n;

	if (j->state != JOB_FORMING)
		return;
	job_set_state(j, JOB_RUNNING);
	loc = job_locals(j, &n);
	j->node_arrive = n > 0;
	for (i = 0; i < n; i++)
		if (!(j->rtready[JOB_LOCAL(loc, i)] & JOB_RT_NODE_ARRIVE))
			j->node_arrive = 0;
	if (j->node_arrive)
		table_set_wake(&j->table, TABLE_NODE_ARRIVE);
}

/* Is a shared-memory collective under way (the ranks' word)? */
static int
job_shm_pending(const struct job *j, uint32_t *gen)
{
	*gen = 0;
	return j->state == JOB_RUNNING && table_pending(&j->table, gen);
}

void
job_missing(const struct job *j, char *buf, size_t size)
{
	uint32_t *v, r, n = 0, gen = 0;
	int shm = job_shm_pending(j, &gen);

	if ((v = malloc(sizeof *v * (j->nranks ? j->nranks : 1))) == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	for (r = 0; r < j->nranks; r++) {
		/* Across nodes, fed.c names the nodes that are late. */
		if (j->state != JOB_FORMING && !job_local(j, r))
			continue;
		if (j->state == JOB_FORMING ?
		    j->rstate[r] != TABLE_RANK_JOINED :
		    shm ? table_missed(&j->table, r, gen) :
		    (j->state == JOB_COLLECTIVE &&
		    j->rarrived[r] != j->coll_seq + 1))
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

/* What fastbootctl shows: a shared-memory collective is seen in the
 * table, a daemon one in the job. */
void
job_view(const struct job *j, uint64_t now, struct job_view *v)
{
	uint32_t gen = 0;
	int shm = 0;

	/* After all joined and outside a daemon collective, the table says
	 * whether a shared-memory one is under way (also in a failed job,
	 * for the count). */
	if (j->ready_ns != 0 && j->state != JOB_COLLECTIVE &&
	    j->table.hdr != NULL)
		shm = table_pending(&j->table, &gen);
	memset(v, 0, sizeof *v);
	v->state = j->state != JOB_FAILED && shm ? "collective" :
	    job_state_name(j->state);
	v->collectives = shm || !j->coll_seq ? gen : j->coll_seq;
	switch (j->state) {
	case JOB_FAILED:
		return;
	case JOB_FORMING:
		v->pending = 1;
		v->pending_what = "init";
		v->pending_seq = 0;
		v->waiting_ns = now - j->created_ns;
		return;
	case JOB_COLLECTIVE:
		v->pending = 1;
		v->pending_what = wire_coll_name(j->coll_kind);
		v->pending_seq = j->coll_seq + 1;
		v->waiting_ns = now - j->coll_since_ns;
		return;
	case JOB_RUNNING:
		if (!shm)
			return;
		v->pending = 1;
		v->pending_what = "collective";
		v->pending_seq = gen + 1;
		v->waiting_ns = now - table_since(&j->table, now);
		return;
	}
}

void
job_status_text(char *buf, size_t size)
{
	/* Seen by every user (systemctl status): nothing the ranks write
	 * (the collectives counted in their tables) goes in. */
	snprintf(buf, size, "STATUS=%u jobs, %u ranks, %u connections",
	    dstats.jobs, dstats.ranks, dstats.conns);
}
