/*
 * uidmap.c - connections per uid, so that one user cannot take every
 * connection slot of a shared daemon.
 */
#include <stdlib.h>

#include "fastbootd.h"

struct uidmap_entry {
	uid_t uid;
	uint32_t count;
};

static struct uidmap_entry *uidmap;
static size_t uidmap_len, uidmap_size;

int
uidmap_add(uid_t uid)
{
	size_t i;

	for (i = 0; i < uidmap_len; i++) {
		if (uidmap[i].uid == uid) {
			if (uidmap[i].count >= dconf.max_conns_per_uid)
				return -1;
			uidmap[i].count++;
			return 0;
		}
	}
	if (uidmap_len == uidmap_size) {
		size_t ns = uidmap_size ? uidmap_size * 2 : 16;
		struct uidmap_entry *n = reallocarray(uidmap, ns, sizeof *n);

		if (n == NULL)
			return -1;
		uidmap = n;
		uidmap_size = ns;
	}
	uidmap[uidmap_len].uid = uid;
	uidmap[uidmap_len].count = 1;
	uidmap_len++;
	return 0;
}

void
uidmap_del(uid_t uid)
{
	size_t i;

	for (i = 0; i < uidmap_len; i++) {
		if (uidmap[i].uid != uid)
			continue;
		if (--uidmap[i].count == 0)
			uidmap[i] = uidmap[--uidmap_len];
		return;
	}
	fatalx("uidmap: uid %u has no connections", (unsigned)uid);
}
