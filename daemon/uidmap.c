/*
 * uidmap.c - connections and jobs per uid, so that one user cannot take
 * every connection or job slot of a shared daemon.
 */
#include <stdlib.h>

#include "fastbootd.h"

struct uidmap_entry {
	uid_t uid;
	uint32_t count[UIDMAP_NKINDS];
};

static struct uidmap_entry *uidmap;
static size_t uidmap_len, uidmap_size;

static uint32_t
uidmap_cap(enum uidmap_kind kind)
{
	return kind == UIDMAP_CONN ? dconf.max_conns_per_uid :
	    dconf.max_jobs_per_uid;
}

/* Count one more of kind for uid; -1 at its cap (or out of memory). */
int
uidmap_add(uid_t uid, enum uidmap_kind kind)
{
	size_t i;

	for (i = 0; i < uidmap_len; i++) {
		if (uidmap[i].uid == uid) {
			if (uidmap[i].count[kind] >= uidmap_cap(kind))
				return -1;
			uidmap[i].count[kind]++;
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
	uidmap[uidmap_len].count[UIDMAP_CONN] = 0;
	uidmap[uidmap_len].count[UIDMAP_JOB] = 0;
	uidmap[uidmap_len].count[kind] = 1;
	uidmap_len++;
	return 0;
}

void
uidmap_del(uid_t uid, enum uidmap_kind kind)
{
	size_t i;

	for (i = 0; i < uidmap_len; i++) {
		if (uidmap[i].uid != uid)
			continue;
		if (uidmap[i].count[kind] == 0)
			break;
		uidmap[i].count[kind]--;
		if (uidmap[i].count[UIDMAP_CONN] == 0 &&
		    uidmap[i].count[UIDMAP_JOB] == 0)
			uidmap[i] = uidmap[--uidmap_len];
		return;
	}
	fatalx("uidmap: uid %u has no %s to give back", (unsigned)uid,
	    kind == UIDMAP_CONN ? "connections" : "jobs");
}
