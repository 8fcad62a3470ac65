# src/spf: RFC 7208 SPF: records, macros and the sans-I/O evaluator;
# its unit suite, two fuzz harnesses and the RFC 7208 test suite run
# against timbre spf check (and pyspf, for comparison).
src_libtimbre_a_SOURCES += src/spf/spf.h src/spf/record.c src/spf/macro.c \
	src/spf/eval.c

check_PROGRAMS += tests/unit/spf/check_spf
TESTS += tests/unit/spf/check_spf
tests_unit_spf_check_spf_SOURCES = tests/unit/spf/test_spf.c \
	tests/unit/nomem.c tests/unit/nomem.h
tests_unit_spf_check_spf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_spf_check_spf_LDADD = $(UNIT_LDADD)
# test_nomem in test_spf.c fails allocations on demand
# (tests/unit/nomem.h), those of strdup too.
tests_unit_spf_check_spf_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc \
	-Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=reallocarray \
	-Wl,--wrap=strdup -Wl,--wrap=strndup

FUZZ_HARNESSES += spf_record spf_macro
check_PROGRAMS += tests/fuzz/replay_spf_record tests/fuzz/replay_spf_macro
TESTS += tests/fuzz/replay_spf_record tests/fuzz/replay_spf_macro
tests_fuzz_replay_spf_record_SOURCES = tests/fuzz/fuzz_spf_record.c \
	tests/fuzz/replay.c
tests_fuzz_replay_spf_record_LDADD = $(TIMBRE_LIBS)
tests_fuzz_replay_spf_macro_SOURCES = tests/fuzz/fuzz_spf_macro.c \
	tests/fuzz/replay.c
tests_fuzz_replay_spf_macro_LDADD = $(TIMBRE_LIBS)

INTEGRATION_TESTS += tests/integration/spf_suite.sh
