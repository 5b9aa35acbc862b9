/*
 * decode.c - what each frame from fastbootd means for the handle: JOIN_ACK
 * maps the table, READY, RELEASE and SEND_ACK advance progress, DELIVER and
 * LEFT go to the receive queue, FAIL and ERROR make the failure sticky.
 * Anything else, or a payload that does not decode, is a protocol error.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

static int
decode_join_ack(fb_comm *comm, const uint8_t *p, uint32_t len)
{
	struct wire_join_ack m;
	int fds[2], want, n, rc;

	comm->t_ack = clock_mono_ns();
	n = wire_reader_take_fds(&comm->in, fds, 2);
	if (wire_decode_join_ack(p, len, &m) != WIRE_OK || comm->joined) {
		rc = comm_fail(comm, FB_E_PROTO, "bad JOIN_ACK from "
		    "fastbootd");
		goto bad;
	}
	/* READY through the table: only what this rank asked for (one
	 * node, shared-memory collectives), and with the eventfd. */
	if ((m.flags & WIRE_ACK_TABLE_READY) && (comm->daemon_coll ||
	    comm->multinode || !(m.flags & WIRE_ACK_EVENTFD))) {
		rc = comm_fail(comm, FB_E_PROTO, "JOIN_ACK from fastbootd "
		    "promises READY through the table, which this rank did "
		    "not ask for");
		goto bad;
	}
	want = m.flags & WIRE_ACK_EVENTFD ? 2 : 1;
	if (n != want) {
		rc = comm_fail(comm, FB_E_PROTO, "JOIN_ACK came with %d "
		    "descriptors, not %d", n, want);
		goto bad;
	}
	if (m.table_size > SIZE_MAX) {
		rc = comm_fail(comm, FB_E_PROTO, "rank table too large");
		goto bad;
	}
	if ((rc = rtab_map(comm, &m, fds[0], want == 2 ? fds[1] : -1)) != 0)
		return rc;
	comm->t_mapped = clock_mono_ns();
	comm->job_id = m.job_id;
	comm->joined = 1;
	comm->table_ready = (m.flags & WIRE_ACK_TABLE_READY) != 0;
	comm->leave_close = (m.flags & WIRE_ACK_LEAVE_CLOSE) != 0;
	return 0;
bad:
	while (n > 0)
		close(fds[--n]);
	return rc;
}

static int
decode_status_text(const struct wire_status_msg *m, char *buf, size_t size)
{
	size_t n = m->text_len < size - 1 ? m->text_len : size - 1;
	size_t i;

	memcpy(buf, m->text, n);
	buf[n] = '\0';
	for (i = 0; i < n; i++)	/* the daemon's text: keep it printable */
		if ((unsigned char)buf[i] < 0x20)
			buf[i] = ' ';
	return m->code;
}

/* One whole frame from the daemon: 0, or the handle's error. */
int
decode_frame(fb_comm *comm, const struct wire_frame *f)
{
	const struct wire_hdr *h = &f->hdr;
	const uint8_t *p = f->payload;
	struct wire_status_msg st;
	struct wire_ready ready;
	struct wire_msg msg;
	struct msgq *q;
	char text[WIRE_TEXT_MAX + 1];
	int code;

	switch (h->type) {
	case WIRE_JOIN_ACK:
		return decode_join_ack(comm, p, h->length);
	case WIRE_READY:
		if (wire_decode_ready(p, h->length, &ready) != WIRE_OK)
			break;
		comm->local_rank = (int)ready.local_rank;
		comm->local_size = (int)ready.local_size;
		comm->node = (int)ready.node;
		comm->nnodes = (int)ready.nnodes;
		comm->ready = 1;
		comm->t_ready = clock_mono_ns();
		return 0;
	case WIRE_RELEASE:
		comm->released = h->seq;
		return 0;
	case WIRE_DELIVER:
		if (wire_decode_msg(p, h->length, &msg) != WIRE_OK ||
		    msg.peer >= (uint32_t)comm->nranks)
			break;
		if ((code = mq_part(comm, msg.peer, msg.tag, h->seq, msg.data,
		    msg.len, &q)) != 0 || q == NULL)
			return code;
		/* After what the sender's ring held before it. */
		return shm_deliver(comm, q);
	case WIRE_SEND_ACK:
		if (wire_decode_status(p, h->length, &st) != WIRE_OK)
			break;
		comm->acked = h->seq;
		comm->ack_code = decode_status_text(&st, comm->ack_text,
		    sizeof comm->ack_text);
		return 0;
	case WIRE_LEFT:
		if (h->seq >= (uint32_t)comm->nranks)
			break;
		mq_set_left(comm, h->seq);
		return 0;
	case WIRE_FAIL:
	case WIRE_ERROR:
		if (wire_decode_status(p, h->length, &st) != WIRE_OK)
			break;
		code = decode_status_text(&st, text, sizeof text);
		if (code == 0)
			code = FB_E_PROTO;
		return comm_fail(comm, code, "%s%s", h->type == WIRE_FAIL ?
		    "job failed: " : "fastbootd refused: ", text);
	}
	return comm_fail(comm, FB_E_PROTO, "unexpected or malformed %s "
	    "(type %u) from fastbootd", wire_type_name(h->type), h->type);
}
