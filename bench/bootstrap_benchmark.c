/*
 * bootstrap_benchmark.c - fastboot against mscclpp's TcpBootstrap, PMIx, MPI
 * and a shared-memory floor, all in one mpirun, with a report.
 *
 *	mpirun -n 8 ./bench/bootstrap_benchmark [options] [iterations]
 *
 * Every rank runs every phase; rank 0 gathers the samples (max over ranks
 * per operation, CPU time summed over ranks) and writes CSV, JSON and an
 * HTML report with gnuplot charts.
 */
#include <sys/stat.h>
#include <sys/utsname.h>

#include <errno.h>
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

#include <mpi.h>

#include <fastboot/fastboot.h>

#include "bench/bench.h"

int		 bench_rank;
int		 bench_nranks;

const size_t bench_sizes[BENCH_NSIZES] = {
	16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576
};

#define BENCH_MAX_SERIES	256
#define BENCH_ERRLEN		512

static struct {
	int		 iterations;
	double		 budget_s;	/* per headline measurement */
	int		 min_ops, max_ops;
	int		 start_daemon;
	const char	*daemon_path;
	const char	*outdir;
	const char	*only;		/* comma list of systems, or NULL */
	int		 sweep;
	int		 tty;
} opt = { 20, 1.0, 5, 2000, 0, NULL, NULL, NULL, 1, 0 };

static struct report_series	 series[BENCH_MAX_SERIES];
static size_t			 nseries;
static struct report_run	 run;
static char			 outdir_buf[PATH_MAX];
static char			 absent_buf[8][BENCH_ERRLEN];
static char			 note_buf[16][BENCH_ERRLEN];
static char			 mpi_version[MPI_MAX_LIBRARY_VERSION_STRING];
static char			 gnuplot_version[128];

/* Per-system verification counters (all ranks, summed on rank 0). */
static unsigned long long	 ver_ops, ver_bytes, ver_fail;

double
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
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

static void
bench_note(const char *fmt, ...)
{
	va_list ap;

	if (run.nnotes >= 16)
		return;
	va_start(ap, fmt);
	vsnprintf(note_buf[run.nnotes], BENCH_ERRLEN, fmt, ap);
	va_end(ap);
	run.notes[run.nnotes] = note_buf[run.nnotes];
	run.nnotes++;
}

static void
bench_absent(const char *fmt, ...)
{
	va_list ap;

	if (run.nabsent >= 8)
		return;
	va_start(ap, fmt);
	vsnprintf(absent_buf[run.nabsent], BENCH_ERRLEN, fmt, ap);
	va_end(ap);
	run.absent[run.nabsent] = absent_buf[run.nabsent];
	run.nabsent++;
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

static struct report_series *
bench_series(const char *sys, const char *metric, size_t bytes, double *v,
    size_t n)
{
	struct report_series *s;

	if (nseries >= BENCH_MAX_SERIES) {
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

enum bench_op { OP_BARRIER, OP_ALLGATHER, OP_ALLTOALL, OP_PINGPONG };

struct bench_ctx {
	const struct bench_sys	*sys;
	void			*h;
	unsigned char		*buf, *sbuf, *rbuf;
	unsigned long		 seq;
	char			 err[BENCH_ERRLEN];
};

/* One operation, timed; preparation and verification are not. */
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
	}
	return "?";
}

/*
 * Measure one operation: two warm-up ops, then as many timed ops as fit the
 * time budget (clamped to [min_ops, max_ops]), the same count on every rank.
 */
static int
bench_measure(struct bench_ctx *c, enum bench_op op, size_t bytes,
    double budget_s)
{
	double est = 0, one, *d = NULL, *mx = NULL, cpu0, cpu, cpusum = 0;
	double srv0 = -1, srv1 = -1;
	pid_t srv = 0;
	int i, nops, failed = 0;
	struct report_series *s;

	for (i = 0; i < 2 && !failed; i++) {
		failed = bench_one(c, op, bytes, &one) != 0;
		if (one > est)
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
		s->ops_per_rank_total = nops;
		bench_progress("[%s] %s %zu B: median %.1f us over %d ops, "
		    "CPU %.1f us/op", c->sys->name, bench_opname(op), bytes,
		    s->st.median, nops, s->cpu_per_op_us);
		bench_progress_done();
	}
	return 0;
}

/* Bootstrap iterations; leaves the last handle open in c->h. */
static int
bench_bootstrap(struct bench_ctx *c, int iters)
{
	double *v = NULL, t0, t1, tmin, tmax, cpu0, cpu, cpusum, cpuall = 0;
	double budget_us = opt.budget_s * 4e6, spent = 0;
	int it, failed, n = 0;
	struct report_series *s;

	if (bench_rank == 0 && (v = calloc((size_t)iters, sizeof *v)) == NULL)
		return -1;
	/* Iteration -1 warms up (lazy binding, first page faults): untimed. */
	for (it = -1; it < iters; it++) {
		if (c->h != NULL) {
			c->sys->fini(c->h);
			c->h = NULL;
		}
		MPI_Barrier(MPI_COMM_WORLD);
		cpu0 = cpu_self_us();
		t0 = bench_now_us();
		failed = c->sys->boot(&c->h, c->err, sizeof c->err) != 0;
		t1 = bench_now_us();
		cpu = cpu_self_us() - cpu0;
		if (failed)
			c->h = NULL;
		if (bench_agree(failed, c->err) != 0) {
			free(v);
			return -1;
		}
		if (it < 0)
			continue;
		MPI_Reduce(&t0, &tmin, 1, MPI_DOUBLE, MPI_MIN, 0,
		    MPI_COMM_WORLD);
		MPI_Reduce(&t1, &tmax, 1, MPI_DOUBLE, MPI_MAX, 0,
		    MPI_COMM_WORLD);
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
	if (bench_rank == 0 && n < iters)
		bench_note("%s: bootstrap stopped after %d of %d iterations "
		    "(time budget %.1f s spent)", c->sys->name, n, iters,
		    budget_us / 1e6);
	if (bench_rank == 0) {
		s = bench_series(c->sys->name, "bootstrap", 0, v, (size_t)n);
		if (s != NULL) {
			s->cpu_per_op_us = cpuall / n;
			s->ops_per_rank_total = n;
		}
	}
	return 0;
}

/* PMIx's one bootstrap sample was taken before MPI_Init. */
static void
bench_pmix_bootstrap(void)
{
	double mx = 0, *v;

	MPI_Reduce(&sys_pmix_init_us, &mx, 1, MPI_DOUBLE, MPI_MAX, 0,
	    MPI_COMM_WORLD);
	if (bench_rank == 0 && (v = malloc(sizeof *v)) != NULL) {
		v[0] = mx;
		bench_series("PMIx", "bootstrap", 0, v, 1)->ops_per_rank_total =
		    1;
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
		struct report_series *s = &series[i];

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
	int i, rc;

	memset(&c, 0, sizeof c);
	c.sys = sys;
	ver_ops = ver_bytes = ver_fail = 0;
	c.buf = malloc(n * maxb);
	c.sbuf = malloc(n * 4096);
	c.rbuf = malloc(n * 4096);
	if (c.buf == NULL || c.sbuf == NULL || c.rbuf == NULL) {
		bench_absent("%s: out of memory", sys->name);
		goto out;
	}
	if (sys == &sys_pmix) {
		bench_pmix_bootstrap();
		rc = bench_agree(sys->boot(&c.h, c.err, sizeof c.err) != 0,
		    c.err);
	} else
		rc = bench_bootstrap(&c, opt.iterations);
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
		run.systems[run.nsystems++] = sys->name;
		bench_note("%s: bootstrap is %s", sys->name, sys->boot_what);
		if (sys->note != NULL)
			bench_note("%s: %s", sys->name, sys->note);
		if (sys->max_allgather_ops > 0)
			bench_drift(sys);
		if (sys == &sys_fastboot) {
			run.verified_ops = vo;
			run.verified_bytes = vb;
			run.verify_failures = vf;
		}
		bench_progress("[%s] done: %llu results checked byte for byte "
		    "(%llu bytes), %llu mismatches", sys->name, vo, vb, vf);
		bench_progress_done();
	}
	goto out;
failed:
	/* The handle may be unusable; leave it (the process ends soon). */
	if (bench_rank == 0) {
		bench_absent("%s: failed: %s", sys->name, c.err);
		bench_progress("[%s] FAILED: %s", sys->name, c.err);
		bench_progress_done();
	}
	if (sys == &sys_fastboot)
		run.verify_failures += 1;
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
"  iterations               bootstrap iterations per system (default 20)\n"
"  -o, --out DIR            write the report here\n"
"                           (default ./bench-results-TIME)\n"
"  -d, --start-daemon       start a private fastbootd (default: use the\n"
"                           running one: $FASTBOOT_SOCKET, else "
    FB_DEFAULT_SOCKET ")\n"
"  -D, --fastbootd PATH     fastbootd for --start-daemon (default:\n"
"                           $FASTBOOTD, else ../daemon/fastbootd beside\n"
"                           this program)\n"
"  -b, --budget SEC         time per measurement (default 1.0; size-sweep\n"
"                           points get a third, alltoall half)\n"
"      --min-ops N          fewest timed ops per measurement (default 5)\n"
"      --max-ops N          most timed ops per measurement (default 2000)\n"
"  -s, --systems LIST       only these: fastboot,mscclpp,PMIx,MPI,shm-floor\n"
"      --no-sweep           skip the allgather size sweep\n"
"  -h, --help               this help\n");
}

static int
bench_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "start-daemon", no_argument, NULL, 'd' },
		{ "fastbootd", required_argument, NULL, 'D' },
		{ "budget", required_argument, NULL, 'b' },
		{ "min-ops", required_argument, NULL, 'm' },
		{ "max-ops", required_argument, NULL, 'M' },
		{ "systems", required_argument, NULL, 's' },
		{ "no-sweep", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "o:dD:b:s:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			opt.outdir = optarg;
			break;
		case 'd':
			opt.start_daemon = 1;
			break;
		case 'D':
			opt.daemon_path = optarg;
			break;
		case 'b':
			opt.budget_s = atof(optarg);
			if (!(opt.budget_s > 0 && opt.budget_s < 3600))
				return -1;
			break;
		case 'm':
			opt.min_ops = atoi(optarg);
			break;
		case 'M':
			opt.max_ops = atoi(optarg);
			break;
		case 's':
			opt.only = optarg;
			break;
		case 'S':
			opt.sweep = 0;
			break;
		case 'h':
			if (bench_rank == 0)
				usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		opt.iterations = atoi(argv[optind++]);
		if (opt.iterations < 1 || opt.iterations > 100000)
			return -1;
	}
	if (optind < argc || opt.min_ops < 1 || opt.max_ops < opt.min_ops)
		return -1;
	return 0;
}

/* The daemon beside us in a build tree: <dir>/../daemon/fastbootd. */
static const char *
bench_daemon_path(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n;

	if (opt.daemon_path != NULL)
		return opt.daemon_path;
	if (getenv("FASTBOOTD") != NULL)
		return getenv("FASTBOOTD");
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return "fastbootd";
	self[n] = '\0';
	snprintf(path, sizeof path, "%s/../daemon/fastbootd", dirname(self));
	return path;
}

static void
bench_gnuplot_version(void)
{
	const char *g = getenv("GNUPLOT");
	char cmd[PATH_MAX + 32];
	FILE *p;

	if (g == NULL)
		g = GNUPLOT_PATH;
	run.gnuplot = g;
	if (*g == '\0') {
		snprintf(gnuplot_version, sizeof gnuplot_version, "absent");
		return;
	}
	snprintf(cmd, sizeof cmd, "'%s' --version 2>/dev/null", g);
	if ((p = popen(cmd, "r")) == NULL ||
	    fgets(gnuplot_version, sizeof gnuplot_version, p) == NULL)
		snprintf(gnuplot_version, sizeof gnuplot_version, "absent");
	if (p != NULL)
		pclose(p);
	gnuplot_version[strcspn(gnuplot_version, "\n")] = '\0';
}

int
main(int argc, char **argv)
{
	char err[BENCH_ERRLEN], pmix_err[BENCH_ERRLEN], sock[108];
	const struct bench_sys *order[5];
	double t_start, mpi_init_us;
	int pmix_ok, pmix_all, i, nsys = 0, rc, len;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_start = bench_now_us();
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
		sys_pmix_finalize();
		MPI_Finalize();
		return rc < 0 ? 2 : 0;
	}
	/* PMIx takes part only if every rank reached its server. */
	MPI_Allreduce(MPI_IN_PLACE, &pmix_all, 1, MPI_INT, MPI_LAND,
	    MPI_COMM_WORLD);
	MPI_Get_library_version(mpi_version, &len);
	mpi_version[strcspn(mpi_version, "\n,")] = '\0';

	/* A private fastbootd, started by rank 0, its socket to all. */
	memset(sock, 0, sizeof sock);
	rc = 0;
	if (opt.start_daemon && bench_rank == 0) {
		const char *path = bench_daemon_path();

		bench_progress("starting %s on a private socket", path);
		bench_progress_done();
		rc = sys_fastboot_start_daemon(path, err, sizeof err);
		if (rc == 0)
			snprintf(sock, sizeof sock, "%s", sys_fastboot_socket);
		else
			fprintf(stderr, "bootstrap_benchmark: %s\n", err);
	}
	MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (rc != 0) {
		sys_pmix_finalize();
		MPI_Finalize();
		return 1;
	}
	MPI_Bcast(sock, sizeof sock, MPI_CHAR, 0, MPI_COMM_WORLD);
	if (sock[0] != '\0' && bench_rank != 0)
		sys_fastboot_socket = strdup(sock);

	if (bench_rank == 0) {
		if (opt.outdir == NULL) {
			time_t now = time(NULL);
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
		    "iterations, %.2f s per measurement", bench_nranks,
		    opt.iterations, opt.budget_s);
		bench_progress_done();
	}
	MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (rc != 0)
		goto out;

	/* Fastest first, so that a slow peer cannot starve the others. */
	if (bench_wanted("shm-floor"))
		order[nsys++] = &sys_floor;
	if (bench_wanted("fastboot"))
		order[nsys++] = &sys_fastboot;
	if (bench_wanted("MPI"))
		order[nsys++] = &sys_mpi;
	if (bench_wanted("PMIx")) {
		if (pmix_all)
			order[nsys++] = &sys_pmix;
		else if (bench_rank == 0)
			bench_absent("PMIx: %s", pmix_ok ? "not reachable "
			    "from every rank" : pmix_err);
	}
#ifdef HAVE_MSCCLPP
	if (bench_wanted("mscclpp"))
		order[nsys++] = &sys_mscclpp;
#else
	if (bench_wanted("mscclpp") && bench_rank == 0)
		bench_absent("mscclpp: not built in (configure "
		    "--with-mscclpp=PREFIX was not given); no mscclpp figures "
		    "in this report, and nothing else stands in for it");
#endif
	for (i = 0; i < nsys; i++) {
		if (bench_rank == 0) {
			bench_progress("== system %d of %d: %s ==", i + 1, nsys,
			    order[i]->name);
			bench_progress_done();
		}
		bench_system(order[i]);
	}
	if (bench_rank == 0)
		MPI_Reduce(MPI_IN_PLACE, &mpi_init_us, 1, MPI_DOUBLE, MPI_MAX,
		    0, MPI_COMM_WORLD);
	else
		MPI_Reduce(&mpi_init_us, NULL, 1, MPI_DOUBLE, MPI_MAX, 0,
		    MPI_COMM_WORLD);
out:
	MPI_Barrier(MPI_COMM_WORLD);
	if (bench_rank == 0)
		sys_fastboot_stop_daemon();
	if (pmix_ok)
		sys_pmix_finalize();
	MPI_Finalize();
	if (bench_rank != 0 || rc != 0)
		return rc != 0;

	run.outdir = opt.outdir;
	run.nranks = bench_nranks;
	run.iterations = opt.iterations;
	run.budget_s = opt.budget_s;
	run.series = series;
	run.nseries = nseries;
	run.wall_s = (bench_now_us() - t_start) / 1e6;
	run.fastboot_version = fb_version();
	run.mpi_version = mpi_version;
	run.pmix_version = pmix_all ? sys_pmix_version() : "absent";
#ifdef HAVE_MSCCLPP
	run.mscclpp_version = sys_mscclpp_version();
#else
	run.mscclpp_version = "not built in";
#endif
	bench_gnuplot_version();
	bench_note("MPI_Init took %.1f ms (max over ranks, once per process)",
	    mpi_init_us / 1e3);
	bench_note("op counts per measurement are chosen by a time budget of "
	    "%.2f s (sweep points %.2f s, alltoall %.2f s), clamped to "
	    "%d..%d ops, after 2 untimed warm-up ops; bootstrap iterations "
	    "follow one untimed warm-up bootstrap and stop early once %.1f s "
	    "are spent (at least 3)", opt.budget_s, opt.budget_s / 3,
	    opt.budget_s / 2, opt.min_ops, opt.max_ops, opt.budget_s * 4);
	bench_note("gnuplot: %s", gnuplot_version);
	rc = report_write(&run);
	report_text_summary(&run);
	for (i = 0; i < (int)nseries; i++)
		free(series[i].samples);
	return rc != 0;
}
