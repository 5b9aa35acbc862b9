# tests/multinode: several fastbootd on simulated nodes (network namespaces
# joined by a bridge), one job across them; and the PMIx node-map reader.
MULTINODE_TESTS = tests/multinode/nodemap_test.sh
EXTRA_DIST += tests/multinode/nodemap_test.sh
if HAVE_PMIX
check_PROGRAMS += tests/multinode/nodemap_rank
tests_multinode_nodemap_rank_SOURCES = tests/multinode/nodemap_rank.c \
	libclient/pmix.c libclient/nodemap.h
tests_multinode_nodemap_rank_CPPFLAGS = $(TEST_CPPFLAGS) $(PMIX_CFLAGS)
tests_multinode_nodemap_rank_LDADD = $(PMIX_LIBS)
# mpirun starts the real program, not a libtool wrapper.
tests_multinode_nodemap_rank_LDFLAGS = $(AM_LDFLAGS) -no-install
else
EXTRA_DIST += tests/multinode/nodemap_rank.c
endif
TESTS += $(MULTINODE_TESTS)
