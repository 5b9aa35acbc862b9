/*
 * isolation_test.c - a job is bound to the uid of its first rank; another
 * uid presenting its id is refused (FB_E_PERM) and the job goes on; root is
 * refused too unless fastbootd runs with --allow-root.  The rank table is a
 * sealed memfd, never a file under /dev/shm.  Needs root (to setuid to
 * nobody); skips otherwise.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <grp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rel.h"
#include "tap.h"

#define NOBODY	65534
#define NR	4

struct shm {
	int rc;
	char err[600];
};
static struct shm *sh;

static int
become(uid_t uid)
{
	if (uid == 0)
		return 0;
	return setgroups(0, NULL) == 0 && setgid(uid) == 0 &&
	    setuid(uid) == 0 ? 0 : -1;
}

/* A whole rank: init, barrier, allgather verified, destroy. */
static int
rank_main(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	uid_t uid = *(uid_t *)arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	int v[NR], r;
	fb_comm *c;

	if (become(uid) == -1)
		return 1;
	cfg.timeout_ms = 20000;
	if (fb_comm_init_config(&c, id, rank, NR, &cfg) != 0)
		return 1;
	v[rank] = rank + 40;
	if (fb_barrier(c) != 0 || fb_allgather(c, v, sizeof v[0]) != 0)
		return 1;
	for (r = 0; r < NR; r++)
		if (v[r] != r + 40)
			return 1;
	return fb_comm_destroy(c) != 0;
}

/* Present the job id as rank 3 under uid and, if admitted, run the job;
 * the result goes to sh. */
static int
intruder_main(const fb_unique_id *id, int rank, int nranks, void *arg)
{
	uid_t uid = *(uid_t *)arg;
	fb_config cfg = FB_CONFIG_INITIALIZER;
	fb_comm *c;

	if (become(uid) == -1)
		return 1;
	cfg.timeout_ms = 5000;
	sh->rc = fb_comm_init_config(&c, id, NR - 1, NR, &cfg);
	snprintf(sh->err, sizeof sh->err, "%s", fb_comm_last_error(NULL));
	if (sh->rc == 0) {
		/* Admitted: take part in the job like any rank. */
		int v[NR], r;

		v[NR - 1] = NR - 1 + 40;
		if ((sh->rc = fb_barrier(c)) == 0)
			sh->rc = fb_allgather(c, v, sizeof v[0]);
		for (r = 0; sh->rc == 0 && r < NR; r++)
			if (v[r] != r + 40)
				sh->rc = -100;
		snprintf(sh->err, sizeof sh->err, "%s", fb_comm_last_error(c));
		fb_comm_destroy(c);
	}
	return 0;
}

static int
wait_joined(pid_t pid)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (rel_proc_maps_has(pid, "memfd:fastboot-job"))
			return 1;
		usleep(1000);
	}
	return 0;
}

static int
dev_shm_count(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/dev/shm")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n;
}

/* The rank table as a rank maps it. */
static void
check_memfd(pid_t rank, pid_t daemon, int shm_before)
{
	char path[64], line[512], mf[128];
	unsigned long lo, hi;
	FILE *f;
	int fd = -1, seals, rc, e;

	ok(rel_proc_maps_has(rank, "/memfd:fastboot-job") &&
	    !rel_proc_maps_has(rank, "/dev/shm"), "a rank maps the table "
	    "from a memfd (/memfd:fastboot-job), nothing under /dev/shm");
	ok(dev_shm_count() == shm_before, "no file appeared in /dev/shm");
	snprintf(path, sizeof path, "/proc/%d/maps", (int)rank);
	mf[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL)
			if (strstr(line, "memfd:fastboot-job") != NULL &&
			    sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
				snprintf(mf, sizeof mf,
				    "/proc/%d/map_files/%lx-%lx", (int)rank,
				    lo, hi);
				break;
			}
		fclose(f);
	}
	if (mf[0] != '\0')
		fd = open(mf, O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		tap_skip("cannot open the rank's mapping through map_files "
		    "(%s): no seal checks", strerror(errno));
		tap_skip("no ftruncate check");
		return;
	}
	seals = fcntl(fd, F_GET_SEALS);
	ok(seals != -1 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_GROW) &&
	    (seals & F_SEAL_SEAL), "F_GET_SEALS has SHRINK|GROW|SEAL "
	    "(0x%x)", seals);
	rc = ftruncate(fd, 4096);
	e = errno;
	ok(rc == -1 && e == EPERM, "ftruncate on the table fails (%s)",
	    rc == -1 ? strerror(e) : "it succeeded");
	close(fd);
	(void)daemon;
}

/* Owner's ranks 0-2 wait in init; intruder presents rank 3; then the
 * owner's rank 3 completes the job. */
static void
scenario(struct th_daemon *d, uid_t owner, uid_t intruder, int expect,
    const char *what, int memfd)
{
	fb_unique_id id;
	pid_t pids[NR], p3;
	int r, failed, shm_before = dev_shm_count(), joined = 1;

	th_unique_id(&id);
	memset(sh, 0, sizeof *sh);
	sh->rc = 1;
	th_spawn_ranks(NR - 1, rank_main, &owner, &id, pids);
	for (r = 0; r < NR - 1; r++)
		joined &= wait_joined(pids[r]);
	if (memfd)
		check_memfd(pids[0], d->pid, shm_before);
	th_spawn_ranks(1, intruder_main, &intruder, &id, &p3);
	rel_wait_pids(&p3, 1, 20000);
	if (expect == 0) {
		ok(joined && sh->rc == 0, "%s: admitted as rank 3 and ran the "
		    "job (%s)", what, sh->rc ? sh->err : "ok");
		failed = rel_wait_pids(pids, NR - 1, 20000);
		ok(failed == 0, "%s: the job completes with it", what);
		return;
	}
	ok(joined && sh->rc == expect && strstr(sh->err, "another user") !=
	    NULL, "%s: refused with %s: %s", what, fb_strerror(expect),
	    sh->err);
	th_spawn_ranks(1, intruder_main, &owner, &id, &p3);
	rel_wait_pids(&p3, 1, 20000);
	failed = rel_wait_pids(pids, NR - 1, 20000);
	ok(sh->rc == 0 && failed == 0, "%s: the job's ranks are unaffected: "
	    "the owner's rank 3 joins and the job completes (%s)", what,
	    sh->rc ? sh->err : "ok");
}

int
main(void)
{
	static const char *const allow[] = { "--allow-root", NULL };
	struct th_daemon d;

	th_deadline(120);
	if (geteuid() != 0)
		tap_plan_skip("needs root to setuid() to nobody");
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		tap_plan_skip("mmap failed");
	tap_plan(1 + 4 + 2 + 2 + 1 + 2);
	ok(th_daemon_start(&d, NULL) == 0, "fastbootd started");
	chmod(d.dir, 0755);	/* let nobody reach the socket */
	scenario(&d, 0, NOBODY, FB_E_PERM, "nobody presents root's job id",
	    1);
	scenario(&d, NOBODY, 0, FB_E_PERM, "root presents nobody's job id "
	    "(no --allow-root)", 0);
	th_daemon_cleanup(&d);

	ok(th_daemon_start(&d, allow) == 0, "fastbootd --allow-root started");
	chmod(d.dir, 0755);
	scenario(&d, NOBODY, 0, 0, "root presents nobody's job id under "
	    "--allow-root", 0);
	th_daemon_cleanup(&d);
	return tap_done();
}
