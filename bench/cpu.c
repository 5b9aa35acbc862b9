/*
 * cpu.c - CPU time of this process (getrusage, all threads) and of another
 * process of ours (the daemon, mpirun) from /proc, in microseconds; and
 * memory (resident sets) from /proc, in KiB.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"

double
cpu_self_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

/* Sum of the threads' run time in ns from schedstat; else utime+stime. */
double
cpu_pid_us(pid_t pid)
{
	char path[320], buf[512], *p;
	unsigned long long ns, total = 0, ut, st;
	struct dirent *de;
	DIR *d;
	FILE *f;
	int i, ok = 0;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path,
			    "/proc/%d/task/%s/schedstat", (int)pid,
			    de->d_name);
			if ((f = fopen(path, "r")) == NULL)
				continue;
			if (fscanf(f, "%llu", &ns) == 1) {
				total += ns;
				ok = 1;
			}
			fclose(f);
		}
		closedir(d);
	}
	if (ok)
		return (double)total / 1e3;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof buf, f) == NULL ||
	    (p = strrchr(buf, ')')) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	/* Fields after the command: state is 3, utime 14, stime 15. */
	for (i = 3; i <= 14 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/*
 * Memory, for the cost of a job: a process's resident set (VmRSS of
 * /proc/PID/status) and the resident part of our mappings whose path
 * contains name (/proc/self/smaps), in KiB; -1 when unknown.
 */
long
mem_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

long
mem_mapping_rss_kib(const char *name)
{
	char line[512];
	long kib, sum = -1;
	int in = 0;
	FILE *f;

	if ((f = fopen("/proc/self/smaps", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		/* A mapping's first line: "start-end perms off dev inode
		 * path"; its fields are "Key: value" lines. */
		size_t hex = strspn(line, "0123456789abcdef");

		if (hex > 0 && line[hex] == '-') {
			in = strstr(line, name) != NULL;
			continue;
		}
		if (in && sscanf(line, "Rss: %ld kB", &kib) == 1)
			sum = (sum < 0 ? 0 : sum) + kib;
	}
	fclose(f);
	return sum;
}
