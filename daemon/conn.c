/*
 * conn.c - the client protocol on one transport: SO_PEERCRED identity, the
 * per-connection state machine, and which handler a frame goes to.  Every
 * transition of enum conn_state happens in this file.
 *
 *	HELLO --HELLO(rank)--> IDLE --JOIN--> MEMBER --LEAVE--> LEFT
 *	IDLE --JOIN of an id whose job is still ending--> WAITING --it ended-->
 *	    IDLE (the JOIN again)
 *	      --HELLO(ctl)---> CTL  --CTL_*--> CTL
 *	any state --protocol error--> CLOSING (ERROR reply flushed)
 *	any state --EOF, socket error, shutdown, flushed--> freed
 *
 * A member's connection ending in any state but LEFT is a lost rank.
 */
#include <sys/socket.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

#define CONN_CTL_IDLE_MS	30000
#define CONN_OUT_SLACK		(16u << 20)	/* replies beyond max_pending */
#define CONN_TRIM_MS		200	/* after a burst, give memory back */
#define CONN_TRIM_MIN		(8u << 20)	/* a burst worth trimming */

enum conn_state {
	CONN_HELLO,		/* waiting for HELLO */
	CONN_IDLE,		/* HELLO done: JOIN next */
	CONN_WAITING,		/* JOIN waits for the id's last job to end */
	CONN_MEMBER,		/* rank of a job */
	CONN_LEFT,		/* rank that sent LEAVE: nothing more */
	CONN_CTL,		/* fastbootctl */
	CONN_CLOSING,		/* flushing a last reply, then freed */
};

struct conn {
	struct transport *t;
	enum conn_state state;
	struct conn_cred cred;
	uint64_t id;
	struct job *job;	/* MEMBER, LEFT; NULL once detached */
	uint32_t rank;
	struct event *ev_ctl;	/* a control request waiting for its turn,
				 * or a JOIN waiting to be presented again */
	uint16_t ctl_type;
	uint32_t hello_flags;	/* WIRE_HELLO_*: what the rank can take */
	struct job_waiter waiter;	/* WAITING */
	struct wire_join wjoin;		/* WAITING: the JOIN, its extension
					 * a copy (conn_wext_keep) */
};

static uint64_t conn_next_id;
static int conn_shutdown;
static struct event *conn_trim_ev;
static uint64_t conn_trim_peak;	/* most buffered since the last trim */

static void conn_dispatch(void *, const struct wire_frame *);
static void conn_fault(void *, int, const char *);
static void conn_expired(void *);
static int conn_admit(void *, const struct wire_hdr *, char *);
static void conn_account(void *, int64_t);
static int conn_full(void *);
static void conn_wext_free(struct conn *, const struct wire_join *);

static const struct transport_ops conn_ops = {
	conn_dispatch, conn_fault, conn_expired, NULL
};

static void
conn_refuse(int fd, int code, const char *text)
{
	uint8_t frame[WIRE_STATUS_FRAME_MAX];
	size_t n;

	n = wire_encode_status(frame, WIRE_ERROR, 0, code, WIRE_NO_RANK, text);
	(void)!send(fd, frame, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

void
conn_accept(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct conn *c;
	struct uidmap *u;
	char msg[256], err[WIRE_TEXT_MAX];
	int rc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("SO_PEERCRED");
		close(fd);
		return;
	}
	u = uidmap_get(cred.uid);
	if (dstats.conns >= dconf.max_conns || u == NULL) {
		if (log_ratelimit())
			log_warnx("refusing pid %d uid %u: %u connections, "
			    "the cap", (int)cred.pid, (unsigned)cred.uid,
			    dstats.conns);
		snprintf(msg, sizeof msg, "fastbootd serves at most %u "
		    "connections", dconf.max_conns);
		conn_refuse(fd, FB_E_LIMIT, msg);
		return;
	}
	if (!uidmap_share(u->count[UIDMAP_CONN], 1, dstats.conns,
	    dconf.max_conns)) {
		if (log_ratelimit())
			log_warnx("refusing pid %d uid %u: %u connections, "
			    "the rest kept for other users", (int)cred.pid,
			    (unsigned)cred.uid, dstats.conns);
		snprintf(msg, sizeof msg, "fastbootd serves %u connections of "
		    "its %u; the last %u are kept for users with fewer than %u "
		    "and uid %u has %u", dstats.conns, dconf.max_conns,
		    dconf.max_conns / 8, dconf.max_conns / 64,
		    (unsigned)cred.uid, u->count[UIDMAP_CONN]);
		conn_refuse(fd, FB_E_LIMIT, msg);
		return;
	}
	if ((rc = uidmap_fds(cred.uid, 1, err)) < 0) {
		if (log_ratelimit())
			log_warnx("refusing pid %d uid %u: %s", (int)cred.pid,
			    (unsigned)cred.uid, err);
		conn_refuse(fd, rc, err);
		return;
	}
	if (uidmap_add(cred.uid, UIDMAP_CONN) == -1) {
		uidmap_fds_del(cred.uid, 1);
		if (log_ratelimit())
			log_warnx("refusing pid %d uid %u: per-user "
			    "connection cap %u reached", (int)cred.pid,
			    (unsigned)cred.uid, dconf.max_conns_per_uid);
		snprintf(msg, sizeof msg, "uid %u already has %u connections "
		    "to fastbootd, the cap", (unsigned)cred.uid,
		    dconf.max_conns_per_uid);
		conn_refuse(fd, FB_E_LIMIT, msg);
		return;
	}
	if ((c = calloc(1, sizeof *c)) == NULL ||
	    (c->t = transport_new(fd, WIRE_FROM_CLIENT, TRANSPORT_FDS,
	    dconf.max_pending + CONN_OUT_SLACK, &conn_ops, c)) == NULL) {
		free(c);
		uidmap_del(cred.uid, UIDMAP_CONN);
		uidmap_fds_del(cred.uid, 1);
		conn_refuse(fd, FB_E_NOMEM, "fastbootd is out of memory");
		return;
	}
	c->state = CONN_HELLO;
	c->cred.pid = cred.pid;
	c->cred.uid = cred.uid;
	c->cred.gid = cred.gid;
	c->id = ++conn_next_id;
	transport_set_budget(c->t, conn_admit, conn_account);
	transport_set_full(c->t, conn_full);
	transport_set_deadline(c->t, dconf.handshake_ms);
	dstats.conns++;
	dstats.conns_accepted++;
	log_debug("conn %llu: pid %d uid %u connected",
	    (unsigned long long)c->id, (int)cred.pid, (unsigned)cred.uid);
}

/* Shutdown: close every connection; ranks see the daemon go (EOF), not a
 * lost peer. */
void
conn_close_all(void)
{
	conn_shutdown = 1;
	transport_close_all(&conn_ops);
	if (conn_trim_ev != NULL) {
		event_free(conn_trim_ev);
		conn_trim_ev = NULL;
	}
}

static void
conn_detach(struct conn *c)
{
	job_waiter_cancel(&c->waiter);
	if (c->job == NULL)
		return;
	job_detach(c->job, c->rank, conn_shutdown || c->state == CONN_LEFT);
	c->job = NULL;
}

/* The transport is going: the last call for c. */
static void
conn_gone(struct conn *c)
{
	log_debug("conn %llu: pid %d closed", (unsigned long long)c->id,
	    (int)c->cred.pid);
	conn_detach(c);
	conn_wext_free(c, &c->wjoin);	/* a JOIN still waiting */
	if (c->ev_ctl != NULL)
		event_free(c->ev_ctl);
	uidmap_del(c->cred.uid, UIDMAP_CONN);
	uidmap_fds_del(c->cred.uid, 1);
	dstats.conns--;
	free(c);
}

/*
 * Reply ERROR, log the fault with the peer's identity and close the
 * connection.  A member's job sees it as a lost rank.
 */
static void
conn_error(struct conn *c, int code, const char *fmt, ...)
{
	uint8_t frame[WIRE_STATUS_FRAME_MAX];
	char text[WIRE_TEXT_MAX];
	va_list ap;
	size_t n;

	if (c->state == CONN_CLOSING)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (log_ratelimit())
		log_warnx("dropping pid %d uid %u: %s", (int)c->cred.pid,
		    (unsigned)c->cred.uid, text);
	dstats.conns_dropped++;
	n = wire_encode_status(frame, WIRE_ERROR, 0, code,
	    c->job != NULL ? c->rank : WIRE_NO_RANK, text);
	conn_detach(c);
	transport_send1(c->t, frame, n);
	c->state = CONN_CLOSING;
	transport_close(c->t);
}

static void
conn_fault(void *arg, int code, const char *text)
{
	conn_error(arg, code, "%s", text);
}

static void
conn_expired(void *arg)
{
	struct conn *c = arg;

	switch (c->state) {
	case CONN_HELLO:
	case CONN_IDLE:
		conn_error(c, FB_E_TIMEOUT, "no %s within %d ms of connecting",
		    c->state == CONN_HELLO ? "HELLO" : "JOIN",
		    dconf.handshake_ms);
		break;
	case CONN_WAITING:
		conn_error(c, FB_E_TIMEOUT, "rank %u: the job that used this "
		    "id before did not end within %d ms", c->wjoin.rank,
		    dconf.handshake_ms);
		break;
	case CONN_CTL:
		transport_drop(c->t);	/* frees c */
		break;
	case CONN_MEMBER:
	case CONN_LEFT:
	case CONN_CLOSING:
		break;
	}
}

static void
conn_hello(struct conn *c, const uint8_t *p, uint32_t len)
{
	struct wire_hello m;
	int rc;

	if ((rc = wire_decode_hello(p, len, &m)) != WIRE_OK) {
		conn_error(c, FB_E_PROTO, "bad HELLO: %s",
		    wire_status_name(rc));
		return;
	}
	if (m.min_version > WIRE_VERSION_MAX ||
	    m.max_version < WIRE_VERSION_MIN) {
		conn_error(c, FB_E_VERSION, "client speaks protocol versions "
		    "%u-%u, fastbootd %s speaks %u-%u", m.min_version,
		    m.max_version, PACKAGE_VERSION, WIRE_VERSION_MIN,
		    WIRE_VERSION_MAX);
		return;
	}
	if (m.role == WIRE_ROLE_CTL) {
		c->state = CONN_CTL;
		/* One reply in flight. */
		transport_set_flags(c->t, TRANSPORT_ONE_REPLY);
		transport_set_deadline(c->t, CONN_CTL_IDLE_MS);
	} else {
		c->state = CONN_IDLE;
		c->hello_flags = m.flags;
	}
}

static void conn_join(struct conn *, const struct wire_join *);

/* A waiting JOIN's extension: a copy charged to the uid's buffered bytes
 * (NULL, and nothing charged, when it does not fit the uid's share). */
static uint8_t *
conn_wext_keep(struct conn *c, const struct wire_join *m)
{
	char err[WIRE_TEXT_MAX];
	uint8_t *p;

	if (uidmap_bytes(c->cred.uid, m->ext_len, err) < 0 ||
	    (p = malloc(m->ext_len)) == NULL)
		return NULL;
	memcpy(p, m->ext, m->ext_len);
	conn_account(c, (int64_t)m->ext_len);
	return p;
}

static void
conn_wext_free(struct conn *c, const struct wire_join *m)
{
	if (m->ext == NULL)
		return;
	free((void *)(uintptr_t)m->ext);
	conn_account(c, -(int64_t)m->ext_len);
}

static void
conn_rejoin_cb(int fd, short events, void *arg)
{
	struct conn *c = arg;
	struct wire_join m;

	if (c->state != CONN_WAITING)
		return;
	c->state = CONN_IDLE;
	/* Owned here until the JOIN is handled: job_join copies what it
	 * keeps. */
	m = c->wjoin;
	c->wjoin.ext = NULL;
	conn_join(c, &m);
	conn_wext_free(c, &m);
}

/* The job c's JOIN waited for ended: present it again, from the loop. */
static void
conn_rejoin(void *arg)
{
	struct conn *c = arg;
	struct timeval tv = { 0, 0 };

	evtimer_add(c->ev_ctl, &tv);
}

static void
conn_join(struct conn *c, const struct wire_join *m)
{
	char err[WIRE_TEXT_MAX];
	struct job *j = NULL;
	uint64_t t0 = clock_mono_ns();
	int rc;

	transport_set_deadline(c->t, -1);
	if (c->ev_ctl == NULL &&
	    (c->ev_ctl = evtimer_new(dbase, conn_rejoin_cb, c)) == NULL) {
		conn_error(c, FB_E_NOMEM, "out of memory");
		return;
	}
	c->waiter.fn = conn_rejoin;
	c->waiter.arg = c;
	rc = job_join(c->t, &c->cred, m, c->hello_flags, &j, err, &c->waiter);
	if (rc == JOB_JOIN_WAIT) {
		c->wjoin = *m;
		c->wjoin.ext = NULL;
		if (m->ext_len > 0 &&
		    (c->wjoin.ext = conn_wext_keep(c, m)) == NULL) {
			job_waiter_cancel(&c->waiter);
			conn_error(c, FB_E_LIMIT, "rank %u's JOIN waits for "
			    "the job before it under the id to end, and its "
			    "%u-byte node map does not fit uid %u's share of "
			    "fastbootd's memory", m->rank, m->ext_len,
			    (unsigned)c->cred.uid);
			return;
		}
		c->state = CONN_WAITING;
		transport_set_deadline(c->t, dconf.handshake_ms);
		return;
	}
	/* The daemon's own time per JOIN (ACK and READY queued). */
	log_debug("conn %llu: JOIN of rank %u handled in %llu ns",
	    (unsigned long long)c->id, m->rank,
	    (unsigned long long)(clock_mono_ns() - t0));
	if (j != NULL) {
		c->job = j;
		c->rank = m->rank;
		c->state = CONN_MEMBER;
	}
	if (rc < 0)
		conn_error(c, rc, "%s", err);
}

static void
conn_ctl_reply(struct conn *c, uint16_t type)
{
	struct evbuffer *b;
	uint8_t hdr[WIRE_HDR_LEN];
	char err[WIRE_TEXT_MAX];
	struct iovec iov[2];
	size_t len;

	transport_set_deadline(c->t, CONN_CTL_IDLE_MS);
	if (type == WIRE_CTL_ID) {
		uint8_t frame[WIRE_HDR_LEN + WIRE_ID_MAX];

		len = fed_register_id(c->cred.uid, frame);
		transport_send1(c->t, frame, len);
		explicit_bzero(frame, sizeof frame);
		return;
	}
	if ((b = evbuffer_new()) == NULL ||
	    (type == WIRE_CTL_STATUS ? ctl_status(b, c->cred.uid) :
	    type == WIRE_CTL_PEERS ? ctl_peers(b) :
	    ctl_jobs(b, c->cred.uid)) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		conn_error(c, FB_E_NOMEM, "out of memory");
		return;
	}
	len = evbuffer_get_length(b);
	if (uidmap_bytes(c->cred.uid, len, err) < 0) {
		evbuffer_free(b);
		conn_error(c, FB_E_LIMIT, "no room for the reply: %s", err);
		return;
	}
	wire_encode_hdr(hdr, WIRE_CTL_REPLY, (uint32_t)len, 0);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof hdr;
	iov[1].iov_base = evbuffer_pullup(b, -1);
	iov[1].iov_len = len;
	transport_send(c->t, iov, 2);
	evbuffer_free(b);
}

static void
conn_ctl_cb(int fd, short events, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_CTL)
		conn_ctl_reply(c, c->ctl_type);
}

/*
 * A control request.  Each uid has a rate (uidmap_ctl_token): past its
 * burst, the answer waits its turn, and nothing more is read from the
 * connection meanwhile (the socket's buffer holds it, not ours).  Ranks'
 * frames never wait for this: other connections go on.
 */
static void
conn_ctl(struct conn *c, uint16_t type)
{
	struct timeval tv;
	int ms;

	if ((ms = uidmap_ctl_token(c->cred.uid)) == 0) {
		conn_ctl_reply(c, type);
		return;
	}
	if (c->ev_ctl == NULL &&
	    (c->ev_ctl = evtimer_new(dbase, conn_ctl_cb, c)) == NULL) {
		conn_error(c, FB_E_NOMEM, "out of memory");
		return;
	}
	c->ctl_type = type;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	transport_hold(c->t, ms + 10);	/* resumes after the answer */
	evtimer_add(c->ev_ctl, &tv);
	transport_set_deadline(c->t, CONN_CTL_IDLE_MS + ms);
}

/* A rank's frame. */
static void
conn_member(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	union {
		struct wire_arrive arrive;
		struct wire_msg msg;
		struct wire_status_msg st;
	} u;
	char err[WIRE_TEXT_MAX];
	int rc = WIRE_OK;

	switch (h->type) {
	case WIRE_ARRIVE:
		if ((rc = wire_decode_arrive(p, h->length, &u.arrive)) !=
		    WIRE_OK)
			break;
		if ((rc = job_arrive(c->job, c->rank, h->seq, &u.arrive,
		    err)) < 0)
			conn_error(c, rc, "%s", err);
		return;
	case WIRE_SEND:
		if ((rc = wire_decode_msg(p, h->length, &u.msg)) != WIRE_OK)
			break;
		if ((rc = job_send(c->job, c->rank, h->seq, &u.msg, err)) < 0)
			conn_error(c, rc, "%s", err);
		return;
	case WIRE_LEAVE:
		c->state = CONN_LEFT;
		job_leave(c->job, c->rank);
		/* Asked for (and promised in JOIN_ACK): release the rank,
		 * and the job with its last one, then close; the rank's
		 * fb_comm_destroy waits for this end of file. */
		if (c->hello_flags & WIRE_HELLO_LEAVE_CLOSE) {
			conn_detach(c);
			c->state = CONN_CLOSING;
			transport_close(c->t);
		}
		return;
	case WIRE_WAIT:
		if ((rc = job_wait(c->job, c->rank, h->seq, err)) < 0)
			conn_error(c, rc, "%s", err);
		return;
	case WIRE_ABORT:
		if ((rc = wire_decode_status(p, h->length, &u.st)) != WIRE_OK)
			break;
		job_abort(c->job, c->rank, &u.st);
		return;
	default:
		conn_error(c, FB_E_PROTO, "unexpected %s (type %u) in state "
		    "%d", wire_type_name(h->type), h->type, (int)c->state);
		return;
	}
	conn_error(c, FB_E_PROTO, "bad %s: %s", wire_type_name(h->type),
	    wire_status_name(rc));
}

/* Is a frame of type expected in the connection's state? */
static int
conn_expects(const struct conn *c, uint16_t type)
{
	switch (c->state) {
	case CONN_HELLO:
		return type == WIRE_HELLO;
	case CONN_IDLE:
		return type == WIRE_JOIN;
	case CONN_WAITING:
		return 0;
	case CONN_CTL:
		return type == WIRE_CTL_STATUS || type == WIRE_CTL_JOBS ||
		    type == WIRE_CTL_PEERS || type == WIRE_CTL_ID;
	case CONN_MEMBER:
		return type == WIRE_ARRIVE || type == WIRE_SEND ||
		    type == WIRE_LEAVE || type == WIRE_WAIT ||
		    type == WIRE_ABORT;
	case CONN_LEFT:
		return 0;
	case CONN_CLOSING:
		return 1;
	}
	return 0;
}

/*
 * A frame's header, before its payload is read: nothing is buffered for
 * a frame the connection's state does not allow (a SEND before JOIN is
 * refused on its 12 bytes), nor beyond the uid's share of --max-memory.
 */
static int
conn_admit(void *arg, const struct wire_hdr *h, char *err)
{
	struct conn *c = arg;

	if (!conn_expects(c, h->type)) {
		snprintf(err, WIRE_TEXT_MAX, "unexpected %s (type %u) in "
		    "state %d", wire_type_name(h->type), h->type,
		    (int)c->state);
		return FB_E_PROTO;
	}
	return uidmap_bytes(c->cred.uid, WIRE_HDR_LEN + (uint64_t)h->length,
	    err);
}

/* Is c's uid over its share of --max-memory (transport_set_full)? */
static int
conn_full(void *arg)
{
	struct conn *c = arg;
	char err[WIRE_TEXT_MAX];

	return uidmap_bytes(c->cred.uid, WIRE_HDR_LEN, err) != 0;
}

static void
conn_trim_cb(int fd, short events, void *arg)
{
	malloc_trim(0);
	conn_trim_peak = dstats.buffered;
}

/* Bytes held for c's uid changed; after a burst ends, hand the freed
 * memory back to the system so that the daemon's RSS falls back too. */
static void
conn_account(void *arg, int64_t delta)
{
	struct conn *c = arg;
	struct uidmap *u = uidmap_find(c->cred.uid);
	struct timeval tv = { 0, CONN_TRIM_MS * 1000 };

	if (u == NULL)
		fatalx("conn %llu: uid %u has no record",
		    (unsigned long long)c->id, (unsigned)c->cred.uid);
	u->bytes += (uint64_t)delta;
	dstats.buffered += (uint64_t)delta;
	if (dstats.buffered > dstats.buffered_peak)
		dstats.buffered_peak = dstats.buffered;
	if (dstats.buffered > conn_trim_peak)
		conn_trim_peak = dstats.buffered;
	if (delta < 0 && conn_trim_peak >= CONN_TRIM_MIN &&
	    dstats.buffered < conn_trim_peak / 4) {
		if (conn_trim_ev == NULL &&
		    (conn_trim_ev = evtimer_new(dbase, conn_trim_cb,
		    NULL)) == NULL)
			return;
		if (!evtimer_pending(conn_trim_ev, NULL))
			evtimer_add(conn_trim_ev, &tv);
	}
}

/* One whole frame whose header passed the decoder, or NULL: gone. */
static void
conn_dispatch(void *arg, const struct wire_frame *f)
{
	struct conn *c = arg;
	const struct wire_hdr *h;
	struct wire_join join;
	int rc;

	if (f == NULL) {
		conn_gone(c);
		return;
	}
	h = &f->hdr;
	switch (c->state) {
	case CONN_HELLO:
		if (h->type != WIRE_HELLO)
			break;
		conn_hello(c, f->payload, h->length);
		return;
	case CONN_IDLE:
		if (h->type != WIRE_JOIN)
			break;
		if ((rc = wire_decode_join(f->payload, h->length, &join)) !=
		    WIRE_OK) {
			conn_error(c, FB_E_PROTO, "bad %s: %s",
			    wire_type_name(h->type), wire_status_name(rc));
			return;
		}
		conn_join(c, &join);
		return;
	case CONN_WAITING:
		break;
	case CONN_CTL:
		if (h->type != WIRE_CTL_STATUS && h->type != WIRE_CTL_JOBS &&
		    h->type != WIRE_CTL_PEERS && h->type != WIRE_CTL_ID)
			break;
		conn_ctl(c, h->type);
		return;
	case CONN_MEMBER:
		conn_member(c, h, f->payload);
		return;
	case CONN_LEFT:
		break;
	case CONN_CLOSING:
		return;
	}
	conn_error(c, FB_E_PROTO, "unexpected %s (type %u) in state %d",
	    wire_type_name(h->type), h->type, (int)c->state);
}
