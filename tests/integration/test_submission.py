# test_submission.py: the smtp plugin's submission role against real clients
# (smtplib, swaks, curl) and raw sockets: AUTH PLAIN and LOGIN, TLS before
# AUTH, sender ownership (envelope and From:), relay for logged-in users,
# the Date:/Message-ID: fixes and the ESMTPSA trace.
# SPDX-License-Identifier: MIT

import base64
import email.utils
import os
import re
import smtplib
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ravenlib  # noqa: E402
from ravenlib import DOMAIN, HOST, TIMEOUT  # noqa: E402

tap = ravenlib.Tap()
DEMO = "demo@" + DOMAIN
OTHER = "other@" + DOMAIN
ALIAS = "alias@" + DOMAIN
PASSWORD = "correct horse battery"
REMOTE = "someone@remote.test"
MAX_LINE = 1024
_seq = [0]


def make_daemon(listeners, **smtp_keys):
    def make(ports):
        plugins = {"maildir": {}}
        plugins["smtp"] = dict({
            "listen": ravenlib.listen(ports, *listeners),
            "max_line": MAX_LINE,
            # nothing listens there: remote mail stays queued
            "routes": {"remote.test": "127.0.0.1:%d" % ravenlib.free_port()},
        }, **smtp_keys)
        return ravenlib.Daemon(
            plugins, users={DEMO: PASSWORD, OTHER: PASSWORD},
            extra={"aliases": {ALIAS: DEMO, "postmaster@" + DOMAIN: DEMO},
                   # failed logins slow the next ones down; not by much here
                   "auth": {"max_failure_delay": "500ms"}})
    return make


MAIN = ravenlib.LazyDaemon(make_daemon([
    ("mx", {"role": "mx"}),
    ("submission", {"role": "submission", "tls": "starttls"}),
    ("submissions", {"role": "submission", "tls": "implicit"}),
]))
PLAINTEXT = ravenlib.LazyDaemon(make_daemon([
    ("submission", {"role": "submission", "tls": "starttls"}),
], allow_plaintext_auth=True))
SERVERS = [MAIN, PLAINTEXT]


def message(marker, sender=DEMO, headers=b""):
    """A message without Date: and Message-ID: unless `headers` has them."""
    return (b"From: Demo <%s>\r\n"
            b"To: Demo <demo@example.test>\r\n"
            b"Subject: submission test\r\n" % sender.encode()
            + headers
            + b"\r\n"
            b"Hello " + marker + b"\r\n")


def new_marker():
    _seq[0] += 1
    return b"submission-%d-%d" % (os.getpid(), _seq[0])


def plain(user=DEMO, password=PASSWORD, authzid=""):
    raw = "%s\0%s\0%s" % (authzid, user, password)
    return b64(raw)


def b64(text):
    return base64.b64encode(text.encode()).decode()


# ---- a raw SMTP client

class Smtp(ravenlib.SmtpConn):
    def ehlo(self):
        return self.expect("EHLO client.example", 250)[1].split("\n")

    def login(self, user=DEMO, password=PASSWORD):
        self.expect("AUTH PLAIN " + plain(user, password), 235, "2.7.0")

    def data(self, data, code=250, text=None):
        self.expect("DATA", 354)
        self.send(data + b".\r\n")
        return self.expect(None, code, text)


def connect(port="submission", server=MAIN, starttls=True):
    """A session after EHLO: over STARTTLS on `submission`, implicit TLS
    on `submissions`, in plain text on other listeners."""
    implicit = port == "submissions"
    s = Smtp(server.port(port), tls=implicit)
    s.expect(None, 220)
    s.ehlo()
    if starttls and port == "submission":
        s.expect("STARTTLS", 220, "2.0.0")
        s.starttls()
        s.ehlo()
    return s


def logged_in(port="submission", server=MAIN):
    s = connect(port, server)
    s.login()
    return s


def read(path):
    with open(path, "rb") as f:
        return f.read()


def delivered(daemon, address, marker):
    """The one stored message of `address` that holds `marker`."""
    def find():
        return [p for p in daemon.messages(address) if marker in read(p)]
    files = ravenlib.wait_for(find)
    assert len(files) == 1, (marker, files)
    return read(files[0])


def header_of(stored):
    return stored.split(b"\r\n\r\n", 1)[0] + b"\r\n"


def fields(header, name):
    return re.findall(rb"(?im)^" + name + rb":[ \t]*(.*)\r$", header)


def received_with(header):
    return re.findall(rb"(?i)\bwith (\S+) id ", header)


def assert_fixes_added(header):
    """Date: and Message-ID: were added at the end of the header."""
    dates = fields(header, b"Date")
    ids = fields(header, b"Message-ID")
    assert len(dates) == 1 and len(ids) == 1, header
    assert re.match(rb"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} "
                    rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    rb"\d{4} \d\d:\d\d:\d\d [+-]\d{4}$", dates[0]), dates
    when = email.utils.parsedate_to_datetime(dates[0].decode())
    assert abs(when.timestamp() - time.time()) < 120, dates
    assert re.match(rb"^<[^@<>\s]+@mx\.example\.test>$", ids[0]), ids
    assert re.search(rb"\r\nSubject: submission test\r\nDate: [^\r]+\r\n"
                     rb"Message-ID: [^\r]+\r\n$", header), header


# ---- EHLO, TLS and which listeners offer AUTH

@tap.test
def auth_offered_inside_tls_only():
    with connect(starttls=False) as s:
        caps = s.ehlo()
        assert "STARTTLS" in caps, caps
        assert not [c for c in caps if c.startswith("AUTH")], caps
        s.expect("AUTH PLAIN " + plain(), 538, "5.7.11 Encryption required")
        s.expect("AUTH LOGIN", 538, "5.7.11")
        s.expect("MAIL FROM:<%s>" % DEMO, 530, "5.7.0")
        s.expect("STARTTLS", 220)
        s.starttls()
        assert "AUTH PLAIN LOGIN" in s.ehlo()
        s.login()
    with connect("submissions") as s:
        caps = s.ehlo()
        assert "AUTH PLAIN LOGIN" in caps and "STARTTLS" not in caps, caps


@tap.test
def mx_never_offers_auth():
    with connect("mx") as s:
        caps = s.ehlo()
        assert not [c for c in caps if c.startswith("AUTH")], caps
        s.expect("AUTH PLAIN " + plain(), 502, "5.5.1")
        s.expect("STARTTLS", 220)
        s.starttls()
        caps = s.ehlo()
        assert not [c for c in caps if c.startswith("AUTH")], caps
        s.expect("AUTH PLAIN " + plain(), 502, "5.5.1")
        s.expect("MAIL FROM:<a@client.example> AUTH=<>", 555, "5.5.4")
    with smtplib.SMTP(HOST, MAIN.port("mx"), timeout=TIMEOUT) as c:
        c.ehlo("client.example")
        c.starttls(context=ravenlib.tls_context())
        c.ehlo("client.example")
        assert not c.has_extn("auth")


@tap.test
def submission_requires_auth():
    for port in ("submission", "submissions"):
        with connect(port) as s:
            s.expect("MAIL FROM:<%s>" % DEMO, 530,
                     "5.7.0 Authentication required")
            s.expect("RCPT TO:<%s>" % DEMO, 503, "5.5.1")
            s.expect("DATA", 503)


# ---- real clients

@tap.test
def smtplib_starttls_login():
    daemon = MAIN.get()
    marker = new_marker()
    with smtplib.SMTP(HOST, MAIN.port("submission"), timeout=TIMEOUT) as c:
        c.ehlo("client.example")
        assert not c.has_extn("auth")
        c.starttls(context=ravenlib.tls_context())
        c.ehlo("client.example")
        assert c.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert c.login(DEMO, PASSWORD)[0] == 235
        assert c.sendmail(DEMO, [DEMO], message(marker)) == {}
    stored = delivered(daemon, DEMO, marker)
    header = header_of(stored)
    assert_fixes_added(header)
    assert received_with(header) == [b"ESMTPSA"], header
    assert stored.startswith(b"Return-Path: <%s>\r\n" % DEMO.encode())
    # the login is on record with the message
    assert re.search(r"queued as \S+ from <%s> by %s," % (DEMO, DEMO),
                     daemon.log()), daemon.log()


@tap.test
def smtplib_implicit_tls():
    daemon = MAIN.get()
    marker = new_marker()
    own = (b"Date: Tue, 1 Jul 2025 10:00:00 +0000\r\n"
           b"Message-ID: <own-%s@client.example>\r\n" % marker)
    with smtplib.SMTP_SSL(HOST, MAIN.port("submissions"), timeout=TIMEOUT,
                          context=ravenlib.tls_context()) as c:
        c.ehlo("client.example")
        c.login(DEMO, PASSWORD)
        assert c.sendmail(DEMO, [DEMO], message(marker, headers=own)) == {}
    header = header_of(delivered(daemon, DEMO, marker))
    # the client's own fields stay, and are not doubled
    assert fields(header, b"Date") == [b"Tue, 1 Jul 2025 10:00:00 +0000"]
    assert fields(header, b"Message-ID") == [b"<own-%s@client.example>"
                                             % marker]
    assert received_with(header) == [b"ESMTPSA"], header


@tap.test
def smtplib_auth_login():
    daemon = MAIN.get()
    marker = new_marker()
    with smtplib.SMTP_SSL(HOST, MAIN.port("submissions"), timeout=TIMEOUT,
                          context=ravenlib.tls_context()) as c:
        c.ehlo("client.example")
        c.esmtp_features["auth"] = "LOGIN"  # not PLAIN, its first choice
        assert c.login(DEMO, PASSWORD)[0] == 235
        assert c.sendmail(ALIAS, [DEMO], message(marker, ALIAS)) == {}
    delivered(daemon, DEMO, marker)


def run(args, stdin=None):
    p = subprocess.run(args, input=stdin, capture_output=True,
                       timeout=TIMEOUT * 3)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


@tap.test
def swaks_auth_plain_and_login():
    daemon = MAIN.get()
    for mechanism in ("PLAIN", "LOGIN"):
        marker = new_marker().decode()
        code, out = run([
            "swaks", "--server", "%s:%d" % (HOST, MAIN.port("submission")),
            "--tls", "--auth", mechanism, "--auth-user", DEMO,
            "--auth-password", PASSWORD, "--from", DEMO, "--to", DEMO,
            "--helo", "client.example", "--timeout", "10",
            "--header", "Subject: swaks " + marker, "--body", marker])
        assert code == 0, out
        assert "235 2.7.0 Authentication successful" in out, out
        assert "250 2.0.0 Ok: queued as" in out, out
        header = header_of(delivered(daemon, DEMO, marker.encode()))
        assert received_with(header) == [b"ESMTPSA"], header


@tap.test
def curl_ssl_reqd_login():
    daemon = MAIN.get()
    for options in ([], ["--login-options", "AUTH=LOGIN"]):
        marker = new_marker()
        with tempfile.NamedTemporaryFile(suffix=".eml") as f:
            f.write(message(marker))
            f.flush()
            code, out = run(["curl", "-sS", "-v", "--max-time", "10",
                             "--ssl-reqd", "--insecure",
                             "smtp://%s:%d" % (HOST, MAIN.port("submission")),
                             "--user", "%s:%s" % (DEMO, PASSWORD),
                             "--mail-from", DEMO, "--mail-rcpt", DEMO,
                             "--upload-file", f.name] + options)
        assert code == 0, out
        assert "235 2.7.0" in out, out
        assert "250 2.0.0 Ok: queued as" in out, out
        assert_fixes_added(header_of(delivered(daemon, DEMO, marker)))


# ---- the SASL exchange

@tap.test
def auth_plain_continuation():
    with connect() as s:
        assert s.cmd("AUTH PLAIN") == (334, "")
        s.expect(plain(), 235, "2.7.0 Authentication successful")
        s.expect("AUTH PLAIN " + plain(), 503, "5.5.1")
        s.expect("MAIL FROM:<%s>" % DEMO, 250)
        s.expect("RCPT TO:<%s>" % DEMO, 250)


@tap.test
def auth_login_continuations():
    with connect() as s:
        assert s.cmd("AUTH LOGIN") == (334, b64("Username:"))
        assert s.cmd(b64(DEMO)) == (334, b64("Password:"))
        s.expect(b64(PASSWORD), 235, "2.7.0")
        s.expect("MAIL FROM:<%s>" % DEMO, 250)
        # no AUTH inside a transaction, nor a second one
        s.expect("AUTH LOGIN", 503, "5.5.1")
        s.expect("RSET", 250)
        s.expect("AUTH LOGIN", 503, "5.5.1 Already authenticated")
    with connect() as s:
        # the user name as initial response
        assert s.cmd("AUTH LOGIN " + b64(DEMO)) == (334, b64("Password:"))
        s.expect(b64(PASSWORD), 235)


@tap.test
def auth_cancel():
    with connect() as s:
        s.expect("AUTH PLAIN", 334)
        s.expect("*", 501, "5.7.0")
        s.expect("AUTH LOGIN", 334)
        s.expect(b64(DEMO), 334)
        s.expect("*", 501, "5.7.0")
        # back to commands, not logged in
        s.expect("NOOP", 250)
        s.expect("MAIL FROM:<%s>" % DEMO, 530)
        s.login()


@tap.test
def auth_bad_base64():
    with connect() as s:
        s.expect("AUTH PLAIN !!!!", 501, "5.5.2")
        s.expect("AUTH PLAIN " + plain()[:-1], 501, "5.5.2")
        s.expect("AUTH PLAIN", 334)
        s.expect("not base64", 501, "5.5.2")
        s.expect("AUTH LOGIN", 334)
        s.expect("a", 501, "5.5.2")
        # base64 that is no PLAIN response
        s.expect("AUTH PLAIN " + b64("no nul bytes"), 501, "5.5.2")
        s.expect("AUTH CRAM-MD5", 504, "5.5.4")
        s.expect("AUTH", 501, "5.5.4")
        s.expect("AUTH PLAIN a b", 501, "5.5.4")
        s.expect("MAIL FROM:<%s>" % DEMO, 530)
        s.login()


@tap.test
def auth_line_too_long():
    with connect() as s:
        s.expect("AUTH PLAIN", 334)
        s.expect("A" * (MAX_LINE * 4), 500, "5.5.6")
        s.expect("NOOP", 250)
        s.expect("AUTH PLAIN " + "A" * (MAX_LINE * 4), 500, "5.5.2")
        s.login()


@tap.test
def auth_wrong_password():
    with connect() as s:
        s.expect("AUTH PLAIN " + plain(password="wrong"), 535, "5.7.8")
        s.expect("AUTH PLAIN " + plain("nobody@" + DOMAIN), 535, "5.7.8")
        s.expect("AUTH LOGIN", 334)
        s.expect(b64(DEMO), 334)
        s.expect(b64("wrong"), 535, "5.7.8")
        # acting for someone else is not offered
        s.expect("AUTH PLAIN " + plain(authzid=OTHER), 535, "5.7.8")
        s.expect("MAIL FROM:<%s>" % DEMO, 530)
        s.login()  # after the failure delay
    with smtplib.SMTP_SSL(HOST, MAIN.port("submissions"), timeout=TIMEOUT,
                          context=ravenlib.tls_context()) as c:
        try:
            c.login(DEMO, "wrong")
            assert False, "login with a wrong password"
        except smtplib.SMTPAuthenticationError as e:
            assert e.smtp_code == 535, e


# ---- what a logged-in user may send

@tap.test
def sender_must_be_owned():
    with logged_in() as s:
        for sender in (OTHER, "alice@client.example", ""):
            s.expect("MAIL FROM:<%s>" % sender, 553,
                     "5.7.1 Sender address not owned by " + DEMO)
        s.expect("MAIL FROM:<%s> AUTH=<>" % ALIAS, 250, "2.1.0")
        s.expect("RSET", 250)
        s.expect("MAIL FROM:<Demo+lists@Example.Test>", 250)
        s.expect("RSET", 250)
    with logged_in("submissions") as s:
        s.expect("MAIL FROM:<%s>" % DEMO, 250)


def send_from(s, header_from, code, text=None, sender=DEMO):
    s.expect("MAIL FROM:<%s>" % sender, 250)
    s.expect("RCPT TO:<%s>" % DEMO, 250)
    data = (b"From: " + header_from.encode() + b"\r\n"
            b"Subject: From: check\r\n\r\nbody\r\n")
    return s.data(data, code, text)


@tap.test
def from_header_must_be_owned():
    refused = [
        "Other <%s>" % OTHER,
        "%s, %s" % (DEMO, OTHER),
        "\"%s\" <%s>" % (DEMO, OTHER),
        "Team: %s, %s;" % (DEMO, OTHER),
        "Demo <%s>,\r\n Other <%s>" % (DEMO, OTHER),
        "alice@client.example",
    ]
    accepted = [
        "Demo <%s>" % DEMO,
        "\"The Alias (of demo)\" <%s>" % ALIAS.upper(),
        "%s (comment), Demo\r\n\t<demo+x@%s>" % (ALIAS, DOMAIN),
        "Team: <%s>, %s;" % (DEMO, ALIAS),
        "\"Other <%s>\" <%s>" % (OTHER, DEMO),
    ]
    with logged_in() as s:
        for value in refused:
            got = send_from(s, value, 553, "5.7.1 From: address not owned "
                            "by " + DEMO)
        s.expect("RSET", 250)
        for value in accepted:
            got = send_from(s, value, 250)
            assert got[1].startswith("2.0.0 Ok: queued as"), (value, got)
        send_from(s, "Demo <%s" % DEMO, 554, "5.6.0")
        # an alias of the user's is an envelope sender too
        send_from(s, "Alias <%s>" % ALIAS, 250, sender=ALIAS)


@tap.test
def bdat_message_gets_fixes():
    daemon = MAIN.get()
    marker = new_marker()
    # no line end after the body, and a header without any
    body = b"From: " + DEMO.encode() + b"\r\nSubject: bdat\r\n\r\n" + marker
    with logged_in() as s:
        s.expect("MAIL FROM:<%s>" % DEMO, 250)
        s.expect("RCPT TO:<%s>" % DEMO, 250)
        s.send(b"BDAT %d LAST\r\n" % len(body) + body)
        s.expect(None, 250, "2.0.0 Ok: queued as")
    header = header_of(delivered(daemon, DEMO, marker))
    assert len(fields(header, b"Date")) == 1, header
    assert len(fields(header, b"Message-ID")) == 1, header


# ---- relay

@tap.test
def relay_for_authenticated_users():
    with logged_in() as s:
        s.expect("MAIL FROM:<%s>" % DEMO, 250)
        s.expect("RCPT TO:<%s>" % REMOTE, 250, "2.1.5")
        s.expect("RCPT TO:<Someone.Else@Remote.Test>", 250, "2.1.5")
        s.expect("RCPT TO:<nobody@%s>" % DOMAIN, 550, "5.1.1")
        s.expect("RCPT TO:<@relay.test:%s>" % REMOTE, 554, "5.7.1")
        s.expect("RCPT TO:<demo%%remote.test@%s>" % DOMAIN, 554, "5.7.1")
        s.expect("RCPT TO:<%s>" % OTHER, 250)
        assert s.data(message(new_marker()))[1].startswith(
            "2.0.0 Ok: queued as")


@tap.test
def relay_refused_without_auth():
    with connect("mx") as s:
        s.expect("MAIL FROM:<a@client.example>", 250)
        s.expect("RCPT TO:<%s>" % REMOTE, 554, "5.7.1 Relaying denied")
        s.expect("RCPT TO:<%s>" % DEMO, 250)
    # submission: no transaction at all before AUTH, so no relay either
    for port in ("submission", "submissions"):
        with connect(port) as s:
            s.expect("MAIL FROM:<a@client.example>", 530, "5.7.0")
            s.expect("RCPT TO:<%s>" % REMOTE, 503, "5.5.1")


# ---- allow_plaintext_auth

@tap.test
def plaintext_auth_allowed():
    daemon = PLAINTEXT.get()
    marker = new_marker()
    with smtplib.SMTP(HOST, PLAINTEXT.port("submission"),
                      timeout=TIMEOUT) as c:
        c.ehlo("client.example")
        assert c.has_extn("auth") and c.has_extn("starttls")
        c.login(DEMO, PASSWORD)
        assert c.sendmail(DEMO, [DEMO], message(marker)) == {}
    header = header_of(delivered(daemon, DEMO, marker))
    assert received_with(header) == [b"ESMTPA"], header


@tap.test
def starttls_forgets_login():
    with connect("submission", PLAINTEXT, starttls=False) as s:
        s.login()
        s.expect("STARTTLS", 220)
        s.starttls()
        s.expect("MAIL FROM:<%s>" % DEMO, 503, "5.5.1")
        s.ehlo()
        s.expect("MAIL FROM:<%s>" % DEMO, 530, "5.7.0")
        s.login()
        s.expect("MAIL FROM:<%s>" % DEMO, 250)


if __name__ == "__main__":
    tap.run(stop=SERVERS)
