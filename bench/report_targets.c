/*
 * report_targets.c - the targets are data (bench/targets.json): each names
 * a figure of the run (a system's median, or its CPU per operation), maybe
 * divided by another system's, and a bound, for runs of so many ranks
 * ("min_ranks", "max_ranks") and nodes ("min_nodes", "max_nodes"; neither:
 * one node).  This file reads them and
 * measures the run against them; it knows no target itself.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bench/report.h"

/* A figure named by {"system", "metric", "bytes", "stat"}: NAN if absent. */
static double
report_figure(struct report *r, struct json_object *o, int *named)
{
	struct json_object *v;
	const char *sys = NULL, *metric = NULL, *stat = "median";
	struct bench_series *s;
	size_t bytes = 0;

	*named = 0;
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NAN;
	if (json_object_object_get_ex(o, "system", &v))
		sys = json_object_get_string(v);
	if (json_object_object_get_ex(o, "metric", &v))
		metric = json_object_get_string(v);
	if (json_object_object_get_ex(o, "bytes", &v))
		bytes = (size_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "stat", &v))
		stat = json_object_get_string(v);
	if (sys == NULL || metric == NULL || (strcmp(stat, "median") != 0 &&
	    strcmp(stat, "mean") != 0 && strcmp(stat, "cpu") != 0))
		return NAN;
	*named = 1;
	if (!report_ran(r, sys) ||
	    (s = report_find(r, sys, metric, bytes)) == NULL)
		return NAN;
	if (strcmp(stat, "cpu") == 0)
		return report_cpu_total(s);
	return strcmp(stat, "mean") == 0 ? s->st.mean : s->st.median;
}

static double
report_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int)))
		return NAN;
	return json_object_get_double(v);
}

/* One target; 1 if it applies to this run, 0 if not, -1 if malformed. */
static int
report_target(struct report *r, struct json_object *o, size_t i,
    struct report_target *t, char *err, size_t errlen)
{
	struct json_object *v, *over = NULL;
	double val, div = 1, scale, most, least, minr, maxr, minn, maxn;
	int nodes = r->run.nodes > 0 ? r->run.nodes : 1;
	int named, onamed = 1;

	memset(t, 0, sizeof *t);
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "what", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "targets[%zu]: needs \"what\"", i);
		return -1;
	}
	snprintf(t->what, sizeof t->what, "%s", json_object_get_string(v));
	json_object_object_get_ex(o, "value", &v);
	val = report_figure(r, v, &named);
	if (json_object_object_get_ex(o, "over", &over))
		div = report_figure(r, over, &onamed);
	most = report_member(o, "at_most");
	least = report_member(o, "at_least");
	if (!named || !onamed || isfinite(most) == isfinite(least)) {
		snprintf(err, errlen, "targets[%zu] (%s): needs \"value\" (and "
		    "maybe \"over\") naming a system and a metric (stat "
		    "median, mean or cpu), and one of \"at_most\" or "
		    "\"at_least\"", i, t->what);
		return -1;
	}
	minr = report_member(o, "min_ranks");
	maxr = report_member(o, "max_ranks");
	if ((isfinite(minr) && r->run.nranks < minr) ||
	    (isfinite(maxr) && r->run.nranks > maxr))
		return 0;
	/* Without "min_nodes" or "max_nodes" a target is for one node. */
	minn = report_member(o, "min_nodes");
	maxn = report_member(o, "max_nodes");
	if (!isfinite(minn) && !isfinite(maxn))
		maxn = 1;
	if ((isfinite(minn) && nodes < minn) ||
	    (isfinite(maxn) && nodes > maxn))
		return 0;
	scale = report_member(o, "scale");
	if (!isfinite(scale))
		scale = 1;
	t->at_least = isfinite(least);
	t->limit = t->at_least ? least : most;
	if (isfinite(val) && isfinite(div) && div > 0) {
		t->known = 1;
		t->measured = val * scale / div;
		t->met = t->at_least ? t->measured >= t->limit :
		    t->measured <= t->limit;
	}
	return 1;
}

int
report_targets(struct report *r, const char *path, char *err, size_t errlen)
{
	struct json_object *tree, *a, *v;
	char detail[400];
	size_t i, n;
	int rc = 0, k;

	r->targets_path = path;
	if ((tree = json_object_from_file(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path,
		    json_util_get_last_err());
		err[strcspn(err, "\n")] = '\0';
		return -1;
	}
	if (!json_object_object_get_ex(tree, "targets", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		snprintf(err, errlen, "%s: no \"targets\" array", path);
		json_object_put(tree);
		return -1;
	}
	if (json_object_object_get_ex(tree, "note", &v) &&
	    json_object_is_type(v, json_type_string))
		r->targets_note = strdup(json_object_get_string(v));
	n = json_object_array_length(a);
	if (n > 0 && (r->targets = calloc(n, sizeof *r->targets)) == NULL) {
		snprintf(err, errlen, "out of memory");
		json_object_put(tree);
		return -1;
	}
	for (i = 0; i < n; i++) {
		k = report_target(r, json_object_array_get_idx(a, i), i,
		    &r->targets[r->ntargets], detail, sizeof detail);
		if (k < 0) {
			snprintf(err, errlen, "%s: %s", path, detail);
			rc = -1;
			break;
		}
		r->ntargets += k;
	}
	json_object_put(tree);
	return rc;
}
