#!/usr/bin/python3
"""spf_suite.py: the RFC 7208 test suite against timbre spf check, and
against pyspf for comparison.

Each scenario's zonedata is served by dnsfake.py on 127.0.0.1 (SPF
entries doubling as TXT, as the suite's drivers do); each test runs
`timbre spf check --ip HOST --mail-from MAILFROM --helo HELO` and its
result must be one of the expected ones (and, for a fail with an
expected explanation, so must the explanation).  pyspf (python3-spf)
checks the same tests against the same server; its agreement with
timbre is reported, not required.

Prints "ok - SCENARIO: TEST" or "not ok - ..." per test, then
"N passed, N failed".  Tests listed in SKIP are reported as
"ok - ... # SKIP reason" and count as neither.

usage: spf_suite.py TIMBRE SUITE.yml
"""

import os
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsfake  # noqa: E402

# Tests timbre does not pass, each with the reason.
SKIP = {
    'v-macro-ip6': 'case of hex nibbles: timbre expands %{i} of an IPv6 '
                   'client in lower case, as RFC 7208 section 7.4 does in '
                   'its own example (1.0.b.c...ip6); the suite (and pyspf, '
                   'which upper-cases on purpose) expects upper case',
}

TIMEOUT_MS = 300	# per query; TIMEOUT entries never answer
RECEIVER = 'receiver.example.org'


def expected(test):
    r = test['result']
    return r if isinstance(r, list) else [r]


def exp_matches(got, want):
    """The suite's "DEFAULT" means no exp= text was used: timbre then gives
    its own sentence, "domain of SENDER does not designate IP ..."."""
    if want == 'DEFAULT':
        return got.startswith('domain of ') and ' does not designate ' in got
    return got == want


def run_timbre(timbre, port, t):
    args = [timbre, 'spf', 'check', '--ip', str(t['host']),
            '--mail-from', str(t.get('mailfrom', '')),
            '-n', 'udp:127.0.0.1:%d' % port,
            '--timeout', str(TIMEOUT_MS), '--retries', '0',
            '--receiver', RECEIVER]
    if t.get('helo') is not None:
        args += ['--helo', str(t['helo'])]
    try:
        p = subprocess.run(args, capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        return 'hang', ''
    if p.returncode not in (0, 1):
        return 'exit %d: %s' % (p.returncode,
                                p.stderr.decode(errors='replace').strip()), ''
    lines = p.stdout.decode(errors='replace').split('\n')
    want_rc = 0 if lines[0] == 'pass' else 1
    if p.returncode != want_rc:
        return 'exit %d for %s' % (p.returncode, lines[0]), ''
    return lines[0], lines[1] if len(lines) > 1 else ''


def pyspf_setup(port):
    try:
        import dns.resolver
        import spf
    except ImportError:
        return None
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ['127.0.0.1']
    r.port = port
    r.lifetime = 1.0
    dns.resolver.default_resolver = r
    return spf


def run_pyspf(spf, t):
    try:
        res, exp = spf.check2(i=str(t['host']),
                              s=str(t.get('mailfrom', '')),
                              h=str(t.get('helo', '')),
                              receiver=RECEIVER, querytime=1)
    except Exception as e:  # pyspf bugs are reported, not fatal
        return 'exception %s' % type(e).__name__, ''
    return res, exp


def main():
    timbre, suite = sys.argv[1], sys.argv[2]
    with open(suite, 'rb') as f:
        scenarios = [s for s in yaml.safe_load_all(f) if s]
    srv = dnsfake.FakeDNS(None, spf_as_txt=True)
    port = srv.start()
    spf = pyspf_setup(port)
    passed = failed = skipped = 0
    agree = disagree = py_ok = total = 0
    differ = []
    for sc in scenarios:
        srv.set_table(sc.get('zonedata') or {}, spf_as_txt=True)
        desc = sc.get('description', '?')
        for name, t in sorted((sc.get('tests') or {}).items()):
            total += 1
            want = expected(t)
            res, exp = run_timbre(timbre, port, t)
            good = res in want
            if good and 'explanation' in t and res == 'fail':
                good = exp_matches(exp, t['explanation'])
            label = '%s: %s' % (desc, name)
            if spf is not None:
                pres, pexp = run_pyspf(spf, t)
                if pres in want:
                    py_ok += 1
                if pres == res:
                    agree += 1
                else:
                    disagree += 1
                    differ.append('%s: timbre %s, pyspf %s, expected %s' %
                                  (name, res, pres, '|'.join(want)))
            if name in SKIP:
                skipped += 1
                print('ok - %s # SKIP %s (got %s)' % (label, SKIP[name],
                                                      res))
            elif good:
                passed += 1
                print('ok - %s' % label)
            else:
                failed += 1
                print('not ok - %s: got %s%s, expected %s%s' % (
                    label, res, ' "%s"' % exp if 'explanation' in t else '',
                    '|'.join(want),
                    ' "%s"' % t['explanation'] if 'explanation' in t
                    else ''))
    srv.stop()
    if spf is not None:
        print('# pyspf %s: %d of %d tests as the suite expects; agrees '
              'with timbre on %d, differs on %d' % (
                  getattr(spf, '__version__', '?'), py_ok, total, agree,
                  disagree))
        for d in differ:
            print('#   differs: %s' % d)
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
