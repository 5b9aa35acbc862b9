/*
 * cuda_test.c - the CUDA helpers: GPU identity and IPC handles exchanged
 * between ranks, and memory of one rank read by another through its handle.
 * Skips without a usable GPU.
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

/* In a child, so that the parent's CUDA stays uninitialised for fork. */
static int
ct_probe(void)
{
	fb_gpu_info info;
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fb_cuda_gpu_info(0, &info) == 0 ? 0 : 1);
	if (pid == -1 || waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int
ct_rank(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	fb_gpu_info all[2];
	cudaIpcMemHandle_t h[2];
	unsigned char host[CT_BYTES];
	void *mine, *peer;
	fb_comm *comm;
	int ndev = 0, r;

	cudaGetDeviceCount(&ndev);
	if (cudaSetDevice(rank % ndev) != cudaSuccess ||
	    cudaMalloc(&mine, CT_BYTES) != cudaSuccess ||
	    cudaMemset(mine, 0x40 + rank, CT_BYTES) != cudaSuccess ||
	    cudaDeviceSynchronize() != cudaSuccess)
		return 1;
	if (fb_comm_init(&comm, id, rank, nranks) != 0)
		return 2;
	if (fb_cuda_allgather_gpu_info(comm, rank % ndev, all) != 0)
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
	int failed;

	th_deadline(120);
	if (!ct_probe())
		tap_plan_skip("no usable GPU (CUDA helpers built, not run)");
	tap_plan(3);
	ok(fb_cuda_gpu_info(-1, &info) == FB_E_INVAL, "a negative device is "
	    "FB_E_INVAL");
	ok(th_daemon_start(&d, NULL) == 0, "fastbootd started");
	failed = th_run_ranks(2, ct_rank, NULL, 60000);
	ok(failed == 0, "2 ranks exchange GPU identity and IPC handles, and "
	    "read each other's memory through them");
	th_daemon_cleanup(&d);
	return tap_done();
}
