# src/keys: RSA and Ed25519 keys, SHA-256, HMAC, random bytes, key
# derivation (OpenSSL).
src_libtimbre_a_SOURCES += src/keys/key.c src/keys/key.h src/keys/mac.c \
	src/keys/mac.h src/keys/key_priv.h src/keys/drbg.c src/keys/drbg.h \
	src/keys/derive.c src/keys/derive.h

check_PROGRAMS += tests/unit/keys/check_keys
TESTS += tests/unit/keys/check_keys
tests_unit_keys_check_keys_SOURCES = tests/unit/keys/test_mac.c \
	tests/unit/keys/test_derive.c
tests_unit_keys_check_keys_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_keys_check_keys_LDADD = $(UNIT_LDADD)
