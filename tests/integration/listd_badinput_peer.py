#!/usr/bin/python3
"""tests/integration/listd_badinput_peer.py: the clients of listd_badinput.sh
that swaks cannot be: raw SMTP over sockets, so that nothing is corrected
on the way.

  rcpt PORT ADDR...    one session; for each ADDR, "RCPT TO:ADDR" (ADDR as
                       given, brackets and all); prints each reply's first
                       line, one per ADDR
  pipeline PORT N RCPT one write holding EHLO, MAIL, N x RCPT, RSET, NOOP and
                       QUIT (RFC 2920); prints how many RCPT got 250, 452 and
                       anything else, then the replies to RSET, NOOP, QUIT
  flood PORT N         N connections opened at once, each reads its greeting;
                       prints the count of 220, of 421, and of others (no
                       greeting within 10 s, refused, reset), then closes all
  slow PORT GAP MAX    after EHLO, "NOOP" one byte every GAP seconds (a
                       slowloris), for MAX seconds at most; prints how long
                       the server kept it and the last thing it said
  steady PORT GAP N    after EHLO, a whole NOOP every GAP seconds, N times;
                       prints how many got 250 and whether it is still open
"""
import socket
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.makefile("rb")


def reply(f):
    """One whole reply (its lines); its first line."""
    first = None
    while True:
        line = f.readline(4096)
        if not line:
            return first or "EOF"
        line = line.decode("latin-1").rstrip("\r\n")
        if first is None:
            first = line
        if len(line) < 4 or line[3] != "-":
            return first


def rcpt(port, addrs):
    s, f = connect(port)
    reply(f)
    s.sendall(b"EHLO peer.test\r\n")
    reply(f)
    s.sendall(b"MAIL FROM:<alice@good.test>\r\n")
    reply(f)
    for a in addrs:
        s.sendall(b"RCPT TO:" + a.encode() + b"\r\n")
        print(reply(f))
    s.sendall(b"QUIT\r\n")
    reply(f)
    s.close()


def pipeline(port, n, to):
    s, f = connect(port)
    reply(f)
    cmds = [b"EHLO peer.test", b"MAIL FROM:<alice@good.test>"]
    cmds += [b"RCPT TO:<" + to.encode() + b">"] * n
    cmds += [b"RSET", b"NOOP", b"QUIT"]
    s.sendall(b"\r\n".join(cmds) + b"\r\n")
    reply(f)                    # EHLO
    reply(f)                    # MAIL
    counts = {"250": 0, "452": 0, "other": 0}
    for _ in range(n):
        code = reply(f)[:3]
        counts[code if code in counts else "other"] += 1
    print("250=%d 452=%d other=%d" % (counts["250"], counts["452"],
                                      counts["other"]))
    for _ in range(3):
        print(reply(f))
    s.close()


def flood(port, n):
    socks = []
    ok = full = other = 0
    for _ in range(n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port),
                                                  timeout=10))
        except OSError:
            other += 1
    deadline = time.time() + 20
    for s in socks:
        try:
            s.settimeout(max(0.1, deadline - time.time()))
            line = s.recv(512).decode("latin-1")
        except OSError:
            line = ""
        if line.startswith("220"):
            ok += 1
        elif line.startswith("421"):
            full += 1
        else:
            other += 1
    print("220=%d 421=%d other=%d" % (ok, full, other))
    for s in socks:
        s.close()


def slow(port, gap, most):
    s, f = connect(port)
    reply(f)
    s.sendall(b"EHLO peer.test\r\n")
    reply(f)
    start = time.time()
    last = "nothing"
    s.settimeout(gap)
    cmd = b"NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP NOOP"
    i = 0
    while time.time() - start < most:
        try:
            s.sendall(cmd[i % len(cmd):i % len(cmd) + 1])
        except OSError:
            break
        i += 1
        try:
            data = s.recv(512)
        except socket.timeout:
            continue
        except OSError:
            break
        if not data:
            break
        last = data.decode("latin-1").strip()
    print("%d %s" % (round(time.time() - start), last))
    s.close()


def steady(port, gap, n):
    s, f = connect(port)
    reply(f)
    s.sendall(b"EHLO peer.test\r\n")
    reply(f)
    ok = 0
    for _ in range(n):
        time.sleep(gap)
        s.sendall(b"NOOP\r\n")
        if reply(f).startswith("250"):
            ok += 1
    s.sendall(b"QUIT\r\n")
    print("%d %s" % (ok, reply(f)[:3]))
    s.close()


def main():
    verb, port = sys.argv[1], int(sys.argv[2])
    if verb == "rcpt":
        rcpt(port, sys.argv[3:])
    elif verb == "pipeline":
        pipeline(port, int(sys.argv[3]), sys.argv[4])
    elif verb == "flood":
        flood(port, int(sys.argv[3]))
    elif verb == "slow":
        slow(port, float(sys.argv[3]), float(sys.argv[4]))
    elif verb == "steady":
        steady(port, float(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit("unknown verb " + verb)


if __name__ == "__main__":
    main()
