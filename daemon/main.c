/*
 * main.c - fastbootd: the per-node bootstrap daemon of fastboot.
 */
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: fastbootd [-v] [-s PATH] [options]\n"
"\n"
"  -s, --socket PATH          listen on PATH (default: $FASTBOOT_SOCKET,\n"
"                             else " FB_DEFAULT_SOCKET ")\n"
"  -m, --socket-mode MODE     octal mode of a socket we create (default 0666)\n"
"  -v, --verbose              log debug messages\n"
"      --allow-root           let root join jobs of other users\n"
"      --max-jobs N           jobs at once (default %u)\n"
"      --max-ranks N          ranks per job (default %u)\n"
"      --max-conns N          connections at once (default %u)\n"
"      --max-conns-per-uid N  connections per user (default %u)\n"
"      --max-jobs-per-uid N   jobs per user (default %u)\n"
"      --max-pending BYTES    undelivered send bytes per rank (default %llu)\n"
"      --max-memory BYTES     bytes buffered for all users (default %llu);\n"
"                             each user has a share (doc/limits.md)\n"
"      --max-failed-per-uid N failed jobs remembered per user (default %u)\n"
"      --ctl-rate N           control requests per second per user\n"
"                             (default %u; 0: no limit)\n"
"      --handshake-ms MS      HELLO and JOIN deadline (default %d)\n"
"      --listen-tcp ADDR[:PORT]  serve other nodes' daemons on TCP; ADDR is\n"
"                             IPv4, [IPv6] or auto (FASTBOOT_IFNAME, else the\n"
"                             first non-loopback interface); port %d;\n"
"                             repeatable\n"
"      --peer-timeout MS      a peer link whose node's kernel ACKs nothing\n"
"                             is lost after MS (default %d)\n"
"      --peer-hang-timeout MS a peer link whose node's kernel ACKs but whose\n"
"                             daemon sends nothing is lost after MS\n"
"                             (default 4 x --peer-timeout)\n"
"      --peer-idle S          close peer links unused for S seconds\n"
"                             (default %d)\n"
"      --max-peers N          peer links at once (default %u)\n"
"      --node-name NAME       this node's name for the other nodes (default:\n"
"                             the host name)\n"
"      --sched-policy POLICY  batch (default): the daemon does not preempt\n"
"                             the rank whose message woke it; other: as\n"
"                             any process (a policy set before is kept)\n"
"  -V, --version              print the version and exit\n"
"  -h, --help                 print this help and exit\n",
	    dconf.max_jobs, dconf.max_ranks, dconf.max_conns,
	    dconf.max_conns_per_uid, dconf.max_jobs_per_uid,
	    (unsigned long long)dconf.max_pending,
	    (unsigned long long)dconf.max_memory,
	    dconf.max_lingering_per_uid, dconf.ctl_rate,
	    dconf.handshake_ms, WPEER_DEFAULT_PORT, dconf.peer_timeout_ms,
	    dconf.peer_idle_s, dconf.max_peers);
}

static unsigned long long
parse_num(const char *opt, const char *s, unsigned long long min,
    unsigned long long max, int base)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "fastbootd: %s: '%s' is not a number in "
		    "%llu..%llu\n", opt, s, min, max);
		exit(2);
	}
	return v;
}

static void
main_signal_cb(int sig, short events, void *arg)
{
	log_info("signal %d: shutting down", sig);
	event_base_loopbreak(dbase);
}

/*
 * Block SIGTERM, SIGINT and SIGHUP, then set them to SIG_IGN (a pending one
 * is dropped): called once the loop has stopped, and again after
 * event_free() of their events put back SIG_DFL.
 */
static void
main_ignore_stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
}

static void
main_hup_cb(int sig, short events, void *arg)
{
	log_info("SIGHUP: fastbootd has no configuration file to reload");
}

static void
main_event_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

static void
main_event_fatal(int err)
{
	fatalx("libevent fatal error %d", err);
}

/*
 * SCHED_BATCH: a rank's message wakes the daemon without preempting the
 * rank, which is about to sleep until the answer comes; on a CPU the two
 * share, the daemon then runs once for what the rank wrote, not once for
 * its connect and again for its JOIN.  A CPU left idle still takes the
 * daemon at once.  Only from the default policy: one set by the service
 * manager (CPUSchedulingPolicy=) or an administrator is kept.
 */
static void
main_sched(void)
{
	struct sched_param sp = { 0 };
	int policy;

	if (!dconf.sched_batch)
		return;
	if ((policy = sched_getscheduler(0)) != SCHED_OTHER) {
		log_info("scheduling policy %s kept (set before start)",
		    policy == SCHED_BATCH ? "batch" : policy == SCHED_IDLE ?
		    "idle" : policy == SCHED_FIFO ? "fifo" : policy ==
		    SCHED_RR ? "rr" : "other");
		return;
	}
	if (sched_setscheduler(0, SCHED_BATCH, &sp) == -1)
		log_warn("sched_setscheduler SCHED_BATCH");
}

/*
 * Each rank holds a descriptor here: take all the kernel allows, and
 * share it among users (uidmap.c).  A sixteenth and 64 more stay for the
 * daemon's own (listeners, peer links, the event loop); under 256 there is
 * too little to share and EMFILE is the only bound.
 */
static void
main_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("setrlimit(RLIMIT_NOFILE)");
			getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (rl.rlim_cur >= 256 && rl.rlim_cur != RLIM_INFINITY)
		dconf.max_fds = (uint32_t)(rl.rlim_cur > (1u << 30) ?
		    (1u << 30) : rl.rlim_cur - rl.rlim_cur / 16 - 64);
}

enum {
	OPT_ALLOW_ROOT = 256, OPT_MAX_JOBS, OPT_MAX_RANKS, OPT_MAX_CONNS,
	OPT_MAX_CONNS_UID, OPT_MAX_JOBS_UID, OPT_MAX_PENDING, OPT_HANDSHAKE,
	OPT_LISTEN_TCP, OPT_PEER_TIMEOUT, OPT_PEER_IDLE, OPT_MAX_PEERS,
	OPT_NODE_NAME, OPT_MAX_MEMORY, OPT_MAX_FAILED_UID, OPT_CTL_RATE,
	OPT_PEER_HANG, OPT_SCHED,
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "allow-root", no_argument, NULL, OPT_ALLOW_ROOT },
		{ "max-jobs", required_argument, NULL, OPT_MAX_JOBS },
		{ "max-ranks", required_argument, NULL, OPT_MAX_RANKS },
		{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
		{ "max-conns-per-uid", required_argument, NULL,
		    OPT_MAX_CONNS_UID },
		{ "max-jobs-per-uid", required_argument, NULL,
		    OPT_MAX_JOBS_UID },
		{ "max-pending", required_argument, NULL, OPT_MAX_PENDING },
		{ "handshake-ms", required_argument, NULL, OPT_HANDSHAKE },
		{ "listen-tcp", required_argument, NULL, OPT_LISTEN_TCP },
		{ "peer-timeout", required_argument, NULL, OPT_PEER_TIMEOUT },
		{ "peer-hang-timeout", required_argument, NULL,
		    OPT_PEER_HANG },
		{ "peer-idle", required_argument, NULL, OPT_PEER_IDLE },
		{ "max-peers", required_argument, NULL, OPT_MAX_PEERS },
		{ "node-name", required_argument, NULL, OPT_NODE_NAME },
		{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
		{ "max-failed-per-uid", required_argument, NULL,
		    OPT_MAX_FAILED_UID },
		{ "ctl-rate", required_argument, NULL, OPT_CTL_RATE },
		{ "sched-policy", required_argument, NULL, OPT_SCHED },
		{ NULL, 0, NULL, 0 },
	};
	struct event *ev_term, *ev_int, *ev_hup;
	const char *env;
	int ch;

	if ((env = getenv("FASTBOOT_SOCKET")) != NULL && *env != '\0')
		dconf.socket_path = env;
	while ((ch = getopt_long(argc, argv, "s:m:vVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			dconf.socket_path = optarg;
			break;
		case 'm':
			dconf.socket_mode = (mode_t)parse_num("--socket-mode",
			    optarg, 0, 0777, 8);
			break;
		case 'v':
			dconf.verbose++;
			break;
		case 'V':
			printf("fastbootd %s (protocol %d)\n", PACKAGE_VERSION,
			    WIRE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_ALLOW_ROOT:
			dconf.allow_root = 1;
			break;
		case OPT_MAX_JOBS:
			dconf.max_jobs = (uint32_t)parse_num("--max-jobs",
			    optarg, 1, 1u << 20, 10);
			break;
		case OPT_MAX_RANKS:
			dconf.max_ranks = (uint32_t)parse_num("--max-ranks",
			    optarg, 1, FB_MAX_NRANKS, 10);
			break;
		case OPT_MAX_CONNS:
			dconf.max_conns = (uint32_t)parse_num("--max-conns",
			    optarg, 1, 1u << 22, 10);
			break;
		case OPT_MAX_CONNS_UID:
			dconf.max_conns_per_uid = (uint32_t)parse_num(
			    "--max-conns-per-uid", optarg, 1, 1u << 22, 10);
			break;
		case OPT_MAX_JOBS_UID:
			dconf.max_jobs_per_uid = (uint32_t)parse_num(
			    "--max-jobs-per-uid", optarg, 1, 1u << 20, 10);
			break;
		case OPT_MAX_PENDING:
			/* At least one frame's message: larger ones come
			 * in parts of 1 MiB. */
			dconf.max_pending = parse_num("--max-pending", optarg,
			    WIRE_PAYLOAD_MAX - WIRE_MSG_HDR_LEN, 1ull << 40,
			    10);
			break;
		case OPT_HANDSHAKE:
			dconf.handshake_ms = (int)parse_num("--handshake-ms",
			    optarg, 1, 3600000, 10);
			break;
		case OPT_LISTEN_TCP:
			if (tcp_add_spec(optarg) == -1) {
				fprintf(stderr, "fastbootd: too many "
				    "--listen-tcp\n");
				return 2;
			}
			break;
		case OPT_PEER_TIMEOUT:
			dconf.peer_timeout_ms = (int)parse_num(
			    "--peer-timeout", optarg, 100, 3600000, 10);
			break;
		case OPT_PEER_HANG:
			dconf.peer_hang_ms = (int)parse_num(
			    "--peer-hang-timeout", optarg, 100, 3600000, 10);
			break;
		case OPT_PEER_IDLE:
			dconf.peer_idle_s = (int)parse_num("--peer-idle",
			    optarg, 1, 86400 * 7, 10);
			break;
		case OPT_MAX_PEERS:
			dconf.max_peers = (uint32_t)parse_num("--max-peers",
			    optarg, 1, 1u << 20, 10);
			break;
		case OPT_MAX_MEMORY:
			dconf.max_memory = parse_num("--max-memory", optarg,
			    16u << 20, 1ull << 44, 10);
			break;
		case OPT_MAX_FAILED_UID:
			dconf.max_lingering_per_uid = (uint32_t)parse_num(
			    "--max-failed-per-uid", optarg, 0, 1u << 20, 10);
			break;
		case OPT_CTL_RATE:
			dconf.ctl_rate = (uint32_t)parse_num("--ctl-rate",
			    optarg, 0, 1000000, 10);
			break;
		case OPT_SCHED:
			if (strcmp(optarg, "batch") == 0)
				dconf.sched_batch = 1;
			else if (strcmp(optarg, "other") == 0)
				dconf.sched_batch = 0;
			else {
				fprintf(stderr, "fastbootd: --sched-policy: "
				    "\"%s\" is neither batch nor other\n",
				    optarg);
				return 2;
			}
			break;
		case OPT_NODE_NAME:
			if (*optarg == '\0' ||
			    strlen(optarg) >= WPEER_HOST_LEN) {
				fprintf(stderr, "fastbootd: --node-name: 1 to "
				    "%d characters\n", WPEER_HOST_LEN - 1);
				return 2;
			}
			dconf.node_name = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (dconf.peer_hang_ms == 0)
		dconf.peer_hang_ms = dconf.peer_timeout_ms > 3600000 / 4 ?
		    3600000 : 4 * dconf.peer_timeout_ms;
	else if (dconf.peer_hang_ms < dconf.peer_timeout_ms) {
		fprintf(stderr, "fastbootd: --peer-hang-timeout %d is shorter "
		    "than --peer-timeout %d\n", dconf.peer_hang_ms,
		    dconf.peer_timeout_ms);
		return 2;
	}

	log_init(dconf.verbose, -1);
	event_set_log_callback(main_event_log);
	event_set_fatal_callback(main_event_fatal);
	signal(SIGPIPE, SIG_IGN);
	main_raise_nofile();
	main_sched();
	dstats.started_ns = clock_mono_ns();

	if ((dbase = event_base_new()) == NULL)
		fatalx("event_base_new failed");

	if (fed_init() == -1)
		fatalx("libsodium failed to initialise");
	if (listener_open(conn_accept) == -1 || tcp_open(peer_accept) == -1)
		return 1;
	ev_term = evsignal_new(dbase, SIGTERM, main_signal_cb, NULL);
	ev_int = evsignal_new(dbase, SIGINT, main_signal_cb, NULL);
	ev_hup = evsignal_new(dbase, SIGHUP, main_hup_cb, NULL);
	if (ev_term == NULL || ev_int == NULL || ev_hup == NULL)
		fatalx("evsignal_new failed");
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	event_add(ev_hup, NULL);
	notify_init(job_status_text);
	table_spare_fill(TABLE_SPARE_NRANKS);
	log_info("fastbootd %s ready (pid %ld, %s backend)", PACKAGE_VERSION,
	    (long)getpid(), event_base_get_method(dbase));
	notify_ready();

	if (event_base_dispatch(dbase) == -1)
		fatalx("event loop failed");

	/*
	 * Freeing the signal events puts back the handlers from before them
	 * (SIG_DFL): a second SIGTERM during the shutdown would then kill us
	 * instead of letting us finish and exit 0.  A stop is under way, so
	 * further ones are ignored from here on.
	 */
	main_ignore_stop_signals();
	notify_stopping();
	listener_close();
	tcp_close();
	table_spare_free();	/* before the jobs go, so they make none */
	conn_close_all();
	peer_close_all();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	main_ignore_stop_signals();
	event_base_free(dbase);
	log_info("stopped");
	return 0;
}
