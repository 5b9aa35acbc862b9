/*
 * io.c - the connection to fastbootd: connect with a deadline, write whole
 * frames, and wait in poll() (never spinning) while decoding what the
 * daemon sends into the handle's state.
 */
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

uint64_t
io_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
io_deadline(const fb_comm *comm)
{
	if (comm->timeout_ms < 0)
		return UINT64_MAX;
	return io_now_ns() + (uint64_t)comm->timeout_ms * 1000000u;
}

int
io_ms_since(uint64_t start_ns)
{
	return (int)((io_now_ns() - start_ns) / 1000000u);
}

/* Milliseconds left until deadline for poll(): -1 forever, 0 passed. */
static int
io_remaining_ms(uint64_t deadline)
{
	uint64_t now;

	if (deadline == UINT64_MAX)
		return -1;
	now = io_now_ns();
	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999999u) / 1000000u);
}

int
io_connect(fb_comm *comm, uint64_t deadline)
{
	struct sockaddr_un sun;
	struct timeval tv;
	int ms, fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, comm->path, sizeof sun.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return comm_error(comm, FB_E_SYS, "socket to connect to %s: %s",
		    comm->path, strerror(errno));
	/* A full backlog blocks connect(): bound it by the deadline. */
	ms = io_remaining_ms(deadline);
	if (ms > 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		int e = errno;

		if (e == EINTR && io_remaining_ms(deadline) != 0)
			continue;
		close(fd);
		switch (e) {
		case ENOENT:
		case ECONNREFUSED:
		case ENOTDIR:
			return comm_error(comm, FB_E_NODAEMON, "no fastbootd "
			    "is listening on %s (%s); start fastbootd.socket "
			    "or set FASTBOOT_SOCKET", comm->path,
			    strerror(e));
		case EACCES:
		case EPERM:
			return comm_error(comm, FB_E_PERM, "connect to %s: %s",
			    comm->path, strerror(e));
		case EAGAIN:
		case EINPROGRESS:
		case ETIMEDOUT:
			return comm_error(comm, FB_E_TIMEOUT, "connect to %s "
			    "timed out after %d ms: fastbootd's backlog is "
			    "full", comm->path, comm->timeout_ms);
		default:
			return comm_error(comm, FB_E_SYS, "connect to %s: %s",
			    comm->path, strerror(e));
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		close(fd);
		return comm_error(comm, FB_E_SYS, "fcntl on the socket to %s: "
		    "%s", comm->path, strerror(errno));
	}
	comm->fd = fd;
	return 0;
}

static int
io_lost(fb_comm *comm, const char *what)
{
	return comm_fail(comm, FB_E_DAEMON_LOST, "fastbootd at %s went away "
	    "(%s)", comm->path, what);
}

static int io_read(fb_comm *, int *);
static int io_parse(fb_comm *);

/*
 * The daemon closed the connection under our write.  It may have said why
 * first (an ERROR refusing us, a FAIL): that reply is still readable, and
 * is the error to report, not the broken pipe.
 */
static int
io_write_failed(fb_comm *comm, int err)
{
	int rc = 0;

	while (!comm->failed && io_read(comm, &rc) == 1)
		io_parse(comm);
	io_parse(comm);
	if (comm->failed)
		return comm->failed;
	return io_lost(comm, strerror(err));
}

int
io_write(fb_comm *comm, const struct iovec *iov_in, int iovcnt,
    uint64_t deadline)
{
	struct iovec iov[4];
	struct msghdr mh;
	struct pollfd pfd;
	ssize_t n;
	int i, ms;

	memcpy(iov, iov_in, sizeof *iov * (size_t)iovcnt);
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)iovcnt;
	for (;;) {
		n = sendmsg(comm->fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return io_write_failed(comm, errno);
			n = 0;
		}
		/* Advance over what was written. */
		while (mh.msg_iovlen > 0 && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen == 0)
			return 0;
		mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
		mh.msg_iov->iov_len -= (size_t)n;
		pfd.fd = comm->fd;
		pfd.events = POLLOUT;
		ms = io_remaining_ms(deadline);
		if (ms == 0)
			return comm_error(comm, FB_E_TIMEOUT, "writing to "
			    "fastbootd timed out after %d ms",
			    comm->timeout_ms);
		i = poll(&pfd, 1, ms);
		if (i == -1 && errno != EINTR)
			return comm_error(comm, FB_E_SYS, "poll: %s",
			    strerror(errno));
	}
}

static void
io_close_pending(fb_comm *comm)
{
	while (comm->npending > 0)
		close(comm->pending_fds[--comm->npending]);
}

/* Wait on the socket (level) and the job's eventfd (edge) together. */
static int
io_epoll(fb_comm *comm)
{
	struct epoll_event ev;

	comm->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (comm->epfd == -1)
		return -1;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.fd = comm->fd;
	if (epoll_ctl(comm->epfd, EPOLL_CTL_ADD, comm->fd, &ev) == -1)
		return -1;
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = comm->evfd;
	return epoll_ctl(comm->epfd, EPOLL_CTL_ADD, comm->evfd, &ev);
}

static int
io_join_ack(fb_comm *comm, const uint8_t *p, uint32_t len)
{
	struct wire_join_ack m;
	const struct table_hdr *h;
	void *t;
	int want, fd;

	if (wire_decode_join_ack(p, len, &m) != WIRE_OK || comm->joined) {
		io_close_pending(comm);
		return comm_fail(comm, FB_E_PROTO, "bad JOIN_ACK from "
		    "fastbootd");
	}
	want = m.flags & WIRE_ACK_EVENTFD ? 2 : 1;
	if (comm->npending != want) {
		io_close_pending(comm);
		return comm_fail(comm, FB_E_PROTO, "JOIN_ACK came with %d "
		    "descriptors, not %d", comm->npending, want);
	}
	if (m.table_size > SIZE_MAX) {
		io_close_pending(comm);
		return comm_fail(comm, FB_E_PROTO, "rank table too large");
	}
	fd = comm->pending_fds[0];
	t = mmap(NULL, (size_t)m.table_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	close(fd);
	comm->npending = 0;
	comm->evfd = want == 2 ? comm->pending_fds[1] : -1;
	if (t == MAP_FAILED)
		return comm_fail(comm, FB_E_SYS, "mmap of the %llu-byte rank "
		    "table: %s", (unsigned long long)m.table_size,
		    strerror(errno));
	h = t;
	if (h->magic != TABLE_MAGIC || h->version != TABLE_VERSION ||
	    h->nranks != (uint32_t)comm->nranks || h->table_size !=
	    m.table_size || h->data_off < m.ctl_size ||
	    h->slot_bytes == 0 || h->data_off + 2 * h->slot_bytes *
	    h->nranks > m.table_size) {
		munmap(t, (size_t)m.table_size);
		return comm_fail(comm, FB_E_PROTO, "the rank table's header "
		    "is inconsistent");
	}
	comm->table = t;
	comm->table_size = (size_t)m.table_size;
	comm->hdr = t;
	comm->trank = (struct table_rank *)(comm->hdr + 1);
	comm->data = (uint8_t *)t + h->data_off;
	comm->slot_bytes = h->slot_bytes;
	comm->job_id = m.job_id;
	comm->joined = 1;
	if (!comm->daemon_coll) {
		if (comm->evfd == -1)
			return comm_fail(comm, FB_E_PROTO, "fastbootd passed "
			    "no eventfd for shared-memory collectives");
		if (io_epoll(comm) == -1)
			return comm_fail(comm, FB_E_SYS, "epoll: %s",
			    strerror(errno));
	}
	return 0;
}

static int
io_status_text(const struct wire_status_msg *m, char *buf, size_t size)
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

/* One whole frame from the daemon. */
static int
io_frame(fb_comm *comm, const struct wire_hdr *h, const uint8_t *p)
{
	struct wire_status_msg st;
	struct wire_ready ready;
	struct wire_msg msg;
	struct msgq *q;
	char text[WIRE_TEXT_MAX + 1];
	int code;

	switch (h->type) {
	case WIRE_JOIN_ACK:
		return io_join_ack(comm, p, h->length);
	case WIRE_READY:
		if (wire_decode_ready(p, h->length, &ready) != WIRE_OK)
			break;
		comm->local_rank = (int)ready.local_rank;
		comm->local_size = (int)ready.local_size;
		comm->node = (int)ready.node;
		comm->nnodes = (int)ready.nnodes;
		comm->ready = 1;
		return 0;
	case WIRE_RELEASE:
		comm->released = h->seq;
		return 0;
	case WIRE_DELIVER:
		if (wire_decode_msg(p, h->length, &msg) != WIRE_OK ||
		    msg.peer >= (uint32_t)comm->nranks)
			break;
		if ((q = malloc(sizeof *q + msg.len)) == NULL)
			return comm_fail(comm, FB_E_NOMEM, "no memory to "
			    "queue a %u-byte message from rank %u", msg.len,
			    msg.peer);
		q->src = msg.peer;
		q->tag = msg.tag;
		q->len = msg.len;
		memcpy(q->data, msg.data, msg.len);
		p2p_enqueue(comm, q);
		return 0;
	case WIRE_SEND_ACK:
		if (wire_decode_status(p, h->length, &st) != WIRE_OK)
			break;
		comm->acked = h->seq;
		comm->ack_code = io_status_text(&st, comm->ack_text,
		    sizeof comm->ack_text);
		return 0;
	case WIRE_LEFT:
		if (h->seq >= (uint32_t)comm->nranks)
			break;
		comm->left[h->seq / 8] |= (uint8_t)(1u << (h->seq % 8));
		return 0;
	case WIRE_FAIL:
	case WIRE_ERROR:
		if (wire_decode_status(p, h->length, &st) != WIRE_OK)
			break;
		code = io_status_text(&st, text, sizeof text);
		if (code == 0)
			code = FB_E_PROTO;
		return comm_fail(comm, code, "%s%s", h->type == WIRE_FAIL ?
		    "job failed: " : "fastbootd refused: ", text);
	}
	return comm_fail(comm, FB_E_PROTO, "unexpected or malformed %s "
	    "(type %u) from fastbootd", wire_type_name(h->type), h->type);
}

/* Decode every whole frame in the input buffer. */
static int
io_parse(fb_comm *comm)
{
	struct wire_hdr h;
	size_t off = 0, need;
	int rc = 0;

	while (comm->rlen - off >= WIRE_HDR_LEN) {
		rc = wire_decode_hdr_untrusted(comm->rbuf + off,
		    comm->rlen - off, WIRE_FROM_DAEMON, &h);
		if (rc != WIRE_OK) {
			rc = comm_fail(comm, FB_E_PROTO, "bad frame from "
			    "fastbootd: %s", wire_status_name(rc));
			break;
		}
		need = WIRE_HDR_LEN + (size_t)h.length;
		if (comm->rlen - off < need) {
			if (need > comm->rsize) {
				uint8_t *nb = realloc(comm->rbuf, need);

				if (nb == NULL) {
					rc = comm_fail(comm, FB_E_NOMEM,
					    "no memory for a %zu-byte frame",
					    need);
					break;
				}
				comm->rbuf = nb;
				comm->rsize = need;
			}
			break;
		}
		rc = io_frame(comm, &h, comm->rbuf + off + WIRE_HDR_LEN);
		off += need;
		if (rc != 0)
			break;
	}
	if (off > 0) {
		memmove(comm->rbuf, comm->rbuf + off, comm->rlen - off);
		comm->rlen -= off;
	}
	return rc;
}

/* Read what the socket has; -1 with *rc set on EOF or error. */
static int
io_read(fb_comm *comm, int *rc)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct cmsghdr *cmsg;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	if (comm->rsize - comm->rlen < 4096) {
		size_t ns = comm->rsize ? comm->rsize * 2 : 65536;
		uint8_t *nb = realloc(comm->rbuf, ns);

		if (nb == NULL) {
			*rc = comm_fail(comm, FB_E_NOMEM, "no memory for input");
			return -1;
		}
		comm->rbuf = nb;
		comm->rsize = ns;
	}
	iov.iov_base = comm->rbuf + comm->rlen;
	iov.iov_len = comm->rsize - comm->rlen;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof cm.buf;
	n = recvmsg(comm->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		*rc = io_lost(comm, strerror(errno));
		return -1;
	}
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		size_t k, cnt;
		int fd;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt; k++) {
			memcpy(&fd, CMSG_DATA(cmsg) + k * sizeof(int),
			    sizeof fd);
			if (comm->npending < 2 && !comm->joined)
				comm->pending_fds[comm->npending++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0) {
		*rc = io_lost(comm, "connection closed");
		return -1;
	}
	comm->rlen += (size_t)n;
	return 1;
}

/*
 * Wait until done() says so, the job fails, or the deadline passes
 * (FB_E_TIMEOUT, detail left to the caller).  Blocks in poll().
 */
int
io_wait(fb_comm *comm, uint64_t deadline,
    int (*done)(fb_comm *, const void *), const void *arg)
{
	struct epoll_event ev[2];
	struct pollfd pfd;
	int rc, ms, i, sock;

	for (;;) {
		rc = io_parse(comm);
		/* What came before a FAIL still counts: a collective released
		 * before the job failed completed on every rank. */
		if (done(comm, arg))
			return 0;
		if (rc != 0)
			return rc;
		if (comm->failed)
			return comm->failed;
		if ((ms = io_remaining_ms(deadline)) == 0)
			return FB_E_TIMEOUT;
		if (comm->epfd != -1) {
			rc = epoll_wait(comm->epfd, ev, 2, ms);
			for (i = 0, sock = 0; i < rc; i++)
				if (ev[i].data.fd == comm->fd)
					sock = 1;
		} else {
			pfd.fd = comm->fd;
			pfd.events = POLLIN;
			rc = poll(&pfd, 1, ms);
			sock = rc > 0;
		}
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			return comm_error(comm, FB_E_SYS, "poll: %s",
			    strerror(errno));
		}
		if (!sock)
			continue;	/* a release, or the deadline passed */
		if (io_read(comm, &rc) == -1) {
			/* Frames that came before the EOF still count. */
			io_parse(comm);
			if (done(comm, arg))
				return 0;
			return comm->failed ? comm->failed : rc;
		}
	}
}
