/*
 * sys_mscclpp.cc - mscclpp's TcpBootstrap through its public C++ API
 * (mscclpp/core.hpp).  Built only when configure found mscclpp; the only C++
 * in the project.  Exceptions never cross into the C part.
 */
#include <cstdio>
#include <cstring>
#include <exception>

/* The C API only: no MPI C++ bindings (they need libmpi_cxx). */
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <mscclpp/core.hpp>
#include <mscclpp/version.hpp>

#include "bench/bench.h"

namespace {

int
sys_mscclpp_fail(char *err, size_t errlen, const char *what, const char *why)
{
	std::snprintf(err, errlen, "%s: %s", what, why);
	return -1;
}

int
sys_mscclpp_boot(void **h, char *err, size_t errlen)
{
	mscclpp::UniqueId id{};
	mscclpp::TcpBootstrap *b = nullptr;
	int rc = 0;

	if (bench_rank == 0) {
		try {
			id = mscclpp::TcpBootstrap::createUniqueId();
		} catch (const std::exception &e) {
			rc = -1;
			std::snprintf(err, errlen, "createUniqueId: %s",
			    e.what());
		}
	}
	MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (rc != 0) {
		if (bench_rank != 0)
			std::snprintf(err, errlen, "createUniqueId failed "
			    "on rank 0");
		return -1;
	}
	MPI_Bcast(id.data(), (int)id.size(), MPI_BYTE, 0, MPI_COMM_WORLD);
	bench_id_us = bench_now_us();
	try {
		b = new mscclpp::TcpBootstrap(bench_rank, bench_nranks);
		b->initialize(id, 30);
		b->barrier();
	} catch (const std::exception &e) {
		delete b;
		return sys_mscclpp_fail(err, errlen, "TcpBootstrap", e.what());
	}
	*h = b;
	return 0;
}

int
sys_mscclpp_fini(void *h)
{
	try {
		delete static_cast<mscclpp::TcpBootstrap *>(h);
	} catch (...) {
		return -1;
	}
	return 0;
}

int
sys_mscclpp_barrier(void *h, char *err, size_t errlen)
{
	try {
		static_cast<mscclpp::TcpBootstrap *>(h)->barrier();
	} catch (const std::exception &e) {
		return sys_mscclpp_fail(err, errlen, "barrier", e.what());
	}
	return 0;
}

int
sys_mscclpp_allgather(void *h, void *buf, size_t bytes, char *err,
    size_t errlen)
{
	try {
		static_cast<mscclpp::TcpBootstrap *>(h)->allGather(buf,
		    (int)bytes);
	} catch (const std::exception &e) {
		return sys_mscclpp_fail(err, errlen, "allGather", e.what());
	}
	return 0;
}

int
sys_mscclpp_pingpong(void *h, void *buf, size_t len, int peer, char *err,
    size_t errlen)
{
	auto *b = static_cast<mscclpp::TcpBootstrap *>(h);

	try {
		if (bench_rank < peer) {
			b->send(buf, (int)len, peer, 1);
			b->recv(buf, (int)len, peer, 2);
		} else {
			b->recv(buf, (int)len, peer, 1);
			b->send(buf, (int)len, peer, 2);
		}
	} catch (const std::exception &e) {
		return sys_mscclpp_fail(err, errlen, "send/recv", e.what());
	}
	return 0;
}

/* Endpoint exchange (bench.h): what Communicator::sendMemory/recvMemory
 * and connect() do over the bootstrap, then a barrier. */
int
sys_mscclpp_exchange(void *h, const void *sbuf, void *rbuf, char *err,
    size_t errlen)
{
	auto *b = static_cast<mscclpp::TcpBootstrap *>(h);
	auto *s = static_cast<unsigned char *>(const_cast<void *>(sbuf));
	auto *r = static_cast<unsigned char *>(rbuf);
	int n = bench_nranks, me = bench_rank;

	try {
		for (int i = 1; i < n; i++) {
			int p = (me + i) % n;

			b->send(s + (size_t)p * BENCH_EXCH_BYTES,
			    BENCH_EXCH_SMALL, p, BENCH_EXCH_TAG(me, 0));
			b->send(s + (size_t)p * BENCH_EXCH_BYTES +
			    BENCH_EXCH_SMALL, BENCH_EXCH_LARGE, p,
			    BENCH_EXCH_TAG(me, 1));
		}
		for (int i = 1; i < n; i++) {
			int p = (me - i + n) % n;

			b->recv(r + (size_t)p * BENCH_EXCH_BYTES,
			    BENCH_EXCH_SMALL, p, BENCH_EXCH_TAG(p, 0));
			b->recv(r + (size_t)p * BENCH_EXCH_BYTES +
			    BENCH_EXCH_SMALL, BENCH_EXCH_LARGE, p,
			    BENCH_EXCH_TAG(p, 1));
		}
		b->barrier();
	} catch (const std::exception &e) {
		return sys_mscclpp_fail(err, errlen, "endpoint exchange",
		    e.what());
	}
	return 0;
}

bench_sys
sys_mscclpp_sys()
{
	bench_sys s;

	std::memset(&s, 0, sizeof s);
	s.name = "mscclpp";
	s.boot_what = "TcpBootstrap::createUniqueId (rank 0) -> MPI_Bcast -> "
	    "TcpBootstrap(rank, n).initialize(id) -> first barrier()";
	s.note = "TcpBootstrap waits by polling non-blocking sockets in a "
	    "loop (it spins), and barrier/allGather go around a ring of "
	    "n-1 serial hops; with more ranks than cores its latencies depend "
	    "on the scheduler and vary widely from run to run (see the 95% "
	    "CI of its medians); it has no alltoall";
	s.boot = sys_mscclpp_boot;
	s.fini = sys_mscclpp_fini;
	s.barrier = sys_mscclpp_barrier;
	s.allgather = sys_mscclpp_allgather;
	s.pingpong = sys_mscclpp_pingpong;
	s.exchange = sys_mscclpp_exchange;
	return s;
}

}	/* namespace */

extern "C" {

const struct bench_sys sys_mscclpp = sys_mscclpp_sys();

const char *
sys_mscclpp_version(void)
{
	static char v[64];

	std::snprintf(v, sizeof v, "%d.%d.%d (%s)", MSCCLPP_MAJOR,
	    MSCCLPP_MINOR, MSCCLPP_PATCH, MSCCLPP_GIT_COMMIT);
	return v;
}

}
