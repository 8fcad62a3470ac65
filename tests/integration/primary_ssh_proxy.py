#!/usr/bin/python3
"""primary_ssh_proxy.py: a TCP relay between timbre-primaryd and sshd for
tests/integration/primary_ssh.sh, which plays a broken git server with it.

Usage: primary_ssh_proxy.py LISTEN-PORT SSHD-PORT MODE-FILE

Each connection accepted on 127.0.0.1:LISTEN-PORT takes the mode written
in MODE-FILE at that moment (missing file: pass):

  pass     relay both ways to 127.0.0.1:SSHD-PORT
  silent   accept, then say nothing (what the client sends is read and
           dropped, so that its close is seen)
  cut:N    relay, but after N bytes from the server relay nothing more
           either way, the connection kept open: a server stalled
           mid-stream

The connection is closed when the client closes it.  One line per
connection goes to standard output ("conn MODE"), for the test's log.
"""
import socket
import sys
import threading


def mode_of(path):
    try:
        with open(path) as f:
            return f.read().strip() or "pass"
    except OSError:
        return "pass"


def drain(sock):
    """Reads and drops until the peer closes."""
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def relay(client, mode, sshd_port):
    limit = None
    if mode.startswith("cut:"):
        limit = int(mode[4:])
    if mode == "silent":
        drain(client)
        client.close()
        return
    try:
        server = socket.create_connection(("127.0.0.1", sshd_port))
    except OSError:
        client.close()
        return
    state = {"n": 0, "cut": False}

    def up():
        # client -> server, dropped once cut
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if not state["cut"]:
                    server.sendall(data)
        except OSError:
            pass
        for s in (server, client):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    t = threading.Thread(target=up, daemon=True)
    t.start()
    try:
        while not state["cut"]:
            data = server.recv(65536)
            if not data:
                break
            if limit is not None:
                data = data[:max(0, limit - state["n"])]
                state["n"] += len(data)
                if state["n"] >= limit:
                    state["cut"] = True
                    print("cut after %d bytes" % state["n"], flush=True)
            if data:
                client.sendall(data)
    except OSError:
        pass
    if state["cut"]:
        drain(server)
    else:
        try:
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    t.join()
    server.close()
    client.close()


def main():
    port, sshd_port, modefile = int(sys.argv[1]), int(sys.argv[2]), \
        sys.argv[3]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    print("listening", flush=True)
    while True:
        client, _ = ls.accept()
        mode = mode_of(modefile)
        print("conn " + mode, flush=True)
        threading.Thread(target=relay, args=(client, mode, sshd_port),
                         daemon=True).start()


if __name__ == "__main__":
    main()
