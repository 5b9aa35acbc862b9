/*
 * harness.c - a real fastbootd per test, ranks as real processes.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wire/clock.h"
#include "harness.h"

double
th_now_ms(void)
{
	return (double)clock_mono_ns() / 1e6;
}

void
th_unique_id(fb_unique_id *id)
{
	int rc;

	if ((rc = fb_get_unique_id(id)) != 0) {
		printf("Bail out! fb_get_unique_id: %s (%s)\n", fb_strerror(rc),
		    fb_comm_last_error(NULL));
		fflush(stdout);
		exit(99);
	}
}

static void
th_alarm(int sig)
{
	static const char msg[] = "Bail out! test binary ran past its "
	    "deadline\n";

	(void)!write(STDOUT_FILENO, msg, sizeof msg - 1);
	kill(0, SIGKILL);	/* our ranks and daemons share the group */
	_exit(1);
}

void
th_deadline(int seconds)
{
	setpgid(0, 0);
	signal(SIGALRM, th_alarm);
	alarm((unsigned)seconds);
}

const char *
th_fastbootd_path(void)
{
	const char *p = getenv("FASTBOOTD");

	return p != NULL ? p : "../../daemon/fastbootd";
}

int
th_daemon_prepare(struct th_daemon *d)
{
	struct sockaddr_un sun;

	memset(d, 0, sizeof *d);
	d->notify_fd = -1;
	strcpy(d->dir, "/tmp/fbtest.XXXXXX");
	if (mkdtemp(d->dir) == NULL)
		return -1;
	snprintf(d->sock, sizeof d->sock, "%s/fastbootd.sock", d->dir);
	snprintf(d->notify, sizeof d->notify, "%s/notify", d->dir);
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, d->notify);
	if (d->notify_fd == -1 ||
	    bind(d->notify_fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		return -1;
	return 0;
}

int
th_daemon_spawn(struct th_daemon *d, const char *const *args,
    const struct th_daemon_opts *o)
{
	static const struct th_daemon_opts def;
	struct rlimit rl;
	const char *argv[64];
	int i, n = 0;

	if (o == NULL)
		o = &def;
	for (i = 0; o->wrapper != NULL && o->wrapper[i] != NULL && n < 40; i++)
		argv[n++] = o->wrapper[i];
	argv[n++] = th_fastbootd_path();
	argv[n++] = "-s";
	argv[n++] = d->sock;
	for (i = 0; args != NULL && args[i] != NULL && n < 62; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(stdout);
	if ((d->pid = fork()) == -1)
		return -1;
	if (d->pid == 0) {
		setenv("NOTIFY_SOCKET", d->notify, 1);
		/* The daemon's log goes to the test's log, not its TAP. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		if (o->nofile != 0) {
			rl.rlim_cur = rl.rlim_max = o->nofile;
			if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
				_exit(126);
		}
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setenv("FASTBOOT_SOCKET", d->sock, 1);
	if (!th_daemon_notified(d, "READY=1", o->ready_ms ? o->ready_ms :
	    10000)) {
		th_daemon_kill(d, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
		return -1;
	}
	return 0;
}

int
th_daemon_start_opts(struct th_daemon *d, const char *const *args,
    const struct th_daemon_opts *o)
{
	if (th_daemon_prepare(d) == -1)
		return -1;
	return th_daemon_spawn(d, args, o);
}

int
th_daemon_start(struct th_daemon *d, const char *const *args)
{
	return th_daemon_start_opts(d, args, NULL);
}

int
th_daemon_notified(struct th_daemon *d, const char *want, int ms)
{
	double end = th_now_ms() + ms;
	struct pollfd pfd;
	char buf[4096], *s;
	ssize_t n;

	for (;;) {
		int left = (int)(end - th_now_ms());

		if (left <= 0)
			return 0;
		pfd.fd = d->notify_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		n = recv(d->notify_fd, buf, sizeof buf - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if ((s = strstr(buf, "STATUS=")) != NULL) {
			snprintf(d->status, sizeof d->status, "%s", s + 7);
			if ((s = strchr(d->status, '\n')) != NULL)
				*s = '\0';
		}
		if (strstr(buf, want) != NULL)
			return 1;
	}
}

void
th_daemon_kill(struct th_daemon *d, int sig)
{
	if (d->pid > 0)
		kill(d->pid, sig);
}

int
th_daemon_stop_within(struct th_daemon *d, int ms)
{
	double end = th_now_ms() + ms;
	int status = -1;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	for (;;) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid)
			break;
		if (th_now_ms() > end) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			break;
		}
		usleep(5000);
	}
	d->pid = 0;
	return status;
}

int
th_daemon_stop(struct th_daemon *d)
{
	return th_daemon_stop_within(d, 5000);
}

void
th_daemon_cleanup(struct th_daemon *d)
{
	if (d->pid > 0)
		th_daemon_stop(d);
	if (d->notify_fd != -1)
		close(d->notify_fd);
	d->notify_fd = -1;
	unlink(d->sock);
	unlink(d->notify);
	rmdir(d->dir);
}

int
th_spawn_ranks(int nranks, th_rank_fn fn, void *arg, const fb_unique_id *id,
    pid_t *pids)
{
	int r;

	fflush(stdout);
	for (r = 0; r < nranks; r++) {
		pids[r] = fork();
		if (pids[r] == -1)
			return -1;
		if (pids[r] == 0) {
			alarm(0);
			_exit(fn(id, r, nranks, arg) == 0 ? 0 : 1);
		}
	}
	return 0;
}

int
th_wait_pids(pid_t *pids, int n, int timeout_ms, int *status)
{
	double end = th_now_ms() + timeout_ms;
	int failed = 0, left = n, i, st;

	/* Only our pids: other groups of the test may still be running. */
	while (left > 0) {
		for (i = 0; i < n; i++) {
			if (pids[i] <= 0 || waitpid(pids[i], &st, WNOHANG) !=
			    pids[i])
				continue;
			if (status != NULL)
				status[i] = st;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
			pids[i] = -pids[i];
			left--;
		}
		if (left == 0)
			break;
		if (th_now_ms() > end) {
			for (i = 0; i < n; i++)
				if (pids[i] > 0) {
					kill(pids[i], SIGKILL);
					waitpid(pids[i], &st, 0);
					if (status != NULL)
						status[i] = st;
					pids[i] = -pids[i];
					failed++;
				}
			break;
		}
		usleep(2000);
	}
	for (i = 0; i < n; i++)
		pids[i] = -pids[i];
	return failed;
}

int
th_run_ranks(int nranks, th_rank_fn fn, void *arg, int timeout_ms)
{
	fb_unique_id id;
	pid_t *pids;
	int failed;

	if (fb_get_unique_id(&id) != 0)
		return nranks;
	if ((pids = calloc((size_t)nranks, sizeof *pids)) == NULL)
		return nranks;
	if (th_spawn_ranks(nranks, fn, arg, &id, pids) == -1) {
		free(pids);
		return nranks;
	}
	failed = th_wait_pids(pids, nranks, timeout_ms, NULL);
	free(pids);
	return failed;
}
