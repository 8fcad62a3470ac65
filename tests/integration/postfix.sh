# tests/integration/postfix.sh: a private Postfix instance for the
# integration tests (milter.sh, signd.sh).  Its config, queue and data
# directories are under $PF (in the test's temp dir); /etc/postfix is
# never read for configuration nor written.  It listens on 127.0.0.1,
# hands every message to a milter and relays it to 127.0.0.1:RELAYPORT.
#
#	. "$top_srcdir/tests/integration/postfix.sh"
#	pf_need				# skip unless root, postfix, postdrop
#	PF=$INTEG_TMP/postfix; pf_dirs
#	pf_config SMTPDPORT RELAYPORT inet:127.0.0.1:MILTERPORT
#	PF_LOGS="$INTEG_TMP/milter.log ..."	# tails shown by pf_fail
#	pf_start			# from here, the EXIT trap stops it
#	pf_stop
#
# Needs root (Postfix's master starts as root and runs its daemons as
# mail_owner) and the Debian package postfix.

# pf_need: skip the test unless a private Postfix can run here.
pf_need()
{
	integ_need_cmd postfix postconf smtp-sink
	[ "$(id -u)" -eq 0 ] || integ_skip "a private Postfix needs root"
	id postfix >/dev/null 2>&1 || integ_skip "no postfix user"
	getent group postdrop >/dev/null 2>&1 || integ_skip "no postdrop group"
}

# pf_dirs: $PF/etc, queue, data and sink (where smtp-sink -u postfix
# may write).
pf_dirs()
{
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data" "$PF/sink"
	chmod 755 "$INTEG_TMP"
	chown postfix "$PF/data" "$PF/sink"
}

# pf_config SMTPDPORT RELAYPORT MILTER: main.cf and master.cf.
pf_config()
{
	cat >"$PF/etc/main.cf" <<PFEOF
compatibility_level = 3.6
config_directory = $PF/etc
queue_directory = $PF/queue
data_directory = $PF/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.timbre.test
mydomain = timbre.test
myorigin = timbre.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$2
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = $PF/maillog
maillog_file_prefixes = $INTEG_TMP
smtpd_milters = $3
milter_protocol = 6
milter_default_action = reject
milter_command_timeout = 10s
PFEOF
	cat >"$PF/etc/master.cf" <<PFEOF
127.0.0.1:$1 inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
PFEOF
	PF_SMTPD_PORT=$1
}

pf_stop()
{
	postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
	# master.pid names the master; wait for it to go.
	if [ -f "$PF/queue/pid/master.pid" ]; then
		mpid=$(tr -d ' ' <"$PF/queue/pid/master.pid")
		for i in $(seq 1 50); do
			kill -0 "$mpid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$mpid" 2>/dev/null || true
	fi
}

# pf_fail MESSAGE: the tails of the logs, Postfix stopped, exit 1.
pf_fail()
{
	echo "# $*" >&2
	for f in "$PF/maillog" $PF_LOGS "$INTEG_TMP/start.log"; do
		[ -f "$f" ] && tail -n 30 "$f" | sed "s|^|# $(basename "$f"): |" >&2
	done
	pf_stop
	exit 1
}

# pf_start: starts Postfix and waits for its smtpd; the EXIT trap stops
# it from then on.
pf_start()
{
	if ! postfix -c "$PF/etc" start >"$INTEG_TMP/start.log" 2>&1; then
		pf_fail "postfix did not start"
	fi
	trap 'pf_stop; integ_cleanup' EXIT
	for i in $(seq 1 50); do
		ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$PF_SMTPD_PORT " &&
		    break
		sleep 0.2
	done
}
