#!/usr/bin/python3
"""primary_workers.py: the DNS client of primary_workers.sh (dnspython).

compare PORT_A PORT_B SOCKETS QUESTIONS
    Asks each question of QUESTIONS (a file: NAME TYPE a line) of the
    servers on 127.0.0.1:PORT_A and 127.0.0.1:PORT_B, through SOCKETS
    sockets of distinct source ports in turn (the kernel spreads the
    ports among a server's SO_REUSEPORT sockets), each name in random
    letter case, with and without EDNS; prints
    "asked=N same=N differ=N timeouts=N" and the first differences.  Two
    answers are the same when rcode, flags and every section's records
    (in any order) are.

loop PORT SOCKETS STOPFILE ADDR,ADDR FINAL LAST
    One thread a socket asks www.example.org A and example.org SOA in
    turn until STOPFILE exists; prints "asked=N right=N wrong=N
    timeouts=N back=N final=N": answers with one A record among the ADDRs
    or one SOA, anything else, none within 3 s, SOA serials lower than
    one the same socket had before (the loop the kernel gives that port
    to went back to an older zone), and the sockets whose last answers
    were FINAL and serial LAST.
"""
import os
import random
import socket
import sys
import threading

import dns.flags
import dns.message
import dns.query
import dns.rdatatype


def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def randcase(name):
    return "".join(c.upper() if random.random() < 0.5 else c for c in name)


def norm(m):
    sec = []
    for s in (m.answer, m.authority, m.additional):
        sec.append(sorted(rr.to_text() for rr in s))
    return (m.rcode(), m.flags, m.edns, sec)


def ask(s, port, q, timeout=3.0):
    try:
        return dns.query.udp(q, "127.0.0.1", port=port, sock=s,
                             timeout=timeout, ignore_unexpected=True)
    except dns.exception.Timeout:
        return None


def compare(pa, pb, nsock, path):
    socks = [sock() for _ in range(nsock)]
    qs = [ln.split() for ln in open(path) if ln.strip()]
    asked = same = differ = timeouts = 0
    diffs = []
    for i, (name, typ) in enumerate(qs):
        q = dns.message.make_query(randcase(name), typ)
        if i % 2:
            q.use_edns(0, 0, random.choice((512, 1232, 4096)))
        q.flags &= ~dns.flags.RD
        s = socks[i % nsock]
        a = ask(s, pa, q)
        b = ask(s, pb, q)
        asked += 1
        if a is None or b is None:
            timeouts += 1
            continue
        if norm(a) == norm(b):
            same += 1
        else:
            differ += 1
            if len(diffs) < 3:
                diffs.append("%s %s:\n%s\n---\n%s" % (name, typ, a, b))
    print("asked=%d same=%d differ=%d timeouts=%d" %
          (asked, same, differ, timeouts))
    for d in diffs:
        print(d)


def loop(port, nsock, stop, addrs, final, last):
    lock = threading.Lock()
    tot = {"asked": 0, "right": 0, "wrong": 0, "timeouts": 0, "back": 0,
           "final": 0}
    bad = []

    def run():
        s = sock()
        c = dict.fromkeys(tot, 0)
        serial = 0
        last_a = None
        last_serial = 0
        i = 0
        while not os.path.exists(stop):
            i += 1
            soa = i % 2 == 0
            q = dns.message.make_query(
                randcase("example.org" if soa else "www.example.org"),
                "SOA" if soa else "A")
            q.flags &= ~dns.flags.RD
            r = ask(s, port, q)
            c["asked"] += 1
            if r is None:
                c["timeouts"] += 1
                continue
            rds = [rd for rrs in r.answer for rd in rrs
                   if rrs.rdtype == (dns.rdatatype.SOA if soa
                                     else dns.rdatatype.A)]
            ok = r.rcode() == 0 and len(rds) == 1
            if ok and soa:
                if rds[0].serial < serial:
                    c["back"] += 1
                serial = last_serial = rds[0].serial
            elif ok and rds[0].address in addrs:
                last_a = rds[0].address
            else:
                ok = False
            if ok:
                c["right"] += 1
            else:
                c["wrong"] += 1
                with lock:
                    if len(bad) < 3:
                        bad.append(r.to_text())
        c["final"] = 1 if last_a == final and last_serial == last else 0
        with lock:
            for k in tot:
                tot[k] += c[k]

    ts = [threading.Thread(target=run) for _ in range(nsock)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(" ".join("%s=%d" % (k, v) for k, v in tot.items()))
    for b in bad:
        print(b)


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "compare":
        compare(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                sys.argv[5])
    elif len(sys.argv) == 8 and sys.argv[1] == "loop":
        loop(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
             sys.argv[5].split(","), sys.argv[6], int(sys.argv[7]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
