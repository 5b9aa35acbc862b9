/*
 * stats.c - summary statistics of a sample: mean, median, standard
 * deviation, extremes, percentiles and a distribution-free 95% confidence
 * interval of the median (order statistics, normal approximation of the
 * binomial).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

static int
stats_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentile p (0..100) of sorted v, linear interpolation. */
static double
stats_pct(const double *v, size_t n, double p)
{
	double pos = p / 100 * (double)(n - 1), frac;
	size_t i = (size_t)pos;

	if (i + 1 >= n)
		return v[n - 1];
	frac = pos - (double)i;
	return v[i] + frac * (v[i + 1] - v[i]);
}

void
stats_compute(const double *v, size_t n, struct bench_stats *s)
{
	double *w, sum = 0, sq = 0, half;
	long lo, hi;
	size_t i;

	memset(s, 0, sizeof *s);
	s->n = n;
	if (n == 0 || (w = malloc(n * sizeof *w)) == NULL)
		return;
	memcpy(w, v, n * sizeof *w);
	qsort(w, n, sizeof *w, stats_cmp);
	for (i = 0; i < n; i++)
		sum += w[i];
	s->mean = sum / (double)n;
	for (i = 0; i < n; i++)
		sq += (w[i] - s->mean) * (w[i] - s->mean);
	s->stddev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
	s->min = w[0];
	s->max = w[n - 1];
	s->median = stats_pct(w, n, 50);
	s->p90 = stats_pct(w, n, 90);
	s->p99 = stats_pct(w, n, 99);
	/* Ranks n/2 -+ 1.96 sqrt(n)/2 (1-based), clamped to the sample. */
	half = 1.96 * sqrt((double)n) / 2;
	lo = (long)floor((double)n / 2 - half);
	hi = (long)ceil((double)n / 2 + half) + 1;
	if (lo < 1)
		lo = 1;
	if (hi > (long)n)
		hi = (long)n;
	s->ci_lo = w[lo - 1];
	s->ci_hi = w[hi - 1];
	free(w);
}
