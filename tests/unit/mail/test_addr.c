/*
 * test_addr.c: address lists (src/mail/addr.c), with the examples of
 * RFC 5322 appendix A and the obsolete forms of section 4.4.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_mail.h"

/* Mailboxes as "[display]local@domain" ("[display]local" for a bare local
 * part), joined by " ; ". */
static void
addr_describe(const struct mail_addrs *a, struct buf *out)
{
	struct err	err;
	size_t		i;

	for (i = 0; i < a->n; i++) {
		ck_assert_ptr_nonnull(a->v[i].display);
		ck_assert_ptr_nonnull(a->v[i].local);
		ck_assert_int_eq(buf_printf(out, &err, "%s[%s]%s%s%s",
		    i ? " ; " : "", a->v[i].display, a->v[i].local,
		    a->v[i].domain ? "@" : "",
		    a->v[i].domain ? a->v[i].domain : ""), 0);
	}
}

static const struct {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	int		 code;		/* 0: parses */
	const char	*want;		/* mailboxes, or the error message */
} addr_cases[] = {
	{ "a@example.org", 0, 0, "[]a@example.org" },
	{ "  a@example.org \t\r\n ", 0, 0, "[]a@example.org" },
	{ "John Doe <jdoe@example.org>", 0, 0, "[John Doe]jdoe@example.org" },
	{ "\"Doe, John\" <jdoe@example.org>", 0, 0,
	  "[Doe, John]jdoe@example.org" },
	{ "\"john doe\"@example.org", 0, 0, "[]john doe@example.org" },
	{ "\"a\\\"b\\\\c\"@x", 0, 0, "[]a\"b\\c@x" },
	{ "\"\"@x", 0, 0, "[]@x" },
	{ "<a@b>", 0, 0, "[]a@b" },
	{ " < a @ b > ", 0, 0, "[]a@b" },
	{ "\"\" <a@b>", 0, 0, "[]a@b" },
	{ "a@b, c@d", 0, 0, "[]a@b ; []c@d" },
	{ "a@b,c@d,,", 0, 0, "[]a@b ; []c@d" },
	{ ", ,a@b", 0, 0, "[]a@b" },
	{ "a.b.c@d.e", 0, 0, "[]a.b.c@d.e" },
	{ "\"a\".b@c", 0, 0, "[]a.b@c" },		/* obs-local-part */
	{ "a . b @ c . d", 0, 0, "[]a.b@c.d" },	/* obs, CFWS at dots */
	{ "a@[192.0.2.1]", 0, 0, "[]a@[192.0.2.1]" },
	{ "a@[ IPv6:2001:db8::1 ]", 0, 0, "[]a@[IPv6:2001:db8::1]" },
	{ "<a@[\\]]>", 0, 0, "[]a@[\\]]" },
	{ "root", 0, 0, "[]root" },			/* bare local part */
	{ "root, a.b, \"c d\"", 0, 0, "[]root ; []a.b ; []c d" },
	{ "John \"the man\" Smith <j@x>", 0, 0, "[John the man Smith]j@x" },
	{ "John   (c)  Smith <j@x>", 0, 0, "[John Smith]j@x" },
	{ "John(c)Smith <j@x>", 0, 0, "[John Smith]j@x" },
	{ "\"John\"\"Smith\" <j@x>", 0, 0, "[JohnSmith]j@x" },
	{ "\"John  \r\n Smith\" <j@x>", 0, 0, "[John   Smith]j@x" },
	{ "John\r\n Doe <j@x>", 0, 0, "[John Doe]j@x" },
	{ "Joe Q. Public <john.q.public@example.com>", 0, 0,
	  "[Joe Q. Public]john.q.public@example.com" },
	{ "Jos\xc3\xa9 <j@\xc3\xa9.x>", 0, 0, "[Jos\xc3\xa9]j@\xc3\xa9.x" },
	{ "=?utf-8?q?J=C3=B6rg?= <j@x>", 0, 0, "[=?utf-8?q?J=C3=B6rg?=]j@x" },
	{ "a@b (Comment) ", 0, 0, "[]a@b" },
	{ "((nested (deep)) \\( comment) a@b", 0, 0, "[]a@b" },
	{ "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", 0,
	  0, "[Pete]pete@silly.test" },
	{ "A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)"
	  "public.example>,\r\n         joe@example.org,\r\n  John "
	  "<jdoe@one.test> (my dear friend); (the end of the group)", 0, 0,
	  "[Chris Jones]c@public.example ; []joe@example.org ; "
	  "[John]jdoe@one.test" },
	{ "(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;",
	  0, 0, "" },
	{ "undisclosed-recipients:;", 0, 0, "" },
	{ "team: a@x, b@y;", 0, 0, "[]a@x ; []b@y" },
	{ "team: a@x, b@y;, c@z", 0, 0, "[]a@x ; []b@y ; []c@z" },
	{ "team:, ,a@x,,;", 0, 0, "[]a@x" },	/* obs-group-list */
	{ "The Team: Ann <a@x>, root;", 0, 0, "[Ann]a@x ; []root" },
	{ "Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example",
	  0, 0, "[Mary Smith]mary@example.net ; []jdoe@test.example" },
	{ "John Doe <jdoe@machine(comment).  example>", 0, 0,
	  "[John Doe]jdoe@machine.example" },
	{ "<@a,@b:user@example.org>", 0, 0, "[]user@example.org" },
	{ "<,@a,,@b,:u@x>", 0, 0, "[]u@x" },
	{ "< @a , @[1.2.3.4] : u@x >", 0, 0, "[]u@x" },

	{ "", 0, MAIL_E_ADDR, "no address" },
	{ " (just a comment) ", 0, MAIL_E_ADDR, "no address" },
	{ "  ,  , ", 0, MAIL_E_ADDR, "no address" },
	{ "John Doe", 0, MAIL_E_ADDR,
	  "missing '@' or '<' after \"John Doe\" at offset 0" },
	{ "a@", 0, MAIL_E_ADDR, "missing domain after '@' at offset 2" },
	{ "a@b.", 0, MAIL_E_ADDR,
	  "missing domain label after '.' at offset 4" },
	{ "a@b..c", 0, MAIL_E_ADDR,
	  "missing domain label after '.' at offset 4" },
	{ "@b", 0, MAIL_E_ADDR,
	  "unexpected '@' where an address should be at offset 0" },
	{ "<a@b", 0, MAIL_E_ADDR, "'<' without '>' at offset 0" },
	{ "x <>", 0, MAIL_E_ADDR, "empty address '<>' at offset 2" },
	{ "<a>", 0, MAIL_E_ADDR, "missing '@' in \"a\" at offset 2" },
	{ "John <a b@c>", 0, MAIL_E_ADDR, "missing '@' in \"a\" at offset 8" },
	{ "<a.@c>", 0, MAIL_E_ADDR,
	  "missing word after '.' in local part at offset 3" },
	{ "<a@b c>", 0, MAIL_E_ADDR,
	  "unexpected \"c\" in angle address at offset 5" },
	{ "<@a b:c@d>", 0, MAIL_E_ADDR, "route not ended by ':' at offset 4" },
	{ "<@:a@b>", 0, MAIL_E_ADDR, "missing domain after '@' at offset 2" },
	{ "<@a,b:c@d>", 0, MAIL_E_ADDR,
	  "unexpected \"b\" in route at offset 4" },
	{ "\"abc@d", 0, MAIL_E_ADDR, "unterminated quoted string at offset 0" },
	{ "\"abc\\", 0, MAIL_E_ADDR, "unterminated quoted string at offset 0" },
	{ "a@b (abc", 0, MAIL_E_ADDR, "unterminated comment at offset 4" },
	{ "a@b (a(b)", 0, MAIL_E_ADDR, "unterminated comment at offset 4" },
	{ "a@b (\\", 0, MAIL_E_ADDR, "unterminated comment at offset 4" },
	{ "a@[1.2.3.4", 0, MAIL_E_ADDR,
	  "unterminated domain literal at offset 2" },
	{ "a@[1\\", 0, MAIL_E_ADDR, "unterminated domain literal at offset 2" },
	{ "a@[1[2]", 0, MAIL_E_ADDR,
	  "'[' inside a domain literal at offset 4" },
	{ "team: a@b", 0, MAIL_E_ADDR,
	  "group \"team\" without ';' at offset 9" },
	{ "team: a@b, ", 0, MAIL_E_ADDR,
	  "group \"team\" without ';' at offset 11" },
	{ "a: b: c@d;;", 0, MAIL_E_ADDR, "group inside a group at offset 4" },
	{ ": a@b;", 0, MAIL_E_ADDR, "group without a name at offset 0" },
	{ ".x: a@b;", 0, MAIL_E_ADDR,
	  "group name starts with '.' at offset 0" },
	{ "team: a@b c;", 0, MAIL_E_ADDR,
	  "unexpected \"c\" in group at offset 10" },
	{ "a@b c@d", 0, MAIL_E_ADDR,
	  "unexpected \"c\" after an address at offset 4" },
	{ "John <a@b> x", 0, MAIL_E_ADDR,
	  "unexpected \"x\" after an address at offset 11" },
	{ "a@b;", 0, MAIL_E_ADDR,
	  "unexpected ';' after an address at offset 3" },
	{ "a@b>", 0, MAIL_E_ADDR,
	  "unexpected '>' after an address at offset 3" },
	{ "a b@c", 0, MAIL_E_ADDR, "invalid local part \"a b\" at offset 0" },
	{ "a..b@c", 0, MAIL_E_ADDR,
	  "invalid local part \"a..b\" at offset 0" },
	{ ".a@b", 0, MAIL_E_ADDR, "invalid local part \".a\" at offset 0" },
	{ "a.@b", 0, MAIL_E_ADDR, "invalid local part \"a.\" at offset 0" },
	{ ". John <a@b>", 0, MAIL_E_ADDR,
	  "display name starts with '.' at offset 0" },
	{ "root;", 0, MAIL_E_ADDR,
	  "unexpected ';' after a local part at offset 4" },
	{ "a@b)", 0, MAIL_E_ADDR, "unbalanced ')' at offset 3" },
	{ "a]@b", 0, MAIL_E_ADDR, "unbalanced ']' at offset 1" },
	{ "a\x01@b", 0, MAIL_E_ADDR, "invalid character 0x01 at offset 1" },
	{ "a@b\\", 0, MAIL_E_ADDR, "'\\' outside a quoted string at offset 3" },
	{ "a\0b@c", 5, MAIL_E_ADDR, "invalid character 0x00 at offset 1" },
	{ "\"a\0b\"@c", 7, MAIL_E_ADDR, "invalid character 0x00 at offset 2" },
	{ "(a\0)a@c", 7, MAIL_E_ADDR, "invalid character 0x00 at offset 2" },
	{ "a@[\0]", 5, MAIL_E_ADDR, "invalid character 0x00 at offset 3" },
	{ "\"\x1b[2J\xc3\xa9\" x", 0, MAIL_E_ADDR,
	  "missing '@' or '<' after \"?[2J?? x\" at offset 0" },
	{ "Very Long Display Name Indeed Longer Than Forty Bytes", 0,
	  MAIL_E_ADDR, "missing '@' or '<' after "
	  "\"Very Long Display Name Indeed Longer Tha\" at offset 0" },
	{ "a@b \x7f", 0, MAIL_E_ADDR, "invalid character 0x7f at offset 4" },
	{ "[1.2.3.4]", 0, MAIL_E_ADDR,
	  "unexpected a domain literal where an address should be at "
	  "offset 0" },
};

START_TEST(test_addr_parse)
{
	const char		*in = addr_cases[_i].in;
	size_t			 len = addr_cases[_i].len;
	struct mail_addrs	 a;
	struct buf		 out;
	struct err		 err;
	int			 rc;

	if (len == 0)
		len = strlen(in);
	err_clear(&err);
	rc = mail_addrs_parse(in, len, &a, &err);
	if (addr_cases[_i].code != 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(err.code, addr_cases[_i].code);
		ck_assert_str_eq(err.msg, addr_cases[_i].want);
		ck_assert_ptr_null(a.v);
		ck_assert_uint_eq(a.n, 0);
		return;
	}
	ck_assert_msg(rc == 0, "case %d: %s", _i, err.msg);
	buf_init(&out, 4096);
	addr_describe(&a, &out);
	ck_assert_str_eq(out.len ? out.data : "", addr_cases[_i].want);
	buf_fini(&out);
	mail_addrs_fini(&a);
	ck_assert_ptr_null(a.v);
	ck_assert_uint_eq(a.n, 0);
}
END_TEST

/* A long list grows its table; a field value can be parsed unfolded. */
START_TEST(test_addr_many)
{
	static const char	 hdr[] = "To: Ann <a@x>,\r\n\tBob <b@x>\r\n";
	struct mail_hdrs	*h;
	const struct mail_field	*f;
	struct mail_addrs	 a;
	struct buf		 b;
	struct err		 err;
	size_t			 i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_printf(&b, &err,
		    "%s\"u %zu\"@d%zu.example", i ? ", " : "", i, i), 0);
	ck_assert_int_eq(mail_addrs_parse(b.data, b.len, &a, &err), 0);
	ck_assert_uint_eq(a.n, 1000);
	ck_assert_str_eq(a.v[999].local, "u 999");
	ck_assert_str_eq(a.v[999].domain, "d999.example");
	mail_addrs_fini(&a);

	ck_assert_ptr_nonnull(h = mail_hdrs_parse(hdr, strlen(hdr), &err));
	f = mail_hdrs_at(h, 0);
	ck_assert_int_eq(mail_addrs_parse(f->raw + f->value_off,
	    f->raw_len - f->value_off, &a, &err), 0);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_str_eq(a.v[1].display, "Bob");
	mail_addrs_fini(&a);
	buf_reset(&b);
	ck_assert_int_eq(mail_field_unfold(f, &b, &err), 0);
	ck_assert_int_eq(mail_addrs_parse(b.data, b.len, &a, &err), 0);
	ck_assert_uint_eq(a.n, 2);
	mail_addrs_fini(&a);
	mail_hdrs_free(h);
	buf_fini(&b);
}
END_TEST

TCase *
mail_addr_tcase(void)
{
	TCase	*tc;

	tc = tcase_create("addr");
	tcase_add_loop_test(tc, test_addr_parse, 0,
	    sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_test(tc, test_addr_many);
	return tc;
}
