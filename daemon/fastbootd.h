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

#include "wire/wire.h"
#include "wire/peer.h"
#include "wire/table.h"

struct job;
struct conn;
struct conn_node;
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
	int handshake_ms;	/* HELLO + JOIN must come within this */
	int peer_timeout_ms;	/* a silent peer link is lost after this */
	int peer_idle_s;	/* an unused peer link is closed after this */
	uint32_t max_peers;	/* peer links at once */
	const char *node_name;	/* this node's name for the others */
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
	uint64_t discovery_rounds;	/* jobs mapped through the id's root */
	uint64_t pmix_jobs;	/* jobs whose map came with JOIN (PMIx) */
};

extern struct daemon_config dconf;
extern struct daemon_stats dstats;
extern struct event_base *dbase;

/* log.c */
void log_init(int debug, int journal);
void log_setverbose(int);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
int log_ratelimit(void);

/* util.c */
uint64_t util_now_ns(void);		/* CLOCK_MONOTONIC */
uint64_t util_wall_ns(void);		/* CLOCK_REALTIME */
int util_set_nonblock(int);
void util_ranges(char *buf, size_t size, const uint32_t *v, size_t n);

/* listener.c */
int listener_open(void);
void listener_close(void);
int listener_activated(void);

/* notify.c */
void notify_init(void);
void notify_ready(void);
void notify_status(void);
void notify_stopping(void);

/* conn.c */
enum conn_state {
	CONN_HELLO,		/* waiting for HELLO */
	CONN_IDLE,		/* HELLO done: JOIN or a control request next */
	CONN_MEMBER,		/* rank of a job */
	CONN_CTL,		/* fastbootctl */
	CONN_CLOSING,		/* flushing a last reply, then closed */
};

struct conn {
	int fd;
	enum conn_state state;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	uint64_t id;
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_timer;	/* handshake deadline, closing deadline */
	uint8_t *rbuf;
	size_t rlen;
	size_t rsize;
	struct evbuffer *out;	/* bytes the socket would not take yet */
	struct job *job;
	uint32_t rank;
	int left;		/* sent LEAVE */
	uint32_t wait_peer;	/* +1: blocked in recv from this rank */
	struct conn_node *node;	/* in conn.c's list of all connections */
};

struct conn *conn_accept(int fd);
void conn_free(struct conn *);
int conn_send(struct conn *, const void *, size_t);
int conn_send2(struct conn *, const void *, size_t, const void *, size_t);
int conn_send_fds(struct conn *, const void *, size_t, const int *, int);
void conn_error(struct conn *, int code, const char *, ...)
    __attribute__((format(printf, 3, 4)));
size_t conn_pending(const struct conn *);
void conn_close_all(void);

/* job.c */
enum job_coll_state { JOB_COLL_NONE, JOB_COLL_OPEN };

struct job {
	uint8_t key[WIRE_KEY_LEN];
	uint32_t id;
	uid_t uid;
	uint32_t nranks;
	uint32_t flags;		/* WIRE_JOIN_* of the first rank */
	uint32_t joined;	/* ranks that joined (and are still counted) */
	uint32_t nlocal;	/* ranks on this node (nranks on one node) */
	uint32_t attached;	/* connections that reference the job */
	int ready;		/* all ranks joined once */
	int failed;		/* FB_E_* of the sticky failure, 0 if none */
	char error[WIRE_TEXT_MAX];
	uint32_t failed_rank;
	struct conn **ranks;	/* by rank; NULL: absent or gone */
	uint8_t *rstate;	/* by rank: enum table_rank_state */
	uint32_t *rarrived;	/* by rank: last collective it arrived at */
	uint32_t nleft;		/* ranks that left cleanly */
	uint32_t nwaiting;	/* members blocked in recv (WAIT) */
	/* The collective in progress. */
	uint32_t coll_seq;	/* last completed collective */
	uint32_t coll_kind;	/* of the open one, 0 if none */
	uint64_t coll_bytes;
	uint32_t coll_first;	/* rank that opened it */
	uint32_t coll_arrived;
	uint64_t coll_since_ns;
	uint64_t created_ns;
	uint64_t ready_ns;
	/* Shared memory. */
	int memfd;
	int evfd;		/* wakes ranks in shared-memory collectives */
	uint64_t table_size;
	uint64_t ctl_size;
	struct table_hdr *tab;	/* the mapped control part */
	struct table_rank *trank;
	struct fed *fed;	/* multi-node state, NULL on one node */
	struct job *hnext;	/* hash chain */
	struct job *lnext;	/* list of all jobs, for status */
	struct job *lprev;
};

struct job *job_find(const uint8_t *key);
int job_join(struct conn *, const struct wire_join *);
void job_detach(struct conn *);		/* connection gone (EOF or drop) */
void job_leave(struct conn *);		/* LEAVE */
void job_arrive(struct conn *, uint32_t seq, const struct wire_arrive *);
void job_send(struct conn *, uint32_t seq, const struct wire_msg *);
void job_abort(struct conn *, const struct wire_status_msg *);
void job_wait(struct conn *, uint32_t peer);
void job_fail(struct job *, int code, uint32_t rank, const char *, ...)
    __attribute__((format(printf, 4, 5)));
struct job *job_first(void);
uint32_t job_collectives(const struct job *);
uint64_t job_collectives_served(void);
void job_missing(const struct job *, char *, size_t);
void job_registered(const struct job *, char *, size_t);

void job_release(struct job *, uint32_t seq);
void job_tell_left(struct job *, uint32_t rank);
struct job *job_create(const uint8_t *key, uid_t uid, uint32_t nranks,
    uint32_t flags);
void job_free(struct job *);
void job_send_ready(struct job *, uint32_t rank, uint32_t local_rank,
    uint32_t local_size, uint32_t node, uint32_t nnodes);

/* table.c */
int table_create(struct job *);
void table_destroy(struct job *);
void table_set_rank(struct job *, uint32_t rank, uint32_t state,
    const struct conn *);
void table_set_arrived(struct job *, uint32_t rank, uint64_t seq);
void table_set_failed(struct job *, int code);
void table_set_left(struct job *);
int table_pending(const struct job *, uint32_t *gen);
int table_missed(const struct job *, uint32_t rank, uint32_t gen);
uint64_t table_since(const struct job *, uint64_t now);

/* tcp.c: listening sockets, interface choice, socket options */
int tcp_add_spec(const char *);
int tcp_open(void);
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
enum peer_state { PEER_CONNECTING, PEER_HELLO, PEER_UP };

struct peer {
	int fd;
	enum peer_state state;
	int outbound;
	int preferred;		/* the link we send on toward ep */
	int dead;
	int tries;
	int retrying;
	struct wpeer_ep ep;	/* where the peer daemon listens */
	char host[WPEER_HOST_LEN];
	char name[WPEER_HOST_LEN + 72];	/* "host (addr:port)" */
	uint64_t instance;
	uint8_t nonce[WPEER_NONCE_LEN];	/* ours */
	uint8_t rnonce[WPEER_NONCE_LEN];	/* the peer's */
	uint32_t sseq;		/* last sent */
	uint32_t rseq;		/* last received */
	uint64_t since_ns;
	uint64_t last_ns;	/* last job frame either way */
	uint64_t rx_ns;		/* last bytes received */
	uint64_t tx_ns;		/* last frame sent */
	uint64_t jobs_served;
	uint64_t frames_in;
	uint64_t frames_out;
	uint32_t early;		/* frames of unknown jobs held */
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_timer;	/* connect, HELLO, idle */
	struct event *ev_beat;	/* heartbeat and silence check when up */
	uint8_t *rbuf;
	size_t rlen;
	size_t rsize;
	size_t rwant;
	struct evbuffer *out;
	struct peer_q *q;	/* job frames waiting for the peer's nonce */
	struct peer *next, *prev;
};

struct peer *peer_get(const struct wpeer_ep *);
struct peer *peer_find(const struct wpeer_ep *);
struct peer *peer_first(void);
void peer_accept(int fd, const struct sockaddr *);
int peer_send_job(struct peer *, uint16_t type,
    const crypto_auth_hmacsha512256_state *, const uint8_t *tag,
    uint32_t node, const struct iovec *, int);
int peer_verify(const struct peer *, const crypto_auth_hmacsha512256_state *,
    const uint8_t *frame, size_t len);
void peer_refuse(struct peer *, const uint8_t *tag, int code, const char *);
void peer_close(struct peer *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void peer_close_all(void);
const char *peer_name(const struct peer *);
uint32_t peer_links(void);

/* fed.c: a job across nodes */
int fed_init(void);
int fed_join(struct conn *, struct job *, const struct wire_join *);
void fed_rank_joined(struct job *, uint32_t rank);
void fed_arrived(struct job *, uint32_t seq);
int fed_is_remote(const struct job *, uint32_t rank);
void fed_send(struct conn *, uint32_t seq, const struct wire_msg *);
void fed_left(struct job *, uint32_t rank);
void fed_failed(struct job *);
void fed_free(struct job *);
void fed_frame(struct peer *, const struct wpeer_hdr *, const uint8_t *,
    size_t);
void fed_refused(struct peer *, const struct wpeer_refuse *);
void fed_peer_up(struct peer *);
void fed_peer_lost(struct peer *, const char *why);
int fed_peer_busy(const struct peer *);
void fed_register_id(struct conn *);
void fed_describe(const struct job *, struct evbuffer *);
void fed_pending(const struct job *, char *, size_t);
void fed_ctl_peers(struct conn *, struct evbuffer *);

/* ctl.c */
void ctl_status(struct conn *);
void ctl_jobs(struct conn *);
void ctl_peers(struct conn *);

/* uidmap.c: connections and jobs per uid */
enum uidmap_kind { UIDMAP_CONN, UIDMAP_JOB, UIDMAP_NKINDS };
int uidmap_add(uid_t, enum uidmap_kind);
void uidmap_del(uid_t, enum uidmap_kind);

#endif /* FASTBOOTD_H */
