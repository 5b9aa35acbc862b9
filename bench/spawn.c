/*
 * spawn.c - run a program with an argument vector, never through a shell:
 * a path (the report's folder, gnuplot's) is an argument or a chdir(),
 * never text for sh to parse.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"

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

int
spawn_line(char *const argv[], char *line, size_t len)
{
	ssize_t n;
	size_t got = 0;
	pid_t pid;
	int fd[2], status = -1, null;

	if (len == 0 || pipe2(fd, O_CLOEXEC) == -1)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (dup2(fd[1], STDOUT_FILENO) == -1 || null == -1 ||
		    dup2(null, STDERR_FILENO) == -1)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	while (got + 1 < len && (n = read(fd[0], line + got,
	    len - 1 - got)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(fd[0]);
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || *line == '\0')
		return -1;
	return 0;
}
