/*
 * report_html.c - one self-contained HTML page: the run's header (machine,
 * commit, configure flags, CPU binding, which fastbootd), what became of
 * each system, the targets, the charts inline, every statistic.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/report.h"

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

/* Copy an SVG into the page from its <svg element on. */
static void
report_embed(FILE *out, struct report *r, const char *name,
    const char *alt)
{
	char path[PATH_MAX], *buf = NULL, *p;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", r->outdir, name);
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

static void
report_html_table(FILE *f, struct report *r)
{
	struct bench_series *s;
	size_t i;

	fprintf(f, "<table><tr><th>system</th><th>measurement</th>"
	    "<th>bytes</th><th>n</th><th>mean</th><th>median</th>"
	    "<th>95%% CI of median</th><th>stddev</th><th>min</th>"
	    "<th>max</th><th>p90</th><th>p99</th><th>CPU/op ranks</th>"
	    "<th>CPU/op server</th></tr>\n");
	for (i = 0; i < r->run.nseries; i++) {
		s = &r->run.series[i];
		fprintf(f, "<tr><td>");
		report_html_str(f, s->system);
		fprintf(f, "</td><td>");
		report_html_str(f, s->metric);
		fprintf(f, "</td><td>%zu</td><td>%zu</td>"
		    "<td>%.1f</td><td><b>%.1f</b></td><td>%.1f &ndash; %.1f"
		    "</td><td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>"
		    "<td>%.1f</td>", s->bytes, s->n,
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
	    "end; bootstrap-from-id leaves out the launcher's MPI_Bcast of "
	    "the id: from when the last rank held it to the last rank's end "
	    "(PMIx, which has no id: PMIx_Init + the first fence from the "
	    "last rank's start). CPU/op ranks is getrusage(RUSAGE_SELF) "
	    "user+system over the timed loop, summed over ranks and divided "
	    "by the op count; "
	    "CPU/op server is the same for fastbootd (fastboot) or mpirun, the "
	    "PMIx server (PMIx), from /proc.</p>\n");
}

/* One line of the header: a label and an escaped value. */
static void
report_html_item(FILE *f, const char *label, const char *value)
{
	fprintf(f, "<tr><th>%s</th><td>", label);
	report_html_str(f, value != NULL ? value : "unknown");
	fprintf(f, "</td></tr>\n");
}

static void
report_html_header(FILE *f, struct report *r)
{
	const struct bench_run *run = &r->run;
	char buf[512];

	fprintf(f, "<table class=\"meta\">\n");
	snprintf(buf, sizeof buf, "%s (%s, %ld CPUs, %ld MiB, Linux %s)",
	    run->host ? run->host : "unknown", run->cpu ? run->cpu : "unknown",
	    run->ncpus, run->memory_mb, run->kernel ? run->kernel : "unknown");
	report_html_item(f, "machine", buf);
	report_html_item(f, "started", run->started);
	snprintf(buf, sizeof buf, "%d ranks, %d bootstrap iterations asked, "
	    "%.2f s per measurement; the run took %.1f s", run->nranks,
	    run->iterations, run->budget_s, run->wall_s);
	report_html_item(f, "run", buf);
	report_html_item(f, "commit", run->commit);
	report_html_item(f, "configure flags", run->configure == NULL ? NULL :
	    *run->configure == '\0' ? "(none)" : run->configure);
	report_html_item(f, "CPU binding", run->binding);
	report_html_item(f, "fastbootd", run->daemon);
	snprintf(buf, sizeof buf, "fastboot %s; MPI %s; PMIx %s; mscclpp %s; "
	    "gnuplot %s", run->fastboot_version ? run->fastboot_version : "?",
	    run->mpi_version ? run->mpi_version : "?",
	    run->pmix_version ? run->pmix_version : "?",
	    run->mscclpp_version ? run->mscclpp_version : "?",
	    r->gnuplot_version);
	report_html_item(f, "versions", buf);
	fprintf(f, "</table>\n");
}

/* What became of each system: ran (and checked), failed, not measured. */
static void
report_html_systems(FILE *f, struct report *r)
{
	const struct bench_sysres *s;
	int k;

	fprintf(f, "<ul>\n");
	for (k = 0; k < r->run.nsys; k++) {
		s = &r->run.sys[k];
		switch (s->status) {
		case BENCH_RAN:
			fprintf(f, "<li class=\"%s\"><b>", s->mismatches ?
			    "warn" : "ok");
			report_html_str(f, s->name);
			fprintf(f, "</b>: measured; every allgather slice, "
			    "alltoall cell and send/recv message checked byte "
			    "for byte on every rank: %llu checked, %llu bytes, "
			    "%llu mismatches</li>\n", s->checked,
			    s->checked_bytes, s->mismatches);
			break;
		case BENCH_FAILED:
			fprintf(f, "<li class=\"warn\"><b>");
			report_html_str(f, s->name);
			fprintf(f, "</b>: FAILED: ");
			report_html_str(f, s->why ? s->why : "?");
			fprintf(f, "</li>\n");
			break;
		case BENCH_ABSENT:
			fprintf(f, "<li class=\"warn\"><b>");
			report_html_str(f, s->name);
			fprintf(f, "</b>: not measured: ");
			report_html_str(f, s->why ? s->why : "?");
			fprintf(f, "</li>\n");
			break;
		}
	}
	fprintf(f, "</ul>\n");
}

static void
report_html_targets(FILE *f, struct report *r)
{
	const struct report_target *t;
	int k;

	fprintf(f, "<h2>Targets</h2>\n");
	if (r->targets_note != NULL) {
		fprintf(f, "<p>");
		report_html_str(f, r->targets_note);
		fprintf(f, "</p>\n");
	}
	fprintf(f, "<table><tr><th>target</th><th>measured</th>"
	    "<th>limit</th><th>status</th></tr>\n");
	for (k = 0; k < r->ntargets; k++) {
		t = &r->targets[k];
		fprintf(f, "<tr><td>");
		report_html_str(f, t->what);
		if (!t->known)
			fprintf(f, "</td><td>&ndash;</td><td>%s%.3g</td>"
			    "<td>not measurable in this run</td></tr>\n",
			    t->at_least ? "&ge; " : "&le; ", t->limit);
		else
			fprintf(f, "</td><td>%.4g</td><td>%s%.3g</td>"
			    "<td class=\"%s\">%s</td></tr>\n", t->measured,
			    t->at_least ? "&ge; " : "&le; ", t->limit,
			    t->met ? "ok" : "warn", t->met ? "met" : "missed");
	}
	fprintf(f, "</table>\n");
}

int
report_html(struct report *r)
{
	char path[PATH_MAX];
	int k;
	FILE *f;

	if ((f = report_open(r, "report.html", path, sizeof path)) == NULL)
		return -1;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>fastboot bootstrap benchmark"
	    "</title>\n<style>\nbody{font-family:Helvetica,Arial,sans-serif;"
	    "margin:2em;max-width:1100px}\ntable{border-collapse:collapse;"
	    "font-size:90%%}\ntd,th{border:1px solid #ccc;padding:3px 6px;"
	    "text-align:right}\ntd:first-child,td:nth-child(2),th{text-align:"
	    "left}\nth{background:#f0f0f0}\n.meta td{text-align:left}\n"
	    ".warn{color:#a00;font-weight:bold}\n.ok{color:#070}\n"
	    "figure{margin:1em 0}\nfigcaption{font-size:90%%;color:#444}\n"
	    "</style></head><body>\n<h1>fastboot bootstrap benchmark</h1>\n");
	report_html_header(f, r);
	report_html_systems(f, r);
	report_html_targets(f, r);
	report_boot_html(f, r);

	fprintf(f, "<h2>Charts</h2>\n");
	report_embed(f, r, "bootstrap.svg", "Bootstrap time per iteration "
	    "for each system.");
	report_embed(f, r, "mean.svg", "Average (mean) latency of each "
	    "headline operation.");
	report_embed(f, r, "speedup.svg", "Speedup of fastboot over each "
	    "peer, by medians.");
	report_embed(f, r, "sizes.svg", "Allgather latency against bytes "
	    "per rank.");
	report_embed(f, r, "cpu.svg", "CPU time per operation, summed over "
	    "ranks, plus the daemon's or server's.");
	fprintf(f, "<h2>Statistics</h2>\n");
	report_html_table(f, r);
	fprintf(f, "<h2>Method and notes</h2>\n<ul>\n");
	for (k = 0; k < r->run.nnotes; k++) {
		fprintf(f, "<li>");
		report_html_str(f, r->run.notes[k]);
		fprintf(f, "</li>\n");
	}
	fprintf(f, "<li>Send/recv is a ping-pong round trip of 64 B between "
	    "rank pairs (0-1, 2-3, ...), all pairs at once.</li>\n"
	    "<li>Every allgather, alltoall and send/recv result of every "
	    "system is checked byte for byte outside the timed region.</li>\n"
	    "<li>Raw samples: results.json (with the summary statistics) and "
	    "samples.csv; this page is rendered from results.json by "
	    "bench_report, which renders an old run again: "
	    "<code>bench_report results.json -o DIR</code>.</li>\n"
	    "</ul>\n</body></html>\n");
	return fclose(f) == 0 ? 0 : -1;
}
