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
 *
 * Warm reuse is fastboot's first job of each run (after untimed one-node
 * warm-up jobs: the processes and daemons are warm, the links across nodes
 * cold) over the median of the later ones, both from id in hand, beside the
 * daemons' TCP connects counted during the first job and the later ones.
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
	int		 plot;		/* 2: a count, not us */
} nodes_cols[] = {
	{ "fastboot", "bootstrap-from-id", 0,
	    "fastboot bootstrap, id in hand (warm links)", 1 },
	{ "fastboot", "bootstrap", 0,
	    "fastboot bootstrap total (with MPI_Bcast of the id)", 1 },
	{ "fastboot", "bootstrap-first-from-id", 0,
	    "fastboot first bootstrap, id in hand (cold links)", 0 },
	{ "fastboot", "links:connects-first", 0,
	    "TCP connects, first job (both ends)", 2 },
	{ "fastboot", "links:connects-later", 0,
	    "TCP connects, all later jobs (both ends)", 2 },
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
	{ "net-floor", "bootstrap-from-id", 0,
	    "net floor bootstrap, id in hand (no daemon, fresh links)", 0 },
	{ "net-floor", "barrier", 0, "net floor barrier (no daemon)", 1 },
	{ "net-floor", "allgather", 64, "net floor allgather 64 B", 0 },
};
#define NODES_NCOLS (sizeof nodes_cols / sizeof nodes_cols[0])

/* Columns the summary names. */
enum { COL_ID, COL_TOTAL, COL_FIRST, COL_CFIRST, COL_CLATER, COL_BARRIER,
	COL_AG64, COL_PMIX_ID, COL_PMIX, COL_PMIX_FENCE, COL_MSCCLPP_ID,
	COL_MSCCLPP, COL_MSCCLPP_BARRIER, COL_NF_ID, COL_NF_BARRIER,
	COL_NF_AG64 };
_Static_assert(COL_NF_AG64 + 1 == NODES_NCOLS,
    "a name for every column of nodes_cols");

struct nodes_row {
	int		 nodes;
	int		 ranks;
	double		 v[NODES_NCOLS];	/* medians, us; NAN: absent */
	double		 reuse;		/* first / later, id in hand */
	struct report	*r;
	const char	*path;		/* its results.json */
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

/* Does o name its run ("nodes" or "ranks")? */
static int
nodes_names_run(struct json_object *o)
{
	return o != NULL && (json_object_object_get_ex(o, "nodes", NULL) ||
	    json_object_object_get_ex(o, "ranks", NULL));
}

/* Is o a whole figure: a system and a metric, and its run by nodes and
 * ranks (per 0) or no run named (per 1: each run's)? */
static int
nodes_whole(struct json_object *o, int per)
{
	return nodes_str(o, "system") != NULL && nodes_str(o, "metric") !=
	    NULL && (per ? !nodes_names_run(o) :
	    isfinite(nodes_num(o, "nodes")) && isfinite(nodes_num(o, "ranks")));
}

/*
 * {"system", "metric", "bytes", "nodes", "ranks"} (nodes_whole): the median
 * of that run's series (the run over "nodes" nodes with "ranks" ranks in
 * all), NAN if no such run or series.  With row, the object names no run:
 * that row's.
 */
static double
nodes_figure(struct nodes_row *rows, int n, const struct nodes_row *row,
    struct json_object *o)
{
	double bytes = nodes_num(o, "bytes");
	int i;

	for (i = 0; row == NULL && i < n; i++)
		if (rows[i].nodes == (int)nodes_num(o, "nodes") &&
		    rows[i].ranks == (int)nodes_num(o, "ranks"))
			row = &rows[i];
	if (row == NULL || !report_ran(row->r, nodes_str(o, "system")))
		return NAN;
	return report_median(row->r, nodes_str(o, "system"),
	    nodes_str(o, "metric"), isfinite(bytes) ? (size_t)bytes : 0);
}

/* Target t measured: value over div, against its bound. */
static void
nodes_measure(struct nodes_target *t, double val, double div)
{
	if (isfinite(val) && isfinite(div) && div > 0) {
		t->known = 1;
		t->measured = val / div;
		t->met = t->at_least ? t->measured >= t->limit :
		    t->measured <= t->limit;
	}
}

/*
 * The targets file's "nodes_targets", measured over these runs; the count,
 * or -1 (err) if the file or a target is malformed.  No file: 0.  A target
 * whose "value" and "over" name no run is one per run ("per shape"), for
 * the runs over at least "min_nodes" nodes (default 1).
 */
static int
nodes_targets(const char *path, struct nodes_row *rows, int n,
    struct nodes_target **out, char *err, size_t errlen)
{
	struct json_object *tree, *a, *o, *v, *ov;
	struct nodes_target *t, proto;
	double most, least, minn;
	size_t i, cnt;
	int k, nt = 0, per, any;

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
	if ((t = calloc(cnt * (size_t)(n + 1), sizeof *t)) == NULL) {
		json_object_put(tree);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < cnt; i++) {
		o = json_object_array_get_idx(a, i);
		v = ov = NULL;
		json_object_object_get_ex(o, "value", &v);
		json_object_object_get_ex(o, "over", &ov);
		per = v != NULL && ov != NULL && !nodes_names_run(v) &&
		    !nodes_names_run(ov);
		most = nodes_num(o, "at_most");
		least = nodes_num(o, "at_least");
		minn = nodes_num(o, "min_nodes");
		memset(&proto, 0, sizeof proto);
		proto.at_least = isfinite(least);
		proto.limit = proto.at_least ? least : most;
		if (nodes_str(o, "what") == NULL || !nodes_whole(v, per) ||
		    !nodes_whole(ov, per) ||
		    isfinite(most) == isfinite(least)) {
			snprintf(err, errlen, "%s: nodes_targets[%zu]: needs "
			    "\"what\", \"value\" and \"over\" each naming a "
			    "system, a metric, nodes and ranks (or, for a "
			    "target per run, neither of them naming a run), "
			    "and one of \"at_most\" or \"at_least\"", path, i);
			free(t);
			json_object_put(tree);
			return -1;
		}
		if (!per) {
			t[nt] = proto;
			snprintf(t[nt].what, sizeof t[nt].what, "%s",
			    nodes_str(o, "what"));
			nodes_measure(&t[nt], nodes_figure(rows, n, NULL, v),
			    nodes_figure(rows, n, NULL, ov));
			nt++;
			continue;
		}
		for (k = 0, any = 0; k < n; k++) {
			if (isfinite(minn) && rows[k].nodes < minn)
				continue;
			t[nt] = proto;
			snprintf(t[nt].what, sizeof t[nt].what, "%s, %d nodes "
			    "x %d ranks", nodes_str(o, "what"), rows[k].nodes,
			    rows[k].ranks / rows[k].nodes);
			nodes_measure(&t[nt], nodes_figure(rows, n, &rows[k],
			    v), nodes_figure(rows, n, &rows[k], ov));
			nt++;
			any = 1;
		}
		if (!any) {
			t[nt] = proto;
			snprintf(t[nt].what, sizeof t[nt].what, "%s, each run "
			    "over %g nodes or more", nodes_str(o, "what"),
			    isfinite(minn) ? minn : 1);
			nt++;
		}
	}
	json_object_put(tree);
	*out = t;
	return nt;
}

/* A figure for the summary with prec decimals (1 for a median in us, 0
 * for a count): "-" if not measured. */
static const char *
nodes_fig(double v, int prec, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

/* The folder of a row's run, from the page's folder if it is below. */
static const char *
nodes_dir(const struct nodes_row *row, const char *outdir)
{
	static char buf[4096];
	size_t len = strlen(outdir);
	char *slash;

	if (strncmp(row->path, outdir, len) == 0 && row->path[len] == '/')
		snprintf(buf, sizeof buf, "%s", row->path + len + 1);
	else
		snprintf(buf, sizeof buf, "%s", row->path);
	if ((slash = strrchr(buf, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(buf, sizeof buf, ".");
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

	if ((f = report_open_in(outdir, "nodes.dat", path, sizeof path)) ==
	    NULL)
		return 1;
	fprintf(f, "# nodes ranks");
	for (c = 0; c < NODES_NCOLS; c++)
		fprintf(f, " \"%s\"", nodes_cols[c].label);
	fprintf(f, " \"warm reuse\"\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "%d %d", rows[i].nodes, rows[i].ranks);
		for (c = 0; c < NODES_NCOLS; c++)
			if (isnan(rows[i].v[c]))
				fprintf(f, " NaN");
			else
				fprintf(f, " %.3f", rows[i].v[c]);
		fprintf(f, isnan(rows[i].reuse) ? " NaN\n" : " %.3f\n",
		    rows[i].reuse);
	}
	if (fclose(f) != 0)
		return 1;

	if ((f = report_open_in(outdir, "nodes.gp", path, sizeof path)) ==
	    NULL)
		return 1;
	fprintf(f, "set terminal svg size 820,560 dynamic font 'sans,11'\n"
	    "set output 'nodes.svg'\nset title 'Bootstrap (id in hand, and "
	    "total) and barrier against nodes (medians)' noenhanced\n"
	    "set xlabel 'simulated nodes'\nset ylabel 'us'\n"
	    "set logscale x 2\nset logscale y 10\nset format y '%%g'\n"
	    "set key outside below left font 'sans,10' maxrows 4\n"
	    "set grid\nset datafile missing 'NaN'\nplot ");
	for (c = 0, first = 1; c < NODES_NCOLS; c++) {
		if (nodes_cols[c].plot != 1)
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

	if ((f = report_open_in(outdir, "nodes.html", path, sizeof path)) ==
	    NULL)
		return 1;
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>fastboot across simulated nodes</title></head><body>\n"
	    "<h1>Bootstrap and barrier against nodes</h1>\n<p>Each row is "
	    "one run of bootstrap_benchmark over network namespaces, one "
	    "fastbootd per namespace, the ranks spread evenly (its own "
	    "report is in <code>nodes-MxK/</code>).  Medians in &micro;s.  "
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
	    "is the one-node report's figure.</p>\n"
	    "<p><b>The net floor</b> is the same algorithms with no daemon: "
	    "the ranks of a node meet in shared memory, and one rank per "
	    "node talks TCP to the other nodes' (dissemination barrier, "
	    "Bruck's allgather), every wait asleep; its bootstrap opens "
	    "every link afresh, as a job without a warm daemon must.  It "
	    "is what these simulated nodes allow; fastboot's path has one "
	    "process more on each node (the daemon), so a wake-up more at "
	    "each end.</p>\n"
	    "<p><b>Warm reuse</b> is fastboot's first job of a run over the "
	    "median of the later ones, both from id in hand.  Each run "
	    "starts fresh daemons; before the first job, untimed jobs of "
	    "each node's ranks alone on their own daemon warm the processes "
	    "(lazy binding, first page faults, the first connection to the "
	    "daemon) and the daemons, but span one node and open no TCP "
	    "link.  So the first job pays what cold links cost: for each "
	    "link it needs, a TCP connect, the daemons' HELLO, and the MAC "
	    "proof of the job's secret, before its first frame; the later "
	    "jobs find the links up.  The connects are counted, not "
	    "inferred: the daemons' peer_connects (fastbootctl status) "
	    "before and after, summed over the nodes, a link counting once "
	    "at each end (the first job's count also holds the warm-up jobs "
	    "after the first, the same one-node job, and links that open in "
	    "the background of the first barrier may be counted with the "
	    "later jobs).  One node has no "
	    "links: its warm reuse is the control, what a first job costs "
	    "beyond the links.  The first job is one sample, the later ones "
	    "a median: under load the ratio is noisy.</p>\n");
	(void)report_chart(f, gnuplot, outdir, "nodes.gp", "nodes.svg",
	    "gnuplot-nodes.log");
	fprintf(f, "<table border=\"1\" cellpadding=\"4\"><tr><th>nodes"
	    "</th><th>ranks</th>");
	for (c = 0; c < NODES_NCOLS; c++)
		fprintf(f, "<th>%s</th>", nodes_cols[c].label);
	fprintf(f, "<th>warm reuse: first / later, id in hand</th></tr>\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "<tr><td><a href=\"%s/report.html\">%d</a>"
		    "</td><td>%d</td>", nodes_dir(&rows[i], outdir),
		    rows[i].nodes,
		    rows[i].ranks);
		for (c = 0; c < NODES_NCOLS; c++)
			if (isnan(rows[i].v[c]))
				fprintf(f, "<td>&ndash;</td>");
			else
				fprintf(f, "<td>%.*f</td>",
				    nodes_cols[c].plot == 2 ? 0 : 1,
				    rows[i].v[c]);
		if (isnan(rows[i].reuse))
			fprintf(f, "<td>&ndash;</td></tr>\n");
		else
			fprintf(f, "<td>%.2fx</td></tr>\n", rows[i].reuse);
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
	struct nodes_row *rows = NULL;
	struct nodes_target *t = NULL;
	struct report *runs;
	const double *v;
	char err[1024], b[5][32];
	size_t c;
	int i, n = 0, nt = 0, rc = 0;

	if (report_load_runs(paths, npaths, NODES_MAX_RUNS, "--nodes",
	    &runs) != 0)
		return 1;
	if ((rows = calloc((size_t)(npaths > 0 ? npaths : 1),
	    sizeof *rows)) == NULL) {
		fprintf(stderr, "bench_report: out of memory\n");
		rc = 1;
		goto out;
	}
	for (n = 0; n < npaths; n++) {
		rows[n].r = &runs[n];
		rows[n].path = paths[n];
		rows[n].nodes = runs[n].run.nodes > 0 ? runs[n].run.nodes : 1;
		rows[n].ranks = runs[n].run.nranks;
		for (c = 0; c < NODES_NCOLS; c++)
			rows[n].v[c] = !report_ran(&runs[n],
			    nodes_cols[c].sys) ? NAN : report_median(&runs[n],
			    nodes_cols[c].sys, nodes_cols[c].metric,
			    nodes_cols[c].bytes);
		rows[n].reuse = rows[n].v[COL_ID] > 0 ?
		    rows[n].v[COL_FIRST] / rows[n].v[COL_ID] : NAN;
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
		v = rows[i].v;
		printf("  %2d nodes x %d ranks: fastboot bootstrap id in hand "
		    "%s", rows[i].nodes, rows[i].ranks / rows[i].nodes,
		    nodes_fig(v[COL_ID], 1, b[0], sizeof b[0]));
		printf(" (total %s, first %s), barrier %s, allgather 64 B %s",
		    nodes_fig(v[COL_TOTAL], 1, b[0], sizeof b[0]),
		    nodes_fig(v[COL_FIRST], 1, b[1], sizeof b[1]),
		    nodes_fig(v[COL_BARRIER], 1, b[2], sizeof b[2]),
		    nodes_fig(v[COL_AG64], 1, b[3], sizeof b[3]));
		printf("; PMIx init+fence %s, fence %s",
		    nodes_fig(v[COL_PMIX_ID], 1, b[0], sizeof b[0]),
		    nodes_fig(v[COL_PMIX_FENCE], 1, b[1], sizeof b[1]));
		printf("; net floor bootstrap id in hand %s, barrier %s, "
		    "allgather 64 B %s", nodes_fig(v[COL_NF_ID], 1, b[0],
		    sizeof b[0]), nodes_fig(v[COL_NF_BARRIER], 1, b[1],
		    sizeof b[1]), nodes_fig(v[COL_NF_AG64], 1, b[2],
		    sizeof b[2]));
		printf("; mscclpp bootstrap id in hand %s (total %s), barrier "
		    "%s\n", nodes_fig(v[COL_MSCCLPP_ID], 1, b[0],
		    sizeof b[0]),
		    nodes_fig(v[COL_MSCCLPP], 1, b[1], sizeof b[1]),
		    nodes_fig(v[COL_MSCCLPP_BARRIER], 1, b[2], sizeof b[2]));
	}
	printf("  warm reuse (fastboot's first job after one-node warm-up "
	    "jobs / later jobs' median, id in hand; TCP connects counted by "
	    "the daemons, a link at both ends):\n");
	for (i = 0; i < n; i++) {
		v = rows[i].v;
		if (isnan(rows[i].reuse))
			snprintf(b[4], sizeof b[4], "-");
		else
			snprintf(b[4], sizeof b[4], "%.2fx", rows[i].reuse);
		printf("  %2d nodes x %d ranks: warm reuse %s (first %s, "
		    "later %s); connects: first job %s, later jobs %s\n",
		    rows[i].nodes, rows[i].ranks / rows[i].nodes, b[4],
		    nodes_fig(v[COL_FIRST], 1, b[0], sizeof b[0]),
		    nodes_fig(v[COL_ID], 1, b[1], sizeof b[1]),
		    nodes_fig(v[COL_CFIRST], 0, b[2], sizeof b[2]),
		    nodes_fig(v[COL_CLATER], 0, b[3], sizeof b[3]));
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
	report_free_runs(runs, npaths);
	free(rows);
	free(t);
	return rc;
}
