/*
 * reader.h - the one incremental frame reader, shared by fastbootd, the
 * library, fastbootctl, the tests and the fuzz targets; and the one
 * sendmsg/recvmsg pair that carries descriptors (SCM_RIGHTS).
 *
 * The reader is sans I/O: bytes (and descriptors) go in through
 * wire_reader_space()/wire_reader_commit()/wire_reader_add_fd(), whole
 * frames whose header passed wire_decode_hdr_untrusted() come out of
 * wire_reader_next(), which otherwise says how many more bytes it needs.
 * Nothing is allocated for a frame before its header is checked.
 */
#ifndef FB_WIRE_READER_H
#define FB_WIRE_READER_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define WIRE_READER_FDS	4	/* descriptors held until taken */

struct wire_frame {
	struct wire_hdr hdr;
	const uint8_t *bytes;	/* the whole frame, header first (what a
				 * peer frame's MAC covers) */
	const uint8_t *payload;	/* hdr.length bytes after the header; both
				 * valid until the next wire_reader_space() */
};

struct wire_reader {
	uint8_t *buf;
	size_t off;		/* first byte not yet returned in a frame */
	size_t len;		/* end of the bytes held */
	size_t size;
	size_t want;		/* whole size of the partial frame at off */
	size_t init;		/* first allocation */
	size_t chunk;		/* least room offered to one read */
	size_t cap;		/* beyond it, grow by chunk, not doubling */
	int from;		/* WIRE_FROM_* of the peer */
	int fds[WIRE_READER_FDS];
	int nfds;
	int fds_lost;		/* descriptors that did not fit (closed) */
};

void wire_reader_init(struct wire_reader *, int from, size_t init,
    size_t chunk);
void wire_reader_free(struct wire_reader *);	/* buffer and held fds */
/* Room for the next read, at least chunk bytes (and the whole partial
 * frame); NULL if out of memory. */
uint8_t *wire_reader_space(struct wire_reader *, size_t *room);
void wire_reader_commit(struct wire_reader *, size_t n);
/* A descriptor that came with the bytes: held, or closed if full. */
void wire_reader_add_fd(struct wire_reader *, int fd);
void wire_reader_close_fds(struct wire_reader *);
/* Move up to max held descriptors to fds (oldest first); returns how many. */
int wire_reader_take_fds(struct wire_reader *, int *fds, int max);
/*
 * The next whole frame: WIRE_OK and *f filled; WIRE_NEED_MORE and *need set
 * to the bytes still missing; or the header's error (negative WIRE_E*,
 * f->hdr holds the decoded fields for the message), after which the stream
 * cannot be resynchronised.
 */
int wire_reader_next(struct wire_reader *, struct wire_frame *f,
    size_t *need);
size_t wire_reader_buffered(const struct wire_reader *);

/* sendmsg() of iov with nfds (0..WIRE_READER_FDS) descriptors; EINTR is
 * retried.  flags: MSG_DONTWAIT or 0 (MSG_NOSIGNAL is always added). */
ssize_t wire_sendmsg(int fd, const struct iovec *iov, int iovcnt,
    const int *fds, int nfds, int flags);
/* recvmsg() into the reader's space (MSG_DONTWAIT, descriptors
 * close-on-exec and added to the reader).  *room: what was offered. */
ssize_t wire_recvmsg(int fd, struct wire_reader *, size_t *room);

#endif /* FB_WIRE_READER_H */
