/*
 * bootstrap_test.cc - fastboot::MscclppBootstrap against a real mscclpp:
 * mscclpp's own bootstrap tests (test/mp_unit/bootstrap_tests.cc: WithId,
 * ResumeWithId, TimeoutWithId), its wrappers (groupBarrier, vector
 * send/recv), and TcpBootstrap's size and error semantics (read from its
 * src/core/bootstrap/bootstrap.cc), each case its own TAP line, with real
 * ranks (fork) and a real private fastbootd.
 */
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <sys/mman.h>

#include <unistd.h>

#include <fastboot/mscclpp_bootstrap.hpp>

extern "C" {
#include "harness.h"
#include "tap.h"
}

#define NRANKS 4
#define MiB (1u << 20)

using Boot = fastboot::MscclppBootstrap;
using mscclpp::ErrorCode;

static int
bt_say(int rank, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# rank %d: ", rank);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

#define BT_CHECK(cond, ...) do {					\
	if (!(cond))							\
		return bt_say(rank, __VA_ARGS__);			\
} while (0)

static const char *
bt_code(ErrorCode c)
{
	switch (c) {
	case ErrorCode::SystemError:
		return "SystemError";
	case ErrorCode::InternalError:
		return "InternalError";
	case ErrorCode::RemoteError:
		return "RemoteError";
	case ErrorCode::InvalidUsage:
		return "InvalidUsage";
	case ErrorCode::Timeout:
		return "Timeout";
	case ErrorCode::Aborted:
		return "Aborted";
	default:
		return "another code";
	}
}

/*
 * Run f; it must throw mscclpp::Error with code want and a message that
 * contains each of the NULL-terminated strings after it.  0 if so.
 */
template <typename F>
static int
bt_throws(int rank, const char *what, F f, ErrorCode want, ...)
{
	va_list ap;
	const char *s;

	try {
		f();
	} catch (const mscclpp::Error &e) {
		if (e.getErrorCode() != want)
			return bt_say(rank, "%s threw %s, not %s: %s", what,
			    bt_code(e.getErrorCode()), bt_code(want),
			    e.what());
		va_start(ap, want);
		while ((s = va_arg(ap, const char *)) != nullptr)
			if (strstr(e.what(), s) == nullptr) {
				va_end(ap);
				return bt_say(rank, "%s: \"%s\" lacks \"%s\"",
				    what, e.what(), s);
			}
		va_end(ap);
		return 0;
	}
	return bt_say(rank, "%s did not throw", what);
}

/* Run a rank body, turning an unexpected mscclpp::Error into a failure. */
template <typename F>
static int
bt_guard(int rank, F f)
{
	try {
		return f();
	} catch (const mscclpp::Error &e) {
		return bt_say(rank, "mscclpp::Error(%s): %s",
		    bt_code(e.getErrorCode()), e.what());
	}
}

static unsigned char
bt_byte(int from, size_t i)
{
	return static_cast<unsigned char>(from * 31 + i * 7 + (i >> 12));
}

/* Ring exchange of one message of size bytes: byte for byte. */
static int
bt_ring(Boot &b, int rank, int nranks, int size, int tag)
{
	int next = (rank + 1) % nranks, prev = (rank + nranks - 1) % nranks;
	std::vector<unsigned char> out(size), in(size + 1, 0xee);

	for (int i = 0; i < size; i++)
		out[i] = bt_byte(rank, i);
	b.send(out.data(), size, next, tag);
	b.recv(in.data(), size, prev, tag);
	for (int i = 0; i < size; i++)
		BT_CHECK(in[i] == bt_byte(prev, i), "%d-byte message from rank "
		    "%d: byte %d differs", size, prev, i);
	BT_CHECK(in[size] == 0xee, "%d-byte message wrote past its end",
	    size);
	return 0;
}

/*
 * mscclpp's fd server runs while an MscclppBootstrap lives: rank 0 puts a
 * memfd in it (as GpuIpcMem does a cuMem handle of POSIX type), rank 1
 * takes it through the socket named by rank 0's pid, as mscclpp's peer
 * does, and reads what rank 0 wrote; the socket is gone once the adapter
 * is.
 */
static int
bt_fd_server(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&]() -> int {
#if MSCCLPP_VERSION >= 800
		using Server = mscclpp::UnixSocketServer;
		using Client = mscclpp::UnixSocketClient;
		std::string path = Server::generateSocketPath(getpid());
		uint32_t msg[2] = { 0, 0 };
		char got[9] = { 0 };
		int fd = -1, peer_fd;

		{
			Boot b(*id, rank, nranks);

			if (rank == 0) {
				fd = memfd_create("fastboot-test", 0);
				BT_CHECK(fd != -1 && write(fd, "fastboot", 8) ==
				    8, "memfd: %s", strerror(errno));
				msg[0] = static_cast<uint32_t>(getpid());
				msg[1] = static_cast<uint32_t>(
				    Server::instance().registerFd(fd));
				b.send(msg, sizeof msg, 1, 7);
			} else if (rank == 1) {
				b.recv(msg, sizeof msg, 0, 7);
				peer_fd = Client::instance().requestFd(
				    Server::generateSocketPath(
				    static_cast<int>(msg[0])), msg[1]);
				BT_CHECK(pread(peer_fd, got, 8, 0) == 8 &&
				    memcmp(got, "fastboot", 8) == 0, "the fd "
				    "from rank 0 reads \"%s\"", got);
				close(peer_fd);
			}
			b.barrier();
			if (rank == 0) {
				Server::instance().unregisterFd(fd);
				close(fd);
			}
			BT_CHECK(access(path.c_str(), F_OK) == 0, "no fd "
			    "server socket at %s while the adapter lives",
			    path.c_str());
		}
		BT_CHECK(access(path.c_str(), F_OK) != 0, "the fd server "
		    "socket %s outlived the adapter", path.c_str());
#endif
		return 0;
	});
}

/* getRank, getNranks, getNranksPerNode (all ranks on this node). */
static int
bt_ranks(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		auto b = std::make_shared<Boot>(*id, rank, nranks);
		std::shared_ptr<mscclpp::Bootstrap> base = b;

		BT_CHECK(base->getRank() == rank, "getRank %d",
		    base->getRank());
		BT_CHECK(base->getNranks() == nranks, "getNranks %d",
		    base->getNranks());
		BT_CHECK(base->getNranksPerNode() == nranks,
		    "getNranksPerNode %d", base->getNranksPerNode());
#ifdef HAVE_MSCCLPP_IPC_DOMAIN
		BT_CHECK(base->getNranksPerIpcDomain() == nranks,
		    "getNranksPerIpcDomain %d",
		    base->getNranksPerIpcDomain());
#endif
		base->barrier();
		return 0;
	});
}

/* mscclpp's bootstrapTestAllGather, bootstrapTestBarrier and
 * bootstrapTestSendRecv (three tags to every peer, received in another
 * order), as BootstrapTest.WithId runs them. */
static int
bt_with_id(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		std::shared_ptr<mscclpp::Bootstrap> b =
		    std::make_shared<Boot>(*id, rank, nranks);
		std::vector<int> all(nranks, 0);

		all[rank] = rank + 1;
		b->allGather(all.data(), sizeof(int));
		for (int i = 0; i < nranks; i++)
			BT_CHECK(all[i] == i + 1, "allGather slot %d: %d", i,
			    all[i]);
		b->barrier();
		for (int i = 0; i < nranks; i++) {
			if (i == rank)
				continue;
			for (int t = 0; t < 3; t++) {
				int m = (rank + 1) * 3 + t;

				b->send(&m, sizeof m, i, t);
			}
		}
		for (int i = 0; i < nranks; i++) {
			int m[3] = { 0, 0, 0 };

			if (i == rank)
				continue;
			b->recv(&m[1], sizeof(int), i, 1);
			b->recv(&m[2], sizeof(int), i, 2);
			b->recv(&m[0], sizeof(int), i, 0);
			for (int t = 0; t < 3; t++)
				BT_CHECK(m[t] == (i + 1) * 3 + t, "from rank "
				    "%d tag %d: %d", i, t, m[t]);
		}
		b->barrier();
		return 0;
	});
}

/* Bootstrap::groupBarrier (send/recv of tag 0 within the group) and the
 * vector send/recv wrappers (a size, then the bytes, on one tag). */
static int
bt_wrappers(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		std::shared_ptr<mscclpp::Bootstrap> b =
		    std::make_shared<Boot>(*id, rank, nranks);
		int next = (rank + 1) % nranks, prev = (rank + nranks - 1) %
		    nranks;

		if (rank < 2)
			b->groupBarrier({ 0, 1 });
		else
			b->groupBarrier({ 2, 3 });
		b->groupBarrier({ 0, 1, 2, 3 });
		for (size_t n : { 0, 1, 100, 5000 }) {
			std::vector<char> out(n + rank), in;

			for (size_t i = 0; i < out.size(); i++)
				out[i] = static_cast<char>(bt_byte(rank, i));
			b->send(out, next, 6);
			b->recv(in, prev, 6);
			BT_CHECK(in.size() == n + prev, "vector of %zu bytes "
			    "from rank %d: %zu", n + prev, prev, in.size());
			for (size_t i = 0; i < in.size(); i++)
				BT_CHECK(in[i] == static_cast<char>(bt_byte(
				    prev, i)), "vector byte %zu differs", i);
		}
		b->barrier();
		return 0;
	});
}

/* Sizes around the frame classes, up to the largest one send() takes. */
static int
bt_sizes(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		Boot b(*id, rank, nranks);
		int tag = 0;

		for (int n : { 0, 1, 7, 55, 56, 57, 64, 65, 1000, 4096, 65536,
		    Boot::maxMessageBytes() - 1, Boot::maxMessageBytes() })
			if (bt_ring(b, rank, nranks, n, tag++) != 0)
				return 1;
		b.barrier();
		return 0;
	});
}

/* allGather of several sizes, and of zero bytes (TcpBootstrap sends none). */
static int
bt_allgather_sizes(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		Boot b(*id, rank, nranks);

		for (size_t n : { size_t(0), size_t(1), size_t(100),
		    size_t(4096), size_t(FB_MAX_SLICE_BYTES) }) {
			std::vector<unsigned char> all(n * nranks + 1, 0xee);

			for (size_t i = 0; i < n; i++)
				all[rank * n + i] = bt_byte(rank, i);
			b.allGather(n > 0 ? all.data() : nullptr,
			    static_cast<int>(n));
			for (int r = 0; r < nranks; r++)
				for (size_t i = 0; i < n; i++)
					BT_CHECK(all[r * n + i] == bt_byte(r,
					    i), "allGather of %zu: rank %d's "
					    "byte %zu differs", n, r, i);
			BT_CHECK(all[n * nranks] == 0xee, "allGather of %zu "
			    "wrote past the end", n);
		}
		return 0;
	});
}

/*
 * TcpBootstrap's netRecv: a message shorter than the buffer is taken (the
 * rest of the buffer stays as it was); a longer one throws InvalidUsage.
 * fastboot keeps the (peer, tag) usable after that: a longer message of
 * another size class stays queued for a recv of the right size, one of the
 * same class is dropped, and the next message arrives intact.
 */
static int
bt_shorter(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		Boot b(*id, rank, nranks);
		unsigned char buf[300];

		if (rank == 0) {
			unsigned char m[200];

			for (int i = 0; i < 200; i++)
				m[i] = bt_byte(0, i);
			b.send(m, 10, 1, 1);	/* into 300 */
			b.send(m, 200, 1, 1);	/* into 100: stays */
			b.send(m, 100, 1, 2);	/* into 99: dropped */
			b.send(m, 3, 1, 2);
			b.barrier();
			return 0;
		}
		if (rank != 1) {
			b.barrier();
			return 0;
		}
		memset(buf, 0xee, sizeof buf);
		b.recv(buf, sizeof buf, 0, 1);
		for (int i = 0; i < 10; i++)
			BT_CHECK(buf[i] == bt_byte(0, i), "short message: "
			    "byte %d differs", i);
		for (size_t i = 10; i < sizeof buf; i++)
			BT_CHECK(buf[i] == 0xee, "short message: byte %zu of "
			    "the buffer past it changed", i);
		if (bt_throws(rank, "recv of 100 (200 sent)", [&] {
			b.recv(buf, 100, 0, 1);
		}, ErrorCode::InvalidUsage, "100 bytes from rank 0 tag 1",
		    "longer", "stays queued", nullptr) != 0)
			return 1;
		b.recv(buf, 200, 0, 1);
		for (int i = 0; i < 200; i++)
			BT_CHECK(buf[i] == bt_byte(0, i), "queued message: "
			    "byte %d differs", i);
		if (bt_throws(rank, "recv of 99 (100 sent)", [&] {
			b.recv(buf, 99, 0, 2);
		}, ErrorCode::InvalidUsage, "Message truncated",
		    "received 100 bytes instead of 99", "dropped",
		    nullptr) != 0)
			return 1;
		memset(buf, 0, sizeof buf);
		b.recv(buf, 99, 0, 2);
		for (int i = 0; i < 3; i++)
			BT_CHECK(buf[i] == bt_byte(0, i), "message after the "
			    "dropped one: byte %d differs", i);
		b.barrier();
		return 0;
	});
}

/* Bad arguments and limits: InvalidUsage, as TcpBootstrap's own checks. */
static int
bt_usage(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		Boot b(*id, rank, nranks);
		int v = 0, big = Boot::maxMessageBytes() + 1;

		if (bt_throws(rank, "send to rank nranks", [&] {
			b.send(&v, sizeof v, nranks, 0);
		}, ErrorCode::InvalidUsage, "rank 4", nullptr) != 0 ||
		    bt_throws(rank, "recv from rank -1", [&] {
			b.recv(&v, sizeof v, -1, 0);
		}, ErrorCode::InvalidUsage, "rank -1", nullptr) != 0 ||
		    bt_throws(rank, "send of -1 bytes", [&] {
			b.send(&v, -1, 0, 0);
		}, ErrorCode::InvalidUsage, "-1 bytes", nullptr) != 0 ||
		    bt_throws(rank, "recv of -1 bytes", [&] {
			b.recv(&v, -1, 0, 0);
		}, ErrorCode::InvalidUsage, "-1 bytes", nullptr) != 0 ||
		    bt_throws(rank, "allGather of -1 bytes", [&] {
			b.allGather(&v, -1);
		}, ErrorCode::InvalidUsage, "-1 bytes", nullptr) != 0 ||
		    bt_throws(rank, "send over the cap", [&] {
			std::vector<char> m(big);
			b.send(m.data(), big, (rank + 1) % nranks, 0);
		}, ErrorCode::InvalidUsage, std::to_string(big).c_str(),
		    nullptr) != 0)
			return 1;
		b.barrier();
		return 0;
	});
}

/* Ranks that disagree on an allGather's size: InvalidUsage, naming both
 * sizes (TcpBootstrap: "Message truncated" InvalidUsage, or a hang). */
static int
bt_allgather_mismatch(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		Boot b(*id, rank, nranks);
		std::vector<char> all(16 * nranks);
		int n = rank == nranks - 1 ? 16 : 8;

		return bt_throws(rank, "allGather of differing sizes", [&] {
			b.allGather(all.data(), n);
		}, ErrorCode::InvalidUsage, "8 bytes", "16 bytes", nullptr);
	});
}

/* A peer that dies while we wait for it: RemoteError naming it (TcpBootstrap:
 * "connection closed by remote peer", RemoteError). */
static int
bt_peer_lost(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		Boot b(*id, rank, nranks);
		int v;

		b.barrier();
		if (rank == 1)
			_exit(0);	/* dies without leaving */
		return bt_throws(rank, "recv from a dead rank", [&] {
			b.recv(&v, sizeof v, 1, 3);
		}, ErrorCode::RemoteError, "rank 1", nullptr);
	});
}

/* A receive nobody answers: Timeout naming the peer. */
static int
bt_timeout(const fb_unique_id *id, int rank, int nranks, void *)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;

	/* Rank 1 waits in the barrier longer than rank 0's receive. */
	cfg.timeout_ms = rank == 0 ? 300 : 20000;
	return bt_guard(rank, [&] {
		Boot b(*id, rank, nranks, &cfg);
		int v;

		if (rank == 0 && bt_throws(rank, "recv nobody answers", [&] {
			b.recv(&v, sizeof v, 1, 9);
		}, ErrorCode::Timeout, "rank 1", "timed out", nullptr) != 0)
			return 1;
		b.barrier();
		return 0;
	});
}

/* BootstrapTest.TimeoutWithId: every rank joins with an id of its own, so
 * none completes; init throws Timeout, not before the 1 s asked for. */
static int
bt_timeout_with_id(const fb_unique_id *, int rank, int nranks, void *)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_unique_id own;
	double t0;

	th_unique_id(&own);
	cfg.timeout_ms = 1000;
	t0 = th_now_ms();
	if (bt_throws(rank, "init with an id no other rank has", [&] {
		Boot b(own, rank, nranks, &cfg);
	}, ErrorCode::Timeout, "fb_comm_init", nullptr) != 0)
		return 1;
	BT_CHECK(th_now_ms() - t0 >= 1000, "Timeout after %.0f ms, before the "
	    "1000 ms asked for", th_now_ms() - t0);
	return 0;
}

/* Ranks that disagree on the number of ranks: InvalidUsage. */
static int
bt_nranks_mismatch(const fb_unique_id *id, int rank, int, void *)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;

	cfg.timeout_ms = 10000;
	return bt_throws(rank, "init with another nranks", [&] {
		Boot b(*id, rank, rank == 0 ? 2 : 3, &cfg);
	}, ErrorCode::InvalidUsage, "fb_comm_init", nullptr);
}

/* BootstrapTest.ResumeWithId: ten bootstraps in a row in the same
 * processes, each with a new id (made by the parent, passed in arg). */
static int
bt_resume(const fb_unique_id *, int rank, int nranks, void *arg)
{
	const fb_unique_id *ids = static_cast<const fb_unique_id *>(arg);

	return bt_guard(rank, [&] {
		for (int i = 0; i < 10; i++) {
			Boot b(ids[i], rank, nranks);
			int v = rank * 100 + i;
			std::vector<int> all(nranks);

			all[rank] = v;
			b.allGather(all.data(), sizeof(int));
			for (int r = 0; r < nranks; r++)
				BT_CHECK(all[r] == r * 100 + i, "bootstrap %d: "
				    "slot %d is %d", i, r, all[r]);
		}
		return 0;
	});
}

/* The same id, once its job ended, serves a new job (TcpBootstrap: a new
 * listener on the id's port). */
static int
bt_reuse(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		for (int i = 0; i < 2; i++) {
			Boot b(*id, rank, nranks);

			b.barrier();
		}
		return 0;
	});
}

/* Over the old 1 MiB cap: a 4 MiB message around a ring (TcpBootstrap has
 * no cap). */
static int
bt_big(const fb_unique_id *id, int rank, int nranks, void *)
{
	return bt_guard(rank, [&] {
		Boot b(*id, rank, nranks);
		/* send/recv only: allGather slices stay at
		 * FB_MAX_SLICE_BYTES (1 MiB) per rank. */
		return bt_ring(b, rank, nranks, static_cast<int>(4 * MiB), 1);
	});
}

int
main()
{
	struct th_daemon d;
	fb_unique_id ids[10];

	th_deadline(150);
	tap_plan(17);
	if (!ok(th_daemon_start(&d, nullptr) == 0, "fastbootd started")) {
		th_daemon_cleanup(&d);
		return tap_done();
	}
	ok(th_run_ranks(NRANKS, bt_ranks, nullptr, 20000) == 0, "getRank, "
	    "getNranks, getNranksPerNode");
#if MSCCLPP_VERSION >= 800
	ok(th_run_ranks(2, bt_fd_server, nullptr, 20000) == 0, "mscclpp's fd "
	    "server lives with the adapter: a memfd registered by rank 0 is "
	    "read by rank 1 through it");
#else
	tap_skip("mscclpp before 0.8 passes no descriptors");
#endif
	ok(th_run_ranks(NRANKS, bt_with_id, nullptr, 20000) == 0, "WithId: "
	    "allGather, barrier, send/recv of three tags to every peer "
	    "received in another order");
	ok(th_run_ranks(NRANKS, bt_wrappers, nullptr, 20000) == 0,
	    "groupBarrier over subsets, vector send/recv of 0..5000 bytes");
	ok(th_run_ranks(NRANKS, bt_sizes, nullptr, 30000) == 0, "send/recv of "
	    "0 B .. maxMessageBytes() (%d B) byte for byte",
	    Boot::maxMessageBytes());
	ok(th_run_ranks(NRANKS, bt_allgather_sizes, nullptr, 30000) == 0,
	    "allGather of 0 B .. %u B per rank byte for byte",
	    FB_MAX_SLICE_BYTES);
	ok(th_run_ranks(NRANKS, bt_shorter, nullptr, 20000) == 0, "recv takes "
	    "a shorter message, throws InvalidUsage for a longer one and "
	    "keeps the stream usable");
	ok(th_run_ranks(NRANKS, bt_usage, nullptr, 20000) == 0, "bad peer, "
	    "negative size, over the cap: InvalidUsage");
	ok(th_run_ranks(NRANKS, bt_allgather_mismatch, nullptr, 20000) == 0,
	    "allGather of differing sizes: InvalidUsage on every rank");
	ok(th_run_ranks(2, bt_peer_lost, nullptr, 20000) == 0, "a peer dying "
	    "during recv: RemoteError naming it");
	ok(th_run_ranks(2, bt_timeout, nullptr, 30000) == 0, "a recv nobody "
	    "answers: Timeout naming the peer");
	ok(th_run_ranks(2, bt_timeout_with_id, nullptr, 20000) == 0,
	    "TimeoutWithId: init that cannot complete throws Timeout after the "
	    "time asked for");
	ok(th_run_ranks(2, bt_nranks_mismatch, nullptr, 20000) == 0, "ranks "
	    "that disagree on nranks: InvalidUsage");
	for (int i = 0; i < 10; i++)
		th_unique_id(&ids[i]);
	ok(th_run_ranks(NRANKS, bt_resume, ids, 60000) == 0, "ResumeWithId: "
	    "10 bootstraps in a row");
	ok(th_run_ranks(NRANKS, bt_reuse, nullptr, 30000) == 0, "the same id "
	    "serves a second job after the first ended");
	ok(th_run_ranks(2, bt_big, nullptr, 60000) == 0, "4 MiB send/recv, "
	    "byte for byte");
	th_daemon_cleanup(&d);
	return tap_done();
}
