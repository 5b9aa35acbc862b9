/*
 * peer.h - frames between fastbootd daemons over TCP (doc/protocol.md,
 * "Daemon to daemon").  Pure functions: no I/O, no allocation, no crypto
 * (the daemon computes and checks the MACs; this codec only places them).
 *
 * Every frame is a 16-byte header followed by a payload:
 *
 *	u32 magic	WPEER_MAGIC ("FBP1")
 *	u16 version	WPEER_VERSION
 *	u16 type	enum wpeer_type
 *	u32 length	payload bytes, checked against the type's rule
 *	u32 seq		link sequence number of the sender, from 1; 0 in HELLO
 *
 * HELLO, REFUSE and PING are the only unauthenticated frames (seq 0).
 * Every other frame
 * belongs to a job and is laid out as
 *
 *	u8 tag[16]	the job's public tag (derived from its secret)
 *	u32 node	sender's node index in the job (WPEER_NO_NODE: none yet)
 *	...		the type's body
 *	u8 mac[32]	HMAC-SHA512/256 keyed by the job's MAC key over the
 *			receiver's link nonce, the sender's link nonce, the
 *			header and the payload up to the MAC
 *
 * All integers are little-endian.  The types' rules live in wire.c's table
 * (WIRE_FROM_PEER), beside the client's and the daemon's.
 */
#ifndef FB_WIRE_PEER_H
#define FB_WIRE_PEER_H

#include <stddef.h>
#include <stdint.h>

#define WPEER_MAGIC		0x31504246u	/* "FBP1" on the wire */
/* 2: the MAP goes down a tree (a node forwards it to its children), so a
 * daemon of version 1, which neither forwards nor accepts a forwarded
 * copy, must not join a job: HELLO refuses it. */
/* 3: RETIRE (a sender leaves the second link of a node pair for the one
 * the lower endpoint opened); a daemon of version 2 would take it for a
 * bad frame, so HELLO refuses it. */
/* 4: MSG_HELD (a MSG the sender's node acknowledged already, within its
 * window); a daemon of version 3 would take it for a bad frame. */
/* 5: LEFT says how many collectives the rank's node had completed, so that
 * a node waiting in a later one fails it at once; a daemon of version 4
 * would take the longer LEFT for a bad frame. */
#define WPEER_VERSION		5
#define WPEER_HDR_LEN		16
#define WPEER_NONCE_LEN		16
#define WPEER_TAG_LEN		16
#define WPEER_MAC_LEN		32
#define WPEER_HOST_LEN		64
#define WPEER_EP_LEN		20
#define WPEER_NO_NODE		0xffffffffu
#define WPEER_JOB_HDR_LEN	(WPEER_TAG_LEN + 4)
#define WPEER_JOB_OVERHEAD	(WPEER_JOB_HDR_LEN + WPEER_MAC_LEN)
/* Largest payload of one frame: a step of a cross-node collective is
 * refused (FB_E_LIMIT) beyond it. */
#define WPEER_PAYLOAD_MAX	((64u << 20) + 4096)
#define WPEER_MAX_NODES		4096
#define WPEER_TEXT_MAX		512
#define WPEER_DEFAULT_PORT	7720

enum wpeer_type {
	WPEER_HELLO = 1,	/* link setup: nonce, endpoint, host */
	WPEER_REFUSE = 2,	/* unknown job: tag, code, text */
	WPEER_PING = 3,		/* heartbeat of a quiet link, empty */
	WPEER_JOIN = 16,	/* node -> root: a node of the job, its ranks */
	WPEER_RANKS = 17,	/* node -> root: more ranks joined */
	WPEER_MAP = 18,		/* root -> node: every node and rank */
	WPEER_COLL = 19,	/* one step of a collective */
	WPEER_MSG = 20,		/* fb_send routed to the receiver's node */
	WPEER_MSG_ACK = 21,	/* its acknowledgement */
	WPEER_LEFT = 22,	/* a rank left the job cleanly */
	WPEER_FAIL = 23,	/* the job failed: code, rank, text */
	WPEER_PROOF = 24,	/* the sender holds the job's secret, empty */
	WPEER_RETIRE = 25,	/* the sender's last frame on a link, empty */
	WPEER_MSG_HELD = 26,	/* a MSG its sender's node acknowledged */
};

/* An endpoint: family 4 or 6, port, address (IPv4 in the first 4 bytes). */
struct wpeer_ep {
	uint8_t family;
	uint16_t port;
	uint8_t addr[16];
};

struct wpeer_hello {
	uint16_t min_version;
	uint16_t max_version;
	uint32_t flags;
	uint64_t instance;	/* random per daemon start */
	uint8_t nonce[WPEER_NONCE_LEN];
	struct wpeer_ep ep;	/* where the sender listens */
	char host[WPEER_HOST_LEN];	/* NUL-terminated after decoding */
};
#define WPEER_HELLO_LEN (16 + WPEER_NONCE_LEN + WPEER_EP_LEN + WPEER_HOST_LEN)

struct wpeer_refuse {
	uint8_t tag[WPEER_TAG_LEN];
	int32_t code;
	const char *text;
	uint32_t text_len;
};
#define WPEER_REFUSE_MIN (WPEER_TAG_LEN + 4)

/* The job part every authenticated frame starts with. */
struct wpeer_job {
	uint8_t tag[WPEER_TAG_LEN];
	uint32_t node;
	const uint8_t *body;	/* points into the buffer */
	uint32_t body_len;	/* without the MAC */
	const uint8_t *mac;
};

struct wpeer_join {
	uint32_t nranks;
	uint32_t flags;
	struct wpeer_ep ep;
	char host[WPEER_HOST_LEN];
	uint32_t nlist;		/* ranks joined on the sender */
	const uint8_t *list;	/* nlist u32 */
};
#define WPEER_JOIN_MIN (8 + WPEER_EP_LEN + WPEER_HOST_LEN + 4)

struct wpeer_ranks {
	uint32_t nlist;
	const uint8_t *list;
};

struct wpeer_map {
	uint32_t nnodes;
	uint32_t node;		/* the receiver's index */
	uint32_t nranks;
	const uint8_t *nodes;	/* nnodes x (endpoint, host) */
	const uint8_t *node_of_rank;	/* nranks u32 */
};
#define WPEER_MAP_NODE_LEN (WPEER_EP_LEN + WPEER_HOST_LEN)

struct wpeer_coll {
	uint32_t seq;
	uint16_t kind;		/* enum wire_coll */
	uint16_t step;
	uint64_t bytes;		/* the collective's size argument */
	const uint8_t *data;
	uint32_t len;
};
#define WPEER_COLL_HDR 16

struct wpeer_msg {
	uint32_t src;
	uint32_t dst;
	uint32_t tag;
	uint32_t sendseq;
	const uint8_t *data;
	uint32_t len;
};
#define WPEER_MSG_HDR 16

struct wpeer_status {		/* MSG_ACK (src, sendseq used) and FAIL */
	uint32_t src;
	uint32_t sendseq;
	int32_t code;
	uint32_t rank;
	const char *text;
	uint32_t text_len;
};
#define WPEER_ACK_HDR 16
#define WPEER_FAIL_HDR 8
/* LEFT: u32 rank, u32 the collectives its node had completed then. */
#define WPEER_LEFT_LEN 8

/* The header is struct wire_hdr, decoded by wire_decode_hdr_untrusted()
 * with WIRE_FROM_PEER; decoders return enum wire_status. */
const char *wpeer_type_name(uint16_t type);
void wpeer_encode_hdr(uint8_t *buf, uint16_t type, uint32_t length,
    uint32_t seq);

void wpeer_put_ep(uint8_t *p, const struct wpeer_ep *ep);
int wpeer_get_ep(const uint8_t *p, struct wpeer_ep *ep);
int wpeer_ep_equal(const struct wpeer_ep *, const struct wpeer_ep *);
/* "10.0.0.1:7720" or "[fd00::1]:7720" */
void wpeer_ep_format(const struct wpeer_ep *, char *buf, size_t size);
/* Copies a host name field, NUL-terminating and replacing unprintables. */
void wpeer_get_host(const uint8_t *p, char *host);

/* Payloads: the header has been decoded and its length rule holds. */
int wpeer_decode_hello(const uint8_t *p, size_t len, struct wpeer_hello *m);
int wpeer_decode_refuse(const uint8_t *p, size_t len, struct wpeer_refuse *m);
int wpeer_decode_job(const uint8_t *p, size_t len, struct wpeer_job *m);
/* Bodies of job frames (struct wpeer_job's body and body_len). */
int wpeer_decode_join(const uint8_t *p, size_t len, struct wpeer_join *m);
int wpeer_decode_ranks(const uint8_t *p, size_t len, struct wpeer_ranks *m);
int wpeer_decode_map(const uint8_t *p, size_t len, struct wpeer_map *m);
int wpeer_decode_coll(const uint8_t *p, size_t len, struct wpeer_coll *m);
int wpeer_decode_msg(const uint8_t *p, size_t len, struct wpeer_msg *m);
int wpeer_decode_ack(const uint8_t *p, size_t len, struct wpeer_status *m);
int wpeer_decode_left(const uint8_t *p, size_t len, uint32_t *rank,
    uint32_t *done);
int wpeer_decode_fail(const uint8_t *p, size_t len, struct wpeer_status *m);

size_t wpeer_encode_hello(uint8_t *buf, const struct wpeer_hello *m);
size_t wpeer_encode_refuse(uint8_t *buf, const uint8_t *tag, int32_t code,
    const char *text);

/* Every whole frame of a stream, as a daemon would check it before any
 * MAC (the fuzzer's entry point). */
int wpeer_check_stream(const uint8_t *buf, size_t len);

#endif /* FB_WIRE_PEER_H */
