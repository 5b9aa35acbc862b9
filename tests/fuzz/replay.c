/*
 * replay.c - run every file of a fuzz corpus through the fuzz target's
 * entry point, one TAP test per file.  Each file runs in a child process
 * whose end is the target's verdict: exit 0 when the entry point returned 0
 * and nothing aborted.  A decoder that crashes, reads out of bounds (under
 * the sanitizers) or breaks a codec invariant (the targets abort()) fails
 * that file's test, and the next files still run.  A last test runs them
 * all in this process, as libFuzzer does: state carried from one input to
 * the next, and LeakSanitizer's check at exit.
 *
 *	replay [DIR]	default: $top_srcdir/tests/fuzz/corpus
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "harness.h"
#include "tap.h"

#define REPLAY_MAX_FILE	(8u << 20)

static int
replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The target on one input, in a child: its exit status is the verdict. */
static int
replay_run(const uint8_t *buf, size_t n, char *why, size_t whysize)
{
	pid_t pid;
	int status, rc;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		snprintf(why, whysize, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* _exit(): leaks are the last test's (one LeakSanitizer
		 * pass, not one per file). */
		rc = LLVMFuzzerTestOneInput(buf, n);
		_exit(rc == 0 ? 0 : 3);
	}
	if (waitpid(pid, &status, 0) != pid) {
		snprintf(why, whysize, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, whysize, "the target died of signal %d (an "
		    "invariant broke or a sanitizer reported)",
		    WTERMSIG(status));
		return -1;
	}
	if (WEXITSTATUS(status) == 3) {
		snprintf(why, whysize, "the target returned nonzero");
		return -1;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(why, whysize, "the target exited %d (a sanitizer "
		    "report?)", WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

/* inproc: call the target here and return its verdict, no child. */
static int
replay_file(const char *path, size_t *size, int inproc, char *why,
    size_t whysize)
{
	FILE *f;
	uint8_t *buf;
	struct stat st;
	size_t n;
	int rc;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(why, whysize, "open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == -1 || st.st_size < 0 ||
	    (size_t)st.st_size > REPLAY_MAX_FILE) {
		snprintf(why, whysize, "not a file of at most %u bytes",
		    REPLAY_MAX_FILE);
		fclose(f);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(why, whysize, "out of memory");
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		snprintf(why, whysize, "short read");
		free(buf);
		return -1;
	}
	*size = n;
	if (inproc) {
		rc = LLVMFuzzerTestOneInput(buf, n) == 0 ? 0 : -1;
		if (rc != 0)
			snprintf(why, whysize, "the target returned nonzero");
	} else
		rc = replay_run(buf, n, why, whysize);
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	char dir[4096], path[8192], why[256], **names = NULL;
	const char *top;
	struct dirent *de;
	size_t n = 0, cap = 0, i, size, bad;
	DIR *d;
	int rc;

	th_deadline(300);	/* a bound for a loaded machine */
	if (argc > 1)
		snprintf(dir, sizeof dir, "%s", argv[1]);
	else {
		top = getenv("top_srcdir");
		snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus",
		    top != NULL ? top : "../..");
	}
	if ((d = opendir(dir)) == NULL)
		tap_plan_skip("no corpus at %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((names = realloc(names, cap * sizeof *names)) ==
			    NULL)
				return 99;
		}
		if ((names[n++] = strdup(de->d_name)) == NULL)
			return 99;
	}
	closedir(d);
	if (n == 0)
		tap_plan_skip("corpus %s is empty", dir);
	qsort(names, n, sizeof *names, replay_cmp);
	tap_plan((int)n + 1);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		size = 0;
		why[0] = '\0';
		rc = replay_file(path, &size, 0, why, sizeof why);
		ok(rc == 0, "%s (%zu bytes): the target accepts it without a "
		    "fault%s%s", names[i], size, rc ? ": " : "", why);
	}
	/* A fault here ends the binary: the harness reports that. */
	bad = 0;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		why[0] = '\0';
		if (replay_file(path, &size, 1, why, sizeof why) != 0) {
			tap_diag("%s: %s", names[i], why);
			bad++;
		}
	}
	ok(bad == 0, "all %zu files in one process, one after another as "
	    "libFuzzer runs them (%zu failed)", n, bad);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return tap_done();
}
