#!/usr/bin/python3
"""rrl_flood.py: sends N UDP queries from one source address as fast as it
can, then reads what comes back for a second, and prints how many answers
were whole, how many truncated (TC=1, no records) and how many never came:

    rrl_flood.py SERVER PORT SOURCE N NAME [random]

With "random", each query asks a fresh random label under NAME (the
random-subdomain flood).  Output: "full=F tc=T none=N" and, per rcode,
"rcode=R:C" pairs."""
import os
import select
import socket
import struct
import sys
import time


def query(qid, name):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l)
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + wire + b"\0" + \
        struct.pack(">HH", 1, 1)


def main():
    server, port, source, n, name = sys.argv[1:6]
    rnd = len(sys.argv) > 6 and sys.argv[6] == "random"
    port, n = int(port), int(n)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:    # past net.core.rmem_max, as root
        s.setsockopt(socket.SOL_SOCKET,
                     getattr(socket, "SO_RCVBUFFORCE", 33), 1 << 22)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((source, 0))
    seen = {}
    counts = {"full": 0, "tc": 0}
    rcodes = {}

    def take(data):
        qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", data[:12])
        if qid in seen:
            return
        seen[qid] = True
        rc = flags & 0xF
        rcodes[rc] = rcodes.get(rc, 0) + 1
        if flags & 0x0200:
            if an + ns + ar != 0:
                print("truncated answer with records", file=sys.stderr)
                sys.exit(1)
            counts["tc"] += 1
        else:
            counts["full"] += 1

    # Answers are read as the queries go, so that none is lost to a
    # full receive buffer (net.core.rmem_max bounds SO_RCVBUF).
    s.setblocking(False)
    for i in range(n):
        qname = "r%s.%s" % (os.urandom(4).hex(), name) if rnd else name
        s.sendto(query(i, qname), (server, port))
        while True:
            try:
                take(s.recv(65535))
            except BlockingIOError:
                break
    end = time.time() + 1.0
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            break
        take(s.recv(65535))
    full, tc = counts["full"], counts["tc"]
    print("full=%d tc=%d none=%d %s" % (full, tc, n - full - tc,
          " ".join("rcode=%d:%d" % kv for kv in sorted(rcodes.items()))))


main()
