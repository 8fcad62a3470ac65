# daemons/listd/deliver.mk: timbre-listd's way out: the delivery engine
# (deliver.c), where copies go (mx.c), VERP (verp.c), bounces and DSNs
# (bounce.c), probes of disabled subscribers (probe.c), MTA-STS
# policies (sts.c: its fetch thread needs -pthread), over the
# store's delivery queries (src/store/deliver.c), src/mail/dsn.c
# (reading reports) and src/dns/mx.c (MX preferences).
# Included after the daemon's local.mk, whose timbre-listd it completes.
LISTD_DELIVER_SOURCES = daemons/listd/deliver.h \
	daemons/listd/deliver_priv.h daemons/listd/deliver.c \
	daemons/listd/mx.c daemons/listd/verp.c daemons/listd/bounce.c \
	daemons/listd/probe.c daemons/listd/unsub.h daemons/listd/unsub.c \
	daemons/listd/copysign.c daemons/listd/sts.c
daemons_listd_timbre_listd_SOURCES += $(LISTD_DELIVER_SOURCES)
src_libtimbre_a_SOURCES += src/mail/dsn.h src/mail/dsn.c src/dns/mx.c
src_libtimbre_store_a_SOURCES += src/store/deliver.c

# The pure parts: the retry schedule, VERP, DSN parsing, classification,
# the MTA-STS cache and MX matching.
check_PROGRAMS += tests/unit/listd/check_deliver
TESTS += tests/unit/listd/check_deliver
tests_unit_listd_check_deliver_SOURCES = tests/unit/listd/test_deliver.c \
	tests/unit/listd/test_dsn.c tests/unit/listd/test_sts.c \
	tests/unit/listd/test_deliver.h $(LISTD_DELIVER_SOURCES)
tests_unit_listd_check_deliver_CPPFLAGS = $(AM_CPPFLAGS) \
	$(SQLITE3_CFLAGS) -I$(top_srcdir)/daemons/listd
tests_unit_listd_check_deliver_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	-pthread
tests_unit_listd_check_deliver_LDFLAGS = -pthread
tests_unit_listd_check_deliver_LDADD = $(STORE_LIBS) $(UNIT_LDADD)

# The engine on a loop of its own, over a database made by timbre list
# create, for tests/integration/listd_deliver.sh (smtp-sink, dnsfake).
check_PROGRAMS += tests/unit/listd/deliver_drive
tests_unit_listd_deliver_drive_SOURCES = tests/unit/listd/deliver_drive.c \
	$(LISTD_DELIVER_SOURCES)
tests_unit_listd_deliver_drive_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/daemons/listd
tests_unit_listd_deliver_drive_CFLAGS = $(AM_CFLAGS) -pthread
tests_unit_listd_deliver_drive_LDFLAGS = -pthread
tests_unit_listd_deliver_drive_LDADD = $(STORE_LIBS) $(TIMBRE_LIBS)
INTEGRATION_TESTS += tests/integration/listd_deliver.sh
# The way out against a private Postfix with a self-signed certificate
# and a recipient access map, by deliver_drive --smarthost: opportunistic
# STARTTLS (used, version and cipher logged; a failed handshake falls
# back to plain text), many RCPT in one transaction with a result each;
# helper: listd_drive_lib.sh (shared with listd_deliver.sh).
INTEGRATION_TESTS += tests/integration/listd_mta.sh
# The daemon end to end (listd_lib.sh): a copy whose retries run out, its
# DSN signed by timbre-signd (dkimpy) and fanned out to the moderator.
INTEGRATION_TESTS += tests/integration/listd_dsn.sh
# Bounces as they come back, over SMTP from the null sender to the running
# daemon: VERP and probe paths, a policy rejection, forged tokens, garbage.
INTEGRATION_TESTS += tests/integration/listd_bounce.sh
# The issue's bad input, raw over sockets (listd_badinput_peer.py): relay
# tricks in RCPT, pipelining past the limits, 2 000 connections at once,
# a locked database, database files it cannot use.
INTEGRATION_TESTS += tests/integration/listd_badinput.sh

# Reports come from anyone: the parser under libFuzzer.
FUZZ_HARNESSES += dsn
check_PROGRAMS += tests/fuzz/replay_dsn
TESTS += tests/fuzz/replay_dsn
tests_fuzz_replay_dsn_SOURCES = tests/fuzz/fuzz_dsn.c tests/fuzz/replay.c
tests_fuzz_replay_dsn_LDADD = $(TIMBRE_LIBS)

# A bounce's return path is anyone's: verp.c's decoders (probes' paths
# too) under libFuzzer.
FUZZ_HARNESSES += verp
check_PROGRAMS += tests/fuzz/replay_verp
TESTS += tests/fuzz/replay_verp
tests_fuzz_replay_verp_SOURCES = tests/fuzz/fuzz_verp.c tests/fuzz/replay.c
tests_fuzz_replay_verp_LDADD = $(TIMBRE_LIBS)

# Unsubscribe tokens and one-click form bodies come from anyone on the
# web: unsub.c's parsers under libFuzzer.
FUZZ_HARNESSES += unsub
check_PROGRAMS += tests/fuzz/replay_unsub
TESTS += tests/fuzz/replay_unsub
tests_fuzz_replay_unsub_SOURCES = tests/fuzz/fuzz_unsub.c tests/fuzz/replay.c
tests_fuzz_replay_unsub_LDADD = $(TIMBRE_LIBS)
