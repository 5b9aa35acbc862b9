/*
 * machine.c - what the report says about where the run ran: the host, CPU,
 * memory and kernel, and the CPUs each rank was allowed to run on (the
 * binding mpirun chose), gathered from every rank.
 */
#include <sys/utsname.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "bench/bench.h"

static char	 binding_buf[1024];
static char	 host_buf[256], kernel_buf[256], cpu_buf[256];

/* "0-3,6": the CPUs this process may run on. */
static void
machine_cpulist(char *buf, size_t len, int *count)
{
	cpu_set_t set;
	size_t off = 0;
	int c, lo;

	*count = 0;
	buf[0] = '\0';
	if (sched_getaffinity(0, sizeof set, &set) != 0) {
		snprintf(buf, len, "unknown (%s)", strerror(errno));
		return;
	}
	for (c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		for (lo = c; c + 1 < CPU_SETSIZE && CPU_ISSET(c + 1, &set);)
			c++;
		*count += c - lo + 1;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%d",
			    off ? "," : "", lo);
		if (c > lo && off < len)
			off += (size_t)snprintf(buf + off, len - off, "-%d",
			    c);
	}
}

/* Where the ranks may run (collective): the text on rank 0, else NULL. */
const char *
machine_binding(void)
{
	char mine[128], *all = NULL;
	size_t off = 0;
	int count, r, same = 1;

	machine_cpulist(mine, sizeof mine, &count);
	if (bench_rank == 0 &&
	    (all = malloc((size_t)bench_nranks * sizeof mine)) == NULL) {
		fprintf(stderr, "bootstrap_benchmark: out of memory\n");
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	MPI_Gather(mine, sizeof mine, MPI_CHAR, all, sizeof mine, MPI_CHAR, 0,
	    MPI_COMM_WORLD);
	if (bench_rank != 0)
		goto out;
	for (r = 1; r < bench_nranks; r++)
		if (strcmp(all + (size_t)r * sizeof mine, mine) != 0)
			same = 0;
	if (same) {
		long online = sysconf(_SC_NPROCESSORS_ONLN);

		snprintf(binding_buf, sizeof binding_buf, "every rank on CPUs "
		    "%s%s", mine, count == online ? " (not bound: all online "
		    "CPUs)" : "");
		goto out;
	}
	for (r = 0; r < bench_nranks && off < sizeof binding_buf; r++)
		off += (size_t)snprintf(binding_buf + off, sizeof binding_buf -
		    off, "%srank %d on CPUs %s", r ? "; " : "", r,
		    all + (size_t)r * sizeof mine);
out:
	free(all);
	return bench_rank == 0 ? binding_buf : NULL;
}

void
machine_describe(struct bench_run *run)
{
	char line[512], *p;
	struct utsname un;
	FILE *f;

	if (uname(&un) == 0) {
		snprintf(host_buf, sizeof host_buf, "%s", un.nodename);
		snprintf(kernel_buf, sizeof kernel_buf, "%s", un.release);
	}
	snprintf(cpu_buf, sizeof cpu_buf, "unknown");
	run->host = host_buf;
	run->kernel = kernel_buf;
	run->cpu = cpu_buf;
	run->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	run->memory_mb = (long)(sysconf(_SC_PHYS_PAGES) / 1024 *
	    (sysconf(_SC_PAGESIZE) / 1024));
	if ((f = fopen("/proc/cpuinfo", "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "model name", 10) == 0 &&
		    (p = strchr(line, ':')) != NULL) {
			p += strspn(p + 1, " \t") + 1;
			p[strcspn(p, "\n")] = '\0';
			snprintf(cpu_buf, sizeof cpu_buf, "%s", p);
			break;
		}
	fclose(f);
}
