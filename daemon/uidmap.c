/*
 * uidmap.c - what each uid holds of the daemon's finite resources
 * (connections, jobs, descriptors, buffered bytes, control requests) and
 * the share rule that keeps one user, or a few, from taking them all.
 *
 * The share rule (doc/limits.md): of a resource with cap C, every uid may
 * hold up to C/64 whatever the others hold ("guaranteed"); beyond that it
 * competes for the rest, less a reserve of C/8 kept for uids still under
 * their guaranteed part.  k hostile uids together hold at most C - C/8, and
 * a newcomer always finds at least C/8 free.  Caps under 64 keep no reserve
 * (too few to share: plain first come).
 *
 * Entries are kept while the daemon runs (counters for fastbootctl); they
 * are small, and only root can make new uids.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fastboot/fastboot.h"
#include "fastbootd.h"

static struct uidmap **uidmap_hash;
static size_t uidmap_nbuckets;	/* power of two */
static size_t uidmap_len;

static size_t
uidmap_bucket(uid_t uid, size_t n)
{
	uint32_t h = (uint32_t)uid * 2654435761u;

	return (h ^ (h >> 16)) & (n - 1);
}

struct uidmap *
uidmap_find(uid_t uid)
{
	struct uidmap *e;

	if (uidmap_nbuckets == 0)
		return NULL;
	for (e = uidmap_hash[uidmap_bucket(uid, uidmap_nbuckets)]; e != NULL;
	    e = e->next)
		if (e->uid == uid)
			return e;
	return NULL;
}

static int
uidmap_grow(void)
{
	size_t ns = uidmap_nbuckets ? uidmap_nbuckets * 2 : 64, i, b;
	struct uidmap **nh, *e, *next;

	if ((nh = calloc(ns, sizeof *nh)) == NULL)
		return -1;
	for (i = 0; i < uidmap_nbuckets; i++) {
		for (e = uidmap_hash[i]; e != NULL; e = next) {
			next = e->next;
			b = uidmap_bucket(e->uid, ns);
			e->next = nh[b];
			nh[b] = e;
		}
	}
	free(uidmap_hash);
	uidmap_hash = nh;
	uidmap_nbuckets = ns;
	return 0;
}

struct uidmap *
uidmap_get(uid_t uid)
{
	struct uidmap *e;
	size_t b;

	if ((e = uidmap_find(uid)) != NULL)
		return e;
	if (uidmap_len >= uidmap_nbuckets && uidmap_grow() == -1)
		return NULL;
	if ((e = calloc(1, sizeof *e)) == NULL)
		return NULL;
	e->uid = uid;
	b = uidmap_bucket(uid, uidmap_nbuckets);
	e->next = uidmap_hash[b];
	uidmap_hash[b] = e;
	uidmap_len++;
	return e;
}

/* May a uid holding have of a resource take n more, the daemon holding
 * total of cap in all? */
int
uidmap_share(uint64_t have, uint64_t n, uint64_t total, uint64_t cap)
{
	uint64_t reserve = cap >= 64 ? cap / 8 : 0;

	if (total + n > cap)
		return 0;
	if (have + n <= cap / 64)
		return 1;
	return total + n <= cap - reserve;
}

static uint32_t
uidmap_cap(enum uidmap_kind kind)
{
	return kind == UIDMAP_CONN ? dconf.max_conns_per_uid :
	    kind == UIDMAP_JOB ? dconf.max_jobs_per_uid : UINT32_MAX;
}

/* Count one more of kind for uid; -1 at its cap (or out of memory). */
int
uidmap_add(uid_t uid, enum uidmap_kind kind)
{
	struct uidmap *e;

	if ((e = uidmap_get(uid)) == NULL ||
	    e->count[kind] >= uidmap_cap(kind))
		return -1;
	e->count[kind]++;
	return 0;
}

void
uidmap_del(uid_t uid, enum uidmap_kind kind)
{
	struct uidmap *e;

	if ((e = uidmap_find(uid)) == NULL || e->count[kind] == 0)
		fatalx("uidmap: uid %u has no %s to give back", (unsigned)uid,
		    kind == UIDMAP_CONN ? "connections" : kind == UIDMAP_JOB ?
		    "jobs" : "descriptors");
	e->count[kind]--;
}

/*
 * n more descriptors for uid (a connection: 1, a job's table: 2), under
 * its share of dconf.max_fds.  0, or FB_E_LIMIT with the reason in err
 * (WIRE_TEXT_MAX bytes).
 */
int
uidmap_fds(uid_t uid, uint32_t n, char *err)
{
	struct uidmap *e;

	if ((e = uidmap_get(uid)) == NULL) {
		snprintf(err, WIRE_TEXT_MAX, "fastbootd is out of memory");
		return FB_E_NOMEM;
	}
	if (dconf.max_fds != 0 && !uidmap_share(e->count[UIDMAP_FD], n,
	    dstats.fds, dconf.max_fds)) {
		snprintf(err, WIRE_TEXT_MAX, "fastbootd is short of file "
		    "descriptors: %u of %u in use, uid %u holds %u (the last "
		    "%u are kept for users holding fewer than %u)", dstats.fds,
		    dconf.max_fds, (unsigned)uid, e->count[UIDMAP_FD],
		    dconf.max_fds >= 64 ? dconf.max_fds / 8 : 0,
		    dconf.max_fds / 64);
		return FB_E_LIMIT;
	}
	e->count[UIDMAP_FD] += n;
	dstats.fds += n;
	return 0;
}

void
uidmap_fds_del(uid_t uid, uint32_t n)
{
	struct uidmap *e = uidmap_find(uid);

	if (e == NULL || e->count[UIDMAP_FD] < n || dstats.fds < n)
		fatalx("uidmap: uid %u gives back %u descriptors it does not "
		    "hold", (unsigned)uid, n);
	e->count[UIDMAP_FD] -= n;
	dstats.fds -= n;
}

/*
 * May n more bytes be buffered for uid?  Its share of --max-memory, and
 * never more than an eighth of it.  0, or FB_E_LIMIT with err set.
 */
int
uidmap_bytes(uid_t uid, uint64_t n, char *err)
{
	struct uidmap *e = uidmap_find(uid);
	uint64_t have = e != NULL ? e->bytes : 0;

	if (have + n <= dconf.max_memory / 8 &&
	    uidmap_share(have, n, dstats.buffered, dconf.max_memory))
		return 0;
	snprintf(err, WIRE_TEXT_MAX, "uid %u has %llu bytes buffered in "
	    "fastbootd and %llu more do not fit its share of --max-memory "
	    "%llu (%llu held for all users)", (unsigned)uid,
	    (unsigned long long)have, (unsigned long long)n,
	    (unsigned long long)dconf.max_memory,
	    (unsigned long long)dstats.buffered);
	return FB_E_LIMIT;
}

/*
 * One control request of uid: a token bucket of dconf.ctl_rate a second
 * with as many in a burst, kept as the time the bucket would be full
 * again.  The request is charged; the return is how long the connection
 * should now wait before its next one (0: none).  The debt is capped, so a
 * flood costs its uid at most a second of delay once it stops.
 */
int
uidmap_ctl_token(uid_t uid)
{
	struct uidmap *e;
	uint64_t now = clock_mono_ns(), interval, burst, tat;

	if (dconf.ctl_rate == 0 || (e = uidmap_get(uid)) == NULL)
		return 0;
	interval = 1000000000ull / dconf.ctl_rate;
	burst = interval * dconf.ctl_rate;
	tat = (e->tokens_ns > now ? e->tokens_ns : now) + interval;
	if (tat > now + burst + 1000000000ull)
		tat = now + burst + 1000000000ull;
	e->tokens_ns = tat;
	if (tat - now <= burst)
		return 0;
	return (int)((tat - now - burst) / 1000000) + 1;
}
