/*
 * key.h: signing and verification keys, as timbre's DKIM and ARC code
 * sees them: RSA (RFC 8301: 1024 bits at least to verify, 2048 or more to
 * sign by default) and Ed25519 (RFC 8463).  The one place besides TLS where
 * timbre touches OpenSSL's key types; callers see struct key only.
 *
 * Signatures are over a SHA-256 digest the caller computed: RSA signs it
 * with PKCS #1 v1.5 (DigestInfo for SHA-256), Ed25519 signs the 32 digest
 * bytes as its message, which is what "ed25519-sha256" means (RFC 8463
 * section 3).  Keys are reference counted; private material is wiped by
 * OpenSSL when the last reference goes.
 */
#ifndef TIMBRE_KEYS_KEY_H
#define TIMBRE_KEYS_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;

enum key_error {
	KEY_E_FORMAT = 300,	/* not a key we understand */
	KEY_E_WEAK,		/* RSA modulus below the accepted minimum */
	KEY_E_VERIFY,		/* the signature does not verify */
};

enum key_type {
	KEY_RSA = 1,
	KEY_ED25519,
};

#define KEY_RSA_MIN_VERIFY_BITS	1024	/* RFC 8301 section 3.2 */
#define KEY_SHA256_LEN		32
#define KEY_MAX_SIG		1024	/* bytes: RSA-8192 */

struct key;

/* A private (or public) key from a PEM file (PKCS #8, traditional RSA or
 * SubjectPublicKeyInfo); the error names the file. */
struct key	*key_load_pem_file(const char *path, struct err *);
struct key	*key_from_pem(const char *, size_t, struct err *);
/*
 * A public key from the decoded p= of a DKIM key record: for KEY_RSA a DER
 * SubjectPublicKeyInfo (or, as many publishers do, a bare RSAPublicKey),
 * for KEY_ED25519 the 32 raw bytes.  RSA keys shorter than
 * KEY_RSA_MIN_VERIFY_BITS fail with KEY_E_WEAK.
 */
struct key	*key_from_public(enum key_type, const uint8_t *, size_t,
		    struct err *);
/* An Ed25519 private key from its 32-byte seed (RFC 8032). */
struct key	*key_from_ed25519_seed(const uint8_t seed[32], struct err *);
struct key	*key_ref(struct key *);
void		 key_free(struct key *);

enum key_type	 key_type(const struct key *);
bool		 key_is_private(const struct key *);
/* RSA modulus bits, 256 for Ed25519. */
int		 key_bits(const struct key *);
const char	*key_type_name(enum key_type);	/* "rsa", "ed25519" */

/* Signs a SHA-256 digest; *len_out <= KEY_MAX_SIG bytes in sig_out. */
int	key_sign_sha256(struct key *, const uint8_t digest[KEY_SHA256_LEN],
	    uint8_t sig_out[KEY_MAX_SIG], size_t *len_out, struct err *);
/* 0 if sig is a valid signature of the digest; -1 with KEY_E_VERIFY (or
 * another error) otherwise. */
int	key_verify_sha256(struct key *, const uint8_t digest[KEY_SHA256_LEN],
	    const uint8_t *sig, size_t siglen, struct err *);
/* Appends the public key as DKIM's p= wants it, in base64: the DER
 * SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519. */
int	key_public_b64(struct key *, struct buf *out, struct err *);

/*
 * Appends the private key as an unencrypted PKCS #8 PEM ("-----BEGIN
 * PRIVATE KEY-----"), which key_from_pem reads back.  It is a secret: the
 * caller wipes out (buf_fini_secret).  ERR_ARG for a public key.
 */
int	key_private_pem(struct key *, struct buf *out, struct err *);

/* SHA-256 of data, one shot. */
void	key_sha256(const void *, size_t, uint8_t out[KEY_SHA256_LEN]);

/*
 * Streaming SHA-256 for body hashes: a thin wrapper so that modules other
 * than this one need no OpenSSL header.
 */
struct key_hash;
struct key_hash	*key_hash_new(struct err *);
void		 key_hash_update(struct key_hash *, const void *, size_t);
void		 key_hash_final(struct key_hash *, uint8_t out[KEY_SHA256_LEN]);
void		 key_hash_free(struct key_hash *);

#endif
