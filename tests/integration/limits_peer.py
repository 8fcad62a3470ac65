#!/usr/bin/python3
"""limits_peer.py: the hostile and the silent peers of limits.sh.

    limits_peer.py flood --port N --pid PID [--conns C] [--queries Q]
        [--name NAME] [--type T] [--axfr ZONE --axfr-count K]
        [--udp U] [--seconds S] [--check NAME]

opens C TCP connections to 127.0.0.1:N with a small receive buffer,
sends Q pipelined queries for NAME/T on each (and K AXFR queries for ZONE
on the first few), and never reads an answer; U UDP queries for NAME/T
go out as well, from one socket that is never read either.  Sending
stops after S seconds whatever is left (a server that stops reading makes
the sends block).  Then, with the flood's connections still open, the
server is left SETTLE seconds to work through what it took, and a fresh
client asks CHECK A over TCP.  All along, the VmRSS of PID is sampled.
Printed, one a line:

    sent=BYTES rss_before_kb=N rss_peak_kb=N
    fresh rcode=RCODE answer=ADDR[,ADDR...]

    limits_peer.py ixfr --port N --zone ZONE --serial S --count C
        --seconds T

sends C IXFR queries (UDP, no TSIG) spread over T seconds, reading the
answers it gets without waiting for them, and prints the number sent.

    limits_peer.py blackhole --addr ADDR --port N [--junk BYTES]

binds UDP and TCP on ADDR:N and reads every question, answering none:
an upstream that never answers.  With --junk, each UDP question gets a
datagram of BYTES that is not its answer (another ID), which a resolver
reads and drops.  Runs until killed, or --lifetime seconds.

Loopback only; every loop is bounded in count and in time.
"""

import argparse
import os
import select
import socket
import struct
import sys
import threading
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset


def rss_kb(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def framed(name, rdtype, qid):
    q = dns.message.make_query(name, rdtype)
    q.id = qid
    w = q.to_wire()
    return struct.pack('!H', len(w)) + w


def flood(a):
    before = rss_kb(a.pid)
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(a.pid))
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    conns, pending = [], []
    for i in range(a.conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(('127.0.0.1', a.port))
        s.setblocking(False)
        data = b''
        if a.axfr and i < 8:
            data += b''.join(framed(a.axfr, 'AXFR', k)
                             for k in range(a.axfr_count))
        data += b''.join(framed(a.name, a.type, (k % 65535) + 1)
                         for k in range(a.queries))
        conns.append(s)
        pending.append(memoryview(data))
    u = None
    if a.udp:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        u.setblocking(False)
    sent = 0
    udp_left = a.udp
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline:
        live = [s for s, p in zip(conns, pending) if len(p) > 0]
        if not live and udp_left == 0:
            break
        for k in range(min(udp_left, 200)):
            try:
                u.sendto(framed(a.name, a.type, k + 1)[2:],
                         ('127.0.0.1', a.port))
                udp_left -= 1
            except OSError:
                break
        _, w, _ = select.select([], live, [], 0.05)
        for s in w:
            i = conns.index(s)
            try:
                n = s.send(pending[i][:65536])
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                pending[i] = memoryview(b'')
                continue
            pending[i] = pending[i][n:]
            sent += n
    time.sleep(a.settle)
    rcode, answer = 'NONE', ''
    if a.check:
        try:
            q = dns.message.make_query(a.check, 'A')
            r = dns.query.tcp(q, '127.0.0.1', port=a.port, timeout=5)
            rcode = dns.rcode.to_text(r.rcode())
            answer = ','.join(sorted(rd.to_text() for rr in r.answer
                                     for rd in rr))
        except Exception as e:  # a timeout is the failure to report
            rcode = 'ERROR:' + type(e).__name__
    stop.set()
    t.join()
    print('sent=%d rss_before_kb=%d rss_peak_kb=%d' % (sent, before,
                                                       peak[0]))
    print('fresh rcode=%s answer=%s' % (rcode, answer))
    for s in conns:
        s.close()
    if u is not None:
        u.close()


def ixfr(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    n = 0
    start = time.monotonic()
    gap = a.seconds / max(a.count, 1)
    for k in range(a.count):
        q = dns.message.make_query(a.zone, 'IXFR')
        q.id = (k % 65535) + 1
        q.authority.append(dns.rrset.from_text(
            a.zone, 0, 'IN', 'SOA',
            'ns1.%s hostmaster.%s %d 3600 900 604800 300' % (
                a.zone, a.zone, a.serial)))
        try:
            s.sendto(q.to_wire(), ('127.0.0.1', a.port))
            n += 1
        except OSError:
            pass
        while True:
            try:
                s.recv(65535)
            except OSError:
                break
        wait = start + (k + 1) * gap - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    print('ixfr sent=%d' % n)


def blackhole(a):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:    # a burst of questions is read, not dropped
        u.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)    # SO_RCVBUFFORCE
    except OSError:
        u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    u.bind((a.addr, a.port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((a.addr, a.port))
    t.listen(512)
    t.setblocking(False)
    u.setblocking(False)
    socks = []
    end = time.monotonic() + a.lifetime
    while time.monotonic() < end:
        r, _, _ = select.select([u, t] + socks, [], [], 0.5)
        for s in r:
            try:
                if s is u:
                    for _ in range(256):
                        m, peer = u.recvfrom(65535)
                        if a.junk and len(m) >= 12:
                            # Another ID, QR set: read, then dropped.
                            junk = struct.pack(
                                '!HH', (m[0] << 8 | m[1]) ^ 0xffff,
                                0x8000) + bytes(a.junk - 4)
                            u.sendto(junk, peer)
                elif s is t:
                    c, _ = t.accept()
                    c.setblocking(False)
                    if len(socks) < 900:
                        socks.append(c)
                    else:
                        c.close()
                elif not s.recv(65535):
                    socks.remove(s)
                    s.close()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    f = sub.add_parser('flood')
    f.add_argument('--port', type=int, required=True)
    f.add_argument('--pid', type=int, required=True)
    f.add_argument('--conns', type=int, default=16)
    f.add_argument('--queries', type=int, default=1000)
    f.add_argument('--name', default='example.org.')
    f.add_argument('--type', default='A')
    f.add_argument('--axfr')
    f.add_argument('--axfr-count', type=int, default=0)
    f.add_argument('--udp', type=int, default=0)
    f.add_argument('--seconds', type=float, default=10)
    f.add_argument('--settle', type=float, default=3)
    f.add_argument('--check')
    x = sub.add_parser('ixfr')
    x.add_argument('--port', type=int, required=True)
    x.add_argument('--zone', required=True)
    x.add_argument('--serial', type=int, default=1)
    x.add_argument('--count', type=int, default=100)
    x.add_argument('--seconds', type=float, default=5)
    b = sub.add_parser('blackhole')
    b.add_argument('--addr', default='127.0.0.2')
    b.add_argument('--port', type=int, default=53)
    b.add_argument('--lifetime', type=float, default=300)
    b.add_argument('--junk', type=int, default=0)
    a = ap.parse_args()
    {'flood': flood, 'ixfr': ixfr, 'blackhole': blackhole}[a.cmd](a)


if __name__ == '__main__':
    main()
