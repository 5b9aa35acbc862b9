/*
 * conn.c - one client connection: SO_PEERCRED identity, framing of the
 * untrusted byte stream, the per-connection state machine, and output that
 * goes straight to the socket when it can and queues when it cannot.
 *
 *	HELLO --HELLO(rank)--> IDLE --JOIN--> MEMBER --LEAVE/EOF--> freed
 *	      --HELLO(ctl)---> CTL  --CTL_*--> CTL
 *	any state --protocol error--> CLOSING (ERROR reply flushed) --> freed
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

#define CONN_RBUF_INIT		4096
#define CONN_READS_PER_WAKEUP	8	/* fairness: then let others run */
#define CONN_CLOSE_MS		1000	/* flushing a last reply */
#define CONN_CTL_IDLE_MS	30000
#define CONN_OUT_SLACK		(16u << 20)	/* replies beyond max_pending */

static uint64_t conn_next_id;

/* All live connections, for shutdown. */
struct conn_node {
	struct conn *c;
	struct conn_node *next, *prev;
};
static struct conn_node *conn_list;

static void conn_read_cb(int, short, void *);
static void conn_write_cb(int, short, void *);
static void conn_timer_cb(int, short, void *);

static void
conn_arm_timer(struct conn *c, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->ev_timer, &tv);
}

static void
conn_refuse(int fd, int code, const char *text)
{
	uint8_t frame[WIRE_STATUS_FRAME_MAX];
	size_t n;

	n = wire_encode_status(frame, WIRE_ERROR, 0, code, WIRE_NO_RANK, text);
	(void)!send(fd, frame, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

struct conn *
conn_accept(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct conn *c;
	struct conn_node *node;
	char msg[128];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("SO_PEERCRED");
		close(fd);
		return NULL;
	}
	if (dstats.conns >= dconf.max_conns) {
		if (log_ratelimit())
			log_warnx("refusing pid %d uid %u: %u connections, "
			    "the cap", (int)cred.pid, (unsigned)cred.uid,
			    dstats.conns);
		snprintf(msg, sizeof msg, "fastbootd serves at most %u "
		    "connections", dconf.max_conns);
		conn_refuse(fd, FB_E_LIMIT, msg);
		return NULL;
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
		return NULL;
	}
	if ((c = calloc(1, sizeof *c)) == NULL ||
	    (node = calloc(1, sizeof *node)) == NULL) {
		free(c);
		uidmap_del(cred.uid, UIDMAP_CONN);
		conn_refuse(fd, FB_E_NOMEM, "fastbootd is out of memory");
		return NULL;
	}
	c->fd = fd;
	c->state = CONN_HELLO;
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->id = ++conn_next_id;
	c->out = evbuffer_new();
	c->ev_read = event_new(dbase, fd, EV_READ | EV_PERSIST, conn_read_cb,
	    c);
	c->ev_write = event_new(dbase, fd, EV_WRITE | EV_PERSIST,
	    conn_write_cb, c);
	c->ev_timer = evtimer_new(dbase, conn_timer_cb, c);
	if (c->out == NULL || c->ev_read == NULL || c->ev_write == NULL ||
	    c->ev_timer == NULL)
		fatalx("out of memory for a connection");
	node->c = c;
	node->next = conn_list;
	if (conn_list != NULL)
		conn_list->prev = node;
	conn_list = node;
	c->node = node;
	event_add(c->ev_read, NULL);
	conn_arm_timer(c, dconf.handshake_ms);
	dstats.conns++;
	dstats.conns_accepted++;
	log_debug("conn %llu: pid %d uid %u connected",
	    (unsigned long long)c->id, (int)c->pid, (unsigned)c->uid);
	return c;
}

void
conn_free(struct conn *c)
{
	struct conn_node *node = c->node;

	if (c->job != NULL)
		job_detach(c);
	if (node->prev != NULL)
		node->prev->next = node->next;
	else
		conn_list = node->next;
	if (node->next != NULL)
		node->next->prev = node->prev;
	free(node);
	event_free(c->ev_read);
	event_free(c->ev_write);
	event_free(c->ev_timer);
	evbuffer_free(c->out);
	close(c->fd);
	free(c->rbuf);
	uidmap_del(c->uid, UIDMAP_CONN);
	dstats.conns--;
	free(c);
}

/* Shutdown: close every connection; ranks see the daemon go (EOF), not a
 * lost peer. */
void
conn_close_all(void)
{
	struct conn_node *n;

	for (n = conn_list; n != NULL; n = n->next)
		n->c->left = 1;
	while (conn_list != NULL)
		conn_free(conn_list->c);
}

size_t
conn_pending(const struct conn *c)
{
	return evbuffer_get_length(c->out);
}

/* Queue what the socket did not take and wait for it to drain. */
static int
conn_queue(struct conn *c, const struct iovec *iov, int iovcnt, size_t done)
{
	int i;

	for (i = 0; i < iovcnt; i++) {
		if (done >= iov[i].iov_len) {
			done -= iov[i].iov_len;
			continue;
		}
		if (evbuffer_add(c->out, (const char *)iov[i].iov_base + done,
		    iov[i].iov_len - done) == -1)
			return -1;
		done = 0;
	}
	event_add(c->ev_write, NULL);
	return 0;
}

static int
conn_sendv(struct conn *c, struct iovec *iov, int iovcnt)
{
	struct msghdr mh;
	ssize_t n;

	if (c->state == CONN_CLOSING)
		return -1;
	if (evbuffer_get_length(c->out) > 0)
		return conn_queue(c, iov, iovcnt, 0);
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = iov;
	mh.msg_iovlen = iovcnt;
	do
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno != EAGAIN)
			return -1;	/* the read side will see the EOF */
		n = 0;
	}
	return conn_queue(c, iov, iovcnt, (size_t)n);
}

int
conn_send(struct conn *c, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return conn_sendv(c, &iov, 1);
}

int
conn_send2(struct conn *c, const void *a, size_t alen, const void *b,
    size_t blen)
{
	struct iovec iov[2] = { { (void *)a, alen }, { (void *)b, blen } };

	return conn_sendv(c, iov, 2);
}

/* A frame with descriptors: only as the first bytes of an idle socket. */
int
conn_send_fds(struct conn *c, const void *buf, size_t len, const int *fds,
    int nfds)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 2)];
	} cm;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh;
	struct cmsghdr *cmsg;
	ssize_t n;

	if (evbuffer_get_length(c->out) > 0 || nfds < 1 || nfds > 2) {
		errno = EBUSY;
		return -1;
	}
	memset(&mh, 0, sizeof mh);
	memset(&cm, 0, sizeof cm);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
	cmsg = CMSG_FIRSTHDR(&mh);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)nfds);
	do
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n < len)	/* the descriptor went with the first byte */
		return conn_queue(c, &iov, 1, (size_t)n);
	return 0;
}

static void
conn_closing(struct conn *c)
{
	c->state = CONN_CLOSING;
	event_del(c->ev_read);
	/* Never free here: callers up the stack still hold c.  The write
	 * callback frees it once the reply is flushed. */
	event_add(c->ev_write, NULL);
	event_active(c->ev_write, EV_WRITE, 1);
	conn_arm_timer(c, CONN_CLOSE_MS);
}

/*
 * Reply ERROR, log the fault with the peer's identity and drop the
 * connection.  A member's job sees it as a lost rank.
 */
void
conn_error(struct conn *c, int code, const char *fmt, ...)
{
	uint8_t frame[WIRE_STATUS_FRAME_MAX];
	char text[WIRE_TEXT_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (log_ratelimit())
		log_warnx("dropping pid %d uid %u: %s", (int)c->pid,
		    (unsigned)c->uid, text);
	dstats.conns_dropped++;
	n = wire_encode_status(frame, WIRE_ERROR, 0, code,
	    c->job != NULL ? c->rank : WIRE_NO_RANK, text);
	if (c->job != NULL)
		job_detach(c);
	conn_send(c, frame, n);
	conn_closing(c);
}

static void
conn_write_cb(int fd, short events, void *arg)
{
	struct conn *c = arg;
	int n;

	n = evbuffer_write(c->out, fd);
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		/* Peer gone: drop what is queued, EOF comes on read. */
		evbuffer_drain(c->out, evbuffer_get_length(c->out));
	}
	if (evbuffer_get_length(c->out) == 0) {
		event_del(c->ev_write);
		if (c->state == CONN_CLOSING)
			conn_free(c);
	}
}

static void
conn_timer_cb(int fd, short events, void *arg)
{
	struct conn *c = arg;

	switch (c->state) {
	case CONN_CLOSING:
		conn_free(c);
		break;
	case CONN_HELLO:
	case CONN_IDLE:
		conn_error(c, FB_E_TIMEOUT, "no %s within %d ms of connecting",
		    c->state == CONN_HELLO ? "HELLO" : "JOIN",
		    dconf.handshake_ms);
		break;
	case CONN_CTL:
		conn_free(c);
		break;
	case CONN_MEMBER:
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
		conn_arm_timer(c, CONN_CTL_IDLE_MS);
	} else
		c->state = CONN_IDLE;
}

/* One whole frame whose header passed the decoder. */
static void
conn_dispatch(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	union {
		struct wire_join join;
		struct wire_arrive arrive;
		struct wire_msg msg;
		struct wire_status_msg st;
	} u;
	int rc = WIRE_OK;

	switch (c->state) {
	case CONN_HELLO:
		if (h->type != WIRE_HELLO)
			goto unexpected;
		conn_hello(c, p, h->length);
		return;
	case CONN_IDLE:
		if (h->type != WIRE_JOIN)
			goto unexpected;
		if ((rc = wire_decode_join(p, h->length, &u.join)) != WIRE_OK)
			goto bad;
		evtimer_del(c->ev_timer);
		if (job_join(c, &u.join) == -1)
			return;	/* refused: c is closing */
		return;
	case CONN_CTL:
		conn_arm_timer(c, CONN_CTL_IDLE_MS);
		if (h->type == WIRE_CTL_STATUS)
			ctl_status(c);
		else if (h->type == WIRE_CTL_JOBS)
			ctl_jobs(c);
		else if (h->type == WIRE_CTL_PEERS)
			ctl_peers(c);
		else if (h->type == WIRE_CTL_ID)
			fed_register_id(c);
		else
			goto unexpected;
		return;
	case CONN_MEMBER:
		if (c->left)
			goto unexpected;
		switch (h->type) {
		case WIRE_ARRIVE:
			if ((rc = wire_decode_arrive(p, h->length,
			    &u.arrive)) != WIRE_OK)
				goto bad;
			job_arrive(c, h->seq, &u.arrive);
			return;
		case WIRE_SEND:
			if ((rc = wire_decode_msg(p, h->length, &u.msg)) !=
			    WIRE_OK)
				goto bad;
			job_send(c, h->seq, &u.msg);
			return;
		case WIRE_LEAVE:
			job_leave(c);
			return;
		case WIRE_WAIT:
			job_wait(c, h->seq);
			return;
		case WIRE_ABORT:
			if ((rc = wire_decode_status(p, h->length, &u.st)) !=
			    WIRE_OK)
				goto bad;
			job_abort(c, &u.st);
			return;
		}
		goto unexpected;
	case CONN_CLOSING:
		return;
	}
unexpected:
	conn_error(c, FB_E_PROTO, "unexpected %s (type %u) in state %d",
	    wire_type_name(h->type), h->type, (int)c->state);
	return;
bad:
	conn_error(c, FB_E_PROTO, "bad %s: %s", wire_type_name(h->type),
	    wire_status_name(rc));
}

/*
 * Decode every whole frame in the buffer.  Returns -1 if the connection was
 * freed or is closing.
 */
static int
conn_parse(struct conn *c)
{
	struct wire_hdr h;
	size_t off = 0, need;
	int rc;

	while (c->rlen - off >= WIRE_HDR_LEN) {
		rc = wire_decode_hdr_untrusted(c->rbuf + off, c->rlen - off,
		    WIRE_FROM_CLIENT, &h);
		if (rc != WIRE_OK) {
			conn_error(c, rc == WIRE_EVERSION ? FB_E_VERSION :
			    FB_E_PROTO, "%s (type %u, length %u)",
			    wire_status_name(rc), h.type, h.length);
			return -1;
		}
		need = WIRE_HDR_LEN + (size_t)h.length;
		if (c->rlen - off < need) {
			if (need > c->rsize) {
				uint8_t *nb;

				if (off > 0) {
					memmove(c->rbuf, c->rbuf + off,
					    c->rlen - off);
					c->rlen -= off;
					off = 0;
				}
				if ((nb = realloc(c->rbuf, need)) == NULL) {
					conn_error(c, FB_E_NOMEM, "no memory "
					    "for a %zu-byte frame", need);
					return -1;
				}
				c->rbuf = nb;
				c->rsize = need;
			}
			break;
		}
		conn_dispatch(c, &h, c->rbuf + off + WIRE_HDR_LEN);
		/* The dispatch may have closed c (it is then CLOSING). */
		if (c->state == CONN_CLOSING)
			return -1;
		off += need;
	}
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return 0;
}

static void
conn_read_cb(int fd, short events, void *arg)
{
	struct conn *c = arg;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cmsg;
	ssize_t n;
	int i, nfds;

	/* A client that keeps asking but never reads the answers would make
	 * us buffer without bound. */
	if (evbuffer_get_length(c->out) > dconf.max_pending + CONN_OUT_SLACK) {
		conn_error(c, FB_E_LIMIT, "%zu bytes of replies unread: the "
		    "client does not read its socket",
		    evbuffer_get_length(c->out));
		return;
	}
	for (i = 0; i < CONN_READS_PER_WAKEUP; i++) {
		if (c->rsize - c->rlen < 512) {
			size_t ns = c->rsize < CONN_RBUF_INIT ?
			    CONN_RBUF_INIT : c->rsize * 2;
			uint8_t *nb;

			if (ns > WIRE_HDR_LEN + WIRE_PAYLOAD_MAX + 4096 &&
			    c->rsize >= WIRE_HDR_LEN + WIRE_PAYLOAD_MAX)
				ns = c->rsize + 4096;
			if ((nb = realloc(c->rbuf, ns)) == NULL) {
				conn_error(c, FB_E_NOMEM, "out of memory");
				return;
			}
			c->rbuf = nb;
			c->rsize = ns;
		}
		iov.iov_base = c->rbuf + c->rlen;
		iov.iov_len = c->rsize - c->rlen;
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof cm.buf;
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (c->job != NULL)
				log_debug("conn %llu: %s",
				    (unsigned long long)c->id,
				    strerror(errno));
			conn_free(c);
			return;
		}
		nfds = 0;
		for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
		    cmsg = CMSG_NXTHDR(&mh, cmsg)) {
			if (cmsg->cmsg_level == SOL_SOCKET &&
			    cmsg->cmsg_type == SCM_RIGHTS) {
				size_t k, cnt = (cmsg->cmsg_len -
				    CMSG_LEN(0)) / sizeof(int);
				int cfd;

				for (k = 0; k < cnt; k++) {
					memcpy(&cfd, CMSG_DATA(cmsg) +
					    k * sizeof(int), sizeof cfd);
					close(cfd);
					nfds++;
				}
			}
		}
		if (nfds > 0 || (mh.msg_flags & MSG_CTRUNC)) {
			conn_error(c, FB_E_PROTO, "client attached file "
			    "descriptors; fastbootd accepts none");
			return;
		}
		if (n == 0) {
			log_debug("conn %llu: pid %d closed",
			    (unsigned long long)c->id, (int)c->pid);
			conn_free(c);
			return;
		}
		c->rlen += (size_t)n;
		if (conn_parse(c) == -1)
			return;
		if ((size_t)n < iov.iov_len)
			return;		/* drained the socket */
	}
}
