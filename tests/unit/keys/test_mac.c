/*
 * test_mac.c: keys/mac.h: HMAC against RFC 2202 and RFC 4231 (test case
 * 2 of each), constant-time comparison, random bytes and wiping; and
 * the keys suite, whose derivation cases are in test_derive.c.
 */
#include <stdio.h>
#include <string.h>

#include "keys/mac.h"
#include "util/err.h"
#include "../unit.h"

TCase	*derive_tcase(void);	/* test_derive.c */

static const struct {
	enum key_hmac	 alg;
	const char	*hex;
} hmac_cases[] = {
	{ KEY_HMAC_SHA1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ KEY_HMAC_SHA224, "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd"
	    "05e44" },
	{ KEY_HMAC_SHA256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839de"
	    "c58b964ec3843" },
	{ KEY_HMAC_SHA384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42"
	    "ec3736322445e8e2240ca5e69e2c78b3239ecfab21649" },
	{ KEY_HMAC_SHA512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd6102"
	    "70cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e0"
	    "70a38bce737" },
};

START_TEST(test_hmac_vectors)
{
	const char	*data = "what do ya want for nothing?";
	uint8_t		 mac[KEY_HMAC_MAX];
	char		 hex[2 * KEY_HMAC_MAX + 1];
	size_t		 n, i;
	struct err	 err;

	ck_assert_int_eq(key_hmac(hmac_cases[_i].alg, "Jefe", 4, data,
	    strlen(data), mac, &n, &err), 0);
	ck_assert_uint_eq(n, key_hmac_len(hmac_cases[_i].alg));
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	ck_assert_str_eq(hex, hmac_cases[_i].hex);
}
END_TEST

START_TEST(test_hmac_unknown)
{
	uint8_t		mac[KEY_HMAC_MAX];
	size_t		n;
	struct err	err;

	ck_assert_uint_eq(key_hmac_len((enum key_hmac)99), 0);
	ck_assert_int_eq(key_hmac((enum key_hmac)99, "k", 1, "d", 1, mac, &n,
	    &err), -1);
	ck_assert_int_eq(err.code, ERR_CRYPTO);
}
END_TEST

START_TEST(test_mem_equal)
{
	ck_assert(key_mem_equal("abcd", "abcd", 4));
	ck_assert(!key_mem_equal("abcd", "abce", 4));
	ck_assert(key_mem_equal("x", "y", 0));
}
END_TEST

START_TEST(test_random_and_wipe)
{
	uint8_t		a[32], b[32], zero[32] = { 0 };
	struct err	err;

	ck_assert_int_eq(key_random(a, sizeof(a), &err), 0);
	ck_assert_int_eq(key_random(b, sizeof(b), &err), 0);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	key_wipe(a, sizeof(a));
	ck_assert(memcmp(a, zero, sizeof(a)) == 0);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("keys");
	TCase	*tc = tcase_create("mac");

	tcase_add_loop_test(tc, test_hmac_vectors, 0,
	    sizeof(hmac_cases) / sizeof(hmac_cases[0]));
	tcase_add_test(tc, test_hmac_unknown);
	tcase_add_test(tc, test_mem_equal);
	tcase_add_test(tc, test_random_and_wipe);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, derive_tcase());
	return s;
}
