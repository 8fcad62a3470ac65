# daemons/primaryd: timbre-primaryd, the authoritative primary served
# from a git repository (engine in src/auth; git in src/git).
sbin_PROGRAMS += daemons/primaryd/timbre-primaryd
daemons_primaryd_timbre_primaryd_SOURCES = daemons/primaryd/main.c \
	daemons/primaryd/options.c daemons/primaryd/server.c \
	daemons/primaryd/sync.c daemons/primaryd/notify.c \
	daemons/primaryd/worker.c daemons/primaryd/loops.c \
	daemons/primaryd/sign.c \
	daemons/primaryd/primaryd.h
daemons_primaryd_timbre_primaryd_CPPFLAGS = $(AM_CPPFLAGS) $(LIBGIT2_CFLAGS)
daemons_primaryd_timbre_primaryd_CFLAGS = $(AM_CFLAGS) -pthread
daemons_primaryd_timbre_primaryd_LDFLAGS = -pthread
daemons_primaryd_timbre_primaryd_LDADD = $(GIT_LIBS) $(TIMBRE_LIBS)

dist_man_MANS += man/timbre-primaryd.8
INTEGRATION_TESTS += tests/integration/primary.sh
# issue 22 (part 1): zones signed offline (NSEC, NSEC3, opt-out) served
# as RFC 4035 section 3.1 says: compared with NSD, validated by
# timbre-resolverd and Unbound through a private signed root, AXFR and
# IXFR; in a network namespace of its own; helper: auth_dnssec.py.
INTEGRATION_TESTS += tests/integration/auth_dnssec.sh
# issue 22 (part 2): zones signed online (--dnssec-sign, ECDSA and
# Ed25519): validated by timbre-resolverd and Unbound through a private
# signed root, ldns-verify-zone on AXFR after UPDATEs, IXFR, restart, a
# key file gone; in a network namespace of its own; helper:
# primary_sign_lib.sh (shared with primary_nsec3.sh).
INTEGRATION_TESTS += tests/integration/primary_sign.sh
# issue 22 (part 2): a zone signed online with NSEC3 (--dnssec-denial):
# NXDOMAIN, NODATA, empty non-terminals, wildcards and delegations
# validated by timbre-resolverd and Unbound, ldns-verify-zone on AXFR
# after UPDATEs, a Knot secondary by IXFR (Unbound validating there),
# NSEC to NSEC3 and back on restart; in a network namespace of its own;
# helper: primary_sign_lib.sh.
INTEGRATION_TESTS += tests/integration/primary_nsec3.sh
# issue 15 (part 3): --workers 1, 2 and 4 (SO_REUSEPORT UDP loops): dig,
# kdig and 3000 questions from 16 source ports answered as --workers 1
# does; 6 git pushes + signed NOTIFYs and a SIGHUP under a query loop
# from 8 ports: no wrong, missing or older answer; helper:
# primary_workers.py.
INTEGRATION_TESTS += tests/integration/primary_workers.sh
