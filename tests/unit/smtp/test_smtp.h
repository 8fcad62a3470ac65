/*
 * test_smtp.h: the parts of the src/smtp suite, one per source file.
 */
#ifndef TIMBRE_TESTS_UNIT_SMTP_H
#define TIMBRE_TESTS_UNIT_SMTP_H

#include <check.h>

TCase	*parser_tests(void);
TCase	*data_tests(void);
TCase	*reply_tests(void);
TCase	*server_tests(void);
TCase	*client_tests(void);

#endif
