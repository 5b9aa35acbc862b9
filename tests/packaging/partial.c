/*
 * partial.c - ranks 0..n-2 of an n-rank job; rank n-1 never comes, so
 * "fastbootctl jobs" has a job waiting for it.  Built by the packaging
 * tests against the installed library; each rank waits in fb_comm_init
 * (FASTBOOT_TIMEOUT_MS bounds it), the parent until it is killed.
 *
 * usage: partial [n (2..1024, default 4)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fastboot/fastboot.h>

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4, r;
	fb_unique_id id;
	fb_comm *comm;

	if (n < 2 || n > 1024) {
		fprintf(stderr, "usage: %s [n (2..1024)]\n", argv[0]);
		return 2;
	}
	if (fb_get_unique_id(&id) != 0)
		return 1;
	for (r = 0; r < n - 1; r++)
		if (fork() == 0)
			return fb_comm_init(&comm, &id, r, n) == 0;
	pause();
	return 0;
}
