/*
 * bootstrap_test.cc - fastboot::MscclppBootstrap against a real mscclpp:
 * every virtual of mscclpp::Bootstrap, mscclpp's own wrappers built on them
 * (groupBarrier, vector send/recv), and an error surfacing as mscclpp::Error.
 */
#include <cstring>
#include <memory>
#include <vector>

#include <fastboot/mscclpp_bootstrap.hpp>

extern "C" {
#include "harness.h"
#include "tap.h"
}

#define NRANKS 4

static int
bt_rank(const fb_unique_id *id, int rank, int nranks, void *)
{
	try {
		auto boot = std::make_shared<fastboot::MscclppBootstrap>(*id,
		    rank, nranks);
		std::shared_ptr<mscclpp::Bootstrap> base = boot;

		if (base->getRank() != rank || base->getNranks() != nranks ||
		    base->getNranksPerNode() != nranks ||
		    base->getNranksPerIpcDomain() != nranks)
			return 2;
		std::vector<long> all(nranks);
		all[rank] = 1000 + rank;
		base->allGather(all.data(), sizeof(long));
		for (int r = 0; r < nranks; r++)
			if (all[r] != 1000 + r)
				return 3;
		base->barrier();

		int next = (rank + 1) % nranks, prev = (rank + nranks - 1) %
		    nranks, v = rank;
		base->send(&v, sizeof v, next, 5);
		base->recv(&v, sizeof v, prev, 5);
		if (v != prev)
			return 4;

		std::vector<char> out(100 + rank,
		    static_cast<char>('a' + rank));
		std::vector<char> in;
		base->send(out, next, 6);
		base->recv(in, prev, 6);
		if (in.size() != static_cast<size_t>(100 + prev) ||
		    in[0] != 'a' + prev)
			return 5;

		base->groupBarrier({ 0, 1, 2, 3 });
		base->barrier();
	} catch (const mscclpp::Error &e) {
		fprintf(stderr, "rank %d: %s\n", rank, e.what());
		return 1;
	}
	return 0;
}

/* A receive nobody answers: mscclpp::Error with ErrorCode::Timeout. */
static int
bt_timeout(const fb_unique_id *id, int rank, int nranks, void *)
{
	fb_config cfg = FB_CONFIG_INITIALIZER;

	/* Rank 1 waits in the barrier longer than rank 0's receive. */
	cfg.timeout_ms = rank == 0 ? 300 : 20000;
	try {
		fastboot::MscclppBootstrap boot(*id, rank, nranks, &cfg);
		int v;

		if (rank == 0) {
			try {
				boot.recv(&v, sizeof v, 1, 9);
			} catch (const mscclpp::Error &e) {
				if (e.getErrorCode() !=
				    mscclpp::ErrorCode::Timeout ||
				    strstr(e.what(), "rank 1") == nullptr)
					return 2;
				boot.barrier();
				return 0;
			}
			return 3;
		}
		boot.barrier();
	} catch (const mscclpp::Error &e) {
		fprintf(stderr, "rank %d: %s\n", rank, e.what());
		return 1;
	}
	return 0;
}

int
main()
{
	struct th_daemon d;

	th_deadline(60);
	tap_plan(3);
	ok(th_daemon_start(&d, nullptr) == 0, "fastbootd started");
	ok(th_run_ranks(NRANKS, bt_rank, nullptr, 30000) == 0, "%d ranks run "
	    "mscclpp::Bootstrap's calls and wrappers through fastboot", NRANKS);
	ok(th_run_ranks(2, bt_timeout, nullptr, 30000) == 0, "a receive that "
	    "times out throws mscclpp::Error(Timeout) naming the peer");
	th_daemon_cleanup(&d);
	return tap_done();
}
