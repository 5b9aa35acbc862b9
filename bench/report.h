/*
 * report.h - private header of bench_report, which renders a run's
 * results.json (written by bootstrap_benchmark) into a report: CSV, gnuplot
 * charts, one self-contained HTML page and a text summary.  One block per
 * file.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "bench/bench.h"

struct json_object;

/* The systems in the order of the columns, and their chart colours. */
#define REPORT_PEERS	6
extern const char *const report_order[REPORT_PEERS];

/* The headline measurements, in the order of the charts and the table. */
struct report_head {
	const char	*metric;
	size_t		 bytes;
	const char	*label;
};
extern const struct report_head report_heads[];
extern const size_t report_nheads;

/* A target, read from the targets file, and how this run did against it. */
struct report_target {
	char		 what[200];
	int		 known;		/* measurable in this run */
	double		 measured;
	double		 limit;
	int		 at_least;	/* limit is a floor, not a ceiling */
	int		 met;
};

struct report {
	struct bench_run	 run;
	struct json_object	*tree;		/* owns the run's strings */
	const char		*results_path;
	const char		*outdir;
	const char		*gnuplot;	/* path, or "" for none */
	char			 gnuplot_version[128];
	const char		*targets_path;
	char			*targets_note;
	struct report_target	*targets;
	int			 ntargets;
	struct report		*beside;	/* --beside: a smaller run */
};

/* report_load.c */
int		 report_load(struct report *r, const char *path, char *err,
		    size_t errlen);
void		 report_free(struct report *r);
struct bench_series *report_find(struct report *r, const char *sys,
		    const char *metric, size_t bytes);
const struct bench_sysres *report_sys(struct report *r, const char *sys);
int		 report_ran(struct report *r, const char *sys);
double		 report_cpu_total(const struct bench_series *s);
double		 report_median(struct report *r, const char *sys,
		    const char *metric, size_t bytes);
FILE		*report_open(struct report *r, const char *name, char *path,
		    size_t len);
FILE		*report_open_in(const char *dir, const char *name, char *path,
		    size_t len);
int		 report_load_runs(char *const paths[], int npaths, int max,
		    const char *opt, struct report **out);
void		 report_free_runs(struct report *runs, int n);

/* report_targets.c */
int		 report_targets(struct report *r, const char *path, char *err,
		    size_t errlen);

/* report_plot.c: 0 when every chart was drawn */
int		 report_plots(struct report *r);
void		 report_gnuplot_version(struct report *r);
int		 report_chart(FILE *out, const char *gnuplot,
		    const char *outdir, const char *script, const char *svg,
		    const char *log);

/* report_nodes.c: nodes.html, bootstrap (id in hand and total) and
 * barrier against nodes, and the targets file's cross-run "nodes_targets",
 * from the results.json of runs over different numbers of nodes */
int		 report_nodes(const char *outdir, char *const paths[],
		    int npaths, const char *gnuplot, const char *targets);

/* report_sweep.c: sweep.html, bootstrap, barrier, allgather and send/recv
 * against the number of ranks on one node, and a job's memory, from the
 * results.json of runs with different numbers of ranks */
int		 report_sweep(const char *outdir, char *const paths[],
		    int npaths, const char *gnuplot);

/* report_boot.c: fastboot's bootstrap phases; the --beside run */
void		 report_boot_html(FILE *f, struct report *r);
void		 report_boot_text(struct report *r);

/* report_html.c */
int		 report_html(struct report *r);

/* report_text.c */
int		 report_csv(struct report *r);
void		 report_text(struct report *r);

#endif /* REPORT_H */
