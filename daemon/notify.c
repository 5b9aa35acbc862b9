/*
 * notify.c - systemd's notification protocol: READY=1 once we can serve,
 * STATUS= with jobs and ranks (coalesced to at most two a second),
 * WATCHDOG=1 from the event loop at half of WATCHDOG_USEC, STOPPING=1.
 * Everything is a no-op when NOTIFY_SOCKET is unset.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "fastbootd.h"

#define NOTIFY_STATUS_MS 500

static int notify_enabled;
static struct event *notify_watchdog_ev;
static struct event *notify_status_ev;
static void (*notify_status_fn)(char *, size_t);

/*
 * sd_notify() blocks while the receiver's queue is full (a busy manager, or
 * a test's notify socket that nobody reads: net.unix.max_dgram_qlen is 10),
 * and the event loop would stop with it.  The periodic messages go out
 * without waiting instead: a STATUS= or WATCHDOG=1 that finds the queue
 * full is dropped, the next one follows.
 */
static int
notify_send_nowait(const char *msg)
{
	struct sockaddr_un sun;
	const char *path = getenv("NOTIFY_SOCKET");
	socklen_t len;
	int fd;

	ssize_t n;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof sun.sun_path)
		return 0;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path) + (path[0] == '/'));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return 0;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&sun, len);
	close(fd);
	return n == -1 && errno == EAGAIN ? -1 : 0;
}

static void
notify_watchdog_cb(int fd, short events, void *arg)
{
	notify_send_nowait("WATCHDOG=1");
}

static void
notify_send_status(void)
{
	char msg[256];

	notify_status_fn(msg, sizeof msg);
	notify_send_nowait(msg);
}

static void
notify_status_cb(int fd, short events, void *arg)
{
	notify_send_status();
}

void
notify_init(void (*status_fn)(char *, size_t))
{
	uint64_t usec;
	struct timeval tv;

	notify_status_fn = status_fn;
	notify_enabled = getenv("NOTIFY_SOCKET") != NULL;
	if (!notify_enabled)
		return;
	notify_status_ev = evtimer_new(dbase, notify_status_cb, NULL);
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		usec /= 2;
		tv.tv_sec = (time_t)(usec / 1000000);
		tv.tv_usec = (suseconds_t)(usec % 1000000);
		notify_watchdog_ev = event_new(dbase, -1, EV_PERSIST,
		    notify_watchdog_cb, NULL);
		event_add(notify_watchdog_ev, &tv);
		log_info("watchdog: pinging every %llu ms",
		    (unsigned long long)usec / 1000);
	}
}

void
notify_ready(void)
{
	if (!notify_enabled)
		return;
	sd_notifyf(0, "READY=1\nSTATUS=serving, 0 jobs\nMAINPID=%lu",
	    (unsigned long)getpid());
}

void
notify_status(void)
{
	struct timeval tv = { 0, NOTIFY_STATUS_MS * 1000 };

	/* NULL after notify_stopping(): jobs freed at shutdown call here. */
	if (!notify_enabled || notify_status_ev == NULL ||
	    evtimer_pending(notify_status_ev, NULL))
		return;
	evtimer_add(notify_status_ev, &tv);
}

void
notify_stopping(void)
{
	int i;

	if (!notify_enabled)
		return;
	/* Not sd_notify(): with the receiver's queue full (a test's socket
	 * that nobody reads) it would block the exit for ever.  Retry for at
	 * most a second instead. */
	for (i = 0; i < 20 && notify_send_nowait("STOPPING=1\n"
	    "STATUS=stopping") == -1; i++)
		usleep(50000);
	if (notify_watchdog_ev != NULL)
		event_free(notify_watchdog_ev);
	if (notify_status_ev != NULL)
		event_free(notify_status_ev);
	notify_watchdog_ev = notify_status_ev = NULL;
}
