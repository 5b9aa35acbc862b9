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

#include "wire/wire.h"
#include "wire/table.h"

struct job;
struct conn;
struct conn_node;

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

/* ctl.c */
void ctl_status(struct conn *);
void ctl_jobs(struct conn *);

/* uidmap.c: connections and jobs per uid */
enum uidmap_kind { UIDMAP_CONN, UIDMAP_JOB, UIDMAP_NKINDS };
int uidmap_add(uid_t, enum uidmap_kind);
void uidmap_del(uid_t, enum uidmap_kind);

#endif /* FASTBOOTD_H */
