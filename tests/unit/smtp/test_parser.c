/*
 * test_parser.c: the command parser (src/smtp/parser.c).  Every good
 * case is parsed whole and cut at every byte; every bad one must give
 * its error code and reply, and leave the parser ready for the next line.
 */
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "util/err.h"
#include "test_smtp.h"

static const struct {
	const char	*in;
	enum smtp_verb	 verb;
	const char	*arg;		/* or the path */
	bool		 null_path;
	uint64_t	 size;
	enum smtp_body	 body;
	bool		 smtputf8;
	const char	*unknown;
	bool		 utf8;
} cases[] = {
	{ "EHLO mx.example.org\r\n", SMTP_EHLO, "mx.example.org" },
	{ "ehlo mx.example.org.\r\n", SMTP_EHLO, "mx.example.org." },
	{ "EHLO [192.0.2.1]\r\n", SMTP_EHLO, "[192.0.2.1]" },
	{ "EHLO [IPv6:2001:db8::1]\r\n", SMTP_EHLO, "[IPv6:2001:db8::1]" },
	{ "HELO  host_1  \r\n", SMTP_HELO, "host_1" },
	{ "MAIL FROM:<a@example.org>\r\n", SMTP_MAIL, "a@example.org" },
	{ "mail from: <a@example.org>\r\n", SMTP_MAIL, "a@example.org" },
	{ "MAIL FROM:<>\r\n", SMTP_MAIL, "", true },
	{ "MAIL FROM:<@a.example,@b.example:u@c.example>\r\n", SMTP_MAIL,
	  "u@c.example" },
	{ "MAIL FROM:<\"john doe\"@example.org>\r\n", SMTP_MAIL,
	  "\"john doe\"@example.org" },
	{ "MAIL FROM:<\"a\\\"b\"@example.org>\r\n", SMTP_MAIL,
	  "\"a\\\"b\"@example.org" },
	{ "MAIL FROM:<u@[192.0.2.1]>\r\n", SMTP_MAIL, "u@[192.0.2.1]" },
	{ "MAIL FROM:<a.b+c@example.org> SIZE=1000\r\n", SMTP_MAIL,
	  "a.b+c@example.org", false, 1000 },
	{ "MAIL FROM:<a@x.org> SIZE=2147483648 BODY=8BITMIME\r\n", SMTP_MAIL,
	  "a@x.org", false, 2147483648ULL, SMTP_BODY_8BITMIME },
	{ "MAIL FROM:<a@x.org> SIZE=99999999999999999999\r\n", SMTP_MAIL,
	  "a@x.org", false, UINT64_MAX },
	{ "MAIL FROM:<a@x.org> body=7bit\r\n", SMTP_MAIL, "a@x.org", false,
	  0, SMTP_BODY_7BIT },
	{ "MAIL FROM:<j\xc3\xbcrgen@b\xc3\xbc\x63her.example> SMTPUTF8\r\n",
	  SMTP_MAIL, "j\xc3\xbcrgen@b\xc3\xbc\x63her.example", false, 0, 0,
	  true, NULL, true },
	{ "MAIL FROM:<a@x.org> AUTH=<> X-FOO\r\n", SMTP_MAIL, "a@x.org",
	  false, 0, 0, false, "AUTH" },
	{ "MAIL FROM:<a@x.org> BODY=BINARYMIME\r\n", SMTP_MAIL, "a@x.org",
	  false, 0, 0, false, "BODY" },
	{ "RCPT TO:<b@example.org>\r\n", SMTP_RCPT, "b@example.org" },
	{ "RCPT TO:<Postmaster>\r\n", SMTP_RCPT, "Postmaster" },
	{ "RCPT TO:<b@example.org> NOTIFY=NEVER\r\n", SMTP_RCPT,
	  "b@example.org", false, 0, 0, false, "NOTIFY" },
	{ "RCPT TO:<b@example.org> SIZE=10\r\n", SMTP_RCPT, "b@example.org",
	  false, 0, 0, false, "SIZE" },
	{ "DATA\r\n", SMTP_DATA, "" },
	{ "RSET\r\n", SMTP_RSET, "" },
	{ "NOOP\r\n", SMTP_NOOP, "" },
	{ "NOOP anything at all\r\n", SMTP_NOOP, "anything at all" },
	{ "QUIT\r\n", SMTP_QUIT, "" },
	{ "quit \r\n", SMTP_QUIT, "" },
	{ "VRFY someone\r\n", SMTP_VRFY, "someone" },
	{ "HELP\r\n", SMTP_HELP, "" },
	{ "HELP MAIL\r\n", SMTP_HELP, "MAIL" },
	{ "STARTTLS\r\n", SMTP_STARTTLS, "" },
	{ "BDAT 100 LAST\r\n", SMTP_BDAT, "", false, 100 },
};

static const struct {
	const char	*in;
	int		 code;
	int		 reply;
	enum smtp_verb	 verb;
} bad[] = {
	{ "FOO\r\n", SMTP_E_UNKNOWN, 500, SMTP_VERB_NONE },
	{ "\r\n", SMTP_E_UNKNOWN, 500, SMTP_VERB_NONE },
	{ "MAILFROM:<a@b>\r\n", SMTP_E_UNKNOWN, 500, SMTP_VERB_NONE },
	{ "NOOP\n", SMTP_E_BARE_LF, 500, SMTP_VERB_NONE },
	{ "NOOP\rX\r\n", SMTP_E_BAD_CHAR, 500, SMTP_VERB_NONE },
	{ "HELO h\xc3\xa9\r\n", SMTP_E_BAD_CHAR, 500, SMTP_HELO },
	{ "MAIL FROM:<\xc3\x28@x>\r\n", SMTP_E_BAD_CHAR, 500, SMTP_MAIL },
	{ "MAIL FROM:<\xed\xa0\x80@x>\r\n", SMTP_E_BAD_CHAR, 500, SMTP_MAIL },
	{ "MAIL FROM:<\xc0\xaf@x>\r\n", SMTP_E_BAD_CHAR, 500, SMTP_MAIL },
	{ "EHLO\r\n", SMTP_E_SYNTAX, 501, SMTP_EHLO },
	{ "EHLO a b\r\n", SMTP_E_SYNTAX, 501, SMTP_EHLO },
	{ "EHLO a..b\r\n", SMTP_E_SYNTAX, 501, SMTP_EHLO },
	{ "EHLO [1.2.3.4\r\n", SMTP_E_SYNTAX, 501, SMTP_EHLO },
	{ "MAIL TO:<a@b>\r\n", SMTP_E_SYNTAX, 501, SMTP_MAIL },
	{ "MAIL FROM:a@b\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	{ "MAIL FROM:<a@b\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	{ "MAIL FROM:<a>\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	{ "MAIL FROM:<a@>\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	{ "MAIL FROM:<.a@b>\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	{ "MAIL FROM:<a..b@c>\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	/* a local part running to the end of the line (the fuzzer's find:
	 * the NUL after it was taken for atext) */
	{ "MAIL FROM:<ag\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	{ "MAIL FROM:<\"a@b>\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	{ "MAIL FROM:<@a:b@c:d@e>\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	{ "MAIL FROM:<@a b@c>\r\n", SMTP_E_PATH, 501, SMTP_MAIL },
	{ "MAIL FROM:<a@b> SIZE=\r\n", SMTP_E_PARAM, 501, SMTP_MAIL },
	{ "MAIL FROM:<a@b> SIZE=12x\r\n", SMTP_E_PARAM, 501, SMTP_MAIL },
	{ "MAIL FROM:<a@b> SIZE=1 SIZE=2\r\n", SMTP_E_PARAM, 501, SMTP_MAIL },
	{ "MAIL FROM:<a@b> SMTPUTF8=yes\r\n", SMTP_E_PARAM, 501, SMTP_MAIL },
	{ "MAIL FROM:<a@b>junk\r\n", SMTP_E_PARAM, 501, SMTP_MAIL },
	{ "MAIL FROM:<a@b> =x\r\n", SMTP_E_PARAM, 501, SMTP_MAIL },
	{ "RCPT TO:<>\r\n", SMTP_E_PATH, 501, SMTP_RCPT },
	{ "RCPT TO:<Postmaster>junk\r\n", SMTP_E_PARAM, 501, SMTP_RCPT },
	{ "RCPT TO:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaa@b>\r\n", SMTP_E_PATH, 501, SMTP_RCPT },
	{ "DATA x\r\n", SMTP_E_SYNTAX, 501, SMTP_DATA },
	{ "RSET x\r\n", SMTP_E_SYNTAX, 501, SMTP_RSET },
	{ "STARTTLS x\r\n", SMTP_E_SYNTAX, 501, SMTP_STARTTLS },
	{ "VRFY\r\n", SMTP_E_SYNTAX, 501, SMTP_VRFY },
	{ "BDAT\r\n", SMTP_E_SYNTAX, 501, SMTP_BDAT },
	{ "BDAT 1 FIRST\r\n", SMTP_E_SYNTAX, 501, SMTP_BDAT },
};

static void
check_case(size_t i, const struct smtp_cmd *cmd)
{
	ck_assert_int_eq(cmd->verb, cases[i].verb);
	if (cmd->verb == SMTP_MAIL || cmd->verb == SMTP_RCPT)
		ck_assert_str_eq(cmd->path, cases[i].arg);
	else
		ck_assert_str_eq(cmd->arg, cases[i].arg);
	ck_assert_int_eq(cmd->null_path, cases[i].null_path);
	ck_assert(cmd->size == cases[i].size);
	ck_assert_int_eq(cmd->body, cases[i].body);
	ck_assert_int_eq(cmd->smtputf8, cases[i].smtputf8);
	ck_assert_int_eq(cmd->path_utf8, cases[i].utf8);
	if (cases[i].unknown == NULL)
		ck_assert_ptr_null(cmd->unknown_param);
	else
		ck_assert_str_eq(cmd->unknown_param, cases[i].unknown);
}

START_TEST(test_parser_every_split)
{
	const char		*in = cases[_i].in;
	struct smtp_parser	*p;
	struct smtp_cmd		 cmd;
	struct err		 err;
	size_t			 cut, len;

	len = strlen(in);
	for (cut = 0; cut <= len; cut++) {
		p = smtp_parser_new(512);
		smtp_parser_feed(p, in, cut);
		ck_assert(cut == len || smtp_parser_next(p, &cmd, &err) ==
		    SMTP_PARSE_NEED_MORE);
		smtp_parser_feed(p, in + cut, len - cut);
		ck_assert(smtp_parser_next(p, &cmd, &err) ==
		    SMTP_PARSE_COMMAND);
		check_case(_i, &cmd);
		ck_assert(smtp_parser_next(p, &cmd, &err) ==
		    SMTP_PARSE_NEED_MORE);
		smtp_parser_free(p);
	}
}
END_TEST

START_TEST(test_parser_bad)
{
	struct smtp_parser	*p;
	struct smtp_cmd		 cmd;
	struct err		 err;
	const char		*enh, *text;
	char			 in[256];
	size_t			 len;

	/* The bad line, then a good one: the parser carries on. */
	len = strlen(bad[_i].in);
	memcpy(in, bad[_i].in, len);
	memcpy(in + len, "NOOP\r\n", 6);
	p = smtp_parser_new(512);
	smtp_parser_feed(p, in, len + 6);
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err), SMTP_PARSE_ERROR);
	ck_assert_int_eq(err.code, bad[_i].code);
	ck_assert_int_eq(cmd.verb, bad[_i].verb);
	ck_assert_int_eq(smtp_error_reply(err.code, &enh, &text),
	    bad[_i].reply);
	ck_assert_int_eq(enh[0], '5');
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err),
	    SMTP_PARSE_COMMAND);
	ck_assert_int_eq(cmd.verb, SMTP_NOOP);
	smtp_parser_free(p);
}
END_TEST

/* NUL in the table's strings cuts them: this one is spelt out. */
START_TEST(test_parser_nul)
{
	static const char	 in[] = "NO\0OP\r\nQUIT\r\n";
	struct smtp_parser	*p;
	struct smtp_cmd		 cmd;
	struct err		 err;

	p = smtp_parser_new(512);
	smtp_parser_feed(p, in, sizeof(in) - 1);
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err), SMTP_PARSE_ERROR);
	ck_assert_int_eq(err.code, SMTP_E_BAD_CHAR);
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err),
	    SMTP_PARSE_COMMAND);
	ck_assert_int_eq(cmd.verb, SMTP_QUIT);
	smtp_parser_free(p);
}
END_TEST

/* 512 bytes with the CRLF pass, 513 do not; a 1 MB line is skipped in
 * pieces without being kept and reported once, at its end. */
START_TEST(test_parser_line_limit)
{
	struct smtp_parser	*p;
	struct smtp_cmd		 cmd;
	struct err		 err;
	char			*line;
	size_t			 i;

	line = malloc(1 << 20);
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'x', 505);
	memcpy(line + 510, "\r\n", 2);
	p = smtp_parser_new(512);
	smtp_parser_feed(p, line, 512);
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err),
	    SMTP_PARSE_COMMAND);
	memcpy(line + 510, "x\r\n", 3);
	smtp_parser_feed(p, line, 513);
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err), SMTP_PARSE_ERROR);
	ck_assert_int_eq(err.code, SMTP_E_LINE_TOO_LONG);
	memset(line, 'y', 1 << 20);
	for (i = 0; i < 64; i++) {
		smtp_parser_feed(p, line, 1 << 20);
		ck_assert_int_eq(smtp_parser_next(p, &cmd, &err),
		    SMTP_PARSE_NEED_MORE);
	}
	smtp_parser_feed(p, "\r\nQUIT\r\n", 8);
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err), SMTP_PARSE_ERROR);
	ck_assert_int_eq(err.code, SMTP_E_LINE_TOO_LONG);
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err),
	    SMTP_PARSE_COMMAND);
	ck_assert_int_eq(cmd.verb, SMTP_QUIT);
	smtp_parser_free(p);
	/* A daemon may raise the ceiling. */
	p = smtp_parser_new(4096);
	memcpy(line, "NOOP ", 5);
	memcpy(line + 2000, "\r\n", 2);
	smtp_parser_feed(p, line, 2002);
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err),
	    SMTP_PARSE_COMMAND);
	smtp_parser_free(p);
	free(line);
}
END_TEST

/* Many commands in one feed come out one at a time; unfeed gives back
 * what was not parsed. */
START_TEST(test_parser_pipelined)
{
	static const char	 in[] = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	    "RCPT TO:<e@f>\r\nDATA\r\nSubject: x\r\n";
	struct smtp_parser	*p;
	struct smtp_cmd		 cmd;
	struct err		 err;
	enum smtp_verb		 want[] = { SMTP_MAIL, SMTP_RCPT, SMTP_RCPT,
	    SMTP_DATA };
	size_t			 i;

	p = smtp_parser_new(512);
	smtp_parser_feed(p, in, sizeof(in) - 1);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(smtp_parser_next(p, &cmd, &err),
		    SMTP_PARSE_COMMAND);
		ck_assert_int_eq(cmd.verb, want[i]);
	}
	ck_assert_uint_eq(smtp_parser_unfeed(p), strlen("Subject: x\r\n"));
	ck_assert_int_eq(smtp_parser_next(p, &cmd, &err),
	    SMTP_PARSE_NEED_MORE);
	smtp_parser_free(p);
}
END_TEST

TCase *
parser_tests(void)
{
	TCase	*tc;

	tc = tcase_create("parser");
	tcase_add_loop_test(tc, test_parser_every_split, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_parser_bad, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_parser_nul);
	tcase_add_test(tc, test_parser_line_limit);
	tcase_add_test(tc, test_parser_pipelined);
	return tc;
}
