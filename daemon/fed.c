/*
 * fed.c - a job across nodes: the daemons of its nodes federate, one
 * participant per node, over the warm links of peer.c.
 *
 * Discovery.  Either the unique id names the daemon that made it (the
 * root): each node's daemon reports the ranks that join it to the root
 * (JOIN, then RANKS), and once all nranks are accounted for the root sends
 * every node the map (MAP: nodes in order of their lowest rank, and the
 * node of each rank).  Or the ranks bring the map from PMIx in their JOIN:
 * then there is no discovery round, and an init barrier across the nodes
 * (collective #0) tells each node that all others are ready.
 *
 * Collectives.  When every local rank has arrived, the node runs the
 * cross-node part with the other nodes: a dissemination barrier and a
 * Bruck allgather in ceil(log2 nodes) steps, an alltoall as one direct
 * message to every other node.  Payloads come from and go to the job's
 * shared-memory slots (the daemon maps the whole table of such a job), so
 * the ranks read the result exactly as on one node.  A node can be at most
 * one collective ahead of another, so received steps are kept per parity.
 *
 * Send/recv: a message for a rank of another node goes to that node's
 * daemon over the one link between the nodes (so per-(peer, tag) order
 * holds), which delivers it and answers with the acknowledgement the
 * sender's rank gets.
 *
 * Failure: a node's link going down (EOF, reset, keepalive or user
 * timeout) fails every job that spans that node, naming the node and its
 * ranks; a job failing anywhere fails on every node (FAIL).
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/util.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

#define FED_HASH	1024
#define FED_REG_MAX	4096		/* ids made here and not yet used */
#define FED_REG_TTL_NS	(3600ull * 1000000000u)
#define FED_EARLY_MAX	256		/* frames of jobs not known yet */
#define FED_EARLY_PEER	64
#define FED_EARLY_BYTES	(1u << 20)	/* larger ones are not kept */
#define FED_EARLY_TTL_NS (60ull * 1000000000u)
/*
 * Verified frames a job keeps until its map: a node is at most one
 * collective ahead, so what others send before our map is one collective's
 * steps (at most a step from every other node, twice over), which land in
 * the job's table, and messages, which --max-pending bounds per receiver.
 * Past either bound a node sent what no collective needs: the job fails.
 */
#define FED_EARLY_JOB	(2 * WPEER_MAX_NODES)
/* Generations of ids used again across nodes: 4-way sets, kept a day. */
#define FED_GEN_SETS	4096
#define FED_GEN_WAYS	4
#define FED_GEN_TTL_NS	(86400ull * 1000000000u)
/*
 * Sends to a node acknowledged here at once (MSG_HELD), per job and node:
 * at most this many, of at most this many bytes in all, each at most
 * FED_HELD_MSG bytes.  The receiving node takes them even past its
 * receiver's --max-pending, and says so in the MSG_ACK: sends to that
 * receiver then wait for its node again, which refuses them with
 * FB_E_LIMIT while it is full, until one is taken.  So a receiver holds at
 * most one window per job and sending node beyond its cap.
 */
#define FED_HELD_MAX	64
#define FED_HELD_BYTES	(256u << 10)
#define FED_HELD_MSG	(64u << 10)
/* ... and what all other nodes' windows add up to for one receiver: the
 * window per node shrinks with the node count, so that a receiver's extra
 * stays well inside its connection's slack (conn.c's CONN_OUT_SLACK). */
#define FED_HELD_TOTAL	(4u << 20)
/* What a held message counts beyond its payload: its frame in the
 * receiver's queue. */
#define FED_HELD_COST	64

/* A send acknowledged here whose MSG_ACK from the node has not come. */
struct fed_held {
	uint32_t src;
	uint32_t seq;
	uint32_t len;
};

struct fed_node {
	struct wpeer_ep ep;
	char host[WPEER_HOST_LEN];
	uint32_t first;		/* into by_node */
	uint32_t count;
	uint32_t nleft;
	uint32_t lowest;	/* discovery: its lowest rank */
	int lost;
	int heard;		/* a frame of the job came from it: it has the
				 * job and a link to us, so its ranks' LEFTs
				 * reach us (held sends go only to such) */
	struct fed_held *held;	/* a ring of FED_HELD_MAX, made on first use */
	uint32_t held_head;
	uint32_t held_n;
	uint32_t held_bytes;
};

/* A host name of a PMIx map being resolved (evdns). */
struct fed_lookup {
	struct fed *f;		/* NULL: the job went, lookup cancelled */
	uint32_t node;
	int done;
	struct evdns_getaddrinfo_request *req;
};

/* A frame kept until its job exists (unknown tag) or has its map. */
struct fed_early {
	struct fed_early *next;
	struct peer *peer;
	uint64_t at_ns;
	int verified;
	int moved;		/* its link was handed over to peer */
	uint16_t type;
	uint32_t node;
	uint8_t nonce[WPEER_NONCE_LEN];	/* the link's, for the MAC: it may */
	uint8_t rnonce[WPEER_NONCE_LEN];	/* be handed over meanwhile */
	size_t len;
	uint8_t buf[];
};

struct fed {
	struct job *job;
	uint8_t tag[WPEER_TAG_LEN];	/* of this generation of the id */
	uint8_t base[WPEER_TAG_LEN];	/* of its first: the id's record */
	uint32_t gen;
	crypto_auth_hmacsha512256_state mac;
	struct fed *hnext;
	struct fed *lnext, *lprev;
	int root;		/* this daemon made the id */
	int pmix;		/* the map came with JOIN */
	int remote_fail;	/* the failure came from another node */
	struct wpeer_ep root_ep;
	char root_name[96];
	/* The map. */
	int mapped;
	uint32_t nnodes;
	uint32_t me;
	struct fed_node *nodes;
	uint32_t *node_of_rank;
	uint32_t *by_node;	/* ranks grouped by node, ascending */
	/* Discovery at the root: nodes as they report. */
	struct fed_node *dn;
	uint32_t ndn, dncap;
	uint32_t *dnode;	/* per rank: 1 + index into dn, 0: unknown */
	uint32_t dcount;
	int self_dn;		/* 1 + our own index in dn */
	/* A node's ranks not yet reported to the root. */
	uint32_t *unsent;
	uint32_t nunsent;
	int join_sent;
	struct event *ev_flush;
	struct event *ev_expire;	/* a root with no ranks of its own */
	int done;		/* such a root sent the map: its part is over */
	struct fed_early *early;	/* verified, waiting for the map */
	uint32_t nearly;
	size_t early_bytes;
	/* PMIx map: its host names being resolved. */
	struct fed_lookup **lookups;	/* by node, NULL for ours */
	uint32_t nresolving;
	int resolve_err;	/* the first failure's EVUTIL_EAI_* */
	uint32_t resolve_node;	/* and its node */
	int issuing;		/* inside fed_pmix_map: answers wait */
	struct event *ev_resolve;	/* the resolution's deadline */
	/* Cross-node collectives. */
	int running;
	uint32_t cseq;
	uint32_t ckind;
	uint64_t cbytes;
	uint32_t nsteps;
	uint32_t sent;		/* steps sent */
	uint32_t rmask[2];	/* steps received, by parity */
	int rset[2];
	uint32_t rkind[2];
	uint64_t rbytes[2];
	uint32_t rnode[2];
	uint8_t *a2a[2];	/* alltoall: received from node, by parity */
	uint8_t *held_off;	/* per rank: its node said it is over its
				 * cap (NULL: none yet) */
	uint32_t a2an[2];
	/* The whole table, for payloads. */
	uint8_t *map;
	size_t map_size;
	uint8_t *data;
	uint64_t slot_bytes;
};

struct fed_reg {
	uint8_t tag[WPEER_TAG_LEN];	/* of the id's current generation */
	uint8_t next[WPEER_TAG_LEN];	/* of the one after */
	uint8_t base[WPEER_TAG_LEN];	/* of its first */
	uint8_t key[WIRE_KEY_LEN];
	uint32_t gen;
	uid_t uid;
	uint64_t at_ns;
};

/*
 * An id used again across nodes: how many jobs under it ended here.  The
 * n-th job under an id (from 0) derives its tag and MAC key from the id and
 * n, so that frames of a job that ended (a LEFT still on its way, say)
 * never count for the next one, on any node, and cannot be replayed into
 * it.  Every node of the job counts the same as long as every job under the
 * id spans the same nodes (doc/multinode.md).
 */
struct fed_gen {
	uint8_t base[WPEER_TAG_LEN];
	uint32_t gen;		/* 0: a free way */
	uint64_t at_ns;
};

static struct fed *fed_hash[FED_HASH];
static struct fed *fed_list;
static struct fed_reg *fed_regs;
static struct fed_gen *fed_gens;	/* FED_GEN_SETS x FED_GEN_WAYS */
static struct event *fed_retry_ev;	/* kept JOINs of a next generation */
static uint32_t fed_nregs;
static struct fed_early *fed_early_list;
static uint32_t fed_nearly;
static struct evdns_base *fed_dns;	/* made on first need */

static void fed_apply_map(struct fed *);
static void fed_handle(struct fed *, struct peer *, uint16_t, uint32_t,
    const uint8_t *, uint32_t);
static void fed_coll_progress(struct fed *);
static void fed_replay_unknown(struct fed *);
static void fed_left_recv(struct fed *, uint32_t, uint32_t, uint32_t);
static void fed_lookups_free(struct fed *);
static void fed_early_drop(struct fed *);

static int fed_join(struct job *, const struct wire_join *, char *);
static void fed_rank_joined(struct job *, uint32_t);
static void fed_arrived(struct job *, uint32_t);
static int fed_is_remote(const struct job *, uint32_t);
static const uint32_t *fed_locals(const struct job *, uint32_t *);
static void fed_send(struct job *, uint32_t, uint32_t,
    const struct wire_msg *);
static void fed_left(struct job *, uint32_t);
static void fed_failed(struct job *);
static void fed_free(struct job *);
static void fed_job_free(struct job *);
static void fed_pending(const struct job *, char *, size_t);
static void fed_frame(struct peer *, const struct wire_hdr *,
    const uint8_t *, size_t);
static void fed_refused(struct peer *, const struct wpeer_refuse *);
static void fed_peer_up(struct peer *);
static void fed_peer_lost(struct peer *, const char *);
static int fed_peer_busy(const struct peer *);
static void fed_peer_moved(struct peer *, struct peer *);

static const struct job_hooks fed_job_hooks = {
	fed_join, fed_rank_joined, fed_arrived, fed_is_remote, fed_locals,
	fed_send, fed_left, fed_failed, fed_job_free, fed_pending,
};
static const struct peer_hooks fed_peer_hooks = {
	fed_frame, fed_refused, fed_peer_up, fed_peer_lost, fed_peer_busy,
	fed_peer_moved,
};

int
fed_init(void)
{
	if (sodium_init() < 0)
		return -1;
	job_set_hooks(&fed_job_hooks);
	peer_set_hooks(&fed_peer_hooks);
	return 0;
}

/* The public tag and MAC key of generation gen of a job's id, both
 * derived from its secret (the first generation's without gen, as before
 * ids could be used again). */
static void
fed_keys(const uint8_t *key, uint32_t gen, uint8_t *tag,
    crypto_auth_hmacsha512256_state *mac)
{
	crypto_auth_hmacsha512256_state st;
	uint8_t out[crypto_auth_hmacsha512256_BYTES], g[4];

	wire_put32(g, gen);
	crypto_auth_hmacsha512256_init(&st, key, WIRE_KEY_LEN);
	crypto_auth_hmacsha512256_update(&st, (const uint8_t *)
	    "fastboot job tag v1", 19);
	if (gen > 0)
		crypto_auth_hmacsha512256_update(&st, g, sizeof g);
	crypto_auth_hmacsha512256_final(&st, out);
	memcpy(tag, out, WPEER_TAG_LEN);
	if (mac == NULL) {
		sodium_memzero(out, sizeof out);
		sodium_memzero(&st, sizeof st);
		return;
	}
	crypto_auth_hmacsha512256_init(&st, key, WIRE_KEY_LEN);
	crypto_auth_hmacsha512256_update(&st, (const uint8_t *)
	    "fastboot job mac v1", 19);
	if (gen > 0)
		crypto_auth_hmacsha512256_update(&st, g, sizeof g);
	crypto_auth_hmacsha512256_final(&st, out);
	crypto_auth_hmacsha512256_init(mac, out, sizeof out);
	sodium_memzero(out, sizeof out);
	sodium_memzero(&st, sizeof st);
}

static size_t
fed_bucket(const uint8_t *tag)
{
	return (size_t)(tag[0] | tag[1] << 8) & (FED_HASH - 1);
}

static struct fed *
fed_find(const uint8_t *tag)
{
	struct fed *f;

	for (f = fed_hash[fed_bucket(tag)]; f != NULL; f = f->hnext)
		if (memcmp(f->tag, tag, WPEER_TAG_LEN) == 0)
			return f;
	return NULL;
}

/* The id's record (NULL: none; with make, a way for it, NULL only
 * without memory). */
static struct fed_gen *
fed_gen_find(const uint8_t *base, int make)
{
	struct fed_gen *set, *e, *old = NULL;
	uint64_t now = clock_mono_ns();
	uint32_t i;

	if (fed_gens == NULL && (!make || (fed_gens = calloc((size_t)
	    FED_GEN_SETS * FED_GEN_WAYS, sizeof *fed_gens)) == NULL))
		return NULL;
	set = &fed_gens[(size_t)(wire_get32(base) & (FED_GEN_SETS - 1)) *
	    FED_GEN_WAYS];
	for (i = 0; i < FED_GEN_WAYS; i++) {
		e = &set[i];
		if (e->gen != 0 && now - e->at_ns >= FED_GEN_TTL_NS)
			e->gen = 0;
		if (e->gen != 0 && memcmp(e->base, base, WPEER_TAG_LEN) == 0)
			return e;
		if (old == NULL || e->gen == 0 ||
		    (old->gen != 0 && e->at_ns < old->at_ns))
			old = e;
	}
	if (!make)
		return NULL;
	if (old->gen != 0)
		dstats.peer_gen_evicted++;
	memcpy(old->base, base, WPEER_TAG_LEN);
	old->gen = 0;
	old->at_ns = now;
	return old;
}

static uint32_t
fed_gen_get(const uint8_t *base)
{
	struct fed_gen *e = fed_gen_find(base, 0);

	return e != NULL ? e->gen : 0;
}

/* This daemon's record of the id whose first tag is base, if it made it. */
static struct fed_reg *
fed_reg_of(const uint8_t *base)
{
	uint32_t i;

	for (i = 0; i < fed_nregs; i++)
		if (memcmp(fed_regs[i].base, base, WPEER_TAG_LEN) == 0)
			return &fed_regs[i];
	return NULL;
}

/* The generation a new job under the id of base takes: the root's record
 * of the id if this daemon made it (it lives as long as the id does),
 * else the count of jobs under it that ended here. */
static uint32_t
fed_gen_of(const uint8_t *base)
{
	struct fed_reg *r = fed_reg_of(base);

	return r != NULL ? r->gen : fed_gen_get(base);
}

static void
fed_reg_keys(struct fed_reg *r)
{
	if (r->gen == 0)	/* the first generation's tag is the base */
		memcpy(r->tag, r->base, WPEER_TAG_LEN);
	else
		fed_keys(r->key, r->gen, r->tag, NULL);
	fed_keys(r->key, r->gen + 1, r->next, NULL);
}

static void fed_retry_cb(int, short, void *);

/* A job under the id of base ended here: the next one is a generation on. */
static void
fed_gen_bump(const uint8_t *base)
{
	struct fed_gen *e = fed_gen_find(base, 1);
	struct timeval tv = { 0, 0 };
	struct fed_reg *r;

	if (e == NULL)
		return;	/* no memory: the next job counts as the first */
	e->gen++;
	e->at_ns = clock_mono_ns();
	/* The root of the id: JOINs of the next job may have come already. */
	if ((r = fed_reg_of(base)) == NULL)
		return;
	r->gen = e->gen;
	r->at_ns = e->at_ns;	/* in use: kept an hour more */
	fed_reg_keys(r);
	if (fed_retry_ev == NULL)
		fed_retry_ev = evtimer_new(dbase, fed_retry_cb, NULL);
	if (fed_retry_ev != NULL)
		evtimer_add(fed_retry_ev, &tv);
}

static int
fed_is_remote(const struct job *j, uint32_t rank)
{
	const struct fed *f = j->fed;

	return f != NULL && f->mapped && rank < j->nranks &&
	    f->node_of_rank[rank] != f->me;
}

static const uint32_t *
fed_locals(const struct job *j, uint32_t *n)
{
	const struct fed *f = j->fed;

	if (f == NULL || !f->mapped) {
		*n = 0;
		return NULL;
	}
	*n = f->nodes[f->me].count;
	return f->by_node + f->nodes[f->me].first;
}

static const char *
fed_node_name(const struct fed_node *n, char *buf, size_t size)
{
	char a[64];

	wpeer_ep_format(&n->ep, a, sizeof a);
	snprintf(buf, size, "%s (%s)", n->host, a);
	return buf;
}

static void
fed_node_ranks(const struct fed *f, const struct fed_node *n, char *buf,
    size_t size)
{
	util_ranges(buf, size, f->by_node + n->first, n->count);
}

static uint8_t *
fed_slot(const struct fed *f, uint32_t seq, uint32_t rank)
{
	return f->data + ((uint64_t)(seq % 2) * f->job->nranks + rank) *
	    f->slot_bytes;
}

/* ------------------------------------------------------------------ */
/* Ids made here: this daemon is their root. */

static struct fed_reg *
fed_reg_find(const uint8_t *tag, int *next)
{
	uint64_t now = clock_mono_ns();
	uint32_t i;

	for (i = 0; i < fed_nregs; i++) {
		if (now - fed_regs[i].at_ns >= FED_REG_TTL_NS)
			continue;
		*next = memcmp(fed_regs[i].next, tag, WPEER_TAG_LEN) == 0;
		if (*next || memcmp(fed_regs[i].tag, tag, WPEER_TAG_LEN) == 0)
			return &fed_regs[i];
	}
	return NULL;
}

/* CTL_ID: a fresh secret, remembered with the caller's uid, and where we
 * listen, as an ID frame in frame (WIRE_HDR_LEN + WIRE_ID_MAX bytes);
 * returns its length.  Without a TCP listener the id stays local (nep 0). */
size_t
fed_register_id(uid_t uid, uint8_t *frame)
{
	uint8_t *p = frame + WIRE_HDR_LEN;
	struct wpeer_ep eps[WIRE_ID_MAX_EP];
	struct fed_reg *r;
	uint64_t now = clock_mono_ns();
	uint32_t i, oldest = 0, spare = FED_REG_MAX, mine = 0, live = 0;
	uint32_t my_oldest = FED_REG_MAX;
	int n;

	n = tcp_endpoints(eps, WIRE_ID_MAX_EP);
	randombytes_buf(p, WIRE_KEY_LEN);
	wire_put64(p + WIRE_KEY_LEN, tcp_instance());
	if (n > 0 && fed_regs == NULL &&
	    (fed_regs = calloc(FED_REG_MAX, sizeof *fed_regs)) == NULL)
		n = 0;		/* no memory to remember it: a local id */
	wire_put32(p + WIRE_KEY_LEN + 8, (uint32_t)n);
	for (i = 0; i < (uint32_t)n; i++)
		wpeer_put_ep(p + WIRE_ID_MIN + i * WIRE_EP_LEN, &eps[i]);
	if (n > 0) {
		/*
		 * The slots are shared by the share rule (uidmap_share): a
		 * free or expired one if the uid may take one more, else the
		 * uid's own oldest, so that no uid pushes out the others'
		 * ids (a JOIN under an evicted id is refused at the root).
		 * Only a uid with none, on a table full of others', takes the
		 * oldest of all: the rule's reserve keeps that from
		 * happening.
		 */
		for (i = 0; i < fed_nregs; i++) {
			if (now - fed_regs[i].at_ns >= FED_REG_TTL_NS) {
				if (spare == FED_REG_MAX)
					spare = i;
				continue;
			}
			live++;
			if (fed_regs[i].at_ns < fed_regs[oldest].at_ns)
				oldest = i;
			if (fed_regs[i].uid != uid)
				continue;
			mine++;
			if (my_oldest == FED_REG_MAX ||
			    fed_regs[i].at_ns < fed_regs[my_oldest].at_ns)
				my_oldest = i;
		}
		if (spare == FED_REG_MAX && fed_nregs < FED_REG_MAX)
			spare = fed_nregs;
		if (spare != FED_REG_MAX &&
		    uidmap_share(mine, 1, live, FED_REG_MAX))
			i = spare;
		else if (my_oldest != FED_REG_MAX)
			i = my_oldest;
		else
			i = spare != FED_REG_MAX ? spare : oldest;
		if (i == fed_nregs)
			fed_nregs++;
		r = &fed_regs[i];
		memcpy(r->key, p, WIRE_KEY_LEN);
		fed_keys(r->key, 0, r->base, NULL);
		r->gen = fed_gen_get(r->base);
		fed_reg_keys(r);
		r->uid = uid;
		r->at_ns = now;
	}
	wire_encode_hdr(frame, WIRE_ID, WIRE_ID_MIN + (uint32_t)n *
	    WIRE_EP_LEN, 0);
	return WIRE_HDR_LEN + WIRE_ID_MIN + (size_t)n * WIRE_EP_LEN;
}

/* ------------------------------------------------------------------ */
/* Sending. */

/*
 * may_wait: the other node opens the link between us if its endpoint is
 * the lower one (peer.c), so wait for it; only where it is sure to: the
 * partners of the first collectives (fed_apply_map warms those), and an
 * alltoall, where every node sends to every other.  Otherwise (send/recv,
 * FAIL, the map down the tree) the node that needs the link opens it.
 */
static int
fed_send_ep(struct fed *f, const struct wpeer_ep *ep, uint16_t type,
    const struct iovec *iov, int n, int may_wait)
{
	struct peer *p = peer_get(ep, may_wait);
	uint32_t node = f->mapped ? f->me : WPEER_NO_NODE;

	if (p == NULL)
		return -1;
	return peer_send_job(p, type, &f->mac, f->tag, node, iov, n);
}

static void fed_node_lost(struct fed *, uint32_t, const char *);

static int
fed_send_node(struct fed *f, uint32_t node, uint16_t type,
    const struct iovec *iov, int n)
{
	char why[128];

	if (f->nodes[node].lost)
		return -1;
	if (fed_send_ep(f, &f->nodes[node].ep, type, iov, n,
	    type == WPEER_COLL ? PEER_GET_WAIT : PEER_GET_NOW) == -1) {
		snprintf(why, sizeof why, "cannot send to it: %s",
		    errno == EMSGSIZE ? "a step over the 64 MB frame limit" :
		    "no link");
		fed_node_lost(f, node, why);
		return -1;
	}
	return 0;
}

/*
 * To every other node (before the map: the root, or the root to all).  A
 * FAIL goes to every node, over a new link where there is none; a LEFT only
 * over the links there are: a node we never talked to learns of it when it
 * talks to the rank's node (whose daemon answers for the rank), and its loss
 * is not ours to see.
 */
static void
fed_broadcast(struct fed *f, uint16_t type, const struct iovec *iov, int n)
{
	uint32_t i;

	if (f->mapped) {
		for (i = 0; i < f->nnodes; i++) {
			struct peer *p;

			if (i == f->me)
				continue;
			if (!f->nodes[i].lost) {
				if (type == WPEER_FAIL ||
				    peer_find(&f->nodes[i].ep) != NULL)
					fed_send_ep(f, &f->nodes[i].ep, type,
					    iov, n, 0);
				continue;
			}
			/* A lost node still hears a FAIL on a link that is
			 * there (one that could not take a step, say), but
			 * is not called again. */
			if (type == WPEER_FAIL &&
			    (p = peer_find(&f->nodes[i].ep)) != NULL)
				peer_send_job(p, type, &f->mac, f->tag, f->me,
				    iov, n);
		}
	} else if (f->root) {
		/* Only over links that are there: a node that reported to us
		 * has one, and one that was lost is not called again. */
		for (i = 0; i < f->ndn; i++) {
			struct peer *p = peer_find(&f->dn[i].ep);

			if ((int)i + 1 != f->self_dn && p != NULL)
				peer_send_job(p, type, &f->mac, f->tag,
				    WPEER_NO_NODE, iov, n);
		}
	} else if (f->join_sent)
		fed_send_ep(f, &f->root_ep, type, iov, n, 0);
}

/* ------------------------------------------------------------------ */
/* Jobs. */

static void
fed_expire_cb(int fd, short events, void *arg)
{
	struct fed *f = arg;
	struct job *j = f->job;

	if (j->attached > 0 || j->lingering)
		return;		/* freed when they go */
	if (!f->mapped && !f->done)
		job_fail(j, FB_E_TIMEOUT, WIRE_NO_RANK, "discovery timed out "
		    "at the root: %u of %u ranks reported", f->dcount,
		    j->nranks);
	job_free(j);
}

static void fed_flush_cb(int, short, void *);

static struct fed *
fed_new(struct job *j)
{
	struct fed *f;
	size_t b;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return NULL;
	f->job = j;
	fed_keys(j->key, 0, f->base, NULL);
	if ((f->gen = fed_gen_of(f->base)) > 0)
		log_debug("job %u: generation %u of its id across nodes",
		    j->id, f->gen);
	fed_keys(j->key, f->gen, f->tag, &f->mac);
	f->ev_flush = event_new(dbase, -1, 0, fed_flush_cb, f);
	f->ev_expire = evtimer_new(dbase, fed_expire_cb, f);
	if (f->ev_flush == NULL || f->ev_expire == NULL)
		fatalx("out of memory for a job across nodes");
	/* The data part, for payloads across nodes. */
	f->map_size = (size_t)j->table.size;
	f->map = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    j->table.memfd, 0);
	if (f->map == MAP_FAILED) {
		event_free(f->ev_flush);
		event_free(f->ev_expire);
		free(f);
		return NULL;
	}
	f->data = f->map + j->table.hdr->data_off;
	f->slot_bytes = j->table.hdr->slot_bytes;
	b = fed_bucket(f->tag);
	f->hnext = fed_hash[b];
	fed_hash[b] = f;
	f->lnext = fed_list;
	if (fed_list != NULL)
		fed_list->lprev = f;
	fed_list = f;
	j->fed = f;
	return f;
}

static void
fed_early_free(struct fed_early *e)
{
	if (e->peer != NULL && e->peer->early > 0)
		e->peer->early--;
	free(e);
}

static void
fed_free(struct job *j)
{
	struct fed *f = j->fed, **pp;
	uint32_t i;

	for (pp = &fed_hash[fed_bucket(f->tag)]; *pp != f; pp = &(*pp)->hnext)
		;
	*pp = f->hnext;
	if (f->lprev != NULL)
		f->lprev->lnext = f->lnext;
	else
		fed_list = f->lnext;
	if (f->lnext != NULL)
		f->lnext->lprev = f->lprev;
	fed_early_drop(f);
	fed_lookups_free(f);
	event_free(f->ev_flush);
	event_free(f->ev_expire);
	munmap(f->map, f->map_size);
	for (i = 0; f->nodes != NULL && i < f->nnodes; i++)
		free(f->nodes[i].held);
	free(f->nodes);
	free(f->node_of_rank);
	free(f->by_node);
	free(f->dn);
	free(f->dnode);
	free(f->unsent);
	free(f->a2a[0]);
	free(f->a2a[1]);
	free(f->held_off);
	sodium_memzero(&f->mac, sizeof f->mac);
	free(f);
	j->fed = NULL;
}

/* The job ended here: the next one under its id is a generation on. */
static void
fed_job_free(struct job *j)
{
	uint8_t base[WPEER_TAG_LEN];
	int ran = j->fed->mapped || j->fed->done;

	memcpy(base, j->fed->base, sizeof base);
	fed_free(j);
	/* Only a job every node knew counts: one that failed in discovery
	 * may not exist on the root, which would not count it.  A root that
	 * is no node of the job counts it once it sent the map (done), as
	 * every node counts it once it has the map. */
	if (ran)
		fed_gen_bump(base);
}

/* ------------------------------------------------------------------ */
/*
 * The host names of a PMIx map, resolved without blocking the loop
 * (libevent's evdns: /etc/hosts, then resolv.conf's servers).  Numeric
 * addresses need no resolver, names under .invalid fail at once (RFC
 * 6761); the others must answer within --peer-timeout.  The JOIN is
 * answered when the answers are in: at once if all were (numeric, or in
 * /etc/hosts), else the job's ranks wait in init, and a failure fails the
 * job naming the host and the resolver's error.
 */

static void fed_resolved(struct fed *, int);

static void
fed_lookups_free(struct fed *f)
{
	struct fed_lookup *lk;
	uint32_t i;

	if (f->lookups == NULL)
		return;
	for (i = 0; i < f->nnodes; i++) {
		if ((lk = f->lookups[i]) == NULL)
			continue;
		if (lk->done) {
			free(lk);
			continue;
		}
		/* Its callback frees it (with EVUTIL_EAI_CANCEL). */
		lk->f = NULL;
		evdns_getaddrinfo_cancel(lk->req);
	}
	free(f->lookups);
	f->lookups = NULL;
	if (f->ev_resolve != NULL)
		event_free(f->ev_resolve);
	f->ev_resolve = NULL;
}

static void
fed_lookup_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct fed_lookup *lk = arg;
	struct fed *f = lk->f;
	struct evutil_addrinfo *ai;

	lk->done = 1;
	lk->req = NULL;
	if (f == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		free(lk);
		return;
	}
	for (ai = result == 0 ? res : NULL; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			break;
	if (ai != NULL)
		tcp_sa_to_ep(ai->ai_addr, &f->nodes[lk->node].ep);
	else if (f->resolve_err == 0) {
		f->resolve_err = result != 0 ? result : EVUTIL_EAI_NONAME;
		f->resolve_node = lk->node;
	}
	if (res != NULL)
		evutil_freeaddrinfo(res);
	f->nresolving--;
	if (!f->issuing)
		fed_resolved(f, 1);
}

static void
fed_resolve_timeout_cb(int fd, short events, void *arg)
{
	struct fed *f = arg;
	uint32_t i;

	for (i = 0; i < f->nnodes; i++)
		if (f->lookups[i] != NULL && !f->lookups[i]->done)
			break;
	if (i == f->nnodes || f->job->failed)
		return;
	job_fail(f->job, FB_E_TIMEOUT, WIRE_NO_RANK, "node %u of the PMIx "
	    "map, %s: its name did not resolve within %d ms (--peer-timeout)",
	    i, f->nodes[i].host, dconf.peer_timeout_ms);
}

static int
fed_dns_base(void)
{
	char t[16];

	if (fed_dns != NULL)
		return 0;
	/* resolv.conf and /etc/hosts, as they are when first needed. */
	fed_dns = evdns_base_new(dbase, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (fed_dns == NULL)
		return -1;
	snprintf(t, sizeof t, "%d", (dconf.peer_timeout_ms + 999) / 1000);
	evdns_base_set_option(fed_dns, "timeout:", t);
	return 0;
}

/* Start resolving node i's name: 0, or an EVUTIL_EAI_* at once. */
static int
fed_lookup_start(struct fed *f, uint32_t i)
{
	struct evutil_addrinfo hints;
	struct fed_lookup *lk;
	const char *h = f->nodes[i].host;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct evdns_getaddrinfo_request *req;
	size_t len = strlen(h);
	char port[8];

	memset(&sin, 0, sizeof sin);
	memset(&sin6, 0, sizeof sin6);
	if (len == 0)
		return EVUTIL_EAI_NONAME;
	if (strcmp(h, "invalid") == 0 || (len > 8 &&
	    strcasecmp(h + len - 8, ".invalid") == 0) ||
	    (len > 9 && strcasecmp(h + len - 9, ".invalid.") == 0))
		return EVUTIL_EAI_NONAME;
	if (inet_pton(AF_INET, h, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(WPEER_DEFAULT_PORT);
		tcp_sa_to_ep((struct sockaddr *)&sin, &f->nodes[i].ep);
		return 0;
	}
	if (inet_pton(AF_INET6, h, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(WPEER_DEFAULT_PORT);
		tcp_sa_to_ep((struct sockaddr *)&sin6, &f->nodes[i].ep);
		return 0;
	}
	if (fed_dns_base() == -1)
		return EVUTIL_EAI_MEMORY;
	if ((lk = calloc(1, sizeof *lk)) == NULL)
		return EVUTIL_EAI_MEMORY;
	lk->f = f;
	lk->node = i;
	f->lookups[i] = lk;
	f->nresolving++;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(port, sizeof port, "%u", WPEER_DEFAULT_PORT);
	/* A numeric address or a name in /etc/hosts answers before this
	 * returns (NULL). */
	req = evdns_getaddrinfo(fed_dns, h, port, &hints, fed_lookup_cb, lk);
	if (!lk->done)
		lk->req = req;
	if (!lk->done && req == NULL) {
		lk->done = 1;
		f->nresolving--;
		return EVUTIL_EAI_FAIL;
	}
	return 0;
}

/* Every name resolved (or one failed): the map is usable, or the job
 * fails naming the host.  later: after the first JOIN was answered. */
static void
fed_resolved(struct fed *f, int later)
{
	struct job *j = f->job;

	if (j->failed || f->mapped)
		return;
	if (f->resolve_err != 0) {
		job_fail(j, FB_E_SYS, WIRE_NO_RANK, "node %u of the PMIx map, "
		    "%s: %s", f->resolve_node, f->nodes[f->resolve_node].host,
		    evutil_gai_strerror(f->resolve_err));
		return;
	}
	if (f->nresolving > 0)
		return;
	if (f->ev_resolve != NULL)
		evtimer_del(f->ev_resolve);
	f->mapped = 1;
	dstats.pmix_jobs++;
	fed_apply_map(f);
	if (later && j->fed == f && !j->failed && j->joined == j->nlocal)
		fed_arrived(j, 0);	/* the init barrier */
}

/* Arrays of the map, from node_of_rank and nnodes. */
static int
fed_build_map(struct fed *f)
{
	struct job *j = f->job;
	uint32_t r, *fill;

	f->by_node = calloc(j->nranks, sizeof *f->by_node);
	fill = calloc(f->nnodes, sizeof *fill);
	f->a2a[0] = calloc(f->nnodes, 1);
	f->a2a[1] = calloc(f->nnodes, 1);
	if (f->by_node == NULL || fill == NULL || f->a2a[0] == NULL ||
	    f->a2a[1] == NULL) {
		free(fill);
		return -1;
	}
	for (r = 0; r < j->nranks; r++)
		f->nodes[f->node_of_rank[r]].count++;
	for (r = 1; r < f->nnodes; r++)
		f->nodes[r].first = f->nodes[r - 1].first +
		    f->nodes[r - 1].count;
	for (r = 0; r < j->nranks; r++) {
		uint32_t n = f->node_of_rank[r];

		f->by_node[f->nodes[n].first + fill[n]++] = r;
	}
	free(fill);
	for (r = 0; r < f->nnodes; r++)
		if (f->nodes[r].count == 0)
			return -1;
	j->nlocal = f->nodes[f->me].count;
	return 0;
}

/* The map from PMIx, in the first JOIN of this node. */
static int
fed_pmix_map(struct fed *f, const struct wire_join *m,
    const struct wire_join_ext *x, char *err)
{
	struct job *j = f->job;
	struct timeval tv;
	uint32_t i;
	int rc = 0;

	f->pmix = 1;
	f->nnodes = x->nnodes;
	f->me = x->node;
	f->nodes = calloc(f->nnodes, sizeof *f->nodes);
	f->node_of_rank = calloc(j->nranks, sizeof *f->node_of_rank);
	f->lookups = calloc(f->nnodes, sizeof *f->lookups);
	if (f->nodes == NULL || f->node_of_rank == NULL || f->lookups == NULL)
		return job_refuse(err, FB_E_NOMEM, "out of memory for the node "
		    "map");
	for (i = 0; i < j->nranks; i++)
		f->node_of_rank[i] = wire_get32(x->node_of_rank + i * 4);
	for (i = 0; i < f->nnodes; i++)
		wpeer_get_host(x->hosts + i * WIRE_HOST_LEN, f->nodes[i].host);
	if (tcp_primary() != NULL)
		f->nodes[f->me].ep = *tcp_primary();
	if (fed_build_map(f) == -1)
		return job_refuse(err, FB_E_INVAL, "the PMIx node map has a "
		    "node without ranks");
	if (f->node_of_rank[m->rank] != f->me)
		return job_refuse(err, FB_E_INVAL, "rank %u: PMIx places it on "
		    "node %u, its JOIN says node %u", m->rank,
		    f->node_of_rank[m->rank], f->me);
	/* Answers that come at once are counted after the loop. */
	f->issuing = 1;
	for (i = 0; i < f->nnodes && rc == 0 && f->resolve_err == 0; i++)
		if (i != f->me && (rc = fed_lookup_start(f, i)) != 0) {
			f->resolve_err = rc;
			f->resolve_node = i;
		}
	f->issuing = 0;
	if (f->resolve_err != 0)
		return job_refuse(err, FB_E_SYS, "node %u of the PMIx map, %s: "
		    "%s", f->resolve_node, f->nodes[f->resolve_node].host,
		    evutil_gai_strerror(f->resolve_err));
	if (f->nresolving == 0) {
		fed_resolved(f, 0);
		return 0;
	}
	log_debug("job %u: resolving %u host names of the PMIx map", j->id,
	    f->nresolving);
	if ((f->ev_resolve = evtimer_new(dbase, fed_resolve_timeout_cb, f)) ==
	    NULL)
		return job_refuse(err, FB_E_NOMEM, "out of memory");
	tv.tv_sec = dconf.peer_timeout_ms / 1000;
	tv.tv_usec = dconf.peer_timeout_ms % 1000 * 1000;
	evtimer_add(f->ev_resolve, &tv);
	return 0;
}

/* A rank's JOIN of a job across nodes (after job.c's checks): 0, or a
 * negative FB_E_* with its text in err. */
static int
fed_join(struct job *j, const struct wire_join *m, char *err)
{
	struct wire_join_ext x;
	struct fed *f = j->fed;
	char a[64];
	int rc;

	if (wire_decode_join_ext(m->ext, m->ext_len, m->nranks, &x) !=
	    WIRE_OK)
		return job_refuse(err, FB_E_PROTO, "bad JOIN extension");
	if (tcp_primary() == NULL)
		return job_refuse(err, FB_E_INVAL, "the job spans nodes but "
		    "this fastbootd does not listen on TCP (--listen-tcp)");
	if (f != NULL) {
		if (f->node_of_rank != NULL && f->nodes != NULL &&
		    f->node_of_rank[m->rank] != f->me)
			return job_refuse(err, FB_E_INVAL, "rank %u belongs to "
			    "node %u, not this one", m->rank,
			    f->node_of_rank[m->rank]);
		return 0;
	}
	if ((f = fed_new(j)) == NULL)
		return job_refuse(err, FB_E_NOMEM, "out of memory for a job "
		    "across nodes: %s", strerror(errno));
	if (x.flags & WIRE_EXT_MAP) {
		if ((rc = fed_pmix_map(f, m, &x, err)) < 0) {
			fed_free(j);
			return rc;
		}
	} else {
		wpeer_get_ep(x.root, &f->root_ep);
		wpeer_ep_format(&f->root_ep, a, sizeof a);
		snprintf(f->root_name, sizeof f->root_name, "%s", a);
		if (x.root_instance == tcp_instance() ||
		    tcp_is_self(&f->root_ep))
			f->root = 1;
	}
	/* Other nodes may have spoken of the job before its first rank
	 * joined here (the init barrier of a PMIx job). */
	fed_replay_unknown(f);
	if (j->fed != f)
		return job_refuse(err, FB_E_PROTO, "the job ended while its "
		    "first rank joined");
	return j->failed ? job_refuse(err, j->failed, "%s", j->error) : 0;
}

/* The root learns that rank joined on discovered node d. */
static int
fed_record(struct fed *f, uint32_t d, uint32_t rank)
{
	struct job *j = f->job;
	char a[160], b[160];

	if (rank >= j->nranks) {
		job_fail(j, FB_E_PROTO, WIRE_NO_RANK, "node %s reported rank "
		    "%u of a job of %u ranks", fed_node_name(&f->dn[d], a,
		    sizeof a), rank, j->nranks);
		return -1;
	}
	if (f->dnode[rank] != 0) {
		job_fail(j, FB_E_MISMATCH, rank, "rank %u joined twice: on "
		    "node %s and on node %s", rank, fed_node_name(
		    &f->dn[f->dnode[rank] - 1], a, sizeof a),
		    fed_node_name(&f->dn[d], b, sizeof b));
		return -1;
	}
	f->dnode[rank] = d + 1;
	f->dcount++;
	if (f->dn[d].count == 0 || rank < f->dn[d].lowest)
		f->dn[d].lowest = rank;
	f->dn[d].count++;
	return 0;
}

static int
fed_dn_add(struct fed *f, const struct wpeer_ep *ep, const char *host)
{
	struct fed_node *nd;
	uint32_t i;

	for (i = 0; i < f->ndn; i++)
		if (wpeer_ep_equal(&f->dn[i].ep, ep))
			return (int)i;
	if (f->ndn >= WPEER_MAX_NODES)
		return -1;
	if (f->dnode == NULL &&
	    (f->dnode = calloc(f->job->nranks, sizeof *f->dnode)) == NULL)
		return -1;
	if (f->ndn == f->dncap) {
		uint32_t ncap = f->dncap ? f->dncap * 2 : 8;

		if ((nd = reallocarray(f->dn, ncap, sizeof *nd)) == NULL)
			return -1;
		f->dn = nd;
		f->dncap = ncap;
	}
	nd = &f->dn[f->ndn];
	memset(nd, 0, sizeof *nd);
	nd->ep = *ep;
	snprintf(nd->host, sizeof nd->host, "%s", host);
	return (int)f->ndn++;
}

static int
fed_cmp_lowest(const void *a, const void *b)
{
	const struct fed_node *x = a, *y = b;

	return x->lowest < y->lowest ? -1 : x->lowest > y->lowest;
}

/*
 * The map goes down a binomial tree over the node indices, rooted at node
 * 0: node i's parent is i without its highest bit, its children are i + 2^k
 * for every 2^k above i's highest bit (below nnodes).  The root sends
 * ceil(log2 nodes) copies, every node has the map after as many hops, and
 * each node forwards it to its subtree under its own link and MAC (the
 * forwarder holds the job's secret, as the root does: the same trust).
 */
static uint32_t
fed_tree_parent(uint32_t i)
{
	uint32_t b = 1;

	while (b <= i / 2)
		b <<= 1;
	return i - b;
}

/* The first child's distance from i (children: i + d, i + 2d, i + 4d...). */
static uint32_t
fed_tree_first(uint32_t i)
{
	uint32_t b = 1;

	while (b <= i)
		b <<= 1;
	return b;
}

/*
 * Send the map (head: its 12 bytes, the receiver's index rewritten per
 * copy; rest: nodes and ranks) to node `to`.  Sent as the root (node field
 * WPEER_NO_NODE) until this daemon has the map, then as its node.
 */
static int
fed_map_send(struct fed *f, uint8_t *head, const struct iovec *rest,
    uint32_t to)
{
	struct iovec iov[3];
	struct peer *p;
	char a[160];

	wire_put32(head + 4, to);
	iov[0].iov_base = head;
	iov[0].iov_len = 12;
	iov[1] = rest[0];
	iov[2] = rest[1];
	if ((p = peer_get(&f->nodes[to].ep, PEER_GET_NOW)) == NULL ||
	    peer_send_job(p, WPEER_MAP, &f->mac, f->tag, f->mapped ? f->me :
	    WPEER_NO_NODE, iov, rest[1].iov_len > 0 ? 3 : 2) == -1) {
		job_fail(f->job, FB_E_PEER_LOST, WIRE_NO_RANK, "node %s: "
		    "cannot send it the node map", fed_node_name(
		    &f->nodes[to], a, sizeof a));
		return -1;
	}
	dstats.map_sent++;
	dstats.map_bytes_sent += 12 + rest[0].iov_len + rest[1].iov_len;
	return 0;
}

/* The map to node i's children in the tree. */
static void
fed_map_down(struct fed *f, uint8_t *head, const struct iovec *rest,
    uint32_t i)
{
	uint32_t d;

	for (d = fed_tree_first(i); d < f->nnodes - i && !f->job->failed;
	    d <<= 1)
		if (fed_map_send(f, head, rest, i + d) == -1)
			return;
}

/* The root has heard of every rank: order the nodes, send the map. */
static void
fed_root_complete(struct fed *f)
{
	struct job *j = f->job;
	uint32_t i, r, *order, *old_of;
	uint8_t head[12], *nodes;
	struct iovec iov[2];
	struct timeval now = { 0, 0 };
	size_t nlen;
	int self = -1;

	if (f->dcount != j->nranks || f->mapped || f->nodes != NULL)
		return;
	/* Nodes by their lowest rank: node 0 holds rank 0. */
	order = calloc(f->ndn, sizeof *order);
	old_of = calloc(f->ndn, sizeof *old_of);
	f->nodes = calloc(f->ndn, sizeof *f->nodes);
	f->node_of_rank = calloc(j->nranks, sizeof *f->node_of_rank);
	nlen = (size_t)f->ndn * WPEER_MAP_NODE_LEN;
	nodes = malloc(nlen);
	if (order == NULL || old_of == NULL || f->nodes == NULL ||
	    f->node_of_rank == NULL || nodes == NULL) {
		free(order);
		free(old_of);
		free(nodes);
		job_fail(j, FB_E_NOMEM, WIRE_NO_RANK, "the root is out of "
		    "memory for the node map");
		return;
	}
	for (i = 0; i < f->ndn; i++)
		f->dn[i].first = i;	/* remember the discovery index */
	memcpy(f->nodes, f->dn, f->ndn * sizeof *f->nodes);
	qsort(f->nodes, f->ndn, sizeof *f->nodes, fed_cmp_lowest);
	for (i = 0; i < f->ndn; i++) {
		order[f->nodes[i].first] = i;
		old_of[i] = f->nodes[i].first;
		f->nodes[i].first = 0;
		f->nodes[i].count = 0;
		f->nodes[i].lowest = 0;
		wpeer_put_ep(nodes + i * WPEER_MAP_NODE_LEN, &f->nodes[i].ep);
		memset(nodes + i * WPEER_MAP_NODE_LEN + WPEER_EP_LEN, 0,
		    WPEER_HOST_LEN);
		memcpy(nodes + i * WPEER_MAP_NODE_LEN + WPEER_EP_LEN,
		    f->nodes[i].host, strnlen(f->nodes[i].host,
		    WPEER_HOST_LEN - 1));
		if ((int)old_of[i] + 1 == f->self_dn)
			self = (int)i;
	}
	for (r = 0; r < j->nranks; r++) {
		f->node_of_rank[r] = order[f->dnode[r] - 1];
		wire_put32((uint8_t *)&f->dnode[r], f->node_of_rank[r]);
	}
	f->nnodes = f->ndn;
	f->me = self >= 0 ? (uint32_t)self : 0;
	dstats.discovery_rounds++;
	log_debug("job %u: all %u ranks on %u nodes: sending the map", j->id,
	    j->nranks, f->nnodes);
	/* Down the tree from node 0, each copy with its receiver's index;
	 * sent as the root (node field WPEER_NO_NODE: the map is not yet
	 * theirs).  A root that is not node 0 sends node 0 its copy, and its
	 * own subtree theirs (the copy its parent forwards it is dropped). */
	wire_put32(head, f->nnodes);
	wire_put32(head + 8, j->nranks);
	iov[0].iov_base = nodes;
	iov[0].iov_len = nlen;
	iov[1].iov_base = f->dnode;	/* now little-endian node indexes */
	iov[1].iov_len = (size_t)j->nranks * 4;
	if (self != 0)
		fed_map_send(f, head, iov, 0);
	if (self >= 0)
		fed_map_down(f, head, iov, (uint32_t)self);
	free(order);
	free(old_of);
	free(nodes);
	if (self < 0) {
		/* Not a node of the job: our part is done.  Freed from the
		 * loop (fed_expire_cb), not here: a frame replayed by
		 * fed_replay_unknown, under fed_join, may have brought us
		 * here, and those callers still hold the job. */
		f->done = !j->failed;
		evtimer_add(f->ev_expire, &now);
		return;
	}
	if (j->failed)
		return;
	if (fed_build_map(f) == -1) {
		job_fail(j, FB_E_NOMEM, WIRE_NO_RANK, "out of memory");
		return;
	}
	f->mapped = 1;
	fed_apply_map(f);
}

/* A local rank joined. */
static void
fed_rank_joined(struct job *j, uint32_t rank)
{
	struct fed *f = j->fed;
	int d;

	if (f->pmix) {
		/* Until the map's names resolved, fed_resolved() starts it. */
		if (f->mapped && j->joined == j->nlocal && !j->failed)
			fed_arrived(j, 0);	/* the init barrier */
		return;
	}
	if (f->root) {
		if (f->self_dn == 0) {
			if ((d = fed_dn_add(f, tcp_primary(),
			    tcp_hostname())) < 0) {
				job_fail(j, FB_E_NOMEM, rank, "out of memory");
				return;
			}
			f->self_dn = d + 1;
		}
		if (fed_record(f, (uint32_t)f->self_dn - 1, rank) == 0)
			fed_root_complete(f);
		return;
	}
	if (f->unsent == NULL &&
	    (f->unsent = calloc(j->nranks, sizeof *f->unsent)) == NULL) {
		job_fail(j, FB_E_NOMEM, rank, "out of memory");
		return;
	}
	f->unsent[f->nunsent++] = rank;
	/* Ranks that join in the same turn of the loop go in one frame. */
	event_active(f->ev_flush, EV_TIMEOUT, 1);
}

static void
fed_flush_cb(int fd, short events, void *arg)
{
	struct fed *f = arg;
	struct job *j = f->job;
	uint8_t head[8 + WPEER_EP_LEN + WPEER_HOST_LEN + 4], *p = head;
	struct iovec iov[2];
	uint32_t i;
	int rc;

	if (f->nunsent == 0 || j->failed)
		return;
	for (i = 0; i < f->nunsent; i++)
		wire_put32((uint8_t *)&f->unsent[i], f->unsent[i]);
	iov[1].iov_base = f->unsent;
	iov[1].iov_len = (size_t)f->nunsent * 4;
	if (!f->join_sent) {
		wire_put32(p, j->nranks);
		wire_put32(p + 4, j->flags);
		wpeer_put_ep(p + 8, tcp_primary());
		memset(p + 8 + WPEER_EP_LEN, 0, WPEER_HOST_LEN);
		memcpy(p + 8 + WPEER_EP_LEN, tcp_hostname(),
		    strnlen(tcp_hostname(), WPEER_HOST_LEN - 1));
		wire_put32(p + 8 + WPEER_EP_LEN + WPEER_HOST_LEN, f->nunsent);
		iov[0].iov_base = head;
		iov[0].iov_len = sizeof head;
		rc = fed_send_ep(f, &f->root_ep, WPEER_JOIN, iov, 2,
		    PEER_GET_JOIN);
		f->join_sent = 1;
	} else {
		wire_put32(head, f->nunsent);
		iov[0].iov_base = head;
		iov[0].iov_len = 4;
		rc = fed_send_ep(f, &f->root_ep, WPEER_RANKS, iov, 2,
		    PEER_GET_NOW);
	}
	f->nunsent = 0;
	if (rc == -1)
		job_fail(j, FB_E_PEER_LOST, WIRE_NO_RANK, "cannot reach the "
		    "job's root node %s", f->root_name);
}

static void
fed_warm(struct fed *f, uint32_t i)
{
	if (i != f->me && peer_ep_cmp(&f->nodes[i].ep,
	    &f->nodes[f->me].ep) > 0)
		(void)peer_prove(peer_get(&f->nodes[i].ep, PEER_GET_NOW),
		    &f->mac, f->tag, f->me);
}

/* The map is known: tell the local ranks (after discovery) or wait for
 * the init barrier (PMIx), and warm the links to the other nodes. */
static void
fed_apply_map(struct fed *f)
{
	struct job *j = f->job;
	struct fed_node *me = &f->nodes[f->me];
	struct fed_early *e, *next;
	uint32_t i, d;

	log_debug("job %u: node %u of %u, %u local ranks%s", j->id, f->me,
	    f->nnodes, me->count, f->pmix ? " (map from PMIx)" : "");
	/*
	 * Warm the links the first collectives need: the dissemination
	 * barrier's and Bruck's partners, node +- 2^k (the tree's links are
	 * among them, and up already).  Of each pair the lower endpoint opens
	 * (the other waits for it: fed_send_ep); the relation is symmetric,
	 * so each end knows.  Every other link opens on first use.
	 */
	for (d = 1; d < f->nnodes; d <<= 1) {
		fed_warm(f, (f->me + d) % f->nnodes);
		fed_warm(f, (f->me + f->nnodes - d % f->nnodes) % f->nnodes);
	}
	if (!f->pmix) {
		job_running(j);
		for (i = 0; i < me->count; i++)
			job_ready(j, f->by_node[me->first + i], i,
			    me->count, f->me, f->nnodes);
		notify_status();
	}
	/* Frames that came before the map. */
	e = f->early;
	f->early = NULL;
	f->nearly = 0;
	f->early_bytes = 0;
	for (; e != NULL && j->fed == f && !j->failed; e = next) {
		next = e->next;
		fed_handle(f, e->peer, e->type, e->node, e->buf,
		    (uint32_t)e->len);
		free(e);
	}
	for (; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
}

/* ------------------------------------------------------------------ */
/* Collectives across nodes. */

static uint32_t
fed_log2(uint32_t n)
{
	uint32_t k = 0;

	while ((1u << k) < n)
		k++;
	return k;
}

static void
fed_coll_complete(struct fed *f)
{
	struct job *j = f->job;
	struct fed_node *me = &f->nodes[f->me];
	uint32_t p = f->cseq & 1, seq = f->cseq, i;

	f->running = 0;
	f->rmask[p] = 0;
	f->rset[p] = 0;
	f->a2an[p] = 0;
	memset(f->a2a[p], 0, f->nnodes);
	if (seq == 0) {		/* the init barrier of a PMIx job */
		job_running(j);
		for (i = 0; i < me->count; i++)
			job_ready(j, f->by_node[me->first + i], i,
			    me->count, f->me, f->nnodes);
		notify_status();
		return;
	}
	job_release(j, seq);
}

static int
fed_send_coll(struct fed *f, uint32_t node, uint32_t step, const void *data,
    size_t len)
{
	uint8_t head[WPEER_COLL_HDR];
	struct iovec iov[2];

	wire_put32(head, f->cseq);
	wire_put16(head + 4, (uint16_t)f->ckind);
	wire_put16(head + 6, (uint16_t)step);
	wire_put64(head + 8, f->cbytes);
	iov[0].iov_base = head;
	iov[0].iov_len = sizeof head;
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	return fed_send_node(f, node, WPEER_COLL, iov, len > 0 ? 2 : 1);
}

/* Allgather step k: the blocks of nodes me .. me+cnt-1 to node me - 2^k. */
static int
fed_send_allgather(struct fed *f, uint32_t k)
{
	uint32_t n = f->nnodes, d = 1u << k, cnt = d < n - d ? d : n - d;
	uint32_t b, i, node;
	uint8_t *buf, *w;
	size_t len = 0;
	int rc;

	for (b = 0; b < cnt; b++)
		len += (size_t)f->nodes[(f->me + b) % n].count * f->cbytes;
	if ((buf = malloc(len ? len : 1)) == NULL)
		return -1;
	for (b = 0, w = buf; b < cnt; b++) {
		const struct fed_node *nd = &f->nodes[(f->me + b) % n];

		for (i = 0; i < nd->count; i++, w += f->cbytes)
			memcpy(w, fed_slot(f, f->cseq, f->by_node[nd->first +
			    i]), f->cbytes);
	}
	node = (f->me + n - d) % n;
	rc = fed_send_coll(f, node, k, buf, len);
	free(buf);
	return rc;
}

/* Alltoall: what our ranks have for node x's ranks. */
static int
fed_send_alltoall(struct fed *f, uint32_t x)
{
	const struct fed_node *me = &f->nodes[f->me], *to = &f->nodes[x];
	uint64_t bytes = f->cbytes;
	uint8_t *buf, *w;
	size_t len = (size_t)me->count * to->count * bytes;
	uint32_t s, d;
	int rc;

	if ((buf = malloc(len ? len : 1)) == NULL)
		return -1;
	for (s = 0, w = buf; s < me->count; s++) {
		const uint8_t *slot = fed_slot(f, f->cseq,
		    f->by_node[me->first + s]);

		for (d = 0; d < to->count; d++, w += bytes)
			memcpy(w, slot + (size_t)f->by_node[to->first + d] *
			    bytes, bytes);
	}
	rc = fed_send_coll(f, x, 0, buf, len);
	free(buf);
	return rc;
}

static void
fed_coll_progress(struct fed *f)
{
	uint32_t p = f->cseq & 1, i;
	int rc;

	if (!f->running || f->job->failed)
		return;
	if (f->ckind == WIRE_COLL_ALLTOALL) {
		if (f->sent == 0) {
			f->sent = 1;
			for (i = 0; i < f->nnodes && !f->job->failed; i++)
				if (i != f->me && f->cbytes > 0)
					fed_send_alltoall(f, i);
				else if (i != f->me)
					fed_send_coll(f, i, 0, NULL, 0);
		}
		if (f->a2an[p] == f->nnodes - 1 && !f->job->failed)
			fed_coll_complete(f);
		return;
	}
	while (f->sent < f->nsteps && (f->sent == 0 ||
	    (f->rmask[p] & (1u << (f->sent - 1))))) {
		uint32_t k = f->sent++;

		if (f->ckind == WIRE_COLL_ALLGATHER)
			rc = fed_send_allgather(f, k);
		else
			rc = fed_send_coll(f, (f->me + (1u << k)) % f->nnodes,
			    k, NULL, 0);
		if (rc == -1 || f->job->failed)
			return;
	}
	if (f->sent == f->nsteps && f->rmask[p] == (f->nsteps >= 32 ?
	    0xffffffffu : (1u << f->nsteps) - 1))
		fed_coll_complete(f);
}

static int
fed_check_kind(struct fed *f, uint32_t seq, uint32_t node, uint32_t kind,
    uint64_t bytes)
{
	struct job *j = f->job;
	char a[160];

	if (kind == f->ckind && bytes == f->cbytes)
		return 0;
	job_fail(j, FB_E_MISMATCH, f->by_node[f->nodes[node].first],
	    "collective #%u: node %s called %s with %llu bytes, this node "
	    "(%s) called %s with %llu bytes", seq, fed_node_name(
	    &f->nodes[node], a, sizeof a), wire_coll_name(kind),
	    (unsigned long long)bytes, tcp_hostname(),
	    wire_coll_name(f->ckind), (unsigned long long)f->cbytes);
	return -1;
}

/* Every local rank arrived at collective seq (0: all joined, PMIx). */
static void
fed_arrived(struct job *j, uint32_t seq)
{
	struct fed *f = j->fed;
	uint32_t p = seq & 1;

	f->running = 1;
	f->cseq = seq;
	f->ckind = seq == 0 ? WIRE_COLL_BARRIER : j->coll_kind;
	f->cbytes = seq == 0 ? 0 : j->coll_bytes;
	f->sent = 0;
	f->nsteps = f->ckind == WIRE_COLL_ALLTOALL ? 1 : fed_log2(f->nnodes);
	if (f->rset[p] && fed_check_kind(f, seq, f->rnode[p], f->rkind[p],
	    f->rbytes[p]) == -1)
		return;
	if (f->nnodes == 1) {
		fed_coll_complete(f);
		return;
	}
	fed_coll_progress(f);
}

/* A step from another node. */
static void
fed_coll_recv(struct fed *f, uint32_t node, const struct wpeer_coll *m)
{
	struct job *j = f->job;
	uint32_t base, p = m->seq & 1, n = f->nnodes, i, b, s, d;
	const uint8_t *r = m->data;
	char a[160];
	size_t len;

	base = f->running ? f->cseq : j->state != JOB_FORMING ?
	    j->coll_seq + 1 : 0;
	if (m->seq != base && m->seq != base + 1)
		goto bad;
	if (f->rset[p] && (f->rkind[p] != m->kind ||
	    f->rbytes[p] != m->bytes))
		goto bad;
	if (!f->rset[p]) {
		f->rset[p] = 1;
		f->rkind[p] = m->kind;
		f->rbytes[p] = m->bytes;
		f->rnode[p] = node;
	}
	if (f->running && m->seq == f->cseq &&
	    fed_check_kind(f, m->seq, node, m->kind, m->bytes) == -1)
		return;
	if (m->kind == WIRE_COLL_ALLTOALL) {
		const struct fed_node *from = &f->nodes[node],
		    *me = &f->nodes[f->me];

		len = (size_t)from->count * me->count * m->bytes;
		if (m->step != 0 || f->a2a[p][node] || m->len != len ||
		    m->bytes * j->nranks > f->slot_bytes)
			goto bad;
		for (s = 0; s < from->count; s++) {
			uint8_t *slot = fed_slot(f, m->seq,
			    f->by_node[from->first + s]);

			for (d = 0; d < me->count; d++, r += m->bytes)
				memcpy(slot + (size_t)f->by_node[me->first +
				    d] * m->bytes, r, m->bytes);
		}
		f->a2a[p][node] = 1;
		f->a2an[p]++;
	} else {
		uint32_t dist = 1u << m->step;

		if (m->step >= fed_log2(n) || (f->rmask[p] & (1u << m->step)))
			goto bad;
		if (m->kind == WIRE_COLL_BARRIER) {
			if (node != (f->me + n - dist % n) % n || m->len != 0)
				goto bad;
		} else {
			uint32_t cnt = dist < n - dist ? dist : n - dist;

			if (node != (f->me + dist) % n)
				goto bad;
			for (b = 0, len = 0; b < cnt; b++)
				len += (size_t)f->nodes[(node + b) % n].count *
				    m->bytes;
			if (m->len != len)
				goto bad;
			for (b = 0; b < cnt; b++) {
				const struct fed_node *nd =
				    &f->nodes[(node + b) % n];

				for (i = 0; i < nd->count; i++, r += m->bytes)
					memcpy(fed_slot(f, m->seq,
					    f->by_node[nd->first + i]), r,
					    m->bytes);
			}
		}
		f->rmask[p] |= 1u << m->step;
	}
	if (f->running && m->seq == f->cseq)
		fed_coll_progress(f);
	return;
bad:
	job_fail(j, FB_E_PROTO, WIRE_NO_RANK, "node %s sent a bad step %u of "
	    "%s #%u (%u bytes; this node is at #%u)",
	    fed_node_name(&f->nodes[node], a, sizeof a), m->step,
	    wire_coll_name(m->kind), m->seq, m->len, base);
}

/* ------------------------------------------------------------------ */
/* Send and receive across nodes. */

/*
 * May this send be acknowledged here, before the receiver's node has it?
 * Within the window to that node, for a small message to a rank not known
 * to have left (whose node must say so: FB_E_PEER_LOST, as before).  Yes:
 * the send is counted in the window until its MSG_ACK comes.
 */
static int
fed_hold(struct fed *f, uint32_t node, uint32_t rank, uint32_t seq,
    const struct wire_msg *m)
{
	struct fed_node *n = &f->nodes[node];
	struct fed_held *h;
	uint32_t cost = m->len + FED_HELD_COST, room = FED_HELD_BYTES;

	if (f->nnodes > 1 && FED_HELD_TOTAL / (f->nnodes - 1) < room)
		room = FED_HELD_TOTAL / (f->nnodes - 1);
	if (!n->heard || m->len > FED_HELD_MSG ||
	    n->held_n == FED_HELD_MAX || n->held_bytes + cost > room ||
	    f->job->rstate[m->peer] == TABLE_RANK_LEFT ||
	    (f->held_off != NULL && f->held_off[m->peer]))
		return 0;
	if (n->held == NULL &&
	    (n->held = calloc(FED_HELD_MAX, sizeof *n->held)) == NULL)
		return 0;
	h = &n->held[(n->held_head + n->held_n) % FED_HELD_MAX];
	h->src = rank;
	h->seq = seq;
	h->len = cost;
	n->held_n++;
	n->held_bytes += cost;
	return 1;
}

/* Receiver rank over its cap (on), or not (off). */
static void
fed_held_off(struct fed *f, uint32_t rank, int on)
{
	if (rank >= f->job->nranks || (f->held_off == NULL && !on))
		return;
	if (f->held_off == NULL &&
	    (f->held_off = calloc(f->job->nranks, 1)) == NULL)
		return;		/* no memory: hold as before (bounded) */
	f->held_off[rank] = (uint8_t)on;
}

/*
 * A MSG_ACK from node: 1 if it answers a send acknowledged here (MSG_HELD),
 * whose place in the window it frees; its rank heard already.  The node
 * answers in the order it was sent to, so that is the oldest.
 */
static int
fed_held_done(struct fed *f, uint32_t node, const struct wpeer_status *m)
{
	struct fed_node *n = &f->nodes[node];
	uint32_t i, k = 0;

	for (i = 0; i < n->held_n; i++) {
		k = (n->held_head + i) % FED_HELD_MAX;
		if (n->held[k].src == m->src && n->held[k].seq == m->sendseq)
			break;
	}
	if (i == n->held_n)
		return 0;
	n->held_bytes -= n->held[k].len;
	n->held[k] = n->held[n->held_head];
	n->held_head = (n->held_head + 1) % FED_HELD_MAX;
	n->held_n--;
	if (m->code == FB_E_LIMIT)
		/* Delivered, past the receiver's cap: no more held sends to
		 * it until its node takes one again. */
		fed_held_off(f, m->rank, 1);
	else if (m->code != 0) {
		/* The receiver left meanwhile, or the job failed: as a
		 * message still queued for a rank that leaves, it goes. */
		dstats.peer_held_undelivered++;
		log_debug("job %u: a message from rank %u acknowledged here "
		    "was not delivered on node %u: %.*s", f->job->id, m->src,
		    node, (int)m->text_len, m->text);
	}
	return 1;
}

static void
fed_send(struct job *j, uint32_t rank, uint32_t seq, const struct wire_msg *m)
{
	struct fed *f = j->fed;
	uint32_t node = f->node_of_rank[m->peer];
	uint8_t head[WPEER_MSG_HDR], frame[WIRE_STATUS_FRAME_MAX];
	struct iovec iov[2];
	char text[WIRE_TEXT_MAX], a[160];
	int held;

	if (f->nodes[node].lost) {
		snprintf(text, sizeof text, "send to rank %u: its node %s "
		    "was lost", m->peer, fed_node_name(&f->nodes[node], a,
		    sizeof a));
		job_send_frame(j, rank, frame, wire_encode_status(frame,
		    WIRE_SEND_ACK, seq, FB_E_PEER_LOST, m->peer, text));
		return;
	}
	wire_put32(head, rank);
	wire_put32(head + 4, m->peer);
	wire_put32(head + 8, m->tag);
	wire_put32(head + 12, seq);
	iov[0].iov_base = head;
	iov[0].iov_len = sizeof head;
	iov[1].iov_base = (void *)m->data;
	iov[1].iov_len = m->len;
	/* Within the window: acknowledged here, at once.  Otherwise the
	 * acknowledgement comes from the receiver's node. */
	held = fed_hold(f, node, rank, seq, m);
	if (fed_send_node(f, node, held ? WPEER_MSG_HELD : WPEER_MSG, iov,
	    m->len > 0 ? 2 : 1) == -1 || !held)
		return;		/* a lost node failed the job */
	dstats.peer_msgs_held++;
	job_send_frame(j, rank, frame, wire_encode_status(frame,
	    WIRE_SEND_ACK, seq, 0, m->peer, NULL));
}

static void
fed_msg_ack(struct fed *f, uint32_t node, uint32_t src, uint32_t sendseq,
    int code, uint32_t rank, const char *text)
{
	uint8_t head[WPEER_ACK_HDR];
	struct iovec iov[2];

	wire_put32(head, src);
	wire_put32(head + 4, sendseq);
	wire_put32(head + 8, (uint32_t)code);
	wire_put32(head + 12, rank);
	iov[0].iov_base = head;
	iov[0].iov_len = sizeof head;
	iov[1].iov_base = (void *)text;
	iov[1].iov_len = text != NULL ? strnlen(text, WPEER_TEXT_MAX) : 0;
	fed_send_node(f, node, WPEER_MSG_ACK, iov, iov[1].iov_len ? 2 : 1);
}

static void
fed_msg_recv(struct fed *f, uint32_t node, const struct wpeer_msg *m,
    int held)
{
	struct job *j = f->job;
	uint8_t hdr[WIRE_HDR_LEN + WIRE_MSG_HDR_LEN];
	struct transport *dst;
	struct iovec iov[2];
	char text[WIRE_TEXT_MAX];
	int over;

	if (m->dst >= j->nranks || m->src >= j->nranks ||
	    f->node_of_rank[m->dst] != f->me ||
	    f->node_of_rank[m->src] != node) {
		job_fail(j, FB_E_PROTO, WIRE_NO_RANK, "node %u sent a message "
		    "from rank %u to rank %u: not theirs and ours", node,
		    m->src, m->dst);
		return;
	}
	if (j->failed) {
		fed_msg_ack(f, node, m->src, m->sendseq, j->failed,
		    j->failed_rank, j->error);
		return;
	}
	if (!job_reachable(j, m->dst)) {
		snprintf(text, sizeof text, "send to rank %u: it left the job",
		    m->dst);
		fed_msg_ack(f, node, m->src, m->sendseq, FB_E_PEER_LOST,
		    m->dst, text);
		return;
	}
	dst = j->links[m->dst];
	over = transport_pending(dst) + m->len > dconf.max_pending;
	/* A held one was acknowledged already: it is delivered all the same,
	 * and the answer tells its node to hold no more for this receiver
	 * (the sending node's window bounds what it adds past the cap). */
	if (over && !held) {
		snprintf(text, sizeof text, "send to rank %u: it has %zu "
		    "bytes not yet received, the cap is %llu", m->dst,
		    transport_pending(dst),
		    (unsigned long long)dconf.max_pending);
		fed_msg_ack(f, node, m->src, m->sendseq, FB_E_LIMIT, m->dst,
		    text);
		return;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = wire_encode_msg_hdr(hdr, WIRE_DELIVER, m->sendseq,
	    m->src, m->tag, m->len);
	iov[1].iov_base = (void *)m->data;
	iov[1].iov_len = m->len;
	transport_send(dst, iov, 2);
	dstats.messages++;
	fed_msg_ack(f, node, m->src, m->sendseq, over ? FB_E_LIMIT : 0,
	    m->dst, over ? "delivered past the receiver's cap" : NULL);
}

static void
fed_ack_recv(struct fed *f, uint32_t node, const struct wpeer_status *m)
{
	struct job *j = f->job;
	uint8_t frame[WIRE_STATUS_FRAME_MAX];
	char text[WIRE_TEXT_MAX];
	size_t n;

	if (fed_held_done(f, node, m))
		return;
	/* Refused as full, or taken again: held sends to that receiver
	 * stop, or may start again. */
	if (m->code == FB_E_LIMIT || m->code == 0)
		fed_held_off(f, m->rank, m->code == FB_E_LIMIT);
	if (m->src >= j->nranks || !job_reachable(j, m->src))
		return;		/* the sender went meanwhile */
	n = m->text_len < sizeof text - 1 ? m->text_len : sizeof text - 1;
	memcpy(text, m->text, n);
	text[n] = '\0';
	job_send_frame(j, m->src, frame, wire_encode_status(frame,
	    WIRE_SEND_ACK, m->sendseq, m->code, m->rank, n > 0 ? text : NULL));
}

/* A local rank left cleanly: every node must know (LEFT comes after the
 * rank's messages on each link). */
static void
fed_left(struct job *j, uint32_t rank)
{
	struct fed *f = j->fed;
	uint8_t b[WPEER_LEFT_LEN];
	struct iovec iov = { b, sizeof b };

	if (!f->mapped)
		return;
	f->nodes[f->me].nleft++;
	wire_put32(b, rank);
	wire_put32(b + 4, j->coll_seq);
	fed_broadcast(f, WPEER_LEFT, &iov, 1);
}

/* A failed job's FAIL frame: head (WPEER_FAIL_HDR bytes) and iov[2]. */
static void
fed_fail_frame(struct job *j, uint8_t *head, struct iovec *iov)
{
	wire_put32(head, (uint32_t)j->failed);
	wire_put32(head + 4, j->failed_rank);
	iov[0].iov_base = head;
	iov[0].iov_len = WPEER_FAIL_HDR;
	iov[1].iov_base = j->error;
	iov[1].iov_len = strnlen(j->error, WPEER_TEXT_MAX);
}

/* The job failed here: tell the other nodes, unless they told us. */
static void
fed_failed(struct job *j)
{
	struct fed *f = j->fed;
	uint8_t head[WPEER_FAIL_HDR];
	struct iovec iov[2];

	f->running = 0;
	fed_early_drop(f);
	if (f->remote_fail)
		return;
	fed_fail_frame(j, head, iov);
	fed_broadcast(f, WPEER_FAIL, iov, 2);
}

/*
 * The root's job failed before node's JOIN (on link p, whose MAC held)
 * was taken, or because of it: the broadcast did not reach that node, so
 * it hears the FAIL here, at once, rather than waiting for a map until its
 * ranks time out.
 */
static void
fed_fail_joiner(struct fed *f, struct peer *p)
{
	uint8_t head[WPEER_FAIL_HDR];
	struct iovec iov[2];

	fed_fail_frame(f->job, head, iov);
	peer_send_job(p, WPEER_FAIL, &f->mac, f->tag, WPEER_NO_NODE, iov, 2);
}

/* ------------------------------------------------------------------ */
/* Frames from other daemons. */

static void
fed_fail_remote(struct fed *f, const struct wpeer_status *m)
{
	f->remote_fail = 1;
	job_fail(f->job, m->code, m->rank, "%.*s", (int)m->text_len, m->text);
}

/* A frame whose MAC holds, for a job with its map (or JOIN/RANKS/MAP). */
static void
fed_handle(struct fed *f, struct peer *p, uint16_t type, uint32_t node,
    const uint8_t *body, uint32_t len)
{
	struct job *j = f->job;
	union {
		struct wpeer_join join;
		struct wpeer_ranks ranks;
		struct wpeer_map map;
		struct wpeer_coll coll;
		struct wpeer_msg msg;
		struct wpeer_status st;
		uint32_t left[2];
	} u;
	uint32_t i, d;
	int rc = WIRE_EVALUE, di = -1;
	uint8_t head[12];
	struct iovec rest[2];
	char a[160];

	switch (type) {
	case WPEER_JOIN:
	case WPEER_RANKS:
		if (!f->root || f->mapped)
			goto bad;
		if (type == WPEER_JOIN) {
			if ((rc = wpeer_decode_join(body, len, &u.join)) !=
			    WIRE_OK)
				goto bad;
			if (!j->failed && (u.join.nranks != j->nranks ||
			    u.join.flags != j->flags))
				job_fail(j, FB_E_MISMATCH, WIRE_NO_RANK,
				    "node %s joined with nranks=%u, the job "
				    "has nranks=%u", u.join.host,
				    u.join.nranks, j->nranks);
			else if (!j->failed &&
			    (di = fed_dn_add(f, &u.join.ep, u.join.host)) < 0)
				job_fail(j, FB_E_LIMIT, WIRE_NO_RANK, "too "
				    "many nodes");
			u.ranks.nlist = u.join.nlist;
			u.ranks.list = u.join.list;
		} else {
			if ((rc = wpeer_decode_ranks(body, len, &u.ranks)) !=
			    WIRE_OK)
				goto bad;
			for (di = 0; di < (int)f->ndn; di++)
				if (wpeer_ep_equal(&f->dn[di].ep, &p->ep))
					break;
			if (di == (int)f->ndn)
				goto bad;
		}
		/* Failed before this node joined, by its JOIN, or while no
		 * link to it was there: the broadcast FAIL missed it. */
		if (j->failed) {
			fed_fail_joiner(f, p);
			return;
		}
		p->jobs_served += type == WPEER_JOIN;
		for (i = 0; i < u.ranks.nlist; i++)
			if (fed_record(f, (uint32_t)di,
			    wire_get32(u.ranks.list + i * 4)) == -1)
				return;
		fed_root_complete(f);
		return;
	case WPEER_MAP:
		if (f->root && f->mapped)
			return;	/* our own map, back from our tree parent */
		if (f->root || f->mapped || f->pmix)
			goto bad;
		/* One that came to nothing failed the job: the arrays it
		 * made stay until the job goes, and no other is taken. */
		if (j->failed || f->nodes != NULL)
			return;
		if ((rc = wpeer_decode_map(body, len, &u.map)) != WIRE_OK ||
		    u.map.nranks != j->nranks)
			goto bad;
		/* From the root, or from our parent in the tree. */
		if (node != WPEER_NO_NODE && (u.map.node == 0 ||
		    node != fed_tree_parent(u.map.node)))
			goto bad;
		f->nnodes = u.map.nnodes;
		f->me = u.map.node;
		f->nodes = calloc(f->nnodes, sizeof *f->nodes);
		f->node_of_rank = calloc(j->nranks, sizeof *f->node_of_rank);
		if (f->nodes == NULL || f->node_of_rank == NULL) {
			job_fail(j, FB_E_NOMEM, WIRE_NO_RANK, "out of memory");
			return;
		}
		for (i = 0; i < f->nnodes; i++) {
			const uint8_t *e = u.map.nodes + i * WPEER_MAP_NODE_LEN;

			if (wpeer_get_ep(e, &f->nodes[i].ep) != WIRE_OK)
				goto bad;
			wpeer_get_host(e + WPEER_EP_LEN, f->nodes[i].host);
		}
		for (i = 0; i < j->nranks; i++) {
			d = wire_get32(u.map.node_of_rank + i * 4);
			if (d >= f->nnodes)
				goto bad;
			f->node_of_rank[i] = d;
		}
		/* Our own ranks must be where the map says. */
		for (i = 0; i < j->nranks; i++)
			if (j->rstate[i] != TABLE_RANK_ABSENT &&
			    f->node_of_rank[i] != f->me)
				goto bad;
		if (fed_build_map(f) == -1)
			goto bad;
		f->mapped = 1;
		p->jobs_served++;
		/* Our subtree's copies first: they are the longer path. */
		memcpy(head, body, sizeof head);
		rest[0].iov_base = (void *)u.map.nodes;
		rest[0].iov_len = (size_t)f->nnodes * WPEER_MAP_NODE_LEN;
		rest[1].iov_base = (void *)u.map.node_of_rank;
		rest[1].iov_len = (size_t)j->nranks * 4;
		fed_map_down(f, head, rest, f->me);
		if (j->fed != f || j->failed)
			return;
		fed_apply_map(f);
		return;
	case WPEER_FAIL:
		if ((rc = wpeer_decode_fail(body, len, &u.st)) != WIRE_OK)
			goto bad;
		fed_fail_remote(f, &u.st);
		return;
	}
	/* The rest needs the map and a sender that is a node of the job. */
	if (!f->mapped || node >= f->nnodes || node == f->me)
		goto bad;
	f->nodes[node].heard = 1;
	switch (type) {
	case WPEER_COLL:
		if ((rc = wpeer_decode_coll(body, len, &u.coll)) != WIRE_OK)
			goto bad;
		fed_coll_recv(f, node, &u.coll);
		return;
	case WPEER_MSG:
	case WPEER_MSG_HELD:
		if ((rc = wpeer_decode_msg(body, len, &u.msg)) != WIRE_OK)
			goto bad;
		fed_msg_recv(f, node, &u.msg, type == WPEER_MSG_HELD);
		return;
	case WPEER_MSG_ACK:
		if ((rc = wpeer_decode_ack(body, len, &u.st)) != WIRE_OK)
			goto bad;
		fed_ack_recv(f, node, &u.st);
		return;
	case WPEER_LEFT:
		if ((rc = wpeer_decode_left(body, len, &u.left[0],
		    &u.left[1])) != WIRE_OK || u.left[0] >= j->nranks ||
		    f->node_of_rank[u.left[0]] != node)
			goto bad;
		fed_left_recv(f, node, u.left[0], u.left[1]);
		return;
	}
bad:
	/* p is NULL for a frame kept before the map whose link is gone. */
	snprintf(a, sizeof a, "%s", p != NULL ? peer_name(p) : "(a link now "
	    "closed)");
	job_fail(j, FB_E_PROTO, WIRE_NO_RANK, "node %s sent a %s frame this "
	    "node cannot use: %s", a, wpeer_type_name(type),
	    wire_status_name(rc));
}

/*
 * Rank (of node) left cleanly after its node completed collective #done.
 * A collective after that one can never complete: one that this node is
 * in fails now (a later one fails as it begins, job_arrive); #done itself
 * completes, since its steps from that node are all on their way.
 */
static void
fed_left_recv(struct fed *f, uint32_t node, uint32_t rank, uint32_t done)
{
	struct job *j = f->job;
	uint32_t seq = f->running ? f->cseq : j->state == JOB_COLLECTIVE ?
	    j->coll_seq + 1 : 0, gen;
	char a[160];

	/* Ranks here already waiting in the table (TABLE_NODE_ARRIVE)
	 * before the node's last one arrived: in the next collective. */
	if (seq == 0 && j->node_arrive && j->state == JOB_RUNNING &&
	    table_pending(&j->table, &gen))
		seq = j->coll_seq + 1;
	if (j->rstate[rank] == TABLE_RANK_LEFT)
		return;
	j->rstate[rank] = TABLE_RANK_LEFT;
	j->nleft++;
	f->nodes[node].nleft++;
	job_tell_left(j, rank);
	if (seq != 0 && seq > done)
		job_fail(j, FB_E_PEER_LOST, rank, "rank %u, on node %s, left "
		    "the job (fb_comm_destroy) after collective #%u; %s #%u "
		    "needs it", rank, fed_node_name(&f->nodes[node], a,
		    sizeof a), done, f->running ? wire_coll_name(f->ckind) :
		    j->state == JOB_COLLECTIVE ? wire_coll_name(j->coll_kind) :
		    "collective", seq);
}

static void
fed_keep_verified(struct fed *f, struct peer *p, uint16_t type, uint32_t node,
    const uint8_t *body, uint32_t len)
{
	struct fed_early *e, **pp;
	size_t max = f->map_size + dconf.max_pending;

	if (f->job->failed)
		return;		/* no map will come to use it */
	if (f->nearly >= FED_EARLY_JOB || len > max - f->early_bytes) {
		job_fail(f->job, FB_E_LIMIT, WIRE_NO_RANK, "node %s sent more "
		    "than this node keeps of a job before its node map (%u "
		    "frames, %zu bytes; a %s frame of %u bytes came with %u "
		    "frames, %zu bytes kept)", peer_name(p), FED_EARLY_JOB, max,
		    wpeer_type_name(type), len, f->nearly, f->early_bytes);
		return;
	}
	if ((e = malloc(sizeof *e + len)) == NULL) {
		job_fail(f->job, FB_E_NOMEM, WIRE_NO_RANK, "out of memory for "
		    "a frame that came before the node map");
		return;
	}
	e->next = NULL;
	e->peer = p;
	e->moved = 0;
	e->type = type;
	e->node = node;
	e->len = len;
	memcpy(e->buf, body, len);
	for (pp = &f->early; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = e;
	f->nearly++;
	f->early_bytes += len;
}

/* Frames kept for the map, of no use once the job failed (or had it). */
static void
fed_early_drop(struct fed *f)
{
	struct fed_early *e, *next;

	for (e = f->early; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	f->early = NULL;
	f->nearly = 0;
	f->early_bytes = 0;
}

/* A frame of a job we may not know yet: keep it a while (bounded). */
static void
fed_keep_unknown(struct peer *p, const uint8_t *frame, size_t len)
{
	struct fed_early *e, **pp, *old;
	uint64_t now = clock_mono_ns();

	if (len > FED_EARLY_BYTES || p->early >= FED_EARLY_PEER) {
		dstats.peer_early_dropped++;
		if (log_ratelimit())
			log_warnx("peer %s: dropping a frame of a job not "
			    "known here: %s", peer_name(p), len >
			    FED_EARLY_BYTES ? "too large to keep" : "this "
			    "link's room for such frames is full");
		return;
	}
	/* Expire old ones; at the cap, drop the oldest. */
	while ((old = fed_early_list) != NULL && (now - old->at_ns >
	    FED_EARLY_TTL_NS || fed_nearly >= FED_EARLY_MAX)) {
		fed_early_list = old->next;
		fed_nearly--;
		fed_early_free(old);
	}
	if ((e = malloc(sizeof *e + len)) == NULL)
		return;
	e->next = NULL;
	e->peer = p;
	e->moved = 0;
	e->at_ns = now;
	memcpy(e->nonce, p->nonce, sizeof e->nonce);
	memcpy(e->rnonce, p->rnonce, sizeof e->rnonce);
	e->len = len;
	memcpy(e->buf, frame, len);
	for (pp = &fed_early_list; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = e;
	fed_nearly++;
	p->early++;
}

static void fed_verified(struct fed *, struct peer *,
    const struct wire_hdr *, const struct wpeer_job *);
static void fed_bad_mac(struct peer *, uint16_t, int);

/* A kept frame's header and job part: 0, or -1 if its link is gone (or
 * it does not decode). */
static int
fed_early_decode(const struct fed_early *e, struct wire_hdr *h,
    struct wpeer_job *m)
{
	if (e->peer == NULL || e->peer->dead ||
	    wire_decode_hdr_untrusted(e->buf, e->len, WIRE_FROM_PEER, h) !=
	    WIRE_OK || wpeer_decode_job(e->buf + WPEER_HDR_LEN, h->length,
	    m) != WIRE_OK)
		return -1;
	return 0;
}

/* A job appeared here: frames that came for it before. */
static void
fed_replay_unknown(struct fed *f)
{
	struct fed_early **pp = &fed_early_list, *e;
	struct wire_hdr h;
	struct wpeer_job m;
	uint8_t tag[WPEER_TAG_LEN];

	memcpy(tag, f->tag, sizeof tag);
	while ((e = *pp) != NULL) {
		if (memcmp(e->buf + WPEER_HDR_LEN, f->tag,
		    WPEER_TAG_LEN) != 0) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		fed_nearly--;
		if (fed_early_decode(e, &h, &m) == 0) {
			if (peer_verify_nonces(e->nonce, e->rnonce, &f->mac,
			    e->buf, e->len) == 0)
				fed_verified(f, e->peer, &h, &m);
			else
				fed_bad_mac(e->peer, h.type, e->moved);
		}
		fed_early_free(e);
		/* The job may be gone (f with it), and a link closed for a bad
		 * MAC takes its kept frames out of the list, the one pp points
		 * into among them: look again from the head. */
		if (fed_find(tag) != f)
			return;
		pp = &fed_early_list;
	}
}

/*
 * A frame on p failed its MAC: drop the link.  One that never proved
 * anything is someone without the secret (logged rate-limited, by the
 * address it really came from); it stood for no node, so no job fails
 * (fed_peer_lost).  A frame kept from a link that was handed over (moved)
 * is only dropped: its link is gone, and the one it moved to sent nothing
 * wrong.
 */
static void
fed_bad_mac(struct peer *p, uint16_t type, int moved)
{
	if (moved) {
		log_warnx("peer %s: a %s frame kept from its handed-over link "
		    "failed its MAC: dropped", peer_name(p),
		    wpeer_type_name(type));
		return;
	}
	if (p->authed)
		log_warnx("peer %s: a %s frame failed its MAC: dropping the "
		    "link", peer_name(p), wpeer_type_name(type));
	else if (log_ratelimit())
		log_warnx("peer link from %s (its HELLO claimed %s): a %s "
		    "frame failed its MAC: dropping it", p->outbound ?
		    peer_name(p) : p->from, peer_name(p),
		    wpeer_type_name(type));
	peer_close(p, "a %s frame failed its MAC", wpeer_type_name(type));
}

static void
fed_verified(struct fed *f, struct peer *p, const struct wire_hdr *h,
    const struct wpeer_job *m)
{
	peer_authed(p);
	if (h->type == WPEER_PROOF)
		return;		/* it said only that: the link may carry jobs */
	if (!f->mapped && h->type != WPEER_JOIN && h->type != WPEER_RANKS &&
	    h->type != WPEER_MAP && h->type != WPEER_FAIL) {
		fed_keep_verified(f, p, h->type, m->node, m->body, m->body_len);
		return;
	}
	fed_handle(f, p, h->type, m->node, m->body, m->body_len);
}

/*
 * The root hears of a job it made the id of, from a node's JOIN; the link's
 * nonces are those of the link the JOIN came on (it may have been kept).
 */
static struct fed *
fed_root_job(struct peer *p, const struct wpeer_job *m, const uint8_t *frame,
    size_t len, const struct fed_early *kept)
{
	struct fed_reg *r;
	crypto_auth_hmacsha512256_state st;
	struct wpeer_join jm;
	uint8_t tag[WPEER_TAG_LEN];
	struct job *j;
	struct fed *f;
	char text[WPEER_TEXT_MAX];
	struct timeval tv = { FB_DEFAULT_TIMEOUT_MS / 1000 + 5, 0 };
	int next, bad;

	if ((r = fed_reg_find(m->tag, &next)) == NULL) {
		snprintf(text, sizeof text, "node %s (root) knows no job with "
		    "this id: it did not make it, it restarted since, or the "
		    "id was used again on other nodes than before",
		    tcp_hostname());
		peer_refuse(p, m->tag, FB_E_PERM, text);
		log_info("peer %s: refused a job this daemon did not make",
		    peer_name(p));
		return NULL;
	}
	if (next && fed_find(r->tag) != NULL) {
		/* The next job under the id, while the one before it has not
		 * ended here: its JOIN waits for that (fed_retry_cb). */
		dstats.peer_gen_kept++;
		fed_keep_unknown(p, frame, len);
		return NULL;
	}
	if (next) {
		snprintf(text, sizeof text, "node %s (root) counts %u jobs "
		    "under this id and the node that sent this JOIN one more: "
		    "every job under an id used again must span the same "
		    "nodes", tcp_hostname(), r->gen);
		peer_refuse(p, m->tag, FB_E_MISMATCH, text);
		log_info("peer %s: refused generation %u of an id whose "
		    "generation here is %u", peer_name(p), r->gen + 1,
		    r->gen);
		return NULL;
	}
	fed_keys(r->key, r->gen, tag, &st);
	bad = kept != NULL ? peer_verify_nonces(kept->nonce, kept->rnonce,
	    &st, frame, len) : peer_verify(p, &st, frame, len);
	sodium_memzero(&st, sizeof st);
	if (bad == -1) {
		fed_bad_mac(p, WPEER_JOIN, kept != NULL && kept->moved);
		return NULL;
	}
	r->at_ns = clock_mono_ns();	/* in use: kept an hour more */
	peer_authed(p);
	if (wpeer_decode_join(m->body, m->body_len, &jm) != WIRE_OK ||
	    jm.flags != (WIRE_JOIN_DAEMON_COLL | WIRE_JOIN_MULTINODE)) {
		peer_close(p, "bad JOIN");
		return NULL;
	}
	if ((j = job_create(r->key, r->uid, jm.nranks, jm.flags)) == NULL) {
		snprintf(text, sizeof text, "node %s cannot take the job: %s",
		    tcp_hostname(), errno == EUSERS ? "its job or rank cap" :
		    errno == EDQUOT ? "the user's job cap" : strerror(errno));
		peer_refuse(p, m->tag, FB_E_LIMIT, text);
		return NULL;
	}
	if ((f = fed_new(j)) == NULL) {
		job_free(j);
		peer_refuse(p, m->tag, FB_E_NOMEM, "out of memory");
		return NULL;
	}
	f->root = 1;
	if (tcp_primary() != NULL)
		f->root_ep = *tcp_primary();
	/* Until one of its own ranks joins, nothing else keeps it. */
	evtimer_add(f->ev_expire, &tv);
	return f;
}

/*
 * A job under an id made here ended: JOINs of the next job under it that
 * came before, kept, start it now (unless a rank of it joined here first).
 */
static void
fed_retry_cb(int fd, short events, void *arg)
{
	struct fed_early **pp = &fed_early_list, *e;
	struct wire_hdr h;
	struct wpeer_job m;
	struct fed *f;
	int next;

	while ((e = *pp) != NULL) {
		if (fed_early_decode(e, &h, &m) != 0 || h.type != WPEER_JOIN ||
		    fed_find(m.tag) != NULL ||
		    fed_reg_find(m.tag, &next) == NULL || next) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		fed_nearly--;
		f = fed_root_job(e->peer, &m, e->buf, e->len, e);
		if (f != NULL) {
			fed_handle(f, e->peer, h.type, m.node, m.body,
			    m.body_len);
			if (fed_find(m.tag) == f)
				fed_replay_unknown(f);
		}
		fed_early_free(e);
		pp = &fed_early_list;	/* the list may have changed */
	}
}

/* A job frame from a link (its sequence number checked). */
static void
fed_frame(struct peer *p, const struct wire_hdr *h, const uint8_t *frame,
    size_t len)
{
	struct wpeer_job m;
	struct fed *f;
	int rc;

	if ((rc = wpeer_decode_job(frame + WPEER_HDR_LEN, h->length, &m)) !=
	    WIRE_OK) {
		peer_close(p, "bad %s: %s", wpeer_type_name(h->type),
		    wire_status_name(rc));
		return;
	}
	if (h->type == WPEER_RETIRE) {
		/* The sender's last frame on p, sealed under the last job it
		 * sent there: checked if that job is still here; if not, p
		 * closes all the same (it stands for nothing here, and what
		 * came before RETIRE on it was read). */
		if ((f = fed_find(m.tag)) != NULL &&
		    peer_verify(p, &f->mac, frame, len) == -1) {
			fed_bad_mac(p, h->type, 0);
			return;
		}
		peer_retire_in(p, f != NULL);
		return;
	}
	if ((f = fed_find(m.tag)) == NULL) {
		if (h->type == WPEER_JOIN) {
			if ((f = fed_root_job(p, &m, frame, len, NULL)) ==
			    NULL)
				return;
			fed_handle(f, p, h->type, m.node, m.body, m.body_len);
			if (fed_find(m.tag) == f)
				fed_replay_unknown(f);
			return;
		}
		/*
		 * A LEFT or a MSG_ACK follows what ranks did after the whole
		 * job had joined, so every node knew it: one of a job not
		 * known here comes after the job ended here.  Kept, they
		 * filled a link's room for frames that come before their job
		 * (FED_EARLY_PEER) for a minute, 8 LEFTs per job and link at
		 * 8 x 8, and a next job's first COLL was dropped: its barrier
		 * hung until the ranks' timeout.
		 */
		if (h->type == WPEER_LEFT || h->type == WPEER_MSG_ACK) {
			dstats.peer_stale++;
			return;
		}
		fed_keep_unknown(p, frame, len);
		return;
	}
	if (peer_verify(p, &f->mac, frame, len) == -1) {
		/* Nobody without the secret can make one: not a link to
		 * keep. */
		fed_bad_mac(p, h->type, 0);
		return;
	}
	fed_verified(f, p, h, &m);
}

static void
fed_refused(struct peer *p, const struct wpeer_refuse *r)
{
	struct fed *f = fed_find(r->tag);

	/*
	 * REFUSE carries no MAC and the tag travels in clear: only the root
	 * refuses, and only a JOIN, so only one for a job still in discovery
	 * that sent its JOIN, on a link to the root that is the root's (we
	 * opened it to that endpoint, or a MAC held on it), counts.
	 */
	if (f == NULL)
		return;
	if (f->root || f->pmix || f->mapped || !f->join_sent ||
	    !wpeer_ep_equal(&p->ep, &f->root_ep) ||
	    (!p->outbound && !p->authed)) {
		if (log_ratelimit())
			log_warnx("peer link from %s (its HELLO claimed %s): "
			    "ignored a REFUSE of job %u: only its root node %s "
			    "may refuse it, during discovery", p->outbound ?
			    peer_name(p) : p->from, peer_name(p), f->job->id,
			    f->root_name[0] != '\0' ? f->root_name : "(none)");
		return;
	}
	job_fail(f->job, r->code, WIRE_NO_RANK, "node %s refused the job: "
	    "%.*s", peer_name(p), (int)r->text_len, r->text);
}

static void
fed_peer_up(struct peer *p)
{
	/* Frames waiting for the link went out in order (peer.c). */
	log_debug("peer %s: ready for jobs", peer_name(p));
}

static void
fed_node_lost(struct fed *f, uint32_t node, const char *why)
{
	struct fed_node *n = &f->nodes[node];
	char a[160], ranks[256];

	if (n->lost)
		return;
	n->lost = 1;
	if (n->nleft == n->count)
		return;		/* all its ranks left cleanly */
	fed_node_ranks(f, n, ranks, sizeof ranks);
	job_fail(f->job, FB_E_PEER_LOST, f->by_node[n->first], "node %s, "
	    "ranks %s, lost: %s", fed_node_name(n, a, sizeof a), ranks, why);
}

/* Frames that jobs keep until their map and that came on from: now to's
 * (NULL: their link is gone). */
static void
fed_early_relink(const struct peer *from, struct peer *to)
{
	struct fed_early *e;
	struct fed *f;

	for (f = fed_list; f != NULL; f = f->lnext)
		for (e = f->early; e != NULL; e = e->next)
			if (e->peer == from)
				e->peer = to;
}

/* A link went down: every job with a node behind it fails. */
static void
fed_peer_lost(struct peer *p, const char *why)
{
	struct fed *f, *next;
	struct fed_early **pp, *e;
	uint32_t i;

	for (pp = &fed_early_list; (e = *pp) != NULL;) {
		if (e->peer == p) {
			*pp = e->next;
			fed_nearly--;
			free(e);
		} else
			pp = &e->next;
	}
	p->early = 0;
	fed_early_relink(p, NULL);
	/* Only the link that stands for a node is that node's loss. */
	if (!peer_stands(p))
		return;
	for (f = fed_list; f != NULL; f = next) {
		next = f->lnext;
		if (f->job->failed)
			continue;
		if (f->mapped) {
			for (i = 0; i < f->nnodes; i++)
				if (i != f->me &&
				    wpeer_ep_equal(&f->nodes[i].ep, &p->ep))
					fed_node_lost(f, i, why);
		} else if (!f->root) {
			if (wpeer_ep_equal(&f->root_ep, &p->ep))
				job_fail(f->job, FB_E_PEER_LOST, WIRE_NO_RANK,
				    "the job's root node %s was lost during "
				    "discovery: %s", f->root_name, why);
		} else {
			for (i = 0; i < f->ndn; i++)
				if ((int)i + 1 != f->self_dn &&
				    wpeer_ep_equal(&f->dn[i].ep, &p->ep)) {
					job_fail(f->job, FB_E_PEER_LOST,
					    WIRE_NO_RANK, "node %s (%s) was "
					    "lost during discovery: %s",
					    f->dn[i].host, p->name, why);
					break;
				}
		}
	}
}

/* A link was handed over: the frames kept from it (their MACs checked
 * with its nonces later) now count as the other link's. */
static void
fed_peer_moved(struct peer *from, struct peer *to)
{
	struct fed_early *e;

	for (e = fed_early_list; e != NULL; e = e->next) {
		if (e->peer != from)
			continue;
		e->peer = to;
		e->moved = 1;
		if (to != NULL)
			to->early++;
	}
	from->early = 0;
	fed_early_relink(from, to);
}

static int
fed_peer_busy(const struct peer *p)
{
	const struct fed *f;
	uint32_t i;

	for (f = fed_list; f != NULL; f = f->lnext) {
		if (!f->mapped)
			return 1;
		for (i = 0; i < f->nnodes; i++)
			if (wpeer_ep_equal(&f->nodes[i].ep, &p->ep))
				return 1;
	}
	return 0;
}

/* For fastbootctl jobs: the nodes and which are missing. */
void
fed_describe(const struct job *j, struct evbuffer *b)
{
	const struct fed *f = j->fed;
	char a[160];
	uint32_t i;
	int first = 1;

	if (f == NULL)
		return;
	evbuffer_add_printf(b, "discovery %s\n", f->pmix ? "pmix" :
	    f->root ? "root" : "id");
	if (!f->mapped) {
		evbuffer_add_printf(b, "nodes %u\n", f->root ? f->ndn : 0);
		evbuffer_add_printf(b, "node_list ");
		for (i = 0; f->root && i < f->ndn; i++)
			evbuffer_add_printf(b, "%s%s", i ? "," : "",
			    fed_node_name(&f->dn[i], a, sizeof a));
		evbuffer_add_printf(b, "\nmissing_nodes unknown "
		    "(discovery)\n");
		return;
	}
	evbuffer_add_printf(b, "nodes %u\nnode %u\n", f->nnodes, f->me);
	evbuffer_add_printf(b, "node_list ");
	for (i = 0; i < f->nnodes; i++)
		evbuffer_add_printf(b, "%s%s", i ? "," : "",
		    fed_node_name(&f->nodes[i], a, sizeof a));
	evbuffer_add_printf(b, "\nmissing_nodes ");
	for (i = 0; i < f->nnodes; i++) {
		if (i == f->me || !f->nodes[i].lost)
			continue;
		evbuffer_add_printf(b, "%s%s", first ? "" : ",",
		    fed_node_name(&f->nodes[i], a, sizeof a));
		first = 0;
	}
	if (first)
		evbuffer_add_printf(b, "none");
	evbuffer_add_printf(b, "\n");
}

/*
 * What a job across nodes waits for, as this daemon sees it: the ranks the
 * root has not heard of, the map, or the node whose step has not come.
 */
static void
fed_pending(const struct job *j, char *buf, size_t size)
{
	const struct fed *f = j->fed;
	uint32_t *v, r, n = 0, p, k, node, dist;
	char ranks[160], a[160];

	buf[0] = '\0';
	if (!f->mapped && f->pmix) {
		for (r = 0; f->lookups != NULL && r < f->nnodes; r++)
			if (f->lookups[r] != NULL && !f->lookups[r]->done)
				break;
		snprintf(buf, size, "node %s is resolving %u host names of "
		    "the PMIx map (%s among them)", tcp_hostname(),
		    f->nresolving, f->lookups != NULL && r < f->nnodes ?
		    f->nodes[r].host : "?");
		return;
	}
	if (!f->mapped && !f->root) {
		snprintf(buf, size, "node %s has no node map yet from the "
		    "job's root node %s", tcp_hostname(), f->root_name);
		return;
	}
	if (!f->mapped) {
		if ((v = calloc(j->nranks, sizeof *v)) == NULL)
			return;
		for (r = 0; r < j->nranks; r++)
			if (f->dnode == NULL || f->dnode[r] == 0)
				v[n++] = r;
		util_ranges(ranks, sizeof ranks, v, n);
		free(v);
		snprintf(buf, size, "the root node %s has heard of %u of %u "
		    "ranks on %u nodes; no node reported ranks %s",
		    tcp_hostname(), f->dcount, j->nranks, f->ndn, ranks);
		return;
	}
	if (!f->running) {
		snprintf(buf, size, "node %s: its own ranks have not all "
		    "arrived", tcp_hostname());
		return;
	}
	p = f->cseq & 1;
	if (f->ckind == WIRE_COLL_ALLTOALL) {
		for (node = 0; node < f->nnodes; node++) {
			if (node == f->me || f->a2a[p][node])
				continue;
			fed_node_ranks(f, &f->nodes[node], ranks,
			    sizeof ranks);
			snprintf(buf, size, "node %s (%u of the others not "
			    "yet) has not sent node %s its part of %s #%u: "
			    "ranks %s", fed_node_name(&f->nodes[node], a,
			    sizeof a), f->nnodes - 1 - f->a2an[p],
			    tcp_hostname(), wire_coll_name(f->ckind), f->cseq,
			    ranks);
			return;
		}
		return;
	}
	for (k = 0; k < f->nsteps; k++)
		if (!(f->rmask[p] & (1u << k)))
			break;
	if (k == f->nsteps)
		return;
	dist = 1u << k;
	node = f->ckind == WIRE_COLL_BARRIER ? (f->me + f->nnodes - dist) %
	    f->nnodes : (f->me + dist) % f->nnodes;
	fed_node_ranks(f, &f->nodes[node], ranks, sizeof ranks);
	snprintf(buf, size, "node %s, ranks %s, has not sent node %s step %u "
	    "of %s #%u (it or a node before it is late)",
	    fed_node_name(&f->nodes[node], a, sizeof a), ranks,
	    tcp_hostname(), k, f->cseq == 0 ? "init" :
	    wire_coll_name(f->ckind), f->cseq);
}

void
fed_ctl_peers(struct evbuffer *b)
{
	const struct peer *p;
	uint64_t now = clock_mono_ns();
	char a[64];

	for (p = peer_first(); p != NULL; p = p->next) {
		wpeer_ep_format(&p->ep, a, sizeof a);
		evbuffer_add_printf(b, "peer %s\n", a);
		evbuffer_add_printf(b, "host %s\n", p->host[0] ? p->host : "?");
		evbuffer_add_printf(b, "state %s\n", p->state == PEER_UP ?
		    "up" : p->state == PEER_HELLO ? "hello" :
		    p->state == PEER_WAITING ? "waiting" : "connecting");
		evbuffer_add_printf(b, "direction %s\n", p->outbound ?
		    "outbound" : "inbound");
		evbuffer_add_printf(b, "preferred %d\n", p->preferred);
		evbuffer_add_printf(b, "retired %s\n", p->retired ? "sent" :
		    p->retire_in ? "received" : "no");
		evbuffer_add_printf(b, "jobs %llu\n",
		    (unsigned long long)p->jobs_served);
		evbuffer_add_printf(b, "frames_in %llu\n",
		    (unsigned long long)p->frames_in);
		evbuffer_add_printf(b, "frames_out %llu\n",
		    (unsigned long long)p->frames_out);
		evbuffer_add_printf(b, "connects %d\n", p->tries + 1);
		evbuffer_add_printf(b, "age_s %llu\n", (unsigned long long)
		    ((now - p->since_ns) / 1000000000u));
		evbuffer_add_printf(b, "idle_s %llu\n", (unsigned long long)
		    ((now - p->last_ns) / 1000000000u));
		evbuffer_add_printf(b, "end\n");
	}
}
