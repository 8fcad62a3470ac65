# src/dkim: RFC 6376 signing and verification.
src_libtimbre_a_SOURCES += src/dkim/dkim.h src/dkim/dkim_priv.h \
	src/dkim/tags.c src/dkim/canon.c src/dkim/sig.c src/dkim/verify.c \
	src/dkim/sign.c

check_PROGRAMS += tests/unit/dkim/check_dkim
TESTS += tests/unit/dkim/check_dkim
tests_unit_dkim_check_dkim_SOURCES = tests/unit/dkim/test_dkim.c
tests_unit_dkim_check_dkim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_dkim_check_dkim_LDADD = $(UNIT_LDADD)
