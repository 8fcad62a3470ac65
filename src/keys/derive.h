/*
 * derive.h: stateless DKIM keys, a pure function of a password, the
 * domain, the selector and the algorithm (docs/interface.md,
 * "Stateless keys: derivation v1"), and the Ed25519 keys of the OCaml
 * nec signer, so that a domain moves to timbre without rotating its keys
 * (docs/seed.md, "nec: the signer").  tests/data/keys/derive-vectors.txt
 * holds known answers computed by an independent script; any change here
 * that alters a key fails tests/unit/keys.
 *
 * Derivation v1:
 *	seed = PBKDF2-HMAC-SHA256(password, "timbre-dkim-v1:" ||
 *	    lowercase(domain) || ":" || selector, 200000 iterations, 32 bytes)
 * - ed25519: the RFC 8032 private key is seed.
 * - rsa, bits B: an HMAC_DRBG (SHA-256, drbg.h) instantiated with entropy
 *   seed, an empty nonce and personalisation "timbre-rsa-" || decimal B.
 *   Each candidate is one generate request of B/16 bytes (no additional
 *   input), read as a big-endian number, with its two top bits and its low
 *   bit then set; it is kept when OpenSSL calls it a probable prime and
 *   65537 does not divide candidate - 1 (65537 is prime: that is
 *   gcd(candidate - 1, 65537) = 1).  p is the first kept, q the next kept
 *   whose top 100 bits differ from p's; p and q are swapped if p < q;
 *   e = 65537, d = e^-1 mod lcm(p - 1, q - 1), the CRT values from those.
 *
 * nec: seed = PBKDF2-HMAC-SHA256(password, domain || ":ptt", iterations =
 * generation, 32 bytes) reseeds a fresh Fortuna generator (drbg.h), whose
 * first 32 bytes are the Ed25519 private key.  nec keeps the domain's case;
 * its password is the bytes its base64 --password decodes to.
 *
 * In both, a final dot of the domain is dropped first ("example.com." is
 * "example.com").  Secrets are wiped before their memory is freed.
 */
#ifndef TIMBRE_KEYS_DERIVE_H
#define TIMBRE_KEYS_DERIVE_H

#include <stddef.h>
#include <stdint.h>

#include "keys/key.h"

struct buf;
struct err;

enum key_derivation {
	KEY_DERIVE_V1 = 1,
	KEY_DERIVE_NEC,
};

#define KEY_DERIVE_V1_ITERATIONS	200000
#define KEY_DERIVE_SEED_LEN		32
#define KEY_DERIVE_RSA_BITS		2048	/* the default */
#define KEY_DERIVE_RSA_MIN_BITS		1024
#define KEY_DERIVE_RSA_MAX_BITS		8192

struct key_derive_params {
	enum key_derivation	 derivation;
	enum key_type		 type;		/* KEY_ED25519 only for nec */
	const uint8_t		*password;	/* borrowed; not wiped */
	size_t			 password_len;	/* at least 1 */
	const char		*domain;	/* a DNS name */
	const char		*selector;	/* v1: a DKIM selector */
	int			 bits;		/* v1 rsa; 0: the default */
	unsigned long		 generation;	/* nec: 1 or more */
};

/*
 * The private key p describes, owned by the caller.  Errors: ERR_ARG for
 * parameters it cannot use (empty password, a domain or selector that is
 * not a DNS name, RSA bits out of KEY_DERIVE_RSA_MIN_BITS to
 * KEY_DERIVE_RSA_MAX_BITS or not a multiple of 16, nec with RSA or
 * generation 0), ERR_NOMEM, ERR_CRYPTO.
 */
struct key	*key_derive(const struct key_derive_params *p, struct err *);

/*
 * The 32-byte seed of derivation v1 to seed_out (which the caller wipes).
 */
int	key_derive_seed_v1(const uint8_t *password, size_t,
	    const char *domain, const char *selector,
	    uint8_t seed_out[KEY_DERIVE_SEED_LEN], struct err *);

/*
 * Is s a DKIM selector (RFC 6376 section 3.1: dot-separated labels of
 * letters, digits and inner hyphens, each starting with a letter or digit,
 * at most 63 bytes, 253 in all)?  Likewise for a domain name, which may
 * also hold underscores and end in one dot.
 */
bool	key_derive_selector_ok(const char *s);
bool	key_derive_domain_ok(const char *s);

/*
 * Appends the DKIM key record of k to out (RFC 6376 section 3.6.1,
 * v=DKIM1 first): "v=DKIM1; k=rsa; p=BASE64" or "v=DKIM1; k=ed25519;
 * p=BASE64".
 */
int	key_dkim_txt(struct key *k, struct buf *out, struct err *);

#endif
