/*
 * ctl.c - answers for fastbootctl: daemon status and the jobs it serves, as
 * "key value" lines (doc/protocol.md).  A job is shown to its owner and to
 * root only; its secret never leaves the daemon.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

static void
ctl_reply(struct conn *c, struct evbuffer *b)
{
	uint8_t hdr[WIRE_HDR_LEN];
	size_t len = evbuffer_get_length(b);

	wire_encode_hdr(hdr, WIRE_CTL_REPLY, (uint32_t)len, 0);
	conn_send2(c, hdr, sizeof hdr, evbuffer_pullup(b, -1), len);
}

void
ctl_status(struct conn *c)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		conn_error(c, FB_E_NOMEM, "out of memory");
		return;
	}
	evbuffer_add_printf(b, "version %s\n", PACKAGE_VERSION);
	evbuffer_add_printf(b, "protocol %d\n", WIRE_VERSION);
	evbuffer_add_printf(b, "pid %ld\n", (long)getpid());
	evbuffer_add_printf(b, "uptime_ms %llu\n", (unsigned long long)
	    ((util_now_ns() - dstats.started_ns) / 1000000));
	evbuffer_add_printf(b, "socket %s\n", dconf.socket_path);
	evbuffer_add_printf(b, "activated %d\n", listener_activated());
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
	evbuffer_add_printf(b, "tcp %s\n", tcp_primary() != NULL ? "yes" :
	    "no");
	evbuffer_add_printf(b, "node_name %s\n", tcp_hostname());
	evbuffer_add_printf(b, "peer_connects %llu\n",
	    (unsigned long long)dstats.peer_connects);
	evbuffer_add_printf(b, "peer_links %u\n", dstats.peer_links);
	evbuffer_add_printf(b, "discovery_rounds %llu\n",
	    (unsigned long long)dstats.discovery_rounds);
	evbuffer_add_printf(b, "pmix_jobs %llu\n",
	    (unsigned long long)dstats.pmix_jobs);
	ctl_reply(c, b);
	evbuffer_free(b);
}

void
ctl_jobs(struct conn *c)
{
	struct evbuffer *b = evbuffer_new();
	const struct job *j;
	uint64_t now = util_now_ns();
	char *list;
	size_t lsize = 4096;

	if (b == NULL || (list = malloc(lsize)) == NULL) {
		evbuffer_free(b);
		conn_error(c, FB_E_NOMEM, "out of memory");
		return;
	}
	for (j = job_first(); j != NULL; j = j->lnext) {
		uint32_t gen = 0;
		int shm;

		if (c->uid != 0 && c->uid != j->uid)
			continue;
		/* A shared-memory collective: the daemon sees it in the table. */
		shm = j->ready && !j->coll_kind && table_pending(j, &gen);
		if (evbuffer_get_length(b) > WIRE_CTL_MAX - 8192) {
			evbuffer_add_printf(b, "truncated 1\n");
			break;
		}
		evbuffer_add_printf(b, "job %u\n", j->id);
		evbuffer_add_printf(b, "uid %u\n", (unsigned)j->uid);
		evbuffer_add_printf(b, "nranks %u\n", j->nranks);
		evbuffer_add_printf(b, "joined %u\n", j->joined);
		job_registered(j, list, lsize);
		evbuffer_add_printf(b, "registered %s\n", list);
		evbuffer_add_printf(b, "state %s\n", j->failed ? "failed" :
		    !j->ready ? "forming" : j->coll_kind || shm ? "collective" :
		    "running");
		evbuffer_add_printf(b, "age_ms %llu\n", (unsigned long long)
		    ((now - j->created_ns) / 1000000));
		evbuffer_add_printf(b, "collectives %u\n", shm || !j->coll_seq ?
		    gen : j->coll_seq);
		if (!j->failed && (!j->ready || j->coll_kind != 0 || shm)) {
			job_missing(j, list, lsize);
			evbuffer_add_printf(b, "pending %s\n", !j->ready ?
			    "init" : shm ? "collective" :
			    wire_coll_name(j->coll_kind));
			evbuffer_add_printf(b, "pending_seq %u\n", !j->ready ?
			    0 : shm ? gen + 1 : j->coll_seq + 1);
			evbuffer_add_printf(b, "missing %s\n", list);
			evbuffer_add_printf(b, "waiting_ms %llu\n",
			    (unsigned long long)((now - (!j->ready ?
			    j->created_ns : shm ? table_since(j, now) :
			    j->coll_since_ns)) / 1000000));
		}
		if (j->failed)
			evbuffer_add_printf(b, "error %s\n", j->error);
		fed_describe(j, b);
		evbuffer_add_printf(b, "end\n");
	}
	free(list);
	ctl_reply(c, b);
	evbuffer_free(b);
}

/* The warm links to other daemons (no job secrets in them). */
void
ctl_peers(struct conn *c)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		conn_error(c, FB_E_NOMEM, "out of memory");
		return;
	}
	fed_ctl_peers(c, b);
	ctl_reply(c, b);
	evbuffer_free(b);
}
