# tests/integration/primary_lib.sh: what the tests of timbre-primaryd
# share (primary.sh, serial.sh), sourced after lib.sh and integ_init.
#
# The caller sets T (its temp dir), PRIMARYD and TIMBRE, and a working
# clone in $T/w for gitc.  start_primary sets PORT and PRIMARY_PID.
# prim_nsd_secondary and prim_knot_secondary start an NSD or a Knot DNS
# secondary of the primary on 127.0.0.1:$PORT, NOTIFYed from 127.0.0.1,
# transferring each zone with its own TSIG key.

ok() { integ_ok "$*"; }
nok() { integ_notok "$*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else nok "$d"; fi
}
q() { dig @127.0.0.1 -p "$PORT" +norec +time=2 +tries=1 "$@"; }
status_is() { # status_is STATUS DIG-ARGS...
	local s=$1
	shift
	q "$@" | grep -q "status: $s"
}
gitc() { git -C "$T/w" -c user.name=test -c user.email=test@example.org "$@"; }

# Keys go to dig and nsupdate in BIND key files (-k), never on argv.
bindkey() { # bindkey LINE2-FILE OUT: NAME:ALG:SECRET -> key "NAME" {...};
	IFS=: read -r n a sec <"$1"
	printf 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n' \
	    "$n" "$a" "$sec" >"$2"
}

# prim_repo_init BARE: the empty bare repository BARE (HEAD: branch
# main) and the working clone $T/w on branch main.
prim_repo_init() {
	git init -q --bare "$1"
	git -C "$1" symbolic-ref HEAD refs/heads/main
	git init -q "$T/w"
	gitc checkout -q -b main
}

# prim_keys [XFR-ALGORITHM]: the TSIG keys up._update.example.org and
# xfr._transfer.example.org, their lines in $T/w/_keys, each key as
# NAME:ALG:SECRET in $T/up.key and $T/xfr.key and as a BIND key file in
# $T/up.bind and $T/xfr.bind.
prim_keys() {
	"$TIMBRE" tsig-keygen up._update.example.org >"$T/up"
	"$TIMBRE" tsig-keygen ${1:+--algorithm "$1"} \
	    xfr._transfer.example.org >"$T/xfr"
	{ head -n1 "$T/up"; head -n1 "$T/xfr"; } >"$T/w/_keys"
	sed -n 2p "$T/up" >"$T/up.key"
	sed -n 2p "$T/xfr" >"$T/xfr.key"
	bindkey "$T/up.key" "$T/up.bind"
	bindkey "$T/xfr.key" "$T/xfr.bind"
}

# prim_repo_small: the bare repository $BARE (branch main) holding one
# small zone, example.org (serial 1, www A 192.0.2.10), pushed from the
# working clone $T/w.
prim_repo_small() {
	prim_repo_init "$BARE"
	cat >"$T/w/example.org" <<-'EOF2'
	$ORIGIN example.org.
	$TTL 300
	@ SOA ns1 hostmaster 1 3600 900 604800 300
	@ NS ns1
	ns1 A 127.0.0.1
	www A 192.0.2.10
	EOF2
	gitc add -A
	gitc commit -q -m initial
	gitc push -q "$BARE" main
}

start_primary() { # start_primary LOG ARGS...
	local log=$1 attempt
	shift
	for attempt in 1 2 3; do
		PORT=$(integ_free_port)
		integ_spawn "$log" "$PRIMARYD" -f --log-level debug \
		    --listen "127.0.0.1:$PORT" "$@"
		PRIMARY_PID=$INTEG_LAST_PID
		integ_wait_dns "$PORT" example.org SOA 10 && return 0
		integ_stop "$PRIMARY_PID"
	done
	cat "$log" >&2
	return 1
}

# prim_nsd_secondary DIR ADDR PORT ZONE:KEYNAME:ALG:SECRET...: NSD on
# ADDR@PORT, state in DIR; its pid in NSD_PID.
prim_nsd_secondary()
{
	local dir=$1 addr=$2 port=$3 z name key alg sec

	shift 3
	mkdir -p "$dir"
	cat >"$dir/nsd.conf" <<-EOF
	server:
	    ip-address: $addr@$port
	    port: $port
	    do-ip6: no
	    reuseport: no
	    server-count: 1
	    username: ""
	    chroot: ""
	    zonesdir: "$dir"
	    pidfile: "$dir/nsd.pid"
	    xfrdfile: "$dir/xfrd.state"
	    xfrdir: "$dir"
	    zonelistfile: "$dir/zone.list"
	    database: ""
	    logfile: "$dir/nsd.log"
	    verbosity: 2
	remote-control:
	    control-enable: no
	EOF
	for z in "$@"; do
		IFS=: read -r name key alg sec <<-EOF
		$z
		EOF
		cat >>"$dir/nsd.conf" <<-EOF
		key:
		    name: "$key"
		    algorithm: $alg
		    secret: "$sec"
		zone:
		    name: "$name"
		    zonefile: "$name.zone"
		    request-xfr: 127.0.0.1@$PORT $key
		    allow-notify: 127.0.0.1 NOKEY
		EOF
	done
	integ_spawn "$dir/nsd.out" nsd -d -c "$dir/nsd.conf"
	NSD_PID=$INTEG_LAST_PID
}

# prim_knot_secondary DIR ADDR PORT ZONE:KEYNAME:ALG:SECRET...: knotd on
# ADDR@PORT, state and log (knot.log) in DIR; its pid in KNOT_PID.
prim_knot_secondary()
{
	local dir=$1 addr=$2 port=$3 z name key alg sec keys= remotes= zones=

	shift 3
	mkdir -p "$dir"
	for z in "$@"; do
		IFS=: read -r name key alg sec <<-EOF
		$z
		EOF
		keys="$keys  - id: $key
    algorithm: $alg
    secret: $sec
"
		remotes="$remotes  - id: primary-$name
    address: 127.0.0.1@$PORT
    key: $key
"
		zones="$zones  - domain: $name
    storage: \"$dir\"
    file: \"$name.zone\"
    master: primary-$name
    acl: notify
"
	done
	cat >"$dir/knot.conf" <<-EOF
	server:
	    listen: $addr@$port
	    rundir: "$dir"
	    background-workers: 1
	control:
	    listen: "$dir/knot.sock"
	log:
	  - target: "$dir/knot.log"
	    any: info
	database:
	    storage: "$dir"
	acl:
	  - id: notify
	    address: 127.0.0.1
	    action: notify
	EOF
	printf 'key:\n%sremote:\n%szone:\n%s' "$keys" "$remotes" "$zones" \
	    >>"$dir/knot.conf"
	integ_spawn "$dir/knotd.out" knotd -c "$dir/knot.conf"
	KNOT_PID=$INTEG_LAST_PID
}

# prim_sshd: OpenSSH's sshd on 127.0.0.1:$SSH_PORT with its own host key
# (fingerprint in FP) and an authorized_keys holding an ed25519 key made by
# timbre keygen (for --ssh-key-file: $T/ed.keyfile); pid in SSHD_PID.
# SSHD_ADDR and SSH_PORT, when set, choose another address and port (the
# lab, contrib/lab/lab.sh, serves its zone repository on 192.0.2.22:22).
# False when sshd or ssh-keygen is missing.
prim_sshd()
{
	local sshd

	sshd=$(command -v sshd || echo /usr/sbin/sshd)
	[ -x "$sshd" ] && command -v ssh-keygen >/dev/null 2>&1 || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
	FP=$(ssh-keygen -lf "$T/hostkey.pub" | awk '{ print $2 }')
	"$TIMBRE" keygen --keytype ed25519 >"$T/ssh.key"
	head -n1 "$T/ssh.key" >"$T/ed.keyfile"
	sed -n 2p "$T/ssh.key" >"$T/authorized_keys"
	chmod 600 "$T/authorized_keys"
	SSH_PORT=${SSH_PORT:-$(integ_free_port)}
	mkdir -p /run/sshd 2>/dev/null || true
	cat >"$T/sshd_config" <<-EOF2
	Port $SSH_PORT
	ListenAddress ${SSHD_ADDR:-127.0.0.1}
	HostKey $T/hostkey
	AuthorizedKeysFile $T/authorized_keys
	PidFile $T/sshd.pid
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin prohibit-password
	StrictModes no
	UsePAM no
	EOF2
	integ_spawn "$T/sshd.log" "$sshd" -D -e -f "$T/sshd_config"
	SSHD_PID=$INTEG_LAST_PID
	sleep 0.5
}
