/*
 * sys_pmix.c - PMIx through the server of OpenMPI's mpirun.
 *
 * PMIx_Init happens once per process: the benchmark calls it before MPI_Init
 * (so that it is a real first connection to the server, not a reference count
 * on OpenMPI's) and times PMIx_Init as the PMIx bootstrap, one sample per
 * run.  The first fence follows, untimed: before MPI_Init the ranks are still
 * being launched one by one, and it would time the launcher instead.
 * Barrier is a data-less PMIx_Fence;
 * allgather is PMIx_Put + PMIx_Commit + PMIx_Fence(PMIX_COLLECT_DATA) +
 * PMIx_Get of every peer, with a fresh key per operation (with PMIx 4.2.2 a
 * key put again under the same name made the next collecting fence hang until
 * its timeout).  A collecting fence gathers every key a rank ever put, so
 * the allgather slows as the job puts more: the benchmark caps the PMIx
 * allgather count and reports the drift.  Every fence and get carries
 * PMIX_TIMEOUT so that no wait is unbounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pmix.h>

#include "bench/bench.h"

double			 sys_pmix_init_us = -1;
double			 sys_pmix_start_us = -1, sys_pmix_fenced_us = -1;
#define SYS_PMIX_TIMEOUT_S	30

static pmix_proc_t	 sys_pmix_me;
static unsigned long	 sys_pmix_seq;
static int		 sys_pmix_ready;

static void
sys_pmix_err(char *err, size_t errlen, const char *what, pmix_status_t rc)
{
	snprintf(err, errlen, "%s: %s", what, PMIx_Error_string(rc));
}

/* Before MPI_Init: connect to the launcher's PMIx server, fence once. */
int
sys_pmix_preinit(char *err, size_t errlen)
{
	pmix_status_t rc;
	pmix_info_t info;
	int tmo = SYS_PMIX_TIMEOUT_S;
	double t0;

	if (getenv("PMIX_NAMESPACE") == NULL && getenv("PMIX_RANK") == NULL &&
	    getenv("PMIX_SERVER_URI4") == NULL &&
	    getenv("PMIX_SERVER_URI3") == NULL &&
	    getenv("PMIX_SERVER_URI2") == NULL) {
		snprintf(err, errlen, "no PMIx server in the environment "
		    "(not started by a PMIx launcher such as mpirun)");
		return -1;
	}
	t0 = bench_now_us();
	if ((rc = PMIx_Init(&sys_pmix_me, NULL, 0)) != PMIX_SUCCESS) {
		sys_pmix_err(err, errlen, "PMIx_Init", rc);
		return -1;
	}
	sys_pmix_init_us = bench_now_us() - t0;
	sys_pmix_start_us = t0;
	PMIX_INFO_LOAD(&info, PMIX_TIMEOUT, &tmo, PMIX_INT);
	rc = PMIx_Fence(NULL, 0, &info, 1);
	PMIX_INFO_DESTRUCT(&info);
	if (rc != PMIX_SUCCESS) {
		sys_pmix_err(err, errlen, "PMIx_Fence", rc);
		PMIx_Finalize(NULL, 0);
		return -1;
	}
	sys_pmix_fenced_us = bench_now_us();
	sys_pmix_ready = 1;
	return 0;
}

void
sys_pmix_finalize(void)
{
	if (sys_pmix_ready)
		PMIx_Finalize(NULL, 0);
	sys_pmix_ready = 0;
}

const char *
sys_pmix_version(void)
{
	return PMIx_Get_version();
}

static int
sys_pmix_boot(void **h, char *err, size_t errlen)
{
	if (!sys_pmix_ready) {
		snprintf(err, errlen, "PMIx not initialised");
		return -1;
	}
	*h = &sys_pmix_me;
	return 0;
}

static int
sys_pmix_fini(void *h)
{
	return 0;
}

static int
sys_pmix_barrier(void *h, char *err, size_t errlen)
{
	pmix_status_t rc;
	pmix_info_t info;
	int tmo = SYS_PMIX_TIMEOUT_S;

	PMIX_INFO_LOAD(&info, PMIX_TIMEOUT, &tmo, PMIX_INT);
	rc = PMIx_Fence(NULL, 0, &info, 1);
	PMIX_INFO_DESTRUCT(&info);
	if (rc != PMIX_SUCCESS) {
		sys_pmix_err(err, errlen, "PMIx_Fence", rc);
		return -1;
	}
	return 0;
}

static int
sys_pmix_allgather(void *h, void *buf, size_t bytes, char *err,
    size_t errlen)
{
	pmix_value_t v, *got;
	pmix_info_t info[2];
	pmix_proc_t p;
	pmix_status_t rc;
	pmix_key_t key;
	bool collect = true;
	int r, tmo = SYS_PMIX_TIMEOUT_S;

	snprintf(key, sizeof key, "fbb.%lu", sys_pmix_seq++);
	memset(&v, 0, sizeof v);
	v.type = PMIX_BYTE_OBJECT;
	v.data.bo.bytes = (char *)buf + (size_t)bench_rank * bytes;
	v.data.bo.size = bytes;
	if ((rc = PMIx_Put(PMIX_GLOBAL, key, &v)) != PMIX_SUCCESS) {
		sys_pmix_err(err, errlen, "PMIx_Put", rc);
		return -1;
	}
	if ((rc = PMIx_Commit()) != PMIX_SUCCESS) {
		sys_pmix_err(err, errlen, "PMIx_Commit", rc);
		return -1;
	}
	PMIX_INFO_LOAD(&info[0], PMIX_COLLECT_DATA, &collect, PMIX_BOOL);
	PMIX_INFO_LOAD(&info[1], PMIX_TIMEOUT, &tmo, PMIX_INT);
	rc = PMIx_Fence(NULL, 0, info, 2);
	PMIX_INFO_DESTRUCT(&info[0]);
	if (rc != PMIX_SUCCESS) {
		sys_pmix_err(err, errlen, "PMIx_Fence(collect)", rc);
		return -1;
	}
	for (r = 0; r < bench_nranks; r++) {
		if (r == bench_rank)
			continue;
		PMIX_LOAD_PROCID(&p, sys_pmix_me.nspace, (pmix_rank_t)r);
		if ((rc = PMIx_Get(&p, key, &info[1], 1, &got)) !=
		    PMIX_SUCCESS) {
			sys_pmix_err(err, errlen, "PMIx_Get", rc);
			return -1;
		}
		if (got->type != PMIX_BYTE_OBJECT ||
		    got->data.bo.size != bytes) {
			snprintf(err, errlen, "PMIx_Get: rank %d: unexpected "
			    "value (type %d, %zu bytes)", r, (int)got->type,
			    got->type == PMIX_BYTE_OBJECT ?
			    got->data.bo.size : 0);
			PMIX_VALUE_RELEASE(got);
			return -1;
		}
		memcpy((char *)buf + (size_t)r * bytes, got->data.bo.bytes,
		    bytes);
		PMIX_VALUE_RELEASE(got);
	}
	PMIX_INFO_DESTRUCT(&info[1]);
	return 0;
}

/* mpirun is our parent and holds the PMIx server on this node. */
static pid_t
sys_pmix_server_pid(void *h)
{
	return getppid();
}

const struct bench_sys sys_pmix = {
	.name = "PMIx",
	.boot_what = "PMIx_Init alone, before MPI_Init (once per process: "
	    "one sample per run, max over ranks; the first fence is left out "
	    "as it would time the launcher starting the ranks)",
	.note = "barrier is a data-less PMIx_Fence; allgather is PMIx_Put + "
	    "PMIx_Commit + PMIx_Fence(PMIX_COLLECT_DATA) + PMIx_Get of every "
	    "peer; no alltoall or send/recv",
	.boot = sys_pmix_boot,
	.fini = sys_pmix_fini,
	.barrier = sys_pmix_barrier,
	.allgather = sys_pmix_allgather,
	.server_pid = sys_pmix_server_pid,
	.boot_iterations_max = 1,
	.max_allgather_ops = 100,
};
