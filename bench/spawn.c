/*
 * spawn.c - run a program with an argument vector, never through a shell:
 * a path (the report's folder, gnuplot's) is an argument or a chdir(),
 * never text for sh to parse.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"

extern char **environ;

/* In the child: open path for writing onto fd, or die with 127. */
static void
spawn_redirect(const char *path, int fd)
{
	int f;

	if (path == NULL)
		return;
	if ((f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || dup2(f, fd) == -1) {
		dprintf(STDERR_FILENO, "%s: %s\n", path, strerror(errno));
		_exit(127);
	}
}

int
spawn_wait(char *const argv[], const char *dir, const char *out,
    const char *errfile, char *err, size_t errlen)
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork for %s: %s", argv[0],
		    strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (dir != NULL && chdir(dir) == -1) {
			dprintf(STDERR_FILENO, "chdir %s: %s\n", dir,
			    strerror(errno));
			_exit(127);
		}
		spawn_redirect(out, STDOUT_FILENO);
		spawn_redirect(errfile, STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid %s: %s", argv[0],
			    strerror(errno));
			return -1;
		}
	return status;
}

/*
 * posix_spawn, not fork: glibc starts the child without copying the
 * caller's page tables, so a rank that asks its daemon between timed jobs
 * does not take copy-on-write faults in the next one.
 */
int
spawn_read(char *const argv[], char *out, size_t len)
{
	posix_spawn_file_actions_t fa;
	char rest[512];
	ssize_t n;
	size_t got = 0;
	pid_t pid;
	int fd[2], status = -1, rc;

	if (len == 0 || pipe2(fd, O_CLOEXEC) == -1)
		return -1;
	if (posix_spawn_file_actions_init(&fa) != 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	rc = posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO,
		    "/dev/null", O_WRONLY, 0);
	if (rc == 0)
		rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	close(fd[1]);
	/* Past len, the rest is read and dropped: the child never blocks. */
	for (;;) {
		if (got + 1 < len)
			n = read(fd[0], out + got, len - 1 - got);
		else
			n = read(fd[0], rest, sizeof rest);
		if (n == 0 || (n == -1 && errno != EINTR))
			break;
		if (n > 0 && got + 1 < len)
			got += (size_t)n;
	}
	close(fd[0]);
	out[got] = '\0';
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || *out == '\0')
		return -1;
	return 0;
}

int
spawn_line(char *const argv[], char *line, size_t len)
{
	if (spawn_read(argv, line, len) != 0)
		return -1;
	line[strcspn(line, "\n")] = '\0';
	return *line == '\0' ? -1 : 0;
}
