/*
 * io.c - the connection to fastbootd: connect with a deadline, write whole
 * frames, read into the wire reader, and wait (epoll on the socket and the
 * job's eventfd, or poll on the socket alone; never spinning) while
 * decode.c turns each frame into the handle's state.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

/* The handle's timeout from start (CLOCK_MONOTONIC ns); UINT64_MAX: none. */
uint64_t
io_deadline_from(const fb_comm *comm, uint64_t start)
{
	if (comm->timeout_ms < 0)
		return UINT64_MAX;
	return start + (uint64_t)comm->timeout_ms * 1000000u;
}

uint64_t
io_deadline(const fb_comm *comm)
{
	return io_deadline_from(comm, clock_mono_ns());
}

int
io_ms_since(uint64_t start_ns)
{
	return (int)((clock_mono_ns() - start_ns) / 1000000u);
}

/* Milliseconds left until deadline for poll(): -1 forever, 0 passed. */
static int
io_remaining_ms(uint64_t deadline)
{
	uint64_t now;

	if (deadline == UINT64_MAX)
		return -1;
	now = clock_mono_ns();
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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return comm_error(comm, FB_E_SYS, "socket to connect to %s: %s",
		    comm->path, strerror(errno));
	/* The usual case in one call: the socket stays non-blocking. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		comm->fd = fd;
		return 0;
	}
	if (errno != EAGAIN && errno != EINTR)
		goto failed;
	/* A full backlog (EAGAIN): connect() again blocking, bounded by the
	 * deadline, then non-blocking as above. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		close(fd);
		return comm_error(comm, FB_E_SYS, "fcntl on the socket to %s: "
		    "%s", comm->path, strerror(errno));
	}
	ms = io_remaining_ms(deadline);
	if (ms > 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		int e;

		if (errno == EINTR && io_remaining_ms(deadline) != 0)
			continue;
failed:
		e = errno;
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
	struct iovec iov[4], *v = iov;
	struct pollfd pfd;
	char why[128];
	ssize_t n;
	int i, ms, code, part = 0;

	memcpy(iov, iov_in, sizeof *iov * (size_t)iovcnt);
	for (;;) {
		n = wire_sendmsg(comm->fd, v, iovcnt, NULL, 0, 0);
		if (n == -1) {
			if (errno != EAGAIN)
				return io_write_failed(comm, errno);
			n = 0;
		}
		part |= n > 0;
		/* Advance over what was written. */
		while (iovcnt > 0 && (size_t)n >= v->iov_len) {
			n -= (ssize_t)v->iov_len;
			v++;
			iovcnt--;
		}
		if (iovcnt == 0)
			return 0;
		v->iov_base = (char *)v->iov_base + n;
		v->iov_len -= (size_t)n;
		pfd.fd = comm->fd;
		pfd.events = POLLOUT;
		ms = io_remaining_ms(deadline);
		if (ms != 0 && ((i = poll(&pfd, 1, ms)) != -1 ||
		    errno == EINTR))
			continue;
		/* The deadline passed, or poll failed.  With part of the
		 * frame in the socket the daemon would read our next frame
		 * as its rest: the handle is done for, and writes no more. */
		if (ms != 0) {
			code = FB_E_SYS;
			snprintf(why, sizeof why, "poll: %s", strerror(errno));
		} else {
			code = FB_E_TIMEOUT;
			snprintf(why, sizeof why, "writing to fastbootd timed "
			    "out after %d ms", comm->timeout_ms);
		}
		if ((comm->torn = part))
			return comm_fail(comm, code, "%s, in the middle of a "
			    "frame", why);
		return comm_error(comm, code, "%s", why);
	}
}

/*
 * After LEAVE, with WIRE_ACK_LEAVE_CLOSE: wait until fastbootd closes the
 * connection, which it does once it has released the rank (and freed the
 * job with its last one).  What still comes before the end of file is of
 * no use to a departing rank: it is read and dropped (descriptors passed
 * with it are closed by the kernel).  0, or FB_E_TIMEOUT at the deadline.
 */
int
io_wait_closed(fb_comm *comm, uint64_t deadline)
{
	uint8_t buf[4096];
	struct pollfd pfd;
	ssize_t n;
	int ms;

	for (;;) {
		n = recv(comm->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return 0;	/* closed (or reset): it let us go */
		if ((ms = io_remaining_ms(deadline)) == 0)
			return FB_E_TIMEOUT;
		if (n > 0)
			continue;
		pfd.fd = comm->fd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, ms);	/* EINTR: look again */
	}
}

/* Hand every whole frame in the reader to decode.c. */
static int
io_parse(fb_comm *comm)
{
	struct wire_frame f;
	size_t need;
	int rc;

	for (;;) {
		rc = wire_reader_next(&comm->in, &f, &need);
		if (rc == WIRE_NEED_MORE)
			return 0;
		if (rc != WIRE_OK)
			return comm_fail(comm, FB_E_PROTO, "bad frame from "
			    "fastbootd: %s", wire_status_name(rc));
		if ((rc = decode_frame(comm, &f)) != 0)
			return rc;
	}
}

/*
 * fork()s this process made since it loaded the library, counted in the
 * child: a handle remembers the count it was made under, so the check on
 * every call is a load, not a getpid() system call.
 */
static unsigned io_forks;
static pthread_once_t io_once = PTHREAD_ONCE_INIT;

static void
io_forked(void)
{
	io_forks++;	/* the child has one thread */
}

static void
io_atfork(void)
{
	pthread_atfork(NULL, NULL, io_forked);
}

void
io_owner(fb_comm *comm)
{
	pthread_once(&io_once, io_atfork);
	comm->pid = getpid();
	comm->forks = __atomic_load_n(&io_forks, __ATOMIC_RELAXED);
}

/*
 * May this call use the handle?  Its sticky failure, or FB_E_INVAL in a
 * process other than the one that made it: a forked child sharing the
 * socket and table would act as its parent's rank.
 */
int
io_foreign(const fb_comm *comm)
{
	return __atomic_load_n(&io_forks, __ATOMIC_RELAXED) != comm->forks &&
	    getpid() != comm->pid;
}

int
io_check(fb_comm *comm)
{
	if (comm->failed)
		return comm->failed;
	if (io_foreign(comm))
		return comm_error(comm, FB_E_INVAL, "handle used in another "
		    "process: pid %d made it for rank %d, pid %d used it (a "
		    "child of fork must call fb_comm_init itself)",
		    (int)comm->pid, comm->rank, (int)getpid());
	return 0;
}

/* Read what the socket has; -1 with *rc set on EOF or error. */
static int
io_read(fb_comm *comm, int *rc)
{
	size_t room;
	ssize_t n;

	n = wire_recvmsg(comm->fd, &comm->in, &room);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == ENOMEM)
			*rc = comm_fail(comm, FB_E_NOMEM, "no memory for "
			    "input");
		else
			*rc = io_lost(comm, strerror(errno));
		return -1;
	}
	/* The JOIN_ACK's descriptors did not all fit: the process is out
	 * of them (the kernel truncated the control data, MSG_CTRUNC). */
	if (!comm->joined && comm->in.fds_lost > 0) {
		wire_reader_close_fds(&comm->in);
		*rc = comm_fail(comm, FB_E_SYS, "the rank table's descriptors "
		    "from fastbootd were lost: this process is out of file "
		    "descriptors (EMFILE; %d lost)", comm->in.fds_lost);
		errno = EMFILE;
		return -1;
	}
	/* Descriptors come only with the JOIN_ACK. */
	if (comm->joined)
		wire_reader_close_fds(&comm->in);
	if (n == 0) {
		*rc = io_lost(comm, "connection closed");
		return -1;
	}
	return 1;
}

/* Read and decode what the socket holds now, without waiting (a failure
 * is left in the handle for the next io_wait). */
void
io_peek(fb_comm *comm)
{
	int rc;

	if (io_read(comm, &rc) > 0)
		io_parse(comm);
}

/*
 * Wait until done() says so, the job fails, or the deadline passes
 * (FB_E_TIMEOUT, detail left to the caller).  Blocks in epoll_wait() or
 * poll().
 */
int
io_wait(fb_comm *comm, uint64_t deadline,
    int (*done)(fb_comm *, const void *), const void *arg)
{
	struct epoll_event ev[3];
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
			rc = epoll_wait(comm->epfd, ev, 3, ms);
			for (i = 0, sock = 0; i < rc; i++)
				if (ev[i].data.fd == comm->fd)
					sock = 1;
				else if (ev[i].data.fd == comm->bellfd)
					shm_bell_drain(comm);
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
			continue;	/* a release, a doorbell, or the
					 * deadline passed */
		if (io_read(comm, &rc) == -1) {
			/* Frames that came before the EOF still count. */
			io_parse(comm);
			if (done(comm, arg))
				return 0;
			return comm->failed ? comm->failed : rc;
		}
	}
}
