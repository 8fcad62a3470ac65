/* test_deliver.h: the cases of check_deliver, one function per file. */
#ifndef TIMBRE_TESTS_UNIT_LISTD_TEST_DELIVER_H
#define TIMBRE_TESTS_UNIT_LISTD_TEST_DELIVER_H

#include <check.h>

TCase	*test_dsn_tcase(void);
TCase	*test_sts_tcase(void);

#endif
