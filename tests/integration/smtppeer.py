# smtppeer.py: a scripted SMTP server on loopback that stands in for the
# remote servers Raven's outbound queue delivers to.
# SPDX-License-Identifier: MIT
#
#   peer = smtppeer.Peer(rcpt=lambda addr, n: "250 ok").start()
#   ... route remote.test to 127.0.0.1:peer.port ...
#   peer.wait_messages(1)
#   peer.messages[0].data   # as received, dot-unstuffed
#   peer.stop()
#
# Each hook returns the reply line(s) to send; `n` counts the calls so a
# test can answer 451 first and 250 later.  Everything the client sent is
# kept in `raw` (bytes, per connection) for byte-level assertions.

import socket
import ssl
import threading

import ravenlib


class Message:
    def __init__(self, sender, rcpts, data, tls):
        self.sender = sender
        self.rcpts = rcpts
        self.data = data
        self.tls = tls


class Peer:
    def __init__(self, capabilities=("PIPELINING", "8BITMIME", "DSN",
                                     "SIZE 100000000"),
                 greeting="220 peer.remote.test ESMTP",
                 mail=None, rcpt=None, data=None, starttls_reply=None,
                 certificate=None):
        """certificate: a function giving (cert.pem, key.pem) to offer
        STARTTLS with, called at the first STARTTLS (so a test can use the
        certificate the daemon makes on its first start)."""
        self.capabilities = list(capabilities)
        self.greeting = greeting
        self.mail = mail or (lambda sender, n: "250 2.1.0 ok")
        self.rcpt = rcpt or (lambda address, n: "250 2.1.5 ok")
        self.data = data or (lambda message, n: "250 2.0.0 queued")
        self.starttls_reply = starttls_reply or "220 2.0.0 go ahead"
        self.certificate = certificate
        if certificate:
            self.capabilities.append("STARTTLS")
        self.counts = {"mail": 0, "rcpt": 0, "data": 0}
        self.messages = []
        self.raw = []
        self.sessions = 0
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ravenlib.HOST, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        self.thread.join(ravenlib.TIMEOUT)
        self.sock.close()

    def route(self):
        return "%s:%d" % (ravenlib.HOST, self.port)

    def wait_messages(self, count, timeout=ravenlib.TIMEOUT * 2):
        ok = ravenlib.wait_for(lambda: len(self.messages) >= count,
                               timeout=timeout)
        assert ok, "the peer got %d messages, not %d" % (len(self.messages),
                                                         count)
        return self.messages

    def _count(self, name):
        with self.lock:
            self.counts[name] += 1
            return self.counts[name]

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.sessions += 1
            threading.Thread(target=self._session, args=(conn,),
                             daemon=True).start()

    def _session(self, conn):
        conn.settimeout(ravenlib.TIMEOUT)
        raw = bytearray()
        self.raw.append(raw)
        session = Session(self, conn, raw)
        try:
            session.run()
        except (OSError, EOFError, ssl.SSLError):
            pass
        finally:
            try:
                session.conn.close()
            except OSError:
                pass


class Session:
    def __init__(self, peer, conn, raw):
        self.peer = peer
        self.conn = conn
        self.raw = raw
        self.buf = b""
        self.tls = False
        self.sender = None
        self.rcpts = []

    def send(self, text):
        self.conn.sendall(text.encode() + b"\r\n")

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise EOFError()
            self.raw.extend(chunk)
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def ehlo(self):
        caps = [c for c in self.peer.capabilities
                if not (self.tls and c == "STARTTLS")]
        lines = ["peer.remote.test"] + caps
        for i, text in enumerate(lines):
            self.send("250%s%s" % ("-" if i < len(lines) - 1 else " ", text))

    def starttls(self):
        # The reply may carry injected lines in the same packet.
        self.conn.sendall(self.peer.starttls_reply.encode() + b"\r\n")
        self.buf = b""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.peer.certificate())
        self.conn = context.wrap_socket(self.conn, server_side=True)
        self.tls = True

    def data(self):
        self.send("354 go ahead")
        lines = []
        while True:
            line = self.line()
            if line == b".":
                break
            lines.append(line[1:] if line.startswith(b".") else line)
        message = b"".join(l + b"\r\n" for l in lines)
        n = self.peer._count("data")
        reply = self.peer.data(message, n)
        if reply.startswith("250"):
            self.peer.messages.append(Message(self.sender, list(self.rcpts),
                                              message, self.tls))
        self.send(reply)

    def run(self):
        self.send(self.peer.greeting)
        if not self.peer.greeting.startswith("220"):
            return
        while True:
            line = self.line()
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.ehlo()
            elif line.upper() == b"STARTTLS" and self.peer.certificate:
                self.starttls()
            elif verb == b"MAIL":
                self.sender = line.decode()
                self.rcpts = []
                self.send(self.peer.mail(self.sender, self.peer._count("mail")))
            elif verb == b"RCPT":
                address = line.decode().split("<", 1)[1].split(">", 1)[0]
                reply = self.peer.rcpt(address, self.peer._count("rcpt"))
                if reply.startswith("250"):
                    self.rcpts.append(line.decode())
                self.send(reply)
            elif verb == b"DATA":
                if self.rcpts:
                    self.data()
                else:
                    self.send("554 5.5.1 no valid recipients")
            elif verb == b"RSET":
                self.sender, self.rcpts = None, []
                self.send("250 2.0.0 ok")
            elif verb == b"QUIT":
                self.send("221 2.0.0 bye")
                return
            else:
                self.send("500 5.5.2 what?")

