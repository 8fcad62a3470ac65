/*
 * key.c: RSA and Ed25519 keys over OpenSSL's EVP interface, written to the
 * API that OpenSSL 1.1.1 (Debian 11) and 3.0 (Debian 12) both have.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keys/key.h"
#include "keys/key_priv.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

struct key {
	EVP_PKEY	*pkey;
	enum key_type	 type;
	int		 refs;
	bool		 private;
};

struct key_hash {
	EVP_MD_CTX	*ctx;
};

/* The first message in OpenSSL's error queue, which is then cleared. */
static const char *
key_ossl_reason(void)
{
	static const char	*none = "unknown reason";
	unsigned long		 e;
	const char		*r;

	e = ERR_get_error();
	ERR_clear_error();
	if (e == 0 || (r = ERR_reason_error_string(e)) == NULL)
		return none;
	return r;
}

struct key *
key_from_evp_take(EVP_PKEY *pkey, bool private, struct err *err)
{
	struct key	*k;
	enum key_type	 type;

	switch (EVP_PKEY_id(pkey)) {
	case EVP_PKEY_RSA:
		type = KEY_RSA;
		break;
	case EVP_PKEY_ED25519:
		type = KEY_ED25519;
		break;
	default:
		err_set(err, KEY_E_FORMAT, "unsupported key type (only RSA "
		    "and Ed25519 are used by DKIM)");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k->pkey = pkey;
	k->type = type;
	k->refs = 1;
	k->private = private;
	return k;
}

struct key *
key_from_pem(const char *pem, size_t len, struct err *err)
{
	BIO		*bio;
	EVP_PKEY	*pkey;
	bool		 private = true;

	if (len > INT32_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (pkey == NULL) {
		ERR_clear_error();
		(void)BIO_reset(bio);
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		private = false;
	}
	BIO_free(bio);
	if (pkey == NULL) {
		err_set(err, KEY_E_FORMAT, "no PEM private or public key: %s",
		    key_ossl_reason());
		return NULL;
	}
	return key_from_evp_take(pkey, private, err);
}

struct key *
key_load_pem_file(const char *path, struct err *err)
{
	FILE		*f;
	struct buf	 b;
	char		 chunk[4096];
	size_t		 n;
	struct key	*k = NULL;

	if ((f = fopen(path, "r")) == NULL) {
		err_set(err, ERR_IO, "%s: cannot open", path);
		return NULL;
	}
	buf_init(&b, 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&b, chunk, n, err) == -1)
			goto out;
	if (ferror(f)) {
		err_set(err, ERR_IO, "%s: read error", path);
		goto out;
	}
	if ((k = key_from_pem(b.data ? b.data : "", b.len, err)) == NULL)
		err_prefix(err, "%s", path);
out:
	fclose(f);
	buf_fini_secret(&b);
	return k;
}

struct key *
key_from_public(enum key_type type, const uint8_t *der, size_t len,
    struct err *err)
{
	EVP_PKEY		*pkey = NULL;
	const unsigned char	*p;
	struct key		*k;

	if (type == KEY_ED25519) {
		if (len != 32) {
			err_set(err, KEY_E_FORMAT, "ed25519 public key is %zu "
			    "bytes, not 32", len);
			return NULL;
		}
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		    der, len);
	} else if (type == KEY_RSA && len <= INT32_MAX) {
		p = der;
		pkey = d2i_PUBKEY(NULL, &p, (long)len);
		if (pkey != NULL && p != der + len) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		if (pkey == NULL) {
			/* A bare PKCS #1 RSAPublicKey, as some publish. */
			ERR_clear_error();
			p = der;
			pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
			if (pkey != NULL && p != der + len) {
				EVP_PKEY_free(pkey);
				pkey = NULL;
			}
		}
	}
	if (pkey == NULL) {
		err_set(err, KEY_E_FORMAT, "public key data is not a valid %s "
		    "key", key_type_name(type));
		ERR_clear_error();
		return NULL;
	}
	if (EVP_PKEY_id(pkey) == EVP_PKEY_RSA && type != KEY_RSA) {
		EVP_PKEY_free(pkey);
		err_set(err, KEY_E_FORMAT, "public key is not %s",
		    key_type_name(type));
		return NULL;
	}
	if ((k = key_from_evp_take(pkey, false, err)) == NULL)
		return NULL;
	if (k->type != type) {
		err_set(err, KEY_E_FORMAT, "public key is %s, not %s",
		    key_type_name(k->type), key_type_name(type));
		key_free(k);
		return NULL;
	}
	if (type == KEY_RSA && key_bits(k) < KEY_RSA_MIN_VERIFY_BITS) {
		err_set(err, KEY_E_WEAK, "rsa key of %d bits is below the %d "
		    "bits RFC 8301 requires", key_bits(k),
		    KEY_RSA_MIN_VERIFY_BITS);
		key_free(k);
		return NULL;
	}
	return k;
}

struct key *
key_from_ed25519_seed(const uint8_t seed[32], struct err *err)
{
	EVP_PKEY	*pkey;

	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (pkey == NULL) {
		err_set(err, ERR_CRYPTO, "ed25519 key from seed: %s",
		    key_ossl_reason());
		return NULL;
	}
	return key_from_evp_take(pkey, true, err);
}

struct key *
key_ref(struct key *k)
{
	k->refs++;
	return k;
}

void
key_free(struct key *k)
{
	if (k == NULL || --k->refs > 0)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

enum key_type
key_type(const struct key *k)
{
	return k->type;
}

bool
key_is_private(const struct key *k)
{
	return k->private;
}

int
key_bits(const struct key *k)
{
	/* OpenSSL 1.1.1 says 253 for Ed25519, 3.0 says 256: key.h says 256. */
	if (k->type == KEY_ED25519)
		return 256;
	return EVP_PKEY_bits(k->pkey);
}

const char *
key_type_name(enum key_type t)
{
	return t == KEY_ED25519 ? "ed25519" : "rsa";
}

int
key_sign_sha256(struct key *k, const uint8_t digest[KEY_SHA256_LEN],
    uint8_t sig_out[KEY_MAX_SIG], size_t *len_out, struct err *err)
{
	EVP_PKEY_CTX	*pctx = NULL;
	EVP_MD_CTX	*mctx = NULL;
	size_t		 len;
	int		 ok = 0;

	if (!k->private) {
		err_set(err, ERR_ARG, "cannot sign with a public key");
		return -1;
	}
	if ((size_t)EVP_PKEY_size(k->pkey) > KEY_MAX_SIG) {
		err_set(err, ERR_ARG, "key too large to sign with");
		return -1;
	}
	len = KEY_MAX_SIG;
	if (k->type == KEY_RSA) {
		ok = (pctx = EVP_PKEY_CTX_new(k->pkey, NULL)) != NULL &&
		    EVP_PKEY_sign_init(pctx) > 0 &&
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) > 0 &&
		    EVP_PKEY_sign(pctx, sig_out, &len, digest,
		    KEY_SHA256_LEN) > 0;
	} else {
		ok = (mctx = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(mctx, NULL, NULL, NULL, k->pkey) > 0 &&
		    EVP_DigestSign(mctx, sig_out, &len, digest,
		    KEY_SHA256_LEN) > 0;
	}
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(mctx);
	if (!ok) {
		err_set(err, ERR_CRYPTO, "%s signing failed: %s",
		    key_type_name(k->type), key_ossl_reason());
		return -1;
	}
	*len_out = len;
	return 0;
}

int
key_verify_sha256(struct key *k, const uint8_t digest[KEY_SHA256_LEN],
    const uint8_t *sig, size_t siglen, struct err *err)
{
	EVP_PKEY_CTX	*pctx = NULL;
	EVP_MD_CTX	*mctx = NULL;
	int		 rc;

	if (k->type == KEY_RSA) {
		if ((pctx = EVP_PKEY_CTX_new(k->pkey, NULL)) == NULL ||
		    EVP_PKEY_verify_init(pctx) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) <= 0)
			rc = -2;
		else
			rc = EVP_PKEY_verify(pctx, sig, siglen, digest,
			    KEY_SHA256_LEN);
	} else {
		if ((mctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, k->pkey) <= 0)
			rc = -2;
		else
			rc = EVP_DigestVerify(mctx, sig, siglen, digest,
			    KEY_SHA256_LEN);
	}
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	if (rc == 1)
		return 0;
	if (rc == -2)
		err_set(err, ERR_CRYPTO, "%s verification could not start",
		    key_type_name(k->type));
	else
		err_set(err, KEY_E_VERIFY, "signature did not verify");
	return -1;
}

int
key_public_b64(struct key *k, struct buf *out, struct err *err)
{
	unsigned char	*der = NULL;
	uint8_t		 raw[32];
	size_t		 rawlen = sizeof(raw);
	char		*enc;
	int		 n, rc = -1;

	if (k->type == KEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) <= 0) {
			err_set(err, ERR_CRYPTO, "ed25519 public key: %s",
			    key_ossl_reason());
			return -1;
		}
		der = raw;
		n = (int)rawlen;
	} else if ((n = i2d_PUBKEY(k->pkey, &der)) <= 0) {
		err_set(err, ERR_CRYPTO, "rsa public key: %s",
		    key_ossl_reason());
		return -1;
	}
	if ((enc = malloc(b64_encoded_len((size_t)n) + 1)) == NULL)
		err_set(err, ERR_NOMEM, "out of memory");
	else {
		b64_encode(der, (size_t)n, enc);
		rc = buf_adds(out, enc, err);
		free(enc);
	}
	if (der != raw)
		OPENSSL_free(der);
	return rc;
}

int
key_private_pem(struct key *k, struct buf *out, struct err *err)
{
	BIO	*bio;
	char	*p;
	long	 n;
	int	 rc = -1;

	if (!k->private) {
		err_set(err, ERR_ARG, "no private key to write");
		return -1;
	}
	/* A secure-memory BIO: its buffer is wiped when freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		return -1;
	}
	if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL,
	    NULL) <= 0 || (n = BIO_get_mem_data(bio, &p)) <= 0)
		err_set(err, ERR_CRYPTO, "%s private key to pem: %s",
		    key_type_name(k->type), key_ossl_reason());
	else
		rc = buf_add(out, p, (size_t)n, err);
	BIO_free(bio);
	return rc;
}

void
key_sha256(const void *p, size_t n, uint8_t out[KEY_SHA256_LEN])
{
	unsigned int	len = KEY_SHA256_LEN;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

struct key_hash *
key_hash_new(struct err *err)
{
	struct key_hash	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) <= 0) {
		err_set(err, ERR_NOMEM, "sha-256 context: out of memory");
		key_hash_free(h);
		return NULL;
	}
	return h;
}

void
key_hash_update(struct key_hash *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->ctx, p, n);
}

void
key_hash_final(struct key_hash *h, uint8_t out[KEY_SHA256_LEN])
{
	unsigned int	len = KEY_SHA256_LEN;

	EVP_DigestFinal_ex(h->ctx, out, &len);
}

void
key_hash_free(struct key_hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}
