/*
 * report_nodes.c - bootstrap and barrier against the number of nodes: one
 * page (nodes.html, with nodes.svg inline and a table) from the
 * results.json of runs over 1, 2, 4 ... simulated nodes
 * (scripts/run-benchmark.sh --nodes, bench/run_nodes.sh).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/report.h"

#define NODES_MAX_RUNS	32

/* The columns: system, metric, bytes, heading. */
static const struct {
	const char	*sys;
	const char	*metric;
	size_t		 bytes;
	const char	*label;
} nodes_cols[] = {
	{ "fastboot", "bootstrap-first", 0,
	    "fastboot first bootstrap (cold links)" },
	{ "fastboot", "bootstrap", 0, "fastboot bootstrap (warm links)" },
	{ "fastboot", "barrier", 0, "fastboot barrier" },
	{ "fastboot", "allgather", 64, "fastboot allgather 64 B" },
	{ "PMIx", "bootstrap", 0, "PMIx_Init" },
	{ "PMIx", "barrier", 0, "PMIx fence" },
	{ "mscclpp", "bootstrap", 0, "mscclpp bootstrap" },
	{ "mscclpp", "barrier", 0, "mscclpp barrier" },
};
#define NODES_NCOLS (sizeof nodes_cols / sizeof nodes_cols[0])

struct nodes_row {
	int	 nodes;
	int	 ranks;
	double	 v[NODES_NCOLS];	/* medians, us; NAN: not measured */
};

static int
nodes_cmp(const void *a, const void *b)
{
	const struct nodes_row *x = a, *y = b;

	return (x->nodes > y->nodes) - (x->nodes < y->nodes);
}

int
report_nodes(const char *outdir, char *const paths[], int npaths,
    const char *gnuplot)
{
	struct nodes_row rows[NODES_MAX_RUNS];
	char path[4096], err[1024];
	struct bench_series *s;
	struct report r;
	size_t c;
	int i, n = 0;
	FILE *f;

	if (npaths > NODES_MAX_RUNS) {
		fprintf(stderr, "bench_report: --nodes: at most %d runs\n",
		    NODES_MAX_RUNS);
		return 1;
	}
	for (i = 0; i < npaths; i++) {
		memset(&r, 0, sizeof r);
		if (report_load(&r, paths[i], err, sizeof err) != 0) {
			fprintf(stderr, "bench_report: %s\n", err);
			report_free(&r);
			return 1;
		}
		rows[n].nodes = r.run.nodes > 0 ? r.run.nodes : 1;
		rows[n].ranks = r.run.nranks;
		for (c = 0; c < NODES_NCOLS; c++) {
			s = report_find(&r, nodes_cols[c].sys,
			    nodes_cols[c].metric, nodes_cols[c].bytes);
			rows[n].v[c] = s != NULL && s->n > 0 ? s->st.median :
			    NAN;
		}
		report_free(&r);
		n++;
	}
	qsort(rows, (size_t)n, sizeof rows[0], nodes_cmp);

	snprintf(path, sizeof path, "%s/nodes.dat", outdir);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "bench_report: %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	fprintf(f, "# nodes ranks");
	for (c = 0; c < NODES_NCOLS; c++)
		fprintf(f, " \"%s\"", nodes_cols[c].label);
	fprintf(f, "\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "%d %d", rows[i].nodes, rows[i].ranks);
		for (c = 0; c < NODES_NCOLS; c++)
			if (isnan(rows[i].v[c]))
				fprintf(f, " NaN");
			else
				fprintf(f, " %.3f", rows[i].v[c]);
		fprintf(f, "\n");
	}
	if (fclose(f) != 0)
		return 1;

	snprintf(path, sizeof path, "%s/nodes.gp", outdir);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "bench_report: %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	fprintf(f, "set terminal svg size 760,420 dynamic font 'sans,11'\n"
	    "set output 'nodes.svg'\nset title 'Bootstrap and barrier "
	    "against nodes (medians)'\nset xlabel 'simulated nodes'\n"
	    "set ylabel 'us'\nset logscale xy 2\nset format y '%%g'\n"
	    "set key top left\nset grid\nset datafile missing 'NaN'\n"
	    "plot ");
	for (c = 0; c < NODES_NCOLS; c++)
		fprintf(f, "%s'nodes.dat' using 1:%zu with linespoints "
		    "title '%s'", c ? ", " : "", c + 3, nodes_cols[c].label);
	fprintf(f, "\n");
	if (fclose(f) != 0)
		return 1;

	snprintf(path, sizeof path, "%s/nodes.html", outdir);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "bench_report: %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>fastboot across simulated nodes</title></head><body>\n"
	    "<h1>Bootstrap and barrier against nodes</h1>\n<p>Each row is "
	    "one run of bootstrap_benchmark over network namespaces, one "
	    "fastbootd per namespace, the ranks spread evenly (its own "
	    "report is in <code>nodes-M/</code>).  Medians in &micro;s.  "
	    "Spinning transports see ~8 ms steps over veth on a small VM "
	    "(packets wait for a scheduler tick while the vCPUs spin); "
	    "event-driven ones do not.</p>\n");
	(void)report_chart(f, gnuplot, outdir, "nodes.gp", "nodes.svg",
	    "gnuplot-nodes.log");
	fprintf(f, "<table border=\"1\" cellpadding=\"4\"><tr><th>nodes"
	    "</th><th>ranks</th>");
	for (c = 0; c < NODES_NCOLS; c++)
		fprintf(f, "<th>%s</th>", nodes_cols[c].label);
	fprintf(f, "</tr>\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "<tr><td><a href=\"nodes-%d/report.html\">%d</a>"
		    "</td><td>%d</td>", rows[i].nodes, rows[i].nodes,
		    rows[i].ranks);
		for (c = 0; c < NODES_NCOLS; c++)
			if (isnan(rows[i].v[c]))
				fprintf(f, "<td>&ndash;</td>");
			else
				fprintf(f, "<td>%.1f</td>", rows[i].v[c]);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n</body></html>\n");
	if (fclose(f) != 0)
		return 1;
	printf("bench_report: %d runs over 1..%d nodes: %s/nodes.html\n", n,
	    n > 0 ? rows[n - 1].nodes : 0, outdir);
	for (i = 0; i < n; i++) {
		printf("  %2d nodes x %d ranks, us:", rows[i].nodes,
		    rows[i].ranks / rows[i].nodes);
		for (c = 0; c < 4; c++)
			printf("  %s %.1f", nodes_cols[c].metric,
			    rows[i].v[c]);
		printf("\n");
	}
	return 0;
}
