/*
 * util.c - descriptors, the accept loop's failures and rank lists (clocks:
 * wire/clock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

#include "fastbootd.h"

int
util_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

#define UTIL_ACCEPT_BACKOFF_MS	100

/*
 * accept4() on a listening socket failed (errno): what the Unix and the
 * TCP listeners do about it.  Out of descriptors or memory the socket
 * stays readable, and reading it again at once would spin: the listening
 * event stops for UTIL_ACCEPT_BACKOFF_MS, until backoff (an evtimer whose
 * callback is util_accept_resume, its argument the listening event) puts
 * it back.  The caller's burst of accepts ends.
 */
void
util_accept_failed(struct event *listening, struct event *backoff,
    const char *what)
{
	struct timeval tv = { 0, UTIL_ACCEPT_BACKOFF_MS * 1000 };

	switch (errno) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:	/* the client went away: nothing to do */
		break;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		if (log_ratelimit())
			log_warn("%s: backing off %d ms", what,
			    UTIL_ACCEPT_BACKOFF_MS);
		event_del(listening);
		evtimer_add(backoff, &tv);
		break;
	default:
		if (log_ratelimit())
			log_warn("%s", what);
		break;
	}
}

void
util_accept_resume(int fd, short events, void *listening)
{
	event_add(listening, NULL);
}

/*
 * Write the sorted ranks v[0..n) as "0-3,5,7-9" into buf, ending with
 * ",..." if it does not fit.
 */
void
util_ranges(char *buf, size_t size, const uint32_t *v, size_t n)
{
	size_t i = 0, used = 0;
	int w;

	if (size == 0)
		return;
	buf[0] = '\0';
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		if (j == i)
			w = snprintf(buf + used, size - used, "%s%u",
			    used ? "," : "", v[i]);
		else
			w = snprintf(buf + used, size - used, "%s%u-%u",
			    used ? "," : "", v[i], v[j]);
		if (w < 0 || (size_t)w >= size - used) {
			if (size >= 5)
				snprintf(buf + (used < size - 4 ? used :
				    size - 5), 5, ",...");
			return;
		}
		used += (size_t)w;
		i = j + 1;
	}
}
