#!/usr/bin/python3
"""Scripted SMTP clients and dkimpy checks for tests/integration/signd.sh.

    signd_peer.py smtp PORT CASE      bad input a real client does not send
    signd_peer.py verify DNSPORT MSG  dkimpy: every DKIM-Signature, then ARC
    signd_peer.py burst PORT N CONC TAG  N distinct messages, CONC at once
    signd_peer.py drop PORT N TAG     N messages whose clients leave at "."
    signd_peer.py dropquit PORT N TAG  the same, leaving with QUIT and a FIN
    signd_peer.py term PORT N TAG PID  N messages at once, then SIGTERM PID
    signd_peer.py verifydir DNSPORT DIR  dkimpy on every message in DIR

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

burst sends N messages over CONC connections at once (threads), each
with its own subject and body ("TAG n"), every other one with an
Authentication-Results of mx.signd.test (ARC); it prints "sent N
refused M".  drop opens N sessions, then sends the N messages with their
final "." and resets every connection without waiting for the answer,
so that they leave while their messages are being signed; dropquit
pipelines QUIT behind the "." and closes the connection normally.  term
does
the same but keeps the connections and sends SIGTERM to the daemon
instead, then reads each answer (a 250 is printed "acked TAG n": that
message must have reached the next hop).  verifydir
checks each smtp-sink file in DIR (its X-Client-* lines dropped): it
prints "fail FILE why" for a message whose DKIM signatures are not
exactly two good ones, or whose ARC chain does not pass when it carries
our A-R, then "messages N dkim_ok N arc_pass N"; exit 0 when all pass.
"""

import re
import socket
import struct
import sys

DNS_PORT = 53
AUTHSERV = 'mx.signd.test'
_dns_cache = {}


def dnsfunc(name, timeout=5):
    if name in _dns_cache:
        return _dns_cache[name]
    _dns_cache[name] = _dnsfunc(name, timeout)
    return _dns_cache[name]


def _dnsfunc(name, timeout):
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


def pool_message(tag, i):
    arc = i % 2 == 0
    head = ['From: Alice <alice@signd.test>', 'To: bob@example.net',
            'Subject: %s %d' % (tag, i),
            'Message-ID: <%s.%d@signd.test>' % (tag.replace(' ', '.'), i)]
    if arc:
        head.insert(0, 'Authentication-Results: %s; spf=pass '
                    'smtp.mailfrom=signd.test' % AUTHSERV)
    body = ['%s %d line %d %s' % (tag, i, j, 'x' * (i % 50))
            for j in range(60)]
    return ('\r\n'.join(head + [''] + body) + '\r\n').encode()


def burst(port, n, conc, tag):
    import threading
    lock = threading.Lock()
    count = {'sent': 0, 'refused': 0}
    todo = list(range(n))

    def run():
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            try:
                c = Client(port)
                r = envelope(c)
                if r[0] == '354':
                    c.send(pool_message(tag, i) + b'.\r\n')
                    r = c.reply()
                c.cmd(b'QUIT')
                c.s.close()
            except OSError as e:
                r = ('error', str(e))
            with lock:
                count['sent' if r[0] == '250' else 'refused'] += 1
                if r[0] != '250':
                    print('# %s %d: %s %s' % (tag, i, r[0], r[1]))
    threads = [threading.Thread(target=run) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print('sent %d refused %d' % (count['sent'], count['refused']))
    return 0


def sent_at_once(port, n, tag):
    """n sessions taken to DATA one after the other, then their n
    messages sent back to back; the (i, Client) whose DATA got 354."""
    conns = []
    for i in range(n):
        c = Client(port)
        if envelope(c)[0] == '354':
            conns.append((i, c))
    for i, c in conns:
        c.send(pool_message(tag, i) + b'.\r\n')
    return conns


def drop(port, n, tag, quit=False):
    conns = sent_at_once(port, n, tag)
    for i, c in conns:
        if quit:
            c.send(b'QUIT\r\n')
        else:
            # A reset, not a FIN: the server drops the session at once.
            c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack('ii', 1, 0))
        c.s.close()
    print('dropped %d' % len(conns))
    return 0


def term(port, n, tag, pid):
    """n sessions to DATA, their n messages sent at once, then SIGTERM
    to pid while they are being signed; prints "acked TAG i" for each
    250, then "answered A closed C"."""
    import os
    import signal
    conns = sent_at_once(port, n, tag)
    os.kill(pid, signal.SIGTERM)
    answered = closed = 0
    for i, c in conns:
        r = c.reply()
        if r[0] == 'closed':
            closed += 1
        else:
            answered += 1
            if r[0] == '250':
                print('acked %s %d' % (tag, i))
        c.s.close()
    print('answered %d closed %d' % (answered, closed))
    return 0


def check_one(msg):
    """None when msg has two good DKIM signatures (and ARC passes if it
    has our A-R), else why not."""
    import dkim
    sigs = len(re.findall(rb'^DKIM-Signature:', msg, re.M | re.I))
    if sigs != 2:
        return '%d DKIM-Signature fields' % sigs
    for n in range(sigs):
        if not dkim.DKIM(msg).verify(idx=n, dnsfunc=dnsfunc):
            return 'DKIM-Signature %d does not verify' % n
    if re.search(rb'^Authentication-Results: ' + AUTHSERV.encode(), msg,
                 re.M):
        cv, _, why = dkim.arc_verify(msg, dnsfunc=dnsfunc)
        if cv != dkim.CV_Pass:
            return 'arc cv=%s %s' % (cv, why)
        return 'arc'
    return None


def verifydir(port, path):
    import os
    global DNS_PORT
    DNS_PORT = port
    n = good = arc = 0
    for f in sorted(os.listdir(path)):
        raw = open(os.path.join(path, f), 'rb').read()
        lines = raw.replace(b'\r\n', b'\n').split(b'\n')
        while lines and re.match(rb'X-(Client-Addr|Client-Proto|Helo-Args|'
                                 rb'Mail-Args|Rcpt-Args):', lines[0]):
            lines.pop(0)
        msg = b'\r\n'.join(lines)
        n += 1
        why = check_one(msg)
        if why == 'arc':
            arc += 1
            why = None
        if why is None:
            good += 1
        else:
            print('fail %s %s' % (f, why))
    print('messages %d dkim_ok %d arc_pass %d' % (n, good, arc))
    return 0 if n == good else 1


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
    if sys.argv[1] == 'burst':
        return burst(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                     sys.argv[5])
    if sys.argv[1] in ('drop', 'dropquit'):
        return drop(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                    sys.argv[1] == 'dropquit')
    if sys.argv[1] == 'term':
        return term(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                    int(sys.argv[5]))
    if sys.argv[1] == 'verifydir':
        return verifydir(int(sys.argv[2]), sys.argv[3])
    return verify(int(sys.argv[2]), sys.argv[3])


if __name__ == '__main__':
    sys.exit(main())
