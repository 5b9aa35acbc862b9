/*
 * report_plot.c - the charts: gnuplot data files and one script in the
 * report's folder, and gnuplot run there (fork and exec with an argument
 * vector, never a shell command line).
 */
#include <sys/wait.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/report.h"

/* Histogram table: one row per headline, one column per system. */
static int
report_dat_heads(struct report *r, const char *name, int what)
{
	char path[PATH_MAX];
	struct bench_series *s, *fb;
	size_t h;
	int k;
	FILE *f;

	if ((f = report_open(r, name, path, sizeof path)) == NULL)
		return -1;
	fprintf(f, "metric");
	for (k = 0; k < REPORT_PEERS; k++)
		if (report_ran(r, report_order[k]) && !(what == 1 && k == 0))
			fprintf(f, " \"%s\"", report_order[k]);
	fprintf(f, "\n");
	for (h = 0; h < report_nheads; h++) {
		if (what == 2 && strncmp(report_heads[h].metric,
		    "bootstrap", 9) == 0)
			continue;
		fprintf(f, "\"%s\"", report_heads[h].label);
		fb = !report_ran(r, "fastboot") ? NULL : report_find(r,
		    "fastboot", report_heads[h].metric,
		    report_heads[h].bytes);
		for (k = 0; k < REPORT_PEERS; k++) {
			double v = NAN;

			if (!report_ran(r, report_order[k]) ||
			    (what == 1 && k == 0))
				continue;
			s = report_find(r, report_order[k],
			    report_heads[h].metric, report_heads[h].bytes);
			if (s != NULL && what == 0)
				v = s->st.mean;
			else if (s != NULL && what == 1 && fb != NULL &&
			    fb->st.median > 0)
				v = s->st.median / fb->st.median;
			else if (s != NULL && what == 2)
				v = report_cpu_total(s);
			if (isfinite(v) && v > 0)
				fprintf(f, " %.6g", v);
			else
				fprintf(f, " ?");
		}
		fprintf(f, "\n");
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int
report_ncols(struct report *r, int skip_fastboot)
{
	int k, n = 0;

	for (k = 0; k < REPORT_PEERS; k++)
		if (report_ran(r, report_order[k]) &&
		    !(skip_fastboot && k == 0))
			n++;
	return n;
}

/* One clustered bar per system that ran, each in its own colour. */
static void
report_hist_plot(FILE *f, struct report *r, const char *dat,
    int skip_fastboot)
{
	int k, col = 2;

	fprintf(f, "plot ");
	for (k = 0; k < REPORT_PEERS; k++) {
		if (!report_ran(r, report_order[k]) ||
		    (skip_fastboot && k == 0))
			continue;
		fprintf(f, "%s'%s' using %d:xtic(1) title columnhead(%d) "
		    "lt %d", col > 2 ? ", " : "", dat, col, col, k + 1);
		col++;
	}
}

static int
report_bytes_cmp(const void *a, const void *b)
{
	const struct bench_series *x = *(struct bench_series *const *)a;
	const struct bench_series *y = *(struct bench_series *const *)b;

	return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
}

int
report_plots(struct report *r)
{
	char path[PATH_MAX], err[512], *argv[3];
	struct bench_series *s, **sweep = NULL;
	size_t i, k, n, maxit = 0;
	int c, first, rc;
	FILE *f;

	if (r->run.nseries > 0 &&
	    (sweep = calloc(r->run.nseries, sizeof *sweep)) == NULL)
		return -1;
	/* Per-iteration bootstrap samples and the size sweep, per system. */
	for (c = 0; c < REPORT_PEERS; c++) {
		if (!report_ran(r, report_order[c]))
			continue;
		snprintf(path, sizeof path, "%s/boot-%s.dat", r->outdir,
		    report_order[c]);
		if ((s = report_find(r, report_order[c], "bootstrap", 0)) !=
		    NULL && (f = fopen(path, "w")) != NULL) {
			for (k = 0; k < s->n; k++)
				fprintf(f, "%zu %.6g\n", k + 1,
				    s->samples[k] / 1e3);
			if (s->n > maxit)
				maxit = s->n;
			fclose(f);
		}
		snprintf(path, sizeof path, "%s/sweep-%s.dat", r->outdir,
		    report_order[c]);
		if ((f = fopen(path, "w")) == NULL)
			continue;
		/* Every allgather size the run measured, smallest first. */
		for (i = 0, n = 0; i < r->run.nseries; i++)
			if (strcmp(r->run.series[i].system,
			    report_order[c]) == 0 &&
			    strcmp(r->run.series[i].metric, "allgather") == 0)
				sweep[n++] = &r->run.series[i];
		qsort(sweep, n, sizeof *sweep, report_bytes_cmp);
		for (i = 0; i < n; i++)
			fprintf(f, "%zu %.6g %.6g %.6g\n", sweep[i]->bytes,
			    sweep[i]->st.median, sweep[i]->st.ci_lo,
			    sweep[i]->st.ci_hi);
		fclose(f);
	}
	free(sweep);
	if (report_dat_heads(r, "mean.dat", 0) != 0 ||
	    report_dat_heads(r, "speedup.dat", 1) != 0 ||
	    report_dat_heads(r, "cpu.dat", 2) != 0)
		return -1;

	if ((f = report_open(r, "charts.gp", path, sizeof path)) == NULL)
		return -1;
	fprintf(f,
	    "set terminal svg size 880,440 dynamic enhanced "
	    "font 'Helvetica,12' background rgb 'white'\n"
	    "set datafile missing '?'\n"
	    "set grid ytics lc rgb '#dddddd'\n"
	    "set key outside right top\n"
	    "set linetype 1 lc rgb '#d62728' lw 2 pt 7\n"
	    "set linetype 2 lc rgb '#1f77b4' lw 2 pt 5\n"
	    "set linetype 3 lc rgb '#2ca02c' lw 2 pt 9\n"
	    "set linetype 4 lc rgb '#9467bd' lw 2 pt 11\n"
	    "set linetype 5 lc rgb '#7f7f7f' lw 2 pt 13\n");
	/* 1: bootstrap per iteration. */
	fprintf(f, "set output 'bootstrap.svg'\n"
	    "set title 'Bootstrap time per iteration (%d ranks, max over "
	    "ranks)'\nset xlabel 'iteration'\nset ylabel 'ms'\n"
	    "set xtics %zu\nset logscale y\nplot ", r->run.nranks,
	    maxit <= 20 ? (size_t)1 : (maxit + 19) / 20);
	for (c = 0, first = 1; c < REPORT_PEERS; c++)
		if (report_ran(r, report_order[c]) &&
		    report_find(r, report_order[c], "bootstrap", 0) != NULL) {
			fprintf(f, "%s'boot-%s.dat' using 1:2 with linespoints "
			    "lt %d title '%s'", first ? "" : ", ",
			    report_order[c], c + 1, report_order[c]);
			first = 0;
		}
	fprintf(f, "\nunset logscale y\n");
	/* Histograms. */
	fprintf(f, "set style data histograms\n"
	    "set style histogram clustered gap 1\n"
	    "set style fill solid 0.85 border -1\n"
	    "set boxwidth 0.9\nset xtics autofreq rotate by -20 nomirror\n"
	    "set xlabel ''\nset logscale y\n");
	fprintf(f, "set output 'mean.svg'\nset title 'Mean latency per "
	    "operation (log scale)'\nset ylabel 'us'\n");
	report_hist_plot(f, r, "mean.dat", 0);
	fprintf(f, "\n");
	if (report_ncols(r, 1) > 0) {
		fprintf(f, "set output 'speedup.svg'\nset title 'Speedup of "
		    "fastboot over each peer (peer median / fastboot median; "
		    "above 1: fastboot faster)'\nset ylabel 'x'\n");
		report_hist_plot(f, r, "speedup.dat", 1);
		fprintf(f, ", 1 with lines lc rgb 'black' dt 2 notitle\n");
	}
	fprintf(f, "set output 'cpu.svg'\nset title 'CPU time per operation, "
	    "all ranks + daemon/server'\nset ylabel 'us CPU per op'\n");
	report_hist_plot(f, r, "cpu.dat", 0);
	fprintf(f, "\n");
	/* Latency vs size. */
	fprintf(f, "set style data linespoints\nunset style\n"
	    "set xtics norotate\nset output 'sizes.svg'\n"
	    "set title 'Allgather latency vs bytes per rank (median)'\n"
	    "set xlabel 'bytes per rank'\nset ylabel 'us'\n"
	    "set logscale xy\nset xtics auto\nset autoscale xfix\n"
	    "set format x '%%.0s%%cB'\nplot ");
	for (c = 0, first = 1; c < REPORT_PEERS; c++)
		if (report_ran(r, report_order[c]) &&
		    report_find(r, report_order[c], "allgather", 64) != NULL) {
			fprintf(f, "%s'sweep-%s.dat' using 1:2 with "
			    "linespoints lt %d title '%s'", first ? "" : ", ",
			    report_order[c], c + 1, report_order[c]);
			first = 0;
		}
	fprintf(f, "\n");
	if (fclose(f) != 0)
		return -1;
	if (r->gnuplot == NULL || *r->gnuplot == '\0') {
		fprintf(stderr, "bench_report: gnuplot not found: no charts "
		    "(install gnuplot-nox, or set GNUPLOT)\n");
		return -1;
	}
	/* In the report's folder, by argument vector: no shell. */
	argv[0] = (char *)r->gnuplot;
	argv[1] = (char *)"charts.gp";
	argv[2] = NULL;
	rc = spawn_wait(argv, r->outdir, NULL, "gnuplot.log", err,
	    sizeof err);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
		fprintf(stderr, "bench_report: %s failed (see %s/gnuplot.log)"
		    "%s%s\n", r->gnuplot, r->outdir, rc == -1 ? ": " : "",
		    rc == -1 ? err : "");
		return -1;
	}
	return 0;
}

void
report_gnuplot_version(struct report *r)
{
	char *argv[3];

	snprintf(r->gnuplot_version, sizeof r->gnuplot_version, "absent");
	if (r->gnuplot == NULL || *r->gnuplot == '\0')
		return;
	argv[0] = (char *)r->gnuplot;
	argv[1] = (char *)"--version";
	argv[2] = NULL;
	if (spawn_line(argv, r->gnuplot_version,
	    sizeof r->gnuplot_version) != 0)
		snprintf(r->gnuplot_version, sizeof r->gnuplot_version,
		    "%s did not run", r->gnuplot);
}

/*
 * A page's chart: gnuplot runs script in outdir (by argument vector, no
 * shell; its output in log) and the SVG it wrote is copied into out from
 * its <svg element on.  1 when the chart is in the page; else 0, said on
 * stderr and in the page.
 */
int
report_chart(FILE *out, const char *gnuplot, const char *outdir,
    const char *script, const char *svg, const char *log)
{
	char path[PATH_MAX], line[4096], err[1024], *argv[3];
	int rc, in = 0;
	FILE *f;

	if (gnuplot == NULL || *gnuplot == '\0') {
		fprintf(out, "<p>(no chart: gnuplot did not run)</p>\n");
		return 0;
	}
	argv[0] = (char *)gnuplot;
	argv[1] = (char *)script;
	argv[2] = NULL;
	rc = spawn_wait(argv, outdir, NULL, log, err, sizeof err);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
		fprintf(stderr, "bench_report: %s failed (see %s/%s)%s%s\n",
		    gnuplot, outdir, log, rc == -1 ? ": " : "",
		    rc == -1 ? err : "");
		fprintf(out, "<p>(no chart: gnuplot did not run)</p>\n");
		return 0;
	}
	snprintf(path, sizeof path, "%s/%s", outdir, svg);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL) {
			if (!in && strstr(line, "<svg") != NULL)
				in = 1;
			if (in)
				fputs(line, out);
		}
		fclose(f);
	}
	if (!in)
		fprintf(out, "<p>(no chart: %s has no SVG)</p>\n", svg);
	return in;
}
