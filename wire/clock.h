/*
 * clock.h - the tree's one clock: nanoseconds of CLOCK_MONOTONIC (deadlines,
 * durations) and of CLOCK_REALTIME (times shown to people).  Header only, so
 * that the daemon, the library, fastbootctl, the benchmark and the tests read
 * time the same way without linking anything more.
 */
#ifndef FB_WIRE_CLOCK_H
#define FB_WIRE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define clock_mono_ns()	clock_ns(CLOCK_MONOTONIC)
#define clock_wall_ns()	clock_ns(CLOCK_REALTIME)

#endif /* FB_WIRE_CLOCK_H */
