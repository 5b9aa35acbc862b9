/*
 * report_sweep.c - scaling within one node: bootstrap, barrier, allgather
 * 64 B and send/recv of fastboot, the shared-memory floor and MPI against
 * the number of ranks, as one chart and one table (sweep.html), with the
 * memory a fastboot job costs at each count, from the results.json of runs
 * with 2, 4, 8 ... ranks (scripts/run-benchmark.sh --sweep).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/report.h"

#define SWEEP_MAX_RUNS	32

static const char *const sweep_sys[] = { "fastboot", "shm-floor", "MPI" };
#define SWEEP_NSYS	(sizeof sweep_sys / sizeof sweep_sys[0])

static const struct {
	const char	*metric;
	size_t		 bytes;
	const char	*label;
	const char	*colour;
} sweep_ops[] = {
	{ "bootstrap", 0, "bootstrap", "#1f77b4" },
	{ "barrier", 0, "barrier", "#d62728" },
	{ "allgather", 64, "allgather 64 B", "#2ca02c" },
	{ "sendrecv", 64, "send/recv 64 B", "#9467bd" },
};
#define SWEEP_NOPS	(sizeof sweep_ops / sizeof sweep_ops[0])
#define SWEEP_NCOLS	(SWEEP_NSYS * SWEEP_NOPS)

struct sweep_row {
	int	 ranks;
	long	 cpus;
	double	 v[SWEEP_NCOLS];	/* medians, us; NAN: not measured */
	double	 daemon_kib;		/* daemon RSS delta of a job */
	double	 table_kib;		/* rank table resident, per rank */
};

static int
sweep_cmp(const void *a, const void *b)
{
	const struct sweep_row *x = a, *y = b;

	return (x->ranks > y->ranks) - (x->ranks < y->ranks);
}

/* A cell with prec decimals, or a dash. */
static void
sweep_cell(FILE *f, double v, int prec)
{
	if (isnan(v))
		fprintf(f, "<td>&ndash;</td>");
	else
		fprintf(f, "<td>%.*f</td>", prec, v);
}

static int
sweep_data(const char *outdir, const struct sweep_row *rows, int n)
{
	char path[4096];
	size_t c;
	int i;
	FILE *f;

	if ((f = report_open_in(outdir, "sweep.dat", path, sizeof path)) ==
	    NULL)
		return -1;
	fprintf(f, "# ranks");
	for (c = 0; c < SWEEP_NCOLS; c++)
		fprintf(f, " \"%s %s\"", sweep_sys[c / SWEEP_NOPS],
		    sweep_ops[c % SWEEP_NOPS].label);
	fprintf(f, " daemon_rss_delta_kib table_rss_kib_per_rank\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "%d", rows[i].ranks);
		for (c = 0; c < SWEEP_NCOLS; c++)
			fprintf(f, isnan(rows[i].v[c]) ? " NaN" : " %.3f",
			    rows[i].v[c]);
		fprintf(f, isnan(rows[i].daemon_kib) ? " NaN" : " %.0f",
		    rows[i].daemon_kib);
		fprintf(f, isnan(rows[i].table_kib) ? " NaN\n" : " %.0f\n",
		    rows[i].table_kib);
	}
	if (fclose(f) != 0)
		return -1;

	/* One chart: colour is the operation, the line's dash the system. */
	if ((f = report_open_in(outdir, "sweep.gp", path, sizeof path)) ==
	    NULL)
		return -1;
	fprintf(f, "set terminal svg size 900,520 dynamic font 'sans,11'\n"
	    "set output 'sweep.svg'\nset title 'Scaling within one node "
	    "(medians; more ranks than CPUs are oversubscribed)'\n"
	    "set xlabel 'ranks'\nset ylabel 'us'\nset logscale xy 2\n"
	    "set format y '%%g'\nset key outside right\nset grid\n"
	    "set datafile missing 'NaN'\nplot ");
	for (c = 0; c < SWEEP_NCOLS; c++)
		fprintf(f, "%s'sweep.dat' using 1:%zu with linespoints "
		    "lc rgb '%s' dt %zu pt %zu title '%s %s'", c ? ", " : "",
		    c + 2, sweep_ops[c % SWEEP_NOPS].colour,
		    c / SWEEP_NOPS + 1, c / SWEEP_NOPS + 5,
		    sweep_sys[c / SWEEP_NOPS], sweep_ops[c % SWEEP_NOPS].label);
	fprintf(f, "\n");
	return fclose(f) != 0 ? -1 : 0;
}

int
report_sweep(const char *outdir, char *const paths[], int npaths,
    const char *gnuplot)
{
	struct sweep_row rows[SWEEP_MAX_RUNS];
	char path[4096];
	struct bench_series *s;
	struct report *runs, *r;
	size_t c;
	int i, n;
	FILE *f;

	if (report_load_runs(paths, npaths, SWEEP_MAX_RUNS, "--sweep",
	    &runs) != 0)
		return 1;
	for (n = 0; n < npaths; n++) {
		r = &runs[n];
		rows[n].ranks = r->run.nranks;
		rows[n].cpus = r->run.ncpus;
		for (c = 0; c < SWEEP_NCOLS; c++)
			rows[n].v[c] = report_median(r, sweep_sys[c /
			    SWEEP_NOPS], sweep_ops[c % SWEEP_NOPS].metric,
			    sweep_ops[c % SWEEP_NOPS].bytes);
		s = report_find(r, "fastboot", "memory:daemon-rss-delta-kib",
		    0);
		rows[n].daemon_kib = s != NULL && s->n > 0 ? s->samples[0] :
		    NAN;
		rows[n].table_kib = report_median(r, "fastboot",
		    "memory:table-rss-kib", 0);
	}
	report_free_runs(runs, npaths);
	qsort(rows, (size_t)n, sizeof rows[0], sweep_cmp);
	if (sweep_data(outdir, rows, n) != 0)
		return 1;

	if ((f = report_open_in(outdir, "sweep.html", path, sizeof path)) ==
	    NULL)
		return 1;
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>fastboot: scaling within one node</title></head><body>\n"
	    "<h1>Scaling within one node</h1>\n<p>Each row is one run of "
	    "bootstrap_benchmark with that many ranks on this machine (its "
	    "own report is in <code>ranks-N/</code>).  Medians in &micro;s. "
	    " <b>Rows with more ranks than CPUs are oversubscribed</b>: "
	    "ranks share CPUs, so every wake-up waits for the scheduler, and "
	    "a peer that spins (MPI) takes the CPU from the rank it waits "
	    "for.  The chart's colour is the operation, the line's dash the "
	    "system (solid fastboot, dashed shm-floor, dotted MPI).</p>\n");
	(void)report_chart(f, gnuplot, outdir, "sweep.gp", "sweep.svg",
	    "gnuplot-sweep.log");
	fprintf(f, "<table border=\"1\" cellpadding=\"4\"><tr><th>ranks</th>"
	    "<th>CPUs</th>");
	for (c = 0; c < SWEEP_NCOLS; c++)
		fprintf(f, "<th>%s %s</th>", sweep_sys[c / SWEEP_NOPS],
		    sweep_ops[c % SWEEP_NOPS].label);
	fprintf(f, "</tr>\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "<tr><td><a href=\"ranks-%d/report.html\">%d</a>%s"
		    "</td><td>%ld</td>", rows[i].ranks, rows[i].ranks,
		    rows[i].cpus > 0 && rows[i].ranks > rows[i].cpus ?
		    " (over&shy;subscribed)" : "", rows[i].cpus);
		for (c = 0; c < SWEEP_NCOLS; c++)
			sweep_cell(f, rows[i].v[c], 1);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n<h2>Memory of a fastboot job</h2>\n<p>The "
	    "daemon's resident set with a fresh job after its first barrier, "
	    "against just before the job (a job ended 20 ms earlier; freed "
	    "heap may stay with the daemon, so this counts what a job adds "
	    "beyond what the daemon keeps; the job's rank table was made "
	    "ahead, when the one before ended, so its control page is not "
	    "in the delta), and the resident part of the "
	    "rank table's mapping in each rank (median over ranks; 4 KiB "
	    "pages).</p>\n<table border=\"1\" cellpadding=\"4\"><tr><th>"
	    "ranks</th><th>daemon RSS delta, KiB</th><th>rank table "
	    "resident per rank, KiB</th><th>pages</th></tr>\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "<tr><td>%d</td>", rows[i].ranks);
		sweep_cell(f, rows[i].daemon_kib, 0);
		sweep_cell(f, rows[i].table_kib, 0);
		sweep_cell(f, rows[i].table_kib / 4, 0);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n</body></html>\n");
	if (fclose(f) != 0)
		return 1;

	printf("bench_report: %d runs over %d..%d ranks: %s/sweep.html\n", n,
	    n > 0 ? rows[0].ranks : 0, n > 0 ? rows[n - 1].ranks : 0,
	    outdir);
	printf("%6s", "ranks");
	for (c = 0; c < SWEEP_NCOLS; c++)
		printf(" %10.10s", sweep_sys[c / SWEEP_NOPS]);
	printf("   (us: bootstrap barrier allgather-64 sendrecv-64 each)\n");
	for (i = 0; i < n; i++) {
		printf("%6d", rows[i].ranks);
		for (c = 0; c < SWEEP_NCOLS; c++)
			printf(" %10.1f", rows[i].v[c]);
		printf("   mem: daemon %+.0f KiB, table %.0f KiB/rank\n",
		    rows[i].daemon_kib, rows[i].table_kib);
	}
	return 0;
}
