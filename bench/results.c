/*
 * results.c - the run as JSON (json-c): the machine, the build, what became
 * of each system, every sample of every series and its summary statistics.
 * bench_report renders the report from this file alone, so an old run can
 * be rendered again.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "bench/bench.h"

const char *const results_status_name[] = { "ran", "failed", "absent" };

/* A finite number with a fixed precision; null when unknown. */
static struct json_object *
results_num(double v, int prec)
{
	char buf[64];

	if (!isfinite(v))
		return NULL;
	snprintf(buf, sizeof buf, "%.*f", prec, v);
	return json_object_new_double_s(v, buf);
}

static struct json_object *
results_str(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static void
results_add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *
results_summary(const struct bench_stats *st)
{
	struct json_object *o = json_object_new_object();

	results_add(o, "mean_us", results_num(st->mean, 3));
	results_add(o, "median_us", results_num(st->median, 3));
	results_add(o, "stddev_us", results_num(st->stddev, 3));
	results_add(o, "min_us", results_num(st->min, 3));
	results_add(o, "max_us", results_num(st->max, 3));
	results_add(o, "p90_us", results_num(st->p90, 3));
	results_add(o, "p99_us", results_num(st->p99, 3));
	results_add(o, "median_ci95_lo_us", results_num(st->ci_lo, 3));
	results_add(o, "median_ci95_hi_us", results_num(st->ci_hi, 3));
	return o;
}

static struct json_object *
results_series(const struct bench_series *s)
{
	struct json_object *o = json_object_new_object(), *a;
	size_t k;

	results_add(o, "system", results_str(s->system));
	results_add(o, "metric", results_str(s->metric));
	results_add(o, "bytes", json_object_new_int64((int64_t)s->bytes));
	results_add(o, "n", json_object_new_int64((int64_t)s->n));
	results_add(o, "cpu_per_op_us", s->cpu_per_op_us >= 0 ?
	    results_num(s->cpu_per_op_us, 3) : NULL);
	results_add(o, "server_cpu_per_op_us", s->server_cpu_per_op_us >= 0 ?
	    results_num(s->server_cpu_per_op_us, 3) : NULL);
	results_add(o, "summary", results_summary(&s->st));
	a = json_object_new_array_ext((int)s->n);
	for (k = 0; k < s->n; k++)
		json_object_array_add(a, results_num(s->samples[k], 3));
	results_add(o, "samples_us", a);
	return o;
}

static struct json_object *
results_system(const struct bench_sysres *r)
{
	struct json_object *o = json_object_new_object();

	results_add(o, "name", results_str(r->name));
	results_add(o, "status", results_str(results_status_name[r->status]));
	results_add(o, "why", results_str(r->why));
	if (r->status == BENCH_RAN) {
		results_add(o, "checked",
		    json_object_new_uint64(r->checked));
		results_add(o, "checked_bytes",
		    json_object_new_uint64(r->checked_bytes));
		results_add(o, "mismatches",
		    json_object_new_uint64(r->mismatches));
	}
	return o;
}

int
results_write(const struct bench_run *run, const char *path, char *err,
    size_t errlen)
{
	struct json_object *top, *o, *a;
	size_t i;
	int k, rc = 0;

	top = json_object_new_object();
	results_add(top, "format", json_object_new_string(
	    "fastboot-bench-results 1"));
	results_add(top, "started", results_str(run->started));
	results_add(top, "commit", results_str(run->commit));
	results_add(top, "configure", results_str(run->configure));
	results_add(top, "binding", results_str(run->binding));
	results_add(top, "fastbootd", results_str(run->daemon));
	o = json_object_new_object();
	results_add(o, "host", results_str(run->host));
	results_add(o, "kernel", results_str(run->kernel));
	results_add(o, "cpu", results_str(run->cpu));
	results_add(o, "cpus", json_object_new_int64(run->ncpus));
	results_add(o, "memory_mb", json_object_new_int64(run->memory_mb));
	results_add(top, "machine", o);
	o = json_object_new_object();
	results_add(o, "fastboot", results_str(run->fastboot_version));
	results_add(o, "mpi", results_str(run->mpi_version));
	results_add(o, "pmix", results_str(run->pmix_version));
	results_add(o, "mscclpp", results_str(run->mscclpp_version));
	results_add(top, "versions", o);
	results_add(top, "ranks", json_object_new_int(run->nranks));
	results_add(top, "nodes", json_object_new_int(run->nodes > 0 ?
	    run->nodes : 1));
	results_add(top, "iterations", json_object_new_int(run->iterations));
	results_add(top, "budget_s", results_num(run->budget_s, 3));
	results_add(top, "wall_s", results_num(run->wall_s, 3));
	a = json_object_new_array();
	for (k = 0; k < run->nsys; k++)
		json_object_array_add(a, results_system(&run->sys[k]));
	results_add(top, "systems", a);
	a = json_object_new_array();
	for (k = 0; k < run->nnotes; k++)
		json_object_array_add(a, results_str(run->notes[k]));
	results_add(top, "notes", a);
	a = json_object_new_array();
	for (i = 0; i < run->nseries; i++)
		json_object_array_add(a, results_series(&run->series[i]));
	results_add(top, "series", a);

	if (json_object_to_file_ext(path, top, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE) != 0) {
		snprintf(err, errlen, "%s: %s", path,
		    json_util_get_last_err());
		rc = -1;
	}
	json_object_put(top);
	return rc;
}
