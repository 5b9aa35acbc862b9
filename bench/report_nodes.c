/*
 * report_nodes.c - bootstrap and barrier against the number of nodes: one
 * page (nodes.html, with nodes.svg inline, a table and the cross-run
 * targets) from the results.json of runs over 1, 2, 4 ... simulated nodes
 * (scripts/run-benchmark.sh --nodes, bench/run_nodes.sh).
 *
 * Bootstrap is shown twice for each system.  "Id in hand" is init + first
 * barrier from when the last rank held the job's id to when the last rank
 * was through the barrier: what the system itself costs.  "Total" adds
 * the launcher's MPI_Bcast of the id (fastboot's and mscclpp's ids both
 * travel that way), which between namespaces is MPI over TCP and
 * dominates.  PMIx has no id to broadcast (the launcher's environment
 * names the job): its "id in hand" is PMIx_Init + the first fence from the
 * last rank's start, its total PMIx_Init alone as in the one-node report.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bench/report.h"

#define NODES_MAX_RUNS	32

/* The columns: system, metric, bytes, heading, drawn in the chart. */
static const struct {
	const char	*sys;
	const char	*metric;
	size_t		 bytes;
	const char	*label;
	int		 plot;
} nodes_cols[] = {
	{ "fastboot", "bootstrap-from-id", 0,
	    "fastboot bootstrap, id in hand (warm links)", 1 },
	{ "fastboot", "bootstrap", 0,
	    "fastboot bootstrap total (with MPI_Bcast of the id)", 1 },
	{ "fastboot", "bootstrap-first-from-id", 0,
	    "fastboot first bootstrap, id in hand (cold links)", 0 },
	{ "fastboot", "barrier", 0, "fastboot barrier", 1 },
	{ "fastboot", "allgather", 64, "fastboot allgather 64 B", 0 },
	{ "PMIx", "bootstrap-from-id", 0,
	    "PMIx_Init + first fence (no id to broadcast)", 1 },
	{ "PMIx", "bootstrap", 0, "PMIx_Init alone", 0 },
	{ "PMIx", "barrier", 0, "PMIx fence", 1 },
	{ "mscclpp", "bootstrap-from-id", 0,
	    "mscclpp bootstrap, id in hand", 1 },
	{ "mscclpp", "bootstrap", 0,
	    "mscclpp bootstrap total (with MPI_Bcast of the id)", 0 },
	{ "mscclpp", "barrier", 0, "mscclpp barrier", 1 },
};
#define NODES_NCOLS (sizeof nodes_cols / sizeof nodes_cols[0])

struct nodes_row {
	int		 nodes;
	int		 ranks;
	double		 v[NODES_NCOLS];	/* medians, us; NAN: absent */
	struct report	 r;
};

/* A cross-run target of the targets file ("nodes_targets"). */
struct nodes_target {
	char		 what[200];
	int		 known;
	double		 measured, limit;
	int		 at_least, met;
};

static int
nodes_cmp(const void *a, const void *b)
{
	const struct nodes_row *x = a, *y = b;

	if (x->nodes != y->nodes)
		return (x->nodes > y->nodes) - (x->nodes < y->nodes);
	return (x->ranks > y->ranks) - (x->ranks < y->ranks);
}

static double
nodes_num(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int)))
		return NAN;
	return json_object_get_double(v);
}

static const char *
nodes_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * {"system", "metric", "bytes", "nodes", "ranks"}: the median of that run's
 * series (the run over "nodes" nodes with "ranks" ranks in all), NAN if no
 * such run or series; *ok 0 if the object is malformed.
 */
static double
nodes_figure(struct nodes_row *rows, int n, struct json_object *o, int *ok)
{
	const char *sys = nodes_str(o, "system"), *metric = nodes_str(o,
	    "metric");
	double nodes = nodes_num(o, "nodes"), ranks = nodes_num(o, "ranks"),
	    bytes = nodes_num(o, "bytes");
	struct bench_series *s;
	int i;

	*ok = sys != NULL && metric != NULL && isfinite(nodes) &&
	    isfinite(ranks);
	if (!*ok)
		return NAN;
	for (i = 0; i < n; i++) {
		if (rows[i].nodes != (int)nodes || rows[i].ranks != (int)ranks)
			continue;
		if (!report_ran(&rows[i].r, sys))
			return NAN;
		s = report_find(&rows[i].r, sys, metric,
		    isfinite(bytes) ? (size_t)bytes : 0);
		return s != NULL && s->n > 0 ? s->st.median : NAN;
	}
	return NAN;
}

/* The targets file's "nodes_targets", measured over these runs; the count,
 * or -1 (err) if the file or a target is malformed.  No file: 0. */
static int
nodes_targets(const char *path, struct nodes_row *rows, int n,
    struct nodes_target **out, char *err, size_t errlen)
{
	struct json_object *tree, *a, *o, *v, *ov;
	struct nodes_target *t;
	double val, div, most, least;
	size_t i, cnt;
	int ok, ook;

	*out = NULL;
	if (path == NULL)
		return 0;
	if ((tree = json_object_from_file(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path,
		    json_util_get_last_err());
		err[strcspn(err, "\n")] = '\0';
		return -1;
	}
	if (!json_object_object_get_ex(tree, "nodes_targets", &a) ||
	    !json_object_is_type(a, json_type_array) ||
	    (cnt = json_object_array_length(a)) == 0) {
		json_object_put(tree);
		return 0;
	}
	if ((t = calloc(cnt, sizeof *t)) == NULL) {
		json_object_put(tree);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < cnt; i++) {
		o = json_object_array_get_idx(a, i);
		v = ov = NULL;
		json_object_object_get_ex(o, "value", &v);
		json_object_object_get_ex(o, "over", &ov);
		val = nodes_figure(rows, n, v, &ok);
		div = nodes_figure(rows, n, ov, &ook);
		most = nodes_num(o, "at_most");
		least = nodes_num(o, "at_least");
		if (nodes_str(o, "what") == NULL || !ok || !ook ||
		    isfinite(most) == isfinite(least)) {
			snprintf(err, errlen, "%s: nodes_targets[%zu]: needs "
			    "\"what\", \"value\" and \"over\" each naming a "
			    "system, a metric, nodes and ranks, and one of "
			    "\"at_most\" or \"at_least\"", path, i);
			free(t);
			json_object_put(tree);
			return -1;
		}
		snprintf(t[i].what, sizeof t[i].what, "%s",
		    nodes_str(o, "what"));
		t[i].at_least = isfinite(least);
		t[i].limit = t[i].at_least ? least : most;
		if (isfinite(val) && isfinite(div) && div > 0) {
			t[i].known = 1;
			t[i].measured = val / div;
			t[i].met = t[i].at_least ?
			    t[i].measured >= t[i].limit :
			    t[i].measured <= t[i].limit;
		}
	}
	json_object_put(tree);
	*out = t;
	return (int)cnt;
}

/* A median for the summary: "-" if not measured. */
static const char *
nodes_us(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", v);
	return buf;
}

static const char *
nodes_verdict(const struct nodes_target *t)
{
	return !t->known ? "not measured" : t->met ? "met" : "NOT MET";
}

static int
nodes_write(const char *outdir, const char *gnuplot, struct nodes_row *rows,
    int n, const struct nodes_target *t, int nt)
{
	char path[4096];
	size_t c;
	int i, first;
	FILE *f;

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
	fprintf(f, "set terminal svg size 820,560 dynamic font 'sans,11'\n"
	    "set output 'nodes.svg'\nset title 'Bootstrap (id in hand, and "
	    "total) and barrier against nodes (medians)' noenhanced\n"
	    "set xlabel 'simulated nodes'\nset ylabel 'us'\n"
	    "set logscale x 2\nset logscale y 10\nset format y '%%g'\n"
	    "set key outside below left font 'sans,10' maxrows 4\n"
	    "set grid\nset datafile missing 'NaN'\nplot ");
	for (c = 0, first = 1; c < NODES_NCOLS; c++) {
		if (!nodes_cols[c].plot)
			continue;
		fprintf(f, "%s'nodes.dat' using 1:%zu with linespoints "
		    "%stitle '%s' noenhanced", first ? "" : ", ", c + 3,
		    strstr(nodes_cols[c].label, "total") != NULL ? "dt 2 " :
		    "", nodes_cols[c].label);
		first = 0;
	}
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
	    "event-driven ones do not.</p>\n"
	    "<p><b>Bootstrap, id in hand</b> is init + first barrier, from "
	    "when the last rank held the job's id to when the last rank was "
	    "through the barrier: what the system itself costs.  "
	    "<b>Bootstrap total</b> also holds the launcher's MPI_Bcast of "
	    "the id (fastboot's unique id and mscclpp's UniqueId both travel "
	    "that way), which between namespaces is MPI over TCP and "
	    "dominates.  PMIx has no id to broadcast (the launcher's "
	    "environment names the job): its id-in-hand figure is PMIx_Init "
	    "+ the first fence from the last rank's start; PMIx_Init alone "
	    "is the one-node report's figure.  The first fastboot bootstrap "
	    "of a run opens the links between the daemons (cold); the "
	    "others reuse them (warm).</p>\n");
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
	fprintf(f, "</table>\n");
	if (nt > 0) {
		fprintf(f, "<h2>Targets across runs</h2>\n<p>From the "
		    "targets file's <code>nodes_targets</code>; a target whose "
		    "runs are not all here is not measured.  Targets of one "
		    "run (4 nodes x 2 ranks) are in that run's report.</p>\n"
		    "<table border=\"1\" cellpadding=\"4\"><tr><th>target"
		    "</th><th>measured</th><th>bound</th><th>verdict</th>"
		    "</tr>\n");
		for (i = 0; i < nt; i++) {
			fprintf(f, "<tr><td>%s</td>", t[i].what);
			if (t[i].known)
				fprintf(f, "<td>%.3g</td>", t[i].measured);
			else
				fprintf(f, "<td>&ndash;</td>");
			fprintf(f, "<td>%s %.3g</td><td>%s</td></tr>\n",
			    t[i].at_least ? "&ge;" : "&le;", t[i].limit,
			    nodes_verdict(&t[i]));
		}
		fprintf(f, "</table>\n");
	}
	fprintf(f, "</body></html>\n");
	return fclose(f) != 0;
}

int
report_nodes(const char *outdir, char *const paths[], int npaths,
    const char *gnuplot, const char *targets)
{
	struct nodes_row *rows;
	struct nodes_target *t = NULL;
	struct bench_series *s;
	char err[1024], b[4][32];
	size_t c;
	int i, n = 0, nt = 0, rc = 0;

	if (npaths > NODES_MAX_RUNS) {
		fprintf(stderr, "bench_report: --nodes: at most %d runs\n",
		    NODES_MAX_RUNS);
		return 1;
	}
	if ((rows = calloc(NODES_MAX_RUNS, sizeof *rows)) == NULL) {
		fprintf(stderr, "bench_report: out of memory\n");
		return 1;
	}
	for (i = 0; i < npaths; i++, n++) {
		if (report_load(&rows[n].r, paths[i], err, sizeof err) != 0) {
			fprintf(stderr, "bench_report: %s\n", err);
			rc = 1;
			n++;
			goto out;
		}
		rows[n].nodes = rows[n].r.run.nodes > 0 ?
		    rows[n].r.run.nodes : 1;
		rows[n].ranks = rows[n].r.run.nranks;
		for (c = 0; c < NODES_NCOLS; c++) {
			s = !report_ran(&rows[n].r, nodes_cols[c].sys) ?
			    NULL : report_find(&rows[n].r, nodes_cols[c].sys,
			    nodes_cols[c].metric, nodes_cols[c].bytes);
			rows[n].v[c] = s != NULL && s->n > 0 ? s->st.median :
			    NAN;
		}
	}
	qsort(rows, (size_t)n, sizeof rows[0], nodes_cmp);
	if ((nt = nodes_targets(targets, rows, n, &t, err, sizeof err)) < 0) {
		fprintf(stderr, "bench_report: %s\n", err);
		rc = 1;
		goto out;
	}
	if ((rc = nodes_write(outdir, gnuplot, rows, n, t, nt)) != 0)
		goto out;
	printf("bench_report: %d runs over 1..%d nodes: %s/nodes.html\n", n,
	    n > 0 ? rows[n - 1].nodes : 0, outdir);
	printf("  medians, us; bootstrap \"id in hand\" = init + first "
	    "barrier, without the launcher's MPI_Bcast of the id\n");
	for (i = 0; i < n; i++) {
		printf("  %2d nodes x %d ranks: fastboot bootstrap id in hand "
		    "%s", rows[i].nodes, rows[i].ranks / rows[i].nodes,
		    nodes_us(rows[i].v[0], b[0], sizeof b[0]));
		printf(" (total %s, first %s), barrier %s, allgather 64 B %s",
		    nodes_us(rows[i].v[1], b[0], sizeof b[0]),
		    nodes_us(rows[i].v[2], b[1], sizeof b[1]),
		    nodes_us(rows[i].v[3], b[2], sizeof b[2]),
		    nodes_us(rows[i].v[4], b[3], sizeof b[3]));
		printf("; PMIx init+fence %s, fence %s",
		    nodes_us(rows[i].v[5], b[0], sizeof b[0]),
		    nodes_us(rows[i].v[7], b[1], sizeof b[1]));
		printf("; mscclpp bootstrap id in hand %s (total %s), barrier "
		    "%s\n", nodes_us(rows[i].v[8], b[0], sizeof b[0]),
		    nodes_us(rows[i].v[9], b[1], sizeof b[1]),
		    nodes_us(rows[i].v[10], b[2], sizeof b[2]));
	}
	for (i = 0; i < nt; i++) {
		if (t[i].known)
			printf("  target: %s: %.3g (%s %.3g): %s\n", t[i].what,
			    t[i].measured, t[i].at_least ? ">=" : "<=",
			    t[i].limit, nodes_verdict(&t[i]));
		else
			printf("  target: %s: not measured (runs missing)\n",
			    t[i].what);
	}
out:
	for (i = 0; i < n; i++)
		report_free(&rows[i].r);
	free(rows);
	free(t);
	return rc;
}
