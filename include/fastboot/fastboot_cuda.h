/*
 * fastboot_cuda.h - optional CUDA helpers on top of libfastboot-client:
 * learn which GPU each rank drives and exchange CUDA IPC memory handles
 * through fb_allgather.  Link with libfastboot-cuda (built with
 * ./configure --with-cuda).  Without a usable GPU every call returns
 * FB_E_NOGPU (no device, or no NVIDIA driver on the machine); a driver too
 * old for the CUDA runtime, or another CUDA failure, is FB_E_SYS.
 *
 * The allgathers are collectives: every rank calls them, and every rank
 * returns the same result.  A rank that fails on its own side still takes
 * part; then every rank returns the error of the lowest rank that failed.
 */
#ifndef FASTBOOT_CUDA_H
#define FASTBOOT_CUDA_H

#include <cuda_runtime_api.h>

#include <fastboot/fastboot.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What identifies a GPU across the processes of a node. */
typedef struct fb_gpu_info {
	unsigned char uuid[16];	/* cudaDeviceProp.uuid */
	char pci_bus_id[16];	/* "0000:3b:00.0", NUL-terminated */
	int device;		/* ordinal in the rank's process */
	int rank;		/* the rank that reported it */
	int pid;
	int status;		/* after an allgather: 0, or the FB_E_* code
				 * with which that rank failed (since 0.2;
				 * was reserved) */
} fb_gpu_info;

/* Identity of this process's device. */
FB_EXPORT int fb_cuda_gpu_info(int device, fb_gpu_info *info);

/* Allgather every rank's GPU identity: all[] has nranks entries.  A
 * collective: every rank calls it. */
FB_EXPORT int fb_cuda_allgather_gpu_info(fb_comm *comm, int device,
    fb_gpu_info *all);

/*
 * Allgather the IPC handle of devptr: handles[] has nranks entries.  devptr
 * must be a pointer cudaMalloc returned (on the current device), not one
 * into the middle of an allocation: cudaIpcGetMemHandle takes the base of
 * an allocation, and cudaIpcOpenMemHandle gives the base back.  Open only
 * the handles of other ranks on this node: handles[rank] is this rank's own
 * (CUDA refuses to open it here), and a rank on another node
 * (fb_comm_node) has memory this process cannot map.
 */
FB_EXPORT int fb_cuda_allgather_ipc_handles(fb_comm *comm, void *devptr,
    cudaIpcMemHandle_t *handles);

#ifdef __cplusplus
}
#endif

#endif /* FASTBOOT_CUDA_H */
