/*
 * mscclpp_bootstrap.hpp - fastboot as an mscclpp::Bootstrap, so that an
 * mscclpp program bootstraps through the node's fastbootd instead of
 * mscclpp's TcpBootstrap:
 *
 *	fb_unique_id id;			// rank 0: fb_get_unique_id(&id)
 *	MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
 *	auto boot = std::make_shared<fastboot::MscclppBootstrap>(id, rank, n);
 *	mscclpp::Communicator comm(boot);
 *
 * Header-only: it needs mscclpp's headers and libfastboot-client, nothing
 * else.  Failures throw mscclpp::Error carrying fastboot's detail (which
 * rank, which phase, how long).
 */
#ifndef FASTBOOT_MSCCLPP_BOOTSTRAP_HPP
#define FASTBOOT_MSCCLPP_BOOTSTRAP_HPP

#include <string>

#include <mscclpp/core.hpp>
#include <mscclpp/errors.hpp>

#include <fastboot/fastboot.h>

namespace fastboot {

class MscclppBootstrap : public mscclpp::Bootstrap {
 public:
	MscclppBootstrap(const fb_unique_id &id, int rank, int nranks,
	    const fb_config *config = nullptr)
	{
		int rc = fb_comm_init_config(&comm_, &id, rank, nranks, config);

		if (rc != 0)
			fail(rc, "fb_comm_init", fb_comm_last_error(nullptr));
		fb_comm_rank(comm_, &rank_);
		fb_comm_size(comm_, &nranks_);
		fb_comm_local_size(comm_, &local_size_);
	}

	~MscclppBootstrap() override { fb_comm_destroy(comm_); }

	MscclppBootstrap(const MscclppBootstrap &) = delete;
	MscclppBootstrap &operator=(const MscclppBootstrap &) = delete;

	int getRank() const override { return rank_; }
	int getNranks() const override { return nranks_; }
	int getNranksPerNode() const override { return local_size_; }

	void send(void *data, int size, int peer, int tag) override
	{
		check(size < 0 ? FB_E_INVAL : fb_send(comm_, data,
		    static_cast<size_t>(size), peer, tag), "fb_send");
	}

	void recv(void *data, int size, int peer, int tag) override
	{
		check(size < 0 ? FB_E_INVAL : fb_recv(comm_, data,
		    static_cast<size_t>(size), peer, tag), "fb_recv");
	}

	void allGather(void *allData, int size) override
	{
		check(size < 0 ? FB_E_INVAL : fb_allgather(comm_, allData,
		    static_cast<size_t>(size)), "fb_allgather");
	}

	void barrier() override { check(fb_barrier(comm_), "fb_barrier"); }

	/* The underlying handle, for fastboot's own calls (fb_alltoall). */
	fb_comm *comm() const { return comm_; }

 private:
	fb_comm *comm_ = nullptr;
	int rank_ = 0;
	int nranks_ = 0;
	int local_size_ = 0;

	static mscclpp::ErrorCode code(int rc)
	{
		switch (rc) {
		case FB_E_TIMEOUT:
			return mscclpp::ErrorCode::Timeout;
		case FB_E_PEER_LOST:
		case FB_E_MISMATCH:
			return mscclpp::ErrorCode::RemoteError;
		case FB_E_ABORTED:
			return mscclpp::ErrorCode::Aborted;
		case FB_E_INVAL:
			return mscclpp::ErrorCode::InvalidUsage;
		default:
			return mscclpp::ErrorCode::SystemError;
		}
	}

	[[noreturn]] static void fail(int rc, const char *what,
	    const char *detail)
	{
		throw mscclpp::Error(std::string("fastboot: ") + what + ": " +
		    fb_strerror(rc) + ": " + detail, code(rc));
	}

	void check(int rc, const char *what) const
	{
		if (rc != 0)
			fail(rc, what, fb_comm_last_error(comm_));
	}
};

}  // namespace fastboot

#endif /* FASTBOOT_MSCCLPP_BOOTSTRAP_HPP */
