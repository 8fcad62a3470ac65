# integration tests (tests/integration/*.sh)
# DKIM interoperability with dkimpy and Perl Mail::DKIM (NSD on loopback);
# helpers: lib.sh, dkim_peer.py, dkim_peer.pl; data: tests/data/dkim/
INTEGRATION_TESTS += tests/integration/dkim_interop.sh
# timbre key derive against tests/data/keys/derive-vectors.txt, and its
# keys verified by dkimpy (python3-dkim)
INTEGRATION_TESTS += tests/integration/key_derive.sh
# issue 17, parts 1 and 2: a certificate for timbre-listd by ACME DNS-01
# through timbre-primaryd (pebble, certbot's dns-rfc2136 plugin), the
# challenge records in the zone's git history, its TLSA published by
# contrib/acme/deploy-hook (nsupdate) around a SIGHUP of timbre-listd,
# a renewal under an open session; the ACME key REFUSED outside
# _acme-challenge, bad certificates kept out at SIGHUP
INTEGRATION_TESTS += tests/integration/acme.sh
# issue 19: timbre doctor DOMAIN against a lab of domains (one healthy,
# the others broken one way each) served by two NSDs and a name server
# that never answers, in a network namespace of its own; data:
# tests/data/doctor/.
INTEGRATION_TESTS += tests/integration/doctor.sh
# issue 19: timbre doctor's DKIM selectors listed by a TSIG-signed AXFR
# (--primary, --tsig-key-file) from NSD and from timbre-primaryd: the
# selectors of a domain and nothing else, TSIG and transfer errors, a
# primary that never answers, in a network namespace of its own.
INTEGRATION_TESTS += tests/integration/doctor_axfr.sh
# issue 9: what clients send is held within the daemons' documented
# bounds (TCP answers, transfers, IXFR jobs, resolver waiters, --ssh-key
# in argv); helper: limits_peer.py
INTEGRATION_TESTS += tests/integration/limits.sh
# the milter core (src/milter) behind a private Postfix on loopback:
# tests/integration/milter_echo inserts headers, smtp-sink receives
INTEGRATION_TESTS += tests/integration/milter.sh
# Broken DNS messages (random, mutated, over-long names, compression loops,
# bad OPT and TSIG, odd counts; UDP and TCP) against timbre-primaryd and
# timbre-resolverd, which must stay up and answer right; generator:
# malformed.py.
INTEGRATION_TESTS += tests/integration/malformed.sh
# timbre list end to end on a real database (src/store): create, add,
# subscribe, show's exact output, errors and usage, and what the sqlite3
# shell sees (WAL, user_version); needs the sqlite3 package.
INTEGRATION_TESTS += tests/integration/list_cli.sh
# issue 21: pushes that change a zone without a newer serial reach NSD
# and Knot secondaries with the serial timbre-primaryd gives them and
# commits back; IXFR across the fix-ups; --no-serial-fix,
# --serial-policy; helper: primary_lib.sh (shared with primary.sh).
INTEGRATION_TESTS += tests/integration/serial.sh
# issue 16 (part 2): response rate limiting of timbre-primaryd's UDP
# answers: rate, slip, flows, dig and kdig retrying over TCP, SIGHUP,
# SIGUSR1; helper: rrl_flood.py.
INTEGRATION_TESTS += tests/integration/rrl.sh
# issue 16 (part 1): timbre-primaryd's git over its own SSH transport
# (libssh) against OpenSSH's sshd: fetch and push, a server that says
# nothing and one that stalls mid-pack fail within --git-timeout while
# queries are answered, a wrong host key, an RSA key with rsa-sha2 only;
# helper: primary_ssh_proxy.py (a relay that stalls on demand).
INTEGRATION_TESTS += tests/integration/primary_ssh.sh
# timbre-primaryd after --user with a HOME it cannot read, and with a
# global git configuration it must not read.
INTEGRATION_TESTS += tests/integration/primary_user.sh
# issue 16 (part 4): timbre-primaryd SIGKILLed at random points of an
# UPDATE's commit and push, 100 rounds: every update whole or absent in
# the remote, every NOERROR in it, what is served after the restart is
# the remote's head.
INTEGRATION_TESTS += tests/integration/primary_kill.sh
# issue 16 (part 5): 1000 silent and 200 slowloris TCP connections to
# timbre-primaryd and timbre-resolverd (and 10000 questions to an
# upstream that never answers): a fresh client is answered all along,
# trickling connections are cut, RSS and descriptors bounded; helper:
# load_peer.py.
INTEGRATION_TESTS += tests/integration/load.sh
# issue 16 (part 4): timbre-resolverd killed with SIGKILL ten times under
# a load of 1000 new names a second (dnsperf): each new process answers
# over UDP and TCP within 1 s of its start.  Plain build only (time).
INTEGRATION_TESTS += tests/integration/resolver_kill.sh
# issue 13 (part): commands by mail to timbre-listd: subscribe with a
# confirmation round trip, forged From, spent and foreign tokens,
# unsubscribe, help, subscribers, owner, the rate limit.
INTEGRATION_TESTS += tests/integration/listd_admin.sh
# issue 14, part 3: contrib/iptables/timbre-nat.sh and timbre-nat.nft in
# network namespaces the test makes (contrib/lab/netns.sh): the rules,
# idempotence, --dry-run, --remove, a missing uplink refused, and traffic
# DNAT'd and masqueraded (helper: nat_peer.py).  Needs root and iptables.
INTEGRATION_TESTS += tests/integration/nat.sh
EXTRA_DIST += contrib/lab/netns.sh contrib/lab/lab.sh
# issue 14, part 4: the lab (contrib/lab/lab.sh, what `sudo ./demo.sh`
# runs) end to end in network namespaces: refusals (not root, a missing
# program), a half-made lab cleaned, a subscriber by mail, a post from a
# DMARC p=reject domain through the NAT to both subscribers, dkimpy's
# dkimverify and arcverify on the delivered copy, down.  Needs root.
INTEGRATION_TESTS += tests/integration/lab.sh
# issue 18: DNSSEC proof shapes (CNAME into a missing name, wildcard
# below an empty non-terminal, NSEC3 opt-out under wildcards) asked of
# timbre-resolverd and Unbound, in a network namespace of its own;
# helper: resolver_dnssec_lib.sh (shared with resolver_dnssec_diff.sh
# and resolver_samesrv.sh).
INTEGRATION_TESTS += tests/integration/resolver_dnssec.sh
# issue 18: timbre-resolverd and Unbound asked the same questions about
# generated signed hierarchies (NSEC, NSEC3, opt-out; RSA, ECDSA,
# Ed25519; wildcards, empty non-terminals, CNAME and DNAME chains;
# expired, not yet valid, missing and broken signatures, a DS without
# its key), resolved and cached; short form here (4 hierarchies), long
# form with RESOLVER_DIFF_HIERARCHIES (see the script); generator and
# asker: resolver_dnssec_diff.py.
INTEGRATION_TESTS += tests/integration/resolver_dnssec_diff.sh
# issue 18: one NSD authoritative for a parent and its signed children
# (NSEC, NSEC3, a grandchild, an unsigned one, two broken ones): the
# cuts found from the signer names, asked of timbre-resolverd and
# Unbound; helper: resolver_dnssec_lib.sh.
INTEGRATION_TESTS += tests/integration/resolver_samesrv.sh
# issue 18: --cache-size bounds timbre-resolverd's resident size: the
# caches filled many times over by dnsperf (fresh signed answers and
# NXDOMAINs), the growth read from /proc/PID/status; plain build only
# (it skips under the sanitizers).
INTEGRATION_TESTS += tests/integration/resolver_memory.sh
# issue 16 (part 3): timbre-resolverd against an attacker (spoofed
# answers, out-of-bailiwick records, poisoned glue, referral loops, a
# CNAME loop, 64 KiB and 5 000-record answers, NSEC3 of 2 500
# iterations, expired signatures, an open-resolver check, answer sizes),
# beside Unbound; hostile server: resolver_attack.py (dnspython).
INTEGRATION_TESTS += tests/integration/resolver_attack.sh
# issue 12: timbre-listd's --signer given as a host name, resolved at
# start (util/opt.c, as timbre-signd's --relay): a post signed and taken
# back from the name's address; bad names refused (helper: listd_lib.sh).
INTEGRATION_TESTS += tests/integration/listd_signer.sh
# issue 20 (item 2): timbre list archive-html over the archive
# timbre-listd keeps (helper: listd_lib.sh): threads, months, escaping,
# masking, big parts, read with w3m; the Atom feed with feedparser and
# xmllint; re-runs; headless Chromium screenshots kept in
# tests/integration/archive_html.out/ of the build tree.
INTEGRATION_TESTS += tests/integration/archive_html.sh
# issue 20: archive-html over 2 000 posts that git fast-import writes:
# the month's pages (100 threads each, rel next/prev, read with Python's
# html.parser), stable re-runs, what one new post rewrites, the times.
INTEGRATION_TESTS += tests/integration/archive_html_pages.sh
# issue 17 (part 3): DANE (RFC 7672) on timbre-listd's delivery, driven by
# tests/unit/listd/deliver_drive: a signed zone in NSD, a validating
# Unbound as the resolver, subscriber MTAs with STARTTLS (Python's ssl)
# and a test CA, in a network namespace of its own: DANE-EE and DANE-TA
# matches delivered, a wrong TLSA, a stripped STARTTLS and an expired
# certificate deferred, unusable records, an unsigned zone ignored, a
# bogus TLSA record (SERVFAIL) skipping its host, DANE winning over an
# enforced MTA-STS policy without the MX (helpers: listd_tls_mta.py,
# listd_sts_web.py).
INTEGRATION_TESTS += tests/integration/listd_tls.sh
# issue 17 (part 3): MTA-STS (RFC 8461) on timbre-listd's delivery, by
# deliver_drive: NSD, the policies over HTTPS from listd_sts_web.py
# (Python's http.server and ssl; 10 MB, STSv2, a redirect refused, one
# that never answers), subscriber MTAs (listd_tls_mta.py) with a test
# CA's certificates: enforce with the MX in or out of the policy, a
# certificate for another name, STARTTLS stripped; testing mode.
INTEGRATION_TESTS += tests/integration/listd_sts.sh
