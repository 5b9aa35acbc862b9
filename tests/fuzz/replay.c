/*
 * replay.c - run every file of a fuzz corpus through the fuzz target's
 * entry point, one TAP test per file.  A decoder that crashes, reads out of
 * bounds (under the sanitizers) or breaks a codec invariant fails the test.
 *
 *	replay [DIR]	default: $top_srcdir/tests/fuzz/corpus
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "harness.h"
#include "tap.h"

#define REPLAY_MAX_FILE	(8u << 20)

static int
replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_file(const char *path, size_t *size)
{
	FILE *f;
	uint8_t *buf;
	struct stat st;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fstat(fileno(f), &st) == -1 || st.st_size < 0 ||
	    (size_t)st.st_size > REPLAY_MAX_FILE) {
		fclose(f);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		free(buf);
		return -1;
	}
	*size = n;
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	char dir[4096], path[8192], **names = NULL;
	const char *top;
	struct dirent *de;
	size_t n = 0, cap = 0, i, size;
	DIR *d;
	int rc;

	th_deadline(120);
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
	tap_plan((int)n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		size = 0;
		rc = replay_file(path, &size);
		ok(rc == 0, "%s (%zu bytes)", names[i], size);
		free(names[i]);
	}
	free(names);
	return tap_done();
}
