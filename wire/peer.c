/*
 * peer.c - encode and decode frames between daemons (see peer.h and
 * doc/protocol.md).  The frames' rules (magic, version, types, lengths,
 * sequence numbers) are in wire.c's one table, under WIRE_FROM_PEER, and
 * the header is decoded by wire_decode_hdr_untrusted().
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "wire.h"
#include "peer.h"

const char *
wpeer_type_name(uint16_t type)
{
	return wire_frame_name(WIRE_FROM_PEER, type);
}

void
wpeer_encode_hdr(uint8_t *buf, uint16_t type, uint32_t length, uint32_t seq)
{
	wire_put32(buf, WPEER_MAGIC);
	wire_put16(buf + 4, WPEER_VERSION);
	wire_put16(buf + 6, type);
	wire_put32(buf + 8, length);
	wire_put32(buf + 12, seq);
}

void
wpeer_put_ep(uint8_t *p, const struct wpeer_ep *ep)
{
	p[0] = ep->family;
	p[1] = 0;
	wire_put16(p + 2, ep->port);
	memcpy(p + 4, ep->addr, 16);
}

int
wpeer_get_ep(const uint8_t *p, struct wpeer_ep *ep)
{
	memset(ep, 0, sizeof *ep);
	ep->family = p[0];
	ep->port = wire_get16(p + 2);
	memcpy(ep->addr, p + 4, 16);
	if (ep->family != 4 && ep->family != 6)
		return WIRE_EVALUE;
	if (ep->port == 0)
		return WIRE_EVALUE;
	if (ep->family == 4) {
		static const uint8_t zero[12];

		if (memcmp(ep->addr + 4, zero, sizeof zero) != 0)
			return WIRE_EVALUE;
	}
	return WIRE_OK;
}

int
wpeer_ep_equal(const struct wpeer_ep *a, const struct wpeer_ep *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

void
wpeer_ep_format(const struct wpeer_ep *ep, char *buf, size_t size)
{
	const uint8_t *a = ep->addr;
	char h[INET6_ADDRSTRLEN];

	if (ep->family == 4) {
		snprintf(buf, size, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3],
		    ep->port);
		return;
	}
	if (inet_ntop(AF_INET6, a, h, sizeof h) == NULL)
		snprintf(h, sizeof h, "?");
	snprintf(buf, size, "[%s]:%u", h, ep->port);
}

void
wpeer_get_host(const uint8_t *p, char *host)
{
	size_t i;

	memcpy(host, p, WPEER_HOST_LEN);
	host[WPEER_HOST_LEN - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if ((unsigned char)host[i] < 0x21 ||
		    (unsigned char)host[i] > 0x7e)
			host[i] = '?';
}

int
wpeer_decode_hello(const uint8_t *p, size_t len, struct wpeer_hello *m)
{
	if (len != WPEER_HELLO_LEN)
		return WIRE_ELENGTH;
	m->min_version = wire_get16(p);
	m->max_version = wire_get16(p + 2);
	m->flags = wire_get32(p + 4);
	m->instance = wire_get64(p + 8);
	memcpy(m->nonce, p + 16, WPEER_NONCE_LEN);
	if (wpeer_get_ep(p + 32, &m->ep) != WIRE_OK)
		return WIRE_EVALUE;
	wpeer_get_host(p + 32 + WPEER_EP_LEN, m->host);
	if (m->min_version > m->max_version)
		return WIRE_EVALUE;
	return WIRE_OK;
}

size_t
wpeer_encode_hello(uint8_t *buf, const struct wpeer_hello *m)
{
	uint8_t *p = buf + WPEER_HDR_LEN;

	wpeer_encode_hdr(buf, WPEER_HELLO, WPEER_HELLO_LEN, 0);
	wire_put16(p, m->min_version);
	wire_put16(p + 2, m->max_version);
	wire_put32(p + 4, m->flags);
	wire_put64(p + 8, m->instance);
	memcpy(p + 16, m->nonce, WPEER_NONCE_LEN);
	wpeer_put_ep(p + 32, &m->ep);
	memset(p + 32 + WPEER_EP_LEN, 0, WPEER_HOST_LEN);
	memcpy(p + 32 + WPEER_EP_LEN, m->host,
	    strnlen(m->host, WPEER_HOST_LEN - 1));
	return WPEER_HDR_LEN + WPEER_HELLO_LEN;
}

int
wpeer_decode_refuse(const uint8_t *p, size_t len, struct wpeer_refuse *m)
{
	if (len < WPEER_REFUSE_MIN || len > WPEER_REFUSE_MIN + WPEER_TEXT_MAX)
		return WIRE_ELENGTH;
	memcpy(m->tag, p, WPEER_TAG_LEN);
	m->code = (int32_t)wire_get32(p + WPEER_TAG_LEN);
	m->text = (const char *)p + WPEER_REFUSE_MIN;
	m->text_len = (uint32_t)(len - WPEER_REFUSE_MIN);
	if (m->code >= 0 || m->code < -1000)
		return WIRE_EVALUE;
	return WIRE_OK;
}

size_t
wpeer_encode_refuse(uint8_t *buf, const uint8_t *tag, int32_t code,
    const char *text)
{
	size_t n = text != NULL ? strnlen(text, WPEER_TEXT_MAX) : 0;

	wpeer_encode_hdr(buf, WPEER_REFUSE, (uint32_t)(WPEER_REFUSE_MIN + n),
	    0);
	memcpy(buf + WPEER_HDR_LEN, tag, WPEER_TAG_LEN);
	wire_put32(buf + WPEER_HDR_LEN + WPEER_TAG_LEN, (uint32_t)code);
	if (n > 0)
		memcpy(buf + WPEER_HDR_LEN + WPEER_REFUSE_MIN, text, n);
	return WPEER_HDR_LEN + WPEER_REFUSE_MIN + n;
}

int
wpeer_decode_job(const uint8_t *p, size_t len, struct wpeer_job *m)
{
	if (len < WPEER_JOB_OVERHEAD || len > WPEER_PAYLOAD_MAX)
		return WIRE_ELENGTH;
	memcpy(m->tag, p, WPEER_TAG_LEN);
	m->node = wire_get32(p + WPEER_TAG_LEN);
	m->body = p + WPEER_JOB_HDR_LEN;
	m->body_len = (uint32_t)(len - WPEER_JOB_OVERHEAD);
	m->mac = p + len - WPEER_MAC_LEN;
	if (m->node != WPEER_NO_NODE && m->node >= WPEER_MAX_NODES)
		return WIRE_EVALUE;
	return WIRE_OK;
}

static int
wpeer_list(const uint8_t *p, size_t len, uint32_t *n, const uint8_t **list)
{
	if (len < 4)
		return WIRE_ELENGTH;
	*n = wire_get32(p);
	*list = p + 4;
	if (*n == 0 || *n > 65536 || len != 4 + (size_t)*n * 4)
		return WIRE_ELENGTH;
	return WIRE_OK;
}

int
wpeer_decode_join(const uint8_t *p, size_t len, struct wpeer_join *m)
{
	if (len < WPEER_JOIN_MIN)
		return WIRE_ELENGTH;
	m->nranks = wire_get32(p);
	m->flags = wire_get32(p + 4);
	if (wpeer_get_ep(p + 8, &m->ep) != WIRE_OK)
		return WIRE_EVALUE;
	wpeer_get_host(p + 8 + WPEER_EP_LEN, m->host);
	if (m->nranks == 0 || m->nranks > 65536)
		return WIRE_EVALUE;
	return wpeer_list(p + 8 + WPEER_EP_LEN + WPEER_HOST_LEN,
	    len - 8 - WPEER_EP_LEN - WPEER_HOST_LEN, &m->nlist, &m->list);
}

int
wpeer_decode_ranks(const uint8_t *p, size_t len, struct wpeer_ranks *m)
{
	return wpeer_list(p, len, &m->nlist, &m->list);
}

int
wpeer_decode_map(const uint8_t *p, size_t len, struct wpeer_map *m)
{
	if (len < 12)
		return WIRE_ELENGTH;
	m->nnodes = wire_get32(p);
	m->node = wire_get32(p + 4);
	m->nranks = wire_get32(p + 8);
	if (m->nnodes == 0 || m->nnodes > WPEER_MAX_NODES ||
	    m->nranks == 0 || m->nranks > 65536 || m->node >= m->nnodes ||
	    m->nnodes > m->nranks)
		return WIRE_EVALUE;
	if (len != 12 + (size_t)m->nnodes * WPEER_MAP_NODE_LEN +
	    (size_t)m->nranks * 4)
		return WIRE_ELENGTH;
	m->nodes = p + 12;
	m->node_of_rank = m->nodes + (size_t)m->nnodes * WPEER_MAP_NODE_LEN;
	return WIRE_OK;
}

int
wpeer_decode_coll(const uint8_t *p, size_t len, struct wpeer_coll *m)
{
	if (len < WPEER_COLL_HDR)
		return WIRE_ELENGTH;
	m->seq = wire_get32(p);
	m->kind = wire_get16(p + 4);
	m->step = wire_get16(p + 6);
	m->bytes = wire_get64(p + 8);
	m->data = p + WPEER_COLL_HDR;
	m->len = (uint32_t)(len - WPEER_COLL_HDR);
	if (m->kind != WIRE_COLL_BARRIER && m->kind != WIRE_COLL_ALLGATHER &&
	    m->kind != WIRE_COLL_ALLTOALL)
		return WIRE_EVALUE;
	if (m->bytes > (1u << 20) || m->step > 31)
		return WIRE_EVALUE;
	return WIRE_OK;
}

int
wpeer_decode_msg(const uint8_t *p, size_t len, struct wpeer_msg *m)
{
	if (len < WPEER_MSG_HDR || len > WPEER_MSG_HDR + (1u << 20))
		return WIRE_ELENGTH;
	m->src = wire_get32(p);
	m->dst = wire_get32(p + 4);
	m->tag = wire_get32(p + 8);
	m->sendseq = wire_get32(p + 12);
	m->data = p + WPEER_MSG_HDR;
	m->len = (uint32_t)(len - WPEER_MSG_HDR);
	if (m->tag > 0x7fffffffu)
		return WIRE_EVALUE;
	return WIRE_OK;
}

static int
wpeer_text(const uint8_t *p, size_t len, struct wpeer_status *m)
{
	if (len > WPEER_TEXT_MAX)
		return WIRE_ELENGTH;
	m->text = (const char *)p;
	m->text_len = (uint32_t)len;
	if (m->code > 0 || m->code < -1000)
		return WIRE_EVALUE;
	return WIRE_OK;
}

int
wpeer_decode_ack(const uint8_t *p, size_t len, struct wpeer_status *m)
{
	if (len < WPEER_ACK_HDR)
		return WIRE_ELENGTH;
	m->src = wire_get32(p);
	m->sendseq = wire_get32(p + 4);
	m->code = (int32_t)wire_get32(p + 8);
	m->rank = wire_get32(p + 12);
	return wpeer_text(p + WPEER_ACK_HDR, len - WPEER_ACK_HDR, m);
}

int
wpeer_decode_left(const uint8_t *p, size_t len, uint32_t *rank,
    uint32_t *done)
{
	if (len != WPEER_LEFT_LEN)
		return WIRE_ELENGTH;
	*rank = wire_get32(p);
	*done = wire_get32(p + 4);
	return WIRE_OK;
}

int
wpeer_decode_fail(const uint8_t *p, size_t len, struct wpeer_status *m)
{
	if (len < WPEER_FAIL_HDR)
		return WIRE_ELENGTH;
	m->src = 0;
	m->sendseq = 0;
	m->code = (int32_t)wire_get32(p);
	m->rank = wire_get32(p + 4);
	if (m->code == 0)
		return WIRE_EVALUE;
	return wpeer_text(p + WPEER_FAIL_HDR, len - WPEER_FAIL_HDR, m);
}

/* Decode one payload by type; the header's length rule already holds. */
static int
wpeer_check_payload(uint16_t type, const uint8_t *p, size_t len)
{
	union {
		struct wpeer_hello hello;
		struct wpeer_refuse refuse;
		struct wpeer_join join;
		struct wpeer_ranks ranks;
		struct wpeer_map map;
		struct wpeer_coll coll;
		struct wpeer_msg msg;
		struct wpeer_status st;
		uint32_t left[2];
	} u;
	struct wpeer_job job;
	int rc;

	switch (type) {
	case WPEER_HELLO:
		return wpeer_decode_hello(p, len, &u.hello);
	case WPEER_REFUSE:
		return wpeer_decode_refuse(p, len, &u.refuse);
	case WPEER_PING:
		return WIRE_OK;
	}
	if ((rc = wpeer_decode_job(p, len, &job)) != WIRE_OK)
		return rc;
	switch (type) {
	case WPEER_JOIN:
		return wpeer_decode_join(job.body, job.body_len, &u.join);
	case WPEER_RANKS:
		return wpeer_decode_ranks(job.body, job.body_len, &u.ranks);
	case WPEER_MAP:
		return wpeer_decode_map(job.body, job.body_len, &u.map);
	case WPEER_COLL:
		return wpeer_decode_coll(job.body, job.body_len, &u.coll);
	case WPEER_MSG:
	case WPEER_MSG_HELD:
		return wpeer_decode_msg(job.body, job.body_len, &u.msg);
	case WPEER_MSG_ACK:
		return wpeer_decode_ack(job.body, job.body_len, &u.st);
	case WPEER_LEFT:
		return wpeer_decode_left(job.body, job.body_len, &u.left[0],
		    &u.left[1]);
	case WPEER_FAIL:
		return wpeer_decode_fail(job.body, job.body_len, &u.st);
	case WPEER_PROOF:
	case WPEER_RETIRE:
		return WIRE_OK;		/* no body: the MAC is the message */
	}
	return WIRE_ETYPE;
}

int
wpeer_check_stream(const uint8_t *buf, size_t len)
{
	struct wire_hdr hdr;
	int rc;

	while (len > 0) {
		rc = wire_decode_hdr_untrusted(buf, len, WIRE_FROM_PEER, &hdr);
		if (rc != WIRE_OK)
			return rc;
		if (len - WIRE_HDR_LEN < hdr.length)
			return WIRE_NEED_MORE;
		rc = wpeer_check_payload(hdr.type, buf + WPEER_HDR_LEN,
		    hdr.length);
		if (rc != WIRE_OK)
			return rc;
		buf += WPEER_HDR_LEN + hdr.length;
		len -= WPEER_HDR_LEN + hdr.length;
	}
	return WIRE_OK;
}
