# tests/fuzz: the libFuzzer targets and their seed corpus: the wire codec
# (every direction, peer frames included), and the daemon driven in-process
# over a socketpair by one harness (fuzz_stream.c) as a client's connection
# (fuzz_daemon) or a peer link (fuzz_peer).
#
# `make check` replays every corpus file through the target's entry point
# (tests/fuzz/replay, a plain main(); one TAP test per file).  With
# ./configure --enable-fuzzing CC=clang, `make tests/fuzz/fuzz_wire` builds
# the libFuzzer binary; run it as
#	tests/fuzz/fuzz_wire -max_total_time=600 NEWDIR $(srcdir)/tests/fuzz/corpus
# and add what it finds (crash-*) to the corpus as regress-* cases.
check_PROGRAMS += tests/fuzz/replay
TESTS += tests/fuzz/replay
tests_fuzz_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_wire.c \
	tests/fuzz/fuzz.h
tests_fuzz_replay_CPPFLAGS = $(TEST_CPPFLAGS)
tests_fuzz_replay_LDADD = tests/lib/libharness.la wire/libwire.la

# The daemon's connection state machine and job logic, driven in-process.
check_PROGRAMS += tests/fuzz/replay_daemon
TESTS += tests/fuzz/replay_daemon
tests_fuzz_replay_daemon_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_daemon.c tests/fuzz/fuzz_stream.c tests/fuzz/fuzz.h
tests_fuzz_replay_daemon_CPPFLAGS = $(TEST_CPPFLAGS) $(LIBEVENT_CFLAGS)
tests_fuzz_replay_daemon_LDADD = tests/lib/libharness.la \
	daemon/libfastbootd.la

# What a host on the network sends a daemon's TCP port (peer links).
check_PROGRAMS += tests/fuzz/replay_peer
TESTS += tests/fuzz/replay_peer
tests_fuzz_replay_peer_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_peer.c tests/fuzz/fuzz_stream.c tests/fuzz/fuzz.h
tests_fuzz_replay_peer_CPPFLAGS = $(TEST_CPPFLAGS) $(LIBEVENT_CFLAGS) \
	$(SODIUM_CFLAGS)
tests_fuzz_replay_peer_LDADD = tests/lib/libharness.la \
	daemon/libfastbootd.la

# The send/recv rings of the rank table, as a scribbling rank leaves them.
check_PROGRAMS += tests/fuzz/replay_ring
TESTS += tests/fuzz/replay_ring
tests_fuzz_replay_ring_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_ring.c \
	tests/fuzz/fuzz.h
tests_fuzz_replay_ring_CPPFLAGS = $(TEST_CPPFLAGS)
tests_fuzz_replay_ring_LDADD = tests/lib/libharness.la wire/libwire.la

# The seed generator (not a test; built with the tests so it stays true to
# the codec).
check_PROGRAMS += tests/fuzz/gen_corpus
tests_fuzz_gen_corpus_SOURCES = tests/fuzz/gen_corpus.c
tests_fuzz_gen_corpus_LDADD = wire/libwire.la $(SODIUM_LIBS)

EXTRA_DIST += tests/fuzz/corpus

if ENABLE_FUZZING
# The codec is compiled into the target so that libFuzzer sees its edges.
noinst_PROGRAMS += tests/fuzz/fuzz_wire
tests_fuzz_fuzz_wire_SOURCES = tests/fuzz/fuzz_wire.c tests/fuzz/fuzz.h \
	wire/wire.c wire/wire.h wire/reader.c wire/reader.h
tests_fuzz_fuzz_wire_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) \
	-fno-sanitize-recover=all
tests_fuzz_fuzz_wire_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)

noinst_PROGRAMS += tests/fuzz/fuzz_ring
tests_fuzz_fuzz_ring_SOURCES = tests/fuzz/fuzz_ring.c tests/fuzz/fuzz.h \
	wire/ring.c wire/ring.h
tests_fuzz_fuzz_ring_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) \
	-fno-sanitize-recover=all
tests_fuzz_fuzz_ring_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)

# The daemon's sources are compiled into its target for the same reason.
noinst_PROGRAMS += tests/fuzz/fuzz_daemon
tests_fuzz_fuzz_daemon_SOURCES = tests/fuzz/fuzz_daemon.c \
	tests/fuzz/fuzz_stream.c tests/fuzz/fuzz.h \
	$(daemon_libfastbootd_la_SOURCES) wire/wire.c wire/wire.h \
	wire/peer.c wire/peer.h wire/reader.c wire/reader.h
tests_fuzz_fuzz_daemon_CPPFLAGS = $(AM_CPPFLAGS) $(LIBEVENT_CFLAGS) \
	$(SYSTEMD_CFLAGS)
tests_fuzz_fuzz_daemon_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) \
	-fno-sanitize-recover=all
tests_fuzz_fuzz_daemon_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_daemon_LDADD = $(LIBEVENT_LIBS) $(SYSTEMD_LIBS) $(SODIUM_LIBS)

noinst_PROGRAMS += tests/fuzz/fuzz_peer
tests_fuzz_fuzz_peer_SOURCES = tests/fuzz/fuzz_peer.c \
	tests/fuzz/fuzz_stream.c tests/fuzz/fuzz.h \
	$(daemon_libfastbootd_la_SOURCES) wire/wire.c wire/wire.h \
	wire/peer.c wire/peer.h wire/reader.c wire/reader.h
tests_fuzz_fuzz_peer_CPPFLAGS = $(AM_CPPFLAGS) $(LIBEVENT_CFLAGS) \
	$(SYSTEMD_CFLAGS) $(SODIUM_CFLAGS)
tests_fuzz_fuzz_peer_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) \
	-fno-sanitize-recover=all
tests_fuzz_fuzz_peer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_peer_LDADD = $(LIBEVENT_LIBS) $(SYSTEMD_LIBS) $(SODIUM_LIBS)
endif
