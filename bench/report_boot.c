/*
 * report_boot.c - where a fastboot bootstrap spends its time (the phases of
 * results.json's "bootstrap:PHASE" series), and a run with a CPU for every
 * rank beside an oversubscribed one (bench_report --beside): their medians
 * side by side and the targets that only the smaller run can measure.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/report.h"

static const struct {
	const char	*metric;
	const char	*what;
} boot_phases[] = {
	{ "bootstrap:getid", "rank 0: fb_get_unique_id" },
	{ "bootstrap:id", "the id broadcast (MPI_Bcast)" },
	{ "bootstrap:connect", "connect to fastbootd" },
	{ "bootstrap:nodemap", "node map (launcher environment or PMIx)" },
	{ "bootstrap:sent", "HELLO+JOIN written" },
	{ "bootstrap:join_ack", "JOIN_ACK read (every rank's JOIN handled)" },
	{ "bootstrap:mmap", "rank table mapped, epoll set up" },
	{ "bootstrap:ready", "READY read (the last rank joined)" },
	{ "bootstrap:barrier", "first barrier done" },
};
#define BOOT_NPHASES	(sizeof boot_phases / sizeof boot_phases[0])

/*
 * The run's hand-offs (bench/machine.c) in a sentence, us written as unit:
 * what fastboot's bootstrap pays over the floor's on this machine.  0 if
 * the run did not measure them.
 */
static int
boot_handoff(struct report *r, const char *unit, char *buf, size_t len)
{
	const struct bench_series *s = report_find(r, "machine", "handoff",
	    0), *idle = report_find(r, "machine", "handoff-idle", 0);

	if (s == NULL || s->n == 0 || idle == NULL || idle->n == 0)
		return 0;
	snprintf(buf, len, "A round trip between two processes that sleep "
	    "while they wait (a byte each way over a Unix socket, each side "
	    "asleep in poll()) takes %.1f %s back to back and %.1f %s when "
	    "each side was idle for 1 ms first, on this machine (medians of "
	    "%zu, %d ranks in the run).  fastboot's bootstrap makes one such "
	    "round trip that the floor's does not: a rank's JOIN wakes "
	    "fastbootd, and its JOIN_ACK wakes the rank.", s->st.median, unit,
	    idle->st.median, unit, s->n, r->run.nranks);
	return 1;
}

static void
boot_html_phases(FILE *f, struct report *r)
{
	char line[512];
	double v, prev = 0, floor;
	size_t i;

	if (report_find(r, "fastboot", boot_phases[BOOT_NPHASES - 1].metric,
	    0) == NULL)
		return;
	fprintf(f, "<h2>Where fastboot's bootstrap goes</h2>\n<p>Per "
	    "iteration, by when every rank had ended each phase, in &micro;s "
	    "from the first rank's start (median over iterations; the step "
	    "is the difference of consecutive medians).  The library's phases "
	    "come from fb_comm_init's debug line.</p>\n<table><tr><th>phase"
	    "</th><th>what</th><th>ended by</th><th>step</th></tr>\n");
	for (i = 0; i < BOOT_NPHASES; i++) {
		v = report_median(r, "fastboot", boot_phases[i].metric, 0);
		fprintf(f, "<tr><td>%s</td><td>%s</td>", boot_phases[i].metric +
		    strlen("bootstrap:"), boot_phases[i].what);
		if (isnan(v))
			fprintf(f, "<td>&ndash;</td><td>&ndash;</td></tr>\n");
		else {
			fprintf(f, "<td>%.1f</td><td>%.1f</td></tr>\n", v,
			    i == 0 ? v : v - prev);
			prev = v;
		}
	}
	fprintf(f, "</table>\n");
	floor = report_median(r, "shm-floor", "bootstrap", 0);
	if (!isnan(floor))
		fprintf(f, "<p>The shared-memory floor's whole bootstrap "
		    "(shm_open, the same MPI_Bcast, mmap, a futex barrier): "
		    "%.1f &micro;s.</p>\n", floor);
	if (boot_handoff(r, "&micro;s", line, sizeof line))
		fprintf(f, "<p>%s</p>\n", line);
	if (r->beside != NULL &&
	    boot_handoff(r->beside, "&micro;s", line, sizeof line))
		fprintf(f, "<p>In the %d-rank run beside: %s</p>\n",
		    r->beside->run.nranks, line);
}

/* The medians of one run, one column per system that ran. */
static void
boot_html_medians(FILE *f, struct report *r)
{
	struct bench_series *s;
	size_t h;
	int k;

	fprintf(f, "<table><tr><th>%d ranks</th>", r->run.nranks);
	for (k = 0; k < REPORT_PEERS; k++)
		if (report_ran(r, report_order[k]))
			fprintf(f, "<th>%s</th>", report_order[k]);
	fprintf(f, "</tr>\n");
	for (h = 0; h < report_nheads; h++) {
		fprintf(f, "<tr><td>%s</td>", report_heads[h].label);
		for (k = 0; k < REPORT_PEERS; k++) {
			if (!report_ran(r, report_order[k]))
				continue;
			s = report_find(r, report_order[k],
			    report_heads[h].metric, report_heads[h].bytes);
			if (s == NULL || s->n == 0)
				fprintf(f, "<td>&ndash;</td>");
			else if (isfinite(report_cpu_total(s)))
				fprintf(f, "<td>%.1f (%.0f)</td>", s->st.median,
				    report_cpu_total(s));
			else
				fprintf(f, "<td>%.1f</td>", s->st.median);
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
}

static void
boot_html_beside(FILE *f, struct report *r)
{
	struct report *b = r->beside;
	const struct report_target *t;
	int k;

	if (b == NULL)
		return;
	fprintf(f, "<h2>%d ranks beside %d ranks</h2>\n<p>Medians in "
	    "&micro;s (CPU &micro;s per op, ranks and server).  <b>%d ranks "
	    "on %ld CPUs punish spinning peers</b>: a rank that spins while "
	    "it waits takes the CPU from the rank it waits for, so MPI's "
	    "spinning collectives and fastboot's adaptive wait (which does "
	    "not spin when there are more local ranks than CPUs) are seen at "
	    "their worst there.  With %d ranks every rank has a CPU of its "
	    "own, as on a real GPU node, and fastboot spins up to "
	    "FASTBOOT_SPIN_US before it sleeps.</p>\n<div style=\"display:"
	    "flex;gap:2em;align-items:flex-start\"><div>\n", r->run.nranks,
	    b->run.nranks, r->run.nranks, r->run.ncpus, b->run.nranks);
	boot_html_medians(f, r);
	fprintf(f, "</div><div>\n");
	boot_html_medians(f, b);
	fprintf(f, "</div></div>\n<p>Targets measured in the %d-rank run "
	    "(its own report: <a href=\"ranks-%d/report.html\">ranks-%d/"
	    "</a>):</p>\n<table><tr><th>target</th><th>measured</th><th>"
	    "limit</th><th>status</th></tr>\n", b->run.nranks, b->run.nranks,
	    b->run.nranks);
	for (k = 0; k < b->ntargets; k++) {
		t = &b->targets[k];
		fprintf(f, "<tr><td>%s</td>", t->what);
		if (!t->known)
			fprintf(f, "<td>&ndash;</td><td>%s%.3g</td><td>not "
			    "measurable in this run</td></tr>\n", t->at_least ?
			    "&ge; " : "&le; ", t->limit);
		else
			fprintf(f, "<td>%.4g</td><td>%s%.3g</td><td "
			    "class=\"%s\">%s</td></tr>\n", t->measured,
			    t->at_least ? "&ge; " : "&le; ", t->limit,
			    t->met ? "ok" : "warn", t->met ? "met" :
			    "missed");
	}
	fprintf(f, "</table>\n");
}

void
report_boot_html(FILE *f, struct report *r)
{
	boot_html_beside(f, r);
	boot_html_phases(f, r);
}

void
report_boot_text(struct report *r)
{
	const struct report_target *t;
	char line[512];
	double v, prev = 0;
	size_t i;
	int k;

	if (report_find(r, "fastboot", boot_phases[BOOT_NPHASES - 1].metric,
	    0) != NULL) {
		printf("\nfastboot bootstrap phases (us from the first rank's "
		    "start, medians: ended by / step):\n");
		for (i = 0; i < BOOT_NPHASES; i++) {
			v = report_median(r, "fastboot", boot_phases[i].metric,
			    0);
			if (isnan(v))
				continue;
			printf("  %-10s %9.1f %9.1f  %s\n",
			    boot_phases[i].metric + strlen("bootstrap:"), v,
			    i == 0 ? v : v - prev, boot_phases[i].what);
			prev = v;
		}
	}
	if (boot_handoff(r, "us", line, sizeof line))
		printf("%s\n", line);
	if (r->beside == NULL)
		return;
	printf("\nbeside: the %d-rank run (%s), targets:\n",
	    r->beside->run.nranks, r->beside->results_path);
	for (k = 0; k < r->beside->ntargets; k++) {
		t = &r->beside->targets[k];
		if (t->known)
			printf("  %-7s %s: %.4g (limit %s %.3g)\n", t->met ?
			    "met" : "MISSED", t->what, t->measured,
			    t->at_least ? ">=" : "<=", t->limit);
		else
			printf("  n/a     %s (limit %s %.3g): not measurable "
			    "in this run\n", t->what, t->at_least ? ">=" : "<=",
			    t->limit);
	}
	if (boot_handoff(r->beside, "us", line, sizeof line))
		printf("  beside: %s\n", line);
}
