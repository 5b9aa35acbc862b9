/*
 * wire.h - the fastboot wire protocol: one codec for daemon, library, tools,
 * tests and fuzzer.  Pure functions: no I/O, no allocation.  doc/protocol.md
 * is the specification; this file must agree with it.
 *
 * Every frame is a 16-byte header followed by a payload:
 *
 *	u32 magic	WIRE_MAGIC
 *	u16 version	protocol version (WIRE_VERSION_MIN..WIRE_VERSION_MAX)
 *	u16 type	enum wire_type
 *	u32 length	payload bytes, checked against the type's rule
 *	u32 seq		collective number, send id or 0
 *
 * All integers are little-endian.  A decoder checks magic, version, type and
 * the type's length rule on the header alone, before any payload is read or
 * any buffer is sized for it.
 */
#ifndef FB_WIRE_H
#define FB_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC		0x31574246u	/* "FBW1" on the wire */
#define WIRE_VERSION_MIN	1
#define WIRE_VERSION_MAX	1
#define WIRE_VERSION		1
#define WIRE_HDR_LEN		16

#define WIRE_KEY_LEN		16	/* job secret */
#define WIRE_TEXT_MAX		512	/* error texts */
#define WIRE_PAYLOAD_MAX	((1u << 20) + 8)	/* largest rank frame */
#define WIRE_CTL_MAX		(4u << 20)	/* largest control reply */

enum wire_type {
	/* client to daemon */
	WIRE_HELLO = 1,
	WIRE_JOIN = 2,
	WIRE_ARRIVE = 3,
	WIRE_SEND = 4,
	WIRE_LEAVE = 5,
	WIRE_ABORT = 6,
	WIRE_CTL_STATUS = 7,
	WIRE_CTL_JOBS = 8,
	WIRE_WAIT = 9,		/* blocked in recv from rank seq */
	WIRE_CTL_ID = 10,	/* fb_get_unique_id: a secret and endpoints */
	WIRE_CTL_PEERS = 11,	/* fastbootctl peers */
	/* daemon to client */
	WIRE_JOIN_ACK = 32,
	WIRE_READY = 33,
	WIRE_RELEASE = 34,
	WIRE_DELIVER = 35,
	WIRE_SEND_ACK = 36,
	WIRE_FAIL = 37,
	WIRE_ERROR = 38,
	WIRE_CTL_REPLY = 39,
	WIRE_LEFT = 40,		/* rank seq left the job */
	WIRE_ID = 41,		/* answer to CTL_ID */
};

/* Who may send a type: the direction of a stream.  WIRE_FROM_PEER is the
 * daemon-to-daemon protocol (wire/peer.h): its own magic, version and
 * types, in the same rule table as the other two. */
#define WIRE_FROM_CLIENT	1
#define WIRE_FROM_DAEMON	2
#define WIRE_FROM_PEER		3

enum wire_role {
	WIRE_ROLE_RANK = 1,	/* a process of a job */
	WIRE_ROLE_CTL = 2,	/* fastbootctl */
};

enum wire_coll {
	WIRE_COLL_BARRIER = 1,
	WIRE_COLL_ALLGATHER = 2,
	WIRE_COLL_ALLTOALL = 3,
};

/* Decoder results: 0 is a whole valid header, > 0 wants more bytes. */
enum wire_status {
	WIRE_OK = 0,
	WIRE_NEED_MORE = 1,
	WIRE_EMAGIC = -1,
	WIRE_EVERSION = -2,
	WIRE_ETYPE = -3,
	WIRE_ELENGTH = -4,
	WIRE_EDIRECTION = -5,
	WIRE_EVALUE = -6,
};

struct wire_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t length;
	uint32_t seq;
};

struct wire_hello {
	uint16_t min_version;
	uint16_t max_version;
	uint32_t role;
	uint32_t flags;
};
#define WIRE_HELLO_LEN 12
/*
 * HELLO flags: what a rank's library can take.  Daemons ignore flags they
 * do not know (version-1 daemons ignore them all), and say in JOIN_ACK
 * which they used, so a flag never needs a new protocol version.
 */
#define WIRE_HELLO_TABLE_READY 0x1	/* READY through the rank table */
/* It counts itself in the table's sleepers before it sleeps for a
 * shared-memory collective (wire/table.h, TABLE_WAKE_COUNTED). */
#define WIRE_HELLO_COUNT_SLEEP 0x2
/* In a job across nodes it arrives at collectives through the table and
 * waits there for the release (wire/table.h, TABLE_NODE_ARRIVE). */
#define WIRE_HELLO_NODE_ARRIVE 0x4
/* After its LEAVE it waits for the daemon to close the connection: the
 * daemon releases the rank (and frees the job if it was the last) before
 * it closes, so fb_comm_destroy returns once the daemon let it go. */
#define WIRE_HELLO_LEAVE_CLOSE 0x8

struct wire_join {
	uint8_t key[WIRE_KEY_LEN];
	uint32_t rank;
	uint32_t nranks;
	uint32_t flags;		/* WIRE_JOIN_* */
	uint32_t reserved;
	const uint8_t *ext;	/* WIRE_JOIN_MULTINODE: the extension */
	uint32_t ext_len;
};
#define WIRE_JOIN_LEN 32
/* Collectives go through the daemon (ARRIVE/RELEASE) instead of shared
 * memory; every rank of a job must agree. */
#define WIRE_JOIN_DAEMON_COLL 0x1
/* The job spans nodes: the extension follows the 32 bytes. */
#define WIRE_JOIN_MULTINODE 0x2
#define WIRE_JOIN_FLAGS (WIRE_JOIN_DAEMON_COLL | WIRE_JOIN_MULTINODE)

/*
 * JOIN's extension for a job across nodes:
 *	u32 flags		WIRE_EXT_ROOT, WIRE_EXT_MAP
 *	u32 nroot		root daemon's endpoints (0..WIRE_ID_MAX_EP)
 *	u64 root_instance	the root daemon's instance number
 *	nroot x 20 bytes	endpoints (peer.h's layout)
 *	with WIRE_EXT_MAP (from PMIx):
 *	u32 nnodes, u32 node	this rank's node index
 *	nnodes x 64 bytes	node host names
 *	nranks x u32		node index of each rank
 */
#define WIRE_EXT_ROOT	0x1
#define WIRE_EXT_MAP	0x2
#define WIRE_ID_MAX_EP	4
#define WIRE_EP_LEN	20
#define WIRE_HOST_LEN	64
struct wire_join_ext {
	uint32_t flags;
	uint32_t nroot;
	uint64_t root_instance;
	const uint8_t *root;	/* nroot x WIRE_EP_LEN */
	uint32_t nnodes;
	uint32_t node;
	const uint8_t *hosts;	/* nnodes x WIRE_HOST_LEN */
	const uint8_t *node_of_rank;	/* nranks x u32 */
};
#define WIRE_JOIN_EXT_MIN 16
#define WIRE_MAX_NODES 4096

/* ID (answer to CTL_ID): u8 key[16], u64 instance, u32 nep, nep x 20-byte
 * endpoints.  nep 0: the daemon has no TCP listener (a local-only id). */
#define WIRE_ID_MIN (WIRE_KEY_LEN + 12)
#define WIRE_ID_MAX (WIRE_ID_MIN + WIRE_ID_MAX_EP * WIRE_EP_LEN)

struct wire_arrive {
	uint32_t kind;		/* enum wire_coll */
	uint32_t flags;		/* WIRE_ARRIVE_* */
	uint64_t bytes;		/* per rank (allgather), per peer (alltoall) */
};
#define WIRE_ARRIVE_LEN 16
/* Sent by the last of its node's ranks to arrive, for all of them: each
 * wrote its arrival in the table (TABLE_NODE_ARRIVE). */
#define WIRE_ARRIVE_NODE 0x1

/* SEND and DELIVER: 8 bytes of addressing, then the message. */
struct wire_msg {
	uint32_t peer;		/* SEND: destination; DELIVER: source */
	uint32_t tag;
	const uint8_t *data;	/* points into the decoded buffer */
	uint32_t len;
};
#define WIRE_MSG_HDR_LEN 8

/* ABORT, SEND_ACK, FAIL, ERROR: a code, a rank and a text. */
struct wire_status_msg {
	int32_t code;		/* negative FB_E_* (0 for a good SEND_ACK) */
	uint32_t rank;		/* rank concerned or WIRE_NO_RANK */
	const char *text;	/* not NUL-terminated; points into the buffer */
	uint32_t text_len;
};
#define WIRE_STATUS_HDR_LEN 8
#define WIRE_NO_RANK 0xffffffffu

struct wire_join_ack {
	uint16_t version;	/* negotiated */
	uint16_t flags;		/* WIRE_ACK_* */
	uint32_t job_id;	/* the daemon's number of the job (public) */
	uint64_t table_size;	/* bytes of the memfd passed with this frame */
	uint64_t ctl_size;	/* bytes of its control part */
};
#define WIRE_JOIN_ACK_LEN 24
/* Descriptors passed with JOIN_ACK, in this order: the rank table memfd,
 * then (with WIRE_ACK_EVENTFD) the job's eventfd for shared-memory
 * collectives. */
#define WIRE_ACK_EVENTFD 0x1
/* This rank's READY comes through the table (answer to
 * WIRE_HELLO_TABLE_READY, on one node only): no READY frame follows; the
 * job runs once the header's ready word is nonzero, and the daemon writes
 * the eventfd once when it sets it. */
#define WIRE_ACK_TABLE_READY 0x2
/* The daemon closes this connection once it has handled the rank's LEAVE
 * (answer to WIRE_HELLO_LEAVE_CLOSE). */
#define WIRE_ACK_LEAVE_CLOSE 0x4
#define WIRE_ACK_FLAGS (WIRE_ACK_EVENTFD | WIRE_ACK_TABLE_READY | \
    WIRE_ACK_LEAVE_CLOSE)

struct wire_ready {
	uint32_t local_rank;
	uint32_t local_size;
	uint32_t node;		/* this rank's node */
	uint32_t nnodes;	/* 0 or 1: one node (the 8-byte form) */
};
#define WIRE_READY_LEN 16
#define WIRE_READY_LEN_V1 8	/* without node and nnodes */

/* Byte order helpers. */
static inline void
wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = v; p[1] = v >> 8;
}
static inline void
wire_put32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}
static inline void
wire_put64(uint8_t *p, uint64_t v)
{
	wire_put32(p, (uint32_t)v); wire_put32(p + 4, (uint32_t)(v >> 32));
}
static inline uint16_t
wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t
wire_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}
static inline uint64_t
wire_get64(const uint8_t *p)
{
	return (uint64_t)wire_get32(p) | (uint64_t)wire_get32(p + 4) << 32;
}

const char *wire_type_name(uint16_t type);	/* client and daemon */
/* The name of a type in the protocol of direction from ("unknown"). */
const char *wire_frame_name(int from, uint16_t type);
const char *wire_status_name(int status);
const char *wire_coll_name(uint32_t kind);
/* The largest payload the rules let the sender from announce. */
uint32_t wire_max_length(int from);

/* Header: untrusted input.  from says who must have sent it: the magic,
 * version, type, direction, length rule and (peer frames) sequence rule are
 * checked against it, in that order. */
int wire_decode_hdr_untrusted(const uint8_t *buf, size_t len, int from,
    struct wire_hdr *hdr);
void wire_encode_hdr(uint8_t *buf, uint16_t type, uint32_t length,
    uint32_t seq);

/* Payloads: the header has been decoded and its length rule holds. */
int wire_decode_hello(const uint8_t *p, size_t len, struct wire_hello *m);
int wire_decode_join(const uint8_t *p, size_t len, struct wire_join *m);
int wire_decode_join_ext(const uint8_t *p, size_t len, uint32_t nranks,
    struct wire_join_ext *m);
int wire_decode_arrive(const uint8_t *p, size_t len, struct wire_arrive *m);
int wire_decode_msg(const uint8_t *p, size_t len, struct wire_msg *m);
int wire_decode_status(const uint8_t *p, size_t len, struct wire_status_msg *m);
int wire_decode_join_ack(const uint8_t *p, size_t len, struct wire_join_ack *m);
int wire_decode_ready(const uint8_t *p, size_t len, struct wire_ready *m);

/* Encoders write header and payload into buf and return the frame length.
 * buf must hold WIRE_HDR_LEN + the payload. */
size_t wire_encode_hello(uint8_t *buf, const struct wire_hello *m);
size_t wire_encode_join(uint8_t *buf, const struct wire_join *m);
/* JOIN with an extension of ext_len bytes that follows (not written). */
size_t wire_encode_join_hdr(uint8_t *buf, const struct wire_join *m,
    uint32_t ext_len);
size_t wire_encode_arrive(uint8_t *buf, uint32_t seq,
    const struct wire_arrive *m);
/* SEND/DELIVER: writes only the 16 + 8 leading bytes; data follows. */
size_t wire_encode_msg_hdr(uint8_t *buf, uint16_t type, uint32_t seq,
    uint32_t peer, uint32_t tag, uint32_t len);
size_t wire_encode_status(uint8_t *buf, uint16_t type, uint32_t seq,
    int32_t code, uint32_t rank, const char *text);
size_t wire_encode_join_ack(uint8_t *buf, const struct wire_join_ack *m);
size_t wire_encode_ready(uint8_t *buf, const struct wire_ready *m);
size_t wire_encode_empty(uint8_t *buf, uint16_t type, uint32_t seq);

#define WIRE_STATUS_FRAME_MAX \
	(WIRE_HDR_LEN + WIRE_STATUS_HDR_LEN + WIRE_TEXT_MAX)

/* The fuzzer's and the corpus replayer's entry point: decode a stream of
 * frames as the daemon (from = WIRE_FROM_CLIENT) or the library would. */
int wire_check_stream(const uint8_t *buf, size_t len, int from);

#endif /* FB_WIRE_H */
