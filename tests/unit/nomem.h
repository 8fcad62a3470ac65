/*
 * nomem.h: failing the Nth allocation, for the unit suites that prove
 * every allocation failure is reported without leaks (docs/style.md section
 * 9).  A suite adds tests/unit/nomem.c to its sources and links with
 *
 *	-Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
 *	-Wl,--wrap=reallocarray
 *
 * and, if it wants strdup() and strndup() to fail too, -Wl,--wrap=strdup
 * -Wl,--wrap=strndup.  The linker then sends the calls that the
 * program's own objects and static archives make (the test files,
 * src/libtimbre.a, Check's libcheck_pic.a) to the wrappers of nomem.c.
 * It rewrites nothing inside a shared library: what libc allocates for
 * itself (fmemopen, the strdup of a suite not wrapping it), libldns.so and
 * libcrypto.so allocate as usual and never fail here.
 *
 * Armed with n, the wrappers let n allocations through and fail the
 * next one, then let everything through again.  Check itself allocates
 * in every ck_assert (it reports each passing line to the parent
 * process), so no ck_assert may run while armed.  Each test runs in a
 * process of its own (Check forks), so the state is per test.
 */
#ifndef TIMBRE_TESTS_UNIT_NOMEM_H
#define TIMBRE_TESTS_UNIT_NOMEM_H

#include <stdbool.h>

/* Lets n allocations through and fails the next (n >= 0). */
void	nomem_arm(long n);
/* Stops failing; true if the armed failure happened. */
bool	nomem_disarm(void);
/* While paused, allocations neither count nor fail (the test's own). */
void	nomem_pause(bool);
/* Counts one allocation: true if it is the one to fail.  For a suite
 * that wraps another allocating function (fmemopen) itself. */
bool	nomem_fails(void);

#endif
