#!/usr/bin/python3
"""load_peer.py: the clients of tests/integration/load.sh.

While one process opens --idle TCP connections to a DNS server and
leaves them silent, opens --slow more that send their query one byte
every --byte-every seconds (slowloris), and optionally sends --udp
questions for names under --udp-name (to a resolver whose upstream for
them never answers), a fresh client asks --name over UDP and over TCP
every --probe-every seconds for --seconds (a --name of "*.ZONE" asks a
new name under ZONE each time, which no cache answers).  It prints one line:

    idle_open=N slow_open=N slow_cut=N udp_sent=N probes=N udp_ok=N
    tcp_ok=N tcp_refused=N rss_before_kb=N rss_peak_kb=N fds_peak=N

idle_open and slow_open are the connections the server still held at
the end (open, not closed by it); slow_cut the slow ones it closed;
tcp_refused the probes whose connection was closed before an answer.
The caller asserts on these.
"""
import argparse
import os
import random
import socket
import struct
import sys
import threading
import time

import dns.message
import dns.rcode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from limits_peer import rss_kb  # noqa: E402


def fds(pid):
    try:
        return len(os.listdir('/proc/%d/fd' % pid))
    except OSError:
        return 0


def query(name, rdtype):
    if name.startswith('*.'):   # a new name each time: no cache helps
        name = 'p%d%s' % (random.randrange(1 << 30), name[1:])
    q = dns.message.make_query(name, rdtype)
    q.id = random.randrange(65536)
    return q


def is_open(s):
    """True while the server has not closed s (no EOF, no reset)."""
    try:
        s.setblocking(False)
        return s.recv(1, socket.MSG_PEEK) != b''
    except BlockingIOError:
        return True
    except OSError:
        return False


def probe_udp(a, name, rdtype):
    """As a stub resolver asks: up to 3 times, a second apart (a UDP
    question may be lost in a flood, and a real client asks again)."""
    q = query(name, rdtype)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(a.timeout / 3)
    try:
        for _ in range(3):
            s.sendto(q.to_wire(), (a.addr, a.port))
            try:
                while True:
                    m, _ = s.recvfrom(65535)
                    r = dns.message.from_wire(m)
                    if r.id == q.id:
                        return (r.rcode() == dns.rcode.NOERROR and
                                len(r.answer) > 0)
            except socket.timeout:
                continue
        return False
    except (OSError, dns.exception.DNSException):
        return False
    finally:
        s.close()


def probe_tcp(a, name, rdtype):
    """'ok', 'refused' (closed before an answer) or 'fail'."""
    q = query(name, rdtype)
    w = q.to_wire()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    try:
        s.connect((a.addr, a.port))
        s.sendall(struct.pack('!H', len(w)) + w)
        buf = b''
        while len(buf) < 2 or len(buf) < 2 + struct.unpack('!H', buf[:2])[0]:
            d = s.recv(65535)
            if not d:
                return 'refused'
            buf += d
        r = dns.message.from_wire(buf[2:])
        ok = r.id == q.id and r.rcode() == dns.rcode.NOERROR and r.answer
        return 'ok' if ok else 'fail'
    except ConnectionResetError:
        return 'refused'
    except (OSError, dns.exception.DNSException):
        return 'fail'
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--addr', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--pid', type=int, required=True)
    ap.add_argument('--idle', type=int, default=1000)
    ap.add_argument('--slow', type=int, default=200)
    ap.add_argument('--byte-every', type=float, default=10)
    ap.add_argument('--udp', type=int, default=0)
    ap.add_argument('--udp-name', default='slow.')
    ap.add_argument('--name', required=True)
    ap.add_argument('--type', default='A')
    ap.add_argument('--probe-every', type=float, default=0.5)
    ap.add_argument('--seconds', type=float, default=20)
    ap.add_argument('--timeout', type=float, default=3)
    a = ap.parse_args()

    before = rss_kb(a.pid)
    peak = [before, fds(a.pid)]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(a.pid))
            peak[1] = max(peak[1], fds(a.pid))
            time.sleep(0.1)
    threading.Thread(target=sample, daemon=True).start()

    idle = []
    for _ in range(a.idle):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.connect((a.addr, a.port))
            idle.append(s)
        except OSError:
            s.close()
    # The slow ones: each its own query, sent a byte at a time.
    slow = []
    for _ in range(a.slow):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.connect((a.addr, a.port))
            w = query(a.name, a.type).to_wire()
            slow.append([s, struct.pack('!H', len(w)) + w, True])
        except OSError:
            s.close()

    def trickle():
        while not stop.is_set():
            for c in slow:
                if c[2] and c[1]:
                    try:
                        c[0].send(c[1][:1])
                        c[1] = c[1][1:]
                    except OSError:
                        c[2] = False
            stop.wait(a.byte_every)
    threading.Thread(target=trickle, daemon=True).start()

    udp_sent = 0
    if a.udp:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(a.udp):
            q = query('q%d-%d.%s' % (i, random.randrange(1 << 30),
                                     a.udp_name), 'A')
            try:
                u.sendto(q.to_wire(), (a.addr, a.port))
                udp_sent += 1
            except OSError:
                pass
            if i % 50 == 49:        # what the server's socket holds
                time.sleep(0.01)

    probes = udp_ok = tcp_ok = tcp_refused = 0
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        probes += 1
        udp_ok += probe_udp(a, a.name, a.type)
        r = probe_tcp(a, a.name, a.type)
        tcp_ok += r == 'ok'
        tcp_refused += r == 'refused'
        time.sleep(a.probe_every)
    stop.set()
    idle_open = sum(is_open(s) for s in idle)
    slow_open = sum(is_open(c[0]) for c in slow)
    print('idle_open=%d slow_open=%d slow_cut=%d udp_sent=%d probes=%d '
          'udp_ok=%d tcp_ok=%d tcp_refused=%d rss_before_kb=%d '
          'rss_peak_kb=%d fds_peak=%d' %
          (idle_open, slow_open, len(slow) - slow_open, udp_sent, probes,
           udp_ok, tcp_ok, tcp_refused, before, peak[0], peak[1]))
    for s in idle:
        s.close()
    for c in slow:
        c[0].close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
