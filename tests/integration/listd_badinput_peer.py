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


def main():
    verb, port = sys.argv[1], int(sys.argv[2])
    if verb == "rcpt":
        rcpt(port, sys.argv[3:])
    elif verb == "pipeline":
        pipeline(port, int(sys.argv[3]), sys.argv[4])
    elif verb == "flood":
        flood(port, int(sys.argv[3]))
    else:
        sys.exit("unknown verb " + verb)


if __name__ == "__main__":
    main()
