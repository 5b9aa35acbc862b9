/*
 * mq.c - what arrived for fb_recv: a FIFO of messages matched by (peer,
 * tag) in order, and the peers the daemon said left (LEFT frames).  The
 * daemon path fills it from decode.c; another send/recv path fills the same
 * queue.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

int
mq_init(fb_comm *c)
{
	c->left = calloc((size_t)c->nranks / 8 + 1, 1);
	return c->left == NULL ? -1 : 0;
}

void
mq_free(fb_comm *c)
{
	struct msgq *q, *next;
	uint32_t peer;

	for (q = c->mq_head; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	c->mq_head = c->mq_tail = NULL;
	free(c->left);
	c->left = NULL;
	if (c->part != NULL)
		for (peer = 0; peer < (uint32_t)c->nranks; peer++)
			free(c->part[peer]);
	free(c->part);
	free(c->part_cap);
	c->part = NULL;
	c->part_cap = NULL;
}

void
mq_push(fb_comm *c, struct msgq *q)
{
	q->next = NULL;
	if (c->mq_tail != NULL)
		c->mq_tail->next = q;
	else
		c->mq_head = q;
	c->mq_tail = q;
}

/* The link that points at the oldest match, or NULL. */
struct msgq **
mq_find(fb_comm *c, uint32_t peer, uint32_t tag)
{
	struct msgq **pp;

	for (pp = &c->mq_head; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->src == peer && (*pp)->tag == tag)
			return pp;
	return NULL;
}

/* Unlink *pp (from mq_find) and free it. */
void
mq_take(fb_comm *c, struct msgq **pp)
{
	struct msgq *q = *pp;

	*pp = q->next;
	if (c->mq_tail == q)	/* pp is the next field of the one before */
		c->mq_tail = pp == &c->mq_head ? NULL :
		    (struct msgq *)((char *)pp - offsetof(struct msgq, next));
	free(q);
}

void
mq_set_left(fb_comm *c, uint32_t peer)
{
	c->left[peer / 8] |= (uint8_t)(1u << (peer % 8));
}

int
mq_left(const fb_comm *c, uint32_t peer)
{
	return (c->left[peer / 8] & (1u << (peer % 8))) != 0;
}

/*
 * One DELIVER from src: the whole message (*whole, not yet queued), or a
 * part of one (kept here until its last part; *whole NULL).  0, or the
 * handle's error.
 */
int
mq_part(fb_comm *c, uint32_t src, uint32_t tag, uint32_t seq,
    const uint8_t *data, uint32_t len, struct msgq **whole)
{
	struct msgq *q;
	uint64_t have, cap;

	*whole = NULL;
	q = c->part != NULL ? c->part[src] : NULL;
	if (seq & P2P_SEQ_CANCEL) {	/* the sender gave up on it */
		if (q != NULL)
			free(q);
		if (c->part != NULL)
			c->part[src] = NULL;
		return 0;
	}
	if (q == NULL && !(seq & P2P_SEQ_MORE)) {
		if ((q = malloc(sizeof *q + len)) == NULL)
			goto nomem;
		q->src = src;
		q->tag = tag;
		q->len = len;
		memcpy(q->data, data, len);
		*whole = q;
		return 0;
	}
	if (c->part == NULL) {
		c->part = calloc((size_t)c->nranks, sizeof *c->part);
		c->part_cap = calloc((size_t)c->nranks, sizeof *c->part_cap);
		if (c->part == NULL || c->part_cap == NULL)
			goto nomem;
	}
	have = q != NULL ? q->len : 0;
	if (q != NULL && q->tag != tag)
		return comm_fail(c, FB_E_PROTO, "rank %u's message of tag %u "
		    "came in parts with tag %u among them", src, q->tag, tag);
	if (have + len > FB_MAX_MSG_BYTES)
		return comm_fail(c, FB_E_PROTO, "rank %u's message of tag %u "
		    "grew past %u bytes", src, tag, FB_MAX_MSG_BYTES);
	if (q == NULL || have + len > c->part_cap[src]) {
		cap = q != NULL ? (uint64_t)c->part_cap[src] * 2 :
		    4 * (uint64_t)P2P_PART_BYTES;
		if (cap < have + len)
			cap = have + len;
		if (cap > FB_MAX_MSG_BYTES)
			cap = FB_MAX_MSG_BYTES;
		if ((q = realloc(q, sizeof *q + cap)) == NULL)
			goto nomem;
		c->part[src] = q;
		c->part_cap[src] = (uint32_t)cap;
		if (have == 0) {
			q->src = src;
			q->tag = tag;
			q->len = 0;
		}
	}
	memcpy(q->data + have, data, len);
	q->len = (uint32_t)(have + len);
	if (!(seq & P2P_SEQ_MORE)) {
		c->part[src] = NULL;
		*whole = q;
	}
	return 0;
nomem:
	return comm_fail(c, FB_E_NOMEM, "no memory to queue a message from "
	    "rank %u", src);
}
