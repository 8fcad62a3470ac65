#!/bin/sh
# primary_user.sh: timbre-primaryd dropping root with --user, as the lab
# and the packages run it, while HOME still names a home the user cannot
# read (root's, 0700): the clone must not depend on the operator's git
# configuration.  With a ~/.gitconfig there libgit2 failed every fetch
# ("failed to stat .../.gitconfig"); the daemon now reads no system, XDG
# or global git configuration at all, which a second case proves with a
# global config that would break the clone if it were read.
set -eu
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/primary_lib.sh"

integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
integ_need_cmd git dig
[ "$(id -u)" = 0 ] || integ_skip "needs root (--user)"
id nobody >/dev/null 2>&1 || integ_skip "no user nobody"
T=$INTEG_TMP
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
BARE=$T/zone.git
chmod 755 "$T"

prim_repo_small
# The remote belongs to the user the daemon runs as (libgit2 refuses a
# repository another user owns, as git does).
chown -R nobody "$BARE"

# A home the user cannot read, holding a git configuration.
mkdir -p "$T/home" "$T/work1" "$T/work2"
printf '[user]\n\tname = root\n' >"$T/home/.gitconfig"
chmod 700 "$T/home"
chown nobody "$T/work1" "$T/work2"

HOME=$T/home start_primary "$T/p1.log" --user nobody \
    --remote "file://$BARE#main" --workdir "$T/work1" ||
    nok "started as nobody with root's home"
check "as nobody with an unreadable home: serves the zone" \
    status_is NOERROR www.example.org A
check "it runs as nobody" \
    test "$(ps -o user= -p "$PRIMARY_PID" | tr -d ' ')" = nobody
integ_stop "$PRIMARY_PID"

# A global configuration that would break every fetch if it were read:
# it rewrites the remote's URL to one that does not exist.
chmod 755 "$T/home"
printf '[url "file:///nonexistent/"]\n\tinsteadOf = file://%s\n' \
    "$(dirname "$BARE")/" >"$T/home/.gitconfig"
chmod 644 "$T/home/.gitconfig"
HOME=$T/home start_primary "$T/p2.log" --user nobody \
    --remote "file://$BARE#main" --workdir "$T/work2" ||
    nok "started with a global insteadOf"
check "a global git configuration is not read" \
    status_is NOERROR www.example.org A
integ_stop "$PRIMARY_PID"
integ_summary
