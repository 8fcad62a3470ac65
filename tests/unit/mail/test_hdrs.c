/*
 * test_hdrs.c: header sections (src/mail/hdrs.c): fields, unfolding,
 * obsolete syntax, errors naming the line, and the limits.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_mail.h"

/*
 * Each field of a parsed section as "name=unfolded value|", so that a case
 * states names, order, duplicates and values in one string.
 */
static void
hdrs_describe(const struct mail_hdrs *h, struct buf *out)
{
	const struct mail_field	*f;
	struct err		 err;
	size_t			 i;

	for (i = 0; i < mail_hdrs_count(h); i++) {
		f = mail_hdrs_at(h, i);
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(buf_add(out, f->raw, f->name_len, &err), 0);
		ck_assert_int_eq(buf_addc(out, '=', &err), 0);
		ck_assert_int_eq(mail_field_unfold(f, out, &err), 0);
		ck_assert_int_eq(buf_addc(out, '|', &err), 0);
	}
	ck_assert_ptr_null(mail_hdrs_at(h, i));
}

static const struct {
	const char	*in;
	int		 code;		/* 0: parses */
	const char	*want;		/* fields, or the error message */
} parse_cases[] = {
	{ "", 0, "" },
	{ "From: a@b\r\n", 0, "From=a@b|" },
	{ "From: a@b\r\nTo: c@d\r\n", 0, "From=a@b|To=c@d|" },
	{ "Subject: hello\r\n world\r\n", 0, "Subject=hello world|" },
	{ "Subject:\r\n\tx\r\n", 0, "Subject=x|" },
	{ "Subject  : x\r\n", 0, "Subject=x|" },		/* obs */
	{ "Subject\t:x\r\n", 0, "Subject=x|" },
	{ "Subject: a\r\n \r\n b\r\n", 0, "Subject=a  b|" },	/* obs-FWS */
	{ "Subject: a\r\n \r\n", 0, "Subject=a|" },
	{ "Received: 1\r\nX: y\r\nReceived: 2\r\n", 0,
	  "Received=1|X=y|Received=2|" },
	{ "X:\r\n", 0, "X=|" },
	{ "X: \r\n", 0, "X=|" },
	{ "X: a  \t\r\n", 0, "X=a|" },
	{ "X: a: b\r\n", 0, "X=a: b|" },
	{ "X-Foo.Bar~!#$%&'*+^_`{|}: y\r\n", 0, "X-Foo.Bar~!#$%&'*+^_`{|}=y|" },
	{ "Subject: caf\xc3\xa9\r\n", 0, "Subject=caf\xc3\xa9|" },
	{ "X: a\nb\r\n", 0, "X=a\nb|" },		/* bare LF: content */
	{ "X: a\rb\r\n", 0, "X=a\rb|" },		/* bare CR: content */
	{ "X: a\r\r\n", 0, "X=a\r|" },
	{ "X: \x01\x7f\r\n", 0, "X=\x01\x7f|" },
	{ "A: 1\r\n  2\r\n\t3\r\nB: 4\r\n", 0, "A=1  2\t3|B=4|" },
	{ " x: y\r\n", MAIL_E_SYNTAX,
	  "line 1: folded line before any header field" },
	{ "\tx: y\r\n", MAIL_E_SYNTAX,
	  "line 1: folded line before any header field" },
	{ "From: a\r\nbody text\r\n", MAIL_E_SYNTAX,
	  "line 2: not a header field (missing header/body separator?)" },
	{ "A: 1\r\nB: 2\r\nC 3\r\n", MAIL_E_SYNTAX,
	  "line 3: not a header field (missing header/body separator?)" },
	{ "From: a\r\nnocolon\r\n", MAIL_E_SYNTAX,
	  "line 2: not a header field (missing header/body separator?)" },
	{ "From a: b\r\n", MAIL_E_SYNTAX,
	  "line 1: not a header field (missing header/body separator?)" },
	{ "Fr\xc3\xb6m: a\r\n", MAIL_E_SYNTAX,
	  "line 1: not a header field (missing header/body separator?)" },
	{ "\x7fX: a\r\n", MAIL_E_SYNTAX,
	  "line 1: not a header field (missing header/body separator?)" },
	{ "X: a\r\n\rY: b\r\n", MAIL_E_SYNTAX,
	  "line 2: not a header field (missing header/body separator?)" },
	{ "X\n: a\r\n", MAIL_E_SYNTAX,
	  "line 1: not a header field (missing header/body separator?)" },
	{ ": x\r\n", MAIL_E_SYNTAX, "line 1: header field with an empty name" },
	{ "A: 1\r\n: x\r\n", MAIL_E_SYNTAX,
	  "line 2: header field with an empty name" },
	{ "From: a", MAIL_E_SYNTAX,
	  "line 1: header field not terminated by CRLF" },
	{ "From: a\r", MAIL_E_SYNTAX,
	  "line 1: header field not terminated by CRLF" },
	{ "From: a\n", MAIL_E_SYNTAX,
	  "line 1: header field not terminated by CRLF" },
	{ "From", MAIL_E_SYNTAX,
	  "line 1: header field not terminated by CRLF" },
	{ "A: 1\r\n b", MAIL_E_SYNTAX,
	  "line 2: header field not terminated by CRLF" },
	{ "From: a\r\n\r\n", MAIL_E_SYNTAX,
	  "line 2: empty line in header section" },
	{ "\r\n", MAIL_E_SYNTAX, "line 1: empty line in header section" },
};

START_TEST(test_hdrs_parse)
{
	const char		*in = parse_cases[_i].in;
	struct mail_hdrs	*h;
	struct buf		 out;
	struct err		 err;
	const char		*raw;
	size_t			 len;

	err_clear(&err);
	h = mail_hdrs_parse(in, strlen(in), &err);
	if (parse_cases[_i].code != 0) {
		ck_assert_ptr_null(h);
		ck_assert_int_eq(err.code, parse_cases[_i].code);
		ck_assert_str_eq(err.msg, parse_cases[_i].want);
		return;
	}
	ck_assert_msg(h != NULL, "case %d: %s", _i, err.msg);
	raw = mail_hdrs_raw(h, &len);
	ck_assert_uint_eq(len, strlen(in));
	ck_assert(memcmp(raw, in, len) == 0);
	buf_init(&out, 1024);
	hdrs_describe(h, &out);
	ck_assert_str_eq(out.len ? out.data : "", parse_cases[_i].want);
	buf_fini(&out);
	mail_hdrs_free(h);
}
END_TEST

START_TEST(test_hdrs_fields)
{
	static const char	 in[] = "Received: a\r\n\tb\r\n"
	    "subject  : Hi\r\n"
	    "RECEIVED:c\r\n"
	    "To: x\r\n";
	struct mail_hdrs	*h;
	const struct mail_field	*f;
	struct err		 err;

	ck_assert_ptr_nonnull(h = mail_hdrs_parse(in, strlen(in), &err));
	ck_assert_uint_eq(mail_hdrs_count(h), 4);

	f = mail_hdrs_at(h, 0);
	ck_assert_uint_eq(f->raw_len, strlen("Received: a\r\n\tb"));
	ck_assert(memcmp(f->raw, "Received: a\r\n\tb", f->raw_len) == 0);
	ck_assert_uint_eq(f->name_len, 8);
	ck_assert_uint_eq(f->value_off, 9);
	ck_assert_uint_eq(f->line, 1);

	f = mail_hdrs_at(h, 1);		/* obsolete "Name  :" */
	ck_assert_uint_eq(f->name_len, 7);
	ck_assert_uint_eq(f->value_off, 10);
	ck_assert_uint_eq(f->line, 3);
	ck_assert(mail_field_is_named(f, "Subject"));
	ck_assert(mail_field_is_named(f, "SUBJECT"));
	ck_assert(!mail_field_is_named(f, "Subjec"));
	ck_assert(!mail_field_is_named(f, "Subjects"));
	ck_assert(!mail_field_is_named(f, "subject "));
	ck_assert(!mail_field_is_named(f, ""));

	f = mail_hdrs_at(h, 2);
	ck_assert_uint_eq(f->line, 4);
	ck_assert_uint_eq(f->value_off, 9);
	f = mail_hdrs_at(h, 3);
	ck_assert_uint_eq(f->line, 5);
	ck_assert_ptr_null(mail_hdrs_at(h, 4));

	ck_assert_int_eq(mail_hdrs_find(h, "received", 0), 0);
	ck_assert_int_eq(mail_hdrs_find(h, "Received", 1), 2);
	ck_assert_int_eq(mail_hdrs_find(h, "Received", 3), -1);
	ck_assert_int_eq(mail_hdrs_find(h, "Received", 99), -1);
	ck_assert_int_eq(mail_hdrs_find(h, "to", 0), 3);
	ck_assert_int_eq(mail_hdrs_find(h, "From", 0), -1);
	ck_assert_uint_eq(mail_hdrs_count_name(h, "rEcEiVeD"), 2);
	ck_assert_uint_eq(mail_hdrs_count_name(h, "Subject"), 1);
	ck_assert_uint_eq(mail_hdrs_count_name(h, "From"), 0);
	mail_hdrs_free(h);
	mail_hdrs_free(NULL);
}
END_TEST

START_TEST(test_hdrs_unfold)
{
	static const char	 in[] = "Subject:  a\r\n b \r\n\tc  \r\n";
	struct mail_hdrs	*h;
	struct buf		 out;
	struct err		 err;

	ck_assert_ptr_nonnull(h = mail_hdrs_parse(in, strlen(in), &err));
	buf_init(&out, 9);
	ck_assert_int_eq(buf_adds(&out, ">", &err), 0);
	ck_assert_int_eq(mail_field_unfold(mail_hdrs_at(h, 0), &out, &err),
	    0);
	ck_assert_str_eq(out.data, ">a b \tc");	/* appended */
	/* Too long for the ceiling: an error, out as it was. */
	ck_assert_int_eq(mail_field_unfold(mail_hdrs_at(h, 0), &out, &err),
	    -1);
	ck_assert_int_eq(err.code, ERR_LIMIT);
	ck_assert_str_eq(err.msg, "unfolding Subject: more than 9 bytes");
	ck_assert_str_eq(out.data, ">a b \tc");
	ck_assert_uint_eq(out.len, 7);
	buf_fini(&out);
	mail_hdrs_free(h);
}
END_TEST

/* n fields "X: yyy...\r\n" of field_len bytes each, CRLF included. */
static char *
hdrs_make(size_t n, size_t field_len, size_t *len_out)
{
	char	*s, *p;
	size_t	 i;

	ck_assert(field_len >= 5);
	ck_assert_ptr_nonnull(s = malloc(n * field_len + 1));
	for (i = 0, p = s; i < n; i++, p += field_len) {
		memset(p, 'y', field_len);
		memcpy(p, "X: ", 3);
		memcpy(p + field_len - 2, "\r\n", 2);
	}
	*p = '\0';
	*len_out = n * field_len;
	return s;
}

START_TEST(test_hdrs_limits)
{
	struct mail_hdrs	*h;
	struct err		 err;
	char			*s;
	size_t			 len;

	/* A field of MAIL_MAX_FIELD bytes with its CRLF is the largest. */
	s = hdrs_make(2, MAIL_MAX_FIELD, &len);
	ck_assert_ptr_nonnull(h = mail_hdrs_parse(s, len, &err));
	ck_assert_uint_eq(mail_hdrs_at(h, 1)->raw_len, MAIL_MAX_FIELD - 2);
	mail_hdrs_free(h);
	free(s);
	s = hdrs_make(1, MAIL_MAX_FIELD + 1, &len);
	ck_assert_ptr_null(mail_hdrs_parse(s, len, &err));
	ck_assert_int_eq(err.code, MAIL_E_LIMIT);
	ck_assert_str_eq(err.msg,
	    "line 1: header field longer than 65536 bytes");
	free(s);
	/* Folded, the limit is on the whole field. */
	s = hdrs_make(3, 30000, &len);
	s[30000] = s[60000] = ' ';
	ck_assert_ptr_null(mail_hdrs_parse(s, len, &err));
	ck_assert_int_eq(err.code, MAIL_E_LIMIT);
	ck_assert_str_eq(err.msg,
	    "line 1: header field longer than 65536 bytes");
	free(s);

	s = hdrs_make(MAIL_MAX_FIELDS, 6, &len);
	ck_assert_ptr_nonnull(h = mail_hdrs_parse(s, len, &err));
	ck_assert_uint_eq(mail_hdrs_count(h), MAIL_MAX_FIELDS);
	mail_hdrs_free(h);
	free(s);
	s = hdrs_make(MAIL_MAX_FIELDS + 1, 6, &len);
	ck_assert_ptr_null(mail_hdrs_parse(s, len, &err));
	ck_assert_int_eq(err.code, MAIL_E_LIMIT);
	ck_assert_str_eq(err.msg, "line 4097: more than 4096 header fields");
	free(s);

	/* 32 fields of 32 KiB: exactly MAIL_MAX_HEADER, then one more. */
	s = hdrs_make(32, 32768, &len);
	ck_assert_ptr_nonnull(h = mail_hdrs_parse(s, len, &err));
	mail_hdrs_free(h);
	free(s);
	s = hdrs_make(33, 32768, &len);
	ck_assert_ptr_null(mail_hdrs_parse(s, len, &err));
	ck_assert_int_eq(err.code, MAIL_E_LIMIT);
	ck_assert_str_eq(err.msg,
	    "line 33: header section longer than 1048576 bytes");
	free(s);
}
END_TEST

TCase *
mail_hdrs_tcase(void)
{
	TCase	*tc;

	tc = tcase_create("hdrs");
	tcase_add_loop_test(tc, test_hdrs_parse, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_hdrs_fields);
	tcase_add_test(tc, test_hdrs_unfold);
	tcase_add_test(tc, test_hdrs_limits);
	return tc;
}
