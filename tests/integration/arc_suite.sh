#!/bin/bash
# arc_suite.sh: the ValiMail ARC test suites (validation and signing)
# against `timbre arc`, through tests/integration/arc_suite.py, which
# serves each scenario's key records from a fixed-answer DNS server on
# 127.0.0.1 and lists the cases timbre does not pass, with the reason.
# Suites: $ARC_SUITES, else tests/data/suites.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

SUITES=${ARC_SUITES:-$top_srcdir/tests/data/suites}
[ -f "$SUITES/arc-draft-validation-tests.yml" ] ||
    integ_skip "ARC suites not found in $SUITES (set ARC_SUITES)"
/usr/bin/python3 -c 'import yaml, dns.message, dkim' 2>/dev/null ||
    integ_skip "needs python3-yaml, python3-dnspython and python3-dkim"
exec /usr/bin/python3 "$top_srcdir/tests/integration/arc_suite.py" \
    --timbre "$top_builddir/tools/timbre" --suites "$SUITES"
