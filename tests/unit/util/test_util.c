/*
 * test_util.c: buffers, errors and base64.
 */
#include <stdlib.h>
#include <string.h>

#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"
#include "../unit.h"

static const struct {
	const char	*plain;
	const char	*enc;
} b64_cases[] = {		/* RFC 4648 section 10 */
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(test_b64_roundtrip)
{
	const char	*plain = b64_cases[_i].plain, *enc = b64_cases[_i].enc;
	char		 out[64];
	uint8_t		*dec;
	size_t		 n;
	struct err	 err;

	ck_assert_uint_eq(b64_encode((const uint8_t *)plain, strlen(plain),
	    out), strlen(enc));
	ck_assert_str_eq(out, enc);
	ck_assert_int_eq(b64_decode(enc, strlen(enc), &dec, &n, &err), 0);
	ck_assert_uint_eq(n, strlen(plain));
	ck_assert(memcmp(dec, plain, n) == 0);
	free(dec);
}
END_TEST

START_TEST(test_b64_whitespace_and_errors)
{
	uint8_t		*dec;
	size_t		 n;
	struct err	 err;

	ck_assert_int_eq(b64_decode("Zm9v\r\n YmFy", 11, &dec, &n, &err), 0);
	ck_assert_uint_eq(n, 6);
	free(dec);
	ck_assert_int_eq(b64_decode("Zm9v!", 5, &dec, &n, &err), -1);
	ck_assert_int_eq(err.code, ERR_SYNTAX);
	ck_assert_int_eq(b64_decode("Zm9vY", 5, &dec, &n, &err), -1);
	ck_assert_int_eq(b64_decode("Zg=", 3, &dec, &n, &err), -1);
	ck_assert_int_eq(b64_decode("Zg==Zg==", 8, &dec, &n, &err), -1);
	ck_assert_ptr_null(dec);
}
END_TEST

START_TEST(test_buf_ceiling)
{
	struct buf	b;
	struct err	err;

	buf_init(&b, 8);
	ck_assert_int_eq(buf_adds(&b, "12345", &err), 0);
	ck_assert_int_eq(buf_adds(&b, "6789", &err), -1);
	ck_assert_int_eq(err.code, ERR_LIMIT);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_int_eq(buf_printf(&b, &err, "%d", 678), 0);
	ck_assert_str_eq(b.data, "12345678");
	buf_drop(&b, 3);
	ck_assert_str_eq(b.data, "45678");
	buf_fini(&b);
}
END_TEST

START_TEST(test_err_prefix)
{
	struct err	err;

	err_set(&err, ERR_SYNTAX, "bad %s", "tag");
	err_prefix(&err, "signature %d", 2);
	ck_assert_str_eq(err.msg, "signature 2: bad tag");
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_b64_roundtrip, 0,
	    sizeof(b64_cases) / sizeof(b64_cases[0]));
	tcase_add_test(tc, test_b64_whitespace_and_errors);
	tcase_add_test(tc, test_buf_ceiling);
	tcase_add_test(tc, test_err_prefix);
	suite_add_tcase(s, tc);
	return s;
}
