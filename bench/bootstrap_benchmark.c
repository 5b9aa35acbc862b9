/*
 * bootstrap_benchmark.c - fastboot against mscclpp's TcpBootstrap, PMIx, MPI
 * and a floor (shared memory; across --nodes, shared memory and TCP), all
 * in one mpirun, with a report.
 *
 *	mpirun -n 8 ./bench/bootstrap_benchmark [options] [iterations]
 *
 * Every rank runs every phase; rank 0 gathers the samples (max over ranks
 * per operation, CPU time summed over ranks), writes them with their
 * statistics to results.json, and renders the report from that file with
 * bench_report (the same step that renders an old run again).
 *
 * fastboot's daemon: the one listening on --socket, $FASTBOOT_SOCKET or
 * the default socket; if none listens, rank 0 starts a private one for the
 * run and stops it at the end.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <mpi.h>

#include <fastboot/fastboot.h>

#include "wire/clock.h"
#include "bench/bench.h"
#include "bench/buildinfo.h"

int		 bench_rank;
int		 bench_nranks;
double		 bench_id_us = -1;

const size_t bench_sizes[BENCH_NSIZES] = {
	16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576
};

#define BENCH_MAX_SERIES	256
/*
 * fastboot's untimed one-node jobs before the first job of a shape.  With
 * one, 8 ranks on one node (no links at all) had a first job 1.5 to 2.4
 * times the later ones' median (three runs); with four, 0.94 and 1.31 (two
 * runs).  The first job is one sample: under load it stays noisy.
 */
#define BENCH_WARM_JOBS		4
/* Untimed bootstraps go on for at least this long (bench_bootstrap). */
#define BENCH_WARM_US		100000
#define BENCH_ERRLEN		512

/* Where fastboot's daemon comes from. */
enum bench_daemon { DAEMON_AUTO, DAEMON_START, DAEMON_NONE };

static struct {
	int		 iterations;
	double		 budget_s;	/* per headline measurement */
	int		 min_ops, max_ops;
	enum bench_daemon daemon;
	const char	*daemon_path;
	const char	*socket;
	const char	*outdir;
	const char	*report;	/* bench_report, or "" for none */
	const char	*only;		/* comma list of systems, or NULL */
	int		 sweep;
	int		 tty;
	int		 nodes;		/* --nodes M: ranks over M nodes */
} opt = { 50, 1.0, 5, 2000, DAEMON_AUTO, NULL, NULL, NULL, NULL, NULL, 1,
    0, 0 };

static struct bench_series	 series[BENCH_MAX_SERIES];
static size_t			 nseries;
static struct bench_run		 run;
static char			 outdir_buf[PATH_MAX];
static char			 why_buf[BENCH_MAX_SYSTEMS][BENCH_ERRLEN];
static char			 note_buf[BENCH_MAX_NOTES][BENCH_ERRLEN];
static char			 mpi_version[MPI_MAX_LIBRARY_VERSION_STRING];
static char			 daemon_buf[BENCH_ERRLEN];
static char			 started_buf[64];
static int			 series_full;
static char			 fastboot_unusable[BENCH_ERRLEN];

static const char *bench_beside(const char *, char *, size_t);

/* Per-system verification counters (all ranks, summed on rank 0). */
static unsigned long long	 ver_ops, ver_bytes, ver_fail;

/* An allgather's end: every rank's slice but ours from the table t
 * (bytes each) into buf. */
void
bench_copy_others(void *buf, const void *t, size_t bytes)
{
	size_t r = (size_t)bench_rank;

	memcpy(buf, t, r * bytes);
	memcpy((unsigned char *)buf + (r + 1) * bytes,
	    (const unsigned char *)t + (r + 1) * bytes,
	    ((size_t)bench_nranks - r - 1) * bytes);
}

double
bench_now_us(void)
{
	return (double)clock_mono_ns() / 1e3;
}

void
bench_progress(const char *fmt, ...)
{
	va_list ap;

	if (bench_rank != 0)
		return;
	va_start(ap, fmt);
	if (opt.tty) {
		fputs("\r\033[K", stderr);
		vfprintf(stderr, fmt, ap);
	} else {
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
	fflush(stderr);
}

static void
bench_progress_done(void)
{
	if (bench_rank == 0 && opt.tty)
		fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 2)))
bench_note(const char *fmt, ...)
{
	va_list ap;

	if (run.nnotes >= BENCH_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(note_buf[run.nnotes], BENCH_ERRLEN, fmt, ap);
	va_end(ap);
	run.notes[run.nnotes] = note_buf[run.nnotes];
	run.nnotes++;
}

/* snprintf for messages, where a cut at the buffer's end is acceptable. */
static void __attribute__((format(printf, 3, 4)))
bench_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Record what became of a system (rank 0); why is for failed and absent. */
static struct bench_sysres * __attribute__((format(printf, 3, 4)))
bench_status(const char *name, enum bench_status st, const char *fmt, ...)
{
	struct bench_sysres *r;
	va_list ap;

	if (run.nsys >= BENCH_MAX_SYSTEMS)
		return NULL;
	r = &run.sys[run.nsys];
	memset(r, 0, sizeof *r);
	r->name = name;
	r->status = st;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(why_buf[run.nsys], BENCH_ERRLEN, fmt, ap);
		va_end(ap);
		r->why = why_buf[run.nsys];
	}
	run.nsys++;
	return r;
}

static int
bench_wanted(const char *name)
{
	const char *p;
	size_t len = strlen(name);

	if (opt.only == NULL)
		return 1;
	for (p = opt.only; *p != '\0'; p += strcspn(p, ",")) {
		if (*p == ',')
			p++;
		if (strncasecmp(p, name, len) == 0 &&
		    (p[len] == ',' || p[len] == '\0'))
			return 1;
	}
	return 0;
}

/* Did any rank fail?  Every rank learns it; rank 0 learns the message. */
static int
bench_agree(int failed, char *err)
{
	int any = 0, who = failed ? bench_rank : INT_MAX, first = INT_MAX;

	MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
	if (!any)
		return 0;
	MPI_Allreduce(&who, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
	if (first != 0) {
		if (bench_rank == first)
			MPI_Send(err, BENCH_ERRLEN, MPI_CHAR, 0, 99,
			    MPI_COMM_WORLD);
		else if (bench_rank == 0)
			MPI_Recv(err, BENCH_ERRLEN, MPI_CHAR, first, 99,
			    MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	}
	if (bench_rank == 0) {
		char tmp[BENCH_ERRLEN];

		snprintf(tmp, sizeof tmp, "rank %d: %s", first, err);
		memcpy(err, tmp, BENCH_ERRLEN);
	}
	return -1;
}

/* A series for the report (rank 0), or NULL when the table is full. */
static struct bench_series *
bench_series(const char *sys, const char *metric, size_t bytes, double *v,
    size_t n)
{
	struct bench_series *s;

	if (nseries >= BENCH_MAX_SERIES) {
		if (!series_full)
			bench_note("more than %d series: %s %s %zu B and "
			    "later ones are not in this report",
			    BENCH_MAX_SERIES, sys, metric, bytes);
		series_full = 1;
		free(v);
		return NULL;
	}
	s = &series[nseries++];
	memset(s, 0, sizeof *s);
	s->system = sys;
	s->metric = metric;
	s->bytes = bytes;
	s->samples = v;
	s->n = n;
	s->cpu_per_op_us = -1;
	s->server_cpu_per_op_us = -1;
	stats_compute(v, n, &s->st);
	return s;
}

/* Pattern byte j of the slice that rank r contributes to op k. */
static inline unsigned char
bench_pat(int r, unsigned long k, size_t j)
{
	return (unsigned char)(r * 37 + k * 11 + j * 3 + 1);
}

static void
bench_fill(unsigned char *p, int r, unsigned long k, size_t bytes)
{
	size_t j;

	for (j = 0; j < bytes; j++)
		p[j] = bench_pat(r, k, j);
}

static int
bench_check(const unsigned char *p, int r, unsigned long k, size_t bytes)
{
	size_t j;

	ver_ops++;
	ver_bytes += bytes;
	for (j = 0; j < bytes; j++)
		if (p[j] != bench_pat(r, k, j)) {
			ver_fail++;
			return -1;
		}
	return 0;
}

enum bench_op { OP_BARRIER, OP_ALLGATHER, OP_ALLTOALL, OP_PINGPONG,
	OP_EXCHANGE };

struct bench_ctx {
	const struct bench_sys	*sys;
	void			*h;
	unsigned char		*buf, *sbuf, *rbuf;
	unsigned long		 seq;
	char			 err[BENCH_ERRLEN];
};

/* One operation, timed; preparation and verification are not. */
/*
 * Endpoint exchange, shaped like mscclpp's Communicator setup: every rank
 * sends every other rank a 64-byte and a 1 KiB message (distinct tags),
 * receives all of them, then a barrier.  Message (r -> p) carries pattern
 * (r * n + p).
 */
static int
bench_exchange_one(struct bench_ctx *c, unsigned long k, double *us)
{
	size_t n = (size_t)bench_nranks;
	double t0;
	int p, rc;

	for (p = 0; p < bench_nranks; p++)
		bench_fill(c->sbuf + (size_t)p * BENCH_EXCH_BYTES,
		    bench_rank * bench_nranks + p, k, BENCH_EXCH_BYTES);
	memset(c->rbuf, 0xee, n * BENCH_EXCH_BYTES);
	t0 = bench_now_us();
	rc = c->sys->exchange(c->h, c->sbuf, c->rbuf, c->err, sizeof c->err);
	*us = bench_now_us() - t0;
	for (p = 0; rc == 0 && p < bench_nranks; p++)
		if (p != bench_rank && bench_check(c->rbuf +
		    (size_t)p * BENCH_EXCH_BYTES, p * bench_nranks + bench_rank,
		    k, BENCH_EXCH_BYTES) != 0) {
			snprintf(c->err, sizeof c->err, "endpoint exchange: "
			    "the messages from rank %d differ", p);
			rc = -1;
		}
	return rc;
}

static int
bench_one(struct bench_ctx *c, enum bench_op op, size_t bytes, double *us)
{
	size_t n = (size_t)bench_nranks;
	unsigned long k = c->seq++;
	double t0;
	int p, rc = 0, peer = bench_rank ^ 1;

	switch (op) {
	case OP_BARRIER:
		t0 = bench_now_us();
		rc = c->sys->barrier(c->h, c->err, sizeof c->err);
		*us = bench_now_us() - t0;
		break;
	case OP_ALLGATHER:
		memset(c->buf, 0xee, n * bytes);
		bench_fill(c->buf + (size_t)bench_rank * bytes, bench_rank, k,
		    bytes);
		t0 = bench_now_us();
		rc = c->sys->allgather(c->h, c->buf, bytes, c->err,
		    sizeof c->err);
		*us = bench_now_us() - t0;
		for (p = 0; rc == 0 && p < bench_nranks; p++)
			if (bench_check(c->buf + (size_t)p * bytes, p, k,
			    bytes) != 0) {
				snprintf(c->err, sizeof c->err, "allgather "
				    "of %zu B: slice of rank %d differs", bytes,
				    p);
				rc = -1;
			}
		break;
	case OP_ALLTOALL:
		/* Cell (r -> p) carries pattern (r * n + p). */
		for (p = 0; p < bench_nranks; p++)
			bench_fill(c->sbuf + (size_t)p * bytes,
			    bench_rank * bench_nranks + p, k, bytes);
		memset(c->rbuf, 0xee, n * bytes);
		t0 = bench_now_us();
		rc = c->sys->alltoall(c->h, c->sbuf, c->rbuf, bytes, c->err,
		    sizeof c->err);
		*us = bench_now_us() - t0;
		for (p = 0; rc == 0 && p < bench_nranks; p++)
			if (bench_check(c->rbuf + (size_t)p * bytes,
			    p * bench_nranks + bench_rank, k, bytes) != 0) {
				snprintf(c->err, sizeof c->err, "alltoall of "
				    "%zu B: cell from rank %d differs", bytes,
				    p);
				rc = -1;
			}
		break;
	case OP_PINGPONG:
		*us = 0;
		if (peer >= bench_nranks)
			break;
		/* The even rank's message comes back unchanged. */
		bench_fill(c->buf, bench_rank & ~1, k, bytes);
		t0 = bench_now_us();
		rc = c->sys->pingpong(c->h, c->buf, bytes, peer, c->err,
		    sizeof c->err);
		*us = bench_now_us() - t0;
		if (rc == 0 && bench_check(c->buf, bench_rank & ~1, k,
		    bytes) != 0) {
			snprintf(c->err, sizeof c->err, "send/recv of %zu B: "
			    "data differs", bytes);
			rc = -1;
		}
		break;
	case OP_EXCHANGE:
		rc = bench_exchange_one(c, k, us);
		break;
	}
	return rc;
}

static const char *
bench_opname(enum bench_op op)
{
	switch (op) {
	case OP_BARRIER:
		return "barrier";
	case OP_ALLGATHER:
		return "allgather";
	case OP_ALLTOALL:
		return "alltoall";
	case OP_PINGPONG:
		return "sendrecv";
	case OP_EXCHANGE:
		return "exchange";
	}
	return "?";
}

/*
 * Measure one operation: three warm-up ops, then as many timed ops as fit
 * the time budget (clamped to [min_ops, max_ops]), the same count on every
 * rank.  The estimate is the fastest warm-up op: fastboot's collectives
 * alternate between the table's two halves, so the first two touch each
 * half's pages for this size for the first time (at 1 MiB per rank, over
 * 66 ms each against 14 ms warm on the project's VM), and counting them
 * left 5 timed ops where 23 fit the budget.
 */
static int
bench_measure(struct bench_ctx *c, enum bench_op op, size_t bytes,
    double budget_s)
{
	double est = 0, one, *d = NULL, *mx = NULL, cpu0, cpu, cpusum = 0;
	double srv0 = -1, srv1 = -1;
	pid_t srv = 0;
	int i, nops, failed = 0;
	struct bench_series *s;

	for (i = 0; i < 3 && !failed; i++) {
		failed = bench_one(c, op, bytes, &one) != 0;
		if (i == 0 || one < est)
			est = one;
	}
	if (bench_agree(failed, c->err) != 0)
		return -1;
	MPI_Allreduce(MPI_IN_PLACE, &est, 1, MPI_DOUBLE, MPI_MAX,
	    MPI_COMM_WORLD);
	nops = est > 0 ? (int)(budget_s * 1e6 / est) : opt.max_ops;
	if (nops < opt.min_ops)
		nops = opt.min_ops;
	if (nops > opt.max_ops)
		nops = opt.max_ops;
	if (op == OP_ALLGATHER && c->sys->max_allgather_ops > 0 &&
	    nops > c->sys->max_allgather_ops) {
		nops = c->sys->max_allgather_ops;
		if (nops < opt.min_ops)
			nops = opt.min_ops;
	}
	d = calloc((size_t)nops, sizeof *d);
	mx = calloc((size_t)nops, sizeof *mx);
	if (d == NULL || mx == NULL) {
		free(d);
		free(mx);
		snprintf(c->err, sizeof c->err, "out of memory");
		return -1;
	}
	bench_progress("[%s] %s %zu B: %d ops (budget %.2f s)", c->sys->name,
	    bench_opname(op), bytes, nops, budget_s);
	if (bench_rank == 0 && c->sys->server_pid != NULL)
		srv = c->sys->server_pid(c->h);
	MPI_Barrier(MPI_COMM_WORLD);
	if (srv > 0)
		srv0 = cpu_pid_us(srv);
	cpu0 = cpu_self_us();
	for (i = 0; i < nops && !failed; i++)
		failed = bench_one(c, op, bytes, &d[i]) != 0;
	cpu = cpu_self_us() - cpu0;
	if (srv > 0)
		srv1 = cpu_pid_us(srv);
	if (bench_agree(failed, c->err) != 0) {
		free(d);
		free(mx);
		return -1;
	}
	MPI_Reduce(d, mx, nops, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
	MPI_Reduce(&cpu, &cpusum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
	free(d);
	if (bench_rank != 0) {
		free(mx);
		return 0;
	}
	s = bench_series(c->sys->name, bench_opname(op), bytes, mx,
	    (size_t)nops);
	if (s != NULL) {
		s->cpu_per_op_us = cpusum / nops;
		if (srv0 >= 0 && srv1 >= 0)
			s->server_cpu_per_op_us = (srv1 - srv0) / nops;
		bench_progress("[%s] %s %zu B: median %.1f us over %d ops, "
		    "CPU %.1f us/op", c->sys->name, bench_opname(op), bytes,
		    s->st.median, nops, s->cpu_per_op_us);
		bench_progress_done();
	}
	return 0;
}

/*
 * fastboot's bootstrap phases, one iteration: by when had every rank ended
 * each phase, in us from the first rank's start (the last phase is the
 * bootstrap sample itself).  Rank 0 keeps them in v[phase][it].
 */
static void
bench_boot_phases(double t0, int it, int iters, double **v)
{
	double tmin, rel[SYS_FASTBOOT_NPHASES], mx[SYS_FASTBOOT_NPHASES];
	int p;

	MPI_Allreduce(&t0, &tmin, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
	for (p = 0; p < SYS_FASTBOOT_NPHASES; p++)
		rel[p] = sys_fastboot_phase_us[p] < 0 ? -1 :
		    sys_fastboot_phase_us[p] - tmin;
	MPI_Reduce(rel, mx, SYS_FASTBOOT_NPHASES, MPI_DOUBLE, MPI_MAX, 0,
	    MPI_COMM_WORLD);
	if (bench_rank != 0)
		return;
	for (p = 0; p < SYS_FASTBOOT_NPHASES; p++) {
		if (v[p] == NULL &&
		    (v[p] = calloc((size_t)iters, sizeof *v[p])) == NULL)
			continue;
		v[p][it] = mx[p];
	}
}

/* The phases as series "bootstrap:PHASE" (rank 0); frees what it does not
 * keep. */
static void
bench_boot_phase_series(const char *sys, double **v, int n)
{
	static char names[SYS_FASTBOOT_NPHASES][32];
	int p;

	for (p = 0; p < SYS_FASTBOOT_NPHASES; p++) {
		if (v[p] == NULL)
			continue;
		if (bench_rank != 0 || n == 0) {
			free(v[p]);
			continue;
		}
		snprintf(names[p], sizeof names[p], "bootstrap:%s",
		    sys_fastboot_phase_names[p]);
		bench_series(sys, names[p], 0, v[p], (size_t)n);
	}
}

/*
 * Bootstrap from id in hand, one boot: from when the last rank held the id
 * (bench_id_us) to done, the latest rank's; -1 (on rank 0) if some rank's
 * system set no bench_id_us.  Collective.
 */
static double
bench_from_id(double done)
{
	double in[3] = { bench_id_us, -bench_id_us, done }, mx[3];

	MPI_Reduce(in, mx, 3, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
	if (bench_rank != 0 || -mx[1] < 0)
		return -1;
	return mx[2] - mx[0];
}

/* One sample of a series of its own (rank 0). */
static void
bench_series1(const char *sys, const char *metric, double us)
{
	double *v;

	if (bench_rank == 0 && us >= 0 && (v = malloc(sizeof *v)) != NULL) {
		*v = us;
		bench_series(sys, metric, 0, v, 1);
	}
}

MPI_Comm
bench_node_comm(void)
{
	static MPI_Comm node = MPI_COMM_NULL;

	if (node == MPI_COMM_NULL && MPI_Comm_split_type(MPI_COMM_WORLD,
	    MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS)
		node = MPI_COMM_SELF;
	return node;
}

/*
 * The daemons' TCP link counters, summed over the nodes: the first rank of
 * each node (MPI_COMM_TYPE_SHARED: a simulated node is a host to OpenMPI)
 * asks its node's fastbootd with `fastbootctl --json status`.  On rank 0:
 * l[0] peer_connects (connect attempts and accepted links: a link opened
 * counts once at each end), l[1] peer_links (links up now, each counted at
 * both ends), l[2] the nodes that answered; all -1 if some node's counters
 * could not be read.  Collective.
 */
static void
bench_links(long long l[3])
{
	static char ctl[PATH_MAX];
	MPI_Comm node = bench_node_comm();
	char out[8192], *argv[8];
	long long mine[3] = { 0, 0, 0 }, bad = 0, anybad = 0;
	struct json_object *t, *c, *u;
	const char *p;
	int nr = 0, a = 0;

	if (ctl[0] == '\0') {
		if ((p = getenv("FASTBOOTCTL")) != NULL && *p != '\0')
			snprintf(ctl, sizeof ctl, "%s", p);
		else if (bench_beside("../tools/fastbootctl", ctl,
		    sizeof ctl) == NULL || access(ctl, X_OK) != 0)
			snprintf(ctl, sizeof ctl, "fastbootctl");
	}
	MPI_Comm_rank(node, &nr);
	if (nr == 0) {
		argv[a++] = ctl;
		argv[a++] = (char *)"-t";
		argv[a++] = (char *)"5000";
		argv[a++] = (char *)"--json";
		if (sys_fastboot_socket != NULL) {
			argv[a++] = (char *)"-s";
			argv[a++] = (char *)sys_fastboot_socket;
		}
		argv[a++] = (char *)"status";
		argv[a] = NULL;
		bad = 1;
		if (spawn_read(argv, out, sizeof out) == 0 &&
		    (t = json_tokener_parse(out)) != NULL) {
			if (json_object_object_get_ex(t, "peer_connects", &c) &&
			    json_object_is_type(c, json_type_int) &&
			    json_object_object_get_ex(t, "peer_links", &u) &&
			    json_object_is_type(u, json_type_int)) {
				mine[0] = json_object_get_int64(c);
				mine[1] = json_object_get_int64(u);
				mine[2] = 1;
				bad = 0;
			}
			json_object_put(t);
		}
	}
	MPI_Reduce(mine, l, 3, MPI_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
	MPI_Reduce(&bad, &anybad, 1, MPI_LONG_LONG, MPI_MAX, 0,
	    MPI_COMM_WORLD);
	if (bench_rank == 0 && anybad)
		l[0] = l[1] = l[2] = -1;
}

/*
 * Warm reuse, fastboot's (rank 0): the first job over these daemons (after
 * the untimed warm-up: cold links, warm process) against the median of
 * the later ones, both from id in hand, and the daemons' link counters
 * around the warm-up, the first job and the later ones (lk[0..3]), kept as
 * "links:*" series (counts, not us) and said in the run's output.
 */
static void
bench_warm_reuse(const char *sys, double first, const struct bench_series *w,
    long long lk[4][3], int later)
{
	static const char *const names[] = { "links:connects-warmup",
	    "links:connects-first", "links:connects-later",
	    "links:up-after-first" };
	double d[4];
	int i;

	if (lk[0][0] >= 0 && lk[1][0] >= 0 && lk[2][0] >= 0 &&
	    lk[3][0] >= 0) {
		d[0] = (double)(lk[1][0] - lk[0][0]);
		d[1] = (double)(lk[2][0] - lk[1][0]);
		d[2] = (double)(lk[3][0] - lk[2][0]);
		d[3] = (double)lk[2][1];
		for (i = 0; i < 4; i++)
			bench_series1(sys, names[i], d[i] < 0 ? 0 : d[i]);
		bench_progress("[%s] TCP connects counted by the %lld daemons "
		    "(a link counts at both ends): warm-up %.0f, first job "
		    "%.0f, the %d later jobs %.0f; link ends up after the "
		    "first job %.0f", sys, lk[3][2], d[0], d[1], later, d[2],
		    d[3]);
		bench_progress_done();
	} else
		bench_note("%s: the daemons' link counters could not be read "
		    "(fastbootctl --json status on each node): warm reuse "
		    "is given as time only", sys);
	if (first >= 0 && w != NULL && w->n > 0 && w->st.median > 0) {
		bench_progress("[%s] warm reuse: first job %.3f ms, later "
		    "jobs median %.3f ms, both from id in hand: %.2fx", sys,
		    first / 1e3, w->st.median / 1e3, first / w->st.median);
		bench_progress_done();
	}
}

/* Bootstrap iterations; leaves the last handle open in c->h. */
static int
bench_bootstrap(struct bench_ctx *c, int iters)
{
	double *v = NULL, t0, t1, tmin, tmax, cpu0, cpu, cpusum, cpuall = 0;
	double budget_us = opt.budget_s * 4e6, spent = 0, *first;
	double *phase[SYS_FASTBOOT_NPHASES] = { NULL }, *vid = NULL, fid;
	double first_id = -1;
	long long lk[4][3];
	int it, w, failed, n = 0, nid = 0, counted = c->sys == &sys_fastboot;
	double warm_t0;
	int nw, nwarm, more;
	struct bench_series *s;

	if (bench_rank == 0 && ((v = calloc((size_t)iters, sizeof *v)) ==
	    NULL || (vid = calloc((size_t)iters, sizeof *vid)) == NULL)) {
		free(v);
		return -1;
	}
	/*
	 * fastboot: untimed jobs of each node's ranks alone on their own
	 * daemon first, so that the first job of the shape (iteration -1)
	 * pays what cold links cost, not also the processes' and the daemon's
	 * first-time costs; the daemons' link counters are read around each
	 * stage.
	 */
	if (counted) {
		bench_links(lk[0]);
		failed = 0;
		/* The counters are read after the first warm-up job: the
		 * others (the same job again) absorb what starting fastbootctl
		 * on a node costs its ranks, before the first timed job. */
		for (w = 0; w < BENCH_WARM_JOBS && !failed; w++) {
			if (w == 1)
				bench_links(lk[1]);
			failed = sys_fastboot_warm(c->err, sizeof c->err) != 0;
		}
		if (bench_agree(failed, c->err) != 0) {
			free(v);
			free(vid);
			return -1;
		}
	}
	/* Every system has BENCH_WARM_JOBS + 1 untimed bootstraps before the
	 * timed ones (fastboot: its first job and one more after the warm-up
	 * jobs), and goes on until BENCH_WARM_US have passed.  fastboot's
	 * first job over these daemons follows its warm-up jobs above;
	 * another system's first bootstrap comes first, then its warm-up.
	 * That first one is kept as "bootstrap-first".  With one warm-up the
	 * floor, measured first, had its first ten bootstraps 10 to 30%
	 * slower than the rest at 8 ranks, and at 2 ranks (about 100 us each)
	 * its medians fell for 30 to 80 ms. */
	nwarm = counted ? 2 : 1 + BENCH_WARM_JOBS;
	warm_t0 = bench_now_us();
	for (it = -1, nw = 0; it < iters; it++) {
		if (c->h != NULL) {
			c->sys->fini(c->h);
			c->h = NULL;
		}
		MPI_Barrier(MPI_COMM_WORLD);
		cpu0 = cpu_self_us();
		bench_id_us = -1;
		t0 = bench_now_us();
		failed = c->sys->boot(&c->h, c->err, sizeof c->err) != 0;
		t1 = bench_now_us();
		cpu = cpu_self_us() - cpu0;
		if (failed)
			c->h = NULL;
		if (bench_agree(failed, c->err) != 0) {
			free(v);
			free(vid);
			bench_boot_phase_series(c->sys->name, phase, 0);
			return -1;
		}
		fid = bench_from_id(t1);
		if (c->sys == &sys_fastboot && it >= 0)
			bench_boot_phases(t0, n, iters, phase);
		MPI_Reduce(&t0, &tmin, 1, MPI_DOUBLE, MPI_MIN, 0,
		    MPI_COMM_WORLD);
		MPI_Reduce(&t1, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0,
		    MPI_COMM_WORLD);
		if (it < 0) {
			/* The first job over fresh daemons (cold links across
			 * nodes; fastboot's process already warm): not a
			 * sample of bootstrap, but kept as "bootstrap-first"
			 * to show what warm links save. */
			if (nw++ == 0) {
				if (bench_rank == 0 && (first =
				    malloc(sizeof *first)) != NULL) {
					*first = tmax - tmin;
					bench_series(c->sys->name,
					    "bootstrap-first", 0, first, 1);
				}
				bench_series1(c->sys->name,
				    "bootstrap-first-from-id", fid);
				first_id = fid;
				if (counted)
					bench_links(lk[2]);
			}
			/* Rank 0 says whether another untimed one follows. */
			more = nw < nwarm || bench_now_us() - warm_t0 <
			    BENCH_WARM_US;
			MPI_Bcast(&more, 1, MPI_INT, 0, MPI_COMM_WORLD);
			it -= more;	/* -1 again */
			continue;
		}
		if (bench_rank == 0 && fid >= 0)
			vid[nid++] = fid;
		MPI_Reduce(&cpu, &cpusum, 1, MPI_DOUBLE, MPI_SUM, 0,
		    MPI_COMM_WORLD);
		if (bench_rank == 0) {
			v[n++] = tmax - tmin;
			cpuall += cpusum;
			spent += tmax - tmin;
			bench_progress("[%s] bootstrap: iteration %d of %d: "
			    "%.3f ms", c->sys->name, it + 1, iters,
			    (tmax - tmin) / 1e3);
		}
		/* A slow system gets fewer iterations (time budget). */
		MPI_Bcast(&spent, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
		if (it >= 2 && spent > budget_us)
			break;
	}
	bench_progress_done();
	if (counted)
		bench_links(lk[3]);
	if (bench_rank == 0 && n < iters)
		bench_note("%s: bootstrap stopped after %d of %d iterations "
		    "(time budget %.1f s spent)", c->sys->name, n, iters,
		    budget_us / 1e6);
	if (bench_rank == 0) {
		s = bench_series(c->sys->name, "bootstrap", 0, v, (size_t)n);
		if (s != NULL)
			s->cpu_per_op_us = cpuall / n;
		if (nid == n && n > 0) {
			s = bench_series(c->sys->name, "bootstrap-from-id", 0,
			    vid, (size_t)nid);
			vid = NULL;
			if (s != NULL)
				bench_progress("[%s] bootstrap from id in hand "
				    "(no launcher broadcast): median %.3f ms",
				    c->sys->name, s->st.median / 1e3);
			bench_progress_done();
			if (counted)
				bench_warm_reuse(c->sys->name, first_id, s, lk,
				    n);
		}
	}
	free(vid);
	bench_boot_phase_series(c->sys->name, phase, n);
	return 0;
}

/*
 * What a job costs in memory, measured on a fresh job after the bootstrap
 * series: the daemon's resident set with the job against just before it
 * (the last job ended 20 ms earlier), and the resident part of the rank
 * table's mapping in each rank, after the first barrier.  Series
 * "memory:daemon-rss-delta-kib" (one sample) and "memory:table-rss-kib"
 * (one sample per rank), in KiB, not us.  Leaves the new job in c->h.
 */
static int
bench_memory(struct bench_ctx *c)
{
	double tab, *all = NULL, *d;
	long before = -1, after = -1;
	pid_t srv = 0;
	int failed;

	if (c->h != NULL) {
		c->sys->fini(c->h);
		c->h = NULL;
	}
	MPI_Barrier(MPI_COMM_WORLD);
	if (bench_rank == 0) {
		/* The daemon frees a job when its last rank's LEAVE is read. */
		usleep(20000);
		if (c->sys->server_pid != NULL &&
		    (srv = c->sys->server_pid(NULL)) > 0)
			before = mem_rss_kib(srv);
		all = calloc((size_t)bench_nranks, sizeof *all);
	}
	MPI_Barrier(MPI_COMM_WORLD);
	failed = c->sys->boot(&c->h, c->err, sizeof c->err) != 0;
	if (failed)
		c->h = NULL;
	if (bench_agree(failed, c->err) != 0) {
		free(all);
		return -1;
	}
	tab = (double)mem_mapping_rss_kib("memfd:fastboot-job");
	if (bench_rank == 0 && srv > 0)
		after = mem_rss_kib(srv);
	MPI_Gather(&tab, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, 0,
	    MPI_COMM_WORLD);
	if (bench_rank != 0)
		return 0;
	if (all != NULL && tab >= 0)
		bench_series(c->sys->name, "memory:table-rss-kib", 0, all,
		    (size_t)bench_nranks);
	else
		free(all);
	if (before >= 0 && after >= 0 && (d = malloc(sizeof *d)) != NULL) {
		*d = (double)(after - before);
		bench_series(c->sys->name, "memory:daemon-rss-delta-kib", 0, d,
		    1);
		bench_progress("[%s] memory of a job: daemon RSS %+ld KiB, "
		    "rank table resident %.0f KiB in rank 0", c->sys->name,
		    after - before, tab);
		bench_progress_done();
	}
	return 0;
}

/* PMIx's one bootstrap sample was taken before MPI_Init. */
static void
bench_pmix_bootstrap(void)
{
	double mx = 0, *v, se[3], in[3] = { sys_pmix_start_us,
	    -sys_pmix_fenced_us, sys_pmix_fenced_us };

	/* PMIx_Init + the first fence, from the last rank's start (its
	 * launch is its "id": the launcher's environment): the same measure
	 * as the others' bootstrap from id in hand. */
	MPI_Reduce(in, se, 3, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
	if (bench_rank == 0 && -se[1] >= 0)
		bench_series1("PMIx", "bootstrap-from-id", se[2] - se[0]);
	MPI_Reduce(&sys_pmix_init_us, &mx, 1, MPI_DOUBLE, MPI_MAX, 0,
	    MPI_COMM_WORLD);
	if (bench_rank == 0 && (v = malloc(sizeof *v)) != NULL) {
		v[0] = mx;
		bench_series("PMIx", "bootstrap", 0, v, 1);
		bench_progress("[PMIx] bootstrap (PMIx_Init before MPI_Init): "
		    "%.3f ms", mx / 1e3);
		bench_progress_done();
	}
}

/* How a capped system's allgather drifted: first ten ops against last ten. */
static void
bench_drift(const struct bench_sys *sys)
{
	struct bench_stats a, b;
	size_t i;

	for (i = 0; i < nseries; i++) {
		struct bench_series *s = &series[i];

		if (strcmp(s->system, sys->name) != 0 ||
		    strcmp(s->metric, "allgather") != 0 || s->bytes != 64 ||
		    s->n < 20)
			continue;
		stats_compute(s->samples, 10, &a);
		stats_compute(s->samples + s->n - 10, 10, &b);
		bench_note("%s: at most %d allgathers per size, each with a "
		    "fresh key; a collecting fence gathers every key a rank "
		    "ever put, so it slows as the job puts more: 64 B median "
		    "of the first 10 ops %.1f us, of the last 10 %.1f us; the "
		    "size sweep runs after 64 B and 4 KiB and carries their "
		    "keys", sys->name, sys->max_allgather_ops, a.median,
		    b.median);
	}
}

static void
bench_system(const struct bench_sys *sys)
{
	struct bench_ctx c;
	size_t maxb = bench_sizes[BENCH_NSIZES - 1], n = (size_t)bench_nranks;
	unsigned long long vo, vb, vf;
	struct bench_sysres *r;
	int i, rc, failed = 0;

	memset(&c, 0, sizeof c);
	c.sys = sys;
	ver_ops = ver_bytes = ver_fail = 0;
	c.buf = malloc(n * maxb);
	c.sbuf = malloc(n * 4096);
	c.rbuf = malloc(n * 4096);
	if (c.buf == NULL || c.sbuf == NULL || c.rbuf == NULL) {
		snprintf(c.err, sizeof c.err, "out of memory for %zu-byte "
		    "buffers", n * maxb);
		failed = 1;
	}
	if (bench_agree(failed, c.err) != 0)
		goto failed;
	if (sys == &sys_fastboot && fastboot_unusable[0] != '\0') {
		/* Every rank knows: rank 0 could not start the daemon. */
		snprintf(c.err, sizeof c.err, "%s", fastboot_unusable);
		goto failed;
	}
	if (sys == &sys_pmix) {
		bench_pmix_bootstrap();
		rc = bench_agree(sys->boot(&c.h, c.err, sizeof c.err) != 0,
		    c.err);
	} else
		rc = bench_bootstrap(&c, opt.iterations);
	if (rc == 0 && sys == &sys_fastboot)
		rc = bench_memory(&c);
	if (rc != 0)
		goto failed;
	if (bench_measure(&c, OP_BARRIER, 0, opt.budget_s) != 0)
		goto failed;
	if (bench_measure(&c, OP_ALLGATHER, 64, opt.budget_s) != 0 ||
	    bench_measure(&c, OP_ALLGATHER, 4096, opt.budget_s) != 0)
		goto failed;
	for (i = 0; opt.sweep && i < BENCH_NSIZES; i++) {
		if (bench_sizes[i] == 64 || bench_sizes[i] == 4096)
			continue;
		if (bench_measure(&c, OP_ALLGATHER, bench_sizes[i],
		    opt.budget_s / 3) != 0)
			goto failed;
	}
	if (sys->alltoall != NULL &&
	    (bench_measure(&c, OP_ALLTOALL, 64, opt.budget_s / 2) != 0 ||
	    bench_measure(&c, OP_ALLTOALL, 4096, opt.budget_s / 2) != 0))
		goto failed;
	if (sys->pingpong != NULL && bench_nranks > 1 &&
	    bench_measure(&c, OP_PINGPONG, 64, opt.budget_s) != 0)
		goto failed;
	if (sys->exchange != NULL && bench_nranks > 1 &&
	    bench_measure(&c, OP_EXCHANGE, 0, opt.budget_s) != 0)
		goto failed;
	MPI_Barrier(MPI_COMM_WORLD);
	if (c.h != NULL)
		sys->fini(c.h);
	c.h = NULL;
	MPI_Reduce(&ver_ops, &vo, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0,
	    MPI_COMM_WORLD);
	MPI_Reduce(&ver_bytes, &vb, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0,
	    MPI_COMM_WORLD);
	MPI_Reduce(&ver_fail, &vf, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0,
	    MPI_COMM_WORLD);
	if (bench_rank == 0) {
		if ((r = bench_status(sys->name, BENCH_RAN, NULL)) != NULL) {
			r->checked = vo;
			r->checked_bytes = vb;
			r->mismatches = vf;
		}
		bench_note("%s: bootstrap is %s", sys->name, sys->boot_what);
		if (sys->note != NULL)
			bench_note("%s: %s", sys->name, sys->note);
		if (sys->max_allgather_ops > 0)
			bench_drift(sys);
		bench_progress("[%s] done: %llu results checked byte for byte "
		    "(%llu bytes), %llu mismatches", sys->name, vo, vb, vf);
		bench_progress_done();
	}
	goto out;
failed:
	/*
	 * The handle may be unusable; leave it (the process ends soon).  Its
	 * series stay in the results, and the system is reported as failed.
	 */
	if (bench_rank == 0) {
		bench_status(sys->name, BENCH_FAILED, "%s", c.err);
		bench_progress("[%s] FAILED: %s", sys->name, c.err);
		bench_progress_done();
	}
out:
	free(c.buf);
	free(c.sbuf);
	free(c.rbuf);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: mpirun -n N bootstrap_benchmark [options] [iterations]\n"
"\n"
"  iterations               bootstrap iterations per system (default 50)\n"
"  -o, --out DIR            write results.json and the report here\n"
"                           (default ./bench-results-TIME)\n"
"  -S, --socket PATH        fastbootd's socket (default: $FASTBOOT_SOCKET,\n"
"                           else " FB_DEFAULT_SOCKET ")\n"
"                           if no fastbootd listens there, rank 0 starts a\n"
"                           private one for the run and stops it at the end\n"
"  -d, --start-daemon       always start a private fastbootd\n"
"  -N, --no-start-daemon    never start one (fastboot fails if none listens)\n"
"  -D, --fastbootd PATH     fastbootd to start (default: $FASTBOOTD, else\n"
"                           ../daemon/fastbootd beside this program)\n"
"  -R, --report PATH        the report renderer (default: $BENCH_REPORT,\n"
"                           else bench_report beside this program); \"\"\n"
"                           writes results.json only\n"
"  -b, --budget SEC         time per measurement (default 1.0; size-sweep\n"
"                           points get a third, alltoall half)\n"
"      --min-ops N          fewest timed ops per measurement (default 5)\n"
"      --max-ops N          most timed ops per measurement (default 2000)\n"
"  -s, --systems LIST       only these: fastboot,mscclpp,PMIx,MPI,shm-floor\n"
"                           (over --nodes M > 1 the floor is net-floor:\n"
"                           shared memory in a node, TCP between nodes)\n"
"      --no-sweep           skip the allgather size sweep\n"
"      --nodes M            the ranks run over M nodes, each rank with its\n"
"                           node's fastbootd ($FASTBOOT_SOCKET): recorded,\n"
"                           and fastboot's job must span M nodes\n"
"                           (scripts/run-benchmark.sh --nodes)\n"
"  -h, --help               this help\n");
}

/* A whole number in [min, max], or -1 with a message naming the option. */
static int
bench_int(const char *what, const char *s, long min, long max, int *v)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || l < min || l > max) {
		if (bench_rank == 0)
			fprintf(stderr, "bootstrap_benchmark: %s '%s': not a "
			    "whole number in %ld..%ld\n", what, s, min, max);
		return -1;
	}
	*v = (int)l;
	return 0;
}

static int
bench_double(const char *what, const char *s, double min, double max,
    double *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(d > min && d <= max)) {
		if (bench_rank == 0)
			fprintf(stderr, "bootstrap_benchmark: %s '%s': not a "
			    "number above %g and at most %g\n", what, s, min,
			    max);
		return -1;
	}
	*v = d;
	return 0;
}

static int
bench_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "socket", required_argument, NULL, 'S' },
		{ "start-daemon", no_argument, NULL, 'd' },
		{ "no-start-daemon", no_argument, NULL, 'N' },
		{ "fastbootd", required_argument, NULL, 'D' },
		{ "report", required_argument, NULL, 'R' },
		{ "budget", required_argument, NULL, 'b' },
		{ "min-ops", required_argument, NULL, 'm' },
		{ "max-ops", required_argument, NULL, 'M' },
		{ "systems", required_argument, NULL, 's' },
		{ "no-sweep", no_argument, NULL, 'W' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "o:S:dND:R:b:s:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			opt.outdir = optarg;
			break;
		case 'S':
			opt.socket = optarg;
			break;
		case 'd':
			opt.daemon = DAEMON_START;
			break;
		case 'N':
			opt.daemon = DAEMON_NONE;
			break;
		case 'D':
			opt.daemon_path = optarg;
			break;
		case 'R':
			opt.report = optarg;
			break;
		case 'b':
			if (bench_double("--budget", optarg, 0, 3600,
			    &opt.budget_s) != 0)
				return -1;
			break;
		case 'm':
			if (bench_int("--min-ops", optarg, 1, 10000000,
			    &opt.min_ops) != 0)
				return -1;
			break;
		case 'M':
			if (bench_int("--max-ops", optarg, 1, 10000000,
			    &opt.max_ops) != 0)
				return -1;
			break;
		case 's':
			opt.only = optarg;
			break;
		case 'W':
			opt.sweep = 0;
			break;
		case 'n':
			if (bench_int("--nodes", optarg, 1, 4096,
			    &opt.nodes) == -1)
				return -1;
			break;
		case 'h':
			if (bench_rank == 0)
				usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc && bench_int("iterations", argv[optind++], 1,
	    100000, &opt.iterations) != 0)
		return -1;
	if (optind < argc) {
		if (bench_rank == 0)
			fprintf(stderr, "bootstrap_benchmark: unexpected "
			    "argument '%s'\n", argv[optind]);
		return -1;
	}
	if (opt.max_ops < opt.min_ops) {
		if (bench_rank == 0)
			fprintf(stderr, "bootstrap_benchmark: --max-ops %d is "
			    "below --min-ops %d\n", opt.max_ops, opt.min_ops);
		return -1;
	}
	if (opt.nodes > 1 && opt.daemon == DAEMON_START) {
		if (bench_rank == 0)
			fprintf(stderr, "bootstrap_benchmark: --nodes %d needs "
			    "a fastbootd on each node, not --start-daemon\n",
			    opt.nodes);
		return -1;
	}
	sys_fastboot_nodes = opt.nodes;
	return 0;
}

/* A program beside us in the build tree: <dir of this program>/rel. */
static const char *
bench_beside(const char *rel, char *path, size_t len)
{
	char self[PATH_MAX], tmp[PATH_MAX + 64];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	snprintf(tmp, sizeof tmp, "%s/%s", dirname(self), rel);
	/* Without the "..": the path is shown to the reader. */
	if (len < PATH_MAX || realpath(tmp, path) == NULL)
		bench_fmt(path, len, "%s", tmp);
	return path;
}

static const char *
bench_daemon_path(void)
{
	static char path[PATH_MAX];
	const char *p;

	if (opt.daemon_path != NULL)
		return opt.daemon_path;
	if ((p = getenv("FASTBOOTD")) != NULL && *p != '\0')
		return p;
	if ((p = bench_beside("../daemon/fastbootd", path, sizeof path)) !=
	    NULL && access(p, X_OK) == 0)
		return p;
	return "fastbootd";
}

/*
 * Rank 0 finds fastboot's daemon, or starts a private one, and says which
 * on the first line of the run; every rank learns the socket, or why
 * fastboot cannot run.
 */
static void
bench_daemon(void)
{
	static char sock[PATH_MAX];
	char why[BENCH_ERRLEN], err[BENCH_ERRLEN];
	const char *path, *dpath;
	pid_t pid;

	memset(sock, 0, sizeof sock);
	if (bench_rank == 0) {
		path = opt.socket;
		if (path == NULL || *path == '\0')
			path = getenv("FASTBOOT_SOCKET");
		if (path == NULL || *path == '\0')
			path = FB_DEFAULT_SOCKET;
		snprintf(sock, sizeof sock, "%s", path);
		if (opt.daemon == DAEMON_START)
			snprintf(why, sizeof why, "--start-daemon");
		else if (sys_fastboot_probe(path, &pid, why, sizeof why)) {
			snprintf(daemon_buf, sizeof daemon_buf, "the fastbootd "
			    "listening on %s (pid %ld)", path, (long)pid);
			printf("bootstrap_benchmark: using %s\n", daemon_buf);
			goto done;
		} else if (opt.daemon == DAEMON_NONE) {
			bench_fmt(daemon_buf, sizeof daemon_buf, "none: no "
			    "fastbootd is listening on %s (%s), and "
			    "--no-start-daemon was given", path, why);
			printf("bootstrap_benchmark: %s; fastboot will fail\n",
			    daemon_buf);
			goto done;
		} else {
			char tmp[sizeof why];

			snprintf(tmp, sizeof tmp, "%s", why);
			bench_fmt(why, sizeof why, "no fastbootd is listening "
			    "on %s (%s)", path, tmp);
		}
		dpath = bench_daemon_path();
		if (sys_fastboot_start_daemon(dpath, err, sizeof err) != 0) {
			bench_fmt(fastboot_unusable, sizeof fastboot_unusable,
			    "%s, and a private fastbootd did not start: %s",
			    why, err);
			bench_fmt(daemon_buf, sizeof daemon_buf, "none: %s",
			    fastboot_unusable);
			printf("bootstrap_benchmark: %s; fastboot will fail\n",
			    fastboot_unusable);
			goto done;
		}
		snprintf(sock, sizeof sock, "%s", sys_fastboot_socket);
		bench_fmt(daemon_buf, sizeof daemon_buf, "a private fastbootd "
		    "started for this run (%s, pid %ld) on %s, because %s",
		    dpath, (long)sys_fastboot_daemon_pid, sock, why);
		printf("bootstrap_benchmark: %s: started a private fastbootd "
		    "for this run, %s (pid %ld) on %s; it stops at the end\n",
		    why, dpath, (long)sys_fastboot_daemon_pid, sock);
	}
done:
	MPI_Bcast(sock, sizeof sock, MPI_CHAR, 0, MPI_COMM_WORLD);
	MPI_Bcast(fastboot_unusable, sizeof fastboot_unusable, MPI_CHAR, 0,
	    MPI_COMM_WORLD);
	sys_fastboot_socket = sock;
	/* Across nodes, each rank talks to its own node's daemon. */
	if (opt.nodes > 1 && getenv("FASTBOOT_SOCKET") != NULL &&
	    *getenv("FASTBOOT_SOCKET") != '\0')
		sys_fastboot_socket = getenv("FASTBOOT_SOCKET");
}

/* Render the report from results.json with bench_report; its exit code. */
static int
bench_render(const char *results)
{
	static char path[PATH_MAX];
	const char *report = opt.report;
	char err[BENCH_ERRLEN];
	char *argv[5];
	int status;

	if (report == NULL && (report = getenv("BENCH_REPORT")) == NULL)
		report = bench_beside("bench_report", path, sizeof path);
	if (report == NULL || *report == '\0') {
		printf("results: %s (no report rendered: bench_report %s)\n",
		    results, report == NULL ? "not found" : "disabled");
		return 0;
	}
	argv[0] = (char *)report;
	argv[1] = (char *)results;
	argv[2] = (char *)"-o";
	argv[3] = (char *)opt.outdir;
	argv[4] = NULL;
	status = spawn_wait(argv, NULL, NULL, NULL, err, sizeof err);
	if (status == -1) {
		fprintf(stderr, "bootstrap_benchmark: %s\n", err);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bootstrap_benchmark: %s %s -o %s failed "
		    "(status %d); results are in %s\n", report, results,
		    opt.outdir, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    results);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char pmix_err[BENCH_ERRLEN], herr[BENCH_ERRLEN];
	char results[PATH_MAX + 16];
	const struct bench_sys *order[5];
	double t_start, mpi_init_us, *hv;
	size_t hn;
	int pmix_ok, pmix_all, i, nsys = 0, rc, len, failed = 0;
	pid_t private_pid;
	time_t now;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_start = bench_now_us();
	now = time(NULL);
	strftime(started_buf, sizeof started_buf, "%Y-%m-%dT%H:%M:%S%z",
	    localtime(&now));
	/* A real first PMIx connection, before OpenMPI makes its own. */
	pmix_ok = sys_pmix_preinit(pmix_err, sizeof pmix_err) == 0;
	pmix_all = pmix_ok;
	mpi_init_us = bench_now_us();
	MPI_Init(&argc, &argv);
	mpi_init_us = bench_now_us() - mpi_init_us;
	MPI_Comm_rank(MPI_COMM_WORLD, &bench_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &bench_nranks);
	opt.tty = isatty(STDERR_FILENO);
	if ((rc = bench_options(argc, argv)) != 0) {
		if (rc < 0 && bench_rank == 0)
			usage(stderr);
		if (pmix_ok)
			sys_pmix_finalize();
		MPI_Finalize();
		return rc < 0 ? 2 : 0;
	}
	/* PMIx takes part only if every rank reached its server. */
	MPI_Allreduce(MPI_IN_PLACE, &pmix_all, 1, MPI_INT, MPI_LAND,
	    MPI_COMM_WORLD);
	MPI_Get_library_version(mpi_version, &len);
	mpi_version[strcspn(mpi_version, "\n,")] = '\0';

	/* The first line: which fastbootd serves the run. */
	bench_daemon();
	run.binding = machine_binding();

	rc = 0;
	if (bench_rank == 0) {
		if (opt.outdir == NULL) {
			char ts[32];

			strftime(ts, sizeof ts, "%Y%m%d-%H%M%S",
			    localtime(&now));
			snprintf(outdir_buf, sizeof outdir_buf,
			    "bench-results-%s", ts);
			opt.outdir = outdir_buf;
		}
		if (mkdir(opt.outdir, 0755) == -1 && errno != EEXIST) {
			fprintf(stderr, "bootstrap_benchmark: mkdir %s: %s\n",
			    opt.outdir, strerror(errno));
			rc = -1;
		}
		bench_progress("bootstrap_benchmark: %d ranks, %d bootstrap "
		    "iterations, %.2f s per measurement; %s", bench_nranks,
		    opt.iterations, opt.budget_s, run.binding);
		bench_progress_done();
	}
	MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (rc != 0)
		goto out;

	/* Fastest first, so that a slow peer cannot starve the others. */
	/* Across nodes, memory shared between simulated nodes would be no
	 * floor: the net floor (TCP between the nodes) stands in for it. */
	if (opt.nodes > 1) {
		if (bench_wanted("net-floor") || bench_wanted("shm-floor"))
			order[nsys++] = &sys_netfloor;
	} else if (bench_wanted("shm-floor"))
		order[nsys++] = &sys_floor;
	if (bench_wanted("fastboot"))
		order[nsys++] = &sys_fastboot;
	if (bench_wanted("MPI"))
		order[nsys++] = &sys_mpi;
	if (bench_wanted("PMIx")) {
		if (pmix_all)
			order[nsys++] = &sys_pmix;
		else if (bench_rank == 0)
			bench_status("PMIx", BENCH_ABSENT, "%s", pmix_ok ?
			    "not reachable from every rank" : pmix_err);
	}
#ifdef HAVE_MSCCLPP
	if (bench_wanted("mscclpp"))
		order[nsys++] = &sys_mscclpp;
#else
	if (bench_wanted("mscclpp") && bench_rank == 0)
		bench_status("mscclpp", BENCH_ABSENT, "not built in "
		    "(configure --with-mscclpp=PREFIX was not given); no "
		    "mscclpp figures in this report, and nothing else stands "
		    "in for it");
#endif
	for (i = 0; i < nsys; i++) {
		if (bench_rank == 0) {
			bench_progress("== system %d of %d: %s ==", i + 1, nsys,
			    order[i]->name);
			bench_progress_done();
		}
		bench_system(order[i]);
	}
	/* What fastboot's bootstrap pays over the floor's, on this machine,
	 * back to back and after 1 ms idle (ranks of one node: the socket
	 * is in one network namespace). */
	for (i = 0; i < 2 && opt.nodes <= 1 && bench_nranks >= 2; i++) {
		if ((hv = machine_handoff(i ? 1000 : 0, &hn, herr,
		    sizeof herr)) != NULL)
			bench_series("machine", i ? "handoff-idle" : "handoff",
			    0, hv, hn);
		else if (bench_rank == 0)
			bench_note("no hand-off figure: %s", herr);
	}
	if (bench_rank == 0)
		MPI_Reduce(MPI_IN_PLACE, &mpi_init_us, 1, MPI_DOUBLE, MPI_MAX,
		    0, MPI_COMM_WORLD);
	else
		MPI_Reduce(&mpi_init_us, NULL, 1, MPI_DOUBLE, MPI_MAX, 0,
		    MPI_COMM_WORLD);
out:
	MPI_Barrier(MPI_COMM_WORLD);
	if (bench_rank == 0 && (private_pid = sys_fastboot_daemon_pid) > 0) {
		sys_fastboot_stop_daemon();
		bench_progress("bootstrap_benchmark: stopped the private "
		    "fastbootd (pid %ld)", (long)private_pid);
		bench_progress_done();
	}
	if (pmix_ok)
		sys_pmix_finalize();
	MPI_Finalize();
	if (bench_rank != 0 || rc != 0)
		return rc != 0;

	run.nranks = bench_nranks;
	run.nodes = opt.nodes;
	run.iterations = opt.iterations;
	run.budget_s = opt.budget_s;
	run.series = series;
	run.nseries = nseries;
	run.wall_s = (bench_now_us() - t_start) / 1e6;
	run.started = started_buf;
	run.commit = BENCH_COMMIT;
	run.configure = BENCH_CONFIGURE;
	run.daemon = daemon_buf;
	run.fastboot_version = fb_version();
	run.mpi_version = mpi_version;
	run.pmix_version = pmix_all ? sys_pmix_version() : "absent";
#ifdef HAVE_MSCCLPP
	run.mscclpp_version = sys_mscclpp_version();
#else
	run.mscclpp_version = "not built in";
#endif
	machine_describe(&run);
	bench_note("MPI_Init took %.1f ms (max over ranks, once per process)",
	    mpi_init_us / 1e3);
	bench_note("op counts per measurement are chosen by a time budget of "
	    "%.2f s (sweep points %.2f s, alltoall %.2f s), clamped to "
	    "%d..%d ops, after 3 untimed warm-up ops; bootstrap iterations "
	    "follow at least %d untimed bootstraps and %d ms of them (the "
	    "first kept as bootstrap-first) and stop early once %.1f s are "
	    "spent (at least 3)", opt.budget_s, opt.budget_s / 3,
	    opt.budget_s / 2, opt.min_ops, opt.max_ops, BENCH_WARM_JOBS + 1,
	    BENCH_WARM_US / 1000, opt.budget_s * 4);
	bench_note("fastboot: the untimed first bootstrap (bootstrap-first, "
	    "the first job over these daemons: its links across nodes are "
	    "cold) follows %d untimed jobs of each node's ranks alone on "
	    "their own daemon (fb_get_unique_id on the node's first rank, "
	    "fb_comm_init, a barrier, fb_comm_destroy), which warm the "
	    "processes and the daemon but span one node; links:* series "
	    "are counts of the daemons' TCP connects (fastbootctl status "
	    "peer_connects, both ends of a link), not us; the count of the "
	    "first job includes the warm-up jobs after the first (the same "
	    "one-node job)", BENCH_WARM_JOBS);
	for (i = 0; i < run.nsys; i++)
		if (run.sys[i].status == BENCH_FAILED)
			failed = 1;
	snprintf(results, sizeof results, "%s/results.json", opt.outdir);
	if (results_write(&run, results, pmix_err, sizeof pmix_err) != 0) {
		fprintf(stderr, "bootstrap_benchmark: %s\n", pmix_err);
		rc = -1;
	} else if (bench_render(results) != 0)
		rc = -1;
	for (i = 0; i < (int)nseries; i++)
		free(series[i].samples);
	return rc != 0 || failed;
}
