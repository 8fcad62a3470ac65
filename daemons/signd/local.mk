# daemons/signd: timbre-signd, the DKIM and ARC signer: SMTP in and relay
# out (session.c over src/smtp's transport), milter (milter.c over
# src/milter), one signing pipeline (sign.c) and the keyring (keyring.c,
# the key life cycle).  Its man page, systemd unit and integration test.
sbin_PROGRAMS += daemons/signd/timbre-signd
daemons_signd_timbre_signd_SOURCES = daemons/signd/main.c \
	daemons/signd/options.c daemons/signd/signd.h \
	daemons/signd/session.c daemons/signd/sign.c daemons/signd/milter.c \
	daemons/signd/selfcheck.c daemons/signd/stats.c \
	daemons/signd/keyring.h
# The key life cycle (daemons/signd/keyring.mk).
daemons_signd_timbre_signd_SOURCES += $(SIGND_KEYRING_SOURCES)
daemons_signd_timbre_signd_LDADD = $(TIMBRE_LIBS)

dist_man_MANS += man/timbre-signd.8
# swaks -> timbre-signd -> smtp-sink, and behind a private Postfix
# (postfix.sh, shared with milter.sh); helper: signd_peer.py
INTEGRATION_TESTS += tests/integration/signd.sh
# The self-check against NSD (a record changed under the daemon), with
# and without --strict-selfcheck, and the statistics' exact counters.
INTEGRATION_TESTS += tests/integration/signd_selfcheck.sh
