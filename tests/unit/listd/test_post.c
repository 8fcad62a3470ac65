/*
 * test_post.c: the "listd" suite: the list's copy of a post
 * (daemons/listd/post.c) from tables of header sections: the List-*
 * fields, the subject prefix once, forged Authentication-Results of our
 * authserv-id removed, From rewritten only when asked, with Reply-To;
 * loops; and the X-Timbre-Queue-Id field taken off the signed copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listd.h"
#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"
#include "../unit.h"

#define AR "Authentication-Results: mx.example.org;\r\n dmarc=pass\r\n"

static const struct {
	const char	*in;		/* header section, CRLF */
	const char	*prefix;
	bool		 rewrite;
	const char	*want[8];	/* lines that must be there */
	const char	*not[8];	/* substrings that must not */
} cases[] = {
	/* Plain: List-* added, From kept, our A-R on top. */
	{ "From: Alice <alice@example.net>\r\nTo: dev@example.org\r\n"
	  "Subject: hi\r\n", "", false,
	  { AR "From: Alice <alice@example.net>\r\n",
	    "List-Id: <dev.example.org>\r\n",
	    "List-Post: <mailto:dev@example.org>\r\n",
	    "List-Help: <mailto:dev-help@example.org>\r\n",
	    "List-Subscribe: <mailto:dev-subscribe@example.org>\r\n",
	    "List-Unsubscribe: <mailto:dev-unsubscribe@example.org>\r\n",
	    "Precedence: list\r\n", "Subject: hi\r\n" },
	  { "Reply-To", "via dev", NULL } },
	/* A forged A-R of ours goes, another authserv-id's stays; the
	 * message's own List-* and Precedence go. */
	{ "Authentication-Results: MX.example.org; spf=pass\r\n"
	  "Authentication-Results: mx.other.net; spf=fail\r\n"
	  "List-Id: <other.example.net>\r\nPrecedence: bulk\r\n"
	  "X-Timbre-Queue-Id: 7\r\n"
	  "From: alice@example.net\r\nSubject: hi\r\n", NULL, false,
	  { "Authentication-Results: mx.other.net; spf=fail\r\n",
	    "List-Id: <dev.example.org>\r\n" },
	  { "MX.example.org", "other.example.net", "bulk",
	    "X-Timbre-Queue-Id", NULL } },
	/* Prefix added once, kept when there. */
	{ "From: a@example.net\r\nSubject:  hello\r\n", "[dev]", false,
	  { "Subject: [dev] hello\r\n" }, { NULL } },
	{ "From: a@example.net\r\nSubject: Re: [dev] hello\r\n", "[dev]",
	  false, { "Subject: Re: [dev] hello\r\n" }, { "[dev] Re", NULL } },
	{ "From: a@example.net\r\n", "[dev]", false,
	  { "Subject: [dev]\r\n" }, { NULL } },
	/* From rewritten: display name, Reply-To the author. */
	{ "From: \"Alice A.\" <alice@example.net>\r\nSubject: x\r\n", NULL,
	  true,
	  { "From: \"Alice A. via dev\" <dev@example.org>\r\n",
	    "Reply-To: \"Alice A.\" <alice@example.net>\r\n" },
	  { "From: \"Alice A.\" <", NULL } },
	/* No display name: the address; a Reply-To of the author's kept. */
	{ "From: alice@example.net\r\nReply-To: team@example.net\r\n", NULL,
	  true,
	  { "From: \"alice@example.net via dev\" <dev@example.org>\r\n",
	    "Reply-To: team@example.net\r\n" },
	  { "Reply-To: alice", NULL } },
	/* Quotes in the name are escaped; encoded words stay atoms. */
	{ "From: \"A \\\"B\\\" C\" <abc@example.net>\r\n", NULL, true,
	  { "From: \"A \\\"B\\\" C via dev\" <dev@example.org>\r\n" },
	  { NULL } },
	{ "From: =?utf-8?q?J=C3=B6rg?= <j@example.net>\r\n", NULL, true,
	  { "From: =?utf-8?q?J=C3=B6rg?= \"via dev\" <dev@example.org>\r\n" },
	  { NULL } },
};

START_TEST(test_headers)
{
	struct listd_post	 p;
	struct mail_hdrs	*h;
	struct buf		 out;
	struct err		 err;
	size_t			 i;

	h = mail_hdrs_parse(cases[_i].in, strlen(cases[_i].in), &err);
	ck_assert_msg(h != NULL, "%s", err.msg);
	memset(&p, 0, sizeof(p));
	p.list = "dev";
	p.domain = "example.org";
	p.subject_prefix = cases[_i].prefix;
	p.authserv_id = "mx.example.org";
	p.authres = AR;
	p.authres_len = strlen(AR);
	p.rewrite_from = cases[_i].rewrite;
	buf_init(&out, 1 << 20);
	ck_assert_int_eq(listd_post_headers(&p, h, &out, &err), 0);
	ck_assert(buf_addc(&out, '\0', &err) == 0);
	for (i = 0; i < 8 && cases[_i].want[i] != NULL; i++)
		ck_assert_msg(strstr(out.data, cases[_i].want[i]) != NULL,
		    "case %d: no \"%s\" in:\n%s", _i, cases[_i].want[i],
		    out.data);
	for (i = 0; i < 8 && cases[_i].not[i] != NULL; i++)
		ck_assert_msg(strstr(out.data, cases[_i].not[i]) == NULL,
		    "case %d: \"%s\" in:\n%s", _i, cases[_i].not[i], out.data);
	ck_assert_msg(strncmp(out.data, AR, strlen(AR)) == 0,
	    "our A-R is not first");
	/* What comes out is a header section that parses. */
	mail_hdrs_free(h);
	h = mail_hdrs_parse(out.data, out.len - 1, &err);
	ck_assert_msg(h != NULL, "case %d: %s", _i, err.msg);
	ck_assert_int_eq(mail_hdrs_count_name(h, "From"), 1);
	ck_assert_int_eq(mail_hdrs_count_name(h, "List-Id"), 1);
	mail_hdrs_free(h);
	buf_fini(&out);
}
END_TEST

START_TEST(test_rewrite_needs_one_author)
{
	static const char	 in[] = "From: a@example.net, b@example.net\r\n";
	struct listd_post	 p;
	struct mail_hdrs	*h;
	struct buf		 out;
	struct err		 err;

	h = mail_hdrs_parse(in, strlen(in), &err);
	ck_assert(h != NULL);
	memset(&p, 0, sizeof(p));
	p.list = "dev";
	p.domain = "example.org";
	p.rewrite_from = true;
	buf_init(&out, 1 << 20);
	ck_assert_int_eq(listd_post_headers(&p, h, &out, &err), -1);
	ck_assert_int_eq(err.code, MAIL_E_ADDR);
	buf_fini(&out);
	mail_hdrs_free(h);
}
END_TEST

/* RFC 5064 with --archive-url: List-Archive always, Archived-At for a
 * message with a Message-ID, percent-encoded as public-inbox-httpd's
 * URLs; the message's own Archived-At goes. */
START_TEST(test_archive_headers)
{
	static const char *const ins[] = {
	    "From: a@example.net\r\nMessage-ID:  <a/b c%d@x.example>\r\n"
	    "Archived-At: <http://elsewhere/x>\r\n",
	    "From: a@example.net\r\n",
	};
	struct listd_post	 p;
	struct mail_hdrs	*h;
	struct buf		 out;
	struct err		 err;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		h = mail_hdrs_parse(ins[i], strlen(ins[i]), &err);
		ck_assert(h != NULL);
		memset(&p, 0, sizeof(p));
		p.list = "dev";
		p.domain = "example.org";
		p.archive_url = "https://lists.example.org/";
		buf_init(&out, 1 << 20);
		ck_assert_int_eq(listd_post_headers(&p, h, &out, &err), 0);
		ck_assert(buf_addc(&out, '\0', &err) == 0);
		ck_assert_msg(strstr(out.data, "List-Archive: "
		    "<https://lists.example.org/dev/>\r\n") != NULL, "%s",
		    out.data);
		ck_assert_ptr_null(strstr(out.data, "elsewhere"));
		if (i == 0)
			ck_assert_msg(strstr(out.data, "Archived-At: <https://"
			    "lists.example.org/dev/a%2Fb%20c%25d@x.example/>"
			    "\r\n") != NULL, "%s", out.data);
		else
			ck_assert_ptr_null(strstr(out.data, "Archived-At"));
		buf_fini(&out);
		mail_hdrs_free(h);
	}
}
END_TEST

START_TEST(test_loop_and_author)
{
	static const char	 in[] = "From: Bob <Bob@Example.NET>\r\n"
	    "List-Id: Developers <DEV.example.org>\r\n"
	    "Message-ID:  <x@y>\r\n";
	struct mail_hdrs	*h;
	struct err		 err;
	char			 a[256];

	h = mail_hdrs_parse(in, strlen(in), &err);
	ck_assert(h != NULL);
	ck_assert(listd_post_is_loop(h, "dev", "example.org"));
	ck_assert(!listd_post_is_loop(h, "de", "example.org"));
	ck_assert(!listd_post_is_loop(h, "dev-team", "example.org"));
	ck_assert_int_eq(listd_post_author(h, a, sizeof(a)), 0);
	ck_assert_str_eq(a, "Bob@Example.NET");
	ck_assert_int_eq(listd_post_message_id(h, a, sizeof(a)), 0);
	ck_assert_str_eq(a, "<x@y>");
	mail_hdrs_free(h);
}
END_TEST

static const struct {
	const char	*in;
	int		 rc;
	int64_t		 id;
	const char	*out;
} unwrap_cases[] = {
	{ "DKIM-Signature: v=1\r\nX-Timbre-Queue-Id: 42\r\nFrom: a@b\r\n"
	  "\r\nbody\r\n", 0, 42,
	  "DKIM-Signature: v=1\r\nFrom: a@b\r\n\r\nbody\r\n" },
	{ "x-timbre-queue-id:  7 \r\nFrom: a@b\r\n", 0, 7, "From: a@b\r\n" },
	{ "From: a@b\r\n\r\n", -1, 0, NULL },
	{ "X-Timbre-Queue-Id: 1\r\nX-Timbre-Queue-Id: 2\r\n\r\n", -1, 0,
	  NULL },
	{ "X-Timbre-Queue-Id: 1x\r\n\r\n", -1, 0, NULL },
	{ "X-Timbre-Queue-Id: 0\r\n\r\n", -1, 0, NULL },
	{ "not a header\r\n\r\n", -1, 0, NULL },
};

START_TEST(test_unwrap)
{
	struct buf	out;
	struct err	err;
	int64_t		id = 0;
	int		rc;

	buf_init(&out, 1 << 20);
	rc = listd_post_unwrap(unwrap_cases[_i].in,
	    strlen(unwrap_cases[_i].in), &id, &out, &err);
	ck_assert_int_eq(rc, unwrap_cases[_i].rc);
	if (rc == 0) {
		ck_assert(id == unwrap_cases[_i].id);
		ck_assert_uint_eq(out.len, strlen(unwrap_cases[_i].out));
		ck_assert(memcmp(out.data, unwrap_cases[_i].out, out.len) == 0);
	}
	buf_fini(&out);
}
END_TEST

START_TEST(test_split)
{
	size_t	h, b;

	listd_post_split("A: b\r\n\r\nx", 9, &h, &b);
	ck_assert_uint_eq(h, 6);
	ck_assert_uint_eq(b, 8);
	listd_post_split("\r\nbody", 6, &h, &b);
	ck_assert_uint_eq(h, 0);
	ck_assert_uint_eq(b, 2);
	listd_post_split("A: b\r\n", 6, &h, &b);
	ck_assert_uint_eq(h, 6);
	ck_assert_uint_eq(b, 6);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("listd");
	TCase	*tc = tcase_create("post");

	tcase_add_loop_test(tc, test_headers, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_rewrite_needs_one_author);
	tcase_add_test(tc, test_loop_and_author);
	tcase_add_test(tc, test_archive_headers);
	tcase_add_loop_test(tc, test_unwrap, 0,
	    sizeof(unwrap_cases) / sizeof(unwrap_cases[0]));
	tcase_add_test(tc, test_split);
	suite_add_tcase(s, tc);
	return s;
}
