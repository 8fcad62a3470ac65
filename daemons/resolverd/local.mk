# daemons/resolverd: timbre-resolverd, the recursive, caching,
# DNSSEC-validating resolver (engine in src/resolver); its man
# page, systemd unit and the integration test against NSD and Unbound.
sbin_PROGRAMS += daemons/resolverd/timbre-resolverd
daemons_resolverd_timbre_resolverd_SOURCES = daemons/resolverd/main.c \
	daemons/resolverd/options.c daemons/resolverd/server.c \
	daemons/resolverd/upstream.c daemons/resolverd/resolverd.h
daemons_resolverd_timbre_resolverd_LDADD = $(TIMBRE_LIBS)

dist_man_MANS += man/timbre-resolverd.8
EXTRA_DIST += bench/resolver/run.sh
INTEGRATION_TESTS += tests/integration/resolver.sh
