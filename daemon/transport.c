/*
 * transport.c - a stream connection's bytes: the socket, the input buffer
 * (the wire reader), the output queue, descriptor passing and deadlines.
 * It knows where frames begin and end, never what they mean: each whole
 * frame goes to the owner's dispatch function, and dispatch(ctx, NULL) is
 * called exactly once, just before the transport is freed, whatever ended
 * it (EOF, a socket error, transport_close(), transport_drop(), shutdown).
 *
 * Client connections (conn.c) use it over AF_UNIX; daemon-to-daemon links
 * (peer.c) are another owner, over TCP, with WIRE_FROM_PEER frames and no
 * descriptors (flags 0).
 *
 * Bytes held per connection, in and out, are counted here and only here
 * (transport_buffered()); work per wake-up is bounded in reads and frames.
 *
 *	OPEN --transport_close()--> CLOSING (flush, at most TRANSPORT_CLOSE_MS)
 *	OPEN/CLOSING --EOF, error, drop, flushed--> dispatch(NULL), freed
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

#define TRANSPORT_READS_PER_WAKEUP	8
#define TRANSPORT_FRAMES_PER_WAKEUP	64	/* then let others run */
#define TRANSPORT_CLOSE_MS		1000	/* flushing a last reply */
#define TRANSPORT_SHRINK		(64u << 10)	/* keep an idle input
							 * buffer up to this */
#define TRANSPORT_STOP_REPLY		0x1	/* a reply is unread */
#define TRANSPORT_STOP_HOLD		0x2	/* transport_hold() */
#define TRANSPORT_STOP_DEFER		0x4	/* transport_defer() */
/* A peer link carries collectives of up to WPEER_PAYLOAD_MAX: it starts
 * with a larger buffer and reads in larger pieces than a client's. */
#define TRANSPORT_PEER_INIT		65536
#define TRANSPORT_PEER_CHUNK		4096

struct transport {
	int fd;
	int flags;		/* TRANSPORT_* */
	int closing;
	int err;		/* errno that ended it; 0: EOF or the owner */
	const struct transport_ops *ops;
	void *ctx;
	size_t out_max;		/* queued output that faults the peer */
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_timer;	/* the owner's deadline, or the flush's */
	struct wire_reader in;
	struct evbuffer *out;	/* bytes the socket would not take yet */
	/* Budgets (transport_set_budget), and reading stopped for a while. */
	int (*admit)(void *, const struct wire_hdr *, char *);
	void (*account)(void *, int64_t);
	size_t counted;		/* memory last told to account() */
	int admitted;		/* the partial frame's header passed admit */
	int (*full)(void *);	/* transport_set_full */
	int stopped;		/* TRANSPORT_STOP_* */
	struct event *ev_hold;
	struct transport *next, *prev;	/* all transports, for shutdown */
};

static struct transport *transport_list;

static void transport_read_cb(int, short, void *);
static void transport_write_cb(int, short, void *);
static void transport_timer_cb(int, short, void *);
static void transport_hold_cb(int, short, void *);
static void transport_account(struct transport *);

struct transport *
transport_new(int fd, int from, int flags, size_t out_max,
    const struct transport_ops *ops, void *ctx)
{
	struct transport *t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->fd = fd;
	t->flags = flags;
	t->ops = ops;
	t->ctx = ctx;
	t->out_max = out_max;
	if (from == WIRE_FROM_PEER)
		wire_reader_init(&t->in, from, TRANSPORT_PEER_INIT,
		    TRANSPORT_PEER_CHUNK);
	else
		wire_reader_init(&t->in, from, 4096, 512);
	t->out = evbuffer_new();
	t->ev_read = event_new(dbase, fd, EV_READ | EV_PERSIST,
	    transport_read_cb, t);
	t->ev_write = event_new(dbase, fd, EV_WRITE | EV_PERSIST,
	    transport_write_cb, t);
	t->ev_timer = evtimer_new(dbase, transport_timer_cb, t);
	t->ev_hold = evtimer_new(dbase, transport_hold_cb, t);
	if (t->out == NULL || t->ev_read == NULL || t->ev_write == NULL ||
	    t->ev_timer == NULL || t->ev_hold == NULL)
		fatalx("out of memory for a connection");
	t->next = transport_list;
	if (transport_list != NULL)
		transport_list->prev = t;
	transport_list = t;
	event_add(t->ev_read, NULL);
	return t;
}

/* Tell the owner, then free: the one way a transport ends. */
static void
transport_free(struct transport *t)
{
	if (t->account != NULL && t->counted > 0)
		t->account(t->ctx, -(int64_t)t->counted);
	t->counted = 0;
	t->ops->dispatch(t->ctx, NULL);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		transport_list = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	event_free(t->ev_read);
	event_free(t->ev_write);
	event_free(t->ev_timer);
	event_free(t->ev_hold);
	evbuffer_free(t->out);
	wire_reader_free(&t->in);
	close(t->fd);
	free(t);
}

/* Free now, from the owner's expired() or outside any callback of t. */
void
transport_drop(struct transport *t)
{
	transport_free(t);
}

/* Free every transport of one owner (its ops), at shutdown. */
void
transport_close_all(const struct transport_ops *ops)
{
	struct transport *t;

	/* From the head each time: an owner's dispatch(NULL) may end other
	 * transports.  Only the other owner's few links are skipped over. */
	for (;;) {
		for (t = transport_list; t != NULL && t->ops != ops;
		    t = t->next)
			;
		if (t == NULL)
			return;
		transport_free(t);
	}
}

int
transport_fd(const struct transport *t)
{
	return t->fd;
}

int
transport_errno(const struct transport *t)
{
	return t->err;
}

void
transport_set_deadline(struct transport *t, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (t->closing)
		return;
	if (ms < 0)
		evtimer_del(t->ev_timer);
	else
		evtimer_add(t->ev_timer, &tv);
}

void
transport_buffered(const struct transport *t, size_t *in, size_t *out)
{
	*in = wire_reader_buffered(&t->in);
	*out = evbuffer_get_length(t->out);
}

void
transport_set_flags(struct transport *t, int flags)
{
	t->flags |= flags;
}

void
transport_set_budget(struct transport *t,
    int (*admit)(void *, const struct wire_hdr *, char *),
    void (*account)(void *, int64_t))
{
	t->admit = admit;
	t->account = account;
	transport_account(t);
}

void
transport_set_full(struct transport *t, int (*full)(void *))
{
	t->full = full;
}

/* Memory held for the stream: the input buffer as allocated, and the
 * output queued. */
size_t
transport_held(const struct transport *t)
{
	return t->in.size + evbuffer_get_length(t->out);
}

static void
transport_account(struct transport *t)
{
	size_t now;

	if (t->account == NULL)
		return;
	now = transport_held(t);
	if (now != t->counted) {
		t->account(t->ctx, (int64_t)now - (int64_t)t->counted);
		t->counted = now;
	}
}

static void
transport_stop(struct transport *t, int why)
{
	if (t->stopped == 0)
		event_del(t->ev_read);
	t->stopped |= why;
}

static void
transport_resume(struct transport *t, int why)
{
	if (!(t->stopped & why))
		return;
	t->stopped &= ~why;
	if (t->stopped == 0 && !t->closing) {
		event_add(t->ev_read, NULL);
		event_active(t->ev_read, EV_READ, 1);	/* frames held */
	}
}

/* Read nothing from t for ms (a rate limit): the socket's buffer, not
 * ours, holds what the peer sends meanwhile. */
void
transport_hold(struct transport *t, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (t->closing)
		return;
	transport_stop(t, TRANSPORT_STOP_HOLD);
	evtimer_add(t->ev_hold, &tv);
}

static void
transport_hold_cb(int fd, short events, void *arg)
{
	transport_resume(arg, TRANSPORT_STOP_HOLD);
}

/*
 * From the owner's dispatch(), for the frame f it was just given: not now.
 * The frame goes back to the head of the input, and nothing more is read or
 * dispatched until transport_undefer(), which hands f over again first.
 */
void
transport_defer(struct transport *t, const struct wire_frame *f)
{
	size_t whole = WIRE_HDR_LEN + (size_t)f->hdr.length;

	if (t->closing)
		return;
	if (t->in.off < whole || f->bytes != t->in.buf + t->in.off - whole)
		fatalx("transport_defer: not the frame just dispatched");
	t->in.off -= whole;
	transport_stop(t, TRANSPORT_STOP_DEFER);
}

void
transport_undefer(struct transport *t)
{
	transport_resume(t, TRANSPORT_STOP_DEFER);
}

size_t
transport_pending(const struct transport *t)
{
	return evbuffer_get_length(t->out);
}

/* Queue what the socket did not take and wait for it to drain. */
static int
transport_queue(struct transport *t, const struct iovec *iov, int iovcnt,
    size_t done)
{
	int i;

	for (i = 0; i < iovcnt; i++) {
		if (done >= iov[i].iov_len) {
			done -= iov[i].iov_len;
			continue;
		}
		if (evbuffer_add(t->out, (const char *)iov[i].iov_base + done,
		    iov[i].iov_len - done) == -1)
			return -1;
		done = 0;
	}
	/* All written: no EPOLLOUT round (two epoll_ctl, one wake-up). */
	if (evbuffer_get_length(t->out) == 0)
		return 0;
	event_add(t->ev_write, NULL);
	transport_account(t);
	return 0;
}

/* Straight to the socket when nothing waits before it, else queued. */
int
transport_send(struct transport *t, const struct iovec *iov, int iovcnt)
{
	ssize_t n;

	if (t->closing)
		return -1;
	if (evbuffer_get_length(t->out) > 0)
		return transport_queue(t, iov, iovcnt, 0);
	n = wire_sendmsg(t->fd, iov, iovcnt, NULL, 0, MSG_DONTWAIT);
	if (n == -1) {
		if (errno != EAGAIN) {
			/* The read side will see the EOF; a control
			 * connection goes at once (transport_write_cb). */
			if (t->flags & TRANSPORT_ONE_REPLY)
				transport_close(t);
			return -1;
		}
		n = 0;
	}
	return transport_queue(t, iov, iovcnt, (size_t)n);
}

int
transport_send1(struct transport *t, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return transport_send(t, &iov, 1);
}

/* A frame with descriptors: only as the first bytes of an idle socket,
 * and only where the transport carries them. */
int
transport_send_fds(struct transport *t, const void *buf, size_t len,
    const int *fds, int nfds)
{
	struct iovec iov = { (void *)buf, len };
	ssize_t n;

	if (!(t->flags & TRANSPORT_FDS) || t->closing ||
	    evbuffer_get_length(t->out) > 0 || nfds < 1) {
		errno = EBUSY;
		return -1;
	}
	if ((n = wire_sendmsg(t->fd, &iov, 1, fds, nfds, MSG_DONTWAIT)) == -1)
		return -1;
	if ((size_t)n < len)	/* the descriptors went with the first byte */
		return transport_queue(t, &iov, 1, (size_t)n);
	return 0;
}

/*
 * Stop reading, flush what is queued (at most TRANSPORT_CLOSE_MS), then
 * free.  Safe from inside dispatch: the free happens from the write or
 * timer callback, never up the caller's stack.
 */
void
transport_close(struct transport *t)
{
	struct timeval tv = { TRANSPORT_CLOSE_MS / 1000,
	    (TRANSPORT_CLOSE_MS % 1000) * 1000 };

	if (t->closing)
		return;
	t->closing = 1;
	event_del(t->ev_read);
	/* Nothing queued (the usual end: the reply went straight out): the
	 * free runs from the write callback, activated without EPOLLOUT's
	 * two epoll_ctl calls. */
	if (evbuffer_get_length(t->out) > 0)
		event_add(t->ev_write, NULL);
	event_active(t->ev_write, EV_WRITE, 1);
	evtimer_add(t->ev_timer, &tv);
}

int
transport_closing(const struct transport *t)
{
	return t->closing;
}

static void
transport_write_cb(int fd, short events, void *arg)
{
	struct transport *t = arg;
	int n;

	n = evbuffer_get_length(t->out) > 0 ? evbuffer_write(t->out, fd) : 0;
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		/* Peer gone: drop what is queued, EOF comes on read.  A
		 * control connection's unread requests are of use to nobody:
		 * it goes now, where a rate limit would have it read them
		 * one by one first. */
		evbuffer_drain(t->out, evbuffer_get_length(t->out));
		if (t->flags & TRANSPORT_ONE_REPLY) {
			transport_free(t);
			return;
		}
	}
	if (evbuffer_get_length(t->out) == 0) {
		event_del(t->ev_write);
		if (t->closing) {
			transport_free(t);
			return;
		}
		transport_resume(t, TRANSPORT_STOP_REPLY);
	}
	transport_account(t);
}

static void
transport_timer_cb(int fd, short events, void *arg)
{
	struct transport *t = arg;

	if (t->closing)
		transport_free(t);
	else
		t->ops->expired(t->ctx);	/* may drop or close t */
}

static void
transport_fault(struct transport *t, int code, const char *fmt, ...)
{
	char text[WIRE_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	t->ops->fault(t->ctx, code, text);
	if (!t->closing)
		transport_close(t);
}

/*
 * Hand whole frames to the owner.  Returns 0 when the reader needs more
 * bytes, 1 when the frame budget of this wake-up is spent, -1 when t is
 * closing.
 */
static int
transport_frames(struct transport *t, int *budget)
{
	struct wire_frame f;
	size_t need;
	int rc;

	while (*budget > 0) {
		/* The next request waits for the peer to read what is
		 * queued for it: with one reply in flight, always; when the
		 * owner is over its share of memory (a peer that asks and
		 * never reads the answers would make them pile up), except
		 * in the middle of an admitted frame, whose sender may be
		 * blocked writing the rest. */
		if (evbuffer_get_length(t->out) > 0 &&
		    ((t->flags & TRANSPORT_ONE_REPLY) || (t->full != NULL &&
		    !t->admitted && t->full(t->ctx)))) {
			transport_stop(t, TRANSPORT_STOP_REPLY);
			return 2;
		}
		rc = wire_reader_next(&t->in, &f, &need);
		if (rc == WIRE_NEED_MORE) {
			if (t->admit != NULL && !t->admitted &&
			    t->in.want > WIRE_HDR_LEN) {
				char err[WIRE_TEXT_MAX];

				if ((rc = t->admit(t->ctx, &f.hdr, err)) < 0) {
					transport_fault(t, rc, "%s", err);
					return -1;
				}
				t->admitted = 1;
			}
			return 0;
		}
		t->admitted = 0;
		if (rc != WIRE_OK) {
			transport_fault(t, rc == WIRE_EVERSION ? FB_E_VERSION :
			    FB_E_PROTO, "%s (type %u, length %u)",
			    wire_status_name(rc), f.hdr.type, f.hdr.length);
			return -1;
		}
		(*budget)--;
		t->ops->dispatch(t->ctx, &f);
		if (t->closing)
			return -1;
		/* Deferred, or held (a rate limit): the frames already read
		 * wait too, else each would be answered over the last. */
		if (t->stopped & (TRANSPORT_STOP_DEFER | TRANSPORT_STOP_HOLD))
			return 2;
	}
	return 1;
}

/* One wake-up's reading: 1 if t was freed. */
static int
transport_read(struct transport *t, int fd)
{
	int i, budget = TRANSPORT_FRAMES_PER_WAKEUP, rc;
	size_t room;
	ssize_t n;

	if (t->stopped)
		return 0;	/* a wake-up queued before the stop */
	/* A peer that keeps asking but never reads the answers would make
	 * us buffer without bound. */
	if (evbuffer_get_length(t->out) > t->out_max) {
		transport_fault(t, FB_E_LIMIT, "%zu bytes of replies unread: "
		    "the peer does not read its socket",
		    evbuffer_get_length(t->out));
		return 0;
	}
	for (i = 0; i <= TRANSPORT_READS_PER_WAKEUP; i++) {
		/* Frames left by the last wake-up go before new bytes. */
		if ((rc = transport_frames(t, &budget)) == -1)
			return 0;
		if (rc == 2 || t->stopped)
			return 0;
		if (rc == 1) {
			event_active(t->ev_read, EV_READ, 1);
			return 0;
		}
		if (i == TRANSPORT_READS_PER_WAKEUP)
			return 0;
		n = wire_recvmsg(fd, &t->in, &room);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == ENOMEM) {
				transport_fault(t, FB_E_NOMEM, "out of memory");
				return 0;
			}
			t->err = errno;
			log_debug("connection fd %d: %s", fd, strerror(t->err));
			transport_free(t);
			return 1;
		}
		if (t->in.nfds > 0 || t->in.fds_lost > 0) {
			/* Descriptors only ever go from fastbootd out. */
			wire_reader_close_fds(&t->in);
			transport_fault(t, FB_E_PROTO, "the peer attached file "
			    "descriptors; fastbootd accepts none");
			return 0;
		}
		if (n > 0 && t->ops->input != NULL)
			t->ops->input(t->ctx);
		if (n == 0) {
			/* Every whole frame before it was dispatched above. */
			log_debug("connection fd %d: EOF", fd);
			transport_free(t);
			return 1;
		}
		if ((size_t)n < room) {
			/* Drained the socket: dispatch and wait for more. */
			if (transport_frames(t, &budget) == 1)
				event_active(t->ev_read, EV_READ, 1);
			return 0;
		}
	}
	return 0;
}

static void
transport_read_cb(int fd, short events, void *arg)
{
	struct transport *t = arg;

	if (transport_read(t, fd))
		return;
	/* An idle input buffer that grew for a large frame goes back
	 * (only here: no frame's payload is in use). */
	if (t->in.size > TRANSPORT_SHRINK && t->in.off == t->in.len &&
	    !t->closing) {
		free(t->in.buf);
		t->in.buf = NULL;
		t->in.size = t->in.off = t->in.len = t->in.want = 0;
	}
	transport_account(t);
}
