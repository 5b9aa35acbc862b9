/*
 * sys_mpi.c - MPI itself, the launcher's own reference.  MPI_Init happens
 * once per process, so a "bootstrap" here is a fresh communicator:
 * MPI_Comm_dup of MPI_COMM_WORLD and its first MPI_Barrier.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mpi.h>

#include "bench/bench.h"

static void
sys_mpi_err(char *err, size_t errlen, const char *what, int rc)
{
	char s[MPI_MAX_ERROR_STRING];
	int len = 0;

	MPI_Error_string(rc, s, &len);
	snprintf(err, errlen, "%s: %s", what, s);
}

static int
sys_mpi_boot(void **h, char *err, size_t errlen)
{
	MPI_Comm *c;
	int rc;

	if ((c = malloc(sizeof *c)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((rc = MPI_Comm_dup(MPI_COMM_WORLD, c)) != MPI_SUCCESS ||
	    (rc = MPI_Barrier(*c)) != MPI_SUCCESS) {
		sys_mpi_err(err, errlen, "MPI_Comm_dup/MPI_Barrier", rc);
		free(c);
		return -1;
	}
	*h = c;
	return 0;
}

static int
sys_mpi_fini(void *h)
{
	MPI_Comm *c = h;

	MPI_Comm_free(c);
	free(c);
	return 0;
}

static int
sys_mpi_barrier(void *h, char *err, size_t errlen)
{
	int rc;

	if ((rc = MPI_Barrier(*(MPI_Comm *)h)) != MPI_SUCCESS) {
		sys_mpi_err(err, errlen, "MPI_Barrier", rc);
		return -1;
	}
	return 0;
}

static int
sys_mpi_allgather(void *h, void *buf, size_t bytes, char *err, size_t errlen)
{
	int rc;

	rc = MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, (int)bytes,
	    MPI_BYTE, *(MPI_Comm *)h);
	if (rc != MPI_SUCCESS) {
		sys_mpi_err(err, errlen, "MPI_Allgather", rc);
		return -1;
	}
	return 0;
}

static int
sys_mpi_alltoall(void *h, const void *sbuf, void *rbuf, size_t bytes,
    char *err, size_t errlen)
{
	int rc;

	rc = MPI_Alltoall(sbuf, (int)bytes, MPI_BYTE, rbuf, (int)bytes,
	    MPI_BYTE, *(MPI_Comm *)h);
	if (rc != MPI_SUCCESS) {
		sys_mpi_err(err, errlen, "MPI_Alltoall", rc);
		return -1;
	}
	return 0;
}

static int
sys_mpi_pingpong(void *h, void *buf, size_t len, int peer, char *err,
    size_t errlen)
{
	MPI_Comm c = *(MPI_Comm *)h;
	int rc;

	if (bench_rank < peer) {
		rc = MPI_Send(buf, (int)len, MPI_BYTE, peer, 1, c);
		if (rc == MPI_SUCCESS)
			rc = MPI_Recv(buf, (int)len, MPI_BYTE, peer, 2, c,
			    MPI_STATUS_IGNORE);
	} else {
		rc = MPI_Recv(buf, (int)len, MPI_BYTE, peer, 1, c,
		    MPI_STATUS_IGNORE);
		if (rc == MPI_SUCCESS)
			rc = MPI_Send(buf, (int)len, MPI_BYTE, peer, 2, c);
	}
	if (rc != MPI_SUCCESS) {
		sys_mpi_err(err, errlen, "MPI_Send/MPI_Recv", rc);
		return -1;
	}
	return 0;
}

/* Endpoint exchange (bench.h): non-blocking sends and receives, a barrier. */
static int
sys_mpi_exchange(void *h, const void *sbuf, void *rbuf, char *err,
    size_t errlen)
{
	MPI_Comm c = *(MPI_Comm *)h;
	const unsigned char *s = sbuf;
	unsigned char *r = rbuf;
	int n = bench_nranks, me = bench_rank, i, p, k = 0, rc = MPI_SUCCESS;
	MPI_Request *req;

	if ((req = malloc(sizeof *req * 4 * (size_t)n)) == NULL) {
		snprintf(err, errlen, "endpoint exchange: out of memory");
		return -1;
	}
	for (i = 1; i < n && rc == MPI_SUCCESS; i++) {
		p = (me - i + n) % n;
		rc = MPI_Irecv(r + (size_t)p * BENCH_EXCH_BYTES,
		    BENCH_EXCH_SMALL, MPI_BYTE, p, BENCH_EXCH_TAG(p, 0), c,
		    &req[k++]);
		if (rc == MPI_SUCCESS)
			rc = MPI_Irecv(r + (size_t)p * BENCH_EXCH_BYTES +
			    BENCH_EXCH_SMALL, BENCH_EXCH_LARGE, MPI_BYTE, p,
			    BENCH_EXCH_TAG(p, 1), c, &req[k++]);
	}
	for (i = 1; i < n && rc == MPI_SUCCESS; i++) {
		p = (me + i) % n;
		rc = MPI_Isend(s + (size_t)p * BENCH_EXCH_BYTES,
		    BENCH_EXCH_SMALL, MPI_BYTE, p, BENCH_EXCH_TAG(me, 0), c,
		    &req[k++]);
		if (rc == MPI_SUCCESS)
			rc = MPI_Isend(s + (size_t)p * BENCH_EXCH_BYTES +
			    BENCH_EXCH_SMALL, BENCH_EXCH_LARGE, MPI_BYTE, p,
			    BENCH_EXCH_TAG(me, 1), c, &req[k++]);
	}
	if (rc == MPI_SUCCESS)
		rc = MPI_Waitall(k, req, MPI_STATUSES_IGNORE);
	free(req);
	if (rc == MPI_SUCCESS)
		rc = MPI_Barrier(c);
	if (rc != MPI_SUCCESS) {
		sys_mpi_err(err, errlen, "endpoint exchange", rc);
		return -1;
	}
	return 0;
}

const struct bench_sys sys_mpi = {
	.name = "MPI",
	.boot_what = "MPI_Comm_dup(MPI_COMM_WORLD) + first MPI_Barrier "
	    "(MPI_Init runs once per process)",
	.boot = sys_mpi_boot,
	.fini = sys_mpi_fini,
	.barrier = sys_mpi_barrier,
	.allgather = sys_mpi_allgather,
	.alltoall = sys_mpi_alltoall,
	.pingpong = sys_mpi_pingpong,
	.exchange = sys_mpi_exchange,
};
