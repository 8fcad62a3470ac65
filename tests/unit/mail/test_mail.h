/*
 * test_mail.h: the parts of the "mail" suite, one per file of src/mail.
 */
#ifndef TIMBRE_TESTS_UNIT_MAIL_TEST_MAIL_H
#define TIMBRE_TESTS_UNIT_MAIL_TEST_MAIL_H

#include <check.h>

TCase	*mail_hdrs_tcase(void);
TCase	*mail_reader_tcase(void);
TCase	*mail_addr_tcase(void);
TCase	*mail_nomem_tcase(void);

#endif
