/*
 * report.c - raw samples as CSV, a JSON summary, gnuplot SVG charts and one
 * self-contained HTML page that embeds them, plus the closing text summary.
 */
#include <sys/utsname.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"

#define REPORT_PEERS	5

static const char *report_order[REPORT_PEERS] = {
	"fastboot", "mscclpp", "PMIx", "MPI", "shm-floor"
};

/* The headline measurements, in the order of the charts and the table. */
static const struct {
	const char	*metric;
	size_t		 bytes;
	const char	*label;
} report_heads[] = {
	{ "bootstrap", 0, "bootstrap" },
	{ "barrier", 0, "barrier" },
	{ "allgather", 64, "allgather 64 B" },
	{ "allgather", 4096, "allgather 4 KiB" },
	{ "alltoall", 64, "alltoall 64 B" },
	{ "alltoall", 4096, "alltoall 4 KiB" },
	{ "sendrecv", 64, "send/recv 64 B" },
};
#define REPORT_NHEADS (sizeof report_heads / sizeof report_heads[0])

static struct report_series *
report_find(struct report_run *run, const char *sys, const char *metric,
    size_t bytes)
{
	size_t i;

	for (i = 0; i < run->nseries; i++)
		if (strcmp(run->series[i].system, sys) == 0 &&
		    strcmp(run->series[i].metric, metric) == 0 &&
		    run->series[i].bytes == bytes)
			return &run->series[i];
	return NULL;
}

static int
report_ran(struct report_run *run, const char *sys)
{
	int i;

	for (i = 0; i < run->nsystems; i++)
		if (strcmp(run->systems[i], sys) == 0)
			return 1;
	return 0;
}

static FILE *
report_open(struct report_run *run, const char *name, char *path,
    size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", run->outdir, name);
	if ((f = fopen(path, "w")) == NULL)
		fprintf(stderr, "bootstrap_benchmark: %s: %s\n", path,
		    strerror(errno));
	return f;
}

/* JSON string body: escape quotes, backslashes and control bytes. */
static void
report_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
report_html_str(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void
report_machine(char *cpu, size_t cpulen, long *ncpu, long *mem_mb)
{
	char line[512], *p;
	FILE *f;

	snprintf(cpu, cpulen, "unknown");
	*ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	*mem_mb = (long)(sysconf(_SC_PHYS_PAGES) / 1024 *
	    (sysconf(_SC_PAGESIZE) / 1024));
	if ((f = fopen("/proc/cpuinfo", "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "model name", 10) == 0 &&
		    (p = strchr(line, ':')) != NULL) {
			p += strspn(p + 1, " \t") + 1;
			p[strcspn(p, "\n")] = '\0';
			snprintf(cpu, cpulen, "%s", p);
			break;
		}
	fclose(f);
}

static int
report_csv(struct report_run *run)
{
	char path[PATH_MAX];
	size_t i, k;
	FILE *f;

	if ((f = report_open(run, "samples.csv", path, sizeof path)) == NULL)
		return -1;
	fprintf(f, "system,metric,bytes,index,latency_us\n");
	for (i = 0; i < run->nseries; i++)
		for (k = 0; k < run->series[i].n; k++)
			fprintf(f, "%s,%s,%zu,%zu,%.3f\n",
			    run->series[i].system, run->series[i].metric,
			    run->series[i].bytes, k,
			    run->series[i].samples[k]);
	return fclose(f) == 0 ? 0 : -1;
}

static void
report_json_num(FILE *f, const char *key, double v, int comma)
{
	if (isfinite(v))
		fprintf(f, "\"%s\": %.3f%s", key, v, comma ? ", " : "");
	else
		fprintf(f, "\"%s\": null%s", key, comma ? ", " : "");
}

static int
report_json(struct report_run *run)
{
	char path[PATH_MAX], cpu[256];
	struct utsname un;
	long ncpu, mem;
	size_t i;
	int k;
	FILE *f;

	if ((f = report_open(run, "summary.json", path, sizeof path)) == NULL)
		return -1;
	uname(&un);
	report_machine(cpu, sizeof cpu, &ncpu, &mem);
	fprintf(f, "{\n  \"machine\": {\"host\": ");
	report_json_str(f, un.nodename);
	fprintf(f, ", \"kernel\": ");
	report_json_str(f, un.release);
	fprintf(f, ", \"cpu\": ");
	report_json_str(f, cpu);
	fprintf(f, ", \"cpus\": %ld, \"memory_mb\": %ld},\n", ncpu, mem);
	fprintf(f, "  \"versions\": {\"fastboot\": ");
	report_json_str(f, run->fastboot_version);
	fprintf(f, ", \"mpi\": ");
	report_json_str(f, run->mpi_version);
	fprintf(f, ", \"pmix\": ");
	report_json_str(f, run->pmix_version);
	fprintf(f, ", \"mscclpp\": ");
	report_json_str(f, run->mscclpp_version);
	fprintf(f, "},\n  \"ranks\": %d,\n  \"iterations\": %d,\n"
	    "  \"budget_s\": %.3f,\n  \"wall_s\": %.3f,\n", run->nranks,
	    run->iterations, run->budget_s, run->wall_s);
	fprintf(f, "  \"fastboot_allgather_verified\": {\"results\": %llu, "
	    "\"bytes\": %llu, \"mismatches\": %llu},\n", run->verified_ops,
	    run->verified_bytes, run->verify_failures);
	fprintf(f, "  \"systems\": [");
	for (k = 0; k < run->nsystems; k++) {
		fprintf(f, "%s", k ? ", " : "");
		report_json_str(f, run->systems[k]);
	}
	fprintf(f, "],\n  \"absent\": [");
	for (k = 0; k < run->nabsent; k++) {
		fprintf(f, "%s", k ? ", " : "");
		report_json_str(f, run->absent[k]);
	}
	fprintf(f, "],\n  \"notes\": [");
	for (k = 0; k < run->nnotes; k++) {
		fprintf(f, "%s\n    ", k ? "," : "");
		report_json_str(f, run->notes[k]);
	}
	fprintf(f, "],\n  \"results\": [");
	for (i = 0; i < run->nseries; i++) {
		struct report_series *s = &run->series[i];

		fprintf(f, "%s\n    {\"system\": \"%s\", \"metric\": \"%s\", "
		    "\"bytes\": %zu, \"n\": %zu, ", i ? "," : "", s->system,
		    s->metric, s->bytes, s->n);
		report_json_num(f, "mean_us", s->st.mean, 1);
		report_json_num(f, "median_us", s->st.median, 1);
		report_json_num(f, "stddev_us", s->st.stddev, 1);
		report_json_num(f, "min_us", s->st.min, 1);
		report_json_num(f, "max_us", s->st.max, 1);
		report_json_num(f, "p90_us", s->st.p90, 1);
		report_json_num(f, "p99_us", s->st.p99, 1);
		report_json_num(f, "median_ci95_lo_us", s->st.ci_lo, 1);
		report_json_num(f, "median_ci95_hi_us", s->st.ci_hi, 1);
		report_json_num(f, "cpu_per_op_us", s->cpu_per_op_us >= 0 ?
		    s->cpu_per_op_us : NAN, 1);
		report_json_num(f, "server_cpu_per_op_us",
		    s->server_cpu_per_op_us >= 0 ? s->server_cpu_per_op_us :
		    NAN, 0);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ]\n}\n");
	return fclose(f) == 0 ? 0 : -1;
}

static double
report_cpu_total(const struct report_series *s)
{
	double v;

	if (s == NULL || s->cpu_per_op_us < 0)
		return NAN;
	v = s->cpu_per_op_us;
	if (s->server_cpu_per_op_us > 0)
		v += s->server_cpu_per_op_us;
	return v;
}

/* Histogram table: one row per headline, one column per system. */
static int
report_dat_heads(struct report_run *run, const char *name, int what)
{
	char path[PATH_MAX];
	struct report_series *s, *fb;
	size_t h;
	int k;
	FILE *f;

	if ((f = report_open(run, name, path, sizeof path)) == NULL)
		return -1;
	fprintf(f, "metric");
	for (k = 0; k < REPORT_PEERS; k++)
		if (report_ran(run, report_order[k]) && !(what == 1 && k == 0))
			fprintf(f, " \"%s\"", report_order[k]);
	fprintf(f, "\n");
	for (h = 0; h < REPORT_NHEADS; h++) {
		if (what == 2 && strcmp(report_heads[h].metric,
		    "bootstrap") == 0)
			continue;
		fprintf(f, "\"%s\"", report_heads[h].label);
		fb = report_find(run, "fastboot", report_heads[h].metric,
		    report_heads[h].bytes);
		for (k = 0; k < REPORT_PEERS; k++) {
			double v = NAN;

			if (!report_ran(run, report_order[k]) ||
			    (what == 1 && k == 0))
				continue;
			s = report_find(run, report_order[k],
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
report_ncols(struct report_run *run, int skip_fastboot)
{
	int k, n = 0;

	for (k = 0; k < REPORT_PEERS; k++)
		if (report_ran(run, report_order[k]) &&
		    !(skip_fastboot && k == 0))
			n++;
	return n;
}

/* One clustered bar per system that ran, each in its own colour. */
static void
report_hist_plot(FILE *f, struct report_run *run, const char *dat,
    int skip_fastboot)
{
	int k, col = 2;

	fprintf(f, "plot ");
	for (k = 0; k < REPORT_PEERS; k++) {
		if (!report_ran(run, report_order[k]) ||
		    (skip_fastboot && k == 0))
			continue;
		fprintf(f, "%s'%s' using %d:xtic(1) title columnhead(%d) "
		    "lt %d", col > 2 ? ", " : "", dat, col, col, k + 1);
		col++;
	}
}

static int
report_plots(struct report_run *run)
{
	char path[PATH_MAX], cmd[PATH_MAX * 2 + 64];
	struct report_series *s;
	size_t i, k, maxit = 0;
	int c, first, rc;
	FILE *f;

	/* Per-iteration bootstrap samples and the size sweep, per system. */
	for (c = 0; c < REPORT_PEERS; c++) {
		snprintf(path, sizeof path, "%s/boot-%s.dat", run->outdir,
		    report_order[c]);
		if ((s = report_find(run, report_order[c], "bootstrap", 0)) !=
		    NULL && (f = fopen(path, "w")) != NULL) {
			for (k = 0; k < s->n; k++)
				fprintf(f, "%zu %.6g\n", k + 1,
				    s->samples[k] / 1e3);
			if (s->n > maxit)
				maxit = s->n;
			fclose(f);
		}
		snprintf(path, sizeof path, "%s/sweep-%s.dat", run->outdir,
		    report_order[c]);
		if ((f = fopen(path, "w")) == NULL)
			continue;
		for (i = 0; i < BENCH_NSIZES; i++)
			if ((s = report_find(run, report_order[c], "allgather",
			    bench_sizes[i])) != NULL)
				fprintf(f, "%zu %.6g %.6g %.6g\n",
				    bench_sizes[i], s->st.median, s->st.ci_lo,
				    s->st.ci_hi);
		fclose(f);
	}
	if (report_dat_heads(run, "mean.dat", 0) != 0 ||
	    report_dat_heads(run, "speedup.dat", 1) != 0 ||
	    report_dat_heads(run, "cpu.dat", 2) != 0)
		return -1;

	if ((f = report_open(run, "charts.gp", path, sizeof path)) == NULL)
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
	    "set xtics %zu\nset logscale y\nplot ", run->nranks,
	    maxit <= 20 ? (size_t)1 : (maxit + 19) / 20);
	for (c = 0, first = 1; c < REPORT_PEERS; c++)
		if (report_find(run, report_order[c], "bootstrap", 0) !=
		    NULL) {
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
	report_hist_plot(f, run, "mean.dat", 0);
	fprintf(f, "\n");
	if (report_ncols(run, 1) > 0) {
		fprintf(f, "set output 'speedup.svg'\nset title 'Speedup of "
		    "fastboot over each peer (peer median / fastboot median; "
		    "above 1: fastboot faster)'\nset ylabel 'x'\n");
		report_hist_plot(f, run, "speedup.dat", 1);
		fprintf(f, ", 1 with lines lc rgb 'black' dt 2 notitle\n");
	}
	fprintf(f, "set output 'cpu.svg'\nset title 'CPU time per operation, "
	    "all ranks + daemon/server'\nset ylabel 'us CPU per op'\n");
	report_hist_plot(f, run, "cpu.dat", 0);
	fprintf(f, "\n");
	/* Latency vs size. */
	fprintf(f, "set style data linespoints\nunset style\n"
	    "set xtics norotate\nset output 'sizes.svg'\n"
	    "set title 'Allgather latency vs bytes per rank (median)'\n"
	    "set xlabel 'bytes per rank'\nset ylabel 'us'\n"
	    "set logscale xy\nset xtics auto\nset autoscale xfix\n"
	    "set format x '%%.0s%%cB'\nplot ");
	for (c = 0, first = 1; c < REPORT_PEERS; c++)
		if (report_find(run, report_order[c], "allgather", 64) !=
		    NULL) {
			fprintf(f, "%s'sweep-%s.dat' using 1:2 with "
			    "linespoints lt %d title '%s'", first ? "" : ", ",
			    report_order[c], c + 1, report_order[c]);
			first = 0;
		}
	fprintf(f, "\n");
	if (fclose(f) != 0)
		return -1;
	if (run->gnuplot == NULL || *run->gnuplot == '\0')
		return -1;
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' charts.gp 2>gnuplot.log",
	    run->outdir, run->gnuplot);
	rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "bootstrap_benchmark: gnuplot failed (see "
		    "%s/gnuplot.log)\n", run->outdir);
		return -1;
	}
	return 0;
}

/* Copy an SVG into the page from its <svg element on. */
static void
report_embed(FILE *out, struct report_run *run, const char *name,
    const char *alt)
{
	char path[PATH_MAX], *buf = NULL, *p;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", run->outdir, name);
	if ((f = fopen(path, "r")) != NULL) {
		FILE *m = open_memstream(&buf, &len);
		char chunk[8192];
		size_t n;

		while (m != NULL && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
			fwrite(chunk, 1, n, m);
		if (m != NULL)
			fclose(m);
		fclose(f);
	}
	if (buf != NULL && (p = strstr(buf, "<svg")) != NULL)
		fprintf(out, "<figure>%s<figcaption>%s</figcaption></figure>\n",
		    p, alt);
	else
		fprintf(out, "<p class=\"warn\">Chart %s missing (gnuplot "
		    "absent or failed).</p>\n", name);
	free(buf);
}

struct report_target {
	char	 what[160];
	double	 measured, limit;	/* ratio or value vs its limit */
	int	 known;
};

static int
report_targets(struct report_run *run, struct report_target *t, int max)
{
	struct report_series *fb, *p;
	int n = 0;
	double need;

#define T(...) do { if (n < max) { memset(&t[n], 0, sizeof t[n]);	\
	snprintf(t[n].what, sizeof t[n].what, __VA_ARGS__); } } while (0)

	fb = report_find(run, "fastboot", "bootstrap", 0);
	T("fastboot bootstrap median <= 1 ms");
	if (fb != NULL) {
		t[n].measured = fb->st.median / 1e3;
		t[n].limit = 1;
		t[n].known = 1;
	}
	n++;
	p = report_find(run, "mscclpp", "bootstrap", 0);
	need = run->nranks >= 8 ? 50 : 5;
	T("fastboot bootstrap >= %.0fx faster than mscclpp's (speedup, "
	    "higher is better)", need);
	if (fb != NULL && p != NULL) {
		t[n].measured = p->st.median / fb->st.median;
		t[n].limit = -need;	/* a floor, not a ceiling */
		t[n].known = 1;
	}
	n++;
	fb = report_find(run, "fastboot", "barrier", 0);
	p = report_find(run, "PMIx", "barrier", 0);
	T("fastboot barrier <= 0.4x PMIx fence");
	if (fb != NULL && p != NULL) {
		t[n].measured = fb->st.median / p->st.median;
		t[n].limit = 0.4;
		t[n].known = 1;
	}
	n++;
	p = report_find(run, "shm-floor", "barrier", 0);
	T("fastboot barrier <= 2.5x the shared-memory floor");
	if (fb != NULL && p != NULL) {
		t[n].measured = fb->st.median / p->st.median;
		t[n].limit = 2.5;
		t[n].known = 1;
	}
	n++;
	fb = report_find(run, "fastboot", "allgather", 64);
	p = report_find(run, "PMIx", "allgather", 64);
	T("fastboot allgather 64 B <= 0.15x PMIx fence(collect)+get");
	if (fb != NULL && p != NULL) {
		t[n].measured = fb->st.median / p->st.median;
		t[n].limit = 0.15;
		t[n].known = 1;
	}
	n++;
	fb = report_find(run, "fastboot", "barrier", 0);
	p = report_find(run, "shm-floor", "barrier", 0);
	T("fastboot CPU per barrier (ranks + daemon) <= 2x the floor's");
	if (fb != NULL && p != NULL && report_cpu_total(p) > 0) {
		t[n].measured = report_cpu_total(fb) / report_cpu_total(p);
		t[n].limit = 2;
		t[n].known = 1;
	}
	n++;
#undef T
	return n;
}

static int
report_met(const struct report_target *t)
{
	if (t->limit < 0)
		return t->measured >= -t->limit;
	return t->measured <= t->limit;
}

static void
report_html_table(FILE *f, struct report_run *run)
{
	struct report_series *s;
	size_t i;

	fprintf(f, "<table><tr><th>system</th><th>measurement</th>"
	    "<th>bytes</th><th>n</th><th>mean</th><th>median</th>"
	    "<th>95%% CI of median</th><th>stddev</th><th>min</th>"
	    "<th>max</th><th>p90</th><th>p99</th><th>CPU/op ranks</th>"
	    "<th>CPU/op server</th></tr>\n");
	for (i = 0; i < run->nseries; i++) {
		s = &run->series[i];
		fprintf(f, "<tr><td>%s</td><td>%s</td><td>%zu</td><td>%zu</td>"
		    "<td>%.1f</td><td><b>%.1f</b></td><td>%.1f &ndash; %.1f"
		    "</td><td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>"
		    "<td>%.1f</td>", s->system, s->metric, s->bytes, s->n,
		    s->st.mean, s->st.median, s->st.ci_lo, s->st.ci_hi,
		    s->st.stddev, s->st.min, s->st.max, s->st.p90, s->st.p99);
		if (s->cpu_per_op_us >= 0)
			fprintf(f, "<td>%.1f</td>", s->cpu_per_op_us);
		else
			fprintf(f, "<td>&ndash;</td>");
		if (s->server_cpu_per_op_us >= 0)
			fprintf(f, "<td>%.1f</td>", s->server_cpu_per_op_us);
		else
			fprintf(f, "<td>&ndash;</td>");
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n<p>All times in microseconds. Latency samples "
	    "are per operation, the maximum over ranks; bootstrap samples are "
	    "per iteration, from the earliest rank's start to the last rank's "
	    "end. CPU/op ranks is getrusage(RUSAGE_SELF) user+system over the "
	    "timed loop, summed over ranks and divided by the op count; "
	    "CPU/op server is the same for fastbootd (fastboot) or mpirun, the "
	    "PMIx server (PMIx), from /proc.</p>\n");
}

static int
report_html(struct report_run *run)
{
	char path[PATH_MAX], cpu[256];
	struct report_target t[8];
	struct utsname un;
	long ncpu, mem;
	int k, nt;
	FILE *f;

	if ((f = report_open(run, "report.html", path, sizeof path)) == NULL)
		return -1;
	uname(&un);
	report_machine(cpu, sizeof cpu, &ncpu, &mem);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>fastboot bootstrap benchmark"
	    "</title>\n<style>\nbody{font-family:Helvetica,Arial,sans-serif;"
	    "margin:2em;max-width:1100px}\ntable{border-collapse:collapse;"
	    "font-size:90%%}\ntd,th{border:1px solid #ccc;padding:3px 6px;"
	    "text-align:right}\ntd:first-child,td:nth-child(2),th{text-align:"
	    "left}\nth{background:#f0f0f0}\n.warn{color:#a00;font-weight:bold}"
	    "\n.ok{color:#070}\nfigure{margin:1em 0}\nfigcaption{font-size:"
	    "90%%;color:#444}\n</style></head><body>\n"
	    "<h1>fastboot bootstrap benchmark</h1>\n");
	fprintf(f, "<p>%d ranks on <b>", run->nranks);
	report_html_str(f, un.nodename);
	fprintf(f, "</b> (");
	report_html_str(f, cpu);
	fprintf(f, ", %ld CPUs, %ld MiB, Linux ", ncpu, mem);
	report_html_str(f, un.release);
	fprintf(f, "); %d bootstrap iterations asked; run took %.1f s.</p>\n"
	    "<p>Versions: fastboot ", run->iterations, run->wall_s);
	report_html_str(f, run->fastboot_version);
	fprintf(f, "; MPI ");
	report_html_str(f, run->mpi_version);
	fprintf(f, "; PMIx ");
	report_html_str(f, run->pmix_version);
	fprintf(f, "; mscclpp ");
	report_html_str(f, run->mscclpp_version);
	fprintf(f, ".</p>\n<p>Systems measured: ");
	for (k = 0; k < run->nsystems; k++)
		fprintf(f, "%s<b>%s</b>", k ? ", " : "", run->systems[k]);
	fprintf(f, ".</p>\n");
	for (k = 0; k < run->nabsent; k++) {
		fprintf(f, "<p class=\"warn\">Not measured: ");
		report_html_str(f, run->absent[k]);
		fprintf(f, "</p>\n");
	}
	fprintf(f, "<p class=\"%s\">fastboot results checked byte for byte "
	    "(every allgather slice, alltoall cell and send/recv message, on "
	    "every rank): %llu checked, %llu bytes, %llu mismatches.</p>\n",
	    run->verify_failures ? "warn" : "ok",
	    run->verified_ops, run->verified_bytes, run->verify_failures);

	fprintf(f, "<h2>Targets (issue 3)</h2>\n<p>Stated for 8 ranks on a "
	    "2-vCPU machine (with 2 ranks, only the bootstrap speedup over "
	    "mscclpp has its own limit, 5x).</p>\n<table><tr><th>target</th>"
	    "<th>measured</th><th>limit</th><th>status</th></tr>\n");
	nt = report_targets(run, t, 8);
	for (k = 0; k < nt; k++) {
		fprintf(f, "<tr><td>%s</td>", t[k].what);
		if (!t[k].known)
			fprintf(f, "<td>&ndash;</td><td>&ndash;</td><td>not "
			    "measurable in this run</td></tr>\n");
		else
			fprintf(f, "<td>%.4g</td><td>%s%.3g</td>"
			    "<td class=\"%s\">%s</td></tr>\n", t[k].measured,
			    t[k].limit < 0 ? "&ge; " : "&le; ",
			    fabs(t[k].limit), report_met(&t[k]) ? "ok" : "warn",
			    report_met(&t[k]) ? "met" : "missed");
	}
	fprintf(f, "</table>\n");

	fprintf(f, "<h2>Charts</h2>\n");
	report_embed(f, run, "bootstrap.svg", "Bootstrap time per iteration "
	    "for each system.");
	report_embed(f, run, "mean.svg", "Average (mean) latency of each "
	    "headline operation.");
	report_embed(f, run, "speedup.svg", "Speedup of fastboot over each "
	    "peer, by medians.");
	report_embed(f, run, "sizes.svg", "Allgather latency against bytes "
	    "per rank.");
	report_embed(f, run, "cpu.svg", "CPU time per operation, summed over "
	    "ranks, plus the daemon's or server's.");
	fprintf(f, "<h2>Statistics</h2>\n");
	report_html_table(f, run);
	fprintf(f, "<h2>Method and notes</h2>\n<ul>\n");
	for (k = 0; k < run->nnotes; k++) {
		fprintf(f, "<li>");
		report_html_str(f, run->notes[k]);
		fprintf(f, "</li>\n");
	}
	fprintf(f, "<li>Send/recv is a ping-pong round trip of 64 B between "
	    "rank pairs (0-1, 2-3, ...), all pairs at once.</li>\n"
	    "<li>Every allgather, alltoall and send/recv result of every "
	    "system is checked byte for byte outside the timed region.</li>\n"
	    "<li>Raw samples: samples.csv; summary: summary.json.</li>\n"
	    "</ul>\n</body></html>\n");
	return fclose(f) == 0 ? 0 : -1;
}

int
report_write(struct report_run *run)
{
	int rc = 0;

	if (report_csv(run) != 0 || report_json(run) != 0)
		rc = -1;
	if (report_plots(run) != 0)
		fprintf(stderr, "bootstrap_benchmark: charts not drawn\n");
	if (report_html(run) != 0)
		rc = -1;
	return rc;
}

void
report_text_summary(struct report_run *run)
{
	struct report_series *s, *fb;
	struct report_target t[8];
	size_t h;
	int k, nt;

	printf("\nbootstrap_benchmark: %d ranks, medians in us "
	    "(CPU us/op, ranks + server)\n%-18s", run->nranks, "");
	for (k = 0; k < REPORT_PEERS; k++)
		if (report_ran(run, report_order[k]))
			printf(" %18s", report_order[k]);
	printf("\n");
	for (h = 0; h < REPORT_NHEADS; h++) {
		printf("%-18s", report_heads[h].label);
		for (k = 0; k < REPORT_PEERS; k++) {
			char cell[64];

			if (!report_ran(run, report_order[k]))
				continue;
			s = report_find(run, report_order[k],
			    report_heads[h].metric, report_heads[h].bytes);
			if (s == NULL)
				snprintf(cell, sizeof cell, "-");
			else if (isfinite(report_cpu_total(s)))
				snprintf(cell, sizeof cell, "%.1f (%.0f)",
				    s->st.median, report_cpu_total(s));
			else
				snprintf(cell, sizeof cell, "%.1f",
				    s->st.median);
			printf(" %18s", cell);
		}
		printf("\n");
	}
	printf("\nspeedup of fastboot (peer median / fastboot median):\n");
	for (h = 0; h < REPORT_NHEADS; h++) {
		fb = report_find(run, "fastboot", report_heads[h].metric,
		    report_heads[h].bytes);
		if (fb == NULL || fb->st.median <= 0)
			continue;
		for (k = 1; k < REPORT_PEERS; k++)
			if (report_find(run, report_order[k],
			    report_heads[h].metric, report_heads[h].bytes))
				break;
		if (k == REPORT_PEERS)
			continue;
		printf("  %-16s", report_heads[h].label);
		for (k = 1; k < REPORT_PEERS; k++) {
			s = report_find(run, report_order[k],
			    report_heads[h].metric, report_heads[h].bytes);
			if (s != NULL)
				printf("  %s %.2fx", report_order[k],
				    s->st.median / fb->st.median);
		}
		printf("\n");
	}
	nt = report_targets(run, t, 8);
	printf("\ntargets:\n");
	for (k = 0; k < nt; k++) {
		if (!t[k].known)
			printf("  n/a     %s\n", t[k].what);
		else
			printf("  %-7s %s: %.4g (limit %s%.3g)\n",
			    report_met(&t[k]) ? "met" : "MISSED", t[k].what,
			    t[k].measured, t[k].limit < 0 ? ">= " : "<= ",
			    fabs(t[k].limit));
	}
	for (k = 0; k < run->nabsent; k++)
		printf("not measured: %s\n", run->absent[k]);
	printf("fastboot results verified byte for byte: %llu (%llu bytes), "
	    "%llu mismatches\n", run->verified_ops, run->verified_bytes,
	    run->verify_failures);
	printf("report: %s/report.html (CSV: %s/samples.csv, JSON: "
	    "%s/summary.json)\n", run->outdir, run->outdir, run->outdir);
}
