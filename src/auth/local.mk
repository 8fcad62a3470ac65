# src/auth: the authoritative server, timbre-primaryd's core (zones, zone
# text, answers, UPDATE, NOTIFY, transfers, the reply cache); its unit
# suite and the fuzz harnesses of its parsers.
src_libtimbre_a_SOURCES += src/auth/auth.h src/auth/auth_priv.h \
	src/auth/zone.c src/auth/zonetext.c src/auth/auth.c \
	src/auth/update.c src/auth/replycache.c src/auth/rrl.c \
	src/auth/dnssec.c src/auth/sign.c src/auth/signkey.c

check_PROGRAMS += tests/unit/auth/check_auth
TESTS += tests/unit/auth/check_auth
tests_unit_auth_check_auth_SOURCES = tests/unit/auth/test_zone.c \
	tests/unit/auth/test_nomem.c tests/unit/auth/test_zone.h \
	tests/unit/auth/test_replycache.c tests/unit/auth/test_rrl.c \
	tests/unit/nomem.c tests/unit/nomem.h
tests_unit_auth_check_auth_SOURCES += tests/unit/auth/test_limits.c
# Issue 22: zones signed offline (NSEC, NSEC3 opt-out) answered with DO.
tests_unit_auth_check_auth_SOURCES += tests/unit/auth/test_dnssec.c
# Issue 22 part 2: online signing (keys, NSEC chain, incremental).
tests_unit_auth_check_auth_SOURCES += tests/unit/auth/test_sign.c
tests_unit_auth_check_auth_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_auth_check_auth_LDADD = $(UNIT_LDADD)
# test_nomem.c fails allocations on demand (tests/unit/nomem.h), those of
# strdup and fmemopen too.
tests_unit_auth_check_auth_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc \
	-Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=reallocarray \
	-Wl,--wrap=strdup -Wl,--wrap=strndup -Wl,--wrap=fmemopen

# Issue 21: serial fix-ups (policies, the one-number edit, IXFR across
# fix-up commits).
check_PROGRAMS += tests/unit/auth/check_serial
TESTS += tests/unit/auth/check_serial
tests_unit_auth_check_serial_SOURCES = tests/unit/auth/test_serial.c
tests_unit_auth_check_serial_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_auth_check_serial_LDADD = $(UNIT_LDADD)

FUZZ_HARNESSES += auth_query
check_PROGRAMS += tests/fuzz/replay_auth_query
TESTS += tests/fuzz/replay_auth_query
tests_fuzz_replay_auth_query_SOURCES = tests/fuzz/fuzz_auth_query.c \
	tests/fuzz/replay.c tests/fuzz/auth_signed.h
tests_fuzz_replay_auth_query_LDADD = $(TIMBRE_LIBS)

FUZZ_HARNESSES += zone_edit
check_PROGRAMS += tests/fuzz/replay_zone_edit
TESTS += tests/fuzz/replay_zone_edit
tests_fuzz_replay_zone_edit_SOURCES = tests/fuzz/fuzz_zone_edit.c \
	tests/fuzz/replay.c
tests_fuzz_replay_zone_edit_LDADD = $(TIMBRE_LIBS)

# Response rate limiting reads our answers' question and authority.
FUZZ_HARNESSES += rrl
check_PROGRAMS += tests/fuzz/replay_rrl
TESTS += tests/fuzz/replay_rrl
tests_fuzz_replay_rrl_SOURCES = tests/fuzz/fuzz_rrl.c tests/fuzz/replay.c
tests_fuzz_replay_rrl_LDADD = $(TIMBRE_LIBS)

# The reply cache's key, and timbre-primaryd's whole UDP path.
FUZZ_HARNESSES += cache_key
check_PROGRAMS += tests/fuzz/replay_cache_key
TESTS += tests/fuzz/replay_cache_key
tests_fuzz_replay_cache_key_SOURCES = tests/fuzz/fuzz_cache_key.c \
	tests/fuzz/replay.c
tests_fuzz_replay_cache_key_LDADD = $(TIMBRE_LIBS)
FUZZ_HARNESSES += primaryd_udp
check_PROGRAMS += tests/fuzz/replay_primaryd_udp
TESTS += tests/fuzz/replay_primaryd_udp
tests_fuzz_replay_primaryd_udp_SOURCES = \
	tests/fuzz/fuzz_primaryd_udp.c tests/fuzz/replay.c \
	tests/fuzz/auth_signed.h
tests_fuzz_replay_primaryd_udp_LDADD = $(TIMBRE_LIBS)
