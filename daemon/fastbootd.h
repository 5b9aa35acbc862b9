/*
 * fastbootd.h - the daemon's private header: one block per file.
 */
#ifndef FASTBOOTD_H
#define FASTBOOTD_H

#include <sys/types.h>
#include <stdarg.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/buffer.h>

#include <sodium.h>

#include "wire/clock.h"
#include "wire/wire.h"
#include "wire/peer.h"
#include "wire/table.h"
#include "wire/reader.h"

struct job;
struct peer;
struct fed;

/* Settings from the command line. */
struct daemon_config {
	const char *socket_path;
	mode_t socket_mode;
	int verbose;
	int foreground_log;	/* 1: stderr with <N> prefixes (journal) */
	int allow_root;		/* root may join other users' jobs */
	uint32_t max_jobs;
	uint32_t max_ranks;	/* per job */
	uint32_t max_conns;	/* in all */
	uint32_t max_conns_per_uid;
	uint32_t max_jobs_per_uid;
	uint64_t max_pending;	/* undelivered send bytes per receiving rank */
	uint64_t max_memory;	/* everything buffered, all users together */
	uint32_t max_fds;	/* descriptors for clients (main.c sets it) */
	uint32_t max_lingering_per_uid;	/* failed-job records kept */
	uint32_t ctl_rate;	/* control requests per second per uid */
	int handshake_ms;	/* HELLO + JOIN must come within this */
	int peer_timeout_ms;	/* a silent peer link is lost after this */
	int peer_hang_ms;	/* ... or this, if its kernel still ACKs */
	int peer_idle_s;	/* an unused peer link is closed after this */
	uint32_t max_peers;	/* peer links at once */
	const char *node_name;	/* this node's name for the others */
	int sched_batch;	/* SCHED_BATCH unless told otherwise */
};

/* Counters for status and fastbootctl. */
struct daemon_stats {
	uint64_t started_ns;
	uint64_t conns_accepted;
	uint64_t conns_dropped;	/* for protocol errors */
	uint64_t jobs_created;
	uint64_t jobs_failed;
	uint64_t collectives;	/* of finished jobs: job_collectives_served() */
	uint64_t messages;
	uint32_t conns;
	uint32_t jobs;
	uint32_t ranks;
	uint64_t peer_connects;	/* TCP links opened or accepted, in all */
	uint32_t peer_links;	/* up now */
	uint64_t peer_starved;	/* links whose daemon fell silent, kernel up */
	uint64_t peer_late_beats;	/* our late beats that forgave once */
	uint64_t peer_handovers;	/* RETIREs sent or received */
	uint64_t peer_handover_waits;	/* frames held for a RETIRE */
	uint64_t peer_handover_fallbacks;	/* holds ended without one */
	uint64_t peer_stale;	/* LEFT, MSG_ACK of jobs ended here: dropped */
	uint64_t peer_early_dropped;	/* frames of unknown jobs not kept */
	uint64_t peer_gen_evicted;	/* ids' generation records dropped
					 * for room (fed.c) */
	uint64_t peer_gen_kept;		/* JOINs of an id's next job kept
					 * until the job before it ended */
	uint64_t peer_msgs_held;	/* sends to other nodes acknowledged
					 * here at once (MSG_HELD) */
	uint64_t peer_held_undelivered;	/* of those, not delivered there
					 * (receiver left, job failed) */
	uint32_t fds;		/* client connections and job tables */
	uint32_t lingering;	/* failed-job records */
	uint64_t buffered;	/* bytes held for clients, in and out */
	uint64_t buffered_peak;
	uint64_t discovery_rounds;	/* jobs mapped through the id's root */
	uint64_t pmix_jobs;	/* jobs whose map came with JOIN (PMIx) */
	uint64_t map_sent;	/* MAP copies sent (root or tree forwarder) */
	uint64_t map_bytes_sent;	/* their bodies' bytes */
	uint64_t coll_node_arrivals;	/* collectives across nodes that
					 * this node's ranks arrived at
					 * through the table (one ARRIVE) */
	uint64_t coll_rank_arrivals;	/* ... each with its own ARRIVE */
};

extern struct daemon_config dconf;
extern struct daemon_stats dstats;
extern struct event_base *dbase;

/* log.c */
void log_init(int debug, int journal);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
int log_ratelimit(void);

/* util.c */
int util_set_nonblock(int);
void util_accept_failed(struct event *listening, struct event *backoff,
    const char *what);
void util_accept_resume(int, short, void *);
void util_ranges(char *buf, size_t size, const uint32_t *v, size_t n);

/* listener.c: accepted sockets go to the function given to listener_open */
int listener_open(void (*accept_fn)(int));
void listener_close(void);
int listener_activated(void);

/* notify.c: status_fn writes the STATUS= text (the caller's counters) */
void notify_init(void (*status_fn)(char *, size_t));
void notify_ready(void);
void notify_status(void);
void notify_stopping(void);

/* transport.c: bytes, buffers, descriptors and deadlines of a stream */
struct transport;
struct transport_ops {
	/* One whole frame whose header passed the decoder; NULL exactly
	 * once, when the transport is about to be freed. */
	void (*dispatch)(void *ctx, const struct wire_frame *);
	/* The byte stream broke (code FB_E_*, text says how); the transport
	 * closes after the owner had its say (an error reply, say). */
	void (*fault)(void *ctx, int code, const char *text);
	/* The deadline of transport_set_deadline() passed. */
	void (*expired)(void *ctx);
	/* Optional: bytes came in (once per read that got some, before
	 * their frames are dispatched); must not close the transport. */
	void (*input)(void *ctx);
};
#define TRANSPORT_FDS	0x1	/* may pass descriptors (AF_UNIX) */
#define TRANSPORT_ONE_REPLY 0x2	/* no frame read while output is queued */

struct transport *transport_new(int fd, int from, int flags, size_t out_max,
    const struct transport_ops *, void *ctx);
int transport_send(struct transport *, const struct iovec *, int);
int transport_send1(struct transport *, const void *, size_t);
int transport_send_fds(struct transport *, const void *, size_t,
    const int *, int);
size_t transport_pending(const struct transport *);	/* output queued */
void transport_buffered(const struct transport *, size_t *in, size_t *out);
void transport_set_deadline(struct transport *, int ms);	/* -1: none */
void transport_close(struct transport *);	/* flush, then free */
int transport_closing(const struct transport *);
void transport_drop(struct transport *);	/* free now */
void transport_set_flags(struct transport *, int flags);
/* Optional, for owners that budget.  admit: a frame's header came and its
 * payload is on its way: 0 lets it in, a negative FB_E_* refuses it (text
 * in err; the transport faults) before any room is made for the payload.
 * account: the memory held for the stream (input buffer, queued output)
 * changed by delta bytes. */
void transport_set_budget(struct transport *,
    int (*admit)(void *, const struct wire_hdr *, char *),
    void (*account)(void *, int64_t));
/* Optional: full(ctx) says the owner holds more than its share; then the
 * next frame waits until the peer has read all that is queued for it. */
void transport_set_full(struct transport *, int (*full)(void *));
void transport_hold(struct transport *, int ms);	/* stop reading */
/* In dispatch(): take that frame back and stop reading until undefer. */
void transport_defer(struct transport *, const struct wire_frame *);
void transport_undefer(struct transport *);
size_t transport_held(const struct transport *);	/* memory it holds */
void transport_close_all(const struct transport_ops *);	/* one owner's */
int transport_fd(const struct transport *);	/* for socket options */
/* In dispatch(NULL): the errno that ended the stream; 0 for EOF or an end
 * the owner asked for (transport_close(), a fault). */
int transport_errno(const struct transport *);

/* conn.c: the client protocol on a transport (HELLO, JOIN, ranks, ctl) */
struct conn_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};
void conn_accept(int fd);
void conn_close_all(void);

/* table.c: a job's shared-memory rank table */
struct table {
	int memfd;
	int evfd;		/* wakes ranks in shared-memory collectives */
	uint64_t size;
	uint64_t ctl_size;
	struct table_hdr *hdr;	/* the mapped control part; NULL: none */
	struct table_rank *rank;
};
int table_create(struct table *, uint32_t nranks, uint32_t job_id);
void table_destroy(struct table *);
#define TABLE_SPARE_NRANKS	8	/* the spare made at startup */
void table_spare_fill(uint32_t nranks);
void table_spare_free(void);
void table_set_rank(struct table *, uint32_t rank, uint32_t state,
    const struct conn_cred *, uint32_t joined);
void table_set_arrived(struct table *, uint32_t rank, uint64_t seq);
void table_set_failed(struct table *, int code);
void table_set_left(struct table *, uint32_t nleft);
void table_set_ready(struct table *, uint32_t wake);
void table_set_wake(struct table *, uint32_t wake);
void table_wake(struct table *);
void table_release(struct table *, uint32_t seq);
uint64_t table_arrival(const struct table *, uint32_t rank, uint32_t *kind,
    uint64_t *bytes);
uint32_t table_gen(const struct table *);
int table_pending(const struct table *, uint32_t *gen);
int table_missed(const struct table *, uint32_t rank, uint32_t gen);
uint64_t table_since(const struct table *, uint64_t now);

/* job.c */
enum job_state {
	JOB_FORMING,		/* ranks still joining */
	JOB_RUNNING,		/* all joined; no daemon collective open */
	JOB_COLLECTIVE,		/* a daemon collective is open */
	JOB_FAILED,		/* sticky: every rank got the error */
};

struct job {
	uint8_t key[WIRE_KEY_LEN];
	uint32_t id;
	uid_t uid;
	enum job_state state;	/* changed by job_set_state() only */
	uint32_t nranks;
	uint32_t flags;		/* WIRE_JOIN_* of the first rank */
	uint32_t joined;	/* ranks that joined (and are still counted) */
	uint32_t nlocal;	/* ranks on this node (nranks on one node) */
	uint32_t attached;	/* connections that reference the job */
	int failed;		/* FB_E_* of the sticky failure, 0 if none */
	char error[WIRE_TEXT_MAX];
	uint32_t failed_rank;
	struct transport **links;	/* by rank; NULL: absent or gone */
	pid_t *rpid;		/* by rank: for error texts */
	uint32_t *rwait;	/* by rank: +1 of the peer it waits on */
	uint8_t *rstate;	/* by rank: enum table_rank_state */
	uint8_t *rtready;	/* by rank: JOB_RT_* (job.c), what it takes */
	uint32_t *rarrived;	/* by rank: last collective it arrived at */
	uint32_t nleft;		/* ranks that left cleanly */
	uint32_t nwaiting;	/* members blocked in recv (WAIT) */
	int node_arrive;	/* across nodes, its ranks here arrive through
				 * the table (TABLE_NODE_ARRIVE) */
	/* The daemon collective: open in JOB_COLLECTIVE. */
	uint32_t coll_seq;	/* last completed collective */
	uint32_t coll_kind;
	uint64_t coll_bytes;
	uint32_t coll_first;	/* rank that opened it */
	uint32_t coll_arrived;
	uint64_t coll_since_ns;
	uint64_t created_ns;
	uint64_t ready_ns;	/* 0: never all joined */
	int unhashed;		/* an old generation: job_find misses it */
	int lingering;		/* failed, kept whole until job_linger_cb */
	struct job_waiter *waiters;	/* JOINs of the next generation */
	struct table table;
	struct fed *fed;	/* multi-node state, NULL on one node */
	struct job *hnext;	/* hash chain */
	struct job *lnext;	/* list of all jobs, for status */
	struct job *lprev;
};

/* What fastbootctl shows of a job: job_view() fills it. */
struct job_view {
	const char *state;	/* forming, running, collective, failed */
	uint32_t collectives;
	int pending;		/* a phase is waiting for ranks */
	const char *pending_what;	/* init, barrier, ..., collective */
	uint32_t pending_seq;
	uint64_t waiting_ns;
};

/*
 * A JOIN that waits for the job that used its id before to end (its rank
 * left that job, whose other ranks are still leaving): job_join() returned
 * JOB_JOIN_WAIT and fn(arg) is called once, when to present it again.
 */
struct job_waiter {
	void (*fn)(void *);
	void *arg;
	struct job *job;	/* the job it waits on; NULL: none */
	struct job_waiter *next, *prev;
};
#define JOB_JOIN_WAIT	1
void job_waiter_cancel(struct job_waiter *);

/* Calls from conn.c.  A negative FB_E_* return means "drop this
 * connection with this error", its text in err (WIRE_TEXT_MAX bytes). */
int job_join(struct transport *, const struct conn_cred *,
    const struct wire_join *, uint32_t hello_flags, struct job **,
    char *err, struct job_waiter *);
void job_detach(struct job *, uint32_t rank, int shutdown);
void job_leave(struct job *, uint32_t rank);
int job_arrive(struct job *, uint32_t rank, uint32_t seq,
    const struct wire_arrive *, char *err);
int job_send(struct job *, uint32_t rank, uint32_t seq,
    const struct wire_msg *, char *err);
void job_abort(struct job *, uint32_t rank, const struct wire_status_msg *);
int job_wait(struct job *, uint32_t rank, uint32_t peer, char *err);

struct job *job_find(const uint8_t *key);
struct job *job_first(void);
const char *job_state_name(enum job_state);
void job_view(const struct job *, uint64_t now, struct job_view *);
uint64_t job_collectives_served(void);
uint32_t job_collectives(const struct job *);
void job_missing(const struct job *, char *, size_t);
void job_registered(const struct job *, char *, size_t);
void job_status_text(char *, size_t);	/* for notify.c's STATUS= */

/* A job across nodes: fed.c's part, called through these so that job.c
 * does not depend on it (scripts/deps.sh). */
struct job_hooks {
	int (*join)(struct job *, const struct wire_join *, char *err);
	void (*joined)(struct job *, uint32_t rank);
	void (*arrived)(struct job *, uint32_t seq);
	int (*remote)(const struct job *, uint32_t rank);
	/* This node's ranks, *n of them (none before the map). */
	const uint32_t *(*locals)(const struct job *, uint32_t *n);
	void (*send)(struct job *, uint32_t rank, uint32_t seq,
	    const struct wire_msg *);
	void (*left)(struct job *, uint32_t rank);
	void (*failed)(struct job *);
	void (*free)(struct job *);
	void (*pending)(const struct job *, char *, size_t);
};
void job_set_hooks(const struct job_hooks *);
void job_release(struct job *, uint32_t seq);
void job_tell_left(struct job *, uint32_t rank);
struct job *job_create(const uint8_t *key, uid_t uid, uint32_t nranks,
    uint32_t flags);
void job_free(struct job *);
void job_fail(struct job *, int code, uint32_t rank, const char *, ...)
    __attribute__((format(printf, 4, 5)));
void job_ready(struct job *, uint32_t rank, uint32_t local_rank,
    uint32_t local_size, uint32_t node, uint32_t nnodes);
void job_running(struct job *);
int job_refuse(char *err, int code, const char *, ...)
    __attribute__((format(printf, 3, 4)));
void job_send_frame(struct job *, uint32_t rank, const void *, size_t);
int job_reachable(const struct job *, uint32_t rank);

/* tcp.c: listening sockets, interface choice, socket options */
struct sockaddr;
int tcp_add_spec(const char *);
int tcp_open(void (*accept)(int, const struct sockaddr *));
void tcp_close(void);
int tcp_endpoints(struct wpeer_ep *, int max);
const struct wpeer_ep *tcp_primary(void);
int tcp_is_self(const struct wpeer_ep *);
const char *tcp_hostname(void);
uint64_t tcp_instance(void);
void tcp_set_options(int fd);
void tcp_quickack(int fd);
struct sockaddr;
struct sockaddr_storage;
void tcp_sa_to_ep(const struct sockaddr *, struct wpeer_ep *);
socklen_t tcp_ep_to_sa(const struct wpeer_ep *, struct sockaddr_storage *);

/* peer.c: warm TCP links between daemons */
enum peer_state { PEER_WAITING, PEER_CONNECTING, PEER_HELLO, PEER_UP };

struct peer {
	struct transport *t;	/* the link's bytes, once connected */
	int cfd;		/* the socket while connecting, else -1 */
	enum peer_state state;
	int outbound;
	int preferred;		/* the link we send on toward ep */
	int authed;		/* a job frame's MAC held on it */
	int retired;		/* we sent RETIRE on it: nothing more of ours */
	int retire_in;		/* the peer sent RETIRE on it */
	int deferred;		/* its input waits for a RETIRE on another */
	uint64_t defer_ns;	/* since when */
	uint64_t handover_ns;	/* the test's delay: hand over after it */
	int retire_due;		/* the test's lag: RETIRE not sent yet */
	int kept;		/* a handover's winner here */
	int suspect;		/* counted in peer.c's peer_suspects */
	int stalled;		/* the test's lag: what we send waits in q */
	int dead;
	int tries;
	int retrying;
	struct wpeer_ep ep;	/* where the peer daemon listens */
	char host[WPEER_HOST_LEN];
	char name[WPEER_HOST_LEN + 72];	/* "host (addr:port)" */
	char from[64];		/* the address it came from (inbound) */
	struct wpeer_ep from_ep;	/* the same, as an endpoint */
	uint64_t instance;
	uint8_t nonce[WPEER_NONCE_LEN];	/* ours */
	uint8_t rnonce[WPEER_NONCE_LEN];	/* the peer's */
	uint32_t sseq;		/* last sent */
	uint32_t rseq;		/* last received */
	uint64_t since_ns;
	uint64_t last_ns;	/* last job frame either way */
	uint64_t rx_ns;		/* last bytes received */
	uint64_t tx_ns;		/* last frame sent */
	uint64_t beat_ns;	/* when the next beat is due */
	int grace;		/* a late beat was forgiven in this silence */
	int starved;		/* silent, but its kernel ACKs (logged once) */
	uint64_t idle_ns;	/* next check for --peer-idle */
	uint64_t q_ns;		/* since when frames wait in q */
	uint64_t jobs_served;
	uint64_t frames_in;
	uint64_t frames_out;
	uint32_t early;		/* frames of unknown jobs held */
	struct event *ev_connect;	/* the connect's completion */
	struct event *ev_timer;	/* waiting, connect retries and timeout */
	struct peer_q *q;	/* job frames waiting for the nonce or proof */
	/* The last job frame we sealed on it: its key, tag and node seal a
	 * RETIRE (the peer knows that job, or knew it lately). */
	int has_last;
	uint8_t last_tag[WPEER_TAG_LEN];
	uint32_t last_node;
	crypto_auth_hmacsha512256_state last_key;
	struct peer *next, *prev;
};

/* fed.c's part, called through these (no cycle between the files). */
struct peer_hooks {
	void (*frame)(struct peer *, const struct wire_hdr *,
	    const uint8_t *, size_t);
	void (*refused)(struct peer *, const struct wpeer_refuse *);
	void (*up)(struct peer *);
	void (*lost)(struct peer *, const char *why);
	int (*busy)(const struct peer *);
	/* from is retired: what fed.c keeps of it moves to to (or NULL). */
	void (*moved)(struct peer *from, struct peer *to);
};
void peer_set_hooks(const struct peer_hooks *);
/* peer_get's may_wait: open a link now if there is none; wait (up to
 * --peer-timeout) for a lower endpoint's link; a discovery JOIN (opens
 * now; only a test setting treats it apart). */
#define PEER_GET_NOW	0
#define PEER_GET_WAIT	1
#define PEER_GET_JOIN	2
struct peer *peer_get(const struct wpeer_ep *, int may_wait);
int peer_ep_cmp(const struct wpeer_ep *, const struct wpeer_ep *);
struct peer *peer_find(const struct wpeer_ep *);
int peer_stands(const struct peer *);
void peer_authed(struct peer *);
struct peer *peer_first(void);
void peer_accept(int fd, const struct sockaddr *);
int peer_send_job(struct peer *, uint16_t type,
    const crypto_auth_hmacsha512256_state *, const uint8_t *tag,
    uint32_t node, const struct iovec *, int);
int peer_prove(struct peer *, const crypto_auth_hmacsha512256_state *,
    const uint8_t *tag, uint32_t node);
int peer_verify(const struct peer *, const crypto_auth_hmacsha512256_state *,
    const uint8_t *frame, size_t len);
int peer_verify_nonces(const uint8_t *ours, const uint8_t *theirs,
    const crypto_auth_hmacsha512256_state *, const uint8_t *frame,
    size_t len);
void peer_retire_in(struct peer *, int verified);
void peer_refuse(struct peer *, const uint8_t *tag, int code, const char *);
void peer_close(struct peer *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void peer_close_all(void);
const char *peer_name(const struct peer *);
uint32_t peer_links(void);

/* fed.c: a job across nodes (registers its hooks in fed_init) */
int fed_init(void);
size_t fed_register_id(uid_t, uint8_t *frame);
void fed_describe(const struct job *, struct evbuffer *);
void fed_ctl_peers(struct evbuffer *);

/* ctl.c: fastbootctl's answers, written into b for uid */
int ctl_status(struct evbuffer *b, uid_t uid);
int ctl_jobs(struct evbuffer *b, uid_t uid);
int ctl_peers(struct evbuffer *b);

/* uidmap.c: what each uid holds of the daemon's finite resources, and
 * its counters (kept while the daemon runs: they are small). */
enum uidmap_kind { UIDMAP_CONN, UIDMAP_JOB, UIDMAP_FD, UIDMAP_NKINDS };
struct uidmap {
	uid_t uid;
	uint32_t count[UIDMAP_NKINDS];
	uint32_t ranks;
	uint32_t lingering;	/* failed-job records */
	uint64_t bytes;		/* buffered for its connections */
	uint64_t jobs_created;
	uint64_t jobs_failed;
	uint64_t collectives;	/* of its finished jobs */
	uint64_t messages;
	uint64_t tokens_ns;	/* control requests: bucket as a time */
	void *lfirst, *llast;	/* its failed-job records (job.c), oldest
				 * first */
	struct uidmap *next;
};
struct uidmap *uidmap_get(uid_t);	/* found or made; NULL: no memory */
struct uidmap *uidmap_find(uid_t);
int uidmap_share(uint64_t have, uint64_t n, uint64_t total, uint64_t cap);
int uidmap_add(uid_t, enum uidmap_kind);
void uidmap_del(uid_t, enum uidmap_kind);
int uidmap_fds(uid_t, uint32_t n, char *err);	/* 0, or FB_E_LIMIT */
void uidmap_fds_del(uid_t, uint32_t n);
int uidmap_bytes(uid_t, uint64_t n, char *err);	/* may n more be held? */
int uidmap_ctl_token(uid_t);	/* ms to wait before the next one */

#endif /* FASTBOOTD_H */
