#!/usr/bin/python3
"""dkimpy (python3-dkim) as an ARC peer for tests/integration/arc_interop.sh.

    arc_peer.py --dns-port P sign --domain D --selector S --key PEM
        --authserv-id ID [--time T] <IN >OUT
    arc_peer.py --dns-port P verify <IN

Messages have LF line ends (CRLF inside).  sign writes the message with
the new ARC set (dkim.arc_sign: AS, AMS, AAR) on top; note that dkimpy
takes the chain status from the arc= result of the Authentication-Results
of ID rather than validating the chain.  verify prints "cv=pass",
"cv=fail" or "cv=none" and dkimpy's reason; exit 0 for pass and none,
1 for fail.  Keys are looked up by real DNS queries to 127.0.0.1:P.
"""

import argparse
import sys

import dkim
import dns.exception
import dns.rdatatype
import dns.resolver

DNS_PORT = 53


def dnsfunc(name, timeout=5):
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = ['127.0.0.1']
    res.port = DNS_PORT
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


def main():
    global DNS_PORT
    ap = argparse.ArgumentParser()
    ap.add_argument('--dns-port', type=int, required=True)
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('sign')
    s.add_argument('--domain', required=True)
    s.add_argument('--selector', required=True)
    s.add_argument('--key', required=True)
    s.add_argument('--authserv-id', required=True)
    s.add_argument('--time', type=int)
    sub.add_parser('verify')
    a = ap.parse_args()
    DNS_PORT = a.dns_port
    msg = sys.stdin.buffer.read().replace(b'\r\n', b'\n').replace(
        b'\n', b'\r\n')
    if a.cmd == 'sign':
        with open(a.key, 'rb') as f:
            key = f.read()
        hdrs = dkim.arc_sign(msg, a.selector.encode(), a.domain.encode(),
                             key, a.authserv_id.encode(),
                             timestamp=a.time)
        if not hdrs:
            print('arc_peer: dkimpy added no ARC set', file=sys.stderr)
            return 2
        out = b''.join(hdrs) + msg
        sys.stdout.buffer.write(out.replace(b'\r\n', b'\n'))
        return 0
    cv, _, why = dkim.arc_verify(msg, dnsfunc=dnsfunc)
    cv = cv.decode() if isinstance(cv, bytes) else str(cv).lower()
    if cv == 'none' and why:
        cv = 'fail'     # dkimpy's None: the chain had ended (cv=fail)
    print('cv=%s %s' % (cv, why))
    return 1 if cv == 'fail' else 0


if __name__ == '__main__':
    sys.exit(main())
