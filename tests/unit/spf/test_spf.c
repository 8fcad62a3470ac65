/*
 * test_spf.c: the SPF module: record parsing (RFC 7208 section 12's
 * ABNF, cut at every byte), macro expansion (the examples of section
 * 7.4 and the escapes of 7.3), and the evaluator driven from tables of
 * DNS answers, no sockets: every mechanism, include and redirect, exp=,
 * the limits of section 4.6.4, temperror against permerror, HELO
 * checks, a 10 000-byte record and the Received-SPF field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "spf/spf.h"
#include "util/buf.h"
#include "util/err.h"
#include "../nomem.h"
#include "../unit.h"

/* Records. */
static const struct {
	const char	*in;
	int		 ok;
	size_t		 nterms;
	enum spf_mech	 first;
	int		 cidr4, cidr6;	/* of the first term */
} rec_cases[] = {
	{ "v=spf1", 1, 0, 0, 0, 0 },
	{ "v=spf1 -all", 1, 1, SPF_MECH_ALL, 32, 128 },
	{ "V=SPF1   +ALL  ", 1, 1, SPF_MECH_ALL, 32, 128 },
	{ "v=spf1 a/24//64 -all", 1, 2, SPF_MECH_A, 24, 64 },
	{ "v=spf1 a//64", 1, 1, SPF_MECH_A, 32, 64 },
	{ "v=spf1 mx:example.com/0", 1, 1, SPF_MECH_MX, 0, 128 },
	{ "v=spf1 ip4:192.0.2.0/24", 1, 1, SPF_MECH_IP4, 24, 128 },
	{ "v=spf1 ip6:2001:db8::/32", 1, 1, SPF_MECH_IP6, 32, 32 },
	{ "v=spf1 include:_spf.example.com ~all", 1, 2, SPF_MECH_INCLUDE,
	  32, 128 },
	{ "v=spf1 exists:%{i}.%{l2r-}.user.%{d2}", 1, 1, SPF_MECH_EXISTS,
	  32, 128 },
	{ "v=spf1 ptr ?ptr:example.org", 1, 2, SPF_MECH_PTR, 32, 128 },
	{ "v=spf1 redirect=_spf.example.com", 1, 1, SPF_MOD_REDIRECT,
	  32, 128 },
	{ "v=spf1 moo.cow-far_out=man:dog/cat -all", 1, 2, SPF_MOD_UNKNOWN,
	  32, 128 },
	{ "v=spf1 a:%{d}", 1, 1, SPF_MECH_A, 32, 128 },
	{ "v=spf1 a:foo.example.com.", 1, 1, SPF_MECH_A, 32, 128 },
	{ "v=spf1 exp=a.example.com exp=b.example.com", 0, 0, 0, 0, 0 },
	{ "v=spf1 redirect=a.example.com redirect=b.example.com", 0, 0,
	  0, 0, 0 },
	{ "v=spf1 foo", 0, 0, 0, 0, 0 },		/* unknown */
	{ "v=spf1 a:1.2.3.4", 0, 0, 0, 0, 0 },		/* numeric top */
	{ "v=spf1 a:foo-bar", 0, 0, 0, 0, 0 },		/* no dot */
	{ "v=spf1 ip4:1.2.3.4/33", 0, 0, 0, 0, 0 },
	{ "v=spf1 ip4:1.2.3.4/032", 0, 0, 0, 0, 0 },	/* leading zero */
	{ "v=spf1 ip4:01.2.3.4", 0, 0, 0, 0, 0 },
	{ "v=spf1 ip4:1.2.3", 0, 0, 0, 0, 0 },
	{ "v=spf1 ip6:1.2.3.4", 0, 0, 0, 0, 0 },
	{ "v=spf1 ip6:::1/129", 0, 0, 0, 0, 0 },
	{ "v=spf1 a/33", 0, 0, 0, 0, 0 },
	{ "v=spf1 all:x", 0, 0, 0, 0, 0 },
	{ "v=spf1 include", 0, 0, 0, 0, 0 },
	{ "v=spf1 include:", 0, 0, 0, 0, 0 },
	{ "v=spf1 exists:%{z}.example.com", 0, 0, 0, 0, 0 },
	{ "v=spf1 a:%{c}.example.com", 0, 0, 0, 0, 0 },	/* exp only */
	{ "v=spf1 a:foo%.example.com", 0, 0, 0, 0, 0 },
	{ "v=spf1 a:ctrl.example.com\rptr", 0, 0, 0, 0, 0 },
	{ "v=spf1 a:example.net \x96" "all", 0, 0, 0, 0, 0 },
	{ "v=spf1 ip4:1.2.3.4 redirect:t2.example.com", 0, 0, 0, 0, 0 },
	{ "v=spf10", 0, 0, 0, 0, 0 },
	{ "spf1 -all", 0, 0, 0, 0, 0 },
};

START_TEST(test_record)
{
	struct spf_record	rec;
	struct err		err;
	int			rc;

	rc = spf_record_parse(rec_cases[_i].in, &rec, &err);
	ck_assert_msg((rc == 0) == rec_cases[_i].ok, "%s: %s",
	    rec_cases[_i].in, rc == 0 ? "parsed" : err.msg);
	if (rc == 0) {
		ck_assert_uint_eq(rec.nterms, rec_cases[_i].nterms);
		if (rec.nterms > 0) {
			ck_assert_int_eq(rec.terms[0].mech,
			    rec_cases[_i].first);
			ck_assert_int_eq(rec.terms[0].cidr4,
			    rec_cases[_i].cidr4);
			ck_assert_int_eq(rec.terms[0].cidr6,
			    rec_cases[_i].cidr6);
		}
	} else
		ck_assert_int_eq(err.code, SPF_E_SYNTAX);
	spf_record_fini(&rec);
}
END_TEST

/* Every prefix of every case parses or fails cleanly (no over-read). */
START_TEST(test_record_every_cut)
{
	const char		*in = rec_cases[_i].in;
	struct spf_record	 rec;
	struct err		 err;
	size_t			 cut, len = strlen(in);
	char			*p;

	for (cut = 0; cut <= len; cut++) {
		ck_assert_ptr_nonnull(p = strndup(in, cut));
		if (spf_record_parse(p, &rec, &err) == -1)
			ck_assert_int_eq(err.code, SPF_E_SYNTAX);
		spf_record_fini(&rec);
		free(p);
	}
}
END_TEST

/* Macros: RFC 7208 section 7.4, then escapes and the exp-only letters. */
static const struct {
	const char	*in;
	int		 flags;
	int		 v6;
	const char	*out;		/* NULL: an error */
} macro_cases[] = {
	{ "%{s}", 0, 0, "strong-bad@email.example.com" },
	{ "%{o}", 0, 0, "email.example.com" },
	{ "%{d}", 0, 0, "email.example.com" },
	{ "%{d4}", 0, 0, "email.example.com" },
	{ "%{d3}", 0, 0, "email.example.com" },
	{ "%{d2}", 0, 0, "example.com" },
	{ "%{d1}", 0, 0, "com" },
	{ "%{dr}", 0, 0, "com.example.email" },
	{ "%{d2r}", 0, 0, "example.email" },
	{ "%{l}", 0, 0, "strong-bad" },
	{ "%{l-}", 0, 0, "strong.bad" },
	{ "%{lr}", 0, 0, "strong-bad" },
	{ "%{lr-}", 0, 0, "bad.strong" },
	{ "%{l1r-}", 0, 0, "strong" },
	{ "%{ir}.%{v}._spf.%{d2}", 0, 0, "3.2.0.192.in-addr._spf.example.com" },
	{ "%{lr-}.lp._spf.%{d2}", 0, 0, "bad.strong.lp._spf.example.com" },
	{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", 0, 0,
	  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
	{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", 0, 0,
	  "3.2.0.192.in-addr.strong.lp._spf.example.com" },
	{ "%{d2}.trusted-domains.example.net", 0, 0,
	  "example.com.trusted-domains.example.net" },
	{ "%{ir}.%{v}._spf.%{d2}", 0, 1,
	  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	  ".ip6._spf.example.com" },
	{ "%{S}", 0, 0, "strong-bad%40email.example.com" },
	{ "%{L}", 0, 0, "strong-bad" },
	{ "%%%_%-", 0, 0, "% %20" },
	{ "%{d}%{D2}", 0, 0, "email.example.comexample.com" },
	{ "%{i}", 0, 0, "192.0.2.3" },
	{ "%{h}.%{p}", 0, 0, "mx.example.org.unknown" },
	{ "%{c} %{r} %{t}", SPF_MACRO_EXP, 0,
	  "192.0.2.3 receiver.example.net 1700000000" },
	{ "%{c}", SPF_MACRO_EXP, 1, "2001:db8::cb01" },
	{ "%{d0}", 0, 0, NULL },		/* zero labels */
	{ "%{c}", 0, 0, NULL },			/* exp only */
	{ "%{r}", 0, 0, NULL },
	{ "%{t}", 0, 0, NULL },
	{ "%{x}", SPF_MACRO_EXP, 0, NULL },
	{ "%{d", 0, 0, NULL },
	{ "%{d2r+x}", 0, 0, NULL },
	{ "%", 0, 0, NULL },
	{ "%x", 0, 0, NULL },
	{ "a b", 0, 0, NULL },			/* space outside exp */
	{ "a b", SPF_MACRO_EXP, 0, "a b" },
	{ "%{d1000}", 0, 0, "email.example.com" },
	{ "%{d.-+,/_=}", 0, 0, "email.example.com" },
	{ "%{l+}", 0, 0, "strong-bad" },
	{ "%{o1r}", 0, 0, "email" },
};

static void
macro_vars(struct spf_macro_vars *v, int v6)
{
	static const uint8_t	a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				    0, 0, 0, 0, 0, 0, 0xcb, 0x01 };

	memset(v, 0, sizeof(*v));
	v->sender = "strong-bad@email.example.com";
	v->domain = "email.example.com";
	v->helo = "mx.example.org";
	v->receiver = "receiver.example.net";
	v->now = 1700000000;
	if (v6) {
		v->ip.family = AF_INET6;
		memcpy(v->ip.addr, a6, 16);
	} else {
		v->ip.family = AF_INET;
		memcpy(v->ip.addr, "\xc0\x00\x02\x03", 4);
	}
}

START_TEST(test_macro)
{
	struct spf_macro_vars	 v;
	struct buf		 out;
	struct err		 err;
	const char		*in = macro_cases[_i].in;
	bool			 uses_p;
	int			 rc, crc;

	macro_vars(&v, macro_cases[_i].v6);
	buf_init(&out, 65536);
	rc = spf_macro_expand(in, strlen(in), macro_cases[_i].flags, &v, &out,
	    &err);
	crc = spf_macro_check(in, strlen(in), macro_cases[_i].flags, &uses_p,
	    &err);
	ck_assert_int_eq(rc, crc);
	if (macro_cases[_i].out == NULL)
		ck_assert_msg(rc == -1, "%s: expanded to %s", in, out.data);
	else {
		ck_assert_msg(rc == 0, "%s: %s", in, err.msg);
		ck_assert_str_eq(out.data, macro_cases[_i].out);
	}
	buf_fini(&out);
}
END_TEST

START_TEST(test_macro_limits)
{
	struct spf_macro_vars	 v;
	struct buf		 out;
	struct err		 err;
	char			 spec[2048];
	size_t			 i;

	macro_vars(&v, 0);
	buf_init(&out, 65536);
	/* A domain past 253 bytes loses labels on the left. */
	spec[0] = '\0';
	for (i = 0; i < 20; i++)
		strcat(spec, "%{d}.");
	strcat(spec, "example.org");
	ck_assert_int_eq(spf_macro_expand(spec, strlen(spec),
	    SPF_MACRO_DOMAIN, &v, &out, &err), 0);
	ck_assert_uint_le(out.len, 253);
	ck_assert_ptr_nonnull(strstr(out.data, ".example.org"));
	ck_assert_int_ne(out.data[0], '.');
	/* An expansion past SPF_MAX_EXPANSION is refused. */
	buf_reset(&out);
	spec[0] = '\0';
	for (i = 0; i < 400; i++)
		strcat(spec, "%{s}");
	ck_assert_int_eq(spf_macro_expand(spec, strlen(spec), 0, &v, &out,
	    &err), -1);
	ck_assert_int_eq(err.code, ERR_LIMIT);
	/* %{p} is noticed. */
	{
		bool	p = false;

		ck_assert_int_eq(spf_macro_check("%{p}.x", 6, 0, &p, &err), 0);
		ck_assert(p);
	}
	buf_fini(&out);
}
END_TEST

/*
 * The evaluator against a table.  Each row answers (name, type): status
 * and records in zone-file syntax separated by '|'.  Questions not in
 * the table get NXDOMAIN.
 */
struct row {
	const char	*name;
	uint16_t	 type;
	enum dns_status	 st;
	const char	*rrs;
};

#define T		DNS_T_TXT
#define A		DNS_T_A
#define AAAA		DNS_T_AAAA
#define MX		DNS_T_MX
#define PTR		DNS_T_PTR
#define OK		DNS_OK
#define TMO		DNS_TIMEOUT

static const struct row zone[] = {
	{ "ip.test", T, OK, "ip.test. TXT \"v=spf1 ip4:192.0.2.0/24 "
	  "ip6:2001:db8::/32 -all\"" },
	{ "a.test", T, OK, "a.test. TXT \"v=spf1 a/24 a:h.a.test//64 ~all\"" },
	{ "a.test", A, OK, "a.test. A 198.51.100.9" },
	{ "h.a.test", AAAA, OK, "h.a.test. AAAA 2001:db8:1::1" },
	{ "mx.test", T, OK, "mx.test. TXT \"v=spf1 mx -all\"" },
	{ "mx.test", MX, OK, "mx.test. MX 10 m1.mx.test.|"
	  "mx.test. MX 20 m2.mx.test." },
	{ "m1.mx.test", A, OK, "m1.mx.test. A 203.0.113.1" },
	{ "m2.mx.test", A, OK, "m2.mx.test. A 203.0.113.2" },
	{ "mx11.test", T, OK, "mx11.test. TXT \"v=spf1 mx -all\"" },
	{ "mx11.test", MX, OK, "mx11.test. MX 1 a1.test.|mx11.test. MX 1 a2."
	  "test.|mx11.test. MX 1 a3.test.|mx11.test. MX 1 a4.test.|"
	  "mx11.test. MX 1 a5.test.|mx11.test. MX 1 a6.test.|mx11.test. MX 1 "
	  "a7.test.|mx11.test. MX 1 a8.test.|mx11.test. MX 1 a9.test.|"
	  "mx11.test. MX 1 a10.test.|mx11.test. MX 1 a11.test." },
	{ "inc.test", T, OK, "inc.test. TXT \"v=spf1 include:ip.test "
	  "include:none.test -all\"" },
	{ "incfail.test", T, OK, "incfail.test. TXT \"v=spf1 -include:ip.test "
	  "?all\"" },
	{ "loop.test", T, OK, "loop.test. TXT \"v=spf1 include:loop.test "
	  "-all\"" },
	{ "rloop.test", T, OK, "rloop.test. TXT \"v=spf1 "
	  "redirect=rloop.test\"" },
	{ "redir.test", T, OK, "redir.test. TXT \"v=spf1 exp=e.test "
	  "redirect=ip.test\"" },
	{ "rnone.test", T, OK, "rnone.test. TXT \"v=spf1 "
	  "redirect=none.test\"" },
	{ "two.test", T, OK, "two.test. TXT \"v=spf1 -all\"|"
	  "two.test. TXT \"v=spf1 +all\"" },
	{ "other.test", T, OK, "other.test. TXT \"google-site-verification\"|"
	  "other.test. TXT \"v=spf1 +all\"" },
	{ "tmo.test", T, TMO, NULL },
	{ "tmo.test", A, TMO, NULL },
	{ "1.1.1.10.in-addr.arpa", PTR, TMO, NULL },
	{ "nul.test", T, OK, "nul.test. TXT \"v=spf1 "
	  "a:foo.example.com\\000\"" },
	{ "exp.test", T, OK, "exp.test. TXT \"v=spf1 -all "
	  "exp=why.%{d}\"" },
	{ "why.exp.test", T, OK, "why.exp.test. TXT \"%{i} is not one of "
	  "%{d}'s hosts; %{l} %{c} %{r}\"" },
	{ "void.test", T, OK, "void.test. TXT \"v=spf1 a:n1.test a:n2.test "
	  "a:n3.test +all\"" },
	{ "void2.test", T, OK, "void2.test. TXT \"v=spf1 a:n1.test a:n2.test "
	  "+all\"" },
	{ "exists.test", T, OK, "exists.test. TXT \"v=spf1 "
	  "exists:%{ir}.bl.exists.test -all\"" },
	{ "1.2.0.192.bl.exists.test", A, OK, "1.2.0.192.bl.exists.test. A "
	  "127.0.0.2" },
	{ "ptr.test", T, OK, "ptr.test. TXT \"v=spf1 ptr -all\"" },
	{ "1.2.0.192.in-addr.arpa", PTR, OK, "1.2.0.192.in-addr.arpa. PTR "
	  "mail.ptr.test.|1.2.0.192.in-addr.arpa. PTR liar.test." },
	{ "mail.ptr.test", A, OK, "mail.ptr.test. A 192.0.2.1" },
	{ "liar.test", A, OK, "liar.test. A 10.0.0.1" },
	{ "p.test", T, OK, "p.test. TXT \"v=spf1 exists:%{p}.ok.p.test "
	  "-all\"" },
	{ "mail.ptr.test.ok.p.test", A, OK, "mail.ptr.test.ok.p.test. A "
	  "127.0.0.2" },
	{ "atmo.test", T, OK, "atmo.test. TXT \"v=spf1 a:tmo.test -all\"" },
	{ "ptrtmo.test", T, OK, "ptrtmo.test. TXT \"v=spf1 ptr:tmo.test "
	  "?all\"" },
	{ "helo.test", T, OK, "helo.test. TXT \"v=spf1 "
	  "exists:%{l}.%{o}.x.helo.test -all\"" },
	{ "postmaster.helo.test.x.helo.test", A, OK,
	  "postmaster.helo.test.x.helo.test. A 127.0.0.2" },
	{ "cname.test", T, OK, "cname.test. CNAME ip.test.|ip.test. TXT "
	  "\"v=spf1 ip4:192.0.2.0/24 -all\"" },
	{ "split.test", T, OK, "split.test. TXT \"v=spf1 ip4:192.0.2.1\" \" "
	  "-all\"" },
	{ "nullmx.test", T, OK, "nullmx.test. TXT \"v=spf1 mx -all\"" },
	{ "nullmx.test", MX, OK, "nullmx.test. MX 0 ." },
};

/* Includes of i1..i11: the 11th DNS term is one too many. */
static int
chain_row(const char *name, struct row *r, char *buf, size_t sz)
{
	int	n;

	if (sscanf(name, "i%d.test", &n) != 1 || n < 0 || n > 20)
		return 0;
	snprintf(buf, sz, "i%d.test. TXT \"v=spf1 include:i%d.test -all\"",
	    n, n + 1);
	r->name = name;
	r->type = T;
	r->st = OK;
	r->rrs = buf;
	return 1;
}

/* Answers q from the table: 0, or -1 when the evaluator refuses it.
 * With nomem, allocations count only inside spf_eval_answer. */
static int
answer_from_(struct spf_eval *ev, const struct dns_question *q, int nomem)
{
	struct dns_msg	*msg = NULL;
	struct row	 r;
	struct err	 err;
	const char	*rrs[16];
	char		*copy = NULL, *p, buf[256];
	size_t		 i, n = 0;
	int		 rc;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (strcasecmp(zone[i].name, q->name) == 0 &&
		    zone[i].type == q->type)
			break;
	if (i < sizeof(zone) / sizeof(zone[0]))
		r = zone[i];
	else if (!chain_row(q->name, &r, buf, sizeof(buf)) ||
	    q->type != T) {
		ck_assert_int_eq(dns_msg_build(q->name, q->type, 3, NULL, 0,
		    &msg, &err), 0);
		nomem_pause(!nomem);
		rc = spf_eval_answer(ev, DNS_NXDOMAIN, msg, &err);
		nomem_pause(true);
		dns_msg_free(msg);
		return rc;
	}
	if (r.st == TMO) {
		nomem_pause(!nomem);
		rc = spf_eval_answer(ev, DNS_TIMEOUT, NULL, &err);
		nomem_pause(true);
		return rc;
	}
	if (r.rrs != NULL) {
		ck_assert_ptr_nonnull(copy = strdup(r.rrs));
		for (p = strtok(copy, "|"); p != NULL && n < 16;
		    p = strtok(NULL, "|"))
			rrs[n++] = p;
	}
	ck_assert_msg(dns_msg_build(q->name, q->type, 0, rrs, n, &msg,
	    &err) == 0, "%s", err.msg);
	nomem_pause(!nomem);
	rc = spf_eval_answer(ev, dns_msg_status(msg), msg, &err);
	nomem_pause(true);
	dns_msg_free(msg);
	free(copy);
	return rc;
}

static int
answer_from(struct spf_eval *ev, const struct dns_question *q)
{
	return answer_from_(ev, q, 0);
}

/* Runs one evaluation to the end; the number of questions asked. */
static enum spf_result
run(struct spf_eval *ev, size_t *asked)
{
	struct dns_question	q;
	enum spf_result		res;
	size_t			n = 0;

	while (spf_eval_next(ev, 1700000000, &q, &res) == SPF_STEP_QUERY) {
		ck_assert_uint_lt(++n, 500);
		ck_assert_int_eq(answer_from(ev, &q), 0);
	}
	if (asked != NULL)
		*asked = n;
	return res;
}

static const struct {
	const char	*ip, *from, *helo;
	enum spf_result	 want;
	const char	*mech;		/* NULL: not checked */
	const char	*expl;		/* a part of it; NULL: not checked */
} eval_cases[] = {
	{ "192.0.2.7", "u@ip.test", "h.test", SPF_PASS, "ip4:192.0.2.0/24",
	  "designates 192.0.2.7" },
	{ "2001:db8::5", "u@ip.test", NULL, SPF_PASS, "ip6:2001:db8::/32",
	  NULL },
	{ "::ffff:192.0.2.7", "u@ip.test", NULL, SPF_PASS, NULL, NULL },
	{ "198.51.100.7", "u@ip.test", NULL, SPF_FAIL, "-all",
	  "mechanism -all matched" },
	{ "198.51.100.200", "u@a.test", NULL, SPF_PASS, "a/24", NULL },
	{ "2001:db8:1::1", "u@a.test", NULL, SPF_PASS, NULL, NULL },
	{ "2001:db8:1::99", "u@a.test", NULL, SPF_PASS, NULL, NULL },
	{ "2001:db8:1:1::1", "u@a.test", NULL, SPF_SOFTFAIL, NULL, NULL },
	{ "203.0.113.9", "u@a.test", NULL, SPF_SOFTFAIL, "~all", NULL },
	{ "203.0.113.2", "u@mx.test", NULL, SPF_PASS, "mx", NULL },
	{ "203.0.113.3", "u@mx.test", NULL, SPF_FAIL, NULL, NULL },
	{ "203.0.113.3", "u@mx11.test", NULL, SPF_PERMERROR, NULL,
	  "more than 10 mx" },
	{ "192.0.2.1", "u@inc.test", NULL, SPF_PASS, "include:ip.test", NULL },
	{ "10.1.1.1", "u@inc.test", NULL, SPF_PERMERROR, NULL, "none.test" },
	{ "192.0.2.1", "u@incfail.test", NULL, SPF_FAIL, "-include:ip.test",
	  NULL },
	{ "10.1.1.1", "u@incfail.test", NULL, SPF_NEUTRAL, "?all", NULL },
	{ "10.1.1.1", "u@loop.test", NULL, SPF_PERMERROR, NULL, NULL },
	{ "10.1.1.1", "u@rloop.test", NULL, SPF_PERMERROR, NULL, NULL },
	{ "10.1.1.1", "u@i1.test", NULL, SPF_PERMERROR, NULL, "more than 10" },
	{ "10.1.1.1", "u@redir.test", NULL, SPF_FAIL, "-all",
	  "does not designate" },		/* redirect drops exp= */
	{ "10.1.1.1", "u@rnone.test", NULL, SPF_PERMERROR, NULL, NULL },
	{ "10.1.1.1", "u@two.test", NULL, SPF_PERMERROR, NULL, "2 spf" },
	{ "10.1.1.1", "u@other.test", NULL, SPF_PASS, NULL, NULL },
	{ "10.1.1.1", "u@nothing.test", NULL, SPF_NONE, NULL, NULL },
	{ "10.1.1.1", "u@tmo.test", NULL, SPF_TEMPERROR, NULL, "no answer" },
	{ "10.1.1.1", "u@nul.test", NULL, SPF_PERMERROR, NULL, "nul" },
	{ "10.1.1.1", "joe@exp.test", NULL, SPF_FAIL, "-all",
	  "10.1.1.1 is not one of exp.test's hosts; joe 10.1.1.1 unknown" },
	{ "10.1.1.1", "u@void.test", NULL, SPF_PERMERROR, NULL, "void" },
	{ "10.1.1.1", "u@void2.test", NULL, SPF_PASS, "+all", NULL },
	{ "192.0.2.1", "u@exists.test", NULL, SPF_PASS, NULL, NULL },
	{ "192.0.2.2", "u@exists.test", NULL, SPF_FAIL, NULL, NULL },
	{ "192.0.2.1", "u@ptr.test", NULL, SPF_PASS, "ptr", NULL },
	{ "192.0.2.9", "u@ptr.test", NULL, SPF_FAIL, NULL, NULL },
	{ "192.0.2.1", "u@p.test", NULL, SPF_PASS, NULL, NULL },
	{ "10.1.1.1", "u@atmo.test", NULL, SPF_TEMPERROR, NULL, NULL },
	{ "10.1.1.1", "u@ptrtmo.test", NULL, SPF_NEUTRAL, NULL, NULL },
	{ "10.1.1.1", "", "helo.test", SPF_PASS, NULL, NULL },
	{ "10.1.1.1", "@helo.test", NULL, SPF_PASS, NULL, NULL },
	{ "10.1.1.1", "helo.test", NULL, SPF_PASS, NULL, NULL },
	{ "10.1.1.1", "u@single", NULL, SPF_NONE, NULL, NULL },
	{ "10.1.1.1", "u@a..test", NULL, SPF_NONE, NULL, NULL },
	{ "10.1.1.1", "", "[10.1.1.1]", SPF_NONE, NULL, NULL },
	{ "192.0.2.1", "u@cname.test", NULL, SPF_PASS, NULL, NULL },
	{ "192.0.2.1", "u@split.test", NULL, SPF_PASS, NULL, NULL },
	{ "192.0.2.2", "u@split.test", NULL, SPF_FAIL, NULL, NULL },
	{ "192.0.2.2", "u@nullmx.test", NULL, SPF_FAIL, "-all", NULL },
};

START_TEST(test_eval)
{
	struct spf_params	 p = { eval_cases[_i].ip, eval_cases[_i].from,
				    eval_cases[_i].helo, NULL,
				    SPF_ID_MAILFROM };
	struct spf_eval		*ev;
	struct err		 err;
	enum spf_result		 res;
	const char		*m, *e;

	ck_assert_ptr_nonnull(ev = spf_eval_new(&p, &err));
	res = run(ev, NULL);
	e = spf_eval_explanation(ev);
	ck_assert_msg(res == eval_cases[_i].want, "%s from %s: %s (%s)",
	    eval_cases[_i].from, eval_cases[_i].ip, spf_result_str(res),
	    e != NULL ? e : "-");
	if (eval_cases[_i].mech != NULL) {
		ck_assert_ptr_nonnull(m = spf_eval_mechanism(ev));
		ck_assert_str_eq(m, eval_cases[_i].mech);
	}
	ck_assert_ptr_nonnull(e);
	if (eval_cases[_i].expl != NULL)
		ck_assert_msg(strstr(e, eval_cases[_i].expl) != NULL,
		    "explanation \"%s\" lacks \"%s\"", e, eval_cases[_i].expl);
	/* Done is done. */
	{
		struct dns_question	q;
		enum spf_result		again;

		ck_assert_int_eq(spf_eval_next(ev, 0, &q, &again),
		    SPF_STEP_DONE);
		ck_assert_int_eq(again, res);
		ck_assert_int_eq(spf_eval_answer(ev, DNS_OK, NULL, &err), -1);
	}
	spf_eval_free(ev);
}
END_TEST

/* The counts against the limits of section 4.6.4, as timbre doctor
 * reports them: the term or look-up that passes a limit is counted. */
static const struct {
	const char	*from;
	enum spf_result	 want;
	int		 terms, voids;
} count_cases[] = {
	{ "u@ip.test", SPF_FAIL, 0, 0 },
	{ "u@i1.test", SPF_PERMERROR, SPF_MAX_DNS_TERMS + 1, 0 },
	{ "u@void2.test", SPF_PASS, 2, 2 },
	{ "u@void.test", SPF_PERMERROR, 3, SPF_MAX_VOID + 1 },
};

START_TEST(test_eval_counts)
{
	struct spf_params	 p = { "10.1.1.1", count_cases[_i].from, NULL,
				    NULL, SPF_ID_MAILFROM };
	struct spf_eval		*ev;
	struct err		 err;

	ck_assert_ptr_nonnull(ev = spf_eval_new(&p, &err));
	ck_assert_int_eq(run(ev, NULL), count_cases[_i].want);
	ck_assert_int_eq(spf_eval_terms(ev), count_cases[_i].terms);
	ck_assert_int_eq(spf_eval_voids(ev), count_cases[_i].voids);
	spf_eval_free(ev);
}
END_TEST

START_TEST(test_eval_misuse)
{
	struct spf_params	 p = { "not-an-ip", "u@ip.test", NULL, NULL,
				    SPF_ID_MAILFROM };
	struct spf_eval		*ev;
	struct err		 err;

	ck_assert_ptr_null(spf_eval_new(&p, &err));
	ck_assert_int_eq(err.code, SPF_E_ARG);
	p.ip = "192.0.2.1";
	ck_assert_ptr_nonnull(ev = spf_eval_new(&p, &err));
	ck_assert_int_eq(spf_eval_answer(ev, DNS_OK, NULL, &err), -1);
	ck_assert_int_eq(err.code, SPF_E_STATE);
	spf_eval_free(ev);
	spf_eval_free(NULL);
}
END_TEST

/* PTR names past 10 are not looked at (section 4.6.4). */
START_TEST(test_ptr_limit)
{
	struct spf_params	 p = { "192.0.2.1", "u@many.test", NULL, NULL,
				    SPF_ID_MAILFROM };
	struct spf_eval		*ev;
	struct dns_question	 q;
	struct dns_msg		*msg;
	struct err		 err;
	enum spf_result		 res;
	char			 rr[12][64];
	const char		*rrs[12];
	size_t			 i, addr_qs = 0;

	for (i = 0; i < 12; i++) {
		snprintf(rr[i], sizeof(rr[i]), "1.2.0.192.in-addr.arpa. PTR "
		    "h%zu.many.test.", i);
		rrs[i] = rr[i];
	}
	ck_assert_ptr_nonnull(ev = spf_eval_new(&p, &err));
	while (spf_eval_next(ev, 0, &q, &res) == SPF_STEP_QUERY) {
		if (q.type == T)
			ck_assert_int_eq(dns_msg_build(q.name, T, 0,
			    (const char *[]){ "many.test. TXT \"v=spf1 ptr "
			    "-all\"" }, 1, &msg, &err), 0);
		else if (q.type == PTR)
			ck_assert_int_eq(dns_msg_build(q.name, PTR, 0, rrs, 12,
			    &msg, &err), 0);
		else {
			addr_qs++;
			ck_assert_int_eq(dns_msg_build(q.name, q.type, 3, NULL,
			    0, &msg, &err), 0);
		}
		ck_assert_int_eq(spf_eval_answer(ev, dns_msg_status(msg), msg,
		    &err), 0);
		dns_msg_free(msg);
	}
	ck_assert_int_eq(res, SPF_FAIL);
	ck_assert_uint_eq(addr_qs, SPF_MAX_PTR_NAMES);
	spf_eval_free(ev);
}
END_TEST

/* A 10 000-byte record of 700-odd terms is evaluated, not refused. */
START_TEST(test_long_record)
{
	struct spf_params	 p = { "10.9.9.9", "u@long.test", NULL, NULL,
				    SPF_ID_MAILFROM };
	struct spf_eval		*ev;
	struct dns_question	 q;
	struct dns_msg		*msg;
	struct buf		 rr, rec;
	struct err		 err;
	enum spf_result		 res;
	const char		*one;
	size_t			 i;

	buf_init(&rec, 1 << 20);
	buf_init(&rr, 1 << 20);
	ck_assert_int_eq(buf_adds(&rec, "v=spf1", &err), 0);
	while (rec.len < 10000)
		ck_assert_int_eq(buf_printf(&rec, &err, " ip4:10.%zu.0.0/16",
		    rec.len % 200), 0);
	ck_assert_int_eq(buf_adds(&rec, " ip4:10.9.9.9 -all", &err), 0);
	/* Zone-file syntax: character-strings of at most 255 bytes. */
	ck_assert_int_eq(buf_adds(&rr, "long.test. TXT", &err), 0);
	for (i = 0; i < rec.len; i += 255)
		ck_assert_int_eq(buf_printf(&rr, &err, " \"%.*s\"",
		    (int)(rec.len - i < 255 ? rec.len - i : 255),
		    rec.data + i), 0);
	one = rr.data;
	ck_assert_ptr_nonnull(ev = spf_eval_new(&p, &err));
	ck_assert_int_eq(spf_eval_next(ev, 0, &q, &res), SPF_STEP_QUERY);
	ck_assert_int_eq(dns_msg_build(q.name, T, 0, &one, 1, &msg, &err), 0);
	ck_assert_int_eq(spf_eval_answer(ev, DNS_OK, msg, &err), 0);
	dns_msg_free(msg);
	ck_assert_int_eq(spf_eval_next(ev, 0, &q, &res), SPF_STEP_DONE);
	ck_assert_int_eq(res, SPF_PASS);
	spf_eval_free(ev);
	buf_fini(&rr);
	buf_fini(&rec);
}
END_TEST

START_TEST(test_received_spf)
{
	struct spf_params	 p = { "192.0.2.7", "u@ip.test", "h.test",
				    "mx.example.org", SPF_ID_MAILFROM };
	struct spf_eval		*ev;
	struct buf		 out;
	struct err		 err;
	const char		*line, *nl;

	buf_init(&out, 4096);
	ck_assert_ptr_nonnull(ev = spf_eval_new(&p, &err));
	ck_assert_int_eq(spf_received_spf(ev, &out, &err), -1);
	ck_assert_int_eq(run(ev, NULL), SPF_PASS);
	ck_assert_int_eq(spf_received_spf(ev, &out, &err), 0);
	ck_assert_msg(strncmp(out.data, "Received-SPF: pass (mx.example.org: "
	    "domain of u@ip.test designates 192.0.2.7", 60) == 0, "%s",
	    out.data);
	ck_assert_ptr_nonnull(strstr(out.data, "client-ip=192.0.2.7;"));
	ck_assert_ptr_nonnull(strstr(out.data,
	    "envelope-from=\"u@ip.test\";"));
	ck_assert_ptr_nonnull(strstr(out.data, "identity=mailfrom;"));
	ck_assert_ptr_nonnull(strstr(out.data,
	    "mechanism=\"ip4:192.0.2.0/24\""));
	ck_assert_uint_ge(out.len, 2);
	ck_assert_str_eq(out.data + out.len - 2, "\r\n");
	for (line = out.data; *line != '\0'; line = nl + 2) {
		ck_assert_ptr_nonnull(nl = strstr(line, "\r\n"));
		ck_assert_uint_le((size_t)(nl - line), 78);
	}
	spf_eval_free(ev);
	buf_fini(&out);
}
END_TEST

/*
 * Every allocation can fail.  check_spf is linked with the failing
 * allocator of tests/unit/nomem.h (src/spf/local.mk); armed, it fails
 * the n-th allocation of the evaluator (the table's own allocations
 * pause the count).  An evaluation must then end with
 * its usual result or temperror, never crash, and (under
 * --enable-sanitizers) leak nothing.
 *
 * nomem_eval: one evaluation of eval_cases[i] with the n-th allocation
 * failing: 1 when the failure happened, with the result in *res_out (-1
 * for a failed spf_eval_new).
 */
static int
nomem_eval(size_t i, long n, int *res_out)
{
	struct spf_params	 p = { eval_cases[i].ip, eval_cases[i].from,
				    eval_cases[i].helo, "mx.example.org",
				    SPF_ID_MAILFROM };
	struct spf_eval		*ev;
	struct dns_question	 q;
	struct buf		 hdr;
	struct err		 err;
	enum spf_result		 res;
	int			 steps = 0, hit;

	nomem_arm(n);
	res = SPF_TEMPERROR;
	if ((ev = spf_eval_new(&p, &err)) == NULL) {
		*res_out = err.code == ERR_NOMEM ? -1 : -2;
		return nomem_disarm();
	}
	for (;;) {
		nomem_pause(false);
		if (spf_eval_next(ev, 0, &q, &res) != SPF_STEP_QUERY ||
		    steps++ >= 500)
			break;
		/* The table's allocations do not count; those of
		 * spf_eval_answer, which answer_from_ calls, do. */
		nomem_pause(true);
		if (answer_from_(ev, &q, 1) == -1)
			break;
	}
	nomem_pause(false);
	buf_init(&hdr, 4096);
	(void)spf_received_spf(ev, &hdr, &err);
	hit = nomem_disarm();
	buf_fini(&hdr);
	spf_eval_free(ev);
	*res_out = (int)res;
	return hit;
}

START_TEST(test_nomem)
{
	struct spf_params	 p = { eval_cases[_i].ip, eval_cases[_i].from,
				    eval_cases[_i].helo, NULL,
				    SPF_ID_MAILFROM };
	struct spf_eval		*ev;
	struct err		 err;
	enum spf_result		 want;
	long			 n;
	int			 res;

	ck_assert_ptr_nonnull(ev = spf_eval_new(&p, &err));
	want = run(ev, NULL);
	spf_eval_free(ev);
	for (n = 0; n < 10000; n++) {
		if (!nomem_eval((size_t)_i, n, &res))
			break;
		ck_assert_msg(res == -1 || res == (int)want ||
		    res == SPF_TEMPERROR, "%s from %s, allocation %ld: %d",
		    eval_cases[_i].from, eval_cases[_i].ip, n, res);
	}
	ck_assert_int_gt(n, 2);		/* spf_eval_new alone allocates */
	ck_assert_int_eq(res, (int)want);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("spf");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_record, 0,
	    sizeof(rec_cases) / sizeof(rec_cases[0]));
	tcase_add_loop_test(tc, test_record_every_cut, 0,
	    sizeof(rec_cases) / sizeof(rec_cases[0]));
	tcase_add_loop_test(tc, test_macro, 0,
	    sizeof(macro_cases) / sizeof(macro_cases[0]));
	tcase_add_test(tc, test_macro_limits);
	tcase_add_loop_test(tc, test_eval, 0,
	    sizeof(eval_cases) / sizeof(eval_cases[0]));
	tcase_add_loop_test(tc, test_eval_counts, 0,
	    sizeof(count_cases) / sizeof(count_cases[0]));
	tcase_add_test(tc, test_eval_misuse);
	tcase_add_test(tc, test_ptr_limit);
	tcase_add_test(tc, test_long_record);
	tcase_add_test(tc, test_received_spf);
	tcase_add_loop_test(tc, test_nomem, 0,
	    sizeof(eval_cases) / sizeof(eval_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
