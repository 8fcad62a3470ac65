/*
 * nomem.c: the failing allocator of nomem.h: -Wl,--wrap=malloc makes the
 * program's calls of malloc() calls of __wrap_malloc() below, which
 * reaches libc's as __real_malloc().  strdup() and strndup() are wrapped
 * over __real_malloc, so that a suite not wrapping them links without
 * __real_strdup.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "nomem.h"

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__real_reallocarray(void *, size_t, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);
void	*__wrap_reallocarray(void *, size_t, size_t);
char	*__wrap_strdup(const char *);
char	*__wrap_strndup(const char *, size_t);

/* Allocations to let through before failing one; -1: disarmed.  A
 * malloc wrapper has nowhere else to keep its state. */
static long	nomem_left = -1;
static bool	nomem_hit, nomem_paused;

void
nomem_arm(long n)
{
	nomem_hit = false;
	nomem_paused = false;
	nomem_left = n;
}

bool
nomem_disarm(void)
{
	nomem_left = -1;
	nomem_paused = false;
	return nomem_hit;
}

void
nomem_pause(bool paused)
{
	nomem_paused = paused;
}

bool
nomem_fails(void)
{
	if (nomem_left < 0 || nomem_paused)
		return false;
	if (nomem_left-- > 0)
		return false;
	nomem_hit = true;
	errno = ENOMEM;			/* as libc's would */
	return true;
}

void *
__wrap_malloc(size_t n)
{
	return nomem_fails() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return nomem_fails() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return nomem_fails() ? NULL : __real_realloc(p, n);
}

void *
__wrap_reallocarray(void *p, size_t n, size_t size)
{
	return nomem_fails() ? NULL : __real_reallocarray(p, n, size);
}

char *
__wrap_strdup(const char *s)
{
	return __wrap_strndup(s, strlen(s));
}

char *
__wrap_strndup(const char *s, size_t max)
{
	size_t	 len = strnlen(s, max);
	char	*d;

	if (nomem_fails() || (d = __real_malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}
