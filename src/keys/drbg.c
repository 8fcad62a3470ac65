/*
 * drbg.c: HMAC_DRBG (NIST SP 800-90A rev. 1, section 10.1.2, SHA-256)
 * and mirage-crypto's Fortuna generator, over OpenSSL's HMAC, SHA-256 and
 * AES-256-CTR (drbg.h).  The step numbers in comments are the standard's.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "keys/drbg.h"
#include "util/err.h"

/* HMAC(K, V || sep || a || b || c), sep left out when it is -1. */
static int
drbg_hmac(const uint8_t K[KEY_DRBG_OUTLEN], const uint8_t V[KEY_DRBG_OUTLEN],
    int sep, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    const uint8_t *c, size_t clen, uint8_t out[KEY_DRBG_OUTLEN])
{
	uint8_t		msg[KEY_DRBG_OUTLEN + 1 + KEY_DRBG_MAX_INPUT];
	uint8_t		mac[KEY_DRBG_OUTLEN];
	size_t		n = 0;
	unsigned int	len = KEY_DRBG_OUTLEN;
	int		ok;

	if (alen + blen + clen > KEY_DRBG_MAX_INPUT)
		return -1;
	memcpy(msg, V, KEY_DRBG_OUTLEN);
	n = KEY_DRBG_OUTLEN;
	if (sep >= 0)
		msg[n++] = (uint8_t)sep;
	if (alen > 0)
		memcpy(msg + n, a, alen);
	n += alen;
	if (blen > 0)
		memcpy(msg + n, b, blen);
	n += blen;
	if (clen > 0)
		memcpy(msg + n, c, clen);
	n += clen;
	/* out may be K or V: the MAC goes through mac. */
	ok = HMAC(EVP_sha256(), K, KEY_DRBG_OUTLEN, msg, n, mac, &len) != NULL;
	if (ok)
		memcpy(out, mac, KEY_DRBG_OUTLEN);
	OPENSSL_cleanse(msg, n);
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok ? 0 : -1;
}

/* HMAC_DRBG_Update (10.1.2.2); provided_data = a || b || c. */
static int
drbg_update(struct key_hmac_drbg *d, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, const uint8_t *c, size_t clen)
{
	/* 1. K = HMAC(K, V || 0x00 || provided_data). */
	if (drbg_hmac(d->K, d->V, 0x00, a, alen, b, blen, c, clen, d->K) == -1)
		return -1;
	/* 2. V = HMAC(K, V). */
	if (drbg_hmac(d->K, d->V, -1, NULL, 0, NULL, 0, NULL, 0, d->V) == -1)
		return -1;
	/* 3. If provided_data = Null, return K and V. */
	if (alen + blen + clen == 0)
		return 0;
	/* 4. K = HMAC(K, V || 0x01 || provided_data). */
	if (drbg_hmac(d->K, d->V, 0x01, a, alen, b, blen, c, clen, d->K) == -1)
		return -1;
	/* 5. V = HMAC(K, V). */
	return drbg_hmac(d->K, d->V, -1, NULL, 0, NULL, 0, NULL, 0, d->V);
}

int
key_hmac_drbg_init(struct key_hmac_drbg *d, const uint8_t *entropy,
    size_t elen, const uint8_t *nonce, size_t nlen, const uint8_t *pers,
    size_t plen, struct err *err)
{
	if (elen > KEY_DRBG_MAX_INPUT || nlen > KEY_DRBG_MAX_INPUT ||
	    plen > KEY_DRBG_MAX_INPUT || elen + nlen + plen >
	    KEY_DRBG_MAX_INPUT) {
		err_set(err, ERR_ARG, "hmac_drbg: seed material longer than "
		    "%d bytes", KEY_DRBG_MAX_INPUT);
		return -1;
	}
	/* 1. seed_material = entropy_input || nonce || personalization. */
	/* 2. Key = 0x00 00...00. */
	memset(d->K, 0x00, sizeof(d->K));
	/* 3. V = 0x01 01...01. */
	memset(d->V, 0x01, sizeof(d->V));
	/* 4. (Key, V) = HMAC_DRBG_Update(seed_material, Key, V). */
	if (drbg_update(d, entropy, elen, nonce, nlen, pers, plen) == -1) {
		err_set(err, ERR_CRYPTO, "hmac_drbg: hmac failed");
		key_hmac_drbg_fini(d);
		return -1;
	}
	/* 5. reseed_counter = 1. */
	d->reseed_counter = 1;
	return 0;
}

int
key_hmac_drbg_generate(struct key_hmac_drbg *d, uint8_t *out, size_t n,
    const uint8_t *adin, size_t alen, struct err *err)
{
	size_t	off, take;

	if (n > KEY_DRBG_MAX_REQUEST || alen > KEY_DRBG_MAX_INPUT) {
		err_set(err, ERR_ARG, "hmac_drbg: request too large");
		return -1;
	}
	/*
	 * 1. The reseed counter cannot reach 2^48 here: derivation makes a
	 * few thousand requests of one instance.
	 */
	/* 2. If additional_input != Null, update with it. */
	if (alen > 0 && drbg_update(d, adin, alen, NULL, 0, NULL, 0) == -1)
		goto fail;
	/* 3.-4. While len(temp) < requested: V = HMAC(K, V); temp ||= V. */
	for (off = 0; off < n; off += take) {
		if (drbg_hmac(d->K, d->V, -1, NULL, 0, NULL, 0, NULL, 0,
		    d->V) == -1)
			goto fail;
		take = n - off < KEY_DRBG_OUTLEN ? n - off : KEY_DRBG_OUTLEN;
		/* 5. returned_bits = leftmost bits of temp. */
		memcpy(out + off, d->V, take);
	}
	/* 6. (Key, V) = HMAC_DRBG_Update(additional_input, Key, V). */
	if (drbg_update(d, adin, alen, NULL, 0, NULL, 0) == -1)
		goto fail;
	/* 7. reseed_counter += 1. */
	d->reseed_counter++;
	return 0;
fail:
	OPENSSL_cleanse(out, n);
	err_set(err, ERR_CRYPTO, "hmac_drbg: hmac failed");
	return -1;
}

void
key_hmac_drbg_fini(struct key_hmac_drbg *d)
{
	OPENSSL_cleanse(d, sizeof(*d));
}

void
key_fortuna_init(struct key_fortuna *f)
{
	memset(f, 0, sizeof(*f));
}

/* The counter as a 128-bit big-endian number, plus n. */
static void
fortuna_add_ctr(struct key_fortuna *f, uint64_t n)
{
	int	i;

	for (i = 15; i >= 0 && n > 0; i--) {
		n += f->ctr[i];
		f->ctr[i] = (uint8_t)n;
		n >>= 8;
	}
}

int
key_fortuna_reseed(struct key_fortuna *f, const uint8_t *seed, size_t n,
    struct err *err)
{
	EVP_MD_CTX	*ctx;
	uint8_t		 h[32];
	unsigned int	 len = sizeof(h);
	int		 ok;

	/* key := SHAd256(key || seed) = SHA-256(SHA-256(key || seed)). */
	ok = (ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) > 0 &&
	    EVP_DigestUpdate(ctx, f->key, sizeof(f->key)) > 0 &&
	    EVP_DigestUpdate(ctx, seed, n) > 0 &&
	    EVP_DigestFinal_ex(ctx, h, &len) > 0 &&
	    EVP_Digest(h, sizeof(h), f->key, &len, EVP_sha256(), NULL) > 0;
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(h, sizeof(h));
	if (!ok) {
		err_set(err, ERR_CRYPTO, "fortuna: sha-256 failed");
		return -1;
	}
	fortuna_add_ctr(f, 1);
	return 0;
}

int
key_fortuna_generate(struct key_fortuna *f, uint8_t *out, size_t n,
    struct err *err)
{
	static const uint8_t	 zero[64];
	EVP_CIPHER_CTX		*ctx;
	uint8_t			 tail[64];
	size_t			 blocks, off, take, pad;
	int			 len, ok;

	if (n > 65536) {
		err_set(err, ERR_ARG, "fortuna: request too large");
		return -1;
	}
	if (n == 0)
		return 0;	/* as mirage-crypto: no draw, no new key */
	blocks = (n + 15) / 16 + 2;
	pad = (n + 15) / 16 * 16 - n;
	ok = (ctx = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, f->key,
	    f->ctr) > 0;
	/* The keystream: n bytes out, the rest of the last block dropped,
	 * then two blocks that become the next key. */
	for (off = 0; ok && off < n; off += take) {
		take = n - off < sizeof(zero) ? n - off : sizeof(zero);
		ok = EVP_EncryptUpdate(ctx, out + off, &len, zero,
		    (int)take) > 0 && (size_t)len == take;
	}
	ok = ok && EVP_EncryptUpdate(ctx, tail, &len, zero,
	    (int)(pad + 32)) > 0 && (size_t)len == pad + 32;
	EVP_CIPHER_CTX_free(ctx);
	if (ok)
		memcpy(f->key, tail + pad, 32);
	OPENSSL_cleanse(tail, sizeof(tail));
	if (!ok) {
		OPENSSL_cleanse(out, n);
		err_set(err, ERR_CRYPTO, "fortuna: aes-256-ctr failed");
		return -1;
	}
	fortuna_add_ctr(f, blocks);
	return 0;
}

void
key_fortuna_fini(struct key_fortuna *f)
{
	OPENSSL_cleanse(f, sizeof(*f));
}
