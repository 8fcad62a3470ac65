# daemons/listd: timbre-listd, the mailing-list MTA.  The inbound side:
# SMTP in (session.c), verification (verify.c), the post as it leaves
# (post.c), the group commit before each 250 (commit.c), the hand-off to
# timbre-signd and back (queue.c); the way out
# is deliver.h's (the delivery engine appends its sources below).  Its
# man page, systemd unit, unit suite and integration test.
sbin_PROGRAMS += daemons/listd/timbre-listd
daemons_listd_timbre_listd_SOURCES = daemons/listd/main.c \
	daemons/listd/options.c daemons/listd/listd.h \
	daemons/listd/session.c daemons/listd/commit.c \
	daemons/listd/verify.c daemons/listd/post.c daemons/listd/queue.c \
	daemons/listd/admin.c daemons/listd/held.c daemons/listd/archive.c \
	daemons/listd/http.c daemons/listd/digest.c
daemons_listd_timbre_listd_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS)
# commit.c's flushing thread
daemons_listd_timbre_listd_CFLAGS = $(AM_CFLAGS) -pthread
daemons_listd_timbre_listd_LDFLAGS = -pthread
daemons_listd_timbre_listd_LDADD = $(STORE_LIBS) $(ARCHIVE_LIBS) \
	$(TIMBRE_LIBS)

dist_man_MANS += man/timbre-listd.8
# post.c's header rewriting, from tables
check_PROGRAMS += tests/unit/listd/check_listd
TESTS += tests/unit/listd/check_listd
tests_unit_listd_check_listd_SOURCES = tests/unit/listd/test_post.c \
	daemons/listd/post.c
tests_unit_listd_check_listd_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE3_CFLAGS) \
	-I$(top_srcdir)/daemons/listd
tests_unit_listd_check_listd_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_listd_check_listd_LDADD = $(UNIT_LDADD)
# swaks -> timbre-listd -> timbre-signd -> timbre-listd, zones in NSD;
# the queue rows checked with the sqlite3 shell
INTEGRATION_TESTS += tests/integration/listd.sh
# --require-tls, --max-recipients, --max-per-ip and --max-connections as
# an smtplib client sees them; helper: listd_limits_peer.py
INTEGRATION_TESTS += tests/integration/listd_limits.sh
# --archive-dir read by git and public-inbox (init, index, httpd); at
# most once across a crash; a full disk (tmpfs under unshare -m)
INTEGRATION_TESTS += tests/integration/listd_archive.sh
# One-click unsubscribe (RFC 8058): the per-copy List-Unsubscribe in
# smtp-sink's copies (dkimpy verifies them), curl against --http-listen
# over HTTPS: GET, POST, bad tokens, 413, slow clients, the cap
INTEGRATION_TESTS += tests/integration/listd_unsub.sh
# The group commit (commit.c): a burst from smtp-source, kill -9 after
# the first 250s, a restart; every post that heard 250 reaches
# smtp-sink for every subscriber, nothing half-stored, flushes shared
INTEGRATION_TESTS += tests/integration/listd_burst.sh
# A restart after kill -9 mid fan-out (copies held in DATA by a slow
# smtp-sink): the dead daemon's claims released at once, every copy at
# a second smtp-sink within seconds; timbre list on the file meanwhile
INTEGRATION_TESTS += tests/integration/listd_kill.sh
# Digests (digest.c): members switched by timbre list digest and by mail
# to LIST-digest, no single posts for them, the multipart/digest read
# back with Python's email package from smtp-sink's copies and its DKIM
# signature verified by dkimpy, sent on --digest-size and on
# --digest-interval, and back to single posts
INTEGRATION_TESTS += tests/integration/listd_digest.sh
