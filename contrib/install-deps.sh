#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages timbre needs, when missing.
#
#   contrib/install-deps.sh build        to build (autotools, compiler, libraries)
#   contrib/install-deps.sh build test   to build and run every test
#
# Works on Debian 11 and 12.  Runs apt-get through sudo when not root; when
# neither is possible it names the missing packages and fails.
set -eu

build_pkgs="autoconf automake libtool pkg-config make gcc libc6-dev
  libevent-dev libssl-dev libldns-dev libgit2-dev libssh-dev libsqlite3-dev
  check"
# Peers the tests prove interoperability against, and test tooling
# (clang for the fuzz harnesses, clang-tools for scan-build, cppcheck;
# devscripts for hardening-check: about 35 small packages, mostly Perl
# modules, without its recommends; postfix, for its smtp-sink and as the
# MTA in front of a milter, installed unconfigured: tests run private
# instances and never touch /etc/postfix; iptables and nftables for the
# NAT script's test and the lab, which use them only inside network
# namespaces of their own; debhelper, dpkg-dev and lintian for
# contrib/deb/build.sh, systemd for systemd-analyze in tests/systemd.sh;
# public-inbox and curl read timbre-listd's archives in listd_archive.sh;
# curl for the one-click unsubscribe endpoint in listd_unsub.sh; w3m,
# python3-feedparser, libxml2-utils (xmllint) and chromium, headless,
# read the web view of timbre list archive-html in archive_html.sh,
# lighttpd serves its attachments there;
# pebble, the ACME test server, and certbot with its dns-rfc2136 plugin
# get a certificate through timbre-primaryd in acme.sh).
test_pkgs="clang clang-tools cppcheck mandoc openssl python3 python3-dkim python3-dnspython
  python3-nacl python3-yaml python3-spf libmail-dkim-perl libnet-dns-perl libcryptx-perl nsd dnsutils
  knot knot-dnsutils ldnsutils debootstrap iproute2 procps publicsuffix unbound dnsperf
  openssh-server openssh-client git devscripts postfix swaks sqlite3
  iptables nftables debhelper dpkg-dev lintian systemd public-inbox curl
  w3m python3-feedparser libxml2-utils chromium lighttpd
  pebble certbot python3-certbot-dns-rfc2136"

want=""
for set in "$@"; do
	case "$set" in
	build) want="$want $build_pkgs" ;;
	test) want="$want $test_pkgs" ;;
	*) echo "install-deps: unknown set '$set' (build, test)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo="sudo -n"
else
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root: apt-get install$missing" >&2
	exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
case " $missing " in
*" postfix "*)
	echo "postfix postfix/main_mailer_type select No configuration" |
	    $sudo debconf-set-selections ;;
esac
# A fresh machine has no package lists; refresh them once if needed.
if ! $sudo apt-get install -y -q --no-install-recommends $missing; then
	$sudo apt-get update -q
	$sudo apt-get install -y -q --no-install-recommends $missing
fi
