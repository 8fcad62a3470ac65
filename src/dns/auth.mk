# src/dns: the authoritative side (zones, TSIG, UPDATE, NOTIFY, transfers)
src_libtimbre_a_SOURCES += src/dns/auth.h src/dns/auth_priv.h \
	src/dns/zone.c src/dns/zonetext.c src/dns/tsig.c src/dns/auth.c \
	src/dns/update.c src/dns/replycache.c

check_PROGRAMS += tests/unit/zone/check_zone
TESTS += tests/unit/zone/check_zone
tests_unit_zone_check_zone_SOURCES = tests/unit/zone/test_zone.c \
	tests/unit/zone/test_nomem.c tests/unit/zone/test_zone.h \
	tests/unit/zone/test_replycache.c \
	tests/unit/nomem.c tests/unit/nomem.h
tests_unit_zone_check_zone_SOURCES += tests/unit/zone/test_limits.c
tests_unit_zone_check_zone_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_zone_check_zone_LDADD = $(UNIT_LDADD)
# test_nomem.c fails allocations on demand (tests/unit/nomem.h), those of
# strdup and fmemopen too.
tests_unit_zone_check_zone_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc \
	-Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=reallocarray \
	-Wl,--wrap=strdup -Wl,--wrap=strndup -Wl,--wrap=fmemopen

FUZZ_HARNESSES += auth_query
check_PROGRAMS += tests/fuzz/replay_auth_query
TESTS += tests/fuzz/replay_auth_query
tests_fuzz_replay_auth_query_SOURCES = tests/fuzz/fuzz_auth_query.c \
	tests/fuzz/replay.c
tests_fuzz_replay_auth_query_LDADD = $(TIMBRE_LIBS)

FUZZ_HARNESSES += zone_edit
check_PROGRAMS += tests/fuzz/replay_zone_edit
TESTS += tests/fuzz/replay_zone_edit
tests_fuzz_replay_zone_edit_SOURCES = tests/fuzz/fuzz_zone_edit.c \
	tests/fuzz/replay.c
tests_fuzz_replay_zone_edit_LDADD = $(TIMBRE_LIBS)

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
	tests/fuzz/fuzz_primaryd_udp.c tests/fuzz/replay.c
tests_fuzz_replay_primaryd_udp_LDADD = $(TIMBRE_LIBS)

# TSIG records and the message walk (tsig.c).
FUZZ_HARNESSES += tsig
check_PROGRAMS += tests/fuzz/replay_tsig
TESTS += tests/fuzz/replay_tsig
tests_fuzz_replay_tsig_SOURCES = tests/fuzz/fuzz_tsig.c \
	tests/fuzz/replay.c
tests_fuzz_replay_tsig_LDADD = $(TIMBRE_LIBS)
