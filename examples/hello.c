/*
 * hello.c - an 8-rank job through fastbootd, written only against the
 * installed header: rank processes are forked here (an MPI launcher would
 * start them instead), and inherit the job id made before the fork.
 *
 *	cc hello.c $(pkg-config --cflags --libs libfastboot-client)
 *	./a.out [nranks]
 *
 * Across nodes, the id goes through a file (a launcher would broadcast it)
 * and each node runs its share of the ranks:
 *	./a.out --make-id FILE			(on the first node)
 *	./a.out --id FILE NRANKS FIRST-LAST	(on every node)
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fastboot/fastboot.h>

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

#define CHECK(call) do {						\
	int rc_ = (call);						\
	if (rc_ != 0) {							\
		fprintf(stderr, "rank %d: %s: %s (%s)\n", rank, #call,	\
		    fb_strerror(rc_), fb_comm_last_error(comm));	\
		exit(1);						\
	}								\
} while (0)

static int
run_rank(const fb_unique_id *id, int rank, int nranks, double t0)
{
	fb_comm *comm = NULL;
	char token[64];
	unsigned long long *all;
	double t_init, t_barrier, t_ag;
	int local_rank, local_size, next, prev, r;

	CHECK(fb_comm_init(&comm, id, rank, nranks));
	CHECK(fb_barrier(comm));
	t_init = now_us() - t0;
	CHECK(fb_comm_local_rank(comm, &local_rank));
	CHECK(fb_comm_local_size(comm, &local_size));

	/* Allgather each rank's pid, as a job would its addresses. */
	all = calloc((size_t)nranks, sizeof *all);
	all[rank] = (unsigned long long)getpid();
	t_ag = now_us();
	CHECK(fb_allgather(comm, all, sizeof *all));
	t_ag = now_us() - t_ag;

	/* Pass a token around the ring with send/recv. */
	next = (rank + 1) % nranks;
	prev = (rank + nranks - 1) % nranks;
	snprintf(token, sizeof token, "hello from rank %d", rank);
	CHECK(fb_send(comm, token, sizeof token, next, 7));
	CHECK(fb_recv(comm, token, sizeof token, prev, 7));

	t_barrier = now_us();
	CHECK(fb_barrier(comm));
	t_barrier = now_us() - t_barrier;
	printf("rank %d/%d (local %d/%d, pid %d): bootstrapped at %.0f us, "
	    "allgather %.0f us, barrier %.0f us, got \"%s\"\n", rank, nranks,
	    local_rank, local_size, (int)getpid(), t_init, t_ag, t_barrier,
	    token);
	if (rank == 0) {
		printf("rank 0 sees pids:");
		for (r = 0; r < nranks; r++)
			printf(" %llu", all[r]);
		printf("\n");
	}
	free(all);
	CHECK(fb_comm_destroy(comm));
	return 0;
}

static int
id_file(fb_unique_id *id, const char *path, int make)
{
	FILE *f = fopen(path, make ? "w" : "r");
	size_t n = 0;

	if (f != NULL) {
		n = make ? fwrite(id, sizeof *id, 1, f) :
		    fread(id, sizeof *id, 1, f);
		if (fclose(f) != 0)
			n = 0;
	}
	if (n != 1) {
		perror(path);
		return -1;
	}
	return 0;
}

static int
usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [nranks (1..1024)]\n"
	    "       %s --make-id FILE\n"
	    "       %s --id FILE NRANKS FIRST-LAST\n", argv0, argv0, argv0);
	return 2;
}

int
main(int argc, char **argv)
{
	int nranks = 8, first = 0, last, rank = 0, status, failed = 0;
	fb_unique_id id;
	fb_comm *comm = NULL;
	double t0;

	t0 = now_us();
	if (argc == 3 && strcmp(argv[1], "--make-id") == 0) {
		CHECK(fb_get_unique_id(&id));
		return id_file(&id, argv[2], 1) == 0 ? 0 : 1;
	}
	if (argc == 5 && strcmp(argv[1], "--id") == 0) {
		nranks = atoi(argv[3]);
		if (sscanf(argv[4], "%d-%d", &first, &last) != 2 ||
		    first < 0 || last < first || last >= nranks)
			return usage(argv[0]);
		if (id_file(&id, argv[2], 0) == -1)
			return 1;
	} else if (argc <= 2) {
		if (argc == 2)
			nranks = atoi(argv[1]);
		last = nranks - 1;
		CHECK(fb_get_unique_id(&id));
	} else
		return usage(argv[0]);
	if (nranks < 1 || nranks > 1024)
		return usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (rank = first; rank <= last; rank++) {
		switch (fork()) {
		case -1:
			perror("fork");
			return 1;
		case 0:
			return run_rank(&id, rank, nranks, t0);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	printf("%d ranks done, %d failed\n", last - first + 1, failed);
	return failed ? 1 : 0;
}
