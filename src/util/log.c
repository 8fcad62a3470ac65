/*
 * log.c: stderr or syslog output with a level threshold.
 *
 * Any thread may log (timbre-primaryd's workers, the daemons' helper
 * threads), and a SIGHUP changes the threshold while they do: the level
 * is atomic, and a reload sets it with log_set_level() rather than
 * log_init(), which is for the start, before the threads.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "util/log.h"

static struct {
	const char	*ident;
	int		 foreground;
	atomic_int	 level;		/* an enum log_level */
} log_state = { "timbre", 1, LOG_LEVEL_INFO };

void
log_init(const char *ident, int foreground, enum log_level level)
{
	log_state.ident = ident;
	log_state.foreground = foreground;
	log_set_level(level);
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_state.level, (int)level,
	    memory_order_relaxed);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	static const char *const names[] = { "error", "warn", "info",
	    "debug" };
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

bool
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&log_state.level,
	    memory_order_relaxed);
}

static void
log_vemit(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };

	if (!log_enabled(level))
		return;
	if (log_state.foreground) {
		/* One line at a time, whatever thread writes. */
		flockfile(stderr);
		fprintf(stderr, "%s: ", log_state.ident);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	} else
		vsyslog(prio[level], fmt, ap);
}

#define LOG_FN(name, level)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	ap;							\
									\
	va_start(ap, fmt);						\
	log_vemit(level, fmt, ap);					\
	va_end(ap);							\
}
LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
