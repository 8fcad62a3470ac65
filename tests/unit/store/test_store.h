/*
 * test_store.h: what the files of the store suite share: a fresh
 * directory per test for its databases (in /dev/shm when there is one:
 * synchronous=FULL makes every commit an fsync), and raw sqlite3 access
 * for what the store itself would never do (old, foreign and newer
 * databases, a writer holding the lock).
 */
#ifndef TIMBRE_TESTS_UNIT_STORE_TEST_STORE_H
#define TIMBRE_TESTS_UNIT_STORE_TEST_STORE_H

#include <check.h>
#include <sqlite3.h>

#include "store/store.h"

/* Makes the directory; its path + "/" + name, valid for the next three
 * calls. */
void		 ts_init(void);
const char	*ts_path(const char *name);
void		 ts_fini(void);
/* A raw connection to path (made if missing); fails the test if not. */
sqlite3		*ts_raw(const char *path);
/* Runs sql on a raw connection; fails the test if it fails. */
void		 ts_raw_exec(sqlite3 *, const char *sql);
long long	 ts_raw_int(sqlite3 *, const char *sql);
/* A new database at ts_path(name) with lists dev, dev-team and a.b_c at
 * example.org, moderator mod@example.org of dev, subscribers of dev
 * Bob@Example.ORG and carol@example.org, and one bounce of carol's. */
struct store	*ts_fixture(const char *name);

TCase	*tc_schema(void);
TCase	*tc_names(void);
TCase	*tc_lists(void);
TCase	*tc_route(void);
TCase	*tc_concurrent(void);
TCase	*tc_nomem(void);
TCase	*tc_admin(void);
TCase	*tc_digest(void);

#endif
