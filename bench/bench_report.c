/*
 * bench_report - render the report of a benchmark run from its
 * results.json: samples.csv, gnuplot charts, report.html (self-contained),
 * and a text summary on stdout.  bootstrap_benchmark runs it at the end of
 * every run; run it again on an old run's results.json to render that run
 * with today's targets and layout.
 *
 *	bench_report [-t TARGETS] [-o DIR] results.json
 *	bench_report --nodes -o DIR results.json...	(runs over 1..M nodes)
 *	bench_report --sweep -o DIR results.json...	(runs of 2..N ranks)
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/report.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bench_report [options] results.json\n"
"       bench_report --nodes -o DIR results.json...\n"
"       bench_report --sweep -o DIR results.json...\n"
"\n"
"      --nodes          one page, DIR/nodes.html: bootstrap and barrier\n"
"                       against the number of nodes of each run, and the\n"
"                       targets' \"nodes_targets\" (across runs)\n"
"      --sweep          one page, DIR/sweep.html: bootstrap, barrier,\n"
"                       allgather and send/recv against the number of\n"
"                       ranks of each run, and a job's memory\n"
"  -o, --out DIR        write the report here (default: results.json's\n"
"                       folder)\n"
"  -b, --beside FILE    the results.json of a run with fewer ranks (a CPU\n"
"                       for each) to show beside this one, with the\n"
"                       targets only it can measure\n"
"  -t, --targets FILE   the targets (default: $BENCH_TARGETS, else\n"
"                       " BENCH_TARGETS_DEFAULT ")\n"
"  -q, --quiet          no text summary on stdout\n"
"  -h, --help           this help\n"
"\n"
"gnuplot draws the charts: $GNUPLOT, else " GNUPLOT_PATH ".\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "targets", required_argument, NULL, 't' },
		{ "beside", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "nodes", no_argument, NULL, 'n' },
		{ "sweep", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static char dirbuf[PATH_MAX];
	struct report r, beside;
	const char *targets = NULL, *beside_path = NULL;
	char err[1024];
	int ch, quiet = 0, rc = 0, nodes = 0, sweep = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&r, 0, sizeof r);
	while ((ch = getopt_long(argc, argv, "o:t:b:qh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			r.outdir = optarg;
			break;
		case 't':
			targets = optarg;
			break;
		case 'b':
			beside_path = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'n':
			nodes = 1;
			break;
		case 'w':
			sweep = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (targets == NULL && ((targets = getenv("BENCH_TARGETS")) == NULL ||
	    *targets == '\0'))
		targets = BENCH_TARGETS_DEFAULT;
	if (nodes || sweep) {
		if (r.outdir == NULL || optind >= argc) {
			usage(stderr);
			return 2;
		}
		if ((r.gnuplot = getenv("GNUPLOT")) == NULL)
			r.gnuplot = GNUPLOT_PATH;
		if (mkdir(r.outdir, 0755) == -1 && errno != EEXIST) {
			fprintf(stderr, "bench_report: mkdir %s: %s\n",
			    r.outdir, strerror(errno));
			return 1;
		}
		if (sweep)
			return report_sweep(r.outdir, argv + optind,
			    argc - optind, r.gnuplot);
		return report_nodes(r.outdir, argv + optind, argc - optind,
		    r.gnuplot, targets);
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	r.results_path = argv[optind];
	if (r.outdir == NULL) {
		snprintf(dirbuf, sizeof dirbuf, "%s", r.results_path);
		r.outdir = dirname(dirbuf);
	}
	if ((r.gnuplot = getenv("GNUPLOT")) == NULL)
		r.gnuplot = GNUPLOT_PATH;

	if (report_load(&r, r.results_path, err, sizeof err) != 0 ||
	    report_targets(&r, targets, err, sizeof err) != 0) {
		fprintf(stderr, "bench_report: %s\n", err);
		report_free(&r);
		return 1;
	}
	memset(&beside, 0, sizeof beside);
	if (beside_path != NULL) {
		beside.results_path = beside_path;
		if (report_load(&beside, beside_path, err, sizeof err) != 0 ||
		    report_targets(&beside, targets, err, sizeof err) != 0) {
			fprintf(stderr, "bench_report: --beside: %s\n", err);
			report_free(&beside);
			report_free(&r);
			return 1;
		}
		r.beside = &beside;
	}
	if (mkdir(r.outdir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "bench_report: mkdir %s: %s\n", r.outdir,
		    strerror(errno));
		report_free(&r);
		return 1;
	}
	report_gnuplot_version(&r);
	if (report_csv(&r) != 0)
		rc = 1;
	if (report_plots(&r) != 0)
		fprintf(stderr, "bench_report: charts not drawn\n");
	if (report_html(&r) != 0)
		rc = 1;
	if (!quiet)
		report_text(&r);
	report_free(&r);
	report_free(&beside);
	return rc;
}
