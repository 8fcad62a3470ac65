#!/usr/bin/python3
"""resolver_dnssec_diff.py: the generator and the asker of
resolver_dnssec_diff.sh (issue 18).

  build --seed S --hierarchies N --dir D
      Generates N signed hierarchies below one signed root, from seed S
      (the same seed gives the same zones but for key material and
      signature bytes), signs them with ldns-keygen and ldns-signzone and
      breaks some on purpose.  Writes in D: the zone files, `servers`
      (one line per NSD: address, name, then zone and file pairs),
      `hints`, `root.ds` (the trust anchor), `questions` (one JSON object
      a line) and `zones` (each zone's shape, to print with a difference).

  ask --dir D --timbre PORT --unbound PORT [--passes 2] [--workers 4]
      Asks every question of both resolvers on 127.0.0.1, twice (the
      first time resolved, the second from the cache), with DO and RD,
      and compares: rcode, AD, and the answer section as a set of
      records (owner and rdata lower-cased, TTLs left out, RRSIGs kept).
      Every difference is printed with the question and its zone's
      shape; every SERVFAIL of timbre-resolverd must carry an Extended
      DNS Error (RFC 8914), whose codes are tallied against Unbound's.
      Exit status 1 on any difference or missing EDE.

Each hierarchy is a TLD hN. (on 127.0.0.3) with children cI.hN. (on
127.0.0.4), some with a grandchild g.cI.hN. (on 127.0.0.5); the root is
on 127.0.0.2.  Zones are signed with RSASHA256, ECDSAP256SHA256 or
Ed25519, with NSEC, NSEC3 (no extra iterations, random salt) or NSEC3
opt-out; children are secure, unsigned (an insecure delegation), or
broken: signatures expired or not yet valid, a missing RRSIG, a
corrupted RRSIG, a DS for a key the child does not have.  Their
contents: wildcards at several depths, empty non-terminals, CNAME
chains within and across zones (into unsigned and broken ones too),
DNAMEs.  Questions: existing and missing names and types, in random
case.
"""

import argparse
import concurrent.futures
import json
import os
import random
import subprocess
import sys
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

ALGS = ["RSASHA256", "ECDSAP256SHA256", "ED25519"]
DENIALS = ["nsec", "nsec3", "nsec3-optout"]
KINDS = ["secure", "secure", "secure", "unsigned", "expired", "notyet",
         "norrsig", "badsig", "badds"]
ADDR = {1: "127.0.0.3", 2: "127.0.0.4", 3: "127.0.0.5"}
# Questions left out of the comparison because Unbound is the one that
# is wrong: lower-case name -> the RFC section it breaks.  None so far.
EXCLUDED = {}
TYPES = ["A", "AAAA", "TXT", "MX", "NS", "SOA", "DNSKEY", "DS", "CNAME"]


class Zone:
    def __init__(self, name, level, kind, alg, denial):
        self.name = name
        self.level = level
        self.kind = kind
        self.alg = alg
        self.denial = denial
        self.lines = []
        self.children = []
        self.names = {}        # owner -> set of types
        self.file = name.rstrip(".").replace(".", "_") or "root"
        self.addr = "127.0.0.2" if level == 0 else ADDR[level]

    def add(self, owner, rtype, rdata):
        self.lines.append("%s 300 IN %s %s" % (owner, rtype, rdata))
        self.names.setdefault(owner, set()).add(rtype)

    def shape(self):
        if self.kind == "unsigned":
            return "%s unsigned" % self.name
        return "%s %s %s %s" % (self.name, self.kind, self.alg, self.denial)


def fill(z, rng, others):
    """The records of zone z; others: the names of the other zones."""
    n = z.name
    z.add(n, "SOA", "ns1.%s hostmaster.%s 1 3600 900 604800 300" % (n, n))
    z.add(n, "NS", "ns1." + n)
    z.add("ns1." + n, "A", z.addr)
    z.add("www." + n, "A", "192.0.2.%d" % rng.randint(1, 254))
    if rng.random() < 0.5:
        z.add("www." + n, "AAAA", "2001:db8::%x" % rng.randint(1, 65535))
    z.add("mail." + n, "A", "192.0.2.%d" % rng.randint(1, 254))
    z.add(n, "MX", "10 mail." + n)
    z.add("txt." + n, "TXT", '"t%d"' % rng.randint(0, 99999))
    # Empty non-terminals: b. and x.y.
    z.add("a.b." + n, "A", "192.0.2.7")
    z.add("deep.x.y." + n, "TXT", '"deep"')
    # Wildcards at several depths, some below empty non-terminals.
    for w in rng.sample(["*.", "*.w.", "*.v.u.", "*.b."], rng.randint(1, 3)):
        t = rng.choice(["A", "TXT"])
        z.add(w + n, t, "192.0.2.9" if t == "A" else '"wild"')
    # CNAMEs: within the zone, to a missing name, a chain, across zones.
    z.add("cn1." + n, "CNAME", "www." + n)
    z.add("cn2." + n, "CNAME", "missing." + n)
    z.add("cn3." + n, "CNAME", "cn1." + n)
    z.add("cn4." + n, "CNAME", "cn2." + n)
    z.add("cn5." + n, "CNAME", "q.w." + n)
    o = rng.choice(others)
    z.add("cx1." + n, "CNAME", "www." + o)
    o = rng.choice(others)
    z.add("cx2." + n, "CNAME", "nothere." + o)
    o = rng.choice(others)
    z.add("cx3." + n, "CNAME", "cn1." + o)
    if rng.random() < 0.5:
        z.add("dn." + n, "DNAME", rng.choice(others))


def questions(z, rng, others, extra):
    """Questions about zone z: existing names with each type, missing
    names, below wildcards and DNAMEs, and extra random missing ones."""
    n = z.name
    qs = []
    for owner in sorted(z.names):
        if owner.startswith("*."):
            owner = "q%d.%s" % (rng.randint(0, 999), owner[2:])
        for t in TYPES:
            if t in ("DNSKEY", "SOA", "NS", "DS") and owner != n:
                if rng.random() < 0.8:
                    continue
            qs.append((owner, t))
    for name in ["missing." + n, "b." + n, "y." + n, "x.y." + n,
                 "zz.a.b." + n, "w." + n, "u." + n, "v.u." + n,
                 "q.v.u." + n, "r.q.w." + n, "www.dn." + n,
                 "cn1.dn." + n, "nothere.dn." + n]:
        for t in ["A", "TXT", "AAAA"]:
            qs.append((name, t))
    for i in range(extra):
        label = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                        for _ in range(rng.randint(1, 12)))
        where = rng.choice(["", "w.", "b.", "x.y.", "v.u.", "dn."])
        qs.append(("%s.%s%s" % (label, where, n), rng.choice(TYPES[:5])))
    return qs


def rand_case(name, rng):
    return "".join(c.upper() if rng.random() < 0.5 else c for c in name)


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if r.returncode != 0:
        sys.exit("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout.strip()


def keygen(d, zone, alg, ksk):
    cmd = ["ldns-keygen", "-a", alg]
    if alg.startswith("RSA"):
        cmd += ["-b", "1024"]
    if ksk:
        cmd.append("-k")
    return run(cmd + [zone], d)


def sign(d, z, rng, now):
    """Signs zone z (its children's DS are in z.lines already); returns
    the DS lines the parent gets."""
    ksk = keygen(d, z.name, z.alg, True)
    zsk = keygen(d, z.name, z.alg, False)
    src = os.path.join(d, z.file + ".zone")
    with open(src, "w") as f:
        f.write("$TTL 300\n")
        f.write("\n".join(z.lines) + "\n")
        for k in (ksk, zsk):
            with open(os.path.join(d, k + ".key")) as kf:
                f.write(kf.read())
    cmd = ["ldns-signzone", "-f", z.file + ".signed"]
    if z.kind == "expired":
        cmd += ["-i", str(now - 60 * 86400), "-e", str(now - 30 * 86400)]
    elif z.kind == "notyet":
        cmd += ["-i", str(now + 30 * 86400), "-e", str(now + 60 * 86400)]
    if z.denial.startswith("nsec3"):
        cmd += ["-n", "-t", "0"]
        if rng.random() < 0.5:
            cmd += ["-s", "%04x" % rng.randint(0, 65535)]
        if z.denial == "nsec3-optout":
            cmd.append("-p")
    run(cmd + [z.file + ".zone", ksk, zsk], d)
    signed = os.path.join(d, z.file + ".signed")
    if z.kind in ("norrsig", "badsig"):
        out = []
        with open(signed) as f:
            for line in f:
                p = line.split()
                if (len(p) > 5 and p[0].lower() == "www." + z.name and
                        p[3] == "RRSIG" and p[4] == "A"):
                    if z.kind == "norrsig":
                        continue
                    s = p[-1]
                    c = "B" if s[10] == "A" else "A"
                    p[-1] = s[:10] + c + s[11:]
                    line = " ".join(p) + "\n"
                out.append(line)
        with open(signed, "w") as f:
            f.writelines(out)
    with open(os.path.join(d, ksk + ".ds")) as f:
        ds = f.read().strip()
    if z.kind == "badds":
        other = keygen(d, z.name, z.alg, True)
        with open(os.path.join(d, other + ".ds")) as f:
            ds = f.read().strip()
    return [ds]


def build(args):
    rng = random.Random(args.seed)
    d = args.dir
    now = int(time.time())
    root = Zone(".", 0, "secure", "ECDSAP256SHA256", "nsec")
    tlds, all_zones = [], []
    for h in range(args.hierarchies):
        tld = Zone("h%d." % h, 1, "secure", rng.choice(ALGS),
                   rng.choice(DENIALS))
        tlds.append(tld)
        for i in range(rng.randint(2, 5)):
            kind = "secure" if i == 0 else rng.choice(KINDS)
            c = Zone("c%d.%s" % (i, tld.name), 2, kind, rng.choice(ALGS),
                     rng.choice(DENIALS))
            tld.children.append(c)
            if kind in ("secure", "unsigned") and rng.random() < 0.4:
                g = Zone("g.%s" % c.name, 3, rng.choice(["secure",
                         "unsigned", "badsig"]), rng.choice(ALGS),
                         rng.choice(DENIALS))
                c.children.append(g)
    root.children = tlds

    def walk(z):
        yield z
        for c in z.children:
            yield from walk(c)
    all_zones = list(walk(root))
    names = [z.name for z in all_zones if z.level > 0]
    for z in all_zones:
        if z.level == 0:
            z.add(".", "SOA", "a.root. hostmaster.root. 1 3600 900 "
                  "604800 300")
            z.add(".", "NS", "a.root.")
            z.add("a.root.", "A", "127.0.0.2")
        else:
            fill(z, rng, [o for o in names if o != z.name])
        for c in z.children:
            z.add(c.name, "NS", "ns1." + c.name)
            z.add("ns1." + c.name, "A", c.addr)
    # Sign bottom-up: a child's DS goes into its parent first.
    for z in sorted(all_zones, key=lambda z: -z.level):
        if z.kind == "unsigned":
            with open(os.path.join(d, z.file + ".signed"), "w") as f:
                f.write("$TTL 300\n" + "\n".join(z.lines) + "\n")
            z.ds = []
        else:
            z.ds = sign(d, z, rng, now)
        if z.level > 0:
            parent = next(p for p in all_zones if z in p.children)
            parent.lines.extend(z.ds)
    with open(os.path.join(d, "root.ds"), "w") as f:
        f.write("\n".join(root.ds) + "\n")
    with open(os.path.join(d, "hints"), "w") as f:
        f.write(". 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n")
    with open(os.path.join(d, "servers"), "w") as f:
        for addr, label in (("127.0.0.2", "root"), ("127.0.0.3", "tld"),
                            ("127.0.0.4", "sld"), ("127.0.0.5", "third")):
            zs = [z for z in all_zones if z.addr == addr]
            if zs:
                f.write(" ".join([addr, label] +
                                 ["%s %s/%s.signed" % (z.name, d, z.file)
                                  for z in zs]) + "\n")
    with open(os.path.join(d, "zones"), "w") as f:
        for z in all_zones:
            f.write("%s\n" % z.shape())
    qs = [(".", "SOA"), (".", "DNSKEY"), ("nothere.", "A")]
    for z in all_zones:
        if z.level > 0:
            qs += [(q, t) for q, t in questions(z, rng, names, args.extra)]
    with open(os.path.join(d, "questions"), "w") as f:
        for q, t in qs:
            zone = max((z for z in all_zones if q.endswith(z.name) and
                        (q == z.name or q.endswith("." + z.name) or
                         z.name == ".")), key=lambda z: len(z.name))
            f.write(json.dumps({"q": rand_case(q, rng), "t": t,
                                "zone": zone.shape()}) + "\n")
    print("seed %d: %d hierarchies, %d zones, %d questions" %
          (args.seed, args.hierarchies, len(all_zones), len(qs)))


def ask1(port, q, t):
    """rcode, AD, the answer as a sorted tuple, the EDE code (or None)."""
    m = dns.message.make_query(q, t, want_dnssec=True, use_edns=0,
                               payload=1232)
    m.flags |= dns.flags.RD
    last = None
    for _ in range(3):
        try:
            r = dns.query.udp(m, "127.0.0.1", port=port, timeout=10)
            if r.flags & dns.flags.TC:
                r = dns.query.tcp(m, "127.0.0.1", port=port, timeout=10)
            break
        except Exception as e:  # timeouts: ask again
            last = e
    else:
        return ("TIMEOUT %s" % type(last).__name__, False, (), None)
    ans = []
    for rrset in r.answer:
        for rd in rrset:
            ans.append("%s %s %s" % (rrset.name.to_text().lower(),
                                     dns.rdatatype.to_text(rrset.rdtype),
                                     rd.to_text().lower()))
    ede = None
    for o in r.options:
        if o.otype == dns.edns.OptionType.EDE:
            ede = int(o.code)
    return (dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.AD),
            tuple(sorted(ans)), ede)


def ask(args):
    with open(os.path.join(args.dir, "questions")) as f:
        qs = [json.loads(line) for line in f]
    diffs = noede = asked = skipped = 0
    edes, tally = {}, {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.workers)
    for p in range(args.passes):
        label = "resolved" if p == 0 else "cached"

        def both(x):
            return (x, ask1(args.timbre, x["q"], x["t"]),
                    ask1(args.unbound, x["q"], x["t"]))
        for x, t, u in pool.map(both, qs):
            asked += 1
            k = "%s %s" % (t[0], "ad" if t[1] else "noad")
            tally[k] = tally.get(k, 0) + 1
            if x["q"].lower() in EXCLUDED:
                skipped += 1
                continue
            if t[0] == "SERVFAIL":
                if t[3] is None:
                    noede += 1
                    print("NO-EDE %s %s %s (%s)" % (label, x["q"], x["t"],
                                                    x["zone"]))
                k = (x["zone"].split()[1], t[3], u[3])
                edes[k] = edes.get(k, 0) + 1
            if t[:3] != u[:3]:
                diffs += 1
                if diffs <= args.max_print:
                    print("DIFF %s %s %s zone %s\n  timbre:  %s %s %s "
                          "EDE %s\n  unbound: %s %s %s EDE %s" %
                          (label, x["q"], x["t"], x["zone"],
                           t[0], "ad" if t[1] else "noad", list(t[2]), t[3],
                           u[0], "ad" if u[1] else "noad", list(u[2]),
                           u[3]))
    print("timbre's answers: " + ", ".join(
        "%s %d" % i for i in sorted(tally.items())))
    for (kind, te, ue), n in sorted(edes.items(), key=lambda i: -i[1]):
        print("EDE on SERVFAIL in %s zones: timbre %s, unbound %s: %d" %
              (kind, te, ue, n))
    print("asked %d questions (%d x %d passes) of each resolver, %d "
          "excluded: %d differences, %d SERVFAIL without EDE" %
          (asked, len(qs), args.passes, skipped, diffs, noede))
    return 1 if diffs or noede else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--seed", type=int, required=True)
    b.add_argument("--hierarchies", type=int, required=True)
    b.add_argument("--extra", type=int, default=0,
                   help="random missing names per zone")
    b.add_argument("--dir", required=True)
    a = sub.add_parser("ask")
    a.add_argument("--dir", required=True)
    a.add_argument("--timbre", type=int, required=True)
    a.add_argument("--unbound", type=int, required=True)
    a.add_argument("--passes", type=int, default=2)
    a.add_argument("--workers", type=int, default=4)
    a.add_argument("--max-print", type=int, default=50)
    args = ap.parse_args()
    if args.cmd == "build":
        build(args)
        return 0
    return ask(args)


if __name__ == "__main__":
    sys.exit(main())
