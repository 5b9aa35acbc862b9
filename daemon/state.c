/*
 * state.c - the daemon's settings (defaults here, the command line in
 * main.c), its counters and its event base: in the library, so that tests
 * and fuzz targets that drive the daemon's code in-process share them.
 */
#include "fastboot/fastboot.h"
#include "fastbootd.h"

struct daemon_config dconf = {
	.socket_path = FB_DEFAULT_SOCKET,
	.socket_mode = 0666,
	.max_jobs = 8192,
	.max_ranks = 4096,
	.max_conns = 32768,
	.max_conns_per_uid = 8192,
	.max_jobs_per_uid = 4096,
	/* One largest message (FB_MAX_MSG_BYTES, in 1 MiB parts) and its frame
	 * headers fit a receiver that is not receiving. */
	.max_pending = FB_MAX_MSG_BYTES + (1u << 20),
	.max_memory = 1024u << 20,
	.max_lingering_per_uid = 1024,
	.ctl_rate = 100,
	.handshake_ms = 10000,
	.peer_timeout_ms = 2000,
	.peer_hang_ms = 0,		/* main.c: 4 x peer_timeout_ms */
	.peer_idle_s = 600,
	.max_peers = 4096,
	.sched_batch = 1,
};
struct daemon_stats dstats;
struct event_base *dbase;
