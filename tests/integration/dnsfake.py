#!/usr/bin/python3
"""dnsfake.py: a scripted DNS server for tests, answering from a table.

For what a real name server cannot do: names that never answer, records
NSD would refuse to load (8-bit TXT, SPF type 99 copies), answers built
to order.  It listens on loopback only, over UDP and TCP.

The table (YAML or JSON) maps names to lists of entries, in the format of
the RFC 7208 test suite's zonedata:

    example.com:
      - TXT: v=spf1 -all            # a string or a list of strings
      - SPF: v=spf1 -all            # type 99; with --spf-as-txt also TXT
      - A: 192.0.2.1                # AAAA, PTR, CNAME, NS alike
      - MX: [10, mx.example.com]    # '' is the root (null MX)
      - TXT: NONE                   # no TXT (stops the SPF copy)
      - TIMEOUT                     # questions with no answer: dropped
      - RCODE: SERVFAIL             # answer every question so
      - FORGE_NXDOMAIN: MX          # with --forward: NODATA made NXDOMAIN
                                    # (for MX; the bare word: every type)

A question for a name with records of its type gets them (after CNAMEs
in the table); with none, a TIMEOUT entry drops the question, an RCODE
entry answers with it, else the answer is NODATA for a name that has
entries or is above one, NXDOMAIN for others.

With --forward ADDR it is a proxy instead: every question goes to the
server at ADDR (port 53) and its answer comes back as is, but for a name
with a FORGE_NXDOMAIN entry a NODATA answer comes back with the rcode
NXDOMAIN (for the type given, or any), its authority section (SOA, NSEC
and their signatures) kept:
the forged denial a validating resolver must find bogus.

Used as a program it serves one table until killed:

    dnsfake.py --zone FILE [--port N] [--port-file F] [--spf-as-txt]
               [--addr A] [--forward ADDR]

and as a module (spf_suite.py) it runs in a thread: FakeDNS(zone).
"""

import argparse
import errno
import json
import socket
import socketserver
import struct
import sys
import threading

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset


def _bytes(s):
    """Suite strings stand for bytes: latin-1 when they fit, else UTF-8."""
    if isinstance(s, bytes):
        return s
    s = str(s)
    try:
        return s.encode('latin-1')
    except UnicodeEncodeError:
        return s.encode('utf-8')


def _txt_rdata(rdtype, value):
    strings = value if isinstance(value, list) else [value]
    chunks = []
    for s in strings:
        b = _bytes(s)
        if not b:
            chunks.append(b'')
        # One character-string holds 255 bytes: longer ones are split.
        while b:
            chunks.append(b[:255])
            b = b[255:]
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, chunks)


def _rdata(rtype, value):
    if rtype in ('TXT', 'SPF'):
        return _txt_rdata(dns.rdatatype.from_text(rtype), value)
    if rtype == 'MX':
        pref, host = value
        host = str(host) if str(host) else '.'
        return dns.rdata.from_text('IN', 'MX', '%d %s' %
                                   (int(pref), _absolute(host)))
    if rtype in ('PTR', 'CNAME', 'NS'):
        return dns.rdata.from_text('IN', rtype, _absolute(str(value)))
    return dns.rdata.from_text('IN', rtype, str(value))


def _absolute(name):
    return name if name.endswith('.') else name + '.'


def _key(name):
    """Table key: the name's raw labels (no presentation escapes)."""
    if isinstance(name, dns.name.Name):
        name = '.'.join(lab.decode('latin-1') for lab in name.labels if lab)
    return str(name).lower().rstrip('.')


class Zone:
    """The table, indexed by lower-case name."""

    def __init__(self, table, spf_as_txt=False, forward=None):
        self.forward = forward
        self.names = {}
        for name, entries in (table or {}).items():
            self.names[_key(name)] = list(entries or [])
        self.spf_as_txt = spf_as_txt

    def entries(self, name):
        return self.names.get(_key(name))

    def exists(self, name):
        k = _key(name)
        if k in self.names:
            return True
        return any(n.endswith('.' + k) for n in self.names)

    def records(self, name, rtype):
        """(values, explicit_none) of type rtype at name."""
        ents = self.entries(name) or []
        vals, none = [], False
        for e in ents:
            if isinstance(e, dict):
                for t, v in e.items():
                    if t.upper() != rtype:
                        continue
                    if v == 'NONE':
                        none = True
                    else:
                        vals.append(v)
        if rtype == 'TXT' and self.spf_as_txt and not vals and not none:
            if not any(isinstance(e, dict) and 'TXT' in e for e in ents):
                vals = self.records(name, 'SPF')[0]
        return vals, none

    def flag(self, name, what):
        for e in self.entries(name) or []:
            if e == what:
                return True
            if isinstance(e, dict) and what in e:
                return e[what]
        return None


def _forwarded(zone, q, wire):
    """The answer of the server at zone.forward, forged when asked to."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    try:
        s.sendto(wire, (zone.forward, 53))
        resp = dns.message.from_wire(s.recv(65535))
    except (OSError, socket.timeout, dns.exception.DNSException):
        return None
    finally:
        s.close()
    forge = zone.flag(q.question[0].name, 'FORGE_NXDOMAIN')
    qtype = dns.rdatatype.to_text(q.question[0].rdtype)
    if ((forge is True or str(forge).upper() == qtype) and
            resp.rcode() == dns.rcode.NOERROR and not resp.answer):
        resp.set_rcode(dns.rcode.NXDOMAIN)
    return resp


def answer(zone, wire):
    """The reply to a query's wire form, or None to drop it."""
    try:
        q = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return None
    if not q.question:
        return None
    if zone.forward:
        return _forwarded(zone, q, wire)
    resp = dns.message.make_response(q)
    resp.flags |= dns.flags.AA
    qname = q.question[0].name
    qtype = dns.rdatatype.to_text(q.question[0].rdtype)
    name = qname
    for _ in range(9):
        rc = zone.flag(name, 'RCODE')
        if rc:
            resp.set_rcode(dns.rcode.from_text(str(rc)))
            return resp
        vals, _none = zone.records(name, qtype)
        if vals:
            rrset = dns.rrset.RRset(name, dns.rdataclass.IN,
                                    dns.rdatatype.from_text(qtype))
            for v in vals:
                rrset.add(_rdata(qtype, v), 0)
            resp.answer.append(rrset)
            return resp
        cnames = zone.records(name, 'CNAME')[0] if qtype != 'CNAME' else []
        if cnames:
            target = dns.name.from_text(_absolute(str(cnames[0])))
            rrset = dns.rrset.RRset(name, dns.rdataclass.IN,
                                    dns.rdatatype.CNAME)
            rrset.add(_rdata('CNAME', cnames[0]), 0)
            resp.answer.append(rrset)
            name = target
            continue
        if zone.flag(name, 'TIMEOUT'):
            return None
        if not zone.exists(name):
            resp.set_rcode(dns.rcode.NXDOMAIN)
        return resp
    return resp


def to_wire(resp, limit):
    try:
        return resp.to_wire(max_size=limit)
    except dns.exception.TooBig:
        resp.answer = []
        resp.flags |= dns.flags.TC
        return resp.to_wire()


class FakeDNS:
    """Serves a Zone on 127.0.0.1 (UDP and TCP, same port) in threads."""

    def __init__(self, table=None, spf_as_txt=False, port=0,
                 addr='127.0.0.1', forward=None):
        self.zone = Zone(table, spf_as_txt, forward)
        server = self

        class UDP(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                r = answer(server.zone, data)
                if r is None:
                    return
                limit = 512
                if r.edns >= 0:
                    limit = max(512, r.payload)
                sock.sendto(to_wire(r, limit), self.client_address)

        class TCP(socketserver.BaseRequestHandler):
            def handle(self):
                s = self.request
                s.settimeout(5)
                try:
                    while True:
                        hdr = _recvn(s, 2)
                        if not hdr:
                            return
                        data = _recvn(s, struct.unpack('!H', hdr)[0])
                        r = answer(server.zone, data)
                        if r is None:
                            continue
                        w = to_wire(r, 65535)
                        s.sendall(struct.pack('!H', len(w)) + w)
                except (OSError, socket.timeout):
                    return

        socketserver.ThreadingUDPServer.allow_reuse_address = True
        # The kernel picks a UDP port (port 0) that may be taken for TCP
        # by another test running beside this one: then pick again.
        for attempt in range(20):
            self.udp = socketserver.ThreadingUDPServer((addr, port), UDP)
            self.port = self.udp.server_address[1]
            try:
                self.tcp = socketserver.ThreadingTCPServer((addr, self.port),
                                                           TCP)
                break
            except OSError as e:
                self.udp.server_close()
                if port or e.errno != errno.EADDRINUSE or attempt == 19:
                    raise
        self.tcp.daemon_threads = True
        self.udp.daemon_threads = True
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True)
                        for s in (self.udp, self.tcp)]

    def set_table(self, table, spf_as_txt=None):
        if spf_as_txt is None:
            spf_as_txt = self.zone.spf_as_txt
        self.zone = Zone(table, spf_as_txt, self.zone.forward)

    def start(self):
        for t in self.threads:
            t.start()
        return self.port

    def stop(self):
        for s in (self.udp, self.tcp):
            s.shutdown()
            s.server_close()


def _recvn(s, n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return b if not b else None
        b += c
    return b


def load(path):
    with open(path, 'rb') as f:
        text = f.read()
    if path.endswith('.json'):
        return json.loads(text)
    import yaml
    return yaml.safe_load(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--zone', required=True, help='YAML or JSON table')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file', help='write the port chosen here')
    ap.add_argument('--spf-as-txt', action='store_true',
                    help='serve SPF entries as TXT where no TXT is given')
    ap.add_argument('--addr', default='127.0.0.1',
                    help='address to listen on (loopback)')
    ap.add_argument('--forward', metavar='ADDR',
                    help='proxy to the server at ADDR port 53')
    a = ap.parse_args()
    srv = FakeDNS(load(a.zone), a.spf_as_txt, a.port, a.addr, a.forward)
    port = srv.start()
    if a.port_file:
        with open(a.port_file, 'w') as f:
            f.write('%d\n' % port)
    else:
        print(port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    srv.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
