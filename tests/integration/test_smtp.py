# test_smtp.py: the smtp plugin against real clients (smtplib, swaks, curl)
# and raw sockets: limits, errors, smuggling, STARTTLS, filters, delivery.
# SPDX-License-Identifier: MIT

import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ravenlib  # noqa: E402
from ravenlib import DOMAIN, HOST, TIMEOUT  # noqa: E402

tap = ravenlib.Tap()
DEMO = "demo@" + DOMAIN
QUOTA_USER = "small@" + DOMAIN
PASSWORD = "correct horse battery"
MAX_SIZE = 100 * 1024
MESSAGE = (b"From: Alice <alice@client.example>\r\n"
           b"To: Demo <demo@example.test>\r\n"
           b"Subject: integration test\r\n"
           b"Message-ID: <test@client.example>\r\n"
           b"\r\n"
           b"Hello,\r\n"
           b".hidden dot line\r\n"
           b"..two dots\r\n"
           b"bye\r\n")


def dot_stuff(message):
    lines = message.split(b"\r\n")
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)


# ---- daemons, started on first use and stopped at the end

def fill_mailbox(daemon, address):
    """A 1K quota, and 2K of mail that came before (an older delivery).

    Set before the start: the daemon rereads users only on logins."""
    daemon.ctl("user", "quota", address, "1K")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(daemon.maildir(address, sub), exist_ok=True)
    name = "1700000000.M1P1.mx.example.test,S=2048"
    with open(os.path.join(daemon.maildir(address), name), "wb") as f:
        f.write(b"Subject: old\r\n\r\n" + b"o" * 2030 + b"\r\n")


def make_main(ports):
    plugins = {"maildir": {}}
    plugins["smtp"] = {
        "listen": ravenlib.listen(ports, ("mx", {"role": "mx"}),
                         ("smtps", {"role": "mx", "tls": "implicit"}),
                         ("submission", {"role": "submission"})),
        "max_message_size": "100K",
        "max_recipients": 5,
        "max_hops": 10,
        "routes": {"remote.test": "127.0.0.1:1"},
    }
    daemon = ravenlib.Daemon(
        plugins, users={DEMO: PASSWORD, QUOTA_USER: PASSWORD},
        extra={"aliases": {"postmaster@" + DOMAIN: DEMO}})
    fill_mailbox(daemon, QUOTA_USER)
    return daemon


def make_filtered(ports):
    plugins = {"filter": {"score": 1}}
    plugins["maildir"] = {}
    plugins["smtp"] = {
        "listen": ravenlib.listen(ports, ("mx", {"role": "mx"})),
        "vrfy": True,
        "quota_permanent": True,
    }
    daemon = ravenlib.Daemon(plugins, users={DEMO: PASSWORD,
                                             QUOTA_USER: PASSWORD})
    fill_mailbox(daemon, QUOTA_USER)
    return daemon


def make_connect(verdict, **keys):
    def make(ports):
        return ravenlib.Daemon({
            "filter": dict({"connect": verdict}, **keys),
            "smtp": {"listen": ravenlib.listen(ports, ("mx", {"role": "mx"}))},
        })
    return make


def make_slow(ports):
    return ravenlib.Daemon({"smtp": {
        "listen": ravenlib.listen(ports, ("mx", {"role": "mx"})),
        "command_timeout": "1s",
        "data_timeout": "3s",
        "min_data_rate": "1K",
        "min_data_rate_window": "2s",
    }}, users={DEMO: PASSWORD})


def make_drain(ports):
    # a slow filter: SIGTERM comes while a message waits for it
    return ravenlib.Daemon({
        "filter": {"data_delay": 1000},
        "smtp": {"listen": ravenlib.listen(ports, ("mx", {"role": "mx"}))},
    }, users={DEMO: PASSWORD}, server={"max_connections_per_ip": 1})


MAIN = ravenlib.LazyDaemon(make_main)
FILTERED = ravenlib.LazyDaemon(make_filtered)
SLOW = ravenlib.LazyDaemon(make_slow)
SERVERS = [MAIN, FILTERED, SLOW]


# ---- a raw SMTP client

class Smtp(ravenlib.SmtpConn):
    def hello(self, name="client.example"):
        self.expect(None, 220)
        return self.expect("EHLO " + name, 250)

    def envelope(self, sender="alice@client.example", rcpt=DEMO):
        self.expect("MAIL FROM:<%s>" % sender, 250, "2.1.0")
        self.expect("RCPT TO:<%s>" % rcpt, 250, "2.1.5")

    def data(self, message, code=250, text=None):
        self.expect("DATA", 354)
        self.send(dot_stuff(message) + b".\r\n")
        return self.expect(None, code, text)


def session(server=MAIN, port="mx", hello=True, tls=False):
    s = Smtp(server.port(port), tls=tls)
    if hello:
        s.hello()
    return s


def queued(text):
    return text.startswith("2.0.0 Ok: queued as ")


def wait_messages(daemon, address, count, folder="new"):
    ravenlib.wait_for(lambda: len(daemon.messages(address, folder)) >= count)
    return daemon.messages(address, folder)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def marked(daemon, address, marker):
    """The delivered files of `address` that hold `marker`."""
    return [p for p in daemon.messages(address) if marker in read(p)]


# ---- greeting, EHLO, TLS

@tap.test
def greeting_and_ehlo():
    with session(hello=False) as s:
        assert s.expect(None, 220)[1] == "mx.example.test ESMTP Raven"
        code, text = s.expect("EHLO client.example", 250)
        assert text.split("\n") == [
            "mx.example.test", "PIPELINING", "SIZE %d" % MAX_SIZE,
            "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING",
            "DSN", "STARTTLS"], text
        assert s.expect("HELO client.example", 250)[1] == "mx.example.test"
        s.expect("EHLO", 501, "5.5.4")


@tap.test
def smtplib_ehlo_features():
    with smtplib.SMTP(HOST, MAIN.port(), timeout=TIMEOUT) as c:
        code, _ = c.ehlo("client.example")
        assert code == 250
        for ext in ("pipelining", "size", "8bitmime", "smtputf8",
                    "enhancedstatuscodes", "chunking", "dsn", "starttls"):
            assert c.has_extn(ext), ext
        assert c.esmtp_features["size"] == str(MAX_SIZE)


@tap.test
def implicit_tls_listener():
    with smtplib.SMTP_SSL(HOST, MAIN.port("smtps"), timeout=TIMEOUT,
                          context=ravenlib.tls_context()) as c:
        c.ehlo("client.example")
        assert not c.has_extn("starttls")
        assert c.docmd("STARTTLS")[0] == 503
        refused = c.sendmail("alice@client.example", [DEMO], MESSAGE)
        assert refused == {}


@tap.test
def smtplib_starttls_sendmail():
    with smtplib.SMTP(HOST, MAIN.port(), timeout=TIMEOUT) as c:
        c.ehlo("client.example")
        c.starttls(context=ravenlib.tls_context())
        code, _ = c.ehlo("client.example")
        assert code == 250 and not c.has_extn("starttls")
        assert c.docmd("STARTTLS")[0] == 503
        assert c.sendmail("alice@client.example", [DEMO], MESSAGE) == {}


@tap.test
def starttls_discards_pipelined():
    with session() as s:
        s.send("STARTTLS\r\nRSET\r\n")
        s.expect(None, 220, "2.0.0")
        assert s.buf == b"", s.buf
        s.starttls()
        # the session starts over: no EHLO yet, and no reply to RSET
        s.expect("MAIL FROM:<a@client.example>", 503, "5.5.1")
        code, text = s.expect("EHLO again.example", 250)
        assert "STARTTLS" not in text
        s.expect("STARTTLS", 503, "5.5.1")
        s.expect("NOOP", 250)
        assert s.pending() == b""


@tap.test
def submission_requires_auth():
    with session(port="submission") as s:
        s.expect("MAIL FROM:<a@client.example>", 530, "5.7.0")


# ---- commands and their errors

@tap.test
def commands_case_insensitive():
    with session(hello=False) as s:
        s.expect(None, 220)
        s.expect("ehlo client.example", 250)
        s.expect("mail from:<alice@client.example>", 250, "2.1.0")
        s.expect("rCpT tO:<Demo@Example.Test>", 250, "2.1.5")
        s.expect("rset", 250, "2.0.0")
        s.expect("noop", 250, "2.0.0")
        s.expect("Quit", 221, "2.0.0")


@tap.test
def command_sequence_errors():
    with session(hello=False) as s:
        s.expect(None, 220)
        s.expect("MAIL FROM:<a@client.example>", 503, "5.5.1")
        s.expect("EHLO client.example", 250)
        s.expect("RCPT TO:<%s>" % DEMO, 503, "5.5.1")
        s.expect("DATA", 503, "5.5.1")
        s.expect("MAIL FROM:<a@client.example>", 250)
        s.expect("MAIL FROM:<a@client.example>", 503, "5.5.1")
        s.expect("DATA", 503, "5.5.1")
        s.expect("RSET now", 501, "5.5.4")
        s.expect("RSET", 250)
        s.expect("FROB", 500, "5.5.1")
        s.send(b"NOOP\0x\r\n")
        s.expect(None, 500, "5.5.2")
        s.send(b"NOOP\n")
        s.expect(None, 500, "5.5.2")
        s.send(b"NOOP\rRSET\r\n")
        s.expect(None, 500, "5.5.2")
        s.expect("MAIL FROM:a@client.example", 501, "5.5.4")
        s.expect("NOOP", 250)


@tap.test
def vrfy_help_quit():
    with session() as s:
        s.expect("VRFY demo", 252, "2.5.0")
        s.expect("VRFY <%s>" % DEMO, 252)
        s.expect("HELP", 214, "2.0.0")
        s.expect("EXPN staff", 502, "5.5.1")
        s.expect("QUIT", 221)
        assert s.closed()


@tap.test
def line_too_long():
    with session() as s:
        s.expect("NOOP " + "x" * 3000, 500, "5.5.2 Line too long")
        s.expect("NOOP " + "x" * 2000, 250)
        s.expect("MAIL FROM:<a@client.example> " + "x" * 5000, 500, "5.5.2")
        s.expect("NOOP", 250)


@tap.test
def too_many_recipients():
    with session() as s:
        s.expect("MAIL FROM:<a@client.example>", 250)
        for i in range(5):
            s.expect("RCPT TO:<demo+%d@%s>" % (i, DOMAIN), 250)
        s.expect("RCPT TO:<%s>" % DEMO, 452, "4.5.3 Too many recipients")
        s.data(MESSAGE, 250)


@tap.test
def size_parameter():
    with session() as s:
        s.expect("MAIL FROM:<a@client.example> SIZE=%d" % (MAX_SIZE + 1),
                 552, "5.3.4")
        s.expect("MAIL FROM:<a@client.example> SIZE=%d" % MAX_SIZE, 250)


@tap.test
def message_too_big():
    big = MESSAGE + (b"x" * 998 + b"\r\n") * 110
    with session() as s:
        s.envelope()
        s.data(big, 552, "5.3.4")
        s.expect("NOOP", 250)
        s.envelope()
        s.data(MESSAGE, 250)


@tap.test
def too_many_hops():
    hops = b"".join(b"Received: from hop%d.example by x; "
                    b"Thu, 1 Jan 2026 00:00:00 +0000\r\n" % i
                    for i in range(11))
    with session() as s:
        s.envelope()
        s.data(hops + MESSAGE, 554, "5.4.6 Too many hops")
        s.envelope()
        s.data(hops.split(b"\r\n", 1)[1] + MESSAGE, 250)


@tap.test
def unknown_user():
    with session() as s:
        s.expect("MAIL FROM:<a@client.example>", 250)
        s.expect("RCPT TO:<nobody@%s>" % DOMAIN, 550, "5.1.1")
        s.expect("RCPT TO:<Postmaster>", 250, "2.1.5")
        s.expect("RCPT TO:<postmaster@%s>" % DOMAIN, 250)


@tap.test
def relay_refused():
    cases = [
        ("someone@remote.test", 554),
        ("demo%remote.test@" + DOMAIN, 554),
        ("demo!remote.test@" + DOMAIN, 554),
        ("@relay.test:demo@" + DOMAIN, 554),
        ("@a.test,@b.test:demo@remote.test", 554),
        ("demo@[127.0.0.1]", 554),
        ("\"demo@remote.test\"@" + DOMAIN, 554),
        ("\"demo%remote.test\"@" + DOMAIN, 554),
        ("demo@remote.test@" + DOMAIN, 501),
    ]
    with session() as s:
        s.expect("MAIL FROM:<a@client.example>", 250)
        for rcpt, code in cases:
            got = s.cmd("RCPT TO:<%s>" % rcpt)
            assert got[0] == code, (rcpt, got)
            if code == 554:
                assert got[1].startswith("5.7.1"), (rcpt, got)
        s.expect("DATA", 554, "5.5.1 No valid recipients")


@tap.test
def dsn_parameters():
    with session() as s:
        s.expect("MAIL FROM:<a@client.example> RET=HDRS ENVID=QQ+2B314159 "
                 "BODY=8BITMIME SIZE=500", 250)
        s.expect("RCPT TO:<%s> NOTIFY=SUCCESS,FAILURE "
                 "ORCPT=rfc822;demo+40example.test" % DEMO, 250)
        s.expect("RCPT TO:<%s> NOTIFY=NEVER,DELAY" % DEMO, 501, "5.5.4")
        s.expect("RCPT TO:<%s> ORCPT=rfc822" % DEMO, 501, "5.5.4")
        s.expect("RCPT TO:<%s> X-UNKNOWN=1" % DEMO, 555, "5.5.4")
        assert queued(s.data(MESSAGE, 250)[1])
        s.expect("MAIL FROM:<a@client.example> BODY=BINARYMIME", 555)
        s.expect("MAIL FROM:<a@client.example> RET=SOME", 501, "5.5.4")


@tap.test
def smtputf8_addresses():
    with session() as s:
        s.expect("MAIL FROM:<d\u00e9j\u00e0@client.example>", 553, "5.6.7")
        s.expect("MAIL FROM:<d\u00e9j\u00e0@client.example> SMTPUTF8", 250)
        s.expect("RCPT TO:<%s>" % DEMO, 250)


@tap.test
def bad_header_syntax():
    with session() as s:
        s.envelope()
        s.data(b"this line is not a header field\r\n\r\nbody\r\n", 550,
               "5.6.0")
        s.expect("NOOP", 250)


@tap.test
def too_many_errors():
    with session() as s:
        for i in range(19):
            s.expect("FROB %d" % i, 500)
        s.expect("FROB", 500)
        s.expect(None, 421, "4.7.0 Too many errors")
        assert s.closed()


@tap.test
def pipelining():
    with session() as s:
        s.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<%s>\r\n"
               "RCPT TO:<nobody@%s>\r\nDATA\r\n" % (DEMO, DOMAIN))
        s.expect(None, 250, "2.1.0")
        s.expect(None, 250, "2.1.5")
        s.expect(None, 550, "5.1.1")
        s.expect(None, 354)
        s.send(dot_stuff(MESSAGE) + b".\r\nNOOP\r\n")
        assert queued(s.expect(None, 250)[1])
        s.expect(None, 250, "2.0.0 Ok")


@tap.test
def unread_replies():
    count = 40000  # over 256K of replies the client does not read yet
    with session() as s:
        writer = threading.Thread(target=s.send, args=(b"NOOP\r\n" * count,))
        writer.start()
        time.sleep(0.5)
        for _ in range(count):
            s.expect(None, 250)
        writer.join(TIMEOUT)
        s.expect("QUIT", 221)


# ---- BDAT

@tap.test
def bdat_chunks():
    first, second = MESSAGE[:40], MESSAGE[40:]
    with session() as s:
        s.envelope()
        s.send(b"BDAT %d\r\n%s" % (len(first), first))
        s.expect(None, 250, "%d octets received" % len(first))
        s.expect("DATA", 503, "5.5.1")
        s.send(b"BDAT %d LAST\r\n%s" % (len(second), second))
        assert queued(s.expect(None, 250)[1])
        # a chunk out of place is still read, never run as commands
        s.send(b"BDAT 12\r\nQUIT\r\nRSET\r\n")
        s.expect(None, 503, "5.5.1")
        s.expect("NOOP", 250)
        s.envelope()
        s.send(b"BDAT 0 LAST\r\n")
        assert queued(s.expect(None, 250)[1])
        s.envelope()
        body = b"Subject: bare\n\nbody\n"
        s.send(b"BDAT %d LAST\r\n%s" % (len(body), body))
        s.expect(None, 554, "5.6.0")
        s.expect("BDAT many", 501, "5.5.4")
        assert s.closed()


# ---- smuggling: only <CRLF>.<CRLF> ends a message

SMUGGLED = (b"MAIL FROM:<x@y.example>\r\nRCPT TO:<demo@example.test>\r\n"
            b"DATA\r\nSubject: smuggled %s\r\n\r\nsmuggled\r\n.\r\n")
ENDINGS = [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\r", b"\r\n\0.\r\n",
           b"\r\n.\n"]


@tap.test
def smuggling_refused():
    for n, ending in enumerate(ENDINGS):
        marker = b"smuggle-%d-%d" % (os.getpid(), n)
        with session() as s:
            s.envelope()
            s.expect("DATA", 354)
            s.send(b"Subject: first " + marker + b"\r\n\r\nfirst" + ending
                   + SMUGGLED % marker)
            if b"\0" in ending:
                # one message, whose body holds the would-be second one
                assert queued(s.expect(None, 250)[1])
                s.send(b"QUIT\r\n")
            else:
                s.expect(None, 554, "5.5.0")
            s.closed()
            rest = s.buf.decode("utf-8", "replace")
            assert "queued as" not in rest, (ending, rest)
        if b"\0" in ending:
            ravenlib.wait_for(lambda: marked(MAIN.get(), DEMO, marker))
            time.sleep(0.3)  # a second message would be there by now
            got = marked(MAIN.get(), DEMO, marker)
            assert len(got) == 1, (ending, got)
            assert read(got[0]).count(b"Subject: ") == 2
    assert "<x@y.example>" not in MAIN.get().log()


# ---- real clients

def run(args, stdin=None):
    p = subprocess.run(args, input=stdin, capture_output=True,
                       timeout=TIMEOUT * 3)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def swaks(*extra):
    return run(["swaks", "--server", "%s:%d" % (HOST, MAIN.port()),
                "--from", "alice@client.example", "--to", DEMO,
                "--helo", "client.example", "--timeout", "10",
                "--header", "Subject: swaks test"] + list(extra))


@tap.test
def swaks_plain():
    code, out = swaks("--body", "hello from swaks")
    assert code == 0, out
    assert "250 2.0.0 Ok: queued as" in out, out


@tap.test
def swaks_tls_and_pipelining():
    code, out = swaks("--tls", "--body", "hello over tls")
    assert code == 0, out
    assert "220 2.0.0 Ready to start TLS" in out, out
    assert "250 2.0.0 Ok: queued as" in out, out
    code, out = swaks("--pipeline", "--body", "pipelined")
    assert code == 0, out


@tap.test
def curl_upload():
    with tempfile.NamedTemporaryFile(suffix=".eml") as f:
        f.write(MESSAGE)
        f.flush()
        code, out = run(["curl", "-sS", "-v", "--max-time", "10",
                         "smtp://%s:%d" % (HOST, MAIN.port()),
                         "--mail-from", "alice@client.example",
                         "--mail-rcpt", DEMO, "--upload-file", f.name])
    assert code == 0, out
    assert "250 2.0.0 Ok: queued as" in out, out


# ---- delivery into Maildir

@tap.test
def delivery_byte_for_byte():
    daemon = MAIN.get()
    marker = b"byte-for-byte-%d" % os.getpid()
    message = MESSAGE.replace(b"Hello,", b"Hello " + marker)
    with session() as s:
        s.envelope(sender="alice@client.example")
        assert queued(s.data(message, 250)[1])
    ravenlib.wait_for(lambda: marked(daemon, DEMO, marker))
    files = marked(daemon, DEMO, marker)
    assert len(files) == 1, files
    stored = read(files[0])
    assert stored.endswith(message), stored
    top = stored[:-len(message)]
    assert top.startswith(b"Return-Path: <alice@client.example>\r\n"), top
    assert b"\r\nReceived: from client.example" in top, top


@tap.test
def quota():
    with session() as s:
        s.expect("MAIL FROM:<a@client.example>", 250)
        s.expect("RCPT TO:<%s>" % QUOTA_USER, 452, "4.2.2")
        s.expect("RCPT TO:<%s>" % DEMO, 250)


@tap.test
def quota_permanent():
    with session(FILTERED) as s:
        s.expect("MAIL FROM:<a@client.example>", 250)
        s.expect("RCPT TO:<%s>" % QUOTA_USER, 552, "5.2.2")


# ---- filters: each verdict reaches the client

@tap.test
def filter_helo_mail_rcpt():
    with session(FILTERED, hello=False) as s:
        s.expect(None, 220)
        s.expect("EHLO reject.filter.test", 550, "5.7.1")
        s.expect("EHLO tempfail.filter.test", 451, "4.7.1")
        s.expect("MAIL FROM:<a@client.example>", 503)
        s.expect("EHLO client.example", 250)
        s.expect("MAIL FROM:<reject@filter.test>", 550, "5.7.1")
        s.expect("MAIL FROM:<tempfail@filter.test>", 451, "4.7.1")
        s.expect("MAIL FROM:<a@client.example>", 250)
        s.expect("RCPT TO:<demo+reject@%s>" % DOMAIN, 550, "5.7.1")
        s.expect("RCPT TO:<demo+tempfail@%s>" % DOMAIN, 451, "4.7.1")
        for verdict in ("proceed", "accept", "junk", "discard"):
            s.expect("RCPT TO:<demo+%s@%s>" % (verdict, DOMAIN), 250)


@tap.test
def filter_disconnect():
    cases = [("EHLO disconnect.filter.test", False, False),
             ("MAIL FROM:<disconnect@filter.test>", True, False),
             ("RCPT TO:<demo+disconnect@%s>" % DOMAIN, True, True)]
    for line, ehlo, mail in cases:
        with session(FILTERED, hello=ehlo) as s:
            if not ehlo:
                s.expect(None, 220)
            if mail:
                s.expect("MAIL FROM:<a@client.example>", 250)
            s.expect(line, 421, "4.7.0")
            assert s.closed()


@tap.test
def filter_data_verdicts():
    daemon = FILTERED.get()
    expected = {"reject": (550, "5.7.1"), "tempfail": (451, "4.7.1"),
                "discard": (250, "2.0.0 Ok"), "junk": (250, "queued as"),
                "accept": (250, "queued as")}
    for verdict, (code, text) in expected.items():
        marker = b"verdict-%s-%d" % (verdict.encode(), os.getpid())
        message = (b"Subject: " + marker + b"\r\nX-Test-Verdict: "
                   + verdict.encode() + b"\r\n\r\nbody\r\n")
        with session(FILTERED) as s:
            s.envelope()
            s.data(message, code, text)
    with session(FILTERED) as s:
        s.envelope()
        s.expect("DATA", 354)
        s.send(b"Subject: x\r\nX-Test-Verdict: disconnect\r\n\r\n.\r\n")
        s.expect(None, 421, "4.7.0")
        assert s.closed()
    junk = b"verdict-junk-%d" % os.getpid()
    assert ravenlib.wait_for(lambda: [
        p for p in daemon.messages(DEMO, ".Junk/new")
        if junk in read(p)]), "junk did not reach the Junk folder"
    for verdict in ("reject", "tempfail", "discard", "junk"):
        marker = b"verdict-%s-%d" % (verdict.encode(), os.getpid())
        assert not marked(daemon, DEMO, marker), verdict


@tap.test
def filter_discard_recipient():
    daemon = FILTERED.get()
    marker = b"discarded-rcpt-%d" % os.getpid()
    with session(FILTERED) as s:
        s.envelope(rcpt="demo+discard@" + DOMAIN)
        assert s.data(b"Subject: " + marker + b"\r\n\r\nx\r\n",
                      250)[1] == "2.0.0 Ok"
    assert "discarded-rcpt" not in daemon.log()


@tap.test
def filter_connect_verdicts():
    reject = ravenlib.LazyDaemon(make_connect("reject", code=554,
                                 text="5.7.9 Blocked by test"))
    tempfail = ravenlib.LazyDaemon(make_connect("tempfail"))
    try:
        with session(reject, hello=False) as s:
            s.expect(None, 554, "5.7.9 Blocked by test")
            assert s.closed()
        with session(tempfail, hello=False) as s:
            s.expect(None, 421, "4.7.1")
            assert s.closed()
    finally:
        reject.stop()
        tempfail.stop()


@tap.test
def vrfy_enabled():
    with session(FILTERED) as s:
        s.expect("VRFY <%s>" % DEMO, 250, "2.1.5")
        s.expect("VRFY nobody@%s" % DOMAIN, 550, "5.1.1")


# ---- timeouts, rates, connection limits, shutdown

@tap.test
def command_timeout():
    with session(SLOW, hello=False) as s:
        s.expect(None, 220)
        started = time.monotonic()
        s.expect(None, 421, "4.4.2")
        assert time.monotonic() - started < 5
        assert s.closed()


@tap.test
def min_data_rate():
    with session(SLOW) as s:
        s.envelope()
        s.expect("DATA", 354)
        s.send(b"Subject: slow\r\n\r\n")
        deadline = time.monotonic() + 8
        got = b""
        while time.monotonic() < deadline and b"421" not in got:
            try:
                s.send(b"x")  # well under 1K/s, yet never silent
            except OSError:
                break
            got += s.pending(0.5)
        got += s.pending(1)
        assert b"421 4.4.2 Data rate too low" in got, got


@tap.test
def busy_and_drain():
    drain = ravenlib.LazyDaemon(make_drain)
    try:
        daemon = drain.get()
        with session(drain) as first:
            with Smtp(drain.port()) as second:
                line = second.read_line()
                assert line == b"421 4.7.0 Too many connections, try later" \
                    b"\r\n", line
            first.envelope()
            first.expect("DATA", 354)
            first.send(MESSAGE + b".\r\n")
            time.sleep(0.3)  # the message now waits for the filter
            daemon.signal(signal.SIGTERM)
            # the message is finished first, then the goodbye
            assert queued(first.expect(None, 250)[1])
            first.expect(None, 421, "4.3.2 Shutting down")
            assert first.closed()
        assert daemon.process.wait(timeout=TIMEOUT) == 0
    finally:
        drain.stop()


if __name__ == "__main__":
    tap.run(stop=SERVERS)
