#!/usr/bin/python3
# listd_sts_web.py: MTA-STS policy servers for listd_sts.sh and
# listd_tls.sh: HTTPS on port 443 of ADDR with the certificate
# STEM.pem/STEM.key, answering GET /.well-known/mta-sts.txt for
# mta-sts.DOMAIN with the file POLDIR/DOMAIN as text/plain; a file that
# holds REDIRECT gets a 301 elsewhere, SLOW an answer that never comes.
# Each request is logged on stderr as "fetch HOST PATH".  Prints
# "ready" once listening.
#
#   listd_sts_web.py STEM ADDR POLDIR
import http.server, os, ssl, sys, time

STEM, ADDR, POLDIR = sys.argv[1:4]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        host = self.headers.get("Host", "").split(":")[0]
        dom = host[len("mta-sts."):] if host.startswith("mta-sts.") else ""
        sys.stderr.write("fetch %s %s\n" % (host, self.path))
        sys.stderr.flush()
        path = os.path.join(POLDIR, dom)
        if self.path != "/.well-known/mta-sts.txt" or not dom or \
                "/" in dom or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        if body.strip() == b"SLOW":
            time.sleep(300)
            return
        if body.strip() == b"REDIRECT":
            self.send_response(301)
            self.send_header("Location", "https://elsewhere.test/"
                ".well-known/mta-sts.txt")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass
    def log_message(self, *a):
        pass

srv = http.server.ThreadingHTTPServer((ADDR, 443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(STEM + ".pem", STEM + ".key")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
