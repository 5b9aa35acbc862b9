/*
 * table.h - layout of a job's shared-memory rank table (a sealed memfd made
 * by the daemon and passed to each rank with SCM_RIGHTS).
 *
 *	[ control part: header, then one record per rank ]  daemon writes
 *	[ data part: 2 halves x nranks slots of slot_bytes ] ranks write
 *	[ p2p part: nranks x nranks rings of ring_bytes ]    ranks write
 *
 * The daemon maps only the control part and never reads anything a rank
 * wrote.  Ranks read the control part (to name who is missing on a timeout)
 * and exchange collective payloads through the data part: rank r writes its
 * contribution to slot r of half (seq % 2) and reads the others' after the
 * daemon's RELEASE.  Two halves are enough: a rank can be at most one
 * collective ahead of the slowest reader.
 *
 * The p2p part (absent when ring_bytes is 0: a job of more than
 * TABLE_P2P_MAX_RANKS ranks) carries fb_send/fb_recv between ranks of one
 * node: the ring from rank s to rank d (wire/ring.h) is number d * nranks + s,
 * so that a receiver's rings lie together.  Like the data part, its pages
 * cost memory only once a pair of ranks uses them.
 */
#ifndef FB_TABLE_H
#define FB_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define TABLE_MAGIC	0x42415446u	/* "FTAB" */
#define TABLE_VERSION	1

enum table_rank_state {
	TABLE_RANK_ABSENT = 0,
	TABLE_RANK_JOINED = 1,
	TABLE_RANK_LEFT = 2,
	TABLE_RANK_LOST = 3,
};

struct table_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t nranks;
	uint32_t job_id;
	uint64_t ctl_size;	/* bytes of the control part */
	uint64_t data_off;	/* start of the data part */
	uint64_t slot_bytes;	/* bytes of one rank's slot */
	uint64_t table_size;
	uint32_t joined;	/* ranks that have joined */
	uint32_t failed;	/* nonzero: the job failed (code, negated) */
	uint64_t created_ns;	/* CLOCK_REALTIME of creation */
	uint32_t nleft;		/* daemon: ranks that left cleanly */
	uint32_t ready;		/* daemon: nonzero once every rank joined a
				 * job on one node (READY through the table,
				 * WIRE_ACK_TABLE_READY); set before the last
				 * JOIN_ACK goes out, then the eventfd is
				 * written once */
	uint64_t p2p_off;	/* start of the p2p part */
	uint64_t ring_bytes;	/* one ring, header included; 0: no p2p part */
	uint32_t wake;		/* daemon: TABLE_WAKE_*, set before READY */
	uint8_t reserved[36];
	/*
	 * Shared-memory collectives (ranks write these; the daemon reads them
	 * only to show a pending collective).  Ranks add themselves to count;
	 * the last one checks that all agree, resets count, publishes status
	 * and gen = the collective's number, and writes the job's eventfd,
	 * which wakes every rank waiting in epoll.  On its own cache line.
	 */
	uint32_t gen __attribute__((aligned(64)));
	uint32_t count;
	int32_t status;		/* 0 or FB_E_MISMATCH, for collective gen */
	uint32_t mismatch_rank;	/* a rank that disagreed */
	uint64_t since_ns;	/* CLOCK_MONOTONIC when the first arrived */
	uint32_t sleepers;	/* with TABLE_WAKE_COUNTED: ranks that may
				 * sleep in epoll for a collective */
	uint8_t pad[36];
};

/*
 * The header's wake word.  TABLE_WAKE_COUNTED: every rank of the job said
 * in HELLO (WIRE_HELLO_COUNT_SLEEP) that it adds itself to sleepers before
 * it sleeps for a collective and checks gen after (both seq_cst), so the
 * last to arrive, which stores gen and then loads sleepers (seq_cst too),
 * skips the eventfd write when it reads 0: either it sees a sleeper, or
 * that rank sees gen and does not sleep.  Without it (a rank of an older
 * library sleeps without counting) the last rank always writes.
 */
#define TABLE_WAKE_COUNTED	0x1
/*
 * TABLE_NODE_ARRIVE: a job across nodes whose ranks here all said in HELLO
 * (WIRE_HELLO_NODE_ARRIVE) that they arrive at collectives through the
 * table: each writes its kind, bytes and arrived and adds itself to count;
 * the last resets count and sends one ARRIVE (WIRE_ARRIVE_NODE) for the
 * node; the daemon checks the node's entries, runs the steps across
 * nodes, stores gen = the collective's number and writes the eventfd once.
 * Without it each rank sends its ARRIVE and gets a RELEASE frame.  Set
 * before READY.
 */
#define TABLE_NODE_ARRIVE	0x2

struct table_rank {
	/* Written by the daemon. */
	uint32_t state;		/* enum table_rank_state */
	int32_t pid;		/* from SO_PEERCRED */
	uint32_t uid;
	uint32_t local_rank;
	uint64_t joined_ns;	/* CLOCK_MONOTONIC of its JOIN */
	/* Written by the rank itself (or by the daemon on the daemon path). */
	uint64_t arrived;	/* last collective this rank arrived at */
	uint32_t kind;		/* of that collective (enum wire_coll) */
	uint32_t reserved0;
	uint64_t bytes;		/* its size argument */
	/* Shared-memory send/recv (libclient/shm.c), written by the rank. */
	uint32_t p2p_waiting;	/* r + 1: asleep in fb_recv from rank r */
	uint32_t p2p_sleeps;	/* bumped before each sleep in fb_recv (a
				 * sender rings once per value; 0: an
				 * older library, ring every time) */
	uint64_t bell;		/* its doorbell's name (nonzero), 0: none */
};

_Static_assert(sizeof(struct table_hdr) == 192, "table header: 3 lines");
_Static_assert(sizeof(struct table_rank) == 64, "rank record: one line");
_Static_assert(offsetof(struct table_hdr, sleepers) / 64 ==
    offsetof(struct table_hdr, gen) / 64, "sleepers on gen's line");

/* Bytes of a slot for a job of nranks: room for the largest contribution. */
static inline uint64_t
table_slot_bytes(uint32_t nranks)
{
	uint64_t s = (uint64_t)nranks << 20;

	if (s < (1u << 20))
		s = 1u << 20;
	if (s > (64u << 20))
		s = 64u << 20;
	return s;
}

/* Shared-memory send/recv: rings for jobs of at most this many ranks. */
#define TABLE_P2P_MAX_RANKS	256
#define TABLE_RING_BYTES	(16u << 10)	/* 64 KiB of virtual memory
						 * per rank at 4 ranks, 4 MiB
						 * at 256; touched as used */

/* Bytes of one ring for a job of nranks, 0 for none. */
static inline uint64_t
table_ring_bytes(uint32_t nranks)
{
	return nranks <= TABLE_P2P_MAX_RANKS ? TABLE_RING_BYTES : 0;
}

static inline uint64_t
table_ctl_size(uint32_t nranks, uint64_t page)
{
	uint64_t n = sizeof(struct table_hdr) +
	    (uint64_t)nranks * sizeof(struct table_rank);

	return (n + page - 1) / page * page;
}

#endif /* FB_TABLE_H */
