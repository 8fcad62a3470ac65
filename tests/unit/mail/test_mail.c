/*
 * test_mail.c: the "mail" suite, gathered from test_hdrs.c, test_reader.c,
 * test_addr.c and test_nomem.c.
 */
#include "test_mail.h"
#include "../unit.h"

Suite *
unit_suite(void)
{
	Suite	*s;

	s = suite_create("mail");
	suite_add_tcase(s, mail_hdrs_tcase());
	suite_add_tcase(s, mail_reader_tcase());
	suite_add_tcase(s, mail_addr_tcase());
	suite_add_tcase(s, mail_nomem_tcase());
	return s;
}
