# src/dkim: RFC 6376 signing and verification.
src_libtimbre_a_SOURCES += src/dkim/dkim.h src/dkim/dkim_priv.h \
	src/dkim/tags.c src/dkim/canon.c src/dkim/sig.c src/dkim/verify.c \
	src/dkim/sign.c

check_PROGRAMS += tests/unit/dkim/check_dkim
TESTS += tests/unit/dkim/check_dkim
tests_unit_dkim_check_dkim_SOURCES = tests/unit/dkim/test_dkim.c
tests_unit_dkim_check_dkim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_dkim_check_dkim_LDADD = $(UNIT_LDADD)

FUZZ_HARNESSES += dkim_sig dkim_keyrec
check_PROGRAMS += tests/fuzz/replay_dkim_sig tests/fuzz/replay_dkim_keyrec
TESTS += tests/fuzz/replay_dkim_sig tests/fuzz/replay_dkim_keyrec
tests_fuzz_replay_dkim_sig_SOURCES = tests/fuzz/fuzz_dkim_sig.c \
	tests/fuzz/replay.c
tests_fuzz_replay_dkim_sig_LDADD = $(TIMBRE_LIBS)
tests_fuzz_replay_dkim_keyrec_SOURCES = tests/fuzz/fuzz_dkim_keyrec.c \
	tests/fuzz/replay.c
tests_fuzz_replay_dkim_keyrec_LDADD = $(TIMBRE_LIBS)
