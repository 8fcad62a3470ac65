/*
 * unit.h: what every Check suite shares.  Each tests/unit/<module>/ program
 * defines unit_suite() and gets this main(), which runs it in Check's
 * normal verbosity so that the summary line reaches the test log.
 */
#ifndef TIMBRE_TESTS_UNIT_H
#define TIMBRE_TESTS_UNIT_H

#include <check.h>
#include <stdlib.h>

Suite	*unit_suite(void);

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(unit_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
