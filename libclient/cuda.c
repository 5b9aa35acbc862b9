/*
 * cuda.c - optional CUDA helpers (libfastboot-cuda): GPU identity and IPC
 * handle exchange through the public fastboot API.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cuda_runtime_api.h>

#include "fastboot/fastboot.h"
#include "fastboot/fastboot_cuda.h"

int
fb_cuda_gpu_info(int device, fb_gpu_info *info)
{
	struct cudaDeviceProp prop;
	int n = 0;

	if (info == NULL || device < 0)
		return FB_E_INVAL;
	memset(info, 0, sizeof *info);
	if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
		cudaGetLastError();	/* clear the sticky error */
		return FB_E_NOGPU;
	}
	if (device >= n)
		return FB_E_INVAL;
	if (cudaGetDeviceProperties(&prop, device) != cudaSuccess ||
	    cudaDeviceGetPCIBusId(info->pci_bus_id,
	    (int)sizeof info->pci_bus_id, device) != cudaSuccess) {
		cudaGetLastError();
		return FB_E_NOGPU;
	}
	memcpy(info->uuid, &prop.uuid, sizeof info->uuid);
	info->device = device;
	info->pid = (int)getpid();
	return 0;
}

int
fb_cuda_allgather_gpu_info(fb_comm *comm, int device, fb_gpu_info *all)
{
	int rank, rc;

	if (comm == NULL || all == NULL)
		return FB_E_INVAL;
	if ((rc = fb_comm_rank(comm, &rank)) != 0)
		return rc;
	if ((rc = fb_cuda_gpu_info(device, &all[rank])) != 0)
		return rc;
	all[rank].rank = rank;
	return fb_allgather(comm, all, sizeof *all);
}

int
fb_cuda_allgather_ipc_handles(fb_comm *comm, void *devptr,
    cudaIpcMemHandle_t *handles)
{
	int rank, rc, n = 0;

	if (comm == NULL || devptr == NULL || handles == NULL)
		return FB_E_INVAL;
	if ((rc = fb_comm_rank(comm, &rank)) != 0)
		return rc;
	if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
		cudaGetLastError();
		return FB_E_NOGPU;
	}
	if (cudaIpcGetMemHandle(&handles[rank], devptr) != cudaSuccess) {
		cudaGetLastError();
		return FB_E_INVAL;
	}
	return fb_allgather(comm, handles, sizeof *handles);
}
