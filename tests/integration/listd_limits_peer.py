#!/usr/bin/python3
"""tests/integration/listd_limits_peer.py: an SMTP client (smtplib) that
prints what timbre-listd answers at its limits, for listd_limits.sh.

  tls PORT RCPT
      EHLO (is STARTTLS offered?), MAIL before STARTTLS, STARTTLS, EHLO,
      MAIL and RCPT inside TLS.
  rcpt PORT N RCPT
      EHLO, MAIL, then RCPT to RCPT N times.
  conns PORT SRC...
      one connection from each source address in turn, all kept open,
      printing each greeting; then closes them all.

Each line: WHAT CODE TEXT (the reply on one line)."""
import smtplib
import ssl
import sys


def say(what, reply):
    code, text = reply
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    print("%s %d %s" % (what, code, " ".join(text.split())), flush=True)


def tls(port, rcpt):
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test",
                     timeout=10)
    s.ehlo()
    print("OFFERED %s" % ("STARTTLS" if s.has_extn("starttls") else "no"))
    say("MAIL-PLAIN", s.mail("alice@good.test"))
    s.rset()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    say("STARTTLS", s.starttls(context=ctx))
    print("CIPHER %s %s" % (s.sock.version(), s.sock.cipher()[0]))
    s.ehlo()
    say("MAIL-TLS", s.mail("alice@good.test"))
    say("RCPT-TLS", s.rcpt(rcpt))
    s.rset()
    s.quit()


def rcpt(port, n, to):
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test",
                     timeout=10)
    s.ehlo()
    say("MAIL", s.mail("alice@good.test"))
    for i in range(n):
        say("RCPT%d" % (i + 1), s.rcpt(to))
    s.rset()
    s.quit()


def conns(port, srcs):
    held = []
    for i, src in enumerate(srcs):
        s = smtplib.SMTP(local_hostname="client.test", timeout=10,
                         source_address=(src, 0))
        say("CONN%d %s" % (i + 1, src), s.connect("127.0.0.1", port))
        held.append(s)
    for s in held:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            s.close()


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "tls":
        tls(port, sys.argv[3])
    elif cmd == "rcpt":
        rcpt(port, int(sys.argv[3]), sys.argv[4])
    elif cmd == "conns":
        conns(port, sys.argv[3:])
    else:
        sys.exit("usage: see the top of this file")


if __name__ == "__main__":
    main()
