/*
 * test_html.c: the "archive_html" suite: what the web view
 * (src/archive/html.c) makes of a message's fields (RFC 2047 words,
 * adjacent ones joined, charsets), of its body (base64, quoted-printable,
 * text/plain shown and other parts listed, addresses masked), of
 * threads (References, In-Reply-To, a missing parent, a cycle, a
 * duplicated Message-ID), the thread page's escaping and masking, and
 * its download links to the parts it does not show, and the pages of a
 * month.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/archive.h"
#include "util/buf.h"
#include "util/err.h"

#include "../unit.h"

#define NONE	((size_t)-1)

static void
parse(const char *msg, struct archive_msg *m)
{
	struct err	err;

	ck_assert_int_eq(archive_msg_parse(msg, strlen(msg), "0123", 7, m,
	    &err), 0);
}

START_TEST(test_fields)
{
	struct archive_msg	m;

	parse("Subject: =?UTF-8?Q?a?= =?UTF-8?B?Yg==?=  c\n"
	    "From: =?ISO-8859-1?Q?Bj=F6rn?= <bjorn@example.net>\n"
	    "Message-ID: <id@x> <other@x>\n"
	    "References: <r1@x>\n <r2@x>\n"
	    "In-Reply-To: <r2@x>\n\nbody\n", &m);
	/* Whitespace between two encoded words is not text (RFC 2047
	 * section 6.2); after the last it is. */
	ck_assert_str_eq(m.subject, "ab  c");
	ck_assert_str_eq(m.from, "Bj\xc3\xb6rn <bjorn@example.net>");
	ck_assert_str_eq(m.mid, "id@x");
	ck_assert_uint_eq(m.nrefs, 2);
	ck_assert_str_eq(m.refs[0], "r1@x");
	ck_assert_str_eq(m.refs[1], "r2@x");
	ck_assert_int_eq(m.time, 7);
	archive_msg_fini(&m);
	/* A word decoding to a newline or NUL is one line still. */
	parse("Subject: =?utf-8?q?a=0Ab=00c?=\nDate: Mon, 7 Dec 2026 "
	    "10:00:00 +0000\n\n", &m);
	ck_assert_str_eq(m.subject, "a b c");
	ck_assert_int_eq(m.time, 1796637600);
	ck_assert_str_eq(m.mid, "");
	archive_msg_fini(&m);
}
END_TEST

START_TEST(test_body)
{
	static const char	msg[] =
	    "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	    "preamble\n--b\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "V3JpdGUgdG8gYm9iQGV4YW1wbGUubmV0Lg==\n"
	    "--b\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "Gr=FC=DFe, \"j d\"@x.net=\n!\n"
	    "--b\n"
	    "Content-Type: text/html\n\n<script>x</script>\n"
	    "--b--\nepilogue\n";
	struct buf		b;
	struct err		err;

	buf_init(&b, 1 << 20);
	ck_assert_int_eq(archive_html_text(msg, sizeof(msg) - 1, &b, &err),
	    0);
	ck_assert_str_eq(b.data, "Write to b\xe2\x80\xa6@example.net.\n"
	    "Gr\xc3\xbc\xc3\x9f" "e, j\xe2\x80\xa6@x.net!");
	buf_fini(&b);
}
END_TEST

/* The raw bytes of the thread test's messages. */
static const char *const msgs[] = {
	"Message-ID: <a@x>\nSubject: <script>alert(1)</script>\n\n"
	    "mail alice@example.org\n",
	"Message-ID: <b@x>\nIn-Reply-To: <a@x>\n\nb\n",
	"Message-ID: <c@x>\nReferences: <a@x> <b@x>\n\nc\n",
	"Message-ID: <d@x>\nReferences: <gone@x>\n\nd\n",
	"Message-ID: <e@x>\nReferences: <gone@x> <nor@x>\n\ne\n",
	"Message-ID: <f@x>\nReferences: <g@x>\n\nf\n",
	"Message-ID: <g@x>\nReferences: <f@x>\n\ng\n",
	"Message-ID: <a@x>\nSubject: dup\n\nh\n",
};
#define NMSGS	(sizeof(msgs) / sizeof(msgs[0]))

static int
raw(void *arg, size_t i, const char **p_out, size_t *n_out)
{
	(void)arg;
	*p_out = msgs[i];
	*n_out = strlen(msgs[i]);
	return 0;
}

START_TEST(test_threads)
{
	struct archive_msg	v[NMSGS];
	struct archive_view	w;
	struct buf		b;
	struct err		err;
	char			id[48];
	size_t			i, n;

	for (i = 0; i < NMSGS; i++) {
		snprintf(id, sizeof(id), "%040zx", i);
		ck_assert_int_eq(archive_msg_parse(msgs[i], strlen(msgs[i]),
		    id, (int64_t)i, &v[i], &err), 0);
	}
	ck_assert_int_eq(archive_thread(v, NMSGS, &err), 0);
	ck_assert_uint_eq(v[0].parent, NONE);
	ck_assert_uint_eq(v[1].parent, 0);
	ck_assert_uint_eq(v[2].parent, 1);	/* the nearest ancestor */
	ck_assert_uint_eq(v[1].thread, 0);
	ck_assert_uint_eq(v[2].thread, 0);
	/* Both answer a message the archive lacks: one thread. */
	ck_assert_uint_eq(v[3].parent, NONE);
	ck_assert_uint_eq(v[4].parent, NONE);
	ck_assert_uint_eq(v[3].thread, 3);
	ck_assert_uint_eq(v[4].thread, 3);
	/* A cycle is broken: f answers g, g cannot answer f. */
	ck_assert_uint_eq(v[5].parent, 6);
	ck_assert_uint_eq(v[6].parent, NONE);
	ck_assert_uint_eq(v[5].thread, v[6].thread);
	/* A duplicated Message-ID: the first keeps it for the replies;
	 * the second, a root, is in the thread of its id. */
	ck_assert_uint_eq(v[7].parent, NONE);
	ck_assert_uint_eq(v[7].thread, 0);
	/* The chain of thread 0: a, b, c, the duplicate. */
	for (n = 0, i = 0; i != NONE; i = v[i].next)
		n++;
	ck_assert_uint_eq(n, 4);

	memset(&w, 0, sizeof(w));
	w.title = "dev@example.org";
	w.v = v;
	w.n = NMSGS;
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(archive_html_thread(&w, 0, raw, NULL, &b, &err), 0);
	ck_assert_ptr_null(strstr(b.data, "<script"));
	ck_assert_ptr_null(strstr(b.data, "alice@"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
	ck_assert_ptr_nonnull(strstr(b.data, "mail a\xe2\x80\xa6@example.org"));
	ck_assert_ptr_nonnull(strstr(b.data, "<p>4 messages in this thread."));
	ck_assert_ptr_nonnull(strstr(b.data, "Content-Security-Policy"));
	/* The operator's title is not masked. */
	ck_assert_ptr_nonnull(strstr(b.data, "dev@example.org</title>"));
	buf_fini(&b);
	for (i = 0; i < NMSGS; i++)
		archive_msg_fini(&v[i]);
}
END_TEST

/* The parts the attachment test's page hands over. */
struct parts {
	unsigned	n;
	char		data[4][64];
	unsigned	k[4];
};

static int
keep_part(void *arg, const char *id, unsigned k, const char *p, size_t n,
    struct err *err)
{
	struct parts	*ps = arg;

	(void)err;
	ck_assert_str_eq(id, "00000000000000000000000000000000000000aa");
	ck_assert_uint_lt(ps->n, 4);
	ck_assert_uint_lt(n, 64);
	memcpy(ps->data[ps->n], p, n);
	ps->data[ps->n][n] = '\0';
	ps->k[ps->n++] = k;
	return 0;
}

static const char att_msg[] =
    "Message-ID: <att@x>\nSubject: att\n"
    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
    "Content-Type: text/plain\n\nsee attached\n--b\n"
    "Content-Type: text/html; name=\"x.html\"\n"
    "Content-Transfer-Encoding: base64\n\n"
    "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\n--b\n"
    "Content-Type: image/svg+xml\n"
    "Content-Disposition: attachment; filename=\"\\\"><script>.svg\"\n\n"
    "<svg onload=alert(2)/>\n--b--\n";

static int
att_raw(void *arg, size_t i, const char **p_out, size_t *n_out)
{
	(void)arg;
	(void)i;
	*p_out = att_msg;
	*n_out = sizeof(att_msg) - 1;
	return 0;
}

START_TEST(test_parts)
{
	struct archive_msg	m;
	struct archive_view	w;
	struct parts		ps;
	struct buf		b;
	struct err		err;

	ck_assert_int_eq(archive_msg_parse(att_msg, sizeof(att_msg) - 1,
	    "00000000000000000000000000000000000000aa", 0, &m, &err), 0);
	ck_assert_int_eq(archive_thread(&m, 1, &err), 0);
	memset(&w, 0, sizeof(w));
	memset(&ps, 0, sizeof(ps));
	w.title = "dev";
	w.v = &m;
	w.n = 1;
	w.part = keep_part;
	w.part_arg = &ps;
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(archive_html_thread(&w, 0, att_raw, NULL, &b, &err),
	    0);
	/* The parts as decoded, numbered as listed. */
	ck_assert_uint_eq(ps.n, 2);
	ck_assert_uint_eq(ps.k[0], 1);
	ck_assert_uint_eq(ps.k[1], 2);
	ck_assert_str_eq(ps.data[0], "<script>alert(1)</script>");
	ck_assert_str_eq(ps.data[1], "<svg onload=alert(2)/>");
	/* Links of our naming, to be saved; the names escaped. */
	ck_assert_ptr_nonnull(strstr(b.data, "<li><a href=\"../a/"
	    "00000000000000000000000000000000000000aa/1.bin\" "
	    "type=\"application/octet-stream\" download=\"x.html\">part 1"
	    "</a> x.html (text/html, 25 bytes, HTML not shown)</li>"));
	ck_assert_ptr_nonnull(strstr(b.data, "/2.bin\" type=\"application/"
	    "octet-stream\" download=\"&quot;&gt;&lt;script&gt;.svg\">"));
	ck_assert_ptr_null(strstr(b.data, "<script"));
	ck_assert_ptr_null(strstr(b.data, "<svg"));
	ck_assert_ptr_nonnull(strstr(b.data, "see attached"));
	buf_fini(&b);
	/* Without a callback: listed, no link. */
	w.part = NULL;
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(archive_html_thread(&w, 0, att_raw, NULL, &b, &err),
	    0);
	ck_assert_ptr_null(strstr(b.data, ".bin"));
	ck_assert_ptr_nonnull(strstr(b.data, "<li>x.html (text/html, 25 "
	    "bytes, HTML not shown)</li>"));
	buf_fini(&b);
	archive_msg_fini(&m);
}
END_TEST

/* Page pg of 2026-12 into b: holds pager and has, not hasnt. */
static void
month_page(const struct archive_view *w, size_t pg, struct buf *b,
    const char *pager, const char *has, const char *hasnt)
{
	struct err	err;

	buf_reset(b);
	ck_assert_int_eq(archive_html_month(w, "2026-12", pg, b, &err), 0);
	ck_assert_ptr_nonnull(strstr(b->data, pager));
	ck_assert_ptr_nonnull(strstr(b->data, has));
	ck_assert_ptr_null(strstr(b->data, hasnt));
}

START_TEST(test_month_pages)
{
	static const char *const	ms[] = {
		"Message-ID: <p1@x>\nSubject: one\nDate: 1 Dec 2026 "
		    "10:00:00 +0000\n\n1\n",
		"Message-ID: <p2@x>\nSubject: two\nDate: 2 Dec 2026 "
		    "10:00:00 +0000\n\n2\n",
		"Message-ID: <p3@x>\nSubject: three\nDate: 3 Dec 2026 "
		    "10:00:00 +0000\n\n3\n",
		"Message-ID: <p4@x>\nIn-Reply-To: <p1@x>\nSubject: four\n"
		    "Date: 4 Dec 2026 10:00:00 +0000\n\n4\n",
	};
	struct archive_msg	v[4];
	struct archive_view	w;
	struct buf		b;
	struct err		err;
	char			id[48], name[48];
	size_t			i;

	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "%040zx", i);
		ck_assert_int_eq(archive_msg_parse(ms[i], strlen(ms[i]), id, 0,
		    &v[i], &err), 0);
	}
	ck_assert_int_eq(archive_thread(v, 4, &err), 0);
	memset(&w, 0, sizeof(w));
	w.title = "dev";
	w.v = v;
	w.n = 4;
	ck_assert_uint_eq(archive_month_pages(&w, "2026-12"), 1);
	ck_assert_uint_eq(archive_month_pages(&w, "2026-11"), 1);
	w.page_size = 2;
	ck_assert_uint_eq(archive_month_pages(&w, "2026-12"), 2);
	archive_month_name("2026-12", 1, name);
	ck_assert_str_eq(name, "2026-12");
	archive_month_name("2026-12", 2, name);
	ck_assert_str_eq(name, "2026-12-2");
	/* Latest first: one (its reply of the 4th), three; then two. */
	buf_init(&b, 1 << 20);
	month_page(&w, 1, &b, "<p>Page 1 of 2 | <a rel=\"next\" "
	    "href=\"2026-12-2.html\">older</a></p>", ">one</a> (2)", ">two</a>");
	ck_assert_ptr_nonnull(strstr(b.data, ">three</a> (1)"));
	ck_assert(strstr(b.data, ">one<") < strstr(b.data, ">three<"));
	month_page(&w, 2, &b, "<p>Page 2 of 2 | <a rel=\"prev\" "
	    "href=\"2026-12.html\">newer</a></p>", ">two</a> (1)", ">one</a>");
	ck_assert_ptr_nonnull(strstr(b.data, "<title>2026-12, page 2 - dev"));
	buf_fini(&b);
	for (i = 0; i < 4; i++)
		archive_msg_fini(&v[i]);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("archive_html");
	TCase	*tc = tcase_create("archive_html");

	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_body);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_parts);
	tcase_add_test(tc, test_month_pages);
	suite_add_tcase(s, tc);
	return s;
}
