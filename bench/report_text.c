/*
 * report_text.c - the samples as CSV, and the text summary printed at the
 * end of a run: medians per system, speedups, targets, what failed or was
 * not measured, and where the report is.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/report.h"

int
report_csv(struct report *r)
{
	const struct bench_series *s;
	char path[PATH_MAX];
	size_t i, k;
	FILE *f;

	if ((f = report_open(r, "samples.csv", path, sizeof path)) == NULL)
		return -1;
	fprintf(f, "system,metric,bytes,index,latency_us\n");
	for (i = 0; i < r->run.nseries; i++) {
		s = &r->run.series[i];
		for (k = 0; k < s->n; k++)
			fprintf(f, "%s,%s,%zu,%zu,%.3f\n", s->system,
			    s->metric, s->bytes, k, s->samples[k]);
	}
	return fclose(f) == 0 ? 0 : -1;
}

static void
report_text_table(struct report *r)
{
	struct bench_series *s;
	char cell[64];
	size_t h;
	int k;

	printf("\n%d ranks, medians in us (CPU us/op, ranks + server)\n%-18s",
	    r->run.nranks, "");
	for (k = 0; k < REPORT_PEERS; k++)
		if (report_ran(r, report_order[k]))
			printf(" %18s", report_order[k]);
	printf("\n");
	for (h = 0; h < report_nheads; h++) {
		printf("%-18s", report_heads[h].label);
		for (k = 0; k < REPORT_PEERS; k++) {
			if (!report_ran(r, report_order[k]))
				continue;
			s = report_find(r, report_order[k],
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
}

static void
report_text_speedup(struct report *r)
{
	struct bench_series *s, *fb;
	char line[256];
	size_t h, off;
	int k, head = 0;

	if (!report_ran(r, "fastboot"))
		return;
	for (h = 0; h < report_nheads; h++) {
		fb = report_find(r, "fastboot", report_heads[h].metric,
		    report_heads[h].bytes);
		if (fb == NULL || fb->st.median <= 0)
			continue;
		off = 0;
		line[0] = '\0';
		for (k = 1; k < REPORT_PEERS && off < sizeof line; k++) {
			if (!report_ran(r, report_order[k]) ||
			    (s = report_find(r, report_order[k],
			    report_heads[h].metric,
			    report_heads[h].bytes)) == NULL)
				continue;
			off += (size_t)snprintf(line + off, sizeof line - off,
			    "  %s %.2fx", report_order[k],
			    s->st.median / fb->st.median);
		}
		if (off == 0)
			continue;
		if (!head++)
			printf("\nspeedup of fastboot (peer median / fastboot "
			    "median):\n");
		printf("  %-16s%s\n", report_heads[h].label, line);
	}
}

static void
report_text_targets(struct report *r)
{
	const struct report_target *t;
	int k;

	printf("\ntargets (%s):\n", r->targets_path);
	for (k = 0; k < r->ntargets; k++) {
		t = &r->targets[k];
		if (!t->known)
			printf("  n/a     %s (limit %s%.3g): not measurable in "
			    "this run\n", t->what, t->at_least ? ">= " : "<= ",
			    t->limit);
		else
			printf("  %-7s %s: %.4g (limit %s%.3g)\n",
			    t->met ? "met" : "MISSED", t->what, t->measured,
			    t->at_least ? ">= " : "<= ", t->limit);
	}
}

void
report_text(struct report *r)
{
	const struct bench_sysres *s;
	int k;

	printf("\ncommit %s, configure %s\nCPU binding: %s\nfastbootd: %s\n",
	    r->run.commit ? r->run.commit : "unknown",
	    r->run.configure == NULL ? "unknown" : *r->run.configure ?
	    r->run.configure : "(no flags)",
	    r->run.binding ? r->run.binding : "unknown",
	    r->run.daemon ? r->run.daemon : "unknown");
	report_text_table(r);
	report_text_speedup(r);
	report_text_targets(r);
	report_boot_text(r);
	printf("\n");
	for (k = 0; k < r->run.nsys; k++) {
		s = &r->run.sys[k];
		switch (s->status) {
		case BENCH_RAN:
			printf("%s: results verified byte for byte: %llu "
			    "(%llu bytes), %llu mismatches\n", s->name,
			    s->checked, s->checked_bytes, s->mismatches);
			break;
		case BENCH_FAILED:
			printf("%s: FAILED: %s\n", s->name,
			    s->why ? s->why : "?");
			break;
		case BENCH_ABSENT:
			printf("%s: not measured: %s\n", s->name,
			    s->why ? s->why : "?");
			break;
		}
	}
	printf("report: %s/report.html (from %s; CSV: %s/samples.csv)\n",
	    r->outdir, r->results_path, r->outdir);
}
