# src/resolver: the recursive resolver, timbre-resolverd's core
# (iterative resolution, caches, DNSSEC validation, client queries and
# answers); its unit suite and the fuzz harnesses of its parsers.
src_libtimbre_a_SOURCES += src/resolver/resolver.h src/resolver/res_priv.h \
	src/resolver/cache.c src/resolver/iter.c src/resolver/validate.c \
	src/resolver/reqreply.c src/resolver/msgcache.c

check_PROGRAMS += tests/unit/resolver/check_resolver
TESTS += tests/unit/resolver/check_resolver
tests_unit_resolver_check_resolver_SOURCES = \
	tests/unit/resolver/test_resolver.c \
	tests/unit/resolver/test_resolver.h \
	tests/unit/resolver/test_nomem.c tests/unit/dns/nomem_ldns.c \
	tests/unit/nomem.c tests/unit/nomem.h
tests_unit_resolver_check_resolver_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_resolver_check_resolver_LDADD = $(UNIT_LDADD)
# test_nomem.c fails allocations on demand (tests/unit/nomem.h), libc's
# and ldns's (NOMEM_WRAPS: src/dns/local.mk).
tests_unit_resolver_check_resolver_LDFLAGS = $(AM_LDFLAGS) $(NOMEM_WRAPS)

FUZZ_HARNESSES += resolver_query
check_PROGRAMS += tests/fuzz/replay_resolver_query
TESTS += tests/fuzz/replay_resolver_query
tests_fuzz_replay_resolver_query_SOURCES = \
	tests/fuzz/fuzz_resolver_query.c tests/fuzz/replay.c
tests_fuzz_replay_resolver_query_LDADD = $(TIMBRE_LIBS)

# The message cache, and timbre-resolverd's whole UDP path.
FUZZ_HARNESSES += msgcache
check_PROGRAMS += tests/fuzz/replay_msgcache
TESTS += tests/fuzz/replay_msgcache
tests_fuzz_replay_msgcache_SOURCES = tests/fuzz/fuzz_msgcache.c \
	tests/fuzz/replay.c
tests_fuzz_replay_msgcache_LDADD = $(TIMBRE_LIBS)
FUZZ_HARNESSES += resolverd_udp
check_PROGRAMS += tests/fuzz/replay_resolverd_udp
TESTS += tests/fuzz/replay_resolverd_udp
tests_fuzz_replay_resolverd_udp_SOURCES = \
	tests/fuzz/fuzz_resolverd_udp.c tests/fuzz/replay.c
tests_fuzz_replay_resolverd_udp_LDADD = $(TIMBRE_LIBS)
