/*
 * test_reply.c: the reply parser (src/smtp/reply.c).
 */
#include <string.h>

#include "smtp/smtp.h"
#include "util/err.h"
#include "test_smtp.h"

/* Collects whole replies from in; returns how many, or -1 on error. */
static int
rp_collect(const char *in, size_t cut, struct smtp_reply *out, int max)
{
	struct smtp_reply_parser	*rp;
	struct smtp_reply_line		 l;
	struct err			 err;
	enum smtp_reply_parse		 r;
	int				 n = 0, pass;
	bool				 open = false;

	rp = smtp_reply_parser_new(SMTP_REPLY_LINE_MAX);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			smtp_reply_parser_feed(rp, in, cut);
		else
			smtp_reply_parser_feed(rp, in + cut, strlen(in) - cut);
		while ((r = smtp_reply_parser_next(rp, &l, &err)) ==
		    SMTP_REPLY_LINE) {
			ck_assert_int_lt(n, max);
			smtp_reply_add_line(&out[n], !open, &l);
			open = !l.last;
			if (l.last)
				n++;
		}
		if (r == SMTP_REPLY_ERROR) {
			smtp_reply_parser_free(rp);
			return -1;
		}
	}
	smtp_reply_parser_free(rp);
	return n;
}

START_TEST(test_reply_good)
{
	static const char	 in[] = "220 mx ESMTP\r\n"
	    "250-mx Hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"
	    "550-5.1.1 No such\r\n550 5.1.1 user here\r\n"
	    "451 4.3.0\r\n250\n354 go ahead\r\n"
	    "452 5.5.3 class does not match\r\n";
	struct smtp_reply	 r[8];
	size_t			 cut;

	for (cut = 0; cut <= strlen(in); cut++) {
		ck_assert_int_eq(rp_collect(in, cut, r, 8), 7);
		ck_assert_int_eq(r[0].code, 220);
		ck_assert_str_eq(r[0].text, "mx ESMTP");
		ck_assert_str_eq(r[0].enhanced, "");
		ck_assert_int_eq(r[1].code, 250);
		ck_assert_str_eq(r[1].text, "mx Hello\nPIPELINING\nSIZE 1000");
		ck_assert_int_eq(r[2].code, 550);
		ck_assert_str_eq(r[2].enhanced, "5.1.1");
		ck_assert_str_eq(r[2].text, "No such\nuser here");
		ck_assert_str_eq(r[3].enhanced, "4.3.0");
		ck_assert_str_eq(r[3].text, "");
		ck_assert_int_eq(r[4].code, 250);
		ck_assert_int_eq(r[5].code, 354);
		ck_assert_str_eq(r[6].enhanced, "");
		ck_assert_str_eq(r[6].text, "5.5.3 class does not match");
	}
}
END_TEST

START_TEST(test_reply_bad)
{
	static const char	*bad[] = {
		"25\r\n", "abc\r\n", "250x\r\n", "199 x\r\n", "260 x\r\n",
		"250-a\r\n251 b\r\n", "2500 x\r\n",
	};
	struct smtp_reply	 r[4];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(rp_collect(bad[i], 0, r, 4), -1);
}
END_TEST

START_TEST(test_reply_long)
{
	char			 in[SMTP_REPLY_LINE_MAX * 2];
	struct smtp_reply	 r[2];

	memset(in, 'x', sizeof(in));
	memcpy(in, "250 ", 4);
	memcpy(in + sizeof(in) - 3, "\r\n", 3);
	ck_assert_int_eq(rp_collect(in, 0, r, 2), -1);
	/* The text kept is cut, the reply is whole. */
	memcpy(in + SMTP_REPLY_LINE_MAX - 3, "\r\n", 3);
	ck_assert_int_eq(rp_collect(in, 0, r, 2), 1);
	ck_assert_uint_eq(strlen(r[0].text), SMTP_REPLY_TEXT_MAX - 1);
}
END_TEST

TCase *
reply_tests(void)
{
	TCase	*tc;

	tc = tcase_create("reply");
	tcase_add_test(tc, test_reply_good);
	tcase_add_test(tc, test_reply_bad);
	tcase_add_test(tc, test_reply_long);
	return tc;
}
