#!/usr/bin/python3
"""nat_peer.py: the two ends of a connection through the NAT of nat.sh.

  nat_peer.py serve PROTO ADDR PORT   answer every TCP connection or UDP
                                      datagram with "peer=IP" (the address
                                      the server saw), until killed
  nat_peer.py ask PROTO ADDR PORT     print the server's answer; exit 1
                                      after 2 s without one

What the server saw is the point: DNAT must leave the client's address
alone (SPF and the resolver's --allow depend on it), MASQUERADE must
replace it with the host's public one.
"""
import socket
import sys


def serve(proto, addr, port):
    if proto == "tcp":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(8)
        print("listening", flush=True)
        while True:
            c, peer = s.accept()
            c.sendall(("peer=%s\n" % peer[0]).encode())
            c.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("listening", flush=True)
    while True:
        _, peer = s.recvfrom(512)
        s.sendto(("peer=%s\n" % peer[0]).encode(), peer)


def ask(proto, addr, port):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(2)
    try:
        s.connect((addr, port))
        if proto == "udp":
            s.send(b"?")
        data = s.recv(512)
    except OSError as e:
        print("no answer: %s" % e)
        return 1
    sys.stdout.write(data.decode())
    return 0


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("serve", "ask") or \
            sys.argv[2] not in ("tcp", "udp"):
        sys.stderr.write(__doc__)
        return 2
    cmd, proto, addr, port = sys.argv[1:]
    if cmd == "serve":
        serve(proto, addr, int(port))
        return 0
    return ask(proto, addr, int(port))


if __name__ == "__main__":
    sys.exit(main())
