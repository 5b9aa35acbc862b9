/*
 * notify.c - systemd's notification protocol: READY=1 once we can serve,
 * STATUS= with jobs and ranks (coalesced to at most two a second),
 * WATCHDOG=1 from the event loop at half of WATCHDOG_USEC, STOPPING=1.
 * Everything is a no-op when NOTIFY_SOCKET is unset.
 */
#include <stdlib.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "fastbootd.h"

#define NOTIFY_STATUS_MS 500

static int notify_enabled;
static struct event *notify_watchdog_ev;
static struct event *notify_status_ev;

static void
notify_watchdog_cb(int fd, short events, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

static void
notify_send_status(void)
{
	sd_notifyf(0, "STATUS=%u jobs, %u ranks, %u connections, "
	    "%llu collectives served", dstats.jobs, dstats.ranks, dstats.conns,
	    (unsigned long long)job_collectives_served());
}

static void
notify_status_cb(int fd, short events, void *arg)
{
	notify_send_status();
}

void
notify_init(void)
{
	uint64_t usec;
	struct timeval tv;

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
	if (!notify_enabled)
		return;
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	if (notify_watchdog_ev != NULL)
		event_free(notify_watchdog_ev);
	if (notify_status_ev != NULL)
		event_free(notify_status_ev);
	notify_watchdog_ev = notify_status_ev = NULL;
}
