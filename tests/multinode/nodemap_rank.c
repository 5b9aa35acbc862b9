/*
 * nodemap_rank.c - one process of nodemap_test.sh: read the node map from
 * the launcher's PMIx server with the library's own reader
 * (libclient/pmix.c) and print it on one line for the script to check.
 *
 *   nodemap_rank NRANKS [RANK]
 *
 * RANK defaults to PMIX_RANK from the environment (0 without one).  The line:
 *   rank R rc RC nnodes N node K map n0,n1,... hosts h0,h1,... err TEXT
 * Exit status 0 whenever a line was printed: the script judges it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libclient/nodemap.h"

int
main(int argc, char **argv)
{
	struct nodemap m;
	char err[512] = "";
	const char *env;
	unsigned long nranks, rank = 0;
	uint32_t i;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: nodemap_rank NRANKS [RANK]\n");
		return 2;
	}
	nranks = strtoul(argv[1], NULL, 10);
	if (argc == 3)
		rank = strtoul(argv[2], NULL, 10);
	else if ((env = getenv("PMIX_RANK")) != NULL)
		rank = strtoul(env, NULL, 10);
	rc = nodemap_from_pmix(&m, (uint32_t)rank, (uint32_t)nranks, err,
	    sizeof err);
	printf("rank %lu rc %d nnodes %u node %u map ", rank, rc, m.nnodes,
	    m.node);
	for (i = 0; rc == 0 && i < m.nranks; i++)
		printf("%s%u", i ? "," : "", m.node_of_rank[i]);
	printf(" hosts ");
	for (i = 0; rc == 0 && i < m.nnodes; i++)
		printf("%s%s", i ? "," : "", m.host[i]);
	printf(" err %s\n", rc == 0 ? "-" : err);
	nodemap_free(&m);
	return 0;
}
