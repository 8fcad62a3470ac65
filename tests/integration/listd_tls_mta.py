#!/usr/bin/python3
# listd_tls_mta.py: subscriber MTAs for listd_tls.sh and listd_sts.sh:
# SMTP on port 25 of each ADDR given, STARTTLS with the certificate
# STEM.pem/STEM.key (none when STEM is empty), every message spooled
# under SPOOL/ADDR/ with an X-Lab-TLS: header saying the TLS version
# it came over ("none" in plain text).  Prints "ready" once listening.
#
#   listd_tls_mta.py SPOOL ADDR:STEM...
import os, socketserver, ssl, sys, threading, time

class TCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

def mta(addr, stem, spool):
    ctx = None
    if stem:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(stem + ".pem", stem + ".key")
    class H(socketserver.StreamRequestHandler):
        def handle(self):
            s = self.request
            f = s.makefile("rb")
            tls = "none"
            s.sendall(b"220 mta ESMTP\r\n")
            while True:
                l = f.readline(2000)
                if not l:
                    return
                v = l.strip().upper()
                if v.startswith(b"EHLO"):
                    s.sendall(b"250-mta\r\n" +
                        (b"250-STARTTLS\r\n" if ctx and tls == "none"
                         else b"") + b"250 8BITMIME\r\n")
                elif v == b"STARTTLS" and ctx and tls == "none":
                    s.sendall(b"220 2.0.0 ready\r\n")
                    try:
                        s = ctx.wrap_socket(s, server_side=True)
                    except (ssl.SSLError, OSError):
                        return
                    tls = s.version()
                    f = s.makefile("rb")
                elif v.startswith(b"MAIL") or v.startswith(b"RCPT") or \
                        v == b"RSET" or v == b"NOOP":
                    s.sendall(b"250 2.0.0 ok\r\n")
                elif v == b"DATA":
                    s.sendall(b"354 go on\r\n")
                    body = b""
                    while True:
                        l = f.readline(100000)
                        if not l or l == b".\r\n":
                            break
                        body += l
                    name = "%s/%d.%d" % (spool, time.time_ns(),
                        threading.get_ident())
                    with open(name, "wb") as o:
                        o.write(b"X-Lab-TLS: " + tls.encode() + b"\r\n" +
                            body)
                    s.sendall(b"250 2.0.0 queued\r\n")
                elif v == b"QUIT":
                    s.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:
                    s.sendall(b"502 5.5.1 no\r\n")
    return TCP((addr, 25), H)

servers = []
for spec in sys.argv[2:]:
    addr, stem = spec.split(":")
    spool = os.path.join(sys.argv[1], addr)
    os.makedirs(spool, exist_ok=True)
    servers.append(mta(addr, stem, spool))
for srv in servers:
    threading.Thread(target=srv.serve_forever, daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
