/*
 * sshkey.c: SSH keys for the git transport and timbre keygen: generation
 * (OpenSSL), the one-line "TYPE:BASE64" form of docs/interface.md, the OpenSSH
 * public key line and the private key text (OpenSSH or PEM) the SSH
 * transport (ssh.c) hands libssh.
 *
 * The SSH wire encodings (RFC 4253 section 6.6, RFC 8709 for Ed25519,
 * and the "openssh-key-v1" container of OpenSSH's PROTOCOL.key) are
 * written here rather than through libssh, whose API cannot build an
 * Ed25519 key from its 32 bytes on libssh 0.9.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "git/repo.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"

#define SSHKEY_MAX	16384

static int
put_u32(struct buf *b, uint32_t v, struct err *err)
{
	uint8_t	p[4] = { v >> 24, v >> 16, v >> 8, v };

	return buf_add(b, p, 4, err);
}

static int
put_str(struct buf *b, const void *p, size_t n, struct err *err)
{
	if (put_u32(b, n, err) == -1)
		return -1;
	return buf_add(b, p, n, err);
}

/* Reads a DER length at *p; -1 if it does not fit in end. */
static long
der_len(const uint8_t **p, const uint8_t *end)
{
	long	len = 0;
	int	n;

	if (*p >= end)
		return -1;
	if (**p < 0x80)
		return *(*p)++;
	n = *(*p)++ & 0x7f;
	if (n > 3 || end - *p < n)
		return -1;
	while (n-- > 0)
		len = len << 8 | *(*p)++;
	return len > end - *p ? -1 : len;
}

/* The DER INTEGER contents at *p, which are already an SSH mpint. */
static int
der_int(const uint8_t **p, const uint8_t *end, const uint8_t **v,
    long *n)
{
	if (*p >= end || *(*p)++ != 0x02 || (*n = der_len(p, end)) < 0)
		return -1;
	*v = *p;
	*p += *n;
	return 0;
}

/* The public key blob: string type, then the key (RFC 4253, RFC 8709). */
static int
public_blob(EVP_PKEY *pk, struct buf *b, struct err *err)
{
	uint8_t		 raw[32], *der = NULL, *q;
	const uint8_t	*p, *end, *n, *e;
	size_t		 rawlen = sizeof(raw);
	long		 nlen, elen;
	int		 len, rc = -1;

	if (EVP_PKEY_id(pk) == EVP_PKEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1) {
			err_set(err, ERR_CRYPTO, "ed25519 public key");
			return -1;
		}
		if (put_str(b, "ssh-ed25519", 11, err) == -1 ||
		    put_str(b, raw, rawlen, err) == -1)
			return -1;
		return 0;
	}
	/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, exponent INTEGER } */
	if ((len = i2d_PublicKey(pk, NULL)) <= 0 ||
	    (der = malloc(len)) == NULL) {
		err_set(err, ERR_CRYPTO, "rsa public key");
		return -1;
	}
	q = der;
	i2d_PublicKey(pk, &q);
	p = der;
	end = der + len;
	if (p >= end || *p++ != 0x30 || der_len(&p, end) < 0 ||
	    der_int(&p, end, &n, &nlen) == -1 ||
	    der_int(&p, end, &e, &elen) == -1) {
		err_set(err, ERR_CRYPTO, "rsa public key encoding");
		goto out;
	}
	if (put_str(b, "ssh-rsa", 7, err) == -1 ||
	    put_str(b, e, elen, err) == -1 || put_str(b, n, nlen, err) == -1)
		goto out;
	rc = 0;
out:
	free(der);
	return rc;
}

void *
repo_sshkey_generate(enum repo_keytype type, int bits, struct err *err)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pk = NULL;

	ctx = EVP_PKEY_CTX_new_id(type == REPO_KEY_RSA ? EVP_PKEY_RSA :
	    EVP_PKEY_ED25519, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    (type == REPO_KEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) != 1) ||
	    EVP_PKEY_keygen(ctx, &pk) != 1) {
		err_set(err, ERR_CRYPTO, "key generation failed");
		pk = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

void *
repo_sshkey_parse(const char *s, struct err *err)
{
	const char		*colon;
	const unsigned char	*p;
	uint8_t			*raw = NULL;
	size_t			 len = 0, tl;
	EVP_PKEY		*pk = NULL;

	if ((colon = strchr(s, ':')) == NULL) {
		err_set(err, REPO_E_KEY, "ssh key: expected TYPE:BASE64");
		return NULL;
	}
	tl = colon - s;
	if (b64_decode(colon + 1, strlen(colon + 1), &raw, &len, err) == -1) {
		err_prefix(err, "ssh key");
		err->code = REPO_E_KEY;
		return NULL;
	}
	if (tl == 7 && strncasecmp(s, "ed25519", 7) == 0) {
		if (len != 32)
			err_set(err, REPO_E_KEY,
			    "ssh key: ed25519 key is %zu bytes, not 32", len);
		else if ((pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519,
		    NULL, raw, len)) == NULL)
			err_set(err, REPO_E_KEY, "ssh key: bad ed25519 key");
	} else if (tl == 3 && strncasecmp(s, "rsa", 3) == 0) {
		p = raw;
		if ((pk = d2i_AutoPrivateKey(NULL, &p, len)) == NULL ||
		    EVP_PKEY_id(pk) != EVP_PKEY_RSA) {
			EVP_PKEY_free(pk);
			pk = NULL;
			err_set(err, REPO_E_KEY, "ssh key: rsa key is not a "
			    "DER private key (rsa seeds of awa_gen_key are "
			    "not supported)");
		}
	} else
		err_set(err, REPO_E_KEY, "ssh key: unknown type \"%.*s\" "
		    "(ed25519 or rsa)", (int)(tl > 20 ? 20 : tl), s);
	if (raw != NULL) {
		OPENSSL_cleanse(raw, len);
		free(raw);
	}
	return pk;
}

void
repo_sshkey_free(void *pk)
{
	EVP_PKEY_free(pk);
}

int
repo_sshkey_private_text(void *key, struct buf *b, struct err *err)
{
	EVP_PKEY	*pk = key;
	uint8_t		 raw[32], *der = NULL, *q;
	size_t		 rawlen = sizeof(raw);
	char		*out;
	int		 len, rc = -1;

	if (EVP_PKEY_id(pk) == EVP_PKEY_ED25519) {
		if (EVP_PKEY_get_raw_private_key(pk, raw, &rawlen) != 1) {
			err_set(err, ERR_CRYPTO, "ed25519 private key");
			return -1;
		}
		if ((out = malloc(b64_encoded_len(rawlen) + 1)) == NULL) {
			err_set(err, ERR_NOMEM, "out of memory");
			return -1;
		}
		b64_encode(raw, rawlen, out);
		rc = buf_printf(b, err, "ed25519:%s", out);
		OPENSSL_cleanse(raw, sizeof(raw));
		OPENSSL_cleanse(out, strlen(out));
		free(out);
		return rc;
	}
	if ((len = i2d_PrivateKey(pk, NULL)) <= 0 ||
	    (der = malloc(len)) == NULL ||
	    (out = malloc(b64_encoded_len(len) + 1)) == NULL) {
		free(der);
		err_set(err, ERR_CRYPTO, "rsa private key");
		return -1;
	}
	q = der;
	i2d_PrivateKey(pk, &q);
	b64_encode(der, len, out);
	rc = buf_printf(b, err, "rsa:%s", out);
	OPENSSL_cleanse(der, len);
	OPENSSL_cleanse(out, strlen(out));
	free(der);
	free(out);
	return rc;
}

int
repo_sshkey_public_line(void *key, const char *comment, struct buf *b,
    struct err *err)
{
	struct buf	 blob;
	char		*out;
	int		 rc = -1;

	buf_init(&blob, SSHKEY_MAX);
	if (public_blob(key, &blob, err) == -1)
		goto done;
	if ((out = malloc(b64_encoded_len(blob.len) + 1)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	b64_encode((uint8_t *)blob.data, blob.len, out);
	rc = buf_printf(b, err, "%s %s%s%s",
	    EVP_PKEY_id(key) == EVP_PKEY_ED25519 ? "ssh-ed25519" : "ssh-rsa",
	    out, comment != NULL ? " " : "", comment != NULL ? comment : "");
	free(out);
done:
	buf_fini(&blob);
	return rc;
}

/* OpenSSH's own container (PROTOCOL.key), unencrypted. */
static int
openssh_ed25519(EVP_PKEY *pk, struct buf *out, struct err *err)
{
	struct buf	 blob, priv, all;
	uint8_t		 seed[32], pub[32], sk[64];
	size_t		 l1 = 32, l2 = 32, i;
	uint32_t	 check;
	char		*b64 = NULL;
	int		 rc = -1;

	buf_init(&blob, SSHKEY_MAX);
	buf_init(&priv, SSHKEY_MAX);
	buf_init(&all, SSHKEY_MAX);
	if (EVP_PKEY_get_raw_private_key(pk, seed, &l1) != 1 ||
	    EVP_PKEY_get_raw_public_key(pk, pub, &l2) != 1 ||
	    RAND_bytes((uint8_t *)&check, sizeof(check)) != 1) {
		err_set(err, ERR_CRYPTO, "ed25519 key");
		goto done;
	}
	memcpy(sk, seed, 32);
	memcpy(sk + 32, pub, 32);
	if (public_blob(pk, &blob, err) == -1 ||
	    put_u32(&priv, check, err) == -1 ||
	    put_u32(&priv, check, err) == -1 ||
	    put_str(&priv, "ssh-ed25519", 11, err) == -1 ||
	    put_str(&priv, pub, 32, err) == -1 ||
	    put_str(&priv, sk, 64, err) == -1 ||
	    put_str(&priv, "timbre", 6, err) == -1)
		goto done;
	for (i = 1; priv.len % 8 != 0; i++)
		if (buf_addc(&priv, (char)i, err) == -1)
			goto done;
	if (buf_add(&all, "openssh-key-v1", 15, err) == -1 ||
	    put_str(&all, "none", 4, err) == -1 ||
	    put_str(&all, "none", 4, err) == -1 ||
	    put_str(&all, "", 0, err) == -1 || put_u32(&all, 1, err) == -1 ||
	    put_str(&all, blob.data, blob.len, err) == -1 ||
	    put_str(&all, priv.data, priv.len, err) == -1)
		goto done;
	if ((b64 = malloc(b64_encoded_len(all.len) + 1)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	b64_encode((uint8_t *)all.data, all.len, b64);
	if (buf_adds(out, "-----BEGIN OPENSSH PRIVATE KEY-----\n", err) == -1)
		goto done;
	for (i = 0; i < strlen(b64); i += 70)
		if (buf_printf(out, err, "%.70s\n", b64 + i) == -1)
			goto done;
	if (buf_adds(out, "-----END OPENSSH PRIVATE KEY-----\n", err) == -1)
		goto done;
	rc = 0;
done:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(sk, sizeof(sk));
	if (b64 != NULL) {
		OPENSSL_cleanse(b64, strlen(b64));
		free(b64);
	}
	buf_fini(&blob);
	buf_fini_secret(&priv);
	buf_fini_secret(&all);
	return rc;
}

int
repo_sshkey_file_text(void *key, struct buf *out, struct err *err)
{
	EVP_PKEY	*pk = key;
	BIO		*bio = NULL;
	char		*mem;
	long		 n;
	int		 rc = -1;

	if (EVP_PKEY_id(pk) == EVP_PKEY_ED25519)
		return openssh_ed25519(pk, out, err);
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL,
	    NULL) != 1 || (n = BIO_get_mem_data(bio, &mem)) <= 0)
		err_set(err, ERR_CRYPTO, "rsa key: cannot write PEM");
	else
		rc = buf_add(out, mem, n, err);
	if (bio != NULL) {
		/* The PEM text is the private key: wipe the BIO's copy. */
		if ((n = BIO_get_mem_data(bio, &mem)) > 0)
			OPENSSL_cleanse(mem, n);
		BIO_free(bio);
	}
	return rc;
}

void
repo_fingerprint(const uint8_t sha256[32], char out[60])
{
	size_t	n;

	memcpy(out, "SHA256:", 7);
	n = b64_encode(sha256, 32, out + 7);
	while (n > 0 && out[7 + n - 1] == '=')
		out[7 + --n] = '\0';
}
