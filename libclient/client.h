/*
 * client.h - libfastboot-client's private header: one block per file.
 */
#ifndef FB_CLIENT_H
#define FB_CLIENT_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "fastboot/fastboot.h"
#include "wire/clock.h"
#include "wire/wire.h"
#include "wire/table.h"
#include "wire/reader.h"
#include "wire/ring.h"

#define HIDDEN __attribute__((visibility("hidden")))

/* Layout of the 128-byte unique id. */
#define UID_MAGIC	0x44494246u	/* "FBID" */
#define UID_VERSION	1
#define UID_OFF_MAGIC	0
#define UID_OFF_VERSION	4
#define UID_OFF_KEY	8
#define UID_OFF_FLAGS	6	/* u16: UID_FLAG_* */
#define UID_OFF_HOST	24	/* local id: the creating node's name */
#define UID_HOST_LEN	64
/* An id whose daemon listens on TCP (a job that may span nodes): */
#define UID_FLAG_TCP	0x1
#define UID_OFF_INST	24	/* u64: the root daemon's instance */
#define UID_OFF_NEP	32	/* u8: endpoints that follow (1..4) */
#define UID_OFF_EP	36	/* 20 bytes each (wire/peer.h's layout) */
_Static_assert(UID_OFF_EP + WIRE_ID_MAX_EP * WIRE_EP_LEN <= 128,
    "the endpoints fit the 128-byte id");

/*
 * A message larger than one frame goes through fastbootd in parts of
 * P2P_PART_BYTES, consecutive on the sender's stream; the send id (which
 * fastbootd passes through as DELIVER's seq) says which part this is.
 */
#define P2P_PART_BYTES	(WIRE_PAYLOAD_MAX - WIRE_MSG_HDR_LEN)
#define P2P_SEQ_MORE	0x80000000u	/* more parts of it follow */
#define P2P_SEQ_CANCEL	0x40000000u	/* drop the parts so far (empty) */
#define P2P_SEQ_MASK	0x3fffffffu	/* the send id itself */
_Static_assert(FB_MAX_MSG_BYTES % P2P_PART_BYTES == 0 &&
    P2P_PART_BYTES == (1u << 20), "whole parts of 1 MiB");

struct msgq {
	struct msgq *next;
	uint32_t src;
	uint32_t tag;
	uint32_t len;
	uint8_t data[];
};

/* coll.c's adaptive wait, one per kind of wait. */
struct spin {
	uint64_t ns;		/* the bound now; 0: sleep at once */
	uint32_t rest;		/* waits left before spinning again */
	uint64_t spins, hits;	/* waits that spun, and ended so */
};

struct fb_comm {
	int fd;
	pid_t pid;		/* the process that made it */
	unsigned forks;		/* io.c's count of fork()s when made */
	int rank;
	int nranks;
	int local_rank;
	int local_size;
	int node;
	int nnodes;
	int multinode;		/* JOIN said the job spans nodes */
	int timeout_ms;		/* -1: none */
	uint32_t job_id;
	uint8_t key[WIRE_KEY_LEN];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	/* The rank table. */
	void *table;
	size_t table_size;
	struct table_hdr *hdr;		/* rank-written fields: see table.h */
	struct table_rank *trank;
	int evfd;		/* the job's eventfd: shared-memory releases */
	int epfd;		/* waits on the socket and evfd together */
	int daemon_coll;	/* collectives through the daemon */
	int node_arrive;	/* across nodes, arrive and wait in the table
				 * (wire/table.h, TABLE_NODE_ARRIVE) */
	int coll_frames;	/* FASTBOOT_COLLECTIVES=daemon: ARRIVE and
				 * RELEASE frames, across nodes too */
	uint8_t *data;
	uint64_t slot_bytes;

	/* shm.c: send/recv through the table's rings. */
	int shm;		/* the rings are in use */
	int p2p_daemon;		/* FASTBOOT_P2P=daemon: no rings */
	uint8_t *p2p;		/* the p2p part, NULL if none */
	uint64_t ring_bytes;
	uint32_t ring_max;	/* largest message a ring holds */
	uint64_t *tx_tail;	/* per peer: our ring to it */
	uint64_t *rx_head;	/* per peer: its ring to us */
	uint32_t *spill_sent;	/* per peer: messages sent through fastbootd */
	uint32_t *spill_got;	/* per peer: DELIVERs received */
	uint32_t *rung;		/* per peer: its p2p_sleeps we rang for */
	uint32_t p2p_sleeps;	/* ours (table.h) */
	int bellfd;		/* our doorbell (bound datagram socket), bound
				 * at the first sleep in fb_recv; -1: none */
	int bell_tried;		/* shm_bind ran (it fails only once) */
	int belltx;		/* rings the others' (made at the first ring) */

	/* Input: bytes and the descriptors of the JOIN_ACK. */
	struct wire_reader in;

	/* Progress. */
	int joined;		/* JOIN_ACK handled */
	int ready;		/* READY received, or seen in the table */
	int table_ready;	/* READY comes through the table (JOIN_ACK) */
	int leave_close;	/* the daemon closes after LEAVE (JOIN_ACK) */
	uint32_t coll_seq;	/* collectives completed */
	uint32_t released;	/* last RELEASE seen */
	uint32_t send_seq;
	uint32_t acked;		/* last SEND_ACK seen */
	int ack_code;
	char ack_text[WIRE_TEXT_MAX + 1];
	uint8_t *left;		/* mq.c's bitmap: peers the daemon says left */
	struct msgq **part;	/* mq.c: per source, a message in parts */
	uint32_t *part_cap;
	struct msgq *mq_head;
	struct msgq *mq_tail;

	/* Adaptive wait (coll.c): spin up to a bound before sleeping, for
	 * collectives and for fb_recv, each with its own bound. */
	uint64_t spin_max_ns;	/* FASTBOOT_SPIN_US; 0: never spin */
	struct spin coll_spin;
	struct spin recv_spin;
	long cpus;		/* coll_count_cpus(), at init */
	int yield_first;	/* oversubscribed: one sched_yield() before
				 * each sleep (coll_yield), init's too */
	uint64_t yields, yield_hits;	/* and those that made it needless */
	int wake_counted;	/* TABLE_WAKE_COUNTED: the last rank wakes
				 * only when a rank counts as asleep */
	uint64_t wakes, wakes_skipped;	/* last rank: eventfd written, not */

	int failed;		/* sticky error, 0 if none */
	int torn;		/* a frame to the daemon was cut short: the
				 * socket carries nothing more */
	char err[1024];		/* detail of the last failure */

	fb_log_fn log_fn;
	void *log_arg;
	int log_level;

	/* fb_comm_init's phases (clock_mono_ns), for its debug line. */
	uint64_t t_start, t_connect, t_ext, t_sent, t_ack, t_mapped, t_ready;
};

/* error.c */
HIDDEN int comm_error(fb_comm *, int code, const char *, ...)
    __attribute__((format(printf, 3, 4)));
HIDDEN int comm_fail(fb_comm *, int code, const char *, ...)
    __attribute__((format(printf, 3, 4)));
HIDDEN void comm_log(const fb_comm *, int level, const char *, ...)
    __attribute__((format(printf, 3, 4)));
HIDDEN void comm_init_error(const char *);

/*
 * The layers, bottom up (scripts/deps.sh checks there is no cycle):
 *	error.c		details of failures, the log callback
 *	mq.c		received messages and departed peers, by (peer, tag)
 *	shm.c		send/recv through the table's rings, doorbells
 *	rtab.c		the job's shared-memory rank table and eventfd
 *	decode.c	every daemon frame into the handle's state
 *	io.c		the socket: connect, write, read, wait with a deadline
 *	p2p.c coll.c	send/recv and collectives over io.c (the daemon path)
 *	comm.c		handles: init, getters, destroy
 */

/* mq.c */
HIDDEN int mq_init(fb_comm *);
HIDDEN void mq_free(fb_comm *);
HIDDEN void mq_push(fb_comm *, struct msgq *);
HIDDEN struct msgq **mq_find(fb_comm *, uint32_t peer, uint32_t tag);
HIDDEN void mq_take(fb_comm *, struct msgq **);
HIDDEN void mq_set_left(fb_comm *, uint32_t peer);
HIDDEN int mq_left(const fb_comm *, uint32_t peer);
HIDDEN int mq_part(fb_comm *, uint32_t src, uint32_t tag, uint32_t seq,
    const uint8_t *, uint32_t len, struct msgq **whole);

/* rtab.c */
HIDDEN int rtab_map(fb_comm *, const struct wire_join_ack *, int tabfd,
    int evfd);
HIDDEN void rtab_unmap(fb_comm *);
HIDDEN int rtab_epoll_open(fb_comm *);

/* shm.c */
HIDDEN int shm_init(fb_comm *, uint64_t p2p_off, uint64_t ring_bytes);
HIDDEN void shm_start(fb_comm *);
HIDDEN void shm_stop(fb_comm *);
HIDDEN void shm_free(fb_comm *);
HIDDEN int shm_send(fb_comm *, const void *, size_t, uint32_t peer,
    uint32_t tag);
HIDDEN void shm_spilled(fb_comm *, uint32_t peer);
HIDDEN int shm_drain(fb_comm *, uint32_t src);
HIDDEN int shm_pending(const fb_comm *, uint32_t src);
HIDDEN int shm_deliver(fb_comm *, struct msgq *);
HIDDEN void shm_wait(fb_comm *, int src);
HIDDEN void shm_bell_drain(fb_comm *);

/* decode.c */
HIDDEN int decode_frame(fb_comm *, const struct wire_frame *);

/* io.c */
HIDDEN uint64_t io_deadline(const fb_comm *);
HIDDEN uint64_t io_deadline_from(const fb_comm *, uint64_t start);
HIDDEN int io_connect(fb_comm *, uint64_t deadline);
HIDDEN int io_write(fb_comm *, const struct iovec *, int, uint64_t deadline);
HIDDEN int io_wait_closed(fb_comm *, uint64_t deadline);
HIDDEN void io_peek(fb_comm *);
HIDDEN int io_wait(fb_comm *, uint64_t deadline,
    int (*done)(fb_comm *, const void *), const void *arg);
HIDDEN int io_ms_since(uint64_t start_ns);
HIDDEN int io_check(fb_comm *);
HIDDEN void io_owner(fb_comm *);
HIDDEN int io_foreign(const fb_comm *);	/* used in another process? */

/* coll.c */
HIDDEN void coll_missing(const fb_comm *, uint32_t seq, char *, size_t);
HIDDEN void coll_abort(fb_comm *, int code, const char *);
HIDDEN void coll_give_up(fb_comm *, int code);
HIDDEN long coll_count_cpus(void);
HIDDEN void coll_spin_setup(fb_comm *);
HIDDEN int coll_spin_wait(fb_comm *, struct spin *,
    int (*ready)(fb_comm *, const void *), const void *arg);
HIDDEN int coll_yield(fb_comm *, int (*ready)(fb_comm *, const void *),
    const void *arg);

#endif /* FB_CLIENT_H */
