/*
 * log.h: logging for daemons and tools (never used by src/ cores).
 *
 * In the foreground, lines go to stderr; otherwise to syslog (journald).
 * Each function is printf-checked and appends nothing of its own.
 */
#ifndef TIMBRE_UTIL_LOG_H
#define TIMBRE_UTIL_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* At the start, before any thread. */
void	log_init(const char *ident, int foreground, enum log_level);
/* The threshold, from any thread (a SIGHUP's reload). */
void	log_set_level(enum log_level);
/* Parses "error|warn|info|debug"; -1 if none of them. */
int	log_level_parse(const char *, enum log_level *);
/* Would a line at this level be written?  For callers whose arguments
 * cost something to make. */
bool	log_enabled(enum log_level);
void	log_error(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(printf, 1, 2)));
/* Logs at error level and exits with status 1. */
void	fatal(const char *, ...) __attribute__((__format__(printf, 1, 2),
	    __noreturn__));

#endif
