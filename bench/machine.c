/*
 * machine.c - what the report says about where the run ran: the host, CPU,
 * memory and kernel, the CPUs each rank was allowed to run on (the binding
 * mpirun chose), gathered from every rank, and what a hand-off between two
 * sleeping processes costs here.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
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

#define HANDOFF_WARM		10
#define HANDOFF_TRIPS		200
#define HANDOFF_WAIT_MS		2000	/* per read or accept */

/* Wait (asleep, bounded) until fd is readable, then read one byte. */
static int
machine_handoff_read(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char b;

	if (poll(&pfd, 1, HANDOFF_WAIT_MS) != 1)
		return -1;
	return read(fd, &b, 1) == 1 ? 0 : -1;
}

/* Ranks 0 and 1 alone: rank 0's round trips (us) into v, or -1. */
static int
machine_handoff_trips(const char *name, int lfd, int gap_us, double *v,
    char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	double t0;
	int fd = -1, i, rc = -1;
	char b = 0;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, name, strlen(name));	/* abstract */
	if (bench_rank == 1) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1 || connect(fd, (struct sockaddr *)&sun,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(name))) == -1) {
			snprintf(err, errlen, "hand-off: rank 1: connect: %s",
			    strerror(errno));
			goto out;
		}
		for (i = 0; i < HANDOFF_WARM + HANDOFF_TRIPS; i++)
			if (machine_handoff_read(fd) != 0 ||
			    send(fd, &b, 1, MSG_NOSIGNAL) != 1) {
				snprintf(err, errlen, "hand-off: rank 1: trip "
				    "%d: no byte from rank 0 within %d ms", i,
				    HANDOFF_WAIT_MS);
				goto out;
			}
		rc = 0;
		goto out;
	}
	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, HANDOFF_WAIT_MS) != 1 ||
	    (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		snprintf(err, errlen, "hand-off: rank 0: rank 1 did not "
		    "connect within %d ms", HANDOFF_WAIT_MS);
		goto out;
	}
	for (i = 0; i < HANDOFF_WARM + HANDOFF_TRIPS; i++) {
		if (gap_us > 0)
			usleep((useconds_t)gap_us);
		t0 = bench_now_us();
		if (send(fd, &b, 1, MSG_NOSIGNAL) != 1 ||
		    machine_handoff_read(fd) != 0) {
			snprintf(err, errlen, "hand-off: rank 0: trip %d: no "
			    "answer from rank 1 within %d ms", i,
			    HANDOFF_WAIT_MS);
			goto out;
		}
		if (i >= HANDOFF_WARM)
			v[i - HANDOFF_WARM] = bench_now_us() - t0;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * What a hand-off between two processes that sleep while they wait costs
 * on this machine: rank 0 writes a byte to rank 1 over a Unix socket and
 * sleeps in poll() for the answer; rank 1, asleep in poll(), reads and
 * answers.  fastboot's bootstrap makes one such round trip that the floor
 * does not (a rank's JOIN wakes fastbootd, its JOIN_ACK wakes the rank).
 * Rank 0 waits gap_us before each trip: 0 measures trips back to back, a
 * gap the cost of waking a CPU that went idle meanwhile (on a virtual
 * machine the host may have descheduled it).  The other ranks sleep
 * meanwhile (an MPI_Ibarrier looked at every ms), so that they leave the
 * CPUs to the two.  Collective, with 2 ranks or more; rank 0 gets
 * HANDOFF_TRIPS samples in us (*n), or NULL and the reason.
 */
double *
machine_handoff(int gap_us, size_t *n, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	MPI_Request req;
	char name[64] = "";
	double *v = NULL;
	int lfd = -1, rc = 0, all, done = 0;

	*n = 0;
	err[0] = '\0';
	if (bench_nranks < 2)
		return NULL;
	if (bench_rank == 0) {
		snprintf(name, sizeof name, "fbbench-handoff.%ld.%lx",
		    (long)getpid(), (unsigned long)random());
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path + 1, name, strlen(name));
		if ((v = calloc(HANDOFF_TRIPS, sizeof *v)) == NULL ||
		    (lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1 || bind(lfd, (struct sockaddr *)&sun, (socklen_t)
		    (offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(name))) == -1 || listen(lfd, 1) == -1) {
			snprintf(err, errlen, "hand-off: rank 0: %s",
			    v == NULL ? "out of memory" : strerror(errno));
			rc = -1;
		}
	}
	MPI_Bcast(name, sizeof name, MPI_CHAR, 0, MPI_COMM_WORLD);
	MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (rc == 0 && bench_rank < 2)
		rc = machine_handoff_trips(name, lfd, gap_us, v, err,
		    errlen);
	/* Everyone, the two included, waits asleep for the others. */
	MPI_Ibarrier(MPI_COMM_WORLD, &req);
	while (MPI_Test(&req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS &&
	    !done)
		usleep(1000);
	MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
	if (lfd != -1)
		close(lfd);
	if (all != 0 && bench_rank == 0 && err[0] == '\0')
		snprintf(err, errlen, "hand-off: rank 1 failed (its message "
		    "is on its standard error)");
	if (all != 0 && bench_rank == 1 && err[0] != '\0')
		fprintf(stderr, "bootstrap_benchmark: %s\n", err);
	if (all != 0 || bench_rank != 0) {
		free(v);
		return NULL;
	}
	*n = HANDOFF_TRIPS;
	return v;
}
