#!/usr/bin/python3
"""Scripted SMTP clients and dkimpy checks for tests/integration/signd.sh.

    signd_peer.py smtp PORT CASE      bad input a real client does not send
    signd_peer.py verify DNSPORT MSG  dkimpy: every DKIM-Signature, then ARC

smtp prints the server's replies that matter, one per line, as
"CODE ENHANCED" (or "closed"), so the shell compares them.  CASE is one
of: longline (a 1 MB header line), nosep (no header/body separator), nul
(a NUL in the body), barelf (LF line ends), rcpt10000 (10 000 RCPT
pipelined), middata (the client disappears in the middle of DATA).  Each
case ends with RSET/NOOP on the same connection where it stays open, to
show the session still serves.

verify prints "dkim N a=ALG s=SEL ok|fail" per signature and "arc cv=..."
(dkimpy's arc_verify); exit 0 when every signature verifies and ARC is
pass or none.  Keys are looked up by real DNS queries to 127.0.0.1:DNSPORT.
"""

import re
import socket
import sys

DNS_PORT = 53


def dnsfunc(name, timeout=5):
    import dns.exception
    import dns.rdatatype
    import dns.resolver
    import dkim
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
            return b''.join(b''.join(r.strings) for r in rrset)
    return None


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=30)
        self.buf = b''

    def reply(self):
        """One whole reply: (code, enhanced) or ('closed', '')."""
        lines = []
        while True:
            while b'\r\n' not in self.buf:
                try:
                    d = self.s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    d = b''
                if not d:
                    return ('closed', '')
                self.buf += d
            line, self.buf = self.buf.split(b'\r\n', 1)
            lines.append(line.decode('latin-1'))
            if len(line) < 4 or line[3:4] != b'-':
                break
        m = re.match(r'(\d{3})[ -](\d\.\d+\.\d+)?', lines[-1])
        return (m.group(1), m.group(2) or '') if m else ('bad', lines[-1])

    def cmd(self, line):
        self.s.sendall(line + b'\r\n')
        return self.reply()

    def send(self, data):
        self.s.sendall(data)


def show(r):
    print(('%s %s' % r).strip())
    sys.stdout.flush()


def envelope(c):
    c.reply()
    c.cmd(b'EHLO client.test')
    c.cmd(b'MAIL FROM:<alice@signd.test>')
    c.cmd(b'RCPT TO:<bob@example.net>')
    return c.cmd(b'DATA')


def case(port, name):
    c = Client(port)
    if name == 'rcpt10000':
        c.reply()
        c.cmd(b'EHLO client.test')
        c.cmd(b'MAIL FROM:<alice@signd.test>')
        c.send(b''.join(b'RCPT TO:<r%d@example.net>\r\n' % i
                        for i in range(10000)))
        codes = {}
        for i in range(10000):
            r = c.reply()
            codes[r[0]] = codes.get(r[0], 0) + 1
            if r[0] == 'closed':
                break
        for k in sorted(codes):
            print('%s x%d' % (k, codes[k]))
        show(c.cmd(b'NOOP'))
        return
    show(envelope(c))
    if name == 'longline':
        c.send(b'From: alice@signd.test\r\nX-Long: ' + b'a' * (1 << 20) +
               b'\r\n\r\nbody\r\n.\r\n')
    elif name == 'nosep':
        c.send(b'From: alice@signd.test\r\nSubject: x\r\n'
               b'this line is no header field\r\nbody\r\n.\r\n')
    elif name == 'nul':
        c.send(b'From: alice@signd.test\r\nSubject: x\r\n\r\n'
               b'a NUL \x00 here\r\n.\r\n')
    elif name == 'barelf':
        c.send(b'From: alice@signd.test\nTo: bob@example.net\n'
               b'Subject: bare LF\n\nline one\nline two\n\r\n.\r\n')
    elif name == 'middata':
        c.send(b'From: alice@signd.test\r\nSubject: x\r\n\r\npart')
        c.s.close()
        print('closed by client')
        return
    show(c.reply())
    show(c.cmd(b'RSET'))
    show(c.cmd(b'NOOP'))


def verify(port, path):
    global DNS_PORT
    import dkim
    DNS_PORT = port
    msg = open(path, 'rb').read().replace(b'\r\n', b'\n').replace(
        b'\n', b'\r\n')
    ok = True
    n = 0
    for m in re.finditer(rb'^DKIM-Signature:(.*\r\n(?:[ \t].*\r\n)*)', msg,
                         re.M | re.I):
        tags = re.sub(rb'\s', b'', m.group(1))
        alg = re.search(rb'(?:^|;)a=([^;]*)', tags).group(1).decode()
        sel = re.search(rb'(?:^|;)s=([^;]*)', tags).group(1).decode()
        d = dkim.DKIM(msg)
        good = d.verify(idx=n, dnsfunc=dnsfunc)
        print('dkim %d a=%s s=%s %s' % (n, alg, sel, 'ok' if good else
                                        'fail'))
        ok = ok and good
        n += 1
    cv, _, why = dkim.arc_verify(msg, dnsfunc=dnsfunc)
    cv = cv.decode() if isinstance(cv, bytes) else str(cv).lower()
    print('arc cv=%s %s' % (cv, why if cv == 'fail' else ''))
    return 0 if ok and cv in ('pass', 'none') else 1


def main():
    if sys.argv[1] == 'smtp':
        case(int(sys.argv[2]), sys.argv[3])
        return 0
    return verify(int(sys.argv[2]), sys.argv[3])


if __name__ == '__main__':
    sys.exit(main())
