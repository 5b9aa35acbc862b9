/*
 * util.c - descriptors and rank lists (clocks: wire/clock.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

#include "fastbootd.h"

int
util_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * Write the sorted ranks v[0..n) as "0-3,5,7-9" into buf, ending with
 * ",..." if it does not fit.
 */
void
util_ranges(char *buf, size_t size, const uint32_t *v, size_t n)
{
	size_t i = 0, used = 0;
	int w;

	if (size == 0)
		return;
	buf[0] = '\0';
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		if (j == i)
			w = snprintf(buf + used, size - used, "%s%u",
			    used ? "," : "", v[i]);
		else
			w = snprintf(buf + used, size - used, "%s%u-%u",
			    used ? "," : "", v[i], v[j]);
		if (w < 0 || (size_t)w >= size - used) {
			if (size >= 5)
				snprintf(buf + (used < size - 4 ? used :
				    size - 5), 5, ",...");
			return;
		}
		used += (size_t)w;
		i = j + 1;
	}
}
