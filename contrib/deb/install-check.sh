#!/bin/sh
#
# contrib/deb/install-check.sh SUITE PACKAGE...: run by build.sh inside a
# throwaway copy of a release's chroot, with timbre's packages in /tmp/debs.
# Purges the build dependencies PACKAGE... (and what came with them), then
# installs the packages with apt and checks what they installed, printing
# one "ok - " or "not ok - " line per check.  Exit status 0 when all passed.
#
# Every daemon is started as its system user with the packaged
# configuration file and the least settings it needs on the command line
# (ports above 1024 on 127.0.0.1, files in /tmp): it either serves until
# SIGTERM (exit 0), or stops with a message saying what is missing.
set -u
suite=$1
shift
fails=0
ok()    { echo "ok - $suite: $*"; }
notok() { echo "not ok - $suite: $*"; fails=$((fails + 1)); }
DAEMONS="resolverd primaryd signd listd"

# --- purge the build dependencies, then install ----------------------------

apt-get -q -y purge "$@" >/tmp/purge.log 2>&1 &&
    apt-get -q -y autoremove --purge >>/tmp/purge.log 2>&1 ||
    { tail -n 20 /tmp/purge.log; notok "purging the build dependencies"; }
if dpkg-query -W -f='${Status}\n' libldns3 2>/dev/null | grep -q 'ok installed'; then
	notok "libldns3 is still installed: the Depends are not put to the test"
else
	ok "build dependencies purged (libldns3, libgit2, libssh ... gone)"
fi
cd /tmp/debs || exit 1
# apt's package lists may be older than the mirror: refresh once.
if ! apt -q -y install ./timbre-*.deb >/tmp/install.log 2>&1; then
	apt-get -q update >>/tmp/install.log 2>&1
	apt -q -y install ./timbre-*.deb >>/tmp/install.log 2>&1
fi
if [ "$(dpkg-query -W -f='${Status}\n' timbre-tools $(for d in $DAEMONS; do
    echo timbre-$d; done) 2>/dev/null | grep -c 'install ok installed')" = 5 ]; then
	ok "apt install ./timbre-*.deb: $(grep -c '^Setting up ' /tmp/install.log) packages set up, $(grep '^Setting up timbre' /tmp/install.log | sed 's/^Setting up \([^ ]*\).*/\1/' | tr '\n' ' ')"
else
	tail -n 30 /tmp/install.log
	notok "apt install ./timbre-*.deb"
	exit 1
fi

# --- what the packages installed -------------------------------------------

echo "# $(timbre --version 2>&1 || echo 'timbre --version failed')"
for d in $DAEMONS; do
	p=timbre-$d
	v=$($p --version 2>&1)
	case $v in
	"$p "[0-9]*) ok "$v" ;;
	*) notok "$p --version: $v" ;;
	esac
	if pw=$(getent passwd $p); then
		ok "user $pw"
	else
		notok "no user $p"
	fi
	if dpkg-query -W -f='${Conffiles}\n' $p | grep -q " /etc/timbre/$p.conf "; then
		ok "/etc/timbre/$p.conf is a conffile ($(grep -c '^#[a-z]' /etc/timbre/$p.conf) options, all commented out)"
	else
		notok "/etc/timbre/$p.conf is not a conffile of $p"
	fi
	unit=/lib/systemd/system/$p.service
	if [ -f "$unit" ] && [ -e "/etc/systemd/system/multi-user.target.wants/$p.service" ]; then
		ok "$unit, enabled"
	else
		notok "$unit missing or not enabled"
	fi
	# The unit's ExecCondition, as systemd would run it ($$ is $).
	cond=$(sed -n 's/^ExecCondition=//p' "$unit" | sed 's/\$\$/$/g')
	msg=$(eval "$cond" 2>&1)
	if [ $? = 1 ] && [ -n "$msg" ]; then
		ok "unconfigured, the unit's start is skipped: \"$msg\""
	else
		notok "the unit's ExecCondition let an unconfigured $p start"
	fi
	cp /etc/timbre/$p.conf /tmp/$p.conf
	echo "log-level = info" >>/tmp/$p.conf
	if (eval "$(echo "$cond" | sed "s|/etc/timbre/$p.conf|/tmp/$p.conf|")") >/dev/null 2>&1; then
		ok "configured, the unit would start"
	else
		notok "the unit's ExecCondition refuses a configured $p"
	fi
done
s=$(stat -c '%U:%G %a' /var/lib/timbre 2>&1)
if [ "$s" = "root:timbre-listd 1771" ]; then
	ok "/var/lib/timbre $s"
else
	notok "/var/lib/timbre is $s, not root:timbre-listd 1771"
fi

# --- each daemon started with the packaged file ----------------------------

# A free port on 127.0.0.1 is likely enough: this chroot shares the host's
# network, so each run takes its own from the process id.
port=$((20000 + ($$ % 20000)))

# run NAME EXPECT ARG...: EXPECT "serve" (still up after 2 s, exit 0 on
# SIGTERM) or the text of the message it must stop with.
run() {
	local p=timbre-$1 expect=$2 pid i st
	shift 2
	# setpriv execs the daemon (runuser would stay in between and
	# answer SIGTERM itself); HOME as systemd sets it for the unit's
	# user (libgit2 1.1 fails on a HOME it may not read).
	HOME=$(getent passwd $p | cut -d: -f6) setpriv --reuid=$p --regid=$p \
	    --clear-groups $p -f -c /etc/timbre/$p.conf "$@" >/tmp/$p.log 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 20 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		kill -TERM $pid
		wait $pid
		st=$?
		if [ "$expect" = serve ] && [ $st = 0 ]; then
			ok "$p served with the packaged file as $p, exit 0 on SIGTERM ($(wc -l </tmp/$p.log) log lines)"
		else
			tail -n 20 /tmp/$p.log
			notok "$p ran (exit $st on SIGTERM), expected: $expect"
		fi
	else
		wait $pid
		st=$?
		if [ "$expect" != serve ] && [ $st = 1 ] &&
		    grep -q -- "$expect" /tmp/$p.log; then
			ok "$p with the packaged file stops, exit 1: \"$(tail -n 1 /tmp/$p.log)\""
		else
			tail -n 20 /tmp/$p.log
			notok "$p exited $st, expected: $expect"
		fi
	fi
}

# The packaged file alone: the primary needs its repository.
run primaryd "remote is required"
# Given one that does not exist: the message names it.
run primaryd "zones.git: fetch: failed to resolve path" --listen 127.0.0.1:$port \
    --remote file:///nonexistent/zones.git --workdir /tmp/primary
run signd "domain"
echo "a password for the install check" >/tmp/signd.password
chmod 644 /tmp/signd.password
run signd serve --domain example.org --password-file /tmp/signd.password \
    --listen 127.0.0.1:$((port + 1)) --relay 127.0.0.1:$((port + 2)) \
    --resolver 127.0.0.1:$((port + 3)) --selector dkim-1
run resolverd serve --listen 127.0.0.1:$((port + 4))
run listd "domain"
# listd's database, made by its user in /var/lib/timbre.
if HOME=/nonexistent setpriv --reuid=timbre-listd --regid=timbre-listd \
    --clear-groups timbre list create /var/lib/timbre/lists.db >/tmp/create.log 2>&1; then
	ok "timbre list create /var/lib/timbre/lists.db as timbre-listd"
else
	cat /tmp/create.log
	notok "timbre list create as timbre-listd"
fi
run listd serve --domain example.org --listen 127.0.0.1:$((port + 5)) \
    --listen-signed 127.0.0.1:$((port + 6)) --signer 127.0.0.1:$((port + 1)) \
    --resolver 127.0.0.1:$((port + 3))

echo "# $suite: $fails failed"
[ $fails = 0 ]
