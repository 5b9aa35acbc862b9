/*
 * pmix.c - the job's node map from the launcher's PMIx server.
 *
 * What is read, all on the job's namespace:
 *  - PMIX_JOB_SIZE and our own rank: the PMIx job must be this job (same
 *    size, same rank), else the map would describe other processes;
 *  - the node list: PMIx_Resolve_nodes, which reads the job's node map
 *    (PMIX_NODE_MAP on the server; OpenMPI 4.1 with PMIx 4.2 hands clients
 *    the parsed list, PMIX_NODE_LIST, and no PMIX_NODE_MAP key);
 *  - the ranks of each node: PMIx_Resolve_peers per node;
 *  - our node: PMIX_HOSTNAME of our own process, checked against
 *    PMIX_LOCAL_PEERS (the ranks on our node as our own server sees them).
 * That is nnodes + 3 lookups, all answered from the client's copy of the
 * job data, and O(nranks) work.
 *
 * Every lookup carries PMIX_TIMEOUT, so a server that went quiet cannot
 * block the caller past FB_PMIX_TIMEOUT_S.
 *
 * A map read is kept for the process's next fb_comm_init with the same
 * rank and size in the same namespace: a PMIx job's node map does not
 * change while it runs, and each lookup is a round trip through the PMIx
 * client's progress thread (over 4 simulated nodes the map took 0.6 ms of
 * a 2.0 ms bootstrap, over 16 nodes 2.5 ms of 6.3).  Only a map is kept;
 * "no map here" and errors are asked again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmix.h>

#include "fastboot/fastboot.h"
#include "libclient/nodemap.h"

#define PMIX_MAP_TIMEOUT_S	10
#define PMIX_MAP_NONE		UINT32_MAX

struct pmix_map_state {
	pmix_proc_t me;
	pmix_info_t info;		/* PMIX_TIMEOUT for every lookup */
};

static pthread_mutex_t pmix_kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char nspace[PMIX_MAX_NSLEN + 1];	/* "": nothing kept */
	uint32_t rank;
	struct nodemap map;
} pmix_kept;

/* *to = a copy of from; 0, or -1 out of memory (*to left empty). */
static int
pmix_map_copy(struct nodemap *to, const struct nodemap *from)
{
	*to = *from;
	to->host = malloc((size_t)from->nnodes * sizeof *to->host);
	to->node_of_rank = malloc((size_t)from->nranks *
	    sizeof *to->node_of_rank);
	if (to->host == NULL || to->node_of_rank == NULL) {
		nodemap_free(to);
		return -1;
	}
	memcpy(to->host, from->host, (size_t)from->nnodes * sizeof *to->host);
	memcpy(to->node_of_rank, from->node_of_rank, (size_t)from->nranks *
	    sizeof *to->node_of_rank);
	return 0;
}

/* The kept map for rank of nranks in namespace ns into *m: 0, or -1. */
static int
pmix_kept_get(const char *ns, uint32_t rank, uint32_t nranks,
    struct nodemap *m)
{
	int rc = -1;

	pthread_mutex_lock(&pmix_kept_lock);
	if (pmix_kept.nspace[0] != '\0' && strcmp(pmix_kept.nspace, ns) == 0 &&
	    pmix_kept.rank == rank && pmix_kept.map.nranks == nranks)
		rc = pmix_map_copy(m, &pmix_kept.map);
	pthread_mutex_unlock(&pmix_kept_lock);
	return rc;
}

static void
pmix_kept_put(const char *ns, uint32_t rank, const struct nodemap *m)
{
	struct nodemap copy;

	if (strlen(ns) >= sizeof pmix_kept.nspace ||
	    pmix_map_copy(&copy, m) == -1)
		return;
	pthread_mutex_lock(&pmix_kept_lock);
	nodemap_free(&pmix_kept.map);
	pmix_kept.map = copy;
	pmix_kept.rank = rank;
	strcpy(pmix_kept.nspace, ns);
	pthread_mutex_unlock(&pmix_kept_lock);
}

static int
pmix_in_environment(void)
{
	static const char *vars[] = { "PMIX_SERVER_URI41",
	    "PMIX_SERVER_URI4", "PMIX_SERVER_URI3", "PMIX_SERVER_URI21",
	    "PMIX_SERVER_URI2", "PMIX_SERVER_URI" };
	size_t i;

	if (getenv("PMIX_NAMESPACE") == NULL)
		return 0;
	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (getenv(vars[i]) != NULL)
			return 1;
	return 0;
}

/* One value of our namespace (rank PMIX_RANK_WILDCARD for job data). */
static pmix_status_t
pmix_get(struct pmix_map_state *s, pmix_rank_t rank, const char *key,
    pmix_value_t **v)
{
	pmix_proc_t p;

	PMIX_LOAD_PROCID(&p, s->me.nspace, rank);
	return PMIx_Get(&p, key, &s->info, 1, v);
}

static int
pmix_get_u32(struct pmix_map_state *s, pmix_rank_t rank, const char *key,
    uint32_t *out, char *err, size_t errlen)
{
	pmix_value_t *v = NULL;
	pmix_status_t rc;
	int ret = 0;

	if ((rc = pmix_get(s, rank, key, &v)) != PMIX_SUCCESS) {
		snprintf(err, errlen, "PMIx_Get(%s) on namespace %s: %s", key,
		    s->me.nspace, PMIx_Error_string(rc));
		return 1;
	}
	switch (v->type) {
	case PMIX_UINT32:
		*out = v->data.uint32;
		break;
	case PMIX_INT:
		*out = v->data.integer < 0 ? 0 : (uint32_t)v->data.integer;
		break;
	default:
		snprintf(err, errlen, "PMIx_Get(%s): type %d, not an integer",
		    key, (int)v->type);
		ret = FB_E_PROTO;
		break;
	}
	PMIX_VALUE_RELEASE(v);
	return ret;
}

static int
pmix_get_str(struct pmix_map_state *s, pmix_rank_t rank, const char *key,
    char **out, char *err, size_t errlen)
{
	pmix_value_t *v = NULL;
	pmix_status_t rc;
	int ret = 0;

	*out = NULL;
	if ((rc = pmix_get(s, rank, key, &v)) != PMIX_SUCCESS) {
		snprintf(err, errlen, "PMIx_Get(%s) on namespace %s: %s", key,
		    s->me.nspace, PMIx_Error_string(rc));
		return 1;
	}
	if (v->type != PMIX_STRING || v->data.string == NULL) {
		snprintf(err, errlen, "PMIx_Get(%s): type %d, not a string",
		    key, (int)v->type);
		ret = FB_E_PROTO;
	} else if ((*out = strdup(v->data.string)) == NULL) {
		snprintf(err, errlen, "PMIx_Get(%s): out of memory", key);
		ret = FB_E_NOMEM;
	}
	PMIX_VALUE_RELEASE(v);
	return ret;
}

/* Give each rank of node `tmp` (position in PMIx's list) that index. */
static int
pmix_place_node(struct pmix_map_state *s, struct nodemap *m, const char *name,
    uint32_t tmp, char *err, size_t errlen)
{
	pmix_proc_t *procs = NULL;
	pmix_status_t rc;
	size_t np = 0, i;
	int ret = 0;

	rc = PMIx_Resolve_peers(name, s->me.nspace, &procs, &np);
	if (rc != PMIX_SUCCESS) {
		snprintf(err, errlen, "PMIx_Resolve_peers(%s): %s", name,
		    PMIx_Error_string(rc));
		return FB_E_PROTO;
	}
	for (i = 0; i < np; i++) {
		pmix_rank_t r = procs[i].rank;

		if (!PMIX_CHECK_NSPACE(procs[i].nspace, s->me.nspace))
			continue;
		if (r >= m->nranks) {
			snprintf(err, errlen, "PMIx names rank %u on node %s, "
			    "but the job has %u ranks", (unsigned)r, name,
			    m->nranks);
			ret = FB_E_PROTO;
			break;
		}
		if (m->node_of_rank[r] != PMIX_MAP_NONE) {
			snprintf(err, errlen, "PMIx places rank %u on two "
			    "nodes, %s and %s", (unsigned)r,
			    m->host[m->node_of_rank[r]], name);
			ret = FB_E_PROTO;
			break;
		}
		m->node_of_rank[r] = tmp;
	}
	if (procs != NULL)
		PMIX_PROC_FREE(procs, np);
	return ret;
}

/*
 * Renumber nodes by their lowest rank, so that every process agrees
 * whatever order its server listed the nodes in.
 */
static int
pmix_renumber(struct nodemap *m, char *err, size_t errlen)
{
	uint32_t *newidx, r, next = 0;
	char (*hosts)[NODEMAP_HOST_LEN];

	newidx = malloc(m->nnodes * sizeof *newidx);
	hosts = calloc(m->nnodes, sizeof *hosts);
	if (newidx == NULL || hosts == NULL) {
		free(newidx);
		free(hosts);
		snprintf(err, errlen, "node map of %u nodes: out of memory",
		    m->nnodes);
		return FB_E_NOMEM;
	}
	memset(newidx, 0xff, m->nnodes * sizeof *newidx);
	for (r = 0; r < m->nranks; r++) {
		uint32_t t = m->node_of_rank[r];

		if (t == PMIX_MAP_NONE) {
			snprintf(err, errlen, "PMIx places rank %u on none of "
			    "the job's %u nodes", r, m->nnodes);
			free(newidx);
			free(hosts);
			return FB_E_PROTO;
		}
		if (newidx[t] == PMIX_MAP_NONE) {
			newidx[t] = next++;
			memcpy(hosts[newidx[t]], m->host[t], NODEMAP_HOST_LEN);
		}
		m->node_of_rank[r] = newidx[t];
	}
	free(newidx);
	free(m->host);
	m->host = hosts;
	/* Nodes without ranks of ours (another job step) are dropped. */
	m->nnodes = next;
	return 0;
}

/* Our node: the one holding our rank; its name must be our PMIX_HOSTNAME
 * and its ranks those of PMIX_LOCAL_PEERS. */
static int
pmix_check_local(struct pmix_map_state *s, struct nodemap *m, uint32_t rank,
    char *err, size_t errlen)
{
	char *host = NULL, *peers = NULL, *p, *end;
	uint32_t nlocal = 0, r;
	unsigned long v;
	int ret;

	m->node = m->node_of_rank[rank];
	if ((ret = pmix_get_str(s, s->me.rank, PMIX_HOSTNAME, &host, err,
	    errlen)) != 0)
		goto out;
	if (strcmp(host, m->host[m->node]) != 0) {
		snprintf(err, errlen, "PMIX_HOSTNAME of rank %u is %s, but "
		    "the node map places it on %s", rank, host,
		    m->host[m->node]);
		ret = FB_E_PROTO;
		goto out;
	}
	if ((ret = pmix_get_str(s, PMIX_RANK_WILDCARD, PMIX_LOCAL_PEERS,
	    &peers, err, errlen)) != 0)
		goto out;
	for (p = peers; *p != '\0'; p = end) {
		errno = 0;
		v = strtoul(p, &end, 10);
		if (end == p || errno != 0 || v >= m->nranks ||
		    (*end != ',' && *end != '\0')) {
			snprintf(err, errlen, "PMIX_LOCAL_PEERS \"%.64s\": "
			    "not a list of ranks below %u", peers, m->nranks);
			ret = FB_E_PROTO;
			goto out;
		}
		if (m->node_of_rank[v] != m->node) {
			snprintf(err, errlen, "PMIX_LOCAL_PEERS names rank %lu "
			    "on %s, but the node map places it on %s", v,
			    host, m->host[m->node_of_rank[v]]);
			ret = FB_E_PROTO;
			goto out;
		}
		nlocal++;
		if (*end == ',')
			end++;
	}
	for (r = 0; r < m->nranks; r++)
		if (m->node_of_rank[r] == m->node)
			nlocal--;
	if (nlocal != 0) {
		snprintf(err, errlen, "PMIX_LOCAL_PEERS \"%.64s\" and the node "
		    "map disagree on the ranks of %s", peers, host);
		ret = FB_E_PROTO;
	}
out:
	free(host);
	free(peers);
	return ret;
}

static int
pmix_read_map(struct pmix_map_state *s, struct nodemap *m, uint32_t rank,
    char *err, size_t errlen)
{
	char *list = NULL, *name, *save = NULL;
	pmix_status_t rc;
	uint32_t size, n, i;
	int ret;

	if ((ret = pmix_get_u32(s, PMIX_RANK_WILDCARD, PMIX_JOB_SIZE, &size,
	    err, errlen)) != 0)
		return ret;
	if (s->me.rank != rank || size != m->nranks) {
		snprintf(err, errlen, "the PMIx job is not this job: PMIx rank "
		    "%u of %u, fastboot rank %u of %u", (unsigned)s->me.rank,
		    size, rank, m->nranks);
		return 1;
	}
	if ((rc = PMIx_Resolve_nodes(s->me.nspace, &list)) != PMIX_SUCCESS ||
	    list == NULL || *list == '\0') {
		snprintf(err, errlen, "PMIx_Resolve_nodes(%s): %s",
		    s->me.nspace, rc != PMIX_SUCCESS ? PMIx_Error_string(rc) :
		    "empty node list");
		free(list);
		return 1;
	}
	for (n = 1, name = list; *name != '\0'; name++)
		n += *name == ',';
	if (n > m->nranks) {
		snprintf(err, errlen, "PMIx lists %u nodes for %u ranks", n,
		    m->nranks);
		ret = FB_E_PROTO;
		goto out;
	}
	m->host = calloc(n, sizeof *m->host);
	m->node_of_rank = malloc((size_t)m->nranks * sizeof *m->node_of_rank);
	if (m->host == NULL || m->node_of_rank == NULL) {
		snprintf(err, errlen, "node map of %u ranks: out of memory",
		    m->nranks);
		ret = FB_E_NOMEM;
		goto out;
	}
	memset(m->node_of_rank, 0xff, (size_t)m->nranks *
	    sizeof *m->node_of_rank);
	m->nnodes = n;
	for (i = 0, name = strtok_r(list, ",", &save); name != NULL;
	    name = strtok_r(NULL, ",", &save), i++) {
		if (strlen(name) >= NODEMAP_HOST_LEN) {
			snprintf(err, errlen, "PMIx node name %.32s... is "
			    "longer than %d bytes", name, NODEMAP_HOST_LEN - 1);
			ret = 1;
			goto out;
		}
		memcpy(m->host[i], name, strlen(name) + 1);
		if ((ret = pmix_place_node(s, m, name, i, err, errlen)) != 0)
			goto out;
	}
	if (i != n) {
		snprintf(err, errlen, "PMIx node list \"%.64s\" has an empty "
		    "name", list);
		ret = FB_E_PROTO;
		goto out;
	}
	if ((ret = pmix_renumber(m, err, errlen)) != 0)
		goto out;
	ret = pmix_check_local(s, m, rank, err, errlen);
out:
	free(list);
	return ret;
}

int
nodemap_from_pmix(struct nodemap *m, uint32_t rank, uint32_t nranks,
    char *err, size_t errlen)
{
	struct pmix_map_state s;
	pmix_status_t rc;
	const char *ns;
	int tmo = PMIX_MAP_TIMEOUT_S, ret;

	memset(m, 0, sizeof *m);
	if (nranks == 0 || nranks > FB_MAX_NRANKS || rank >= nranks) {
		snprintf(err, errlen, "rank %u of %u: no such rank", rank,
		    nranks);
		return FB_E_INVAL;
	}
	if (!pmix_in_environment()) {
		snprintf(err, errlen, "no PMIx server in the environment "
		    "(PMIX_NAMESPACE and PMIX_SERVER_URI* unset)");
		return 1;
	}
	ns = getenv("PMIX_NAMESPACE");
	if (pmix_kept_get(ns, rank, nranks, m) == 0)
		return 0;
	memset(&s, 0, sizeof s);
	if ((rc = PMIx_Init(&s.me, NULL, 0)) != PMIX_SUCCESS) {
		snprintf(err, errlen, "PMIx_Init: %s", PMIx_Error_string(rc));
		return 1;
	}
	PMIX_INFO_LOAD(&s.info, PMIX_TIMEOUT, &tmo, PMIX_INT);
	m->nranks = nranks;
	ret = pmix_read_map(&s, m, rank, err, errlen);
	PMIX_INFO_DESTRUCT(&s.info);
	PMIx_Finalize(NULL, 0);
	if (ret != 0)
		nodemap_free(m);
	else
		pmix_kept_put(ns, rank, m);
	return ret;
}
