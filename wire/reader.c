/*
 * reader.c - the incremental frame reader and the descriptor-carrying
 * sendmsg/recvmsg pair (see reader.h).
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire/reader.h"

void
wire_reader_init(struct wire_reader *r, int from, size_t init, size_t chunk)
{
	memset(r, 0, sizeof *r);
	r->from = from;
	r->init = init;
	r->chunk = chunk;
	r->cap = WIRE_HDR_LEN + wire_max_length(from) + chunk;
}

void
wire_reader_free(struct wire_reader *r)
{
	wire_reader_close_fds(r);
	free(r->buf);
	r->buf = NULL;
	r->off = r->len = r->size = r->want = 0;
}

uint8_t *
wire_reader_space(struct wire_reader *r, size_t *room)
{
	size_t held = r->len - r->off, target, ns;
	uint8_t *nb;

	/* Move the partial frame to the front only when the room after it
	 * is short: most reads then copy nothing. */
	if (held == 0)
		r->off = r->len = 0;
	else if (r->off > 0 && (r->size - r->len < r->chunk ||
	    r->off + r->want > r->size)) {
		memmove(r->buf, r->buf + r->off, held);
		r->off = 0;
		r->len = held;
	}
	target = r->len + r->chunk;
	if (r->off + r->want > target)
		target = r->off + r->want;
	if (r->size < target) {
		ns = r->size < r->init ? r->init : r->size * 2;
		if (ns > r->cap && r->size >= r->cap - r->chunk)
			ns = r->size + r->chunk;
		if (ns < target)
			ns = target;
		if ((nb = realloc(r->buf, ns)) == NULL)
			return NULL;
		r->buf = nb;
		r->size = ns;
	}
	*room = r->size - r->len;
	return r->buf + r->len;
}

void
wire_reader_commit(struct wire_reader *r, size_t n)
{
	r->len += n;
}

void
wire_reader_add_fd(struct wire_reader *r, int fd)
{
	if (r->nfds < WIRE_READER_FDS)
		r->fds[r->nfds++] = fd;
	else {
		close(fd);
		r->fds_lost++;
	}
}

void
wire_reader_close_fds(struct wire_reader *r)
{
	while (r->nfds > 0)
		close(r->fds[--r->nfds]);
}

int
wire_reader_take_fds(struct wire_reader *r, int *fds, int max)
{
	int n = r->nfds < max ? r->nfds : max;

	memcpy(fds, r->fds, sizeof *fds * (size_t)n);
	memmove(r->fds, r->fds + n, sizeof *fds * (size_t)(r->nfds - n));
	r->nfds -= n;
	return n;
}

int
wire_reader_next(struct wire_reader *r, struct wire_frame *f, size_t *need)
{
	size_t held = r->len - r->off, whole;
	int rc;

	if (held < WIRE_HDR_LEN) {
		r->want = WIRE_HDR_LEN;
		*need = WIRE_HDR_LEN - held;
		return WIRE_NEED_MORE;
	}
	rc = wire_decode_hdr_untrusted(r->buf + r->off, held, r->from,
	    &f->hdr);
	if (rc != WIRE_OK)
		return rc;
	whole = WIRE_HDR_LEN + (size_t)f->hdr.length;
	if (held < whole) {
		r->want = whole;
		*need = whole - held;
		return WIRE_NEED_MORE;
	}
	f->bytes = r->buf + r->off;
	f->payload = f->bytes + WIRE_HDR_LEN;
	r->off += whole;
	r->want = 0;
	*need = 0;
	return WIRE_OK;
}

size_t
wire_reader_buffered(const struct wire_reader *r)
{
	return r->len - r->off;
}

ssize_t
wire_sendmsg(int fd, const struct iovec *iov, int iovcnt, const int *fds,
    int nfds, int flags)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * WIRE_READER_FDS)];
	} cm;
	struct msghdr mh;
	struct cmsghdr *cmsg;
	ssize_t n;

	if (nfds < 0 || nfds > WIRE_READER_FDS) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = (struct iovec *)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	if (nfds > 0) {
		memset(&cm, 0, sizeof cm);
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | flags);
	while (n == -1 && errno == EINTR);
	return n;
}

ssize_t
wire_recvmsg(int fd, struct wire_reader *r, size_t *room)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct cmsghdr *cmsg;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	if ((iov.iov_base = wire_reader_space(r, &iov.iov_len)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	*room = iov.iov_len;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof cm.buf;
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		size_t k, cnt;
		int cfd;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt; k++) {
			memcpy(&cfd, CMSG_DATA(cmsg) + k * sizeof(int),
			    sizeof cfd);
			wire_reader_add_fd(r, cfd);
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		r->fds_lost++;
	wire_reader_commit(r, (size_t)n);
	return n;
}
