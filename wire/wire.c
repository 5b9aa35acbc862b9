/*
 * wire.c - encode and decode fastboot frames (see wire.h, doc/protocol.md).
 */
#include <string.h>

#include "wire.h"
#include "peer.h"

/*
 * One table of frame rules for every direction: the client's and the
 * daemon's frames (magic "FBW1") and the frames between daemons ("FBP1",
 * wire/peer.h).  Type numbers are per protocol: a peer's HELLO is not a
 * client's.
 */
struct wire_rule {
	uint16_t type;
	uint8_t from;		/* WIRE_FROM_* */
	uint8_t seq;		/* WIRE_SEQ_* */
	uint32_t min_len;
	uint32_t max_len;
	const char *name;
};

#define WIRE_SEQ_ANY	0
#define WIRE_SEQ_ZERO	1	/* outside a peer link's numbering */
#define WIRE_SEQ_LINK	2	/* numbered on the link, from 1 */

#define C WIRE_FROM_CLIENT
#define D WIRE_FROM_DAEMON
#define P WIRE_FROM_PEER
#define STATUS_MAX (WIRE_STATUS_HDR_LEN + WIRE_TEXT_MAX)
#define JOBMIN(body) (WPEER_JOB_OVERHEAD + (body))

static const struct wire_rule wire_rules[] = {
	{ WIRE_HELLO, C, 0, WIRE_HELLO_LEN, WIRE_HELLO_LEN, "HELLO" },
	{ WIRE_JOIN, C, 0, WIRE_JOIN_LEN, WIRE_PAYLOAD_MAX, "JOIN" },
	{ WIRE_ARRIVE, C, 0, WIRE_ARRIVE_LEN, WIRE_ARRIVE_LEN, "ARRIVE" },
	{ WIRE_SEND, C, 0, WIRE_MSG_HDR_LEN, WIRE_PAYLOAD_MAX, "SEND" },
	{ WIRE_LEAVE, C, 0, 0, 0, "LEAVE" },
	{ WIRE_ABORT, C, 0, WIRE_STATUS_HDR_LEN, STATUS_MAX, "ABORT" },
	{ WIRE_CTL_STATUS, C, 0, 0, 0, "CTL_STATUS" },
	{ WIRE_CTL_JOBS, C, 0, 0, 0, "CTL_JOBS" },
	{ WIRE_WAIT, C, 0, 0, 0, "WAIT" },
	{ WIRE_CTL_ID, C, 0, 0, 0, "CTL_ID" },
	{ WIRE_CTL_PEERS, C, 0, 0, 0, "CTL_PEERS" },
	{ WIRE_JOIN_ACK, D, 0, WIRE_JOIN_ACK_LEN, WIRE_JOIN_ACK_LEN,
	    "JOIN_ACK" },
	{ WIRE_READY, D, 0, WIRE_READY_LEN_V1, WIRE_READY_LEN, "READY" },
	{ WIRE_RELEASE, D, 0, 0, 0, "RELEASE" },
	{ WIRE_DELIVER, D, 0, WIRE_MSG_HDR_LEN, WIRE_PAYLOAD_MAX, "DELIVER" },
	{ WIRE_SEND_ACK, D, 0, WIRE_STATUS_HDR_LEN, STATUS_MAX, "SEND_ACK" },
	{ WIRE_FAIL, D, 0, WIRE_STATUS_HDR_LEN, STATUS_MAX, "FAIL" },
	{ WIRE_ERROR, D, 0, WIRE_STATUS_HDR_LEN, STATUS_MAX, "ERROR" },
	{ WIRE_CTL_REPLY, D, 0, 0, WIRE_CTL_MAX, "CTL_REPLY" },
	{ WIRE_LEFT, D, 0, 0, 0, "LEFT" },
	{ WIRE_ID, D, 0, WIRE_ID_MIN, WIRE_ID_MAX, "ID" },

	{ WPEER_HELLO, P, WIRE_SEQ_ZERO, WPEER_HELLO_LEN, WPEER_HELLO_LEN,
	    "HELLO" },
	{ WPEER_REFUSE, P, WIRE_SEQ_ZERO, WPEER_REFUSE_MIN,
	    WPEER_REFUSE_MIN + WPEER_TEXT_MAX, "REFUSE" },
	{ WPEER_PING, P, WIRE_SEQ_ZERO, 0, 0, "PING" },
	{ WPEER_JOIN, P, WIRE_SEQ_LINK, JOBMIN(WPEER_JOIN_MIN + 4),
	    JOBMIN(WPEER_JOIN_MIN) + 4u * 65536, "JOIN" },
	{ WPEER_RANKS, P, WIRE_SEQ_LINK, JOBMIN(8), JOBMIN(4) + 4u * 65536,
	    "RANKS" },
	{ WPEER_MAP, P, WIRE_SEQ_LINK, JOBMIN(12 + WPEER_MAP_NODE_LEN + 4),
	    JOBMIN(12) + WPEER_MAP_NODE_LEN * WPEER_MAX_NODES + 4u * 65536,
	    "MAP" },
	{ WPEER_COLL, P, WIRE_SEQ_LINK, JOBMIN(WPEER_COLL_HDR),
	    WPEER_PAYLOAD_MAX, "COLL" },
	{ WPEER_MSG, P, WIRE_SEQ_LINK, JOBMIN(WPEER_MSG_HDR),
	    JOBMIN(WPEER_MSG_HDR) + (1u << 20), "MSG" },
	{ WPEER_MSG_HELD, P, WIRE_SEQ_LINK, JOBMIN(WPEER_MSG_HDR),
	    JOBMIN(WPEER_MSG_HDR) + (1u << 20), "MSG_HELD" },
	{ WPEER_MSG_ACK, P, WIRE_SEQ_LINK, JOBMIN(WPEER_ACK_HDR),
	    JOBMIN(WPEER_ACK_HDR) + WPEER_TEXT_MAX, "MSG_ACK" },
	{ WPEER_LEFT, P, WIRE_SEQ_LINK, JOBMIN(WPEER_LEFT_LEN),
	    JOBMIN(WPEER_LEFT_LEN), "LEFT" },
	{ WPEER_FAIL, P, WIRE_SEQ_LINK, JOBMIN(WPEER_FAIL_HDR),
	    JOBMIN(WPEER_FAIL_HDR) + WPEER_TEXT_MAX, "FAIL" },
	{ WPEER_PROOF, P, WIRE_SEQ_LINK, JOBMIN(0), JOBMIN(0), "PROOF" },
	{ WPEER_RETIRE, P, WIRE_SEQ_LINK, JOBMIN(0), JOBMIN(0), "RETIRE" },
};

#undef C
#undef D
#undef P
#undef STATUS_MAX
#undef JOBMIN

/* Peer frames share the header's layout and decoder. */
_Static_assert(WPEER_HDR_LEN == WIRE_HDR_LEN, "one header layout");

#define WIRE_NRULES (sizeof wire_rules / sizeof wire_rules[0])

/* Client and daemon share one protocol; peers speak another. */
static int
wire_proto(int from)
{
	return from == WIRE_FROM_PEER;
}

/* The rule of type in from's protocol, whichever direction it goes. */
static const struct wire_rule *
wire_rule_find(int from, uint16_t type)
{
	size_t i;

	for (i = 0; i < WIRE_NRULES; i++)
		if (wire_rules[i].type == type &&
		    wire_proto(wire_rules[i].from) == wire_proto(from))
			return &wire_rules[i];
	return NULL;
}

const char *
wire_frame_name(int from, uint16_t type)
{
	const struct wire_rule *r = wire_rule_find(from, type);

	return r != NULL ? r->name : "unknown";
}

const char *
wire_type_name(uint16_t type)
{
	return wire_frame_name(WIRE_FROM_CLIENT, type);
}

uint32_t
wire_max_length(int from)
{
	uint32_t max = 0;
	size_t i;

	for (i = 0; i < WIRE_NRULES; i++)
		if (wire_rules[i].from == from && wire_rules[i].max_len > max)
			max = wire_rules[i].max_len;
	return max;
}

const char *
wire_status_name(int status)
{
	switch (status) {
	case WIRE_OK:
		return "ok";
	case WIRE_NEED_MORE:
		return "truncated frame";
	case WIRE_EMAGIC:
		return "bad magic";
	case WIRE_EVERSION:
		return "unsupported protocol version";
	case WIRE_ETYPE:
		return "unknown message type";
	case WIRE_ELENGTH:
		return "payload length breaks the type's rule";
	case WIRE_EDIRECTION:
		return "message type not allowed in this direction";
	case WIRE_EVALUE:
		return "field value out of range";
	}
	return "unknown decoder status";
}

const char *
wire_coll_name(uint32_t kind)
{
	switch (kind) {
	case WIRE_COLL_BARRIER:
		return "barrier";
	case WIRE_COLL_ALLGATHER:
		return "allgather";
	case WIRE_COLL_ALLTOALL:
		return "alltoall";
	}
	return "unknown collective";
}

int
wire_decode_hdr_untrusted(const uint8_t *buf, size_t len, int from,
    struct wire_hdr *hdr)
{
	const struct wire_rule *r;
	int peer = wire_proto(from);

	if (len < WIRE_HDR_LEN)
		return WIRE_NEED_MORE;
	hdr->magic = wire_get32(buf);
	hdr->version = wire_get16(buf + 4);
	hdr->type = wire_get16(buf + 6);
	hdr->length = wire_get32(buf + 8);
	hdr->seq = wire_get32(buf + 12);
	if (hdr->magic != (peer ? WPEER_MAGIC : WIRE_MAGIC))
		return WIRE_EMAGIC;
	if (peer ? hdr->version != WPEER_VERSION :
	    hdr->version < WIRE_VERSION_MIN || hdr->version > WIRE_VERSION_MAX)
		return WIRE_EVERSION;
	if ((r = wire_rule_find(from, hdr->type)) == NULL)
		return WIRE_ETYPE;
	if (r->from != from)
		return WIRE_EDIRECTION;
	if (hdr->length < r->min_len || hdr->length > r->max_len)
		return WIRE_ELENGTH;
	if ((r->seq == WIRE_SEQ_ZERO && hdr->seq != 0) ||
	    (r->seq == WIRE_SEQ_LINK && hdr->seq == 0))
		return WIRE_EVALUE;
	return WIRE_OK;
}

void
wire_encode_hdr(uint8_t *buf, uint16_t type, uint32_t length, uint32_t seq)
{
	wire_put32(buf, WIRE_MAGIC);
	wire_put16(buf + 4, WIRE_VERSION);
	wire_put16(buf + 6, type);
	wire_put32(buf + 8, length);
	wire_put32(buf + 12, seq);
}

int
wire_decode_hello(const uint8_t *p, size_t len, struct wire_hello *m)
{
	if (len != WIRE_HELLO_LEN)
		return WIRE_ELENGTH;
	m->min_version = wire_get16(p);
	m->max_version = wire_get16(p + 2);
	m->role = wire_get32(p + 4);
	m->flags = wire_get32(p + 8);
	if (m->min_version > m->max_version)
		return WIRE_EVALUE;
	if (m->role != WIRE_ROLE_RANK && m->role != WIRE_ROLE_CTL)
		return WIRE_EVALUE;
	return WIRE_OK;
}

int
wire_decode_join(const uint8_t *p, size_t len, struct wire_join *m)
{
	struct wire_join_ext ext;
	int rc;

	if (len < WIRE_JOIN_LEN)
		return WIRE_ELENGTH;
	memcpy(m->key, p, WIRE_KEY_LEN);
	m->rank = wire_get32(p + 16);
	m->nranks = wire_get32(p + 20);
	m->flags = wire_get32(p + 24);
	m->reserved = wire_get32(p + 28);
	m->ext = p + WIRE_JOIN_LEN;
	m->ext_len = (uint32_t)(len - WIRE_JOIN_LEN);
	if (m->nranks == 0 || m->rank >= m->nranks)
		return WIRE_EVALUE;
	if (m->flags & ~WIRE_JOIN_FLAGS)
		return WIRE_EVALUE;
	if (!(m->flags & WIRE_JOIN_MULTINODE))
		return len == WIRE_JOIN_LEN ? WIRE_OK : WIRE_ELENGTH;
	/* A job across nodes runs its collectives through the daemons. */
	if (!(m->flags & WIRE_JOIN_DAEMON_COLL))
		return WIRE_EVALUE;
	if ((rc = wire_decode_join_ext(m->ext, m->ext_len, m->nranks,
	    &ext)) != WIRE_OK)
		return rc;
	return WIRE_OK;
}

int
wire_decode_join_ext(const uint8_t *p, size_t len, uint32_t nranks,
    struct wire_join_ext *m)
{
	size_t off, i;

	memset(m, 0, sizeof *m);
	if (len < WIRE_JOIN_EXT_MIN)
		return WIRE_ELENGTH;
	m->flags = wire_get32(p);
	m->nroot = wire_get32(p + 4);
	m->root_instance = wire_get64(p + 8);
	if (m->flags & ~(WIRE_EXT_ROOT | WIRE_EXT_MAP) ||
	    !(m->flags & (WIRE_EXT_ROOT | WIRE_EXT_MAP)))
		return WIRE_EVALUE;
	if (m->nroot > WIRE_ID_MAX_EP ||
	    (m->nroot == 0) == !!(m->flags & WIRE_EXT_ROOT))
		return WIRE_EVALUE;
	off = WIRE_JOIN_EXT_MIN + (size_t)m->nroot * WIRE_EP_LEN;
	if (len < off)
		return WIRE_ELENGTH;
	m->root = p + WIRE_JOIN_EXT_MIN;
	for (i = 0; i < m->nroot; i++) {
		const uint8_t *e = m->root + i * WIRE_EP_LEN;

		if ((e[0] != 4 && e[0] != 6) || wire_get16(e + 2) == 0)
			return WIRE_EVALUE;
	}
	if (!(m->flags & WIRE_EXT_MAP))
		return len == off ? WIRE_OK : WIRE_ELENGTH;
	if (len < off + 8)
		return WIRE_ELENGTH;
	m->nnodes = wire_get32(p + off);
	m->node = wire_get32(p + off + 4);
	off += 8;
	if (m->nnodes == 0 || m->nnodes > WIRE_MAX_NODES ||
	    m->nnodes > nranks || m->node >= m->nnodes)
		return WIRE_EVALUE;
	if (len != off + (size_t)m->nnodes * WIRE_HOST_LEN +
	    (size_t)nranks * 4)
		return WIRE_ELENGTH;
	m->hosts = p + off;
	m->node_of_rank = m->hosts + (size_t)m->nnodes * WIRE_HOST_LEN;
	for (i = 0; i < nranks; i++)
		if (wire_get32(m->node_of_rank + i * 4) >= m->nnodes)
			return WIRE_EVALUE;
	return WIRE_OK;
}

int
wire_decode_arrive(const uint8_t *p, size_t len, struct wire_arrive *m)
{
	if (len != WIRE_ARRIVE_LEN)
		return WIRE_ELENGTH;
	m->kind = wire_get32(p);
	m->flags = wire_get32(p + 4);
	m->bytes = wire_get64(p + 8);
	if (m->flags & ~(uint32_t)WIRE_ARRIVE_NODE)
		return WIRE_EVALUE;
	switch (m->kind) {
	case WIRE_COLL_BARRIER:
		if (m->bytes != 0)
			return WIRE_EVALUE;
		break;
	case WIRE_COLL_ALLGATHER:
	case WIRE_COLL_ALLTOALL:
		if (m->bytes > (1u << 20))
			return WIRE_EVALUE;
		break;
	default:
		return WIRE_EVALUE;
	}
	return WIRE_OK;
}

int
wire_decode_msg(const uint8_t *p, size_t len, struct wire_msg *m)
{
	if (len < WIRE_MSG_HDR_LEN || len > WIRE_PAYLOAD_MAX)
		return WIRE_ELENGTH;
	m->peer = wire_get32(p);
	m->tag = wire_get32(p + 4);
	m->data = p + WIRE_MSG_HDR_LEN;
	m->len = (uint32_t)(len - WIRE_MSG_HDR_LEN);
	if (m->tag > 0x7fffffffu)
		return WIRE_EVALUE;
	return WIRE_OK;
}

int
wire_decode_status(const uint8_t *p, size_t len, struct wire_status_msg *m)
{
	if (len < WIRE_STATUS_HDR_LEN || len > WIRE_STATUS_HDR_LEN +
	    WIRE_TEXT_MAX)
		return WIRE_ELENGTH;
	m->code = (int32_t)wire_get32(p);
	m->rank = wire_get32(p + 4);
	m->text = (const char *)p + WIRE_STATUS_HDR_LEN;
	m->text_len = (uint32_t)(len - WIRE_STATUS_HDR_LEN);
	if (m->code > 0 || m->code < -1000)
		return WIRE_EVALUE;
	return WIRE_OK;
}

int
wire_decode_join_ack(const uint8_t *p, size_t len, struct wire_join_ack *m)
{
	if (len != WIRE_JOIN_ACK_LEN)
		return WIRE_ELENGTH;
	m->version = wire_get16(p);
	m->flags = wire_get16(p + 2);
	m->job_id = wire_get32(p + 4);
	m->table_size = wire_get64(p + 8);
	m->ctl_size = wire_get64(p + 16);
	if (m->version < WIRE_VERSION_MIN || m->version > WIRE_VERSION_MAX)
		return WIRE_EVALUE;
	if (m->ctl_size == 0 || m->ctl_size > m->table_size)
		return WIRE_EVALUE;
	if (m->flags & ~WIRE_ACK_FLAGS)
		return WIRE_EVALUE;
	return WIRE_OK;
}

int
wire_decode_ready(const uint8_t *p, size_t len, struct wire_ready *m)
{
	if (len != WIRE_READY_LEN && len != WIRE_READY_LEN_V1)
		return WIRE_ELENGTH;
	m->local_rank = wire_get32(p);
	m->local_size = wire_get32(p + 4);
	m->node = 0;
	m->nnodes = 1;
	if (len == WIRE_READY_LEN) {
		m->node = wire_get32(p + 8);
		m->nnodes = wire_get32(p + 12);
	}
	if (m->local_size == 0 || m->local_rank >= m->local_size)
		return WIRE_EVALUE;
	if (m->nnodes == 0 || m->node >= m->nnodes)
		return WIRE_EVALUE;
	return WIRE_OK;
}

size_t
wire_encode_hello(uint8_t *buf, const struct wire_hello *m)
{
	uint8_t *p = buf + WIRE_HDR_LEN;

	wire_encode_hdr(buf, WIRE_HELLO, WIRE_HELLO_LEN, 0);
	wire_put16(p, m->min_version);
	wire_put16(p + 2, m->max_version);
	wire_put32(p + 4, m->role);
	wire_put32(p + 8, m->flags);
	return WIRE_HDR_LEN + WIRE_HELLO_LEN;
}

size_t
wire_encode_join(uint8_t *buf, const struct wire_join *m)
{
	return wire_encode_join_hdr(buf, m, 0);
}

size_t
wire_encode_join_hdr(uint8_t *buf, const struct wire_join *m,
    uint32_t ext_len)
{
	uint8_t *p = buf + WIRE_HDR_LEN;

	wire_encode_hdr(buf, WIRE_JOIN, WIRE_JOIN_LEN + ext_len, 0);
	memcpy(p, m->key, WIRE_KEY_LEN);
	wire_put32(p + 16, m->rank);
	wire_put32(p + 20, m->nranks);
	wire_put32(p + 24, m->flags);
	wire_put32(p + 28, m->reserved);
	return WIRE_HDR_LEN + WIRE_JOIN_LEN;
}

size_t
wire_encode_arrive(uint8_t *buf, uint32_t seq, const struct wire_arrive *m)
{
	uint8_t *p = buf + WIRE_HDR_LEN;

	wire_encode_hdr(buf, WIRE_ARRIVE, WIRE_ARRIVE_LEN, seq);
	wire_put32(p, m->kind);
	wire_put32(p + 4, m->flags);
	wire_put64(p + 8, m->bytes);
	return WIRE_HDR_LEN + WIRE_ARRIVE_LEN;
}

size_t
wire_encode_msg_hdr(uint8_t *buf, uint16_t type, uint32_t seq, uint32_t peer,
    uint32_t tag, uint32_t len)
{
	wire_encode_hdr(buf, type, WIRE_MSG_HDR_LEN + len, seq);
	wire_put32(buf + WIRE_HDR_LEN, peer);
	wire_put32(buf + WIRE_HDR_LEN + 4, tag);
	return WIRE_HDR_LEN + WIRE_MSG_HDR_LEN;
}

size_t
wire_encode_status(uint8_t *buf, uint16_t type, uint32_t seq, int32_t code,
    uint32_t rank, const char *text)
{
	size_t n = text != NULL ? strnlen(text, WIRE_TEXT_MAX) : 0;

	wire_encode_hdr(buf, type, (uint32_t)(WIRE_STATUS_HDR_LEN + n), seq);
	wire_put32(buf + WIRE_HDR_LEN, (uint32_t)code);
	wire_put32(buf + WIRE_HDR_LEN + 4, rank);
	if (n > 0)
		memcpy(buf + WIRE_HDR_LEN + WIRE_STATUS_HDR_LEN, text, n);
	return WIRE_HDR_LEN + WIRE_STATUS_HDR_LEN + n;
}

size_t
wire_encode_join_ack(uint8_t *buf, const struct wire_join_ack *m)
{
	uint8_t *p = buf + WIRE_HDR_LEN;

	wire_encode_hdr(buf, WIRE_JOIN_ACK, WIRE_JOIN_ACK_LEN, 0);
	wire_put16(p, m->version);
	wire_put16(p + 2, m->flags);
	wire_put32(p + 4, m->job_id);
	wire_put64(p + 8, m->table_size);
	wire_put64(p + 16, m->ctl_size);
	return WIRE_HDR_LEN + WIRE_JOIN_ACK_LEN;
}

size_t
wire_encode_ready(uint8_t *buf, const struct wire_ready *m)
{
	/* One node: the 8-byte form, as before multi-node jobs. */
	uint32_t len = m->nnodes > 1 ? WIRE_READY_LEN : WIRE_READY_LEN_V1;

	wire_encode_hdr(buf, WIRE_READY, len, 0);
	wire_put32(buf + WIRE_HDR_LEN, m->local_rank);
	wire_put32(buf + WIRE_HDR_LEN + 4, m->local_size);
	if (len == WIRE_READY_LEN) {
		wire_put32(buf + WIRE_HDR_LEN + 8, m->node);
		wire_put32(buf + WIRE_HDR_LEN + 12, m->nnodes);
	}
	return WIRE_HDR_LEN + len;
}

size_t
wire_encode_empty(uint8_t *buf, uint16_t type, uint32_t seq)
{
	wire_encode_hdr(buf, type, 0, seq);
	return WIRE_HDR_LEN;
}

/* Decode one payload by type; the header's length rule already holds. */
static int
wire_check_payload(uint16_t type, const uint8_t *p, size_t len)
{
	union {
		struct wire_hello hello;
		struct wire_join join;
		struct wire_arrive arrive;
		struct wire_msg msg;
		struct wire_status_msg status;
		struct wire_join_ack ack;
		struct wire_ready ready;
	} u;

	switch (type) {
	case WIRE_HELLO:
		return wire_decode_hello(p, len, &u.hello);
	case WIRE_JOIN:
		return wire_decode_join(p, len, &u.join);
	case WIRE_ARRIVE:
		return wire_decode_arrive(p, len, &u.arrive);
	case WIRE_SEND:
	case WIRE_DELIVER:
		return wire_decode_msg(p, len, &u.msg);
	case WIRE_ABORT:
	case WIRE_SEND_ACK:
	case WIRE_FAIL:
	case WIRE_ERROR:
		return wire_decode_status(p, len, &u.status);
	case WIRE_JOIN_ACK:
		return wire_decode_join_ack(p, len, &u.ack);
	case WIRE_READY:
		return wire_decode_ready(p, len, &u.ready);
	}
	return WIRE_OK;
}

int
wire_check_stream(const uint8_t *buf, size_t len, int from)
{
	struct wire_hdr hdr;
	int rc;

	while (len > 0) {
		rc = wire_decode_hdr_untrusted(buf, len, from, &hdr);
		if (rc != WIRE_OK)
			return rc;
		if (len - WIRE_HDR_LEN < hdr.length)
			return WIRE_NEED_MORE;
		rc = wire_check_payload(hdr.type, buf + WIRE_HDR_LEN,
		    hdr.length);
		if (rc != WIRE_OK)
			return rc;
		buf += WIRE_HDR_LEN + hdr.length;
		len -= WIRE_HDR_LEN + hdr.length;
	}
	return WIRE_OK;
}
