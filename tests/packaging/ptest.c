/*
 * ptest.c - helpers for the packaging tests (see ptest.h).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptest.h"

int
ptest_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    chmod(path, 0666) == -1 || listen(fd, SOMAXCONN) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
ptest_daemon_exec(struct th_daemon *d, int lfd, const char *const *argv,
    const char *const *extra_env)
{
	char buf[32];
	int i;

	fflush(stdout);
	d->pid = fork();
	if (d->pid == -1)
		return -1;
	if (d->pid > 0)
		return 0;
	setenv("NOTIFY_SOCKET", d->notify, 1);
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	for (i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
		putenv((char *)extra_env[i]);
	if (lfd != -1) {
		/* What systemd does: the socket as fd 3, LISTEN_PID = us. */
		if (lfd != 3) {
			if (dup2(lfd, 3) == -1)
				_exit(127);
		} else
			fcntl(3, F_SETFD, 0);
		snprintf(buf, sizeof buf, "%ld", (long)getpid());
		setenv("LISTEN_PID", buf, 1);
		setenv("LISTEN_FDS", "1", 1);
	}
	/* The daemon's log goes to the test's log, not its TAP. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	execv(argv[0], (char *const *)argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int
ptest_run(const char *const *argv, char *out, size_t size, int timeout_ms)
{
	double end = th_now_ms() + timeout_ms;
	size_t used = 0;
	struct pollfd pfd;
	int p[2], status, left;
	ssize_t n;
	char sink[512];
	pid_t pid;

	if (size > 0)
		out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		left = (int)(end - th_now_ms());
		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(p[0]);
			return -1;
		}
		if (poll(&pfd, 1, left) <= 0)
			continue;
		if (used + 1 < size)
			n = read(p[0], out + used, size - used - 1);
		else
			n = read(p[0], sink, sizeof sink);
		if (n <= 0)
			break;
		if (used + 1 < size) {
			used += (size_t)n;
			out[used] = '\0';
		}
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
ptest_wait_connect(const char *path, int ms)
{
	double end = th_now_ms() + ms;
	struct sockaddr_un sun;
	int fd, rc;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1)
			return 0;
		rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
		close(fd);
		if (rc == 0)
			return 1;
		/* Not there yet, or bound but not yet listening. */
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    th_now_ms() > end)
			return 0;
		usleep(10000);
	}
}

const char *
ptest_fastbootctl(void)
{
	const char *p = getenv("FASTBOOTCTL");

	return p != NULL ? p : "../../tools/fastbootctl";
}

int
ptest_have(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, buf[4096];
	int found = 0;

	if (path == NULL || (copy = strdup(path)) == NULL)
		return 0;
	for (dir = strtok_r(copy, ":", &save); dir != NULL && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof buf, "%s/%s", dir, name);
		found = access(buf, X_OK) == 0;
	}
	free(copy);
	return found;
}
