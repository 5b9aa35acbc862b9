# bench: the mpirun benchmark (fastboot against mscclpp, PMIx, MPI and a
# shared-memory floor) and its report.  Needs MPI; PMIx and mscclpp are
# compared when configure finds them.
EXTRA_DIST += bench/bench_test.sh scripts/run-benchmark.sh
if HAVE_MPI
noinst_PROGRAMS += bench/bootstrap_benchmark
bench_bootstrap_benchmark_SOURCES = \
	bench/bench.h \
	bench/bootstrap_benchmark.c \
	bench/cpu.c \
	bench/report.c \
	bench/stats.c \
	bench/sys_fastboot.c \
	bench/sys_floor.c \
	bench/sys_mpi.c
bench_bootstrap_benchmark_CPPFLAGS = $(AM_CPPFLAGS) $(MPI_CFLAGS)
bench_bootstrap_benchmark_LDADD = libclient/libfastboot-client.la \
	$(MPI_LIBS) -lm
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
endif
TESTS += bench/bench_test.sh
