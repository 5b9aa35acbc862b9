/*
 * ctl.c - answers for fastbootctl: daemon status and the jobs it serves, as
 * "key value" lines (doc/protocol.md).  A job is shown to its owner and to
 * root only; its secret never leaves the daemon.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

/* The node's counters of links and jobs across nodes (each a uint64_t of
 * struct daemon_stats), in the order shown.  Those of the links say how
 * the node's network fares; those of jobs follow other users' work
 * (their collectives, their messages, their ids used again), so only root
 * sees them. */
#define CTL_COUNTER(f)	{ #f, offsetof(struct daemon_stats, f) }
struct ctl_counter {
	const char *name;
	size_t off;
};
static const struct ctl_counter ctl_link_counters[] = {
	CTL_COUNTER(peer_starved),
	CTL_COUNTER(peer_late_beats),
	CTL_COUNTER(peer_handovers),
	CTL_COUNTER(peer_handover_waits),
	CTL_COUNTER(peer_handover_fallbacks),
};
static const struct ctl_counter ctl_job_counters[] = {
	CTL_COUNTER(peer_stale),
	CTL_COUNTER(peer_early_dropped),
	CTL_COUNTER(peer_gen_evicted),
	CTL_COUNTER(peer_gen_kept),
	CTL_COUNTER(peer_msgs_held),
	CTL_COUNTER(peer_held_undelivered),
	CTL_COUNTER(discovery_rounds),
	CTL_COUNTER(pmix_jobs),
	CTL_COUNTER(map_sent),
	CTL_COUNTER(map_bytes_sent),
	CTL_COUNTER(coll_node_arrivals),
	CTL_COUNTER(coll_rank_arrivals),
};

static void
ctl_counters(struct evbuffer *b, const struct ctl_counter *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		evbuffer_add_printf(b, "%s %llu\n", c[i].name,
		    (unsigned long long)*(const uint64_t *)(const void *)
		    ((const char *)&dstats + c[i].off));
}

/*
 * The daemon's status.  Counters of jobs and traffic are the caller's own
 * (its uid's: a user learns nothing of the others' work, and cannot move
 * what they see, a scribbled table included); root sees the daemon's.
 */
int
ctl_status(struct evbuffer *b, uid_t uid)
{
	const struct uidmap *u = uidmap_find(uid);
	static const struct uidmap none;
	const struct job *j;
	uint64_t coll;

	if (u == NULL)
		u = &none;
	evbuffer_add_printf(b, "version %s\n", PACKAGE_VERSION);
	evbuffer_add_printf(b, "protocol %d\n", WIRE_VERSION);
	evbuffer_add_printf(b, "pid %ld\n", (long)getpid());
	evbuffer_add_printf(b, "uptime_ms %llu\n", (unsigned long long)
	    ((clock_mono_ns() - dstats.started_ns) / 1000000));
	evbuffer_add_printf(b, "socket %s\n", dconf.socket_path);
	evbuffer_add_printf(b, "activated %d\n", listener_activated());
	if (uid == 0) {
		evbuffer_add_printf(b, "scope all\n");
		evbuffer_add_printf(b, "jobs %u\n", dstats.jobs);
		evbuffer_add_printf(b, "ranks %u\n", dstats.ranks);
		evbuffer_add_printf(b, "connections %u\n", dstats.conns);
		evbuffer_add_printf(b, "jobs_created %llu\n",
		    (unsigned long long)dstats.jobs_created);
		evbuffer_add_printf(b, "jobs_failed %llu\n",
		    (unsigned long long)dstats.jobs_failed);
		evbuffer_add_printf(b, "collectives %llu\n",
		    (unsigned long long)job_collectives_served());
		evbuffer_add_printf(b, "messages %llu\n",
		    (unsigned long long)dstats.messages);
		evbuffer_add_printf(b, "connections_accepted %llu\n",
		    (unsigned long long)dstats.conns_accepted);
		evbuffer_add_printf(b, "connections_dropped %llu\n",
		    (unsigned long long)dstats.conns_dropped);
		evbuffer_add_printf(b, "failed_jobs_kept %u\n",
		    dstats.lingering);
		evbuffer_add_printf(b, "descriptors %u\n", dstats.fds);
		evbuffer_add_printf(b, "max_descriptors %u\n", dconf.max_fds);
		evbuffer_add_printf(b, "buffered_bytes %llu\n",
		    (unsigned long long)dstats.buffered);
		evbuffer_add_printf(b, "buffered_peak_bytes %llu\n",
		    (unsigned long long)dstats.buffered_peak);
	} else {
		coll = u->collectives;
		for (j = job_first(); j != NULL; j = j->lnext)
			if (j->uid == uid)
				coll += job_collectives(j);
		evbuffer_add_printf(b, "scope uid %u\n", (unsigned)uid);
		evbuffer_add_printf(b, "jobs %u\n", u->count[UIDMAP_JOB]);
		evbuffer_add_printf(b, "ranks %u\n", u->ranks);
		evbuffer_add_printf(b, "connections %u\n",
		    u->count[UIDMAP_CONN]);
		evbuffer_add_printf(b, "jobs_created %llu\n",
		    (unsigned long long)u->jobs_created);
		evbuffer_add_printf(b, "jobs_failed %llu\n",
		    (unsigned long long)u->jobs_failed);
		evbuffer_add_printf(b, "collectives %llu\n",
		    (unsigned long long)coll);
		evbuffer_add_printf(b, "messages %llu\n",
		    (unsigned long long)u->messages);
		evbuffer_add_printf(b, "failed_jobs_kept %u\n", u->lingering);
		evbuffer_add_printf(b, "descriptors %u\n",
		    u->count[UIDMAP_FD]);
		evbuffer_add_printf(b, "buffered_bytes %llu\n",
		    (unsigned long long)u->bytes);
	}
	evbuffer_add_printf(b, "max_memory %llu\n",
	    (unsigned long long)dconf.max_memory);
	evbuffer_add_printf(b, "tcp %s\n", tcp_primary() != NULL ? "yes" :
	    "no");
	evbuffer_add_printf(b, "node_name %s\n", tcp_hostname());
	evbuffer_add_printf(b, "peer_connects %llu\n",
	    (unsigned long long)dstats.peer_connects);
	evbuffer_add_printf(b, "peer_links %u\n", dstats.peer_links);
	ctl_counters(b, ctl_link_counters, sizeof ctl_link_counters /
	    sizeof ctl_link_counters[0]);
	if (uid == 0)
		ctl_counters(b, ctl_job_counters, sizeof ctl_job_counters /
		    sizeof ctl_job_counters[0]);
	return 0;
}

/* The warm links to other daemons (no job secrets in them). */
int
ctl_peers(struct evbuffer *b)
{
	fed_ctl_peers(b);
	return 0;
}

/* The jobs uid may see (root: all). */
int
ctl_jobs(struct evbuffer *b, uid_t uid)
{
	const struct job *j;
	struct job_view v;
	uint64_t now = clock_mono_ns();
	char *list;
	size_t lsize = 4096;

	if ((list = malloc(lsize)) == NULL)
		return -1;
	for (j = job_first(); j != NULL; j = j->lnext) {
		if (uid != 0 && uid != j->uid)
			continue;
		if (evbuffer_get_length(b) > WIRE_CTL_MAX - 8192) {
			evbuffer_add_printf(b, "truncated 1\n");
			break;
		}
		job_view(j, now, &v);
		evbuffer_add_printf(b, "job %u\n", j->id);
		evbuffer_add_printf(b, "uid %u\n", (unsigned)j->uid);
		evbuffer_add_printf(b, "nranks %u\n", j->nranks);
		evbuffer_add_printf(b, "joined %u\n", j->joined);
		job_registered(j, list, lsize);
		evbuffer_add_printf(b, "registered %s\n", list);
		evbuffer_add_printf(b, "state %s\n", v.state);
		evbuffer_add_printf(b, "age_ms %llu\n", (unsigned long long)
		    ((now - j->created_ns) / 1000000));
		evbuffer_add_printf(b, "collectives %u\n", v.collectives);
		if (v.pending) {
			job_missing(j, list, lsize);
			evbuffer_add_printf(b, "pending %s\n", v.pending_what);
			evbuffer_add_printf(b, "pending_seq %u\n",
			    v.pending_seq);
			evbuffer_add_printf(b, "missing %s\n", list);
			evbuffer_add_printf(b, "waiting_ms %llu\n",
			    (unsigned long long)(v.waiting_ns / 1000000));
		}
		if (j->state == JOB_FAILED)
			evbuffer_add_printf(b, "error %s\n", j->error);
		fed_describe(j, b);
		evbuffer_add_printf(b, "end\n");
	}
	free(list);
	return 0;
}
