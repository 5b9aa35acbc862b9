/*
 * log.c - the OpenBSD daemons' logging API, writing to stderr.  Under
 * systemd (stderr is the journal stream) every line carries a <N> priority
 * prefix that journald turns into the entry's priority.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fastbootd.h"

static int log_debug_on;
static int log_quiet;		/* only fatal messages (fuzz targets) */
static int log_journal;

/* Is stderr the stream $JOURNAL_STREAM names? */
static int
log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* debug: 1 debug messages too, 0 not, -1 nothing but fatal ones. */
void
log_init(int debug, int journal)
{
	log_quiet = debug < 0;
	log_debug_on = debug > 0;
	log_journal = journal < 0 ? log_stderr_is_journal() : journal;
}

static void __attribute__((format(printf, 3, 0)))
log_vwrite(int pri, const char *emsg, const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	if (log_quiet && pri > LOG_CRIT)
		return;
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	if (n < 0)
		return;
	if (log_journal) {
		if (emsg != NULL)
			fprintf(stderr, "<%d>%s: %s\n", pri, msg, emsg);
		else
			fprintf(stderr, "<%d>%s\n", pri, msg);
	} else {
		if (emsg != NULL)
			fprintf(stderr, "fastbootd: %s: %s\n", msg, emsg);
		else
			fprintf(stderr, "fastbootd: %s\n", msg);
	}
	fflush(stderr);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * Client faults are logged at most 20 times a second, so that a hostile
 * client cannot flood the journal; returns 1 when this one may be logged.
 */
int
log_ratelimit(void)
{
	static time_t window;
	static unsigned int count, dropped;
	time_t now = time(NULL);

	if (now != window) {
		if (dropped > 0)
			log_warnx("%u client fault messages suppressed",
			    dropped);
		window = now;
		count = dropped = 0;
	}
	if (++count > 20) {
		dropped++;
		return 0;
	}
	return 1;
}
