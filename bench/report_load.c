/*
 * report_load.c - read a run back from results.json (json-c) and check it:
 * a file that is not a run, or a sample that is not a finite non-negative
 * number, is refused with the place named.  Statistics are computed again
 * from the samples, so the report shows what the samples say.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bench/report.h"

#define REPORT_FORMAT	"fastboot-bench-results 1"

const char *const report_order[REPORT_PEERS] = {
	"fastboot", "mscclpp", "PMIx", "MPI", "shm-floor", "net-floor"
};

const struct report_head report_heads[] = {
	{ "bootstrap", 0, "bootstrap" },
	{ "bootstrap-from-id", 0, "bootstrap from id" },
	{ "barrier", 0, "barrier" },
	{ "allgather", 64, "allgather 64 B" },
	{ "allgather", 4096, "allgather 4 KiB" },
	{ "alltoall", 64, "alltoall 64 B" },
	{ "alltoall", 4096, "alltoall 4 KiB" },
	{ "sendrecv", 64, "send/recv 64 B" },
	{ "exchange", 0, "endpoint exchange" },
};
const size_t report_nheads = sizeof report_heads / sizeof report_heads[0];

static struct json_object *
report_get(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* A string member, or NULL (absent, null or not a string). */
static const char *
report_str(struct json_object *o, const char *key)
{
	struct json_object *v = report_get(o, key, json_type_string);

	return v != NULL ? json_object_get_string(v) : NULL;
}

/* A number member (integer or double), or NAN. */
static double
report_num(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NAN;
	if (json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int))
		return json_object_get_double(v);
	return NAN;
}

static int
report_series(struct bench_series *s, struct json_object *o, size_t i,
    char *err, size_t errlen)
{
	struct json_object *a, *v;
	double bytes, d;
	size_t k;

	s->system = report_str(o, "system");
	s->metric = report_str(o, "metric");
	bytes = report_num(o, "bytes");
	a = report_get(o, "samples_us", json_type_array);
	if (s->system == NULL || s->metric == NULL || !(bytes >= 0) ||
	    a == NULL) {
		snprintf(err, errlen, "series %zu: needs system, metric, bytes "
		    "and samples_us", i);
		return -1;
	}
	s->bytes = (size_t)bytes;
	s->n = json_object_array_length(a);
	if (s->n == 0) {
		snprintf(err, errlen, "series %zu (%s %s %zu B): no samples",
		    i, s->system, s->metric, s->bytes);
		return -1;
	}
	if ((s->samples = calloc(s->n, sizeof *s->samples)) == NULL) {
		snprintf(err, errlen, "out of memory for %zu samples", s->n);
		return -1;
	}
	for (k = 0; k < s->n; k++) {
		v = json_object_array_get_idx(a, k);
		d = (json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_int)) ?
		    json_object_get_double(v) : NAN;
		if (!isfinite(d) || d < 0) {
			snprintf(err, errlen, "series %zu (%s %s %zu B): "
			    "sample %zu is not a finite number >= 0", i,
			    s->system, s->metric, s->bytes, k);
			return -1;
		}
		s->samples[k] = d;
	}
	d = report_num(o, "cpu_per_op_us");
	s->cpu_per_op_us = isfinite(d) && d >= 0 ? d : -1;
	d = report_num(o, "server_cpu_per_op_us");
	s->server_cpu_per_op_us = isfinite(d) && d >= 0 ? d : -1;
	stats_compute(s->samples, s->n, &s->st);
	return 0;
}

static int
report_system(struct bench_sysres *sr, struct json_object *o, size_t i,
    char *err, size_t errlen)
{
	const char *st = report_str(o, "status");
	int k;

	memset(sr, 0, sizeof *sr);
	sr->name = report_str(o, "name");
	sr->why = report_str(o, "why");
	for (k = 0; st != NULL && k <= BENCH_ABSENT; k++)
		if (strcmp(st, results_status_name[k]) == 0)
			break;
	if (sr->name == NULL || st == NULL || k > BENCH_ABSENT) {
		snprintf(err, errlen, "systems[%zu]: needs a name and a status "
		    "(ran, failed or absent)", i);
		return -1;
	}
	sr->status = (enum bench_status)k;
	if (sr->status == BENCH_RAN) {
		sr->checked = (unsigned long long)report_num(o, "checked");
		sr->checked_bytes = (unsigned long long)report_num(o,
		    "checked_bytes");
		sr->mismatches = (unsigned long long)report_num(o,
		    "mismatches");
	}
	return 0;
}

static int
report_parse(struct report *r, char *err, size_t errlen)
{
	struct bench_run *run = &r->run;
	struct json_object *t = r->tree, *o, *a;
	const char *fmt = report_str(t, "format");
	size_t i, n;

	if (fmt == NULL || strcmp(fmt, REPORT_FORMAT) != 0) {
		snprintf(err, errlen, "not a benchmark run: \"format\" is "
		    "%s%s%s, not \"" REPORT_FORMAT "\"", fmt ? "\"" : "",
		    fmt ? fmt : "missing", fmt ? "\"" : "");
		return -1;
	}
	run->started = report_str(t, "started");
	run->commit = report_str(t, "commit");
	run->configure = report_str(t, "configure");
	run->binding = report_str(t, "binding");
	run->daemon = report_str(t, "fastbootd");
	o = report_get(t, "machine", json_type_object);
	run->host = report_str(o, "host");
	run->kernel = report_str(o, "kernel");
	run->cpu = report_str(o, "cpu");
	run->ncpus = (long)report_num(o, "cpus");
	run->memory_mb = (long)report_num(o, "memory_mb");
	o = report_get(t, "versions", json_type_object);
	run->fastboot_version = report_str(o, "fastboot");
	run->mpi_version = report_str(o, "mpi");
	run->pmix_version = report_str(o, "pmix");
	run->mscclpp_version = report_str(o, "mscclpp");
	run->nranks = (int)report_num(t, "ranks");
	/* Runs before --nodes have no "nodes": one node. */
	run->nodes = isnan(report_num(t, "nodes")) ? 1 :
	    (int)report_num(t, "nodes");
	run->iterations = (int)report_num(t, "iterations");
	run->budget_s = report_num(t, "budget_s");
	run->wall_s = report_num(t, "wall_s");
	if (run->nranks < 1) {
		snprintf(err, errlen, "\"ranks\" missing or below 1");
		return -1;
	}

	if ((a = report_get(t, "systems", json_type_array)) == NULL) {
		snprintf(err, errlen, "\"systems\" missing");
		return -1;
	}
	n = json_object_array_length(a);
	for (i = 0; i < n && run->nsys < BENCH_MAX_SYSTEMS; i++)
		if (report_system(&run->sys[run->nsys++],
		    json_object_array_get_idx(a, i), i, err, errlen) != 0)
			return -1;
	if ((a = report_get(t, "notes", json_type_array)) != NULL) {
		n = json_object_array_length(a);
		for (i = 0; i < n && run->nnotes < BENCH_MAX_NOTES; i++) {
			o = json_object_array_get_idx(a, i);
			if (json_object_is_type(o, json_type_string))
				run->notes[run->nnotes++] =
				    json_object_get_string(o);
		}
	}
	if ((a = report_get(t, "series", json_type_array)) == NULL) {
		snprintf(err, errlen, "\"series\" missing");
		return -1;
	}
	n = json_object_array_length(a);
	if (n > 0 && (run->series = calloc(n, sizeof *run->series)) == NULL) {
		snprintf(err, errlen, "out of memory for %zu series", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		run->nseries++;
		if (report_series(&run->series[i],
		    json_object_array_get_idx(a, i), i, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
report_load(struct report *r, const char *path, char *err, size_t errlen)
{
	char detail[400];
	int rc;

	r->tree = json_object_from_file(path);
	if (r->tree == NULL) {
		snprintf(err, errlen, "%s: %s", path,
		    json_util_get_last_err());
		err[strcspn(err, "\n")] = '\0';
		return -1;
	}
	if (!json_object_is_type(r->tree, json_type_object)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		return -1;
	}
	if ((rc = report_parse(r, detail, sizeof detail)) != 0)
		snprintf(err, errlen, "%s: %s", path, detail);
	return rc;
}

void
report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->run.nseries; i++)
		free(r->run.series[i].samples);
	free(r->run.series);
	free(r->targets);
	free(r->targets_note);
	if (r->tree != NULL)
		json_object_put(r->tree);
	memset(r, 0, sizeof *r);
}

struct bench_series *
report_find(struct report *r, const char *sys, const char *metric,
    size_t bytes)
{
	size_t i;

	for (i = 0; i < r->run.nseries; i++)
		if (strcmp(r->run.series[i].system, sys) == 0 &&
		    strcmp(r->run.series[i].metric, metric) == 0 &&
		    r->run.series[i].bytes == bytes)
			return &r->run.series[i];
	return NULL;
}

const struct bench_sysres *
report_sys(struct report *r, const char *sys)
{
	int i;

	for (i = 0; i < r->run.nsys; i++)
		if (strcmp(r->run.sys[i].name, sys) == 0)
			return &r->run.sys[i];
	return NULL;
}

/* Did the system run to the end (its figures are a whole measurement)? */
int
report_ran(struct report *r, const char *sys)
{
	const struct bench_sysres *s = report_sys(r, sys);

	return s != NULL && s->status == BENCH_RAN;
}

/* CPU per operation, ranks and server together, or NAN. */
double
report_cpu_total(const struct bench_series *s)
{
	double v;

	if (s == NULL || s->cpu_per_op_us < 0)
		return NAN;
	v = s->cpu_per_op_us;
	if (s->server_cpu_per_op_us > 0)
		v += s->server_cpu_per_op_us;
	return v;
}

/* The median of a series, NAN if the run has none. */
double
report_median(struct report *r, const char *sys, const char *metric,
    size_t bytes)
{
	struct bench_series *s = report_find(r, sys, metric, bytes);

	return s != NULL && s->n > 0 ? s->st.median : NAN;
}

/* A file in dir, for writing; NULL after saying why. */
FILE *
report_open_in(const char *dir, const char *name, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		fprintf(stderr, "bench_report: %s: %s\n", path,
		    strerror(errno));
	return f;
}

/* A file of the report, for writing; NULL after saying why. */
FILE *
report_open(struct report *r, const char *name, char *path, size_t len)
{
	return report_open_in(r->outdir, name, path, len);
}

/*
 * The runs of a page over several runs (--nodes, --sweep: opt names it),
 * at most max: *out gets them in the order of paths; 0, or 1 after saying
 * which file could not be read (nothing is left allocated).
 */
int
report_load_runs(char *const paths[], int npaths, int max, const char *opt,
    struct report **out)
{
	struct report *runs;
	char err[1024];
	int i;

	*out = NULL;
	if (npaths > max) {
		fprintf(stderr, "bench_report: %s: at most %d runs\n", opt,
		    max);
		return 1;
	}
	if ((runs = calloc((size_t)(npaths > 0 ? npaths : 1),
	    sizeof *runs)) == NULL) {
		fprintf(stderr, "bench_report: out of memory\n");
		return 1;
	}
	for (i = 0; i < npaths; i++)
		if (report_load(&runs[i], paths[i], err, sizeof err) != 0) {
			fprintf(stderr, "bench_report: %s\n", err);
			report_free_runs(runs, i + 1);
			return 1;
		}
	*out = runs;
	return 0;
}

void
report_free_runs(struct report *runs, int n)
{
	int i;

	for (i = 0; runs != NULL && i < n; i++)
		report_free(&runs[i]);
	free(runs);
}
