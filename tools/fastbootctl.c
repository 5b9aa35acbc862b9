/*
 * fastbootctl.c - ask the node's fastbootd what it is doing: its status, and
 * the jobs it serves with the ranks they still wait for.  Speaks the wire
 * protocol as a control client (HELLO role CTL, then CTL_STATUS or CTL_JOBS)
 * and renders the daemon's "key value" reply as text or JSON.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wire/clock.h"
#include "fastboot/fastboot.h"
#include "wire/wire.h"
#include "wire/reader.h"

#define FASTBOOTCTL_TIMEOUT_MS	10000
#define FASTBOOTCTL_MAX_KV	64	/* keys per block we keep */

struct kv {
	const char *key;
	const char *value;
};

/* One block of the reply: the status, or one job. */
struct block {
	struct kv kv[FASTBOOTCTL_MAX_KV];
	int n;
};

static const char *fastbootctl_socket;
static int fastbootctl_timeout_ms = FASTBOOTCTL_TIMEOUT_MS;

static void
fastbootctl_usage(FILE *f)
{
	fprintf(f,
"usage: fastbootctl [-s PATH] [-t MS] [--json] status|jobs|peers\n"
"\n"
"  status          daemon version, uptime, jobs, ranks, collectives served,\n"
"                  peer links and discovery counters\n"
"  jobs            each job: owner, ranks registered, pending collective\n"
"                  and the ranks it still waits for; for a job across\n"
"                  nodes its nodes and which are missing\n"
"  peers           the warm TCP links to other nodes' daemons\n"
"\n"
"  -s, --socket PATH   fastbootd's socket (default: $FASTBOOT_SOCKET,\n"
"                      else " FB_DEFAULT_SOCKET ")\n"
"  -t, --timeout MS    give up after MS milliseconds (default %d)\n"
"  -j, --json          print JSON for scripts\n"
"  -V, --version       print the version and exit\n"
"  -h, --help          print this help and exit\n",
	    FASTBOOTCTL_TIMEOUT_MS);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fastbootctl_die(const char *fmt, ...)
{
	va_list ap;

	fputs("fastbootctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
fastbootctl_now_ms(void)
{
	return (double)clock_mono_ns() / 1e6;
}

/* Wait for fd to be ready for events, within the deadline. */
static void
fastbootctl_wait(int fd, short events, double deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int left, rc;

	for (;;) {
		left = (int)(deadline - fastbootctl_now_ms());
		if (left <= 0)
			fastbootctl_die("no answer from fastbootd on %s "
			    "within %d ms", fastbootctl_socket,
			    fastbootctl_timeout_ms);
		rc = poll(&pfd, 1, left);
		if (rc > 0)
			return;
		if (rc == -1 && errno != EINTR)
			fastbootctl_die("poll: %s", strerror(errno));
	}
}

static void
fastbootctl_write_all(int fd, const uint8_t *p, size_t len, double deadline)
{
	ssize_t n;

	while (len > 0) {
		fastbootctl_wait(fd, POLLOUT, deadline);
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fastbootctl_die("sending to fastbootd on %s: %s",
			    fastbootctl_socket, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

/* The reply's first whole frame, read through the wire reader. */
static void
fastbootctl_read_frame(int fd, struct wire_reader *r, struct wire_frame *f,
    double deadline)
{
	size_t need, room;
	ssize_t n;
	int rc;

	while ((rc = wire_reader_next(r, f, &need)) == WIRE_NEED_MORE) {
		fastbootctl_wait(fd, POLLIN, deadline);
		n = wire_recvmsg(fd, r, &room);
		if (n == 0)
			fastbootctl_die("fastbootd on %s closed the connection",
			    fastbootctl_socket);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fastbootctl_die("reading from fastbootd on %s: %s",
			    fastbootctl_socket, strerror(errno));
		}
	}
	if (rc != WIRE_OK)
		fastbootctl_die("bad reply from %s: %s", fastbootctl_socket,
		    wire_status_name(rc));
}

static int
fastbootctl_connect(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(fastbootctl_socket) >= sizeof sun.sun_path)
		fastbootctl_die("socket path too long: %s", fastbootctl_socket);
	strcpy(sun.sun_path, fastbootctl_socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fastbootctl_die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ECONNREFUSED:
		fastbootctl_die("fastbootd is not running: nothing listens on "
		    "%s (%s; try: systemctl start fastbootd.socket)",
		    fastbootctl_socket, strerror(errno));
	case EACCES:
		fastbootctl_die("not allowed to use %s: %s",
		    fastbootctl_socket, strerror(errno));
	default:
		fastbootctl_die("connect %s: %s", fastbootctl_socket,
		    strerror(errno));
	}
}

/* Send HELLO and the request; return the reply payload, NUL-terminated. */
static char *
fastbootctl_request(uint16_t type, size_t *lenp)
{
	uint8_t out[WIRE_HDR_LEN + WIRE_HELLO_LEN + WIRE_HDR_LEN];
	struct wire_reader r;
	struct wire_frame f;
	struct wire_hello hello = { WIRE_VERSION_MIN, WIRE_VERSION_MAX,
	    WIRE_ROLE_CTL, 0 };
	struct wire_status_msg st;
	struct wire_hdr h;
	double deadline;
	size_t n;
	char *p;
	int fd;

	fd = fastbootctl_connect();
	deadline = fastbootctl_now_ms() + fastbootctl_timeout_ms;
	n = wire_encode_hello(out, &hello);
	n += wire_encode_empty(out + n, type, 0);
	fastbootctl_write_all(fd, out, n, deadline);

	wire_reader_init(&r, WIRE_FROM_DAEMON, 4096, 4096);
	fastbootctl_read_frame(fd, &r, &f, deadline);
	close(fd);
	h = f.hdr;
	if ((p = malloc((size_t)h.length + 1)) == NULL)
		fastbootctl_die("out of memory");
	memcpy(p, f.payload, h.length);
	wire_reader_free(&r);
	p[h.length] = '\0';
	if (h.type == WIRE_ERROR) {
		if (wire_decode_status((uint8_t *)p, h.length, &st) != WIRE_OK)
			fastbootctl_die("fastbootd refused the request");
		fastbootctl_die("fastbootd refused the request: %.*s "
		    "(error %d)", (int)st.text_len, st.text, (int)st.code);
	}
	if (h.type != WIRE_CTL_REPLY)
		fastbootctl_die("unexpected %s reply from fastbootd",
		    wire_type_name(h.type));
	if (memchr(p, '\0', h.length) != NULL)
		fastbootctl_die("malformed reply from fastbootd (NUL byte)");
	*lenp = h.length;
	return p;
}

/* Split the next "key value" line off *sp; 0 at the end. */
static int
fastbootctl_next_line(char **sp, struct kv *kv)
{
	char *s = *sp, *nl, *sep;

	while (*s == '\n')
		s++;
	if (*s == '\0')
		return 0;
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		*sp = nl + 1;
	} else
		*sp = s + strlen(s);
	if ((sep = strchr(s, ' ')) != NULL) {
		*sep = '\0';
		kv->value = sep + 1;
	} else
		kv->value = "";
	kv->key = s;
	return 1;
}

static void
fastbootctl_add(struct block *b, const struct kv *kv)
{
	if (b->n < FASTBOOTCTL_MAX_KV)
		b->kv[b->n++] = *kv;
}

static const char *
fastbootctl_get(const struct block *b, const char *key)
{
	int i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->kv[i].key, key) == 0)
			return b->kv[i].value;
	return NULL;
}

static const char *
fastbootctl_get_or(const struct block *b, const char *key, const char *def)
{
	const char *v = fastbootctl_get(b, key);

	return v != NULL ? v : def;
}

static unsigned long long
fastbootctl_num(const struct block *b, const char *key)
{
	const char *v = fastbootctl_get(b, key);

	return v != NULL ? strtoull(v, NULL, 10) : 0;
}

static int
fastbootctl_is_number(const char *s)
{
	if (*s == '\0' || (*s == '0' && s[1] != '\0'))
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* A duration for people: 850ms, 12.3s, 4m05s, 2h03m, 3d04h. */
static const char *
fastbootctl_duration(unsigned long long ms, char *buf, size_t size)
{
	unsigned long long s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, size, "%llums", ms);
	else if (ms < 60000)
		snprintf(buf, size, "%.1fs", ms / 1e3);
	else if (s < 3600)
		snprintf(buf, size, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lluh%02llum", s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%llud%02lluh", s / 86400, s / 3600 % 24);
	return buf;
}

/* How many ranks a list such as "0-3,7" names; -1 if truncated. */
static long
fastbootctl_count_ranks(const char *s)
{
	unsigned long a, b;
	long n = 0;
	char *end;

	while (*s != '\0') {
		if (strncmp(s, "...", 3) == 0)
			return -1;
		a = strtoul(s, &end, 10);
		if (end == s)
			return -1;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || b < a)
				return -1;
		}
		n += (long)(b - a + 1);
		s = end;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return -1;
	}
	return n;
}

static void
fastbootctl_json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Rank lists also as arrays when whole: "missing_ranks": [2, 5]. */
static void
fastbootctl_json_ranks(const char *s)
{
	unsigned long a, b, r;
	const char *sep = "";
	char *end;

	putchar('[');
	while (*s != '\0') {
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		for (r = a; r <= b; r++) {
			printf("%s%lu", sep, r);
			sep = ", ";
		}
		s = *end == ',' ? end + 1 : end;
	}
	putchar(']');
}

static void
fastbootctl_json_block(const struct block *b, const char *indent)
{
	const struct kv *kv;
	int i, ranks;

	printf("{");
	for (i = 0; i < b->n; i++) {
		kv = &b->kv[i];
		printf("%s\n%s  ", i ? "," : "", indent);
		fastbootctl_json_string(kv->key);
		printf(": ");
		ranks = strcmp(kv->key, "registered") == 0 ||
		    strcmp(kv->key, "missing") == 0;
		/* Rank lists stay strings, even when they name one rank. */
		if (!ranks && fastbootctl_is_number(kv->value))
			printf("%s", kv->value);
		else
			fastbootctl_json_string(kv->value);
		if (ranks && fastbootctl_count_ranks(kv->value) >= 0) {
			printf(",\n%s  \"%s_ranks\": ", indent, kv->key);
			fastbootctl_json_ranks(kv->value);
		}
	}
	printf("\n%s}", indent);
}

static void
fastbootctl_status(char *reply, int json)
{
	struct block b = { .n = 0 };
	struct kv kv;
	char up[32];
	const char *activated;

	while (fastbootctl_next_line(&reply, &kv))
		fastbootctl_add(&b, &kv);
	if (json) {
		fastbootctl_json_block(&b, "");
		putchar('\n');
		return;
	}
	activated = fastbootctl_get(&b, "activated");
	printf("fastbootd %s (protocol %s), pid %s\n",
	    fastbootctl_get_or(&b, "version", "?"),
	    fastbootctl_get_or(&b, "protocol", "?"),
	    fastbootctl_get_or(&b, "pid", "?"));
	printf("  socket:       %s%s\n", fastbootctl_get_or(&b, "socket", "?"),
	    activated != NULL && strcmp(activated, "1") == 0 ?
	    " (from systemd)" : "");
	printf("  uptime:       %s\n", fastbootctl_duration(
	    fastbootctl_num(&b, "uptime_ms"), up, sizeof up));
	printf("  jobs:         %llu now, %llu created, %llu failed\n",
	    fastbootctl_num(&b, "jobs"), fastbootctl_num(&b, "jobs_created"),
	    fastbootctl_num(&b, "jobs_failed"));
	printf("  ranks:        %llu\n", fastbootctl_num(&b, "ranks"));
	printf("  collectives:  %llu served\n",
	    fastbootctl_num(&b, "collectives"));
	printf("  messages:     %llu\n", fastbootctl_num(&b, "messages"));
	if (strcmp(fastbootctl_get_or(&b, "scope", "all"), "all") == 0) {
		printf("  connections:  %llu now, %llu accepted, %llu "
		    "dropped\n", fastbootctl_num(&b, "connections"),
		    fastbootctl_num(&b, "connections_accepted"),
		    fastbootctl_num(&b, "connections_dropped"));
		printf("  held:         %llu descriptors of %llu, %llu bytes "
		    "buffered (peak %llu) of %llu, %llu failed jobs kept\n",
		    fastbootctl_num(&b, "descriptors"),
		    fastbootctl_num(&b, "max_descriptors"),
		    fastbootctl_num(&b, "buffered_bytes"),
		    fastbootctl_num(&b, "buffered_peak_bytes"),
		    fastbootctl_num(&b, "max_memory"),
		    fastbootctl_num(&b, "failed_jobs_kept"));
	} else {
		printf("  connections:  %llu now\n",
		    fastbootctl_num(&b, "connections"));
		printf("  held:         %llu descriptors, %llu bytes buffered, "
		    "%llu failed jobs kept\n", fastbootctl_num(&b,
		    "descriptors"), fastbootctl_num(&b, "buffered_bytes"),
		    fastbootctl_num(&b, "failed_jobs_kept"));
		printf("  (counters of %s only; root sees the daemon's)\n",
		    fastbootctl_get_or(&b, "scope", "?"));
	}
	if (strcmp(fastbootctl_get_or(&b, "tcp", "no"), "yes") == 0) {
		printf("  node:         %s\n", fastbootctl_get_or(&b,
		    "node_name", "?"));
		printf("  peer links:   %llu up, %llu connects in all, %llu "
		    "handed over\n", fastbootctl_num(&b, "peer_links"),
		    fastbootctl_num(&b, "peer_connects"),
		    fastbootctl_num(&b, "peer_handovers"));
		if (strcmp(fastbootctl_get_or(&b, "scope", "?"), "all") == 0)
			printf("  multi-node:   %llu discovery rounds, %llu "
			    "jobs mapped by PMIx\n", fastbootctl_num(&b,
			    "discovery_rounds"), fastbootctl_num(&b,
			    "pmix_jobs"));
	} else
		printf("  peer links:   none (no --listen-tcp)\n");
}

static void
fastbootctl_job_text(const struct block *b)
{
	const char *registered, *pending, *missing, *error, *seq;
	unsigned long long nranks = fastbootctl_num(b, "nranks");
	char age[32], waiting[32];
	long nreg, nmiss;

	registered = fastbootctl_get_or(b, "registered", "");
	nreg = fastbootctl_count_ranks(registered);
	printf("job %s: uid %s, %llu ranks, %s, age %s\n",
	    fastbootctl_get_or(b, "job", "?"),
	    fastbootctl_get_or(b, "uid", "?"), nranks,
	    fastbootctl_get_or(b, "state", "?"),
	    fastbootctl_duration(fastbootctl_num(b, "age_ms"), age,
	    sizeof age));
	if (nreg >= 0)
		printf("  registered:  %ld of %llu%s%s\n", nreg, nranks,
		    *registered != '\0' ? ": " : "", registered);
	else
		printf("  registered:  %s\n", registered);
	printf("  collectives: %s completed\n",
	    fastbootctl_get_or(b, "collectives", "0"));
	if ((pending = fastbootctl_get(b, "pending")) != NULL) {
		missing = fastbootctl_get_or(b, "missing", "");
		nmiss = fastbootctl_count_ranks(missing);
		seq = fastbootctl_get(b, "pending_seq");
		printf("  pending:     %s", pending);
		if (seq != NULL && strcmp(seq, "0") != 0)
			printf(" #%s", seq);
		printf(", waiting %s for ", fastbootctl_duration(
		    fastbootctl_num(b, "waiting_ms"), waiting, sizeof waiting));
		if (nmiss == 1)
			printf("rank %s\n", missing);
		else if (nmiss > 1)
			printf("%ld ranks: %s\n", nmiss, missing);
		else if (nmiss == 0)
			printf("no rank (completing)\n");
		else
			printf("ranks %s\n", missing);
	}
	if ((error = fastbootctl_get(b, "error")) != NULL)
		printf("  error:       %s\n", error);
	if (fastbootctl_get(b, "nodes") != NULL) {
		printf("  nodes:       %s (this is node %s, map by %s): %s\n",
		    fastbootctl_get_or(b, "nodes", "?"),
		    fastbootctl_get_or(b, "node", "?"),
		    fastbootctl_get_or(b, "discovery", "?"),
		    fastbootctl_get_or(b, "node_list", ""));
		printf("  missing:     %s\n", fastbootctl_get_or(b,
		    "missing_nodes", "none"));
	}
}

static void
fastbootctl_peers(char *reply, int json)
{
	struct block b = { .n = 0 };
	struct kv kv;
	int n = 0, inside = 0;

	if (json)
		printf("{\n  \"peers\": [");
	while (fastbootctl_next_line(&reply, &kv)) {
		if (strcmp(kv.key, "peer") == 0) {
			b.n = 0;
			inside = 1;
		}
		if (!inside)
			continue;
		if (strcmp(kv.key, "end") != 0) {
			fastbootctl_add(&b, &kv);
			continue;
		}
		inside = 0;
		if (json) {
			printf("%s\n    ", n ? "," : "");
			fastbootctl_json_block(&b, "    ");
		} else
			printf("%s %s: %s %s%s%s, %s jobs, %s connects, "
			    "idle %s s, up %s s\n", fastbootctl_get_or(&b,
			    "peer", "?"), fastbootctl_get_or(&b, "host", "?"),
			    fastbootctl_get_or(&b, "state", "?"),
			    fastbootctl_get_or(&b, "direction", "?"),
			    strcmp(fastbootctl_get_or(&b, "preferred", "0"),
			    "1") == 0 ? " (sending)" : "",
			    strcmp(fastbootctl_get_or(&b, "retired", "no"),
			    "no") != 0 ? " (handed over)" : "",
			    fastbootctl_get_or(&b, "jobs", "0"),
			    fastbootctl_get_or(&b, "connects", "0"),
			    fastbootctl_get_or(&b, "idle_s", "?"),
			    fastbootctl_get_or(&b, "age_s", "?"));
		n++;
	}
	if (json) {
		printf("%s]\n}\n", n ? "\n  " : "");
		return;
	}
	if (n == 0)
		printf("no peer links\n");
}

static void
fastbootctl_jobs(char *reply, int json)
{
	struct block b = { .n = 0 };
	struct kv kv;
	int njobs = 0, truncated = 0, inside = 0;

	if (json)
		printf("{\n  \"jobs\": [");
	while (fastbootctl_next_line(&reply, &kv)) {
		if (strcmp(kv.key, "truncated") == 0) {
			truncated = 1;
			continue;
		}
		if (strcmp(kv.key, "job") == 0) {
			b.n = 0;
			inside = 1;
		}
		if (!inside)
			continue;	/* a key we do not know, outside jobs */
		if (strcmp(kv.key, "end") != 0) {
			fastbootctl_add(&b, &kv);
			continue;
		}
		inside = 0;
		if (json) {
			printf("%s\n    ", njobs ? "," : "");
			fastbootctl_json_block(&b, "    ");
		} else {
			if (njobs > 0)
				putchar('\n');
			fastbootctl_job_text(&b);
		}
		njobs++;
	}
	if (json) {
		printf("%s],\n  \"truncated\": %s\n}\n", njobs ? "\n  " : "",
		    truncated ? "true" : "false");
		return;
	}
	if (njobs == 0)
		printf("no jobs%s\n", getuid() != 0 ? " of yours" : "");
	if (truncated)
		printf("(list truncated by fastbootd)\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env, *cmd;
	unsigned long v;
	char *reply, *end;
	size_t len;
	int ch, json = 0;

	fastbootctl_socket = FB_DEFAULT_SOCKET;
	if ((env = getenv("FASTBOOT_SOCKET")) != NULL && *env != '\0')
		fastbootctl_socket = env;
	while ((ch = getopt_long(argc, argv, "s:t:jVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			fastbootctl_socket = optarg;
			break;
		case 't':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    v < 1 || v > 3600000) {
				fprintf(stderr, "fastbootctl: --timeout: '%s' "
				    "is not a number of ms in 1..3600000\n",
				    optarg);
				return 2;
			}
			fastbootctl_timeout_ms = (int)v;
			break;
		case 'j':
			json = 1;
			break;
		case 'V':
			printf("fastbootctl %s (protocol %d)\n",
			    PACKAGE_VERSION, WIRE_VERSION);
			return 0;
		case 'h':
			fastbootctl_usage(stdout);
			return 0;
		default:
			fastbootctl_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fastbootctl_usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "status") == 0) {
		reply = fastbootctl_request(WIRE_CTL_STATUS, &len);
		fastbootctl_status(reply, json);
	} else if (strcmp(cmd, "jobs") == 0) {
		reply = fastbootctl_request(WIRE_CTL_JOBS, &len);
		fastbootctl_jobs(reply, json);
	} else if (strcmp(cmd, "peers") == 0) {
		reply = fastbootctl_request(WIRE_CTL_PEERS, &len);
		fastbootctl_peers(reply, json);
	} else {
		fprintf(stderr, "fastbootctl: unknown command '%s'\n", cmd);
		fastbootctl_usage(stderr);
		return 2;
	}
	free(reply);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "fastbootctl: writing output: %s\n",
		    strerror(errno));
		return 1;
	}
	return 0;
}
