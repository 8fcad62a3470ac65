# src/milter: the milter protocol, filter side (framing, session), for
# timbre-signd behind Postfix's smtpd_milters, and the MTA side
# (client.c) for timbre-listd's per-copy signatures.
src_libtimbre_a_SOURCES += src/milter/milter.h src/milter/parser.c \
	src/milter/session.c src/milter/client.c

check_PROGRAMS += tests/unit/milter/check_milter
TESTS += tests/unit/milter/check_milter
tests_unit_milter_check_milter_SOURCES = tests/unit/milter/test_milter.c
tests_unit_milter_check_milter_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_milter_check_milter_LDADD = $(UNIT_LDADD)

FUZZ_HARNESSES += milter
check_PROGRAMS += tests/fuzz/replay_milter
TESTS += tests/fuzz/replay_milter
tests_fuzz_replay_milter_SOURCES = tests/fuzz/fuzz_milter.c tests/fuzz/replay.c
tests_fuzz_replay_milter_LDADD = $(TIMBRE_LIBS)

# The filter's replies, read by the MTA side (client.c).
FUZZ_HARNESSES += milter_reply
check_PROGRAMS += tests/fuzz/replay_milter_reply
TESTS += tests/fuzz/replay_milter_reply
tests_fuzz_replay_milter_reply_SOURCES = tests/fuzz/fuzz_milter_reply.c \
	tests/fuzz/replay.c
tests_fuzz_replay_milter_reply_LDADD = $(TIMBRE_LIBS)

# tests/integration/milter.sh: the core behind a real Postfix.
check_PROGRAMS += tests/integration/milter_echo
tests_integration_milter_echo_SOURCES = tests/integration/milter_echo.c
tests_integration_milter_echo_LDADD = $(TIMBRE_LIBS)
