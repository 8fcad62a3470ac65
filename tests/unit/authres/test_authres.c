/*
 * test_authres.c: the "authres" suite: parsing Authentication-Results
 * values (the examples of RFC 8601 appendix B among them), the authserv-id
 * helpers of section 5, and formatting, checked by parsing back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authres/authres.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"
#include "../unit.h"

static const struct {
	const char	*in;
	int		 ok;
	const char	*id;
	size_t		 n;		/* results */
	const char	*method, *result, *reason;	/* the last result */
	const char	*prop;		/* "ptype.property=value" of it */
} parse_cases[] = {
	/* RFC 8601 appendix B.2: nothing done. */
	{ "example.org 1; none", 1, "example.org", 0, NULL, NULL, NULL, NULL },
	{ "example.org; none", 1, "example.org", 0, NULL, NULL, NULL, NULL },
	/* B.3: one result. */
	{ "example.com;\r\n\t spf=pass smtp.mailfrom=example.net", 1,
	  "example.com", 1, "spf", "pass", NULL, "smtp.mailfrom=example.net" },
	/* B.4: several, with comments and a reason. */
	{ "example.com;\r\n    auth=pass (cram-md5) smtp.auth=sender@example.net;"
	  "\r\n    spf=pass smtp.mailfrom=example.net", 1, "example.com", 2,
	  "spf", "pass", NULL, "smtp.mailfrom=example.net" },
	{ "example.com; sender-id=fail header.from=example.com;\r\n"
	  "  dkim=pass (good signature) header.d=example.com", 1,
	  "example.com", 2, "dkim", "pass", NULL, "header.d=example.com" },
	/* B.5: a comment around the id, a reason. */
	{ "(testing) mail-router.example.net (v1.2);\r\n"
	  "\tdkim=pass (good signature) header.d=newyork.example.com", 1,
	  "mail-router.example.net", 1, "dkim", "pass", NULL,
	  "header.d=newyork.example.com" },
	{ "example.com; dkim=fail reason=\"bad signature\" header.i=@mail."
	  "example.org", 1, "example.com", 1, "dkim", "fail", "bad signature",
	  "header.i=@mail.example.org" },
	{ "example.com; dkim=fail reason = token header.b=abc/d+e=", 1,
	  "example.com", 1, "dkim", "fail", "token", "header.b=abc/d+e=" },
	/* Nested comments, quoted pairs, a quoted id and value. */
	{ "\"my id\" (a (nested \\) comment) here); arc=none (x (y))", 1,
	  "my id", 1, "arc", "none", NULL, NULL },
	{ "mx.example; dmarc=pass policy.dmarc=\"quar;antine\"", 1, "mx.example",
	  1, "dmarc", "pass", NULL, "policy.dmarc=quar;antine" },
	{ "mx.example; spf/1=pass smtp.mailfrom=a@b.example;", 1, "mx.example",
	  1, "spf", "pass", NULL, "smtp.mailfrom=a@b.example" },
	{ "lists.example.org; arc=none;\r\n  spf=pass smtp.mfrom=jqd@d1.example;"
	  "\r\n  dkim=pass (1024-bit key) header.i=@d1.example;\r\n  dmarc=pass",
	  1, "lists.example.org", 4, "dmarc", "pass", NULL, NULL },
	/* Errors. */
	{ "", 0, NULL, 0, NULL, NULL, NULL, NULL },
	{ "example.org", 0, NULL, 0, NULL, NULL, NULL, NULL },
	{ "example.org;", 0, NULL, 0, NULL, NULL, NULL, NULL },
	{ "example.org 2; spf=pass", 0, NULL, 0, NULL, NULL, NULL, NULL },
	{ "Garbage Authentication-Results Header - SHOULD NOT PARSE", 0, NULL,
	  0, NULL, NULL, NULL, NULL },
	{ "example.org; spf", 0, NULL, 0, NULL, NULL, NULL, NULL },
	{ "example.org; spf=", 0, NULL, 0, NULL, NULL, NULL, NULL },
	{ "example.org; spf=pass smtp", 0, NULL, 0, NULL, NULL, NULL, NULL },
	{ "example.org; spf=pass smtp.mailfrom", 0, NULL, 0, NULL, NULL, NULL,
	  NULL },
	{ "example.org; spf=pass (unterminated", 0, NULL, 0, NULL, NULL, NULL,
	  NULL },
	{ "\"unterminated; spf=pass", 0, NULL, 0, NULL, NULL, NULL, NULL },
	{ "example.org; none; spf=pass", 0, NULL, 0, NULL, NULL, NULL, NULL },
	{ "example.org; spf=pass;; dkim=pass", 0, NULL, 0, NULL, NULL, NULL,
	  NULL },
};

START_TEST(test_parse)
{
	struct authres			 ar;
	const struct authres_result	*r;
	struct err			 err;
	char				 prop[512];
	int				 rc;

	rc = authres_parse(parse_cases[_i].in, strlen(parse_cases[_i].in),
	    &ar, &err);
	ck_assert_msg((rc == 0) == (parse_cases[_i].ok == 1), "%s: %s",
	    parse_cases[_i].in, rc == 0 ? "parsed" : err.msg);
	if (rc == -1) {
		ck_assert(err.code == AUTHRES_E_SYNTAX);
		return;
	}
	ck_assert_str_eq(ar.authserv_id, parse_cases[_i].id);
	ck_assert_uint_eq(ar.n, parse_cases[_i].n);
	ck_assert(ar.none == (parse_cases[_i].n == 0));
	if (ar.n > 0) {
		r = &ar.v[ar.n - 1];
		ck_assert_str_eq(r->method, parse_cases[_i].method);
		ck_assert_str_eq(r->result, parse_cases[_i].result);
		if (parse_cases[_i].reason == NULL)
			ck_assert_ptr_null(r->reason);
		else
			ck_assert_str_eq(r->reason, parse_cases[_i].reason);
		if (parse_cases[_i].prop != NULL) {
			ck_assert_uint_ge(r->nprops, 1);
			snprintf(prop, sizeof(prop), "%s.%s=%s",
			    r->props[r->nprops - 1].ptype,
			    r->props[r->nprops - 1].property,
			    r->props[r->nprops - 1].value);
			ck_assert_str_eq(prop, parse_cases[_i].prop);
		}
		/* The raw span starts at the method. */
		ck_assert(strncmp(parse_cases[_i].in + r->raw_off, r->method,
		    strlen(r->method)) == 0);
	}
	authres_fini(&ar);
}
END_TEST

/* Every prefix of every case: no crash, no leak, and an error or a
 * result that the whole input would not contradict. */
START_TEST(test_parse_every_cut)
{
	const char	*in = parse_cases[_i].in;
	struct authres	 ar;
	struct err	 err;
	size_t		 cut, len = strlen(in);
	char		*copy;

	for (cut = 0; cut <= len; cut++) {
		/* Exactly cut bytes, so that ASan sees any overread. */
		ck_assert_ptr_nonnull(copy = malloc(cut + 1));
		memcpy(copy, in, cut);
		if (authres_parse(copy, cut, &ar, &err) == 0) {
			ck_assert_ptr_nonnull(ar.authserv_id);
			ck_assert(ar.n > 0 || ar.none);
			authres_fini(&ar);
		} else
			ck_assert(err.code == AUTHRES_E_SYNTAX);
		free(copy);
	}
}
END_TEST

START_TEST(test_limits)
{
	struct authres	ar;
	struct err	err;
	struct buf	b;
	int		i;

	buf_init(&b, 1 << 20);
	buf_adds(&b, "x.example", &err);
	for (i = 0; i <= AUTHRES_MAX_RESULTS; i++)
		buf_adds(&b, "; spf=pass", &err);
	ck_assert_int_eq(authres_parse(b.data, b.len, &ar, &err), -1);
	ck_assert_int_eq(err.code, AUTHRES_E_LIMIT);
	buf_reset(&b);
	buf_adds(&b, "x.example; dkim=pass", &err);
	for (i = 0; i <= AUTHRES_MAX_PROPS; i++)
		buf_adds(&b, " header.d=a.example", &err);
	ck_assert_int_eq(authres_parse(b.data, b.len, &ar, &err), -1);
	ck_assert_int_eq(err.code, AUTHRES_E_LIMIT);
	buf_fini(&b);
}
END_TEST

static const struct {
	const char	*in;
	const char	*id;
	bool		 ours;
} ours_cases[] = {
	{ "mx.example.org; spf=pass", "mx.example.org", true },
	{ " MX.Example.ORG ; spf=pass", "mx.example.org", true },
	{ "(c) mx.example.org; spf=pass", "mx.example.org", true },
	{ "\"mx.example.org\"; none", "mx.example.org", true },
	/* Ours even though the rest does not parse: still to be removed. */
	{ "mx.example.org; this is garbage", "mx.example.org", true },
	{ "mx.example.org.evil; spf=pass", "mx.example.org", false },
	{ "evil.mx.example.org; spf=pass", "mx.example.org", false },
	{ "other.example; spf=pass", "mx.example.org", false },
	{ "", "mx.example.org", false },
	{ "(unterminated mx.example.org", "mx.example.org", false },
};

START_TEST(test_is_ours)
{
	ck_assert(authres_is_ours(ours_cases[_i].in, strlen(ours_cases[_i].in),
	    ours_cases[_i].id) == ours_cases[_i].ours);
}
END_TEST

START_TEST(test_find)
{
	static const char	 hdr[] =
	    "Authentication-Results: other.example; spf=pass\r\n"
	    "Authentication-Results: MX.example.org; dkim=pass\r\n"
	    "Received: from x by y\r\n"
	    "Authentication-Results: mx.example.org; spf=fail\r\n"
	    "From: a@b.example\r\n";
	struct mail_hdrs	*h;
	struct err		 err;

	ck_assert_ptr_nonnull(h = mail_hdrs_parse(hdr, sizeof(hdr) - 1, &err));
	ck_assert_int_eq(authres_find(h, "mx.example.org", 0), 1);
	ck_assert_int_eq(authres_find(h, "mx.example.org", 2), 3);
	ck_assert_int_eq(authres_find(h, "mx.example.org", 4), -1);
	ck_assert_int_eq(authres_find(h, "other.example", 0), 0);
	ck_assert_int_eq(authres_find(h, "nobody.example", 0), -1);
	mail_hdrs_free(h);
}
END_TEST

START_TEST(test_format)
{
	struct authres_result	 r[4];
	struct authres		 ar;
	struct buf		 b;
	struct err		 err;
	const char		*v;

	memset(r, 0, sizeof(r));
	r[0].method = "spf";
	r[0].result = "pass";
	r[0].props[0] = (struct authres_prop){ "smtp", "mailfrom",
	    "alice@example.org" };
	r[0].nprops = 1;
	r[1].method = "dkim";
	r[1].result = "pass";
	r[1].comment = "2048-bit key (rsa)";
	r[1].props[0] = (struct authres_prop){ "header", "d", "example.org" };
	r[1].props[1] = (struct authres_prop){ "header", "i",
	    "@example.org" };
	r[1].props[2] = (struct authres_prop){ "header", "s", "sel" };
	r[1].props[3] = (struct authres_prop){ "header", "b", "ab/c+d==" };
	r[1].nprops = 4;
	r[2].method = "dmarc";
	r[2].result = "fail";
	r[2].reason = "policy \"reject\"";
	r[2].props[0] = (struct authres_prop){ "header", "from",
	    "example.org" };
	r[2].nprops = 1;
	r[3].method = "arc";
	r[3].result = "none";
	buf_init(&b, 65536);
	ck_assert_int_eq(authres_format("mx.example.net", r, 4, &b, &err), 0);
	ck_assert_str_eq(b.data, "Authentication-Results: mx.example.net;\r\n"
	    "\tspf=pass smtp.mailfrom=alice@example.org;\r\n"
	    "\tdkim=pass (2048-bit key \\(rsa\\)) header.d=example.org\r\n"
	    "\t  header.i=@example.org header.s=sel header.b=\"ab/c+d==\";\r\n"
	    "\tdmarc=fail reason=\"policy \\\"reject\\\"\" "
	    "header.from=example.org;\r\n"
	    "\tarc=none\r\n");
	/* And it parses back to the same. */
	v = b.data + strlen("Authentication-Results:");
	ck_assert_int_eq(authres_parse(v, b.len - 2 - (size_t)(v - b.data),
	    &ar, &err), 0);
	ck_assert_uint_eq(ar.n, 4);
	ck_assert_str_eq(ar.authserv_id, "mx.example.net");
	ck_assert_str_eq(ar.v[1].props[3].value, "ab/c+d==");
	ck_assert_str_eq(ar.v[2].reason, "policy \"reject\"");
	ck_assert_str_eq(ar.v[0].props[0].value, "alice@example.org");
	authres_fini(&ar);

	buf_reset(&b);
	ck_assert_int_eq(authres_format("mx.example.net", NULL, 0, &b, &err),
	    0);
	ck_assert_str_eq(b.data, "Authentication-Results: mx.example.net; "
	    "none\r\n");
	ck_assert_int_eq(authres_format("bad id", NULL, 0, &b, &err), -1);
	ck_assert_int_eq(err.code, ERR_ARG);
	r[0].method = "s p f";
	ck_assert_int_eq(authres_format("x", r, 1, &b, &err), -1);
	buf_fini(&b);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("authres");
	TCase	*tc = tcase_create("authres");

	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_loop_test(tc, test_parse_every_cut, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_limits);
	tcase_add_loop_test(tc, test_is_ours, 0,
	    sizeof(ours_cases) / sizeof(ours_cases[0]));
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	return s;
}
