#!/bin/bash
# contrib/lab/lab.sh: the seed deployment of timbre on one machine, in
# network namespaces, narrated as it runs.  demo.sh calls it after the
# build; tests/integration/lab.sh runs it end to end.
#
#   lab.sh up     keys, the internet, the host and its NAT, the zone
#                 pushed, the four daemons started, signd's first key,
#                 and (with pebble and certbot installed) listd's
#                 certificate by ACME DNS-01 through timbre-primaryd
#   lab.sh run    a list, a subscriber by mail, a post from a p=reject
#                 domain through the NAT, both subscribers get it,
#                 dkimpy and timbre check DKIM and ARC on the copy
#   lab.sh down   stop everything and delete the namespaces
#
# The picture (everything a namespace of its own, named timbre-*):
#
#   timbre-internet                         timbre-host
#     198.51.100.1  NSD: the root            uplink 203.0.113.10 (public)
#     198.51.100.2  NSD: org, net, com,        NAT: contrib/iptables/
#                   example.net, example.com      timbre-nat.sh
#     192.0.2.22    sshd: the zone's git      bridge "service" 10.0.0.1/24
#     192.0.2.30    pebble, the ACME CA
#     192.0.2.25    alice's MTA (swaks),        .2 timbre-resolverd
#                   example.net: SPF, DKIM,     .3 timbre-primaryd
#                   DMARC p=reject              .4 timbre-signd
#     192.0.2.51    carol's MX (smtp-sink)      .5 timbre-listd
#     192.0.2.52    dave's MX (smtp-sink)
#     203.0.113.1   the router of the host
#
# The root delegates example.org, the lab's domain, to ns1.example.org at
# 203.0.113.10, the host's public address, whose port 53 the NAT sends to
# timbre-primaryd and port 25 to timbre-listd.  Each daemon reads a
# configuration file made of the one the packages install
# (etc/timbre-DAEMON.conf, every line a comment) followed by the lab's
# own lines, given with -c.  State lives in $TIMBRE_LAB_DIR
# (/run/timbre-lab); the machine's own interfaces, routes and firewall
# are never touched.  Needs root.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${TIMBRE_BUILD:-$top/build}
L=${TIMBRE_LAB_DIR:-/run/timbre-lab}
export top B L
# The lab's namespaces, and only them (the NAT test's are timbre-natPID-*).
LAB_NS='timbre-(host|internet|resolverd|primaryd|signd|listd)'
TIMBRE=$B/tools/timbre
export top_srcdir=$top top_builddir=$B
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/primary_lib.sh"
. "$top/contrib/lab/netns.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '%s\n' "$*" | fold -s -w 78; }
show() { printf '\033[2m$ %s\033[0m\n' "$*" >&2; }
die() { echo "lab: $*" >&2; exit 1; }
# nsx NS CMD...: CMD in the lab namespace timbre-NS, shown first.
nsx() { local ns=$1; shift; show "[$ns] $*"; ip netns exec "timbre-$ns" "$@"; }
# quiet NS CMD...: the same, not shown.
quiet() { local ns=$1; shift; ip netns exec "timbre-$ns" "$@"; }

# waitfor SECONDS CMD...: true once CMD succeeds.
waitfor()
{
	local i n=$(($1 * 5))

	shift
	for i in $(seq 1 "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
answers() { quiet "$1" dig @"$2" +time=1 +tries=1 +norec "$3" "$4" | grep -q 'status: NOERROR'; }

need_root()
{
	[ "$(id -u)" -eq 0 ] ||
	    die "the lab makes network namespaces and needs root: sudo $0 $*"
}

# need_tools: every program the lab runs, or the Debian package to
# install (contrib/install-deps.sh test installs them all).
need_tools()
{
	local c pkg missing=

	for c in ip:iproute2 iptables:iptables nsd:nsd sshd:openssh-server \
	    ssh:openssh-client ssh-keygen:openssh-client git:git swaks:swaks \
	    smtp-sink:postfix dig:dnsutils sqlite3:sqlite3 openssl:openssl \
	    unshare:util-linux dkimverify:python3-dkim arcverify:python3-dkim; do
		pkg=${c#*:}
		c=${c%%:*}
		command -v "$c" >/dev/null 2>&1 || missing="$missing $pkg"
	done
	/usr/bin/python3 -c 'import dkim, dns.resolver' 2>/dev/null ||
	    missing="$missing python3-dkim python3-dnspython"
	[ -z "$missing" ] || die "missing programs; install them with: apt-get install$(printf ' %s' $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')"
	for c in tools/timbre daemons/resolverd/timbre-resolverd \
	    daemons/primaryd/timbre-primaryd daemons/signd/timbre-signd \
	    daemons/listd/timbre-listd; do
		[ -x "$B/$c" ] || die "$B/$c is not built (./demo.sh builds it)"
	done
}

# acme_tools: are pebble and certbot with its RFC 2136 plugin there?
# Without them the lab skips step 8 and says what to install.
acme_tools()
{
	command -v pebble >/dev/null 2>&1 && command -v certbot >/dev/null 2>&1 &&
	    /usr/bin/python3 -c 'import certbot_dns_rfc2136' 2>/dev/null
}

# conf DAEMON: $L/conf/timbre-DAEMON.conf, the packaged file then the
# lab's lines (standard input).
conf()
{
	local f=$L/conf/timbre-$1.conf

	mkdir -p "$L/conf"
	if [ -f "$top/etc/timbre-$1.conf" ]; then
		cat "$top/etc/timbre-$1.conf" >"$f"
	else
		echo "# (no etc/timbre-$1.conf in this tree: the lab's lines only)" >"$f"
	fi
	printf '\n# The lab (contrib/lab/lab.sh):\n' >>"$f"
	cat >>"$f"
}

# daemon NAME [VAR=VALUE...]: start timbre-NAME in its namespace, with
# its configuration file and those variables in its environment; its
# output in $L/NAME.log.
daemon()
{
	local name=$1

	shift
	show "[$name] ${*:+$* }timbre-$name -f -c $L/conf/timbre-$name.conf"
	integ_spawn "$L/$name.log" ip netns exec "timbre-$name" env "$@" \
	    "$B/daemons/$name/timbre-$name" -f -c "$L/conf/timbre-$name.conf"
}

# ------------------------------------------------------------------ down

down()
{
	ns_down "$LAB_NS"
	rm -rf "$L"
}

# -------------------------------------------------------------------- up

keys()
{
	local um

	say "2. Keys"
	um=$(umask)
	umask 077
	mkdir -p "$L/keys" "$L/zones"
	chmod 700 "$L/keys"
	cd "$L/keys"
	show "timbre tsig-keygen signd._update.example.org   # signd's key to publish its keys"
	"$TIMBRE" tsig-keygen signd._update.example.org >signd.tsig-pair
	sed -n 2p signd.tsig-pair >signd.tsig
	show "openssl rand -base64 24 > signd.password   # the DKIM keys are derived from it"
	openssl rand -base64 24 | tr -d '\n' >signd.password
	ssh-keygen -q -t ed25519 -N '' -C admin@example.org -f admin
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out alice-dkim.pem 2>/dev/null
	if acme_tools; then
		show "timbre tsig-keygen acme._update._acme-challenge.example.org   # certbot's: _acme-challenge names only"
		"$TIMBRE" tsig-keygen acme._update._acme-challenge.example.org >acme.tsig-pair
		show "timbre tsig-keygen tlsa._update._tcp.example.org   # the deploy hook's: TLSA records only"
		"$TIMBRE" tsig-keygen tlsa._update._tcp.example.org >tlsa.tsig-pair
		sed -n 2p tlsa.tsig-pair >tlsa.tsig
	fi
	show "ssh-keygen -t ed25519 -f admin   # the administrator's, to push the zone"
	show "openssl genpkey -algorithm RSA ... > alice-dkim.pem   # alice's DKIM key, example.net"
	note "timbre-primaryd's SSH key is made with the git server (step 4) by timbre keygen."
	umask "$um"
}

zones()
{
	local alice_p z

	alice_p=$(openssl pkey -in "$L/keys/alice-dkim.pem" -pubout -outform DER | base64 -w0)
	cd "$L/zones"
	cat >root.zone <<-'EOF'
	$TTL 3600
	.			SOA a.root-servers.net. hostmaster.root-servers.net. 1 3600 900 604800 300
	.			NS a.root-servers.net.
	org.			NS a.gtld-servers.net.
	net.			NS a.gtld-servers.net.
	com.			NS a.gtld-servers.net.
	a.root-servers.net.	A 198.51.100.1
	a.gtld-servers.net.	A 198.51.100.2
	EOF
	printf '. 3600000 NS a.root-servers.net.\na.root-servers.net. 3600000 A 198.51.100.1\n' >root.hints
	# The TLDs and the two outside domains, all on 198.51.100.2.
	for z in org net com example.net example.com; do
		printf '$ORIGIN %s.\n$TTL 300\n@ SOA a.gtld-servers.net. hostmaster.gtld-servers.net. 1 3600 900 604800 300\n@ NS a.gtld-servers.net.\n' \
		    "$z" >"$z.zone"
	done
	cat >>org.zone <<-'EOF'
	; the lab's domain, delegated to the host's public address
	example			NS ns1.example
	ns1.example		A 203.0.113.10
	EOF
	cat >>net.zone <<-'EOF'
	a.root-servers		A 198.51.100.1
	a.gtld-servers		A 198.51.100.2
	example			NS a.gtld-servers.net.
	EOF
	echo "example NS a.gtld-servers.net." >>com.zone
	cat >>example.net.zone <<-EOF
	; alice's domain: one MTA, and mail that fails DMARC is to be rejected
	@			MX 10 mx
	mx			A 192.0.2.25
	mx			TXT "v=spf1 ip4:192.0.2.25 -all"
	@			TXT "v=spf1 ip4:192.0.2.25 -all"
	_dmarc			TXT "v=DMARC1; p=reject; adkim=s; aspf=s"
	s1._domainkey		TXT $(integ_txt_strings "v=DKIM1; k=rsa; p=$alice_p")
	EOF
	cat >>example.com.zone <<-'EOF'
	; two subscribers' domains, each with its own MTA
	one			MX 10 mx.one
	mx.one			A 192.0.2.51
	one			TXT "v=spf1 ip4:192.0.2.51 -all"
	two			MX 10 mx.two
	mx.two			A 192.0.2.52
	two			TXT "v=spf1 ip4:192.0.2.52 -all"
	EOF
}

network()
{
	local a

	say "3. The network: namespaces, the bridge \"service\", the NAT"
	ns_add timbre host
	ns_add timbre internet
	ns_veth timbre-host uplink 203.0.113.10/24 timbre-internet eth0 203.0.113.1/24
	ip -n timbre-host route add default via 203.0.113.1
	for a in 198.51.100.1 198.51.100.2 192.0.2.22 192.0.2.25 192.0.2.30 \
	    192.0.2.51 192.0.2.52; do
		ip -n timbre-internet addr add "$a/32" dev lo
	done
	ns_bridge timbre-host service 10.0.0.1/24
	for a in resolverd:2 primaryd:3 signd:4 listd:5; do
		ns_add timbre "${a%:*}"
		ns_bridge_port timbre-host service "timbre-${a%:*}" "10.0.0.${a#*:}/24" 10.0.0.1
	done
	note "timbre-host: uplink 203.0.113.10/24 to the internet, bridge service 10.0.0.1/24 with resolverd .2, primaryd .3, signd .4, listd .5 (a namespace each)."
	nsx host "$top/contrib/iptables/timbre-nat.sh" --uplink uplink \
	    --subnet 10.0.0.0/24 --primary 10.0.0.3 --listd 10.0.0.5 \
	    --public 203.0.113.10
	note "The NAT rules (iptables-save in timbre-host; FORWARD accepts not shown):"
	quiet host iptables-save | grep -- '-j \(DNAT\|MASQUERADE\)' |
	    sed 's/ -m comment --comment timbre-nat//; s/ -m \(udp\|tcp\)//; s/^/  /'
}

internet()
{
	say "4. The internet: root and TLD name servers, the git server, three MTAs"
	cd "$L/zones"
	show "[internet] nsd: the root on 198.51.100.1"
	quiet internet env INTEG_TMP="$L" "$top/contrib/lab/lab.sh" __call integ_nsd_start_at \
	    198.51.100.1 root . root.zone ||
	    die "NSD (the root) did not start: $L/nsd-root/"
	show "[internet] nsd: org, net, com, example.net and example.com on 198.51.100.2"
	quiet internet env INTEG_TMP="$L" "$top/contrib/lab/lab.sh" __call integ_nsd_start_at \
	    198.51.100.2 tld org org.zone net net.zone com com.zone \
	    example.net example.net.zone example.com example.com.zone ||
	    die "NSD (the TLDs) did not start: $L/nsd-tld/"
	show "[internet] dig +norec @198.51.100.2 example.org NS"
	quiet internet dig +norec @198.51.100.2 example.org NS |
	    grep -A4 'AUTHORITY SECTION' | sed 's/^/  /'

	mkdir -p "$L/git"
	git init -q --bare "$L/git/zone.git"
	git -C "$L/git/zone.git" symbolic-ref HEAD refs/heads/main
	show "[internet] timbre keygen --keytype ed25519 > ssh.key   # timbre-primaryd's key"
	show "[internet] sshd on 192.0.2.22:22; authorized_keys: that key's line 2, the admin's key"
	quiet internet env T="$L/git" SSHD_ADDR=192.0.2.22 SSH_PORT=22 \
	    "$top/contrib/lab/lab.sh" __call lab_sshd || die "sshd did not start: $L/git/sshd.log"
	cp "$L/git/ed.keyfile" "$L/keys/primaryd.ssh"

	for a in one:192.0.2.51 two:192.0.2.52; do
		mkdir -p "$L/mail/${a%:*}"
		chown nobody "$L/mail/${a%:*}"
		chmod 755 "$L" "$L/mail"
		show "[internet] smtp-sink -u nobody -d $L/mail/${a%:*}/%Y%m%d%H%M%S. ${a#*:}:25 10"
		integ_spawn "$L/mail/${a%:*}.log" ip netns exec timbre-internet \
		    smtp-sink -u nobody -d "$L/mail/${a%:*}/%Y%m%d%H%M%S." "${a#*:}:25" 10
	done
	note "192.0.2.25 is alice's MTA: swaks, with DKIM signatures made by timbre dkim sign."
}

# lab_sshd (in timbre-internet): prim_sshd of the tests, plus the
# administrator's key; the fingerprint in $T/fp.
lab_sshd()
{
	prim_sshd || return 1
	cat "$L/keys/admin.pub" >>"$T/authorized_keys"
	printf '%s\n' "$FP" >"$T/fp"
	waitfor 10 sh -c "ss -Hltn | grep -q '192.0.2.22:22 '"
}

push_zone()
{
	local w=$L/admin/zone

	say "5. The zone of example.org, pushed to the git server over SSH"
	mkdir -p "$L/admin"
	echo "192.0.2.22 $(cat "$L/git/hostkey.pub")" >"$L/admin/known_hosts"
	export GIT_SSH_COMMAND="ssh -i $L/keys/admin -o UserKnownHostsFile=$L/admin/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes"
	git init -q -b main "$w"
	cat >"$w/example.org" <<-'EOF'
	$ORIGIN example.org.
	$TTL 300
	@	SOA ns1 hostmaster 1 3600 900 604800 300
	@	NS ns1
	ns1	A 203.0.113.10
	; the lists: mx is the host's public address, whose port 25 is listd
	@	MX 10 mx
	mx	A 203.0.113.10
	@	TXT "v=spf1 ip4:203.0.113.10 -all"
	_dmarc	TXT "v=DMARC1; p=reject"
	; the DKIM and ARC keys are published by timbre-signd
	EOF
	head -n1 "$L/keys/signd.tsig-pair" >"$w/_keys"
	sed 's/^/  /' "$w/example.org"
	note "_keys: signd._update.example.org may UPDATE the zone (and transfer it)."
	if [ -f "$L/keys/acme.tsig-pair" ]; then
		head -n1 "$L/keys/acme.tsig-pair" >>"$w/_keys"
		head -n1 "$L/keys/tlsa.tsig-pair" >>"$w/_keys"
		note "_keys also: acme._update._acme-challenge.example.org, which may change only names with an _acme-challenge label, and tlsa._update._tcp.example.org, only names with a _tcp label."
	fi
	git -C "$w" -c user.name=admin -c user.email=admin@example.org add -A
	git -C "$w" -c user.name=admin -c user.email=admin@example.org commit -q -m "example.org"
	nsx host git -C "$w" push -q "ssh://root@192.0.2.22$L/git/zone.git" main
}

daemons()
{
	say "6. The daemons, each in its namespace, with the packaged config file"
	note "Each binds its port as root and then runs as nobody (user = nobody), which owns its state: the packages' system users, in a lab."
	mkdir -p "$L/primaryd" "$L/listd" "$L/tls"
	# listd's first certificate, self-signed (as Debian's ssl-cert
	# makes one), until step 8 replaces it.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$L/tls/privkey.pem" -out "$L/tls/fullchain.pem" -days 30 \
	    -subj /CN=mx.example.org 2>/dev/null
	chown nobody "$L/primaryd" "$L/listd" "$L/keys/primaryd.ssh" \
	    "$L/tls/privkey.pem" \
	    "$L/keys/signd.password" "$L/keys/signd.tsig"
	chmod 711 "$L/keys"
	conf resolverd <<-EOF
	user = nobody
	listen = 10.0.0.2:53
	allow = 10.0.0.0/24
	root-hints = $L/zones/root.hints
	# The lab's root is not signed.
	no-dnssec = yes
	EOF
	daemon resolverd
	conf primaryd <<-EOF
	user = nobody
	listen = 10.0.0.3:53
	remote = ssh://root@192.0.2.22$L/git/zone.git#main
	ssh-key-file = $L/keys/primaryd.ssh
	ssh-authenticator = $(cat "$L/git/fp")
	workdir = $L/primaryd
	# The private network is never rate limited; others are, at 200
	# answers a second (the default --rrl-rate).
	rrl-allow = 10.0.0.0/24
	EOF
	daemon primaryd
	waitfor 20 answers primaryd 10.0.0.3 example.org SOA ||
	    die "timbre-primaryd does not answer: $L/primaryd.log"
	waitfor 10 answers resolverd 10.0.0.2 example.net MX ||
	    die "timbre-resolverd does not answer: $L/resolverd.log"
	note "The resolver finds example.org as the world does: from the root down to 203.0.113.10, which the NAT loops back to the primary (--public: hairpin):"
	nsx signd dig +noall +answer @10.0.0.2 example.org MX
	conf signd <<-EOF
	user = nobody
	listen = 10.0.0.4:25
	relay = 10.0.0.5:2525
	allow = 10.0.0.0/24
	domain = example.org
	password-file = $L/keys/signd.password
	primary = 10.0.0.3:53
	tsig-key-file = $L/keys/signd.tsig
	resolver = 10.0.0.2:53
	authserv-id = mx.example.org
	hostname = signd.example.org
	EOF
	daemon signd
	conf listd <<-EOF
	user = nobody
	listen = 10.0.0.5:25
	listen-signed = 10.0.0.5:2525
	domain = example.org
	hostname = mx.example.org
	db = $L/listd/lists.db
	signer = 10.0.0.4:25
	resolver = 10.0.0.2:53
	signer-retry = 2s
	signer-retry-max = 10s
	tls-cert = $L/tls/fullchain.pem
	tls-key = $L/tls/privkey.pem
	EOF
	show "timbre list create $L/listd/lists.db"
	"$TIMBRE" list create "$L/listd/lists.db"
	chown nobody "$L/listd/lists.db"
	daemon listd
	waitfor 10 sh -c "ip netns exec timbre-listd ss -Hltn | grep -q '10.0.0.5:25 '" ||
	    die "timbre-listd is not listening: $L/listd.log"
	note "From the internet, the host's public address answers for example.org (the NAT sends port 53 to timbre-primaryd):"
	nsx internet dig +norec +noall +answer @203.0.113.10 example.org MX

	say "7. timbre-signd publishes its first keys by UPDATE; the primary commits them"
	if waitfor 60 sh -c "git --git-dir='$L/git/zone.git' log --format=%s main |
	    grep -c 'UPDATE by signd' | grep -qx 3"; then
		show "git --git-dir=$L/git/zone.git log --format='%h %an: %s' main"
		git --git-dir="$L/git/zone.git" log --format='  %h %an: %s' main | cut -c1-100
		waitfor 30 grep -q 'keyring sign kind=' "$L/signd.log" || true
		show "git --git-dir=$L/git/zone.git show main:example.org | grep _domainkey"
		git --git-dir="$L/git/zone.git" show main:example.org |
		    grep _domainkey | cut -c1-90 | sed 's/^/  /'
	else
		echo "signd published no key within 60 s; its log:"
		tail -n 15 "$L/signd.log"
		return 1
	fi
}

# served_cert: the subject and issuer of the certificate listd shows
# after STARTTLS on the host's public address, from the internet.
served_cert()
{
	quiet internet openssl s_client -starttls smtp -connect 203.0.113.10:25 \
	    -servername mx.example.org </dev/null 2>/dev/null |
	    openssl x509 -noout -subject -issuer 2>/dev/null
}

acme()
{
	local ini=$L/acme/rfc2136.ini

	say "8. A certificate for mx.example.org by ACME DNS-01, through timbre-primaryd"
	if ! acme_tools; then
		note "Skipped: it needs pebble (the ACME test CA) and certbot with its RFC 2136 plugin: apt-get install pebble certbot python3-certbot-dns-rfc2136"
		return 0
	fi
	note "listd starts with a self-signed certificate:"
	show "[internet] openssl s_client -starttls smtp -connect 203.0.113.10:25 | openssl x509 -noout -subject -issuer"
	served_cert | sed 's/^/  /'
	mkdir -p "$L/acme"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$L/acme/pebble.key" -out "$L/acme/pebble.crt" -days 2 \
	    -subj /CN=pebble -addext subjectAltName=IP:192.0.2.30 2>/dev/null
	cat >"$L/acme/pebble.json" <<-EOF
	{ "pebble": { "listenAddress": "192.0.2.30:14000",
	  "managementListenAddress": "192.0.2.30:15000",
	  "certificate": "$L/acme/pebble.crt", "privateKey": "$L/acme/pebble.key",
	  "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "",
	  "externalAccountBindingRequired": false } }
	EOF
	show "[internet] pebble -config pebble.json -dnsserver 203.0.113.10:53   # the CA asks the world's way, through the NAT"
	integ_spawn "$L/pebble.log" ip netns exec timbre-internet env \
	    PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
	    pebble -config "$L/acme/pebble.json" -dnsserver 203.0.113.10:53
	waitfor 10 sh -c "ip netns exec timbre-internet ss -Hltn | grep -q '192.0.2.30:14000 '" ||
	    die "pebble does not listen: $L/pebble.log"
	umask 077
	cat >"$ini" <<-EOF
	dns_rfc2136_server = 10.0.0.3
	dns_rfc2136_port = 53
	dns_rfc2136_name = acme._update._acme-challenge.example.org.
	dns_rfc2136_secret = $(sed -n 2p "$L/keys/acme.tsig-pair" | cut -d: -f3)
	dns_rfc2136_algorithm = HMAC-SHA256
	EOF
	cat >"$L/acme/hook.conf" <<-EOF
	TLS_CERT=$L/tls/fullchain.pem
	TLS_KEY=$L/tls/privkey.pem
	LISTD_RELOAD="pkill -HUP -f '^$B/daemons/listd/timbre-listd -f -c'"
	TLSA_HOSTS=mx.example.org
	TLSA_SERVER=10.0.0.3
	TLSA_ZONE=example.org
	TLSA_KEY=$L/keys/tlsa.tsig
	TLSA_TTL=300
	TLSA_WAIT=1
	TIMBRE=$TIMBRE
	EOF
	umask 022
	note "certbot, on the host, answers the challenge with its key (contrib/acme/rfc2136.ini.example); contrib/acme/deploy-hook publishes the new key's TLSA record, installs the certificate, reloads listd and retires the old TLSA:"
	show "[host] certbot certonly --authenticator dns-rfc2136 -d mx.example.org --deploy-hook contrib/acme/deploy-hook"
	if ! ip netns exec timbre-host env REQUESTS_CA_BUNDLE="$L/acme/pebble.crt" \
	    ACME_HOOK_CONF="$L/acme/hook.conf" certbot certonly \
	    --non-interactive --config-dir "$L/acme" --work-dir "$L/acme" \
	    --logs-dir "$L/acme/logs" --server https://192.0.2.30:14000/dir \
	    --agree-tos --register-unsafely-without-email \
	    --authenticator dns-rfc2136 --dns-rfc2136-credentials "$ini" \
	    --dns-rfc2136-propagation-seconds 1 --key-type ecdsa \
	    -d mx.example.org --deploy-hook "$top/contrib/acme/deploy-hook" \
	    >"$L/certbot.log" 2>&1; then
		echo "certbot failed; its output:"
		tail -n 15 "$L/certbot.log"
		return 1
	fi
	note "The challenge came and went in the zone's history:"
	show "git --git-dir=$L/git/zone.git log --format='%h %an: %s' main | grep acme"
	git --git-dir="$L/git/zone.git" log --format='  %h %an: %s' main |
	    grep -i acme | cut -c1-100
	note "listd now shows pebble's certificate, and its TLSA record is served:"
	waitfor 10 sh -c "ip netns exec timbre-internet openssl s_client -starttls smtp -connect 203.0.113.10:25 </dev/null 2>/dev/null | openssl x509 -noout -issuer | grep -q Pebble" || true
	served_cert | sed 's/^/  /'
	nsx internet dig +norec +noall +answer @203.0.113.10 _25._tcp.mx.example.org TLSA
}

up()
{
	local t0=$SECONDS

	need_root up
	need_tools
	if ip netns list | grep -qE "^$LAB_NS( |\$)"; then
		note "A lab is there already (or half of one, from a run that was stopped): removing it first."
		down
	fi
	rm -rf "$L"
	mkdir -p "$L"
	keys
	zones
	network
	internet
	push_zone
	daemons
	acme
	echo
	note "The lab is up ($((SECONDS - t0)) s). Look around: sudo ip netns exec timbre-internet dig @203.0.113.10 example.org ANY; logs in $L/*.log. Remove it: sudo ./demo.sh down"
}

# ------------------------------------------------------------------- run

# mta NAME ADDR HELO FROM TO FILE: a message from the MTA at ADDR to the
# lab's MX, the host's public address; transcript in $L/mail/NAME.swaks.
mta()
{
	show "[internet] swaks --server 203.0.113.10:25 --local-interface $2 --helo $3 --from $4 --to $5 --data @$6"
	quiet internet swaks --server 203.0.113.10 --port 25 --local-interface "$2" \
	    --helo "$3" --from "$4" --to "$5" --data "@$6" >"$L/mail/$1.swaks" 2>&1 || true
	grep -E '^ *<[~*-]* +(250|5[0-9][0-9]|4[0-9][0-9]) ' "$L/mail/$1.swaks" |
	    grep -vE ' (221|250-)' | tail -n 1 | sed 's/^ *<[~*-]* */  the reply: /'
}

# arrived DIR PATTERN: the newest message at smtp-sink DIR matching
# PATTERN, without smtp-sink's X-Client-* lines, LF line ends, in $GOT.
arrived()
{
	local f

	f=$(grep -lE -- "$2" "$L/mail/$1"/* 2>/dev/null | tail -n 1)
	[ -n "$f" ] || return 1
	GOT=$L/mail/$1.last.eml
	awk 'h == 0 && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/ { next }
	    { h = 1; print }' "$f" | tr -d '\r' >"$GOT"
}

# dkimpy VERIFIER FILE: dkimverify or arcverify in the internet, its DNS
# the lab's name server at the host's public address (a mount namespace
# of its own holds that resolv.conf; the machine's stays as it is).
dkimpy()
{
	echo "nameserver 203.0.113.10" >"$L/resolv.conf"
	show "[internet] $1 < ${2##*/}"
	quiet internet unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf &&
	    exec /usr/bin/python3 "/usr/bin/$2" <"$3"' sh "$L/resolv.conf" "$1" "$2"
}

FACTS=
fact() { FACTS="$FACTS$1: $2
"; }

run()
{
	local t0=$SECONDS tok got rc

	need_root run
	ip netns list | grep -q '^timbre-listd' || die "no lab: run $0 up first"
	mkdir -p "$L/mail"

	say "9. A list, made with timbre list"
	# run is meant once after up; a second one finds the list made.
	"$TIMBRE" list show "$L/listd/lists.db" --domain example.org dev >/dev/null 2>&1 ||
	    nsx host "$TIMBRE" list add "$L/listd/lists.db" --domain example.org dev --moderator alice@example.net
	"$TIMBRE" list show "$L/listd/lists.db" --domain example.org dev | sed 's/^/  /'

	say "10. carol@one.example.com joins by mail: a request, a confirmation, a welcome"
	printf '%s\n' "From: Carol <carol@one.example.com>" "To: dev-subscribe@example.org" \
	    "Subject: subscribe" "Date: $(date -R)" "Message-ID: <sub.$$@one.example.com>" \
	    "" "Please add me." >"$L/mail/sub.eml"
	mta sub 192.0.2.51 mx.one.example.com carol@one.example.com dev-subscribe@example.org "$L/mail/sub.eml"
	if waitfor 30 arrived one 'dev-confirm\+[0-9a-f]{32}@example.org'; then
		tok=$(grep -oE 'dev-confirm\+[0-9a-f]{32}@example.org' "$GOT" | head -n1)
		note "carol's MTA (192.0.2.51) got the request, signed by the list (d=example.org), naming $tok; she answers it:"
		grep -E '^(From|To|Subject|DKIM-Signature):' "$GOT" | cut -c1-78 | sed 's/^/  /'
		printf '%s\n' "From: Carol <carol@one.example.com>" "To: $tok" \
		    "Subject: Re: confirm" "Date: $(date -R)" "Message-ID: <conf.$$@one.example.com>" \
		    "" "Yes." >"$L/mail/conf.eml"
		mta conf 192.0.2.51 mx.one.example.com carol@one.example.com "$tok" "$L/mail/conf.eml"
		waitfor 30 arrived one '^Subject:.*[Ww]elcome' && fact subscribed yes
		grep -E '^Subject:' "$GOT" 2>/dev/null | sed 's/^/  the welcome: /'
	else
		echo "  no confirmation request reached carol's MTA; listd's log:"
		tail -n 10 "$L/listd.log" | sed 's/^/  /'
	fi
	note "dave@two.example.com is added by the list's owner:"
	nsx host "$TIMBRE" list subscribe "$L/listd/lists.db" --domain example.org dev dave@two.example.com
	"$TIMBRE" list show "$L/listd/lists.db" --domain example.org dev | sed 's/^/  /'

	say "11. alice@example.net (SPF, DKIM, DMARC p=reject) posts, through the NAT'd port 25"
	printf '%s\n' "From: Alice <alice@example.net>" "To: dev@example.org" \
	    "Subject: Lunch on Friday?" "Date: $(date -R)" \
	    "Message-ID: <post.$$@example.net>" "" "Hello list," "" \
	    "the usual place, at noon?" "" "Alice" >"$L/mail/post.in"
	show "timbre dkim sign --domain example.net --selector s1 --key alice-dkim.pem post.in > post.eml"
	"$TIMBRE" dkim sign --domain example.net --selector s1 \
	    --key "$L/keys/alice-dkim.pem" "$L/mail/post.in" >"$L/mail/post.eml"
	mta post 192.0.2.25 mx.example.net alice@example.net dev@example.org "$L/mail/post.eml"
	grep -E 'client=|from 192\.0\.2\.25|192\.0\.2\.25' "$L/listd.log" | tail -n 1 |
	    cut -c1-150 | sed 's/^/  listd: /'

	note "The same From, unsigned, from an address example.net's SPF does not name, fails DMARC and is refused (p=reject):"
	printf '%s\n' "From: Alice <alice@example.net>" "To: dev@example.org" \
	    "Subject: Send money" "Date: $(date -R)" \
	    "Message-ID: <forged.$$@example.net>" "" "Quickly." >"$L/mail/forged.eml"
	mta forged 192.0.2.52 mx.example.net alice@example.net dev@example.org "$L/mail/forged.eml"
	grep -q '^ *<[~*-]* *550 5.7.1' "$L/mail/forged.swaks" && fact forged refused

	say "12. Both subscribers' MTAs receive it"
	got=0
	for s in one two; do
		if waitfor 30 arrived "$s" "^Message-ID: <post.$$@example.net>"; then
			got=$((got + 1))
			cp "$GOT" "$L/mail/post.$s.eml"
			echo "  $s.example.com got it:"
			grep -E '^(From|Reply-To|Subject|List-Id|DKIM-Signature|ARC-Seal):' "$GOT" |
			    cut -c1-78 | sed 's/^/    /'
			[ "$s" = one ] || continue
			echo "  what listd found (its Authentication-Results, sealed in ARC):"
			sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$GOT" | sed '$d' |
			    cut -c1-78 | sed 's/^/    /'
		else
			echo "  $s.example.com got nothing within 30 s"
		fi
	done
	[ "$got" -eq 2 ] && fact delivered 2

	say "13. The copy carol got, checked by dkimpy and by timbre"
	if [ -f "$L/mail/post.one.eml" ]; then
		note "dkimpy (python3-dkim) verifies the top DKIM signature, the list's (d=example.org), and the ARC chain, asking the lab's name server at 203.0.113.10 for the keys; timbre arc verify does the same:"
		rc=0
		dkimpy dkimverify "$L/mail/post.one.eml" | sed 's/^/  /' || rc=$?
		[ "$rc" -eq 0 ] && fact dkimverify pass
		rc=0
		dkimpy arcverify "$L/mail/post.one.eml" | sed 's/^/  /' || rc=$?
		[ "$rc" -eq 0 ] && fact arcverify pass
		rc=0
		nsx internet "$TIMBRE" arc verify -v -n udp:203.0.113.10:53 "$L/mail/post.one.eml" |
		    sed 's/^/  /' || rc=$?
		[ "$rc" -eq 0 ] && fact timbre-arc pass
	fi
	printf '%s' "$FACTS" >"$L/facts"
	echo
	note "Done in $((SECONDS - t0)) s. The lab stays up; sudo ./demo.sh down removes it."
	[ "$got" -eq 2 ]
}

case ${1:-} in
up) up ;;
run) run ;;
down) need_root down; down; echo "lab: removed" ;;
__call) shift; "$@" ;;
*) echo "usage: $0 up | run | down" >&2; exit 2 ;;
esac
