/*
 * fastboot.h - bootstrap for the processes of a GPU job through the node's
 * fastbootd: job id, membership, barrier, allgather, alltoall, send/recv.
 *
 * Every call returns 0 on success or a negative FB_E_* code.  fb_strerror()
 * names a code; fb_comm_last_error() gives the detail of the last failure on
 * a handle (which rank, which phase, how long).  The library never exits,
 * aborts, prints (unless asked to), spins while waiting, starts threads or
 * touches signal dispositions.
 *
 * Threads: a handle is used by one thread at a time.  Distinct handles are
 * independent and may be used from different threads.
 * fork(): a child must not use its parent's handles; their descriptors are
 * close-on-exec and the child may simply drop them (never destroy them: that
 * would tell the daemon the parent's rank left).
 */
#ifndef FASTBOOT_H
#define FASTBOOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FB_EXPORT __attribute__((visibility("default")))
#else
#define FB_EXPORT
#endif

/* Version of this header; fb_version() gives that of the library. */
#define FB_VERSION_MAJOR 0
#define FB_VERSION_MINOR 1
#define FB_VERSION_PATCH 0

/* Error codes: always negative. */
enum fb_error {
	FB_OK = 0,
	FB_E_INVAL = -1,	/* bad argument or over a documented limit */
	FB_E_NOMEM = -2,	/* out of memory (here or in the daemon) */
	FB_E_TIMEOUT = -3,	/* deadline passed; detail names who is missing */
	FB_E_PEER_LOST = -4,	/* a rank of the job died or left */
	FB_E_DAEMON_LOST = -5,	/* fastbootd went away under us */
	FB_E_NODAEMON = -6,	/* nothing listening on the socket */
	FB_E_PROTO = -7,	/* malformed message from the other side */
	FB_E_VERSION = -8,	/* no protocol version in common */
	FB_E_PERM = -9,		/* job belongs to another user */
	FB_E_MISMATCH = -10,	/* ranks disagree on nranks or sizes */
	FB_E_SYS = -11,		/* a system call failed; detail has errno */
	FB_E_LIMIT = -12,	/* a daemon resource cap was reached */
	FB_E_ABORTED = -13,	/* another rank gave up (its timeout) */
	FB_E_NOGPU = -14,	/* CUDA helpers: no usable GPU */
};

/* Documented limits, enforced by library and daemon. */
#define FB_MAX_SLICE_BYTES	(1u << 20)	/* allgather bytes per rank */
#define FB_MAX_PEER_BYTES	(1u << 20)	/* alltoall bytes per peer */
#define FB_MAX_ALLTOALL_BYTES	(64u << 20)	/* alltoall bytes per rank, all peers */
#define FB_MAX_MSG_BYTES	(1u << 20)	/* one fb_send */
#define FB_MAX_NRANKS		65536		/* hard protocol limit */
#define FB_MAX_TAG		0x7fffffff

#define FB_DEFAULT_TIMEOUT_MS	30000
#define FB_DEFAULT_SOCKET	"/run/fastbootd/fastbootd.sock"

/* Opaque 128-byte job id: a random job secret plus routing information.
 * Made once per job by fb_get_unique_id() and broadcast by the launcher.
 * Treat it as a secret: whoever holds it (and runs as the job's user) can
 * join the job. */
#define FB_UNIQUE_ID_BYTES 128
typedef struct fb_unique_id {
	unsigned char internal[FB_UNIQUE_ID_BYTES];
} fb_unique_id;

typedef struct fb_comm fb_comm;

/* Log levels passed to the log callback. */
enum fb_log_level {
	FB_LOG_ERROR = 3,
	FB_LOG_WARNING = 4,
	FB_LOG_INFO = 6,
	FB_LOG_DEBUG = 7,
};
typedef void (*fb_log_fn)(void *arg, int level, const char *msg);

/*
 * Configuration for fb_comm_init_config().  Always start from
 * FB_CONFIG_INITIALIZER (or fb_config_init()) so that fields added later keep
 * their defaults; size lets the library tell which fields the caller knows.
 */
typedef struct fb_config {
	size_t size;		/* sizeof(fb_config) */
	int timeout_ms;		/* per blocking call; 0: FASTBOOT_TIMEOUT_MS,
				   else FB_DEFAULT_TIMEOUT_MS; -1: none */
	const char *socket_path; /* NULL: FASTBOOT_SOCKET, else FB_DEFAULT_SOCKET */
	fb_log_fn log_fn;	/* NULL: stderr, only if FASTBOOT_DEBUG=1 */
	void *log_arg;
	int log_level;		/* 0: FB_LOG_DEBUG if FASTBOOT_DEBUG=1,
				   else FB_LOG_WARNING */
} fb_config;

#define FB_CONFIG_INITIALIZER { sizeof(fb_config), 0, NULL, NULL, NULL, 0 }

FB_EXPORT void fb_config_init(fb_config *config);

/* Make a new job id.  Needs no daemon; call once per job and broadcast. */
FB_EXPORT int fb_get_unique_id(fb_unique_id *id);

/* Join the job as rank of nranks and wait until all ranks have joined. */
FB_EXPORT int fb_comm_init(fb_comm **comm, const fb_unique_id *id, int rank,
    int nranks);
FB_EXPORT int fb_comm_init_config(fb_comm **comm, const fb_unique_id *id,
    int rank, int nranks, const fb_config *config);

FB_EXPORT int fb_comm_rank(const fb_comm *comm, int *rank);
FB_EXPORT int fb_comm_size(const fb_comm *comm, int *nranks);
FB_EXPORT int fb_comm_local_rank(const fb_comm *comm, int *local_rank);
FB_EXPORT int fb_comm_local_size(const fb_comm *comm, int *local_size);
/* The node of this rank (0 .. nnodes-1, node 0 holds rank 0) and the job's
 * number of nodes; 0 and 1 for a job on one node.  Either pointer may be
 * NULL.  Since 0.2. */
FB_EXPORT int fb_comm_node(const fb_comm *comm, int *node, int *nnodes);

/* Collectives: every rank calls them in the same order with the same sizes. */
FB_EXPORT int fb_barrier(fb_comm *comm);
/* In place: rank r's slice is buf[r*bytes_per_rank .. (r+1)*bytes_per_rank). */
FB_EXPORT int fb_allgather(fb_comm *comm, void *buf, size_t bytes_per_rank);
/* sendbuf[p*bytes_per_peer ..] goes to rank p; recvbuf[p*bytes_per_peer ..]
 * comes from rank p.  sendbuf and recvbuf may not overlap. */
FB_EXPORT int fb_alltoall(fb_comm *comm, const void *sendbuf, void *recvbuf,
    size_t bytes_per_peer);

/* Point to point: ordered per (peer, tag), matched on peer, tag and length.
 * fb_send returns once the daemon holds the message; it does not wait for
 * the matching fb_recv. */
FB_EXPORT int fb_send(fb_comm *comm, const void *buf, size_t len, int peer,
    int tag);
FB_EXPORT int fb_recv(fb_comm *comm, void *buf, size_t len, int peer, int tag);

/* Leave the job and free the handle.  NULL is accepted. */
FB_EXPORT int fb_comm_destroy(fb_comm *comm);

FB_EXPORT const char *fb_strerror(int err);
FB_EXPORT const char *fb_comm_last_error(const fb_comm *comm);
FB_EXPORT const char *fb_version(void);

#ifdef __cplusplus
}
#endif

#endif /* FASTBOOT_H */
