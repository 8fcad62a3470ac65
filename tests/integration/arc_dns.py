#!/usr/bin/python3
"""A fixed-answer DNS server for the ARC tests: serves TXT records from a
dict on 127.0.0.1 (UDP), NXDOMAIN for every other name.  Not a peer: the
ARC suites give their key records as a name -> text table, and this is
the smallest thing that lets `timbre arc` look them up over real DNS.

    srv = TxtServer({'dummy._domainkey.example.org': 'v=DKIM1; ...'})
    srv.port ... srv.stop()
"""

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def _strings(text):
    data = text.encode('utf-8')
    return [data[i:i + 255] for i in range(0, len(data), 255)] or [b'']


class TxtServer:
    def __init__(self, records):
        self.records = {k.lower().rstrip('.') + '.': v
                        for k, v in records.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def set_records(self, records):
        self.records = {k.lower().rstrip('.') + '.': v
                        for k, v in records.items()}

    def _answer(self, wire):
        q = dns.message.from_wire(wire)
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        qname = q.question[0].name
        name = qname.to_text().lower()
        if name not in self.records:
            r.set_rcode(dns.rcode.NXDOMAIN)
        elif q.question[0].rdtype == dns.rdatatype.TXT:
            rr = dns.rrset.RRset(qname, dns.rdataclass.IN,
                                 dns.rdatatype.TXT)
            strs = ' '.join('"%s"' % s.decode().replace('\\', '\\\\')
                            .replace('"', '\\"')
                            for s in _strings(self.records[name]))
            rr.add(dns.rdata.from_text(dns.rdataclass.IN,
                                       dns.rdatatype.TXT, strs), 300)
            r.answer.append(rr)
        return r.to_wire()

    def _loop(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                wire, addr = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self.sock.sendto(self._answer(wire), addr)
            except Exception:  # a malformed query gets no answer
                pass

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()
