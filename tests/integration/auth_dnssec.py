#!/usr/bin/python3
# auth_dnssec.py: the checks of auth_dnssec.sh that want a DNS library
# (dnspython, Debian's python3-dnspython):
#
#   compare ADDR_A ADDR_B < QUERIES
#       asks both servers (port 53) each query, one a line: NAME TYPE
#       [do] [tcp] [bufsize=N] [noedns]; the rcode, the header flags, the
#       DO bit of the answer's OPT and every section (records sorted) must
#       be the same (but the records of an answer both truncate).  Prints "ok - ..." or "not ok - ..." per query.
#   axfr ADDR ZONE FILE
#       the records of an AXFR of ZONE (every message) must be those of
#       the master file FILE, signatures and NSEC/NSEC3 included.
#   ixfr ADDR ZONE OLDFILE NEWFILE
#       an IXFR from OLDFILE's serial must be incremental (RFC 1995
#       section 4) and turn OLDFILE's records into NEWFILE's, with RRSIG
#       records among those it deletes and adds.
#
# Exit status 0 when every check held.
import sys

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.zone


def ask(addr, name, rdtype, opts):
    size = 1232
    for o in opts:
        if o.startswith("bufsize="):
            size = int(o[8:])
    use_edns = None if "noedns" in opts else 0
    q = dns.message.make_query(name, rdtype, use_edns=use_edns,
                               want_dnssec="do" in opts, payload=size)
    q.flags &= ~dns.flags.RD
    if "tcp" in opts:
        r = dns.query.tcp(q, addr, port=53, timeout=5)
    else:
        r = dns.query.udp(q, addr, port=53, timeout=5)
    secs = []
    for sec in (r.answer, r.authority, r.additional):
        secs.append(sorted(line for rrset in sec
                           for line in rrset.to_text().split("\n")))
    return {"rcode": dns.rcode.to_text(r.rcode()),
            "flags": dns.flags.to_text(r.flags),
            "do": bool(r.ednsflags & dns.flags.DO) if r.edns >= 0 else None,
            "answer": secs[0], "authority": secs[1], "additional": secs[2]}


def count(sec):
    return sec if isinstance(sec, str) else str(len(sec))


def compare(a, b):
    bad = 0
    for line in sys.stdin:
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        ra = ask(a, w[0], w[1], w[2:])
        rb = ask(b, w[0], w[1], w[2:])
        what = " ".join(w)
        # Truncated, each keeps what it likes of what fits (RFC 2181
        # section 9): the client asks again over TCP.
        if "TC" in ra["flags"].split() and "TC" in rb["flags"].split():
            for k in ("answer", "authority", "additional"):
                ra[k] = rb[k] = "truncated"
        if ra == rb:
            print("ok - %s: %s %s, %s+%s+%s records, same as NSD" % (
                what, ra["rcode"], ra["flags"], count(ra["answer"]),
                count(ra["authority"]), count(ra["additional"])))
            continue
        bad += 1
        print("not ok - %s: timbre and NSD differ" % what)
        for k in ra:
            if ra[k] != rb[k]:
                print("#   %s timbre: %s" % (k, ra[k]))
                print("#   %s nsd:    %s" % (k, rb[k]))
    return bad


def file_records(zone, path):
    z = dns.zone.from_file(path, origin=zone, relativize=False)
    out = set()
    for name, ttl, rdata in z.iterate_rdatas():
        out.add(rr_text(name, rdata))
    return out


def rr_text(name, rdata):
    return "%s %s %s" % (name.to_text().lower(),
                         dns.rdatatype.to_text(rdata.rdtype),
                         rdata.to_text())


def xfr_records(addr, zone, rdtype, serial=0):
    out = []
    for m in dns.query.xfr(addr, zone, rdtype=rdtype, serial=serial,
                           port=53, timeout=10, relativize=False):
        for rrset in m.answer:
            for rdata in rrset:
                out.append((rrset.name, rdata))
    return out


def axfr(addr, zone, path):
    got = xfr_records(addr, zone, dns.rdatatype.AXFR)
    have = set(rr_text(n, r) for n, r in got)
    want = file_records(zone, path)
    if have == want:
        print("ok - AXFR of %s: the %d records of the signed file" % (
            zone, len(want)))
        return 0
    print("not ok - AXFR of %s differs from the signed file" % zone)
    for x in sorted(want - have)[:10]:
        print("#   missing: %s" % x)
    for x in sorted(have - want)[:10]:
        print("#   extra:   %s" % x)
    return 1


def serial_of(path, zone):
    z = dns.zone.from_file(path, origin=zone, relativize=False)
    return z.find_rdataset(z.origin, "SOA")[0].serial


def ixfr(addr, zone, oldpath, newpath):
    old = file_records(zone, oldpath)
    new = file_records(zone, newpath)
    s_old = serial_of(oldpath, zone)
    s_new = serial_of(newpath, zone)
    try:
        got = xfr_records(addr, zone, dns.rdatatype.IXFR, s_old)
    except Exception as e:  # dnspython checks the sequence itself
        print("not ok - IXFR of %s from %d: %s" % (zone, s_old, e))
        return 1
    soas = [r.serial for n, r in got if r.rdtype == dns.rdatatype.SOA]
    if len(soas) < 4 or soas[0] != s_new or soas[1] != s_old:
        print("not ok - IXFR of %s from %d is not incremental: SOA "
              "serials %s" % (zone, s_old, soas[:6]))
        return 1
    # Walk the sequences: old SOA, deletions, new SOA, additions.
    cur = set(old)
    sigs = 0
    mode = None
    for n, r in got[1:-1]:
        t = rr_text(n, r)
        if r.rdtype == dns.rdatatype.SOA:
            mode = "add" if mode == "del" else "del"
            if mode == "del":
                cur.discard(t)
            else:
                cur.add(t)
            continue
        sigs += r.rdtype == dns.rdatatype.RRSIG
        if mode == "del":
            cur.discard(t)
        else:
            cur.add(t)
    if cur != new:
        print("not ok - IXFR of %s from %d does not give the new zone" % (
            zone, s_old))
        for x in sorted(new - cur)[:10]:
            print("#   missing: %s" % x)
        for x in sorted(cur - new)[:10]:
            print("#   extra:   %s" % x)
        return 1
    if sigs == 0:
        print("not ok - IXFR of %s carries no RRSIG" % zone)
        return 1
    print("ok - IXFR of %s from %d to %d: incremental, %d records, %d "
          "RRSIGs, gives the re-signed zone" % (zone, s_old, s_new,
                                                len(got), sigs))
    return 0


def main():
    cmd = sys.argv[1]
    if cmd == "compare":
        return 1 if compare(sys.argv[2], sys.argv[3]) else 0
    if cmd == "axfr":
        return axfr(*sys.argv[2:5])
    if cmd == "ixfr":
        return ixfr(*sys.argv[2:6])
    print("usage: auth_dnssec.py compare|axfr|ixfr ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
