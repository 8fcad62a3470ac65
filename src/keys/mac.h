/*
 * mac.h: the small pieces of OpenSSL the rest of timbre needs beside
 * keys: HMAC (RFC 2104) for TSIG (RFC 8945) and hashed known_hosts
 * entries, comparison in constant time, random bytes from the CSPRNG
 * (TSIG secrets, DNS IDs and source ports), and wiping secrets.  Kept
 * here so that OpenSSL stays in keys/ (docs/style.md section 1).
 */
#ifndef TIMBRE_KEYS_MAC_H
#define TIMBRE_KEYS_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

enum key_hmac {
	KEY_HMAC_SHA1 = 1,
	KEY_HMAC_SHA224,
	KEY_HMAC_SHA256,
	KEY_HMAC_SHA384,
	KEY_HMAC_SHA512,
};

#define KEY_HMAC_MAX	64	/* bytes: SHA-512 */

/* The MAC's length in bytes (0 for an unknown algorithm). */
size_t	key_hmac_len(enum key_hmac);
/* HMAC of data under secret; mac_out has KEY_HMAC_MAX bytes of room. */
int	key_hmac(enum key_hmac, const void *secret, size_t secret_len,
	    const void *data, size_t len, uint8_t *mac_out,
	    size_t *mac_len_out, struct err *);
/* Are the n bytes equal?  Takes the same time whatever they hold. */
bool	key_mem_equal(const void *, const void *, size_t n);
/* n random bytes from OpenSSL's CSPRNG; -1 (ERR_CRYPTO) if it has no
 * entropy to give. */
int	key_random(void *, size_t n, struct err *);
/* Overwrites n bytes in a way the compiler keeps. */
void	key_wipe(void *, size_t n);

#endif
