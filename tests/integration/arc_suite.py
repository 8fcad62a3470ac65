#!/usr/bin/python3
"""Runs the ValiMail ARC suites (tests in tests/data/suites, or
the directory given with --suites) against `timbre arc`.

    arc_suite.py --timbre PATH [--suites DIR] [-v]

Validation cases: the message goes to `timbre arc verify`, the keys come
from a fixed-answer DNS server (arc_dns.py), and the cv= printed must be
the expected one.  Signing cases: `timbre arc sign` seals the message at
the case's t= with the case's h= list and authserv-id; the new ARC-Seal
and ARC-Message-Signature must carry the expected tags (all but b=, whose
value depends on the tag order and folding of the seal being signed,
which the suite's authors chose freely), the AAR the expected results,
and the sealed message must then validate, both with timbre and with
dkimpy's arc_verify.

Cases timbre does not pass on purpose are listed in KNOWN with the
reason; they print "not ok - NAME # known: REASON" and do not fail the
run.  Output: one "ok - NAME" / "not ok - NAME" line per case, then
"N passed, N failed, K skipped" (K: the known cases); exit 1 on an
unexpected failure.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import arc_dns  # noqa: E402

# Cases whose expected result timbre does not give, and why.
KNOWN = {
    'ams_fields_a_sha1': 'rsa-sha1 is not accepted any more (RFC 8301 '
                         'section 3.1); the suite predates it',
    'as_fields_a_sha1': 'rsa-sha1 is not accepted any more (RFC 8301 '
                        'section 3.1); the suite predates it',
    'cv_fail_i1_as_cv_fail': 'the suite expects no result for a chain '
                             'whose newest seal says cv=fail; RFC 8617 '
                             'section 5.2 step 3 makes it cv=fail',
    'cv_fail_i2_as2_fail': 'as cv_fail_i1_as_cv_fail',
    'cv_fail_i2_as1_fail': 'the suite expects no result; i=1 with cv=fail '
                           'breaks section 5.2 step 4, which is cv=fail',
    'i1_base': 'the chain in the input does not validate (dkimpy agrees: '
               'ARC-Seal[1] did not validate); the suite takes cv= from '
               'the arc= result of the Authentication-Results, timbre '
               'validates the chain itself and seals it cv=fail',
    'i2_base': 'as i1_base (dkimpy: ARC-Seal[2] did not validate)',
}

VERBOSE = False


def tags(value):
    """A tag list as a dict, whitespace removed from values."""
    out = {}
    for part in value.split(';'):
        if '=' not in part:
            continue
        k, v = part.split('=', 1)
        out[k.strip()] = re.sub(r'\s+', '', v)
    return out


def field_values(msg, name):
    """The unfolded values of the header fields called name, in order."""
    head = msg.split('\n\n', 1)[0]
    fields, cur = [], None
    for line in head.split('\n'):
        if line[:1] in (' ', '\t') and cur is not None:
            cur[1] += ' ' + line.strip()
            continue
        if ':' in line:
            cur = [line.split(':', 1)[0], line.split(':', 1)[1].strip()]
            fields.append(cur)
    return [v for n, v in fields if n.lower() == name.lower()]


def squash(s):
    return re.sub(r'\s+', ' ', s).strip().rstrip(';').strip()


def run(args, stdin=None):
    p = subprocess.run(args, input=stdin, capture_output=True)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), \
        p.stderr.decode('utf-8', 'replace')


def cv_of(out):
    for line in out.splitlines():
        if line.startswith('cv='):
            return line[3:].split(':')[0].strip()
    return None


def dkimpy_verify(msg_bytes, records):
    import dkim

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        rec = records.get(name.rstrip('.').lower())
        return rec.encode() if rec is not None else None
    cv, _, why = dkim.arc_verify(msg_bytes.replace(b'\n', b'\r\n'),
                                 dnsfunc=dnsfunc)
    return (cv.decode() if isinstance(cv, bytes) else str(cv)), why


def validation_case(timbre, srv, name, case, tmp):
    path = os.path.join(tmp, 'msg')
    with open(path, 'w') as f:
        f.write(case['message'])
    rc, out, err = run([timbre, 'arc', 'verify', '-v', '-n',
                        'udp:127.0.0.1:%d' % srv.port, path])
    want = str(case['cv']).lower()
    got = cv_of(out)
    if got == want and rc == (1 if want == 'fail' else 0):
        return True, ''
    return False, 'expected cv=%s, got %s (rc %d): %s %s' % (
        want, got, rc, out.strip().replace('\n', ' | '), err.strip())


def sign_case(timbre, srv, name, case, scen, records, tmp):
    path = os.path.join(tmp, 'msg')
    key = os.path.join(tmp, 'key.pem')
    with open(path, 'w') as f:
        f.write(case['message'])
    with open(key, 'w') as f:
        f.write(scen['privatekey'])
    expect_empty = not (case.get('AS') or '').strip()
    rc, out, err = run([timbre, 'arc', 'sign', '--domain', scen['domain'],
                        '--selector', scen['sel'], '--key', key,
                        '--authserv-id', case['srv-id'],
                        '--headers', case['sig-headers'],
                        '--time', str(case['t']),
                        '-n', 'udp:127.0.0.1:%d' % srv.port, path])
    if expect_empty:
        # The suite expects no set (the chain cannot be sealed): timbre
        # says so with exit 1 and no ARC-Seal; any other status (a crash,
        # a sanitizer report, a usage error) is not that refusal.
        if rc == 1 and not field_values(out, 'ARC-Seal'):
            return True, ''
        if rc == 1:
            return False, 'exit 1, but an ARC-Seal was written'
        if rc != 0:
            return False, 'expected exit 1 and no ARC set, got exit %d: %s' % (
                rc, err.strip())
        return False, 'expected no ARC set, got one'
    if rc != 0:
        return False, 'sign failed (rc %d): %s' % (rc, err.strip())
    problems = []
    new = out
    got_as = field_values(new, 'ARC-Seal')[0]
    got_ams = field_values(new, 'ARC-Message-Signature')[0]
    got_aar = field_values(new, 'ARC-Authentication-Results')[0]
    for label, got, want in (('AS', got_as, case['AS']),
                             ('AMS', got_ams, case['AMS'])):
        g, w = tags(got), tags(want)
        g.pop('b', None)
        w.pop('b', None)
        if g != w:
            problems.append('%s tags differ: got %s, want %s' % (label, g, w))
    if squash(got_aar).lower() != squash(case['AAR']).lower():
        problems.append('AAR differs: got "%s", want "%s"' % (
            squash(got_aar), squash(case['AAR'])))
    with open(path, 'w') as f:
        f.write(new)
    rc, vout, verr = run([timbre, 'arc', 'verify', '-v', '-n',
                          'udp:127.0.0.1:%d' % srv.port, path])
    want_cv = tags(case['AS']).get('cv', 'none')
    if cv_of(vout) != ('fail' if want_cv == 'fail' else 'pass'):
        problems.append('timbre does not validate its own seal: ' +
                        vout.strip().replace('\n', ' | '))
    if want_cv == 'fail':
        return not problems, '; '.join(problems)
    try:
        cv, why = dkimpy_verify(new.encode(), records)
        if cv != 'pass' and want_cv != 'fail':
            problems.append('dkimpy says cv=%s: %s' % (cv, why))
    except Exception as e:  # dkimpy missing or confused
        problems.append('dkimpy: %s' % e)
    return not problems, '; '.join(problems)


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument('--timbre', required=True)
    ap.add_argument('--suites', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'suites'))
    ap.add_argument('-v', action='store_true')
    a = ap.parse_args()
    VERBOSE = a.v
    passed = failed = known = 0
    unexpected_pass = []
    srv = arc_dns.TxtServer({})
    with tempfile.TemporaryDirectory() as tmp:
        for fname, kind in (('arc-draft-validation-tests.yml', 'verify'),
                            ('arc-draft-sign-tests.yml', 'sign')):
            with open(os.path.join(a.suites, fname)) as f:
                scens = [s for s in yaml.safe_load_all(f) if s]
            for scen in scens:
                records = {k.lower(): re.sub(r'\s*\n\s*', '', v).strip()
                           for k, v in (scen.get('txt-records') or
                                        {}).items()}
                srv.set_records(records)
                for name, case in scen['tests'].items():
                    if kind == 'verify':
                        ok, why = validation_case(a.timbre, srv, name,
                                                  case, tmp)
                    else:
                        ok, why = sign_case(a.timbre, srv, name, case,
                                            scen, records, tmp)
                    label = '%s %s' % (kind, name)
                    if ok:
                        passed += 1
                        if name in KNOWN:
                            unexpected_pass.append(name)
                        print('ok - %s' % label)
                    elif name in KNOWN:
                        failed += 1
                        known += 1
                        print('not ok - %s # known: %s' % (label,
                                                            KNOWN[name]))
                        if VERBOSE:
                            print('#   %s' % why)
                    else:
                        failed += 1
                        print('not ok - %s: %s' % (label, why))
    srv.stop()
    for name in unexpected_pass:
        print('# %s is listed as known but passed' % name)
    # Known failures are reported as skipped: each is listed above with
    # its reason, and only an unexpected failure fails the run.
    print('%d passed, %d failed, %d skipped' % (passed, failed - known,
                                                known))
    return 0 if failed == known else 1


if __name__ == '__main__':
    sys.exit(main())
