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
 * rank, which phase, how long), with TcpBootstrap's error codes:
 *
 *	bad argument, over a limit, sizes that differ	InvalidUsage
 *	a peer left or died				RemoteError
 *	a deadline passed				Timeout
 *	another rank gave up				Aborted
 *	anything else (daemon gone, system call)	SystemError
 *
 * Sizes, as TcpBootstrap's (src/core/bootstrap/bootstrap.cc, netRecv):
 * recv() accepts a message shorter than its buffer (the rest of the buffer
 * is left as it was) and throws InvalidUsage for a longer one.  Unlike
 * TcpBootstrap, the longer message is not half read: the stream of that
 * (peer, tag) stays usable.  To know a message's length before taking it,
 * send() frames it: an 8-byte length, the payload, and zeros up to the
 * next size class (at most 1/8 more), so recv() finds it by trying its own
 * size's class and those below, each a look into the local queue
 * (doc/decisions.md, "The mscclpp adapter frames its messages").  So a
 * (peer, tag) used through this class carries only framed messages: use
 * other tags for fb_send/fb_recv on comm().  One send() carries at most
 * maxMessageBytes().
 *
 * Every call has fastboot's deadline (fb_config's timeout_ms, else
 * FASTBOOT_TIMEOUT_MS, else 30 s), where TcpBootstrap's recv() waits
 * forever: ranks that may drift apart by more (one loads a checkpoint
 * while the others wait in recvMemory) pass a config with timeout_ms -1.
 *
 * mscclpp 0.8 and later pass some GPU memory handles between the processes
 * of a node as file descriptors (cuMem handles of POSIX type, on nodes
 * where cudaIpc handles cannot be made, such as NVLS), through a Unix
 * socket server in each process that only TcpBootstrap::initialize starts.
 * This class starts it with the first MscclppBootstrap of the process and
 * stops it with the last.
 */
#ifndef FASTBOOT_MSCCLPP_BOOTSTRAP_HPP
#define FASTBOOT_MSCCLPP_BOOTSTRAP_HPP

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <mscclpp/core.hpp>
#include <mscclpp/errors.hpp>

#include <fastboot/fastboot.h>

#if MSCCLPP_VERSION >= 800
/* mscclpp's fd server and client (src/core/include/unix_socket.hpp, which
 * is not installed): their public members, exported by libmscclpp. */
namespace mscclpp {
class UnixSocketServer {
 public:
	static UnixSocketServer &instance();
	static std::string generateSocketPath(int socketId);
	void start();
	void stop();
	int registerFd(int fd);
	void unregisterFd(int fd);
};
class UnixSocketClient {
 public:
	static UnixSocketClient &instance();
	int requestFd(const std::string &socketPath, uint32_t fdId);
	void reset();
};
}  // namespace mscclpp
#endif

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
		try {
			fdServer(1);
		} catch (...) {
			fb_comm_destroy(comm_);
			throw;
		}
	}

	~MscclppBootstrap() override
	{
		fdServer(-1);
		fb_comm_destroy(comm_);
	}

	MscclppBootstrap(const MscclppBootstrap &) = delete;
	MscclppBootstrap &operator=(const MscclppBootstrap &) = delete;

	int getRank() const override { return rank_; }
	int getNranks() const override { return nranks_; }
	int getNranksPerNode() const override { return local_size_; }

	/* The largest payload of one send(): the library's per-message cap
	 * less the frame's length word. */
	static constexpr int maxMessageBytes()
	{
		return static_cast<int>(FB_MAX_MSG_BYTES - kHeader);
	}

	void send(void *data, int size, int peer, int tag) override
	{
		size_t frame;

		if (size < 0 || size > maxMessageBytes())
			usage("send of %d bytes to rank %d tag %d: need 0 <= "
			    "size <= %d", size, peer, tag, maxMessageBytes());
		if (data == nullptr && size > 0)
			usage("send of %d bytes to rank %d tag %d: data is "
			    "NULL", size, peer, tag);
		frame = frameClass(kHeader + static_cast<size_t>(size));
		if (sendBuf_.size() < frame)
			sendBuf_.resize(frame);
		putLength(sendBuf_.data(), static_cast<uint64_t>(size));
		if (size > 0)
			std::memcpy(sendBuf_.data() + kHeader, data,
			    static_cast<size_t>(size));
		std::memset(sendBuf_.data() + kHeader + size, 0,
		    frame - kHeader - static_cast<size_t>(size));
		check(fb_send(comm_, sendBuf_.data(), frame, peer, tag),
		    "fb_send");
	}

	void recv(void *data, int size, int peer, int tag) override
	{
		size_t frame, want;
		uint64_t len;
		int rc;

		if (size < 0)
			usage("recv of %d bytes from rank %d tag %d: the size "
			    "is negative", size, peer, tag);
		if (data == nullptr && size > 0)
			usage("recv of %d bytes from rank %d tag %d: data is "
			    "NULL", size, peer, tag);
		want = kHeader + static_cast<size_t>(size);
		frame = frameClass(want < FB_MAX_MSG_BYTES ? want :
		    FB_MAX_MSG_BYTES);
		if (recvBuf_.size() < frame)
			recvBuf_.resize(frame);
		/* The first try waits for the message; it is then queued
		 * here, and each smaller class is a look into the queue. */
		for (;;) {
			rc = fb_recv(comm_, recvBuf_.data(), frame, peer, tag);
			if (rc == 0)
				break;
			if (rc != FB_E_MISMATCH)
				check(rc, "fb_recv");
			if (frame == kMinFrame)
				usage("recv of %d bytes from rank %d tag %d: "
				    "the message is longer, or not framed by "
				    "MscclppBootstrap (it stays queued)", size,
				    peer, tag);
			frame = classBelow(frame);
		}
		len = getLength(recvBuf_.data());
		if (len > frame - kHeader)
			fail(FB_E_PROTO, "recv", ("rank " +
			    std::to_string(peer) + " tag " +
			    std::to_string(tag) + " sent a message that is "
			    "not framed by MscclppBootstrap").c_str());
		if (len > static_cast<uint64_t>(size))
			usage("Message truncated: received %llu bytes instead "
			    "of %d from rank %d tag %d (it was dropped)",
			    static_cast<unsigned long long>(len), size, peer,
			    tag);
		if (len > 0)
			std::memcpy(data, recvBuf_.data() + kHeader,
			    static_cast<size_t>(len));
	}

	void allGather(void *allData, int size) override
	{
		if (size < 0)
			usage("allGather of %d bytes per rank: the size is "
			    "negative", size);
		check(fb_allgather(comm_, allData, static_cast<size_t>(size)),
		    "fb_allgather");
	}

	void barrier() override { check(fb_barrier(comm_), "fb_barrier"); }

	/* The underlying handle, for fastboot's own calls (fb_alltoall). */
	fb_comm *comm() const { return comm_; }

 private:
	/* mscclpp's fd server, counted over this process's MscclppBootstraps
	 * (a TcpBootstrap in the same process stops it with itself, as it
	 * does for another TcpBootstrap). */
	static void fdServer(int delta)
	{
#if MSCCLPP_VERSION >= 800
		static std::mutex mu;
		static int users;
		std::lock_guard<std::mutex> lock(mu);

		if (delta > 0 && users == 0)
			mscclpp::UnixSocketServer::instance().start();
		if (delta > 0) {
			users++;
		} else if (--users == 0) {
			mscclpp::UnixSocketServer::instance().stop();
			mscclpp::UnixSocketClient::instance().reset();
		}
#else
		(void)delta;
#endif
	}

	static constexpr size_t kHeader = 8;	/* little-endian length */
	static constexpr size_t kMinFrame = 64;

	fb_comm *comm_ = nullptr;
	int rank_ = 0;
	int nranks_ = 0;
	int local_size_ = 0;
	std::vector<unsigned char> sendBuf_;
	std::vector<unsigned char> recvBuf_;

	/*
	 * The frame length for n bytes (header included, n <= the cap): at
	 * least 64, then n rounded up to an eighth of the power of two at
	 * or below it, never over the cap.  Monotonic, and a class maps to
	 * itself.
	 */
	static size_t frameClass(size_t n)
	{
		size_t p = kMinFrame, step, c;

		if (n <= kMinFrame)
			return kMinFrame;
		while (p <= n / 2)
			p *= 2;
		step = p / 8;
		c = (n + step - 1) / step * step;
		return c < FB_MAX_MSG_BYTES ? c : FB_MAX_MSG_BYTES;
	}

	/* The largest class under c (> kMinFrame): c less the step of the
	 * octave below it, rounded up again in case c was the cap. */
	static size_t classBelow(size_t c)
	{
		size_t p = kMinFrame;

		while (p < (c - 1) / 2 + 1)
			p *= 2;
		return frameClass(c - p / 8);
	}

	static void putLength(unsigned char *p, uint64_t v)
	{
		for (size_t i = 0; i < kHeader; i++)
			p[i] = static_cast<unsigned char>(v >> (8 * i));
	}

	static uint64_t getLength(const unsigned char *p)
	{
		uint64_t v = 0;

		for (size_t i = 0; i < kHeader; i++)
			v |= static_cast<uint64_t>(p[i]) << (8 * i);
		return v;
	}

	static mscclpp::ErrorCode code(int rc)
	{
		switch (rc) {
		case FB_E_TIMEOUT:
			return mscclpp::ErrorCode::Timeout;
		case FB_E_PEER_LOST:
			return mscclpp::ErrorCode::RemoteError;
		case FB_E_ABORTED:
			return mscclpp::ErrorCode::Aborted;
		case FB_E_INVAL:
		case FB_E_MISMATCH:
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

	[[noreturn]] static void usage(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)))
	{
		char detail[256];
		va_list ap;

		va_start(ap, fmt);
		std::vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
		throw mscclpp::Error(std::string("fastboot: ") + detail,
		    mscclpp::ErrorCode::InvalidUsage);
	}

	void check(int rc, const char *what) const
	{
		if (rc != 0)
			fail(rc, what, fb_comm_last_error(comm_));
	}
};

}  // namespace fastboot

#endif /* FASTBOOT_MSCCLPP_BOOTSTRAP_HPP */
