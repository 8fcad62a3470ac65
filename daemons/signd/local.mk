# daemons/signd: timbre-signd, the DKIM and ARC signer: SMTP in and relay
# out (session.c over src/smtp's transport), milter (milter.c over
# src/milter), one signing pipeline (sign.c, its private-key operations
# on src/util/pool.c's threads) and the keyring (keyring.c, the key life
# cycle).  Its man page, systemd unit and integration test.
sbin_PROGRAMS += daemons/signd/timbre-signd
daemons_signd_timbre_signd_SOURCES = daemons/signd/main.c \
	daemons/signd/options.c daemons/signd/signd.h \
	daemons/signd/session.c daemons/signd/sign.c daemons/signd/milter.c \
	daemons/signd/selfcheck.c daemons/signd/stats.c \
	daemons/signd/keyring.h
# The key life cycle (daemons/signd/keyring.mk).
daemons_signd_timbre_signd_SOURCES += $(SIGND_KEYRING_SOURCES)
daemons_signd_timbre_signd_CFLAGS = $(AM_CFLAGS) -pthread
daemons_signd_timbre_signd_LDFLAGS = -pthread
daemons_signd_timbre_signd_LDADD = $(TIMBRE_LIBS)

dist_man_MANS += man/timbre-signd.8
# swaks -> timbre-signd -> smtp-sink, and behind a private Postfix
# (postfix.sh, shared with milter.sh); helper: signd_peer.py
INTEGRATION_TESTS += tests/integration/signd.sh
# The self-check against NSD (a record changed under the daemon), with
# and without --strict-selfcheck, and the statistics' exact counters.
INTEGRATION_TESTS += tests/integration/signd_selfcheck.sh
# The signing workers under concurrency: smtp-source and a threaded
# client at once, clients leaving mid-signature, SIGHUP and SIGTERM in a
# burst, every delivered copy verified by dkimpy; --sign-workers 0.
# Helpers: signd_peer.py, signd_lib.sh (shared with signd_selfcheck.sh).
INTEGRATION_TESTS += tests/integration/signd_pool.sh
