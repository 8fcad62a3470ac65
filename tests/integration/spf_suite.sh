#!/bin/sh
# tests/integration/spf_suite.sh: the RFC 7208 test suite (openspf/pyspf,
# tests/data/suites/rfc7208-tests.yml) against `timbre spf check`, with pyspf run on the same tests
# for comparison.  The zone data is served by tests/integration/dnsfake.py
# on 127.0.0.1: the suite needs names that never answer and records no
# real name server loads.  The work is in spf_suite.py, which lists the
# tests timbre skips and why.
#
# Run: top_builddir=/work/main/build top_srcdir=/work/main \
#          sh tests/integration/spf_suite.sh
# SPF_SUITE=FILE names the suite file when it is elsewhere.
# Exit: 0 all passed, 1 a test failed, 77 a peer is not installed.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

py=/usr/bin/python3
if [ ! -x "$py" ]; then
	echo "skip: $py is not installed"
	exit 77
fi
for mod in yaml:python3-yaml dns.resolver:python3-dnspython spf:python3-spf; do
	if ! "$py" -c "import ${mod%%:*}" 2>/dev/null; then
		echo "skip: python module ${mod%%:*} missing (apt-get install ${mod#*:})"
		exit 77
	fi
done
# The suite: $SPF_SUITE, else the copy in tests/data/suites/.
suite=
for f in ${SPF_SUITE:+"$SPF_SUITE"} \
    "$top_srcdir/tests/data/suites/rfc7208-tests.yml"; do
	if [ -r "$f" ]; then
		suite=$f
		break
	fi
done
if [ -z "$suite" ]; then
	echo "skip: rfc7208-tests.yml not found"
	exit 77
fi
timbre="$top_builddir/tools/timbre"
if [ ! -x "$timbre" ]; then
	echo "$timbre: not built"
	exit 1
fi
exec "$py" "$top_srcdir/tests/integration/spf_suite.py" "$timbre" "$suite"
