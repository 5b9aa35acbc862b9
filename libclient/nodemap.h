/*
 * nodemap.h - which node each rank of a job runs on, as a PMIx launcher
 * (OpenMPI's mpirun, Slurm's srun --mpi=pmix) knows it.
 *
 * The client library reads the map before JOIN and hands it to its daemon,
 * so that every daemon of the job knows all nodes up front and no discovery
 * round through the id's root daemon is needed.  Node indices are the order
 * of each node's lowest rank: node 0 holds rank 0, node 1 holds the lowest
 * rank not on node 0, and so on.  Every process of the job computes the same
 * map.
 *
 * Without PMIx at build time (configure --without-pmix, or no pmix.h) the
 * reader is an inline that always answers "no PMIx here" (1).
 */
#ifndef FB_NODEMAP_H
#define FB_NODEMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NODEMAP_HOST_LEN	64	/* host name, NUL included */

struct nodemap {
	uint32_t nnodes;		/* nodes of the job */
	uint32_t node;			/* this process's node index */
	uint32_t nranks;
	uint32_t *node_of_rank;		/* nranks entries: node of each rank */
	char (*host)[NODEMAP_HOST_LEN];	/* nnodes entries: PMIx's node names */
};

static inline void
nodemap_free(struct nodemap *m)
{
	if (m == NULL)
		return;
	free(m->node_of_rank);
	free(m->host);
	m->node_of_rank = NULL;
	m->host = NULL;
	m->nnodes = m->nranks = m->node = 0;
}

#ifdef HAVE_PMIX
/*
 * Fill *m for rank of nranks from the PMIx server of this process's
 * launcher.  0: filled; 1: no usable PMIx map here (no server in the
 * environment, PMIx_Init failed, or the PMIx job is not this job: another
 * size or rank), err says why, the caller falls back to the id's discovery
 * and says so at debug level; <0: an FB_E_* code, err names the rank or node
 * that was wrong.  *m is left empty unless 0 is returned.
 *
 * PMIx_Init and PMIx_Finalize are paired inside: when the process already
 * holds PMIx (MPI_Init did), they only count references.
 */
int	nodemap_from_pmix(struct nodemap *m, uint32_t rank, uint32_t nranks,
	    char *err, size_t errlen) __attribute__((visibility("hidden")));
#else
static inline int
nodemap_from_pmix(struct nodemap *m, uint32_t rank, uint32_t nranks,
    char *err, size_t errlen)
{
	(void)rank;
	(void)nranks;
	m->nnodes = m->nranks = m->node = 0;
	m->node_of_rank = NULL;
	m->host = NULL;
	snprintf(err, errlen, "built without PMIx (configure --with-pmix)");
	return 1;
}
#endif

#endif /* FB_NODEMAP_H */
