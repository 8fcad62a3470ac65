/*
 * test_names.c: list names, domains and addresses in their normal form,
 * and the ones refused, from tables.
 */
#include <string.h>

#include "util/err.h"
#include "test_store.h"

static const struct {
	const char	*in;
	const char	*out;		/* NULL: refused */
} names[] = {
	{ "dev", "dev" },
	{ "Dev-Team", "dev-team" },
	{ "a.b_c-1", "a.b_c-1" },
	{ "9lives", "9lives" },
	{ "dev-subscriber", "dev-subscriber" },	/* not a suffix */
	{ "owner", "owner" },			/* no '-' before it */
	{ "", NULL },
	{ "-dev", NULL },
	{ "_dev", NULL },
	{ ".dev", NULL },
	{ "dev.", NULL },
	{ "dev-", NULL },
	{ "dev_", NULL },
	{ "a..b", NULL },
	{ "dev+x", NULL },
	{ "dev@x", NULL },
	{ "d\xc3\xa9v", NULL },
	{ "dev-owner", NULL },
	{ "dev-Subscribe", NULL },
	{ "dev-unsubscribe", NULL },
	{ "dev-subscribers", NULL },
	{ "dev-help", NULL },
	{ "dev-bounces", NULL },
	{ "dev-digest", NULL },
	{ "abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh", /* 48 */
	  "abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh" },
	{ "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghi", NULL },
};

START_TEST(test_name)
{
	char		out[STORE_NAME_MAX + 1];
	struct err	err;
	int		rc;

	rc = store_name_normalize(names[_i].in, out, &err);
	if (names[_i].out == NULL) {
		ck_assert_msg(rc == -1, "%s accepted", names[_i].in);
		ck_assert_int_eq(err.code, STORE_E_NAME);
	} else {
		ck_assert_msg(rc == 0, "%s: %s", names[_i].in, err.msg);
		ck_assert_str_eq(out, names[_i].out);
	}
}
END_TEST

static const struct {
	const char	*in;
	const char	*out;
} addrs[] = {
	{ "bob@example.org", "bob@example.org" },
	{ "Bob.Smith@Example.ORG", "Bob.Smith@example.org" },
	{ "bob@example.org.", "bob@example.org" },
	{ "b+tag@mail-1.example.org", "b+tag@mail-1.example.org" },
	{ "!#$%&'*+-/=?^_`{|}~@x.y", "!#$%&'*+-/=?^_`{|}~@x.y" },
	{ "bob@localhost", "bob@localhost" },
	{ "bob@123.example", "bob@123.example" },
	{ "", NULL },
	{ "bob", NULL },
	{ "@example.org", NULL },
	{ "bob@", NULL },
	{ "bob@.", NULL },
	{ ".bob@example.org", NULL },
	{ "bob.@example.org", NULL },
	{ "b..b@example.org", NULL },
	{ "\"bob\"@example.org", NULL },
	{ "bob smith@example.org", NULL },
	{ "b@b@example.org", NULL },
	{ "<bob@example.org>", NULL },
	{ "bob@[192.0.2.1]", NULL },
	{ "bob@-example.org", NULL },
	{ "bob@example-.org", NULL },
	{ "bob@exa_mple.org", NULL },
	{ "bob@example..org", NULL },
	{ "b\xc3\xb6" "b@example.org", NULL },
	{ "bob@ex\xc3\xa4" "mple.org", NULL },
	/* 64 bytes of local part, then 65. */
	{ "0123456789012345678901234567890123456789012345678901234567890123"
	  "@x.org",
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "@x.org" },
	{ "01234567890123456789012345678901234567890123456789012345678901234"
	  "@x.org", NULL },
	/* A label of 63, then 64. */
	{ "a@012345678901234567890123456789012345678901234567890123456789012"
	  ".org",
	  "a@012345678901234567890123456789012345678901234567890123456789012"
	  ".org" },
	{ "a@0123456789012345678901234567890123456789012345678901234567890123"
	  ".org", NULL },
};

START_TEST(test_addr)
{
	char		out[STORE_ADDR_MAX + 1];
	struct err	err;
	int		rc;

	rc = store_addr_normalize(addrs[_i].in, out, &err);
	if (addrs[_i].out == NULL) {
		ck_assert_msg(rc == -1, "%s accepted", addrs[_i].in);
		ck_assert_int_eq(err.code, STORE_E_ADDR);
		ck_assert_msg(strncmp(err.msg, "address \"", 9) == 0, "%s",
		    err.msg);
	} else {
		ck_assert_msg(rc == 0, "%s: %s", addrs[_i].in, err.msg);
		ck_assert_str_eq(out, addrs[_i].out);
	}
}
END_TEST

/* 255 bytes in all is one too many, however it is split. */
START_TEST(test_addr_too_long)
{
	char		in[300], out[STORE_ADDR_MAX + 1];
	struct err	err;
	size_t		i;

	memset(in, 'a', sizeof(in));
	in[0] = 'b';
	in[1] = '@';
	for (i = 64; i < 255; i += 64)
		in[i] = '.';
	in[254] = '\0';
	ck_assert_msg(store_addr_normalize(in, out, &err) == 0, "%s",
	    err.msg);
	in[254] = 'a';
	in[255] = '\0';
	ck_assert_int_eq(store_addr_normalize(in, out, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_ADDR);
}
END_TEST

START_TEST(test_domain)
{
	char		out[STORE_DOMAIN_MAX + 1];
	struct err	err;

	ck_assert_int_eq(store_domain_normalize("Lists.Example.ORG.", out,
	    &err), 0);
	ck_assert_str_eq(out, "lists.example.org");
	ck_assert_int_eq(store_domain_normalize("", out, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_DOMAIN);
	ck_assert_int_eq(store_domain_normalize(".", out, &err), -1);
	ck_assert_int_eq(store_domain_normalize("a b.org", out, &err), -1);
	ck_assert_int_eq(store_domain_normalize("example.org..", out, &err),
	    -1);
}
END_TEST

START_TEST(test_enums)
{
	enum store_posting	p;

	ck_assert_int_eq(store_posting_parse("moderated", &p), 0);
	ck_assert_int_eq(p, STORE_POST_MODERATED);
	ck_assert_str_eq(store_posting_name(STORE_POST_OPEN), "open");
	ck_assert_int_eq(store_posting_parse("Open", &p), -1);
	ck_assert_str_eq(store_sub_state_name(STORE_SUB_PROBING), "probing");
}
END_TEST

TCase *
tc_names(void)
{
	TCase	*tc = tcase_create("names");

	tcase_add_loop_test(tc, test_name, 0, sizeof(names) / sizeof(names[0]));
	tcase_add_loop_test(tc, test_addr, 0, sizeof(addrs) / sizeof(addrs[0]));
	tcase_add_test(tc, test_addr_too_long);
	tcase_add_test(tc, test_domain);
	tcase_add_test(tc, test_enums);
	return tc;
}
