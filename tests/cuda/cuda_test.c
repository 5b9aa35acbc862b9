/*
 * cuda_test.c - the CUDA helpers: GPU identity and IPC handles exchanged
 * between ranks, and memory of one rank read by another through its handle.
 * Without a GPU (FB_E_NOGPU, and only that) it checks what runs anyway: the
 * exchanges stay collectives, every rank returning the lowest failing
 * rank's error, and the handle stays usable.
 */
#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cuda_runtime_api.h>

#include "fastboot/fastboot_cuda.h"
#include "harness.h"
#include "tap.h"

#define CT_BYTES 4096

/* fb_cuda_gpu_info(0) in a child, so that the parent's CUDA stays
 * uninitialised for fork: its result, or FB_E_SYS if the child died. */
static int
ct_probe(void)
{
	fb_gpu_info info;
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(-fb_cuda_gpu_info(0, &info));
	if (pid == -1 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status))
		return FB_E_SYS;
	return -WEXITSTATUS(status);
}

/*
 * No GPU: rank 0 passes no pointer (FB_E_INVAL on its side), rank 1 has no
 * device (FB_E_NOGPU): both return rank 0's error, the gpu_info exchange
 * FB_E_NOGPU with each rank's status, and a barrier after them works.
 */
static int
ct_nogpu(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	fb_gpu_info all[2];
	cudaIpcMemHandle_t h[2];
	fb_comm *comm;
	int x;

	if (fb_comm_init(&comm, id, rank, nranks) != 0)
		return 1;
	if (fb_cuda_allgather_ipc_handles(comm, rank == 0 ? NULL : &x, h) !=
	    FB_E_INVAL)
		return 2;
	if (fb_cuda_allgather_gpu_info(comm, 0, all) != FB_E_NOGPU ||
	    all[0].status != FB_E_NOGPU || all[1].status != FB_E_NOGPU ||
	    all[0].rank != 0 || all[1].rank != 1)
		return 3;
	if (fb_barrier(comm) != 0)
		return 4;
	return fb_comm_destroy(comm) == 0 ? 0 : 5;
}

static int
ct_rank(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	fb_gpu_info all[2];
	cudaIpcMemHandle_t h[2];
	unsigned char host[CT_BYTES];
	void *mine, *peer;
	fb_comm *comm;
	int ndev = 0, dev[2] = { 0, 0 }, ok01 = 0, r;

	if (fb_comm_init(&comm, id, rank, nranks) != 0)
		return 2;
	/* A GPU each if there are two that can map each other's memory,
	 * else both on the first. */
	if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev < 1)
		return 1;
	if (ndev > 1 && cudaDeviceCanAccessPeer(&ok01, 1, 0) == cudaSuccess &&
	    ok01 && cudaDeviceCanAccessPeer(&ok01, 0, 1) == cudaSuccess && ok01)
		dev[1] = 1;
	if (cudaSetDevice(dev[rank]) != cudaSuccess ||
	    cudaMalloc(&mine, CT_BYTES) != cudaSuccess ||
	    cudaMemset(mine, 0x40 + rank, CT_BYTES) != cudaSuccess ||
	    cudaDeviceSynchronize() != cudaSuccess)
		return 1;
	if (fb_cuda_allgather_gpu_info(comm, dev[rank], all) != 0)
		return 3;
	for (r = 0; r < nranks; r++)
		if (all[r].rank != r || all[r].pci_bus_id[0] == '\0')
			return 4;
	if (fb_cuda_allgather_ipc_handles(comm, mine, h) != 0)
		return 5;
	r = (rank + 1) % nranks;
	if (cudaIpcOpenMemHandle(&peer, h[r],
	    cudaIpcMemLazyEnablePeerAccess) != cudaSuccess ||
	    cudaMemcpy(host, peer, CT_BYTES, cudaMemcpyDeviceToHost) !=
	    cudaSuccess)
		return 6;
	for (int i = 0; i < CT_BYTES; i++)
		if (host[i] != 0x40 + r)
			return 7;
	/* Peers keep their memory until everyone has read it. */
	if (fb_barrier(comm) != 0)
		return 8;
	cudaIpcCloseMemHandle(peer);
	cudaFree(mine);
	return fb_comm_destroy(comm);
}

int
main(void)
{
	struct th_daemon d;
	fb_gpu_info info;
	int failed, probe;

	th_deadline(120);
	probe = ct_probe();
	tap_plan(probe == 0 ? 4 : 5);
	ok(fb_cuda_gpu_info(-1, &info) == FB_E_INVAL, "a negative device is "
	    "FB_E_INVAL");
	/* Only "no GPU here" skips the GPU test: any other failure of the
	 * probe is one. */
	ok(probe == 0 || probe == FB_E_NOGPU, "fb_cuda_gpu_info(0): %s",
	    fb_strerror(probe));
	if (!ok(th_daemon_start(&d, NULL) == 0, "fastbootd started"))
		return tap_done();
	if (probe == 0) {
		failed = th_run_ranks(2, ct_rank, NULL, 60000);
		ok(failed == 0, "2 ranks exchange GPU identity and IPC "
		    "handles, and read each other's memory through them");
	} else {
		failed = th_run_ranks(2, ct_nogpu, NULL, 60000);
		ok(failed == 0, "no GPU: the exchanges stay collectives, every "
		    "rank gets the lowest failing rank's error, a barrier "
		    "after them works");
		tap_skip("no usable GPU: the IPC exchange between GPUs");
	}
	th_daemon_cleanup(&d);
	return tap_done();
}
