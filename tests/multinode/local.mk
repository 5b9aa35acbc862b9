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

# Simulated nodes: helpers of the scripts below.
check_PROGRAMS += tests/multinode/mn_rank tests/multinode/mn_spawn
tests_multinode_mn_rank_SOURCES = tests/multinode/mn_rank.c
tests_multinode_mn_rank_LDADD = libclient/libfastboot-client.la
# ip netns exec and mpirun start the real program, not a libtool wrapper.
tests_multinode_mn_rank_LDFLAGS = $(AM_LDFLAGS) -no-install
tests_multinode_mn_spawn_SOURCES = tests/multinode/mn_spawn.c
EXTRA_DIST += tests/multinode/netns.sh
# Across simulated nodes (root and ip netns, else they skip).
MULTINODE_NETNS_TESTS = \
	tests/multinode/calls_test.sh \
	tests/multinode/late_test.sh \
	tests/multinode/failure_test.sh \
	tests/multinode/hang_test.sh \
	tests/multinode/concurrent_test.sh \
	tests/multinode/reuse_test.sh \
	tests/multinode/pmix_test.sh \
	tests/multinode/bench_nodes_test.sh \
	tests/multinode/forged_test.sh \
	tests/multinode/dns_test.sh \
	tests/multinode/tree_test.sh \
	tests/multinode/handover_test.sh \
	tests/multinode/flood_test.sh \
	tests/multinode/arrive_test.sh
MULTINODE_TESTS += $(MULTINODE_NETNS_TESTS)
EXTRA_DIST += $(MULTINODE_NETNS_TESTS)
# A host without the secret: raw daemon-to-daemon frames (forged_test.sh).
check_PROGRAMS += tests/multinode/mn_inject
tests_multinode_mn_inject_SOURCES = tests/multinode/mn_inject.c
tests_multinode_mn_inject_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
tests_multinode_mn_inject_LDADD = wire/libwire.la $(SODIUM_LIBS)
# A rank whose JOIN carries a node map with given host names (dns_test.sh).
check_PROGRAMS += tests/multinode/mn_mapjoin
tests_multinode_mn_mapjoin_SOURCES = tests/multinode/mn_mapjoin.c
tests_multinode_mn_mapjoin_LDADD = wire/libwire.la
tests_multinode_mn_mapjoin_LDFLAGS = $(AM_LDFLAGS) -no-install

TESTS += $(MULTINODE_TESTS)
