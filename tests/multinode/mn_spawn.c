/*
 * mn_spawn.c - start a daemon and return once it is READY.
 *
 *   mn_spawn NOTIFY_PATH PIDFILE TIMEOUT_MS COMMAND [ARG...]
 *
 * Binds a datagram socket at NOTIFY_PATH, starts COMMAND with
 * NOTIFY_SOCKET=NOTIFY_PATH, and waits for READY=1 from it (sd_notify).
 * Then writes the daemon's pid to PIDFILE and exits 0, leaving the daemon
 * running.  Exits 1, after killing what it started, if the daemon exits
 * first or TIMEOUT_MS passes without READY=1.  netns.sh runs it inside a
 * namespace with ip netns exec, so the daemon lives in that namespace.
 */
#include <sys/socket.h>
#include <sys/types.h>
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

static long
spawn_now_ms(void)
{
	return (long)(clock_mono_ns() / 1000000u);
}

static void
spawn_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	char buf[4096];
	long timeout, start, left;
	ssize_t n;
	pid_t pid;
	FILE *f;
	int fd, status;

	if (argc < 5) {
		fprintf(stderr, "usage: mn_spawn NOTIFY_PATH PIDFILE "
		    "TIMEOUT_MS COMMAND [ARG...]\n");
		return 2;
	}
	timeout = strtol(argv[3], NULL, 10);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof sun.sun_path) {
		fprintf(stderr, "mn_spawn: %s: path too long\n", argv[1]);
		return 1;
	}
	strcpy(sun.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || (unlink(argv[1]) == -1 && errno != ENOENT) ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		fprintf(stderr, "mn_spawn: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	switch ((pid = fork())) {
	case -1:
		fprintf(stderr, "mn_spawn: fork: %s\n", strerror(errno));
		return 1;
	case 0:
		setenv("NOTIFY_SOCKET", argv[1], 1);
		execvp(argv[4], argv + 4);
		fprintf(stderr, "mn_spawn: %s: %s\n", argv[4],
		    strerror(errno));
		_exit(127);
	}
	start = spawn_now_ms();
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "mn_spawn: %s exited (status %d) "
			    "before READY=1\n", argv[4], status);
			unlink(argv[1]);
			return 1;
		}
		left = timeout - (spawn_now_ms() - start);
		if (left <= 0) {
			fprintf(stderr, "mn_spawn: no READY=1 from %s "
			    "(pid %d) within %ld ms\n", argv[4], (int)pid,
			    timeout);
			spawn_reap(pid);
			unlink(argv[1]);
			return 1;
		}
		/* Short slices: the daemon may die without a word. */
		if (poll(&pfd, 1, left < 100 ? (int)left : 100) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof buf - 1, 0)) <= 0)
			continue;
		buf[n] = '\0';
		if (strncmp(buf, "READY=1", 7) == 0 ||
		    strstr(buf, "\nREADY=1") != NULL)
			break;
	}
	unlink(argv[1]);
	if ((f = fopen(argv[2], "w")) == NULL ||
	    fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) == EOF) {
		fprintf(stderr, "mn_spawn: %s: %s\n", argv[2],
		    strerror(errno));
		spawn_reap(pid);
		return 1;
	}
	return 0;
}
