# src/dmarc: DMARC (RFC 9989, and RFC 7489 on request): records, the
# public suffix list, the From domain, evaluation.
src_libtimbre_a_SOURCES += src/dmarc/dmarc.h src/dmarc/record.c \
	src/dmarc/psl.c src/dmarc/from.c src/dmarc/eval.c

check_PROGRAMS += tests/unit/dmarc/check_dmarc
TESTS += tests/unit/dmarc/check_dmarc
tests_unit_dmarc_check_dmarc_SOURCES = tests/unit/dmarc/test_dmarc.c
tests_unit_dmarc_check_dmarc_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_dmarc_check_dmarc_LDADD = $(UNIT_LDADD)

FUZZ_HARNESSES += dmarc_record
check_PROGRAMS += tests/fuzz/replay_dmarc_record
TESTS += tests/fuzz/replay_dmarc_record
tests_fuzz_replay_dmarc_record_SOURCES = tests/fuzz/fuzz_dmarc_record.c \
	tests/fuzz/replay.c
tests_fuzz_replay_dmarc_record_LDADD = $(TIMBRE_LIBS)

# DMARC scenarios against NSD on loopback.
INTEGRATION_TESTS += tests/integration/dmarc.sh
