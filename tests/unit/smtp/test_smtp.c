/*
 * test_smtp.c: the Check suite of src/smtp.
 */
#include "test_smtp.h"
#include "../unit.h"

Suite *
unit_suite(void)
{
	Suite	*s;

	s = suite_create("smtp");
	suite_add_tcase(s, parser_tests());
	suite_add_tcase(s, data_tests());
	suite_add_tcase(s, reply_tests());
	suite_add_tcase(s, server_tests());
	suite_add_tcase(s, client_tests());
	return s;
}
