/*
 * cuda.c - optional CUDA helpers (libfastboot-cuda): GPU identity and IPC
 * handle exchange through the public fastboot API.
 *
 * The exchanges are collectives: a rank that fails on its own side (no
 * GPU, a bad pointer) still takes part, carrying its error, and every rank
 * returns the error of the lowest rank that failed.  Returning at once
 * instead would leave the others waiting in fb_allgather until their
 * deadline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cuda_runtime_api.h>

#include "fastboot/fastboot.h"
#include "fastboot/fastboot_cuda.h"

/*
 * A CUDA error as an FB_E_* code.  FB_E_NOGPU only where there is no GPU
 * to use: no device, the toolkit's stub in place of the driver's library,
 * or a runtime that finds no driver on a machine without the NVIDIA kernel
 * module.  A driver that is there but too old for this runtime is a fault
 * to report: a test that skips on it would hide a broken GPU machine.
 */
static int
cuda_code(cudaError_t e)
{
	(void)cudaGetLastError();	/* the error, unless it is sticky */
	if (e == cudaErrorNoDevice || e == cudaErrorStubLibrary ||
	    (e == cudaErrorInsufficientDriver &&
	    access("/proc/driver/nvidia/version", F_OK) != 0))
		return FB_E_NOGPU;
	if (e == cudaErrorInvalidValue || e == cudaErrorInvalidDevice ||
	    e == cudaErrorInvalidDevicePointer)
		return FB_E_INVAL;
	return FB_E_SYS;
}

/* How many devices this process sees in *n: 0, or FB_E_NOGPU for none. */
static int
cuda_devices(int *n)
{
	cudaError_t e;

	*n = 0;
	if ((e = cudaGetDeviceCount(n)) != cudaSuccess)
		return cuda_code(e);
	return *n == 0 ? FB_E_NOGPU : 0;
}

int
fb_cuda_gpu_info(int device, fb_gpu_info *info)
{
	struct cudaDeviceProp prop;
	cudaError_t e;
	int n, rc;

	if (info == NULL || device < 0)
		return FB_E_INVAL;
	memset(info, 0, sizeof *info);
	if ((rc = cuda_devices(&n)) != 0)
		return rc;
	if (device >= n)
		return FB_E_INVAL;
	if ((e = cudaGetDeviceProperties(&prop, device)) != cudaSuccess ||
	    (e = cudaDeviceGetPCIBusId(info->pci_bus_id,
	    (int)sizeof info->pci_bus_id, device)) != cudaSuccess)
		return cuda_code(e);
	memcpy(info->uuid, &prop.uuid, sizeof info->uuid);
	info->device = device;
	info->pid = (int)getpid();
	return 0;
}

/* What another rank says it got: one of ours, or it broke the protocol. */
static int
cuda_status(int32_t s)
{
	return s <= 0 && s >= FB_E_NOGPU ? s : FB_E_PROTO;
}

int
fb_cuda_allgather_gpu_info(fb_comm *comm, int device, fb_gpu_info *all)
{
	int rank, nranks, r, rc;

	if (comm == NULL || all == NULL)
		return FB_E_INVAL;
	if ((rc = fb_comm_rank(comm, &rank)) != 0 ||
	    (rc = fb_comm_size(comm, &nranks)) != 0)
		return rc;
	memset(&all[rank], 0, sizeof *all);
	rc = fb_cuda_gpu_info(device, &all[rank]);
	all[rank].rank = rank;
	all[rank].status = rc;
	if ((rc = fb_allgather(comm, all, sizeof *all)) != 0)
		return rc;
	for (r = 0; r < nranks; r++)
		if (all[r].status != 0)
			return cuda_status(all[r].status);
	return 0;
}

/* One rank's part of the handle exchange. */
struct cuda_slot {
	cudaIpcMemHandle_t handle;
	int32_t status;
	int32_t pad;
};

int
fb_cuda_allgather_ipc_handles(fb_comm *comm, void *devptr,
    cudaIpcMemHandle_t *handles)
{
	struct cuda_slot *s;
	cudaError_t e;
	int rank, nranks, r, rc, n;

	if (comm == NULL || handles == NULL)
		return FB_E_INVAL;
	if ((rc = fb_comm_rank(comm, &rank)) != 0 ||
	    (rc = fb_comm_size(comm, &nranks)) != 0)
		return rc;
	if ((s = calloc((size_t)nranks, sizeof *s)) == NULL)
		return FB_E_NOMEM;
	if (devptr == NULL)
		s[rank].status = FB_E_INVAL;
	else if ((rc = cuda_devices(&n)) != 0)
		s[rank].status = rc;
	else if ((e = cudaIpcGetMemHandle(&s[rank].handle, devptr)) !=
	    cudaSuccess)
		s[rank].status = cuda_code(e);
	if ((rc = fb_allgather(comm, s, sizeof *s)) == 0) {
		for (r = 0; r < nranks; r++)
			handles[r] = s[r].handle;
		for (r = 0; r < nranks && rc == 0; r++)
			if (s[r].status != 0)
				rc = cuda_status(s[r].status);
	}
	free(s);
	return rc;
}
