#!/usr/bin/python3
"""dkimpy (python3-dkim) as a DKIM peer for tests/integration/dkim_interop.sh.

    dkim_peer.py --dns-port P sign --domain D --selector S --key PEM
        [--algorithm rsa-sha256|rsa-sha1|ed25519-sha256] [--canon H/B]
        [--headers h1:h2:...] [--identity I] [--length] [IN [OUT]]
    dkim_peer.py --dns-port P verify [IN [OUT]]
    dkim_peer.py --dns-port P batch JOBFILE
    dkim_peer.py --dns-port P dkimverify [--index N] <MSG

Messages are read and written with LF line ends (CRLF inside, as on the
wire).  sign writes the message with the new DKIM-Signature prepended.
verify writes one line per DKIM-Signature, in header order, in the format
of `timbre dkim verify --verbose`: "[OK]: DOMAIN", "[EX]: DOMAIN s=SEL
REASON" (x= passed) or "[ER]: DOMAIN s=SEL REASON"; exit 0 if all are OK,
1 otherwise.  batch runs many jobs in one process: each line of JOBFILE is
the tab-separated argv of a sign or verify job with both IN and OUT given;
a failed sign leaves OUT absent and its error in OUT.err.

dkimverify runs dkimpy's own dkimverify command (what /usr/bin/dkimverify
runs), its look-ups sent to the test server: it prints "signature ok" or
"signature verification failed" for signature N (default 0).

Keys are looked up by real DNS queries (dnspython) to 127.0.0.1:P.  PEM is
a PKCS#8 (or PKCS#1) RSA key or a PKCS#8 Ed25519 key as openssl writes them.
"""

import argparse
import base64
import logging
import os
import re
import sys

import dkim
import dkim.util
import dns.exception
import dns.rdatatype
import dns.resolver

DNS_PORT = 53


def dnsfunc(name, timeout=5):
    """TXT look-up for dkimpy, against the test server only."""
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = ['127.0.0.1']
    res.port = DNS_PORT
    res.use_edns(0, 0, 1232)
    if isinstance(name, bytes):
        name = name.decode('ascii')
    try:
        ans = res.resolve(name, 'TXT', raise_on_no_answer=False,
                          lifetime=timeout, search=False)
    except dns.resolver.NXDOMAIN:
        return None
    except dns.exception.Timeout as e:
        raise dkim.DnsTimeoutError(str(e))
    for rrset in ans.response.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            return b''.join(list(rrset.items)[0].strings)
    return None


def to_crlf(data):
    return data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')


def to_lf(data):
    return data.replace(b'\r\n', b'\n')


def pem_der(pem):
    lines = [l for l in pem.splitlines() if l and not l.startswith(b'-----')]
    return base64.b64decode(b''.join(lines))


def load_key(path, algorithm):
    """The key in the form dkim.sign wants: PEM for RSA, the base64 seed
    for Ed25519 (the last 32 bytes of the PKCS#8 DER)."""
    with open(path, 'rb') as f:
        pem = f.read()
    if algorithm == 'ed25519-sha256':
        der = pem_der(pem)
        if len(der) != 48:
            raise ValueError('%s: not a PKCS#8 Ed25519 key' % path)
        return base64.b64encode(der[-32:])
    return pem


def key_algorithm(path):
    with open(path, 'rb') as f:
        pem = f.read()
    if b'RSA PRIVATE' in pem:
        return 'rsa-sha256'
    return 'ed25519-sha256' if len(pem_der(pem)) == 48 else 'rsa-sha256'


def do_sign(a, inp, out):
    msg = to_crlf(inp.read())
    alg = a.algorithm or key_algorithm(a.key)
    hc, bc = a.canon.split('/') if '/' in a.canon else (a.canon, 'simple')
    kw = {}
    if a.headers:
        kw['include_headers'] = [h.encode() for h in a.headers.split(':')]
    if a.identity:
        kw['identity'] = a.identity.encode()
    if a.length:
        kw['length'] = True
    d = dkim.DKIM(msg, signature_algorithm=alg.encode(), linesep=b'\r\n')
    # dkimpy refuses to sign a few names (RFC 6376 5.4 SHOULD NOT); the
    # tests choose h= themselves.
    if a.headers:
        d.should_not_sign = set()
    sig = d.sign(a.selector.encode(), a.domain.encode(),
                 load_key(a.key, alg), canonicalize=(hc.encode(), bc.encode()),
                 **kw)
    out.write(to_lf(sig + msg))
    return 0


class ListHandler(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self, logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record.getMessage())


def text(v):
    if v is None or v == b'' or v == '':
        return '?'
    if isinstance(v, bytes):
        return v.decode('ascii', 'replace')
    return str(v)


def do_verify(a, inp, out):
    msg = to_crlf(inp.read())
    logger = logging.getLogger('dkim_peer')
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    h = ListHandler()
    logger.handlers = [h]
    d = dkim.DKIM(msg, logger=logger, minkey=1024)
    sigs = [v for k, v in d.headers if k.lower() == b'dkim-signature']
    rc = 0
    for i in range(len(sigs)):
        h.records = []
        tag, reason = 'OK', ''
        try:
            if not d.verify(idx=i, dnsfunc=dnsfunc):
                tag, reason = 'ER', 'signature did not verify'
        except dkim.DKIMException as e:
            tag, reason = 'ER', str(e)
            if re.search(r'x= value is past', reason):
                tag = 'EX'
        except Exception as e:  # a dkimpy bug is still a failed check
            tag, reason = 'ER', '%s: %s' % (type(e).__name__, e)
        errs = [r for r in h.records if 'valid' not in r and 'sig:' not in r
                and not r.startswith('bh:')]
        if tag != 'OK' and errs:
            reason += ' (' + '; '.join(errs)[:200] + ')'
        try:
            tags = dkim.util.parse_tag_value(sigs[i])
        except Exception:
            tags = {}
        dom = text(tags.get(b'd'))
        sel = text(tags.get(b's'))
        if tag == 'OK':
            out.write(('[OK]: %s\n' % dom).encode())
        else:
            rc = 1
            out.write(('[%s]: %s s=%s %s\n' % (tag, dom, sel, reason)).encode())
    return rc


def parser():
    p = argparse.ArgumentParser(prog='dkim_peer.py')
    p.add_argument('--dns-port', type=int, default=53)
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('sign')
    s.add_argument('--domain', required=True)
    s.add_argument('--selector', required=True)
    s.add_argument('--key', required=True)
    s.add_argument('--algorithm')
    s.add_argument('--canon', default='relaxed/relaxed')
    s.add_argument('--headers')
    s.add_argument('--identity')
    s.add_argument('--length', action='store_true',
                   help='l= (the body length)')
    s.add_argument('input', nargs='?', default='-')
    s.add_argument('output', nargs='?', default='-')
    v = sub.add_parser('verify')
    v.add_argument('input', nargs='?', default='-')
    v.add_argument('output', nargs='?', default='-')
    b = sub.add_parser('batch')
    b.add_argument('jobfile')
    return p


def run(a):
    inp = sys.stdin.buffer if a.input == '-' else open(a.input, 'rb')
    if a.output == '-':
        out = sys.stdout.buffer
    else:
        out = open(a.output + '.tmp', 'wb')
    try:
        if a.cmd == 'sign':
            rc = do_sign(a, inp, out)
        else:
            rc = do_verify(a, inp, out)
    finally:
        if inp is not sys.stdin.buffer:
            inp.close()
    if out is not sys.stdout.buffer:
        out.close()
        os.rename(a.output + '.tmp', a.output)
    return rc


def main(argv):
    global DNS_PORT
    if len(argv) >= 3 and argv[0] == '--dns-port' and argv[2] == 'dkimverify':
        # the dkimverify command itself (dkim.dkimverify.main, what
        # /usr/bin/dkimverify runs), its key look-ups sent to the test
        # server: DKIM.verify takes dnsfunc as a default argument
        import dkim.dkimverify
        DNS_PORT = int(argv[1])
        defaults = list(dkim.DKIM.verify.__defaults__)
        defaults[-1] = dnsfunc
        dkim.DKIM.verify.__defaults__ = tuple(defaults)
        sys.argv = ['dkimverify'] + argv[3:]
        return dkim.dkimverify.main() or 0
    p = parser()
    a = p.parse_args(argv)
    DNS_PORT = a.dns_port
    if a.cmd != 'batch':
        try:
            return run(a)
        except Exception as e:
            sys.stderr.write('dkim_peer.py: %s: %s\n' % (type(e).__name__, e))
            return 2
    with open(a.jobfile) as f:
        jobs = [l.rstrip('\n').split('\t') for l in f if l.strip()]
    for job in jobs:
        ja = p.parse_args(['--dns-port', str(DNS_PORT)] + job)
        try:
            rc = run(ja)
            if ja.cmd == 'verify':
                with open(ja.output + '.rc', 'w') as rf:
                    rf.write('%d\n' % rc)
        except Exception as e:
            with open(ja.output + '.err', 'w') as ef:
                ef.write('dkim_peer.py: %s: %s\n' % (type(e).__name__, e))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
