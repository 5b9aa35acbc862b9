/*
 * mq.c - what arrived for fb_recv: a FIFO of messages matched by (peer,
 * tag) in order, and the peers the daemon said left (LEFT frames).  The
 * daemon path fills it from decode.c; another send/recv path fills the same
 * queue.
 */
#include <stddef.h>
#include <stdlib.h>

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

	for (q = c->mq_head; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	c->mq_head = c->mq_tail = NULL;
	free(c->left);
	c->left = NULL;
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
