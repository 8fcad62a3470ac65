# src/authres: RFC 8601 Authentication-Results.
src_libtimbre_a_SOURCES += src/authres/authres.h src/authres/authres.c

check_PROGRAMS += tests/unit/authres/check_authres
TESTS += tests/unit/authres/check_authres
tests_unit_authres_check_authres_SOURCES = tests/unit/authres/test_authres.c
tests_unit_authres_check_authres_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_authres_check_authres_LDADD = $(UNIT_LDADD)

FUZZ_HARNESSES += authres
check_PROGRAMS += tests/fuzz/replay_authres
TESTS += tests/fuzz/replay_authres
tests_fuzz_replay_authres_SOURCES = tests/fuzz/fuzz_authres.c \
	tests/fuzz/replay.c
tests_fuzz_replay_authres_LDADD = $(TIMBRE_LIBS)
