/*
 * mac.c: HMAC, constant-time comparison, random bytes and wiping, over
 * OpenSSL (mac.h).  HMAC() is the one-shot call both OpenSSL 1.1.1
 * (Debian 11) and 3.0 (Debian 12) have.
 */
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "keys/mac.h"
#include "util/err.h"

static const EVP_MD *
hmac_md(enum key_hmac alg)
{
	switch (alg) {
	case KEY_HMAC_SHA1:
		return EVP_sha1();
	case KEY_HMAC_SHA224:
		return EVP_sha224();
	case KEY_HMAC_SHA256:
		return EVP_sha256();
	case KEY_HMAC_SHA384:
		return EVP_sha384();
	case KEY_HMAC_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

size_t
key_hmac_len(enum key_hmac alg)
{
	const EVP_MD	*md = hmac_md(alg);

	return md != NULL ? (size_t)EVP_MD_size(md) : 0;
}

int
key_hmac(enum key_hmac alg, const void *secret, size_t secret_len,
    const void *data, size_t len, uint8_t *mac_out, size_t *mac_len_out,
    struct err *err)
{
	const EVP_MD	*md = hmac_md(alg);
	unsigned int	 n = 0;

	if (md == NULL) {
		err_set(err, ERR_CRYPTO, "hmac: unknown algorithm %d",
		    (int)alg);
		return -1;
	}
	if (secret_len > INT_MAX || HMAC(md, secret, (int)secret_len, data,
	    len, mac_out, &n) == NULL) {
		err_set(err, ERR_CRYPTO, "hmac failed");
		return -1;
	}
	*mac_len_out = n;
	return 0;
}

bool
key_mem_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
key_random(void *p, size_t n, struct err *err)
{
	if (n > INT_MAX || RAND_bytes(p, (int)n) != 1) {
		err_set(err, ERR_CRYPTO, "no random bytes from openssl");
		return -1;
	}
	return 0;
}

void
key_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
