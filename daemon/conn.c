/*
 * conn.c - the client protocol on one transport: SO_PEERCRED identity, the
 * per-connection state machine, and which handler a frame goes to.  Every
 * transition of enum conn_state happens in this file.
 *
 *	HELLO --HELLO(rank)--> IDLE --JOIN--> MEMBER --LEAVE--> LEFT
 *	      --HELLO(ctl)---> CTL  --CTL_*--> CTL
 *	any state --protocol error--> CLOSING (ERROR reply flushed)
 *	any state --EOF, socket error, shutdown, flushed--> freed
 *
 * A member's connection ending in any state but LEFT is a lost rank.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

#define CONN_CTL_IDLE_MS	30000
#define CONN_OUT_SLACK		(16u << 20)	/* replies beyond max_pending */

enum conn_state {
	CONN_HELLO,		/* waiting for HELLO */
	CONN_IDLE,		/* HELLO done: JOIN next */
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
};

static uint64_t conn_next_id;
static int conn_shutdown;

static void conn_dispatch(void *, const struct wire_frame *);
static void conn_fault(void *, int, const char *);
static void conn_expired(void *);

static const struct transport_ops conn_ops = {
	conn_dispatch, conn_fault, conn_expired
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
	char msg[128];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("SO_PEERCRED");
		close(fd);
		return;
	}
	if (dstats.conns >= dconf.max_conns) {
		if (log_ratelimit())
			log_warnx("refusing pid %d uid %u: %u connections, "
			    "the cap", (int)cred.pid, (unsigned)cred.uid,
			    dstats.conns);
		snprintf(msg, sizeof msg, "fastbootd serves at most %u "
		    "connections", dconf.max_conns);
		conn_refuse(fd, FB_E_LIMIT, msg);
		return;
	}
	if (uidmap_add(cred.uid, UIDMAP_CONN) == -1) {
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
		conn_refuse(fd, FB_E_NOMEM, "fastbootd is out of memory");
		return;
	}
	c->state = CONN_HELLO;
	c->cred.pid = cred.pid;
	c->cred.uid = cred.uid;
	c->cred.gid = cred.gid;
	c->id = ++conn_next_id;
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
	transport_close_all();
}

static void
conn_detach(struct conn *c)
{
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
	uidmap_del(c->cred.uid, UIDMAP_CONN);
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
		transport_set_deadline(c->t, CONN_CTL_IDLE_MS);
	} else
		c->state = CONN_IDLE;
}

static void
conn_join(struct conn *c, const struct wire_join *m)
{
	char err[WIRE_TEXT_MAX];
	struct job *j = NULL;
	uint64_t t0 = clock_mono_ns();
	int rc;

	transport_set_deadline(c->t, -1);
	rc = job_join(c->t, &c->cred, m, &j, err);
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
conn_ctl(struct conn *c, uint16_t type)
{
	struct evbuffer *b;
	uint8_t hdr[WIRE_HDR_LEN];
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
	    (type == WIRE_CTL_STATUS ? ctl_status(b) :
	    type == WIRE_CTL_PEERS ? ctl_peers(b) :
	    ctl_jobs(b, c->cred.uid)) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		conn_error(c, FB_E_NOMEM, "out of memory");
		return;
	}
	len = evbuffer_get_length(b);
	wire_encode_hdr(hdr, WIRE_CTL_REPLY, (uint32_t)len, 0);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof hdr;
	iov[1].iov_base = evbuffer_pullup(b, -1);
	iov[1].iov_len = len;
	transport_send(c->t, iov, 2);
	evbuffer_free(b);
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
