#!/usr/bin/env python3
# malformed.py: sends DNS servers on loopback a few thousand broken UDP
# messages and a few hundred over TCP, in batches, and after every batch
# proves that each server is still alive and still gives the right answer
# to a good query.  Run by tests/integration/malformed.sh; python3 standard
# library only.
#
#   malformed.py --seed N --target NAME,PORT,PID,QNAME,ADDRESS[,aa] ...
#
# Each target is asked QNAME A at 127.0.0.1:PORT; the answer must be
# NOERROR with ADDRESS in it (and the AA bit with ",aa"), over UDP and TCP,
# and PID must be alive.  The batches, in this order:
#
#   random       random bytes, 0 to 1500 of them
#   mutated      a good query with bits flipped, bytes overwritten, cut or
#                followed by junk
#   header       one header field broken: opcodes, flags, QDCOUNT 0, 2 and
#                65535, other counts with no records, odd QTYPEs and classes
#   compression  pointer loops, pointers to themselves, forward, into the
#                header or past the end, reserved label types
#   opt          OPT cut at every byte, bad RDLENGTH and option lengths,
#                cookies and client subnets of every length, two OPTs
#   tsig         TSIG records with wrong lengths (RDLENGTH, MAC size, other
#                length), cut at every byte, not last, two of them
#   tcp          a few hundred connections: wrong length prefixes, split
#                writes, pipelined messages, the broken messages above
#   names        every label length 0..64, names of 250..260 octets, labels
#                of 63, 63, 63, 61 octets then one of 63 (a whole-name length
#                over 255), over UDP and then over TCP
#
# Every batch is made from its own generator seeded by "SEED/TARGET/BATCH",
# so a failure reproduces with the seed printed at the start.  Output:
# "ok - ..." or "not ok - ..." per batch and target, "# ..." comments; the
# exit status is 1 if any line was "not ok".  Once a target is dead its
# remaining batches are not sent (one line says which were left out).
import argparse
import os
import random
import select
import socket
import struct
import sys
import time

QTYPE_A = 1


def wire_name(labels):
    """A name in wire form from a list of labels (bytes), root added."""
    out = b''
    for lab in labels:
        out += bytes([len(lab)]) + lab
    return out + b'\0'


def text_labels(name):
    return [p.encode() for p in name.rstrip('.').split('.') if p]


def header(qid, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack('!HHHHHH', qid, flags, qd, an, ns, ar)


def question(qname_wire, qtype=QTYPE_A, qclass=1):
    return qname_wire + struct.pack('!HH', qtype, qclass)


def opt_rr(payload=1232, ext_rcode=0, version=0, flags=0, options=b'',
           rdlen=None, owner=b'\0'):
    if rdlen is None:
        rdlen = len(options)
    return owner + struct.pack('!HHBBHH', 41, payload, ext_rcode, version,
                               flags, rdlen) + options


def option(code, data, length=None):
    if length is None:
        length = len(data)
    return struct.pack('!HH', code, length) + data


def query(rng, qname_wire, qtype=QTYPE_A, edns=None, qid=None):
    if qid is None:
        qid = rng.randrange(65536)
    ar = 1 if edns is not None else 0
    msg = header(qid, ar=ar) + question(qname_wire, qtype)
    if edns is not None:
        msg += edns
    return msg


def tsig_rr(rng, name=b'\x03key\x00', alg=None, mac=None, mac_size=None,
            other=b'', other_len=None, rdlen=None, rrclass=255):
    if alg is None:
        alg = wire_name([b'hmac-sha256'])
    if mac is None:
        mac = bytes(rng.randrange(256) for _ in range(32))
    if mac_size is None:
        mac_size = len(mac)
    if other_len is None:
        other_len = len(other)
    now = int(time.time())
    rdata = (alg + struct.pack('!HIH', now >> 32, now & 0xffffffff, 300) +
             struct.pack('!H', mac_size) + mac +
             struct.pack('!HHH', rng.randrange(65536), 0, other_len) + other)
    if rdlen is None:
        rdlen = len(rdata)
    return name + struct.pack('!HHIH', 250, rrclass, 0, rdlen) + rdata


# ---------------------------------------------------------------- batches

def batch_random(rng, t, n):
    out = []
    for _ in range(n):
        size = rng.choice([rng.randrange(0, 13), rng.randrange(12, 64),
                           rng.randrange(64, 512), rng.randrange(512, 1501)])
        out.append(bytes(rng.randrange(256) for _ in range(size)))
    return out


def good_queries(rng, t):
    qn = wire_name(text_labels(t.qname))
    return [query(rng, qn), query(rng, qn, edns=opt_rr()),
            query(rng, qn, edns=opt_rr(flags=0x8000,
                                       options=option(10, os.urandom(8))))]


def mutate(rng, msg):
    m = bytearray(msg)
    kind = rng.randrange(5)
    if kind == 0 and m:
        for _ in range(rng.randrange(1, 9)):
            i = rng.randrange(len(m))
            m[i] ^= 1 << rng.randrange(8)
    elif kind == 1 and m:
        for _ in range(rng.randrange(1, 5)):
            m[rng.randrange(len(m))] = rng.randrange(256)
    elif kind == 2:
        m = m[:rng.randrange(len(m) + 1)]
    elif kind == 3:
        m += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    else:
        i = rng.randrange(len(m) + 1)
        m[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
    return bytes(m)


def batch_mutated(rng, t, n):
    base = good_queries(rng, t)
    return [mutate(rng, rng.choice(base)) for _ in range(n)]


def batch_header(rng, t, n):
    qn = wire_name(text_labels(t.qname))
    q = question(qn)
    out = []
    for opcode in range(16):
        out.append(header(rng.randrange(65536), opcode << 11) + q)
    for bit in range(16):
        out.append(header(rng.randrange(65536), 1 << bit) + q)
    for qd in (0, 2, 3, 255, 65535):
        out.append(header(rng.randrange(65536), qd=qd) + q)
        out.append(header(rng.randrange(65536), qd=qd))
    for field in ('an', 'ns', 'ar'):
        for count in (1, 2, 65535):
            out.append(header(rng.randrange(65536), **{field: count}) + q)
    for qtype in (0, 2, 6, 41, 249, 250, 251, 252, 253, 254, 255, 65535):
        for qclass in (1, 3, 4, 254, 255, 0, 65535):
            out.append(header(rng.randrange(65536)) +
                       question(qn, qtype, qclass))
    # An answer (QR set) is never to be answered back.
    out.append(header(rng.randrange(65536), 0x8400) + q)
    # UPDATE and NOTIFY with nonsense in them.
    for opcode in (4, 5):
        for _ in range(10):
            out.append(header(rng.randrange(65536), opcode << 11,
                              qd=rng.randrange(3), an=rng.randrange(3),
                              ns=rng.randrange(3), ar=rng.randrange(3)) + q +
                       bytes(rng.randrange(256)
                             for _ in range(rng.randrange(40))))
    while len(out) < n:
        out.append(header(rng.randrange(65536), rng.randrange(65536),
                          rng.choice([0, 1, 2, 65535]),
                          rng.choice([0, 1, 65535]),
                          rng.choice([0, 1, 65535]),
                          rng.choice([0, 1, 65535])) +
                   question(qn, rng.randrange(65536), rng.randrange(65536)))
    return out


def batch_compression(rng, t, n):
    labels = text_labels(t.qname)
    qn = wire_name(labels)
    qid = rng.randrange
    out = []
    # The question's name is a pointer to itself, to the header, past the
    # end, and every offset in between.
    for off in range(0, 40):
        out.append(header(qid(65536)) + struct.pack('!H', 0xc000 | off) +
                   struct.pack('!HH', 1, 1))
    for off in (0x3fff, 0x1000, 511, 512):
        out.append(header(qid(65536)) + struct.pack('!H', 0xc000 | off) +
                   struct.pack('!HH', 1, 1))
    # A label, then a pointer back to that label: a loop.
    out.append(header(qid(65536)) + b'\x03www' + struct.pack('!H', 0xc00c) +
               struct.pack('!HH', 1, 1))
    # Two pointers pointing at each other.
    out.append(header(qid(65536)) + struct.pack('!HH', 0xc00e, 0xc00c) +
               struct.pack('!HH', 1, 1))
    # A forward pointer, into an additional record's owner name.
    fwd = 12 + 2 + 4
    out.append(header(qid(65536), ar=1) + struct.pack('!H', 0xc000 | fwd) +
               struct.pack('!HH', 1, 1) + qn +
               struct.pack('!HHIH', 1, 1, 0, 4) + b'\x7f\0\0\1')
    # A chain of 200 pointers, each to the one before, the first to the
    # question's name: the RDATA of an answer record; an additional
    # record's owner is a pointer to the last one.
    rd0 = 12 + len(qn) + 4 + 1 + 10
    ptrs = b''
    for i in range(200):
        target = 12 if i == 0 else rd0 + 2 * (i - 1)
        ptrs += struct.pack('!H', 0xc000 | target)
    out.append(header(qid(65536), an=1, ar=1) + question(qn) + b'\0' +
               struct.pack('!HHIH', 65280, 1, 0, len(ptrs)) + ptrs +
               struct.pack('!H', 0xc000 | (rd0 + 2 * 199)) +
               struct.pack('!HHIH', 1, 1, 0, 4) + b'\x7f\0\0\1')
    # Reserved label types (0x40 and 0x80) and extended labels.
    for first in (0x40, 0x41, 0x7f, 0x80, 0xbf):
        out.append(header(qid(65536)) + bytes([first]) + b'abc' + qn +
                   struct.pack('!HH', 1, 1))
    # The OPT owner and a record's owner as pointers in a loop.
    out.append(header(qid(65536), ar=1) + question(qn) +
               struct.pack('!H', 0xc000 | (12 + len(qn) + 4)) +
               struct.pack('!HHBBHH', 41, 1232, 0, 0, 0, 0))
    while len(out) < n:
        # A random mix of labels and pointers to random offsets.
        parts = b''
        for _ in range(rng.randrange(1, 6)):
            if rng.random() < 0.5:
                lab = bytes(rng.randrange(97, 123)
                            for _ in range(rng.randrange(0, 10)))
                parts += bytes([len(lab)]) + lab
            else:
                parts += struct.pack('!H', 0xc000 | rng.randrange(0, 80))
        if rng.random() < 0.5:
            parts += b'\0'
        out.append(header(qid(65536)) + parts + struct.pack('!HH', 1, 1))
    return out


def batch_opt(rng, t, n):
    qn = wire_name(text_labels(t.qname))
    out = []
    full = query(rng, qn, edns=opt_rr(options=option(10, os.urandom(8))))
    qlen = 12 + len(qn) + 4
    for cut in range(qlen, len(full)):
        out.append(full[:cut])
    for rdlen in (1, 3, 4, 5, 100, 65535):
        out.append(query(rng, qn, edns=opt_rr(options=option(10, b'x' * 8),
                                              rdlen=rdlen)))
    for olen in (0, 1, 7, 9, 13, 255, 65535):
        out.append(query(rng, qn, edns=opt_rr(
            options=option(10, b'y' * 8, length=olen))))
    for clen in range(0, 42):
        out.append(query(rng, qn, edns=opt_rr(
            options=option(10, os.urandom(clen)))))
    for family in (0, 1, 2, 3):
        for src in (0, 8, 24, 32, 33, 56, 128, 129, 255):
            for alen in (0, 1, 3, 4, 16, 17):
                data = struct.pack('!HBB', family, src, 0) + os.urandom(alen)
                out.append(query(rng, qn, edns=opt_rr(
                    options=option(8, data))))
    for code in (0, 3, 5, 6, 7, 9, 11, 12, 15, 65535):
        out.append(query(rng, qn, edns=opt_rr(
            options=option(code, os.urandom(rng.randrange(0, 40))))))
    for version in (1, 2, 255):
        out.append(query(rng, qn, edns=opt_rr(version=version)))
    for payload in (0, 1, 511, 512, 65535):
        out.append(query(rng, qn, edns=opt_rr(payload=payload)))
    # Two OPTs; an OPT owned by a name; an OPT in the answer section.
    two = header(rng.randrange(65536), ar=2) + question(qn) + opt_rr() + \
        opt_rr()
    out.append(two)
    out.append(query(rng, qn, edns=opt_rr(owner=wire_name([b'x']))))
    out.append(header(rng.randrange(65536), an=1) + question(qn) + opt_rr())
    while len(out) < n:
        opts = b''
        for _ in range(rng.randrange(1, 4)):
            data = os.urandom(rng.randrange(0, 20))
            opts += option(rng.choice([8, 10, 11, 12, 15, rng.randrange(65536)]),
                           data, length=rng.choice([None, None,
                                                    rng.randrange(65536)]))
        out.append(mutate(rng, query(rng, qn, edns=opt_rr(options=opts)))
                   if rng.random() < 0.3 else
                   query(rng, qn, edns=opt_rr(options=opts)))
    return out


def batch_tsig(rng, t, n):
    qn = wire_name(text_labels(t.qname))
    out = []

    def with_tsig(rr, extra=b'', ar=1):
        return header(rng.randrange(65536), ar=ar) + question(qn) + extra + rr

    good = tsig_rr(rng)
    for cut in range(0, len(good)):
        out.append(with_tsig(good[:cut]))
    for rdlen in (0, 1, 10, 20, 25, 60, 65535):
        out.append(with_tsig(tsig_rr(rng, rdlen=rdlen)))
    for mac_size in (0, 1, 16, 31, 33, 64, 255, 65535):
        out.append(with_tsig(tsig_rr(rng, mac_size=mac_size)))
    for other_len in (1, 6, 100, 65535):
        out.append(with_tsig(tsig_rr(rng, other=b'\0' * 6,
                                     other_len=other_len)))
    for alg in (b'\0', wire_name([b'hmac-md5', b'sig-alg', b'reg', b'int']),
                wire_name([b'x' * 63] * 4), b'\xc0\x0c', b'\xc0\xff',
                wire_name([b'hmac-sha512'])):
        out.append(with_tsig(tsig_rr(rng, alg=alg)))
    for rrclass in (1, 254, 0):
        out.append(with_tsig(tsig_rr(rng, rrclass=rrclass)))
    # TSIG not last; two TSIGs; TSIG and OPT; ARCOUNT smaller than sent.
    out.append(with_tsig(opt_rr(), extra=tsig_rr(rng), ar=2))
    out.append(with_tsig(tsig_rr(rng), extra=tsig_rr(rng), ar=2))
    out.append(with_tsig(tsig_rr(rng), extra=opt_rr(), ar=2))
    out.append(with_tsig(tsig_rr(rng), ar=0))
    # The same on a NOTIFY and an UPDATE (opcodes that require a key).
    for opcode in (4, 5):
        out.append(header(rng.randrange(65536), opcode << 11, ar=1) +
                   question(qn, 6) + tsig_rr(rng, rdlen=rng.randrange(80)))
    while len(out) < n:
        rr = tsig_rr(rng, mac=os.urandom(rng.randrange(0, 70)),
                     mac_size=rng.choice([None, rng.randrange(65536)]),
                     other=os.urandom(rng.randrange(0, 10)),
                     other_len=rng.choice([None, rng.randrange(65536)]),
                     rdlen=rng.choice([None, rng.randrange(200)]))
        out.append(mutate(rng, with_tsig(rr)) if rng.random() < 0.3
                   else with_tsig(rr))
    return out


def name_packets(rng, t):
    """Label lengths 0..64, names of 250..260 octets, the 63-63-63-61-63
    name; in and out of the target's zone."""
    zone = text_labels(t.qname)[1:]
    out = []

    def lab(length):
        return bytes(rng.choice(b'abcdefghijklmnopqrstuvwxyz0123456789-')
                     for _ in range(length))

    def raw_name(labels):
        # Like wire_name but for any length byte, even over 63.
        return b''.join(bytes([len(l) & 0xff]) + l for l in labels) + b'\0'

    for length in range(0, 65):
        for tail in (zone, []):
            out.append(query(rng, raw_name([lab(length)] + tail)))
    for total in range(250, 261):
        for tail in (zone, []):
            tail_len = sum(len(l) + 1 for l in tail)
            left = total - 1 - tail_len
            labels = []
            while left > 0:
                size = min(63, left - 1)
                if size <= 0:
                    break
                labels.append(lab(size))
                left -= size + 1
            name = raw_name(labels + tail)
            out.append(query(rng, name))
            out.append(query(rng, name, edns=opt_rr()))
    # Labels of 63, 63, 63 and 61 octets (a name of 255 octets, the most
    # there may be), then one more label of 63: 319 octets.
    crash = [lab(63), lab(63), lab(63), lab(61), lab(63)]
    out.append(query(rng, raw_name(crash)))
    out.append(query(rng, raw_name(crash), edns=opt_rr()))
    out.append(query(rng, raw_name(crash + zone)))
    out.append(query(rng, raw_name(crash[:4])))
    # Many empty-ish labels: 127 one-octet labels (255 octets), and 128.
    for count in (127, 128, 200):
        out.append(query(rng, raw_name([b'a'] * count)))
    return out


def batch_names(rng, t, n):
    return name_packets(rng, t)


# ---------------------------------------------------------------- sending

class Target:
    def __init__(self, spec):
        f = spec.split(',')
        self.name, self.port, self.pid = f[0], int(f[1]), int(f[2])
        self.qname, self.address = f[3], f[4]
        self.aa = len(f) > 5 and f[5] == 'aa'
        self.dead = False
        self.sent = 0
        self.answered = 0


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead too.
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def skip_name(msg, off):
    """Offset after the (possibly compressed) name at off."""
    while True:
        if off >= len(msg):
            raise ValueError('name runs past the end')
        c = msg[off]
        if c == 0:
            return off + 1
        if c & 0xc0 == 0xc0:
            return off + 2
        off += 1 + c


def check_answer(t, qid, data):
    """None if data is the right answer to our probe, else why not."""
    if len(data) < 12:
        return 'short answer (%d octets)' % len(data)
    rid, flags, qd, an, _, _ = struct.unpack('!HHHHHH', data[:12])
    if rid != qid:
        return 'wrong id'
    rcode = flags & 0xf
    if not flags & 0x8000:
        return 'QR not set'
    if rcode != 0:
        return 'rcode %d, not NOERROR' % rcode
    if t.aa and not flags & 0x0400:
        return 'AA not set'
    off = 12
    for _ in range(qd):
        off = skip_name(data, off) + 4
    want = socket.inet_aton(t.address)
    for _ in range(an):
        off = skip_name(data, off)
        rtype, _, _, rdlen = struct.unpack('!HHIH', data[off:off + 10])
        off += 10
        if rtype == QTYPE_A and data[off:off + rdlen] == want:
            return None
        off += rdlen
    return 'NOERROR but no A %s in the answer' % t.address


def probe(t, rng, tcp):
    """None if t answers its good query right, else why not."""
    qid = rng.randrange(65536)
    msg = query(rng, wire_name(text_labels(t.qname)), qid=qid)
    why = 'no answer'
    for attempt in range(3):
        try:
            if tcp:
                with socket.create_connection(('127.0.0.1', t.port),
                                              timeout=3) as s:
                    s.sendall(struct.pack('!H', len(msg)) + msg)
                    buf = b''
                    while len(buf) < 2 or len(buf) < 2 + struct.unpack(
                            '!H', buf[:2])[0]:
                        chunk = s.recv(65536)
                        if not chunk:
                            raise OSError('connection closed')
                        buf += chunk
                    data = buf[2:2 + struct.unpack('!H', buf[:2])[0]]
            else:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.settimeout(2)
                    s.sendto(msg, ('127.0.0.1', t.port))
                    while True:
                        data = s.recv(65536)
                        if data[:2] == msg[:2]:
                            break
            why = check_answer(t, qid, data)
            if why is None:
                return None
        except (OSError, ValueError, struct.error) as e:
            why = str(e) or e.__class__.__name__
        if not alive(t.pid):
            return 'process %d is gone' % t.pid
    return why


def drain(sock, t):
    while True:
        try:
            sock.recv(65536)
            t.answered += 1
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return


def send_udp(t, packets):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        for i, p in enumerate(packets):
            for _ in range(50):
                try:
                    s.sendto(p, ('127.0.0.1', t.port))
                    break
                except BlockingIOError:
                    time.sleep(0.001)
                except OSError:
                    break	# too long for a datagram, refused: next
            t.sent += 1
            if i % 32 == 31:
                time.sleep(0.002)
                drain(s, t)
        time.sleep(0.05)
        drain(s, t)


def tcp_frames(rng, t, packets):
    """What each connection writes: a list of chunks (written one by one)."""
    out = []
    good = good_queries(rng, t)
    for p in packets:
        n = len(p)
        kind = rng.randrange(8)
        if kind == 0:
            out.append([struct.pack('!H', n) + p])
        elif kind == 1:	# a length one too many: the server waits
            out.append([struct.pack('!H', n + 1) + p])
        elif kind == 2:	# one too few: the rest is the next message
            out.append([struct.pack('!H', max(n - 1, 0)) + p])
        elif kind == 3:	# split into one-octet writes
            m = struct.pack('!H', n) + p
            out.append([m[i:i + 1] for i in range(min(len(m), 40))] +
                       [m[40:]])
        elif kind == 4:	# pipelined behind a good query
            g = rng.choice(good)
            out.append([struct.pack('!H', len(g)) + g +
                        struct.pack('!H', n) + p])
        elif kind == 5:	# a length of 0, 1 or 65535
            out.append([struct.pack('!H', rng.choice([0, 1, 65535])) + p])
        elif kind == 6:	# half a length prefix
            out.append([struct.pack('!H', n)[:1]])
        else:
            out.append([struct.pack('!H', n) + p])
    return out


def send_tcp(t, rng, frames, group=16):
    for start in range(0, len(frames), group):
        socks = []
        for chunks in frames[start:start + group]:
            try:
                s = socket.create_connection(('127.0.0.1', t.port),
                                             timeout=2)
            except OSError:
                continue
            try:
                for c in chunks:
                    if c:
                        s.sendall(c)
            except OSError:
                pass
            t.sent += 1
            socks.append(s)
        deadline = time.time() + 0.3
        waiting = list(socks)
        while waiting and time.time() < deadline:
            r, _, _ = select.select(waiting, [], [], 0.05)
            for s in r:
                try:
                    if s.recv(65536):
                        t.answered += 1
                except OSError:
                    pass
                waiting.remove(s)
        for s in socks:
            s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--target', action='append', required=True)
    ap.add_argument('--udp', type=int, default=3000,
                    help='UDP messages per target, about')
    ap.add_argument('--tcp', type=int, default=300,
                    help='TCP connections per target, about')
    ap.add_argument('--seconds', type=float, default=300,
                    help='give up (and fail) after this long')
    ap.add_argument('--dump', help='folder for the packets of a failed batch')
    a = ap.parse_args()
    targets = [Target(s) for s in a.target]
    start = time.time()
    u = a.udp
    # name, generator, share of the UDP count, transport
    batches = [('random', batch_random, 0.2, 'udp'),
               ('mutated', batch_mutated, 0.3, 'udp'),
               ('header', batch_header, 0.1, 'udp'),
               ('compression', batch_compression, 0.1, 'udp'),
               ('opt', batch_opt, 0.15, 'udp'),
               ('tsig', batch_tsig, 0.1, 'udp'),
               ('tcp', None, 0, 'tcp'),
               ('names', batch_names, 0, 'udp'),
               ('names-tcp', batch_names, 0, 'tcp')]
    print('# seed %d (MALFORMED_SEED=%d repeats this run)' % (a.seed, a.seed))
    failed = 0
    for t in targets:
        why = probe(t, random.Random(a.seed), False)
        if why:
            print('not ok - %s: no right answer before any bad message: %s'
                  % (t.name, why))
            failed += 1
            t.dead = True
    for bname, gen, share, transport in batches:
        for t in targets:
            if t.dead:
                continue
            if time.time() - start > a.seconds:
                print('not ok - %s %s: not sent, the run is over its %d s'
                      % (t.name, bname, a.seconds))
                failed += 1
                continue
            rng = random.Random('%d/%s/%s' % (a.seed, t.name, bname))
            if bname == 'tcp':
                packets = []
                for g in (batch_random, batch_mutated, batch_header,
                          batch_compression, batch_opt, batch_tsig):
                    packets += g(rng, t, a.tcp // 6)
                rng.shuffle(packets)
                packets = packets[:a.tcp]
            else:
                packets = gen(rng, t, max(int(u * share), 1))
            sent0, ans0, t0 = t.sent, t.answered, time.time()
            # Chunks of at most 250, each followed by the checks.
            chunk = 250
            bad = None
            for i in range(0, len(packets), chunk):
                part = packets[i:i + chunk]
                if transport == 'udp':
                    send_udp(t, part)
                else:
                    send_tcp(t, rng, tcp_frames(rng, t, part))
                why = probe(t, rng, False) or probe(t, rng, True)
                if not alive(t.pid):
                    why = 'process %d is gone' % t.pid
                if why:
                    bad = (i, part, why)
                    break
            label = '%s %s: %d %s messages' % (
                t.name, bname, len(packets), transport.upper())
            if bad is None:
                print('ok - %s, still answers right (%d answered, %.1f s)' % (
                    label, t.answered - ans0, time.time() - t0))
                continue
            i, part, why = bad
            failed += 1
            print('not ok - %s: after messages %d-%d: %s' % (
                label, i, i + len(part) - 1, why))
            if a.dump:
                path = os.path.join(a.dump, '%s-%s.hex' % (t.name, bname))
                with open(path, 'w') as f:
                    for p in part:
                        f.write(p.hex() + '\n')
                print('#   the messages of that chunk, one a line: %s' % path)
            if not alive(t.pid):
                t.dead = True
                rest = [b[0] for b in batches[batches.index(
                    (bname, gen, share, transport)) + 1:]]
                if rest:
                    print('#   %s is dead: not sent: %s' % (
                        t.name, ', '.join(rest)))
    for t in targets:
        if not t.dead:
            why = probe(t, random.Random(a.seed + 1), False) or \
                probe(t, random.Random(a.seed + 2), True)
            if why:
                print('not ok - %s at the end: %s' % (t.name, why))
                failed += 1
            else:
                print('ok - %s at the end: alive and answers right, UDP and '
                      'TCP (%d messages sent, %d answered)' % (
                          t.name, t.sent, t.answered))
    print('# %.1f s' % (time.time() - start))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
