# bench: the mpirun benchmark (fastboot against mscclpp, PMIx, MPI and a
# floor: shared memory on one node; across simulated nodes, shared memory
# within a node and TCP between them), which writes results.json, and
# bench_report, which renders the report from it (also for an old run).
# Needs json-c; the benchmark needs MPI too; PMIx and mscclpp are compared
# when configure finds them.
EXTRA_DIST += bench/run_nodes.sh
EXTRA_DIST += build.sh bench/bench_test.sh scripts/run-benchmark.sh \
	bench/targets.json bench/testdata/results-old.json
if HAVE_JSONC
noinst_PROGRAMS += bench/bench_report
bench_bench_report_SOURCES = \
	bench/bench.h \
	bench/report.h \
	bench/bench_report.c \
	bench/report_html.c \
	bench/report_boot.c \
	bench/report_load.c \
	bench/report_nodes.c \
	bench/report_plot.c \
	bench/report_sweep.c \
	bench/report_targets.c \
	bench/report_text.c \
	bench/results.c \
	bench/spawn.c \
	bench/stats.c
bench_bench_report_CPPFLAGS = $(AM_CPPFLAGS) $(JSONC_CFLAGS) \
	-DBENCH_TARGETS_DEFAULT='"$(abs_top_srcdir)/bench/targets.json"'
bench_bench_report_LDADD = $(JSONC_LIBS) -lm

if HAVE_MPI
noinst_PROGRAMS += bench/bootstrap_benchmark
bench_bootstrap_benchmark_SOURCES = \
	bench/bench.h \
	bench/bootstrap_benchmark.c \
	bench/cpu.c \
	bench/machine.c \
	bench/results.c \
	bench/spawn.c \
	bench/stats.c \
	bench/sys_fastboot.c \
	bench/sys_floor.c \
	bench/sys_mpi.c \
	bench/sys_netfloor.c
nodist_bench_bootstrap_benchmark_SOURCES = bench/buildinfo.h
bench_bootstrap_benchmark_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir) \
	$(MPI_CFLAGS) $(JSONC_CFLAGS)
bench_bootstrap_benchmark_LDADD = libclient/libfastboot-client.la \
	$(MPI_LIBS) $(JSONC_LIBS) -lm
# No libtool wrapper: mpirun starts the real program.
bench_bootstrap_benchmark_LDFLAGS = $(AM_LDFLAGS) -no-install
if HAVE_PMIX
bench_bootstrap_benchmark_SOURCES += bench/sys_pmix.c
bench_bootstrap_benchmark_CPPFLAGS += $(PMIX_CFLAGS)
bench_bootstrap_benchmark_LDADD += $(PMIX_LIBS)
else
bench_bootstrap_benchmark_SOURCES += bench/sys_nopmix.c
endif
if HAVE_MSCCLPP
bench_bootstrap_benchmark_SOURCES += bench/sys_mscclpp.cc
bench_bootstrap_benchmark_CXXFLAGS = -std=c++20 -Wall -Wextra \
	$(MSCCLPP_CPPFLAGS)
bench_bootstrap_benchmark_LDADD += $(MSCCLPP_LIBS)
endif

# What the run records of its build: the commit (git describe in a
# checkout, the version in a release tarball) and configure's arguments.
# Rewritten only when it changes.
BUILT_SOURCES += bench/buildinfo.h
CLEANFILES += bench/buildinfo.h
bench/buildinfo.h: bench-buildinfo-force
	$(AM_V_GEN)$(MKDIR_P) bench; \
	if test -e '$(top_srcdir)/.git' && c=$$(git -C '$(top_srcdir)' \
	    describe --always --dirty --tags 2>/dev/null); then :; \
	else c='$(PACKAGE_VERSION) (release tarball)'; fi; \
	a=$$($(top_builddir)/config.status --config | \
	    sed 's/\\/\\\\/g; s/"/\\"/g'); \
	printf '#define BENCH_COMMIT "%s"\n#define BENCH_CONFIGURE "%s"\n' \
	    "$$c" "$$a" >$@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
# Never a file, so always out of date: buildinfo.h is checked every make.
bench-buildinfo-force:
# Also when only this program is made (BUILT_SOURCES serve all and check).
bench/bootstrap_benchmark-bootstrap_benchmark.$(OBJEXT): bench/buildinfo.h
endif
endif
TESTS += bench/bench_test.sh
