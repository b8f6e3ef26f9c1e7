# test_pop3.py: the pop3 plugin against real clients (poplib, fetchmail,
# curl) and raw sockets: states, TLS, locks, DELE/RSET/QUIT, encoding.
# SPDX-License-Identifier: MIT

import os
import poplib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ravenlib  # noqa: E402
from ravenlib import DOMAIN, HOST, TIMEOUT  # noqa: E402

tap = ravenlib.Tap()
PASSWORD = "correct horse battery"
USERS = ["u%d@%s" % (i, DOMAIN) for i in range(1, 31)]
_next_user = [0]
_seq = [0]


def new_user():
    """A user of its own for one test, so mailboxes do not mix."""
    user = USERS[_next_user[0]]
    _next_user[0] += 1
    return user


def need(program):
    if shutil.which(program) is None:
        ravenlib.skip("%s is not installed" % program)


def message(n, body=None):
    body = body if body is not None else b"line one\r\nline two\r\nline three\r\n"
    return (b"From: alice@client.example\r\nTo: u@example.test\r\n"
            b"Subject: test %d\r\n\r\n" % n) + body


def put(daemon, address, data, flags=None):
    """A message dropped into the user's Maildir (new/, or cur/ with
    `flags`); the storage picks it up on its next scan."""
    _seq[0] += 1
    folder = "new" if flags is None else "cur"
    for sub in ("new", "cur", "tmp"):
        os.makedirs(daemon.maildir(address, sub), exist_ok=True)
    name = "%d.M%dP%d.mx.example.test,S=%d" % (
        1700000000 + _seq[0], _seq[0], os.getpid(), len(data))
    if flags is not None:
        name += ":2," + flags
    path = os.path.join(daemon.maildir(address, folder), name)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)
    return path


def count_files(daemon, address):
    return (len(daemon.messages(address, "new"))
            + len(daemon.messages(address, "cur")))


# ---- daemons

def need_plugins():
    for name in ("maildir", "pop3"):
        if not ravenlib.have_plugin(name):
            ravenlib.skip("no %s plugin built" % name)


def make_main(ports):
    return ravenlib.Daemon({
        "maildir": {},
        "pop3": {"listen": ravenlib.listen(ports, ("pop3", {"tls": "starttls"}),
                                  ("pop3s", {"tls": "implicit"}))},
    }, users={u: PASSWORD for u in USERS})


def make_plain(ports):
    return ravenlib.Daemon({
        "maildir": {},
        "pop3": {"listen": ravenlib.listen(ports, ("pop3", {"tls": "none"})),
                 "allow_plaintext_auth": True,
                 "login_delay": "5m",
                 "idle_timeout": "2s"},
    }, users={u: PASSWORD for u in USERS})


MAIN = ravenlib.LazyDaemon(make_main)
PLAIN = ravenlib.LazyDaemon(make_plain)
SERVERS = [MAIN, PLAIN]


def main():
    need_plugins()
    return MAIN.get()


def pop3s(server=MAIN):
    return poplib.POP3_SSL(HOST, server.port("pop3s"), context=ravenlib.tls_context(),
                           timeout=TIMEOUT)


def login(user, server=MAIN):
    p = pop3s(server)
    p.user(user)
    p.pass_(PASSWORD)
    return p


def error_of(call, *args):
    """The -ERR line a poplib call raised, as text."""
    try:
        call(*args)
    except poplib.error_proto as e:
        return e.args[0].decode() if isinstance(e.args[0], bytes) \
            else str(e.args[0])
    raise AssertionError("%s%r did not fail" % (call.__name__, args))


# ---- a raw POP3 client

class Pop(ravenlib.Conn):
    def line(self):
        return self.read_line().decode("utf-8", "replace").rstrip("\r\n")

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.line()

    def multi(self):
        """The lines of a multi-line answer, up to the "." (raw bytes)."""
        lines = []
        while True:
            line = self.read_line()
            if line == b".\r\n":
                return lines
            lines.append(line)


def raw(port="pop3s", server=MAIN):
    main()
    c = Pop(server.port(port), tls=port == "pop3s")
    assert c.line().startswith("+OK")
    return c


def raw_login(user):
    c = raw()
    assert c.cmd("USER " + user) == "+OK"
    assert c.cmd("PASS " + PASSWORD).startswith("+OK Logged in")
    return c


# ---- tests

@tap.test
def capa_before_tls():
    with raw("pop3") as c:
        assert c.cmd("CAPA") == "+OK Capability list follows"
        caps = [l.decode().strip() for l in c.multi()]
        for cap in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
                    "PIPELINING", "EXPIRE NEVER", "STLS",
                    "IMPLEMENTATION Raven"):
            assert cap in caps, (cap, caps)
        assert "USER" not in caps and "SASL PLAIN" not in caps, caps
        assert not any(c.startswith("LOGIN-DELAY") for c in caps)


@tap.test
def tls_required_without_allow_plaintext_auth():
    with raw("pop3") as c:
        assert c.cmd("USER " + USERS[0]) == "-ERR [AUTH] TLS required"
        assert c.cmd("PASS x") == "-ERR [AUTH] TLS required"
        assert c.cmd("AUTH PLAIN AHUxAHg=") == "-ERR [AUTH] TLS required"
        assert c.cmd("STAT").startswith("-ERR")
        assert c.cmd("QUIT") == "+OK Bye"
        assert c.closed()


@tap.test
def stls_then_login():
    main()
    user = new_user()
    put(MAIN.get(), user, message(1))
    p = poplib.POP3(HOST, MAIN.port("pop3"), timeout=TIMEOUT)
    try:
        assert "STLS" in p.capa()
        p.stls(context=ravenlib.tls_context())
        caps = p.capa()
        assert "STLS" not in caps and "USER" in caps, caps
        assert caps["SASL"] == ["PLAIN"], caps
        assert error_of(p.stls).startswith("-ERR")
        p.user(user)
        assert p.pass_(PASSWORD).startswith(b"+OK")
        assert p.stat()[0] == 1
    finally:
        p.quit()


@tap.test
def implicit_tls_capa():
    main()
    p = pop3s()
    try:
        caps = p.capa()
        assert "STLS" not in caps and "USER" in caps, caps
        assert caps["IMPLEMENTATION"] == ["Raven"], caps
        assert error_of(p.stls).startswith("-ERR")
    finally:
        p.quit()


@tap.test
def stat_list_retr_top_uidl_noop():
    d = main()
    user = new_user()
    msgs = [message(i) for i in (1, 2, 3)]
    for m in msgs:
        put(d, user, m)
    p = login(user)
    try:
        count, size = p.stat()
        assert (count, size) == (3, sum(len(m) for m in msgs))
        resp, lines, _ = p.list()
        assert resp.startswith(b"+OK")
        assert lines == [b"%d %d" % (i + 1, len(m))
                         for i, m in enumerate(msgs)]
        assert p.list(2) == b"+OK 2 %d" % len(msgs[1])
        resp, lines, _ = p.retr(1)
        assert resp == b"+OK %d octets" % len(msgs[0])
        assert b"\r\n".join(lines) + b"\r\n" == msgs[0]
        _, lines, _ = p.top(2, 0)
        assert lines == msgs[1].split(b"\r\n")[:4], lines
        _, lines, _ = p.top(2, 2)
        assert lines[-2:] == [b"line one", b"line two"], lines
        _, uidls, _ = p.uidl()
        assert len(uidls) == 3
        for i, u in enumerate(uidls):
            n, uid = u.split()
            assert int(n) == i + 1
            v, dot, num = uid.partition(b".")
            assert dot and v.isdigit() and num.isdigit(), uid
        assert p.uidl(3) == b"+OK " + uidls[2]
        assert p.noop().startswith(b"+OK")
        assert error_of(p.list, 4) == "-ERR no such message"
        assert error_of(p.retr, 0) == "-ERR no such message"
    finally:
        p.quit()
    assert count_files(d, user) == 3


@tap.test
def empty_maildrop():
    main()
    p = login(new_user())  # no mail ever came: no Maildir yet
    try:
        assert p.stat() == (0, 0)
        assert p.list()[1] == [] and p.uidl()[1] == []
        assert error_of(p.retr, 1) == "-ERR no such message"
    finally:
        assert p.quit().startswith(b"+OK")


@tap.test
def command_errors():
    with raw_login(new_user()) as c:
        assert c.cmd("XYZZY") == "-ERR unknown command"
        assert c.cmd("LIST x") == "-ERR invalid number"
        assert c.cmd("RETR") == "-ERR wrong number of arguments"
        assert c.cmd("STAT 1") == "-ERR wrong number of arguments"
        assert c.cmd("USER x") == "-ERR USER not valid in this state"
        assert c.cmd("STLS") == "-ERR STLS not valid in this state"
        assert c.cmd("TOP 1") == "-ERR wrong number of arguments"
        assert c.cmd("RETR 1") == "-ERR no such message"
        assert c.cmd("QUIT").startswith("+OK")
    with raw() as c:
        assert c.cmd("STAT") == "-ERR STAT not valid in this state"
        assert c.cmd("PASS x") == "-ERR USER first"


@tap.test
def line_too_long():
    with raw() as c:
        assert c.cmd("NOOP " + "x" * 300) == "-ERR line too long"
        assert c.cmd("PASS " + "x" * 249) == "-ERR line too long"
        assert c.cmd("CAPA").startswith("+OK")
        c.multi()
        assert c.cmd("QUIT") == "+OK Bye"


@tap.test
def maildrop_locked():
    user = new_user()
    main()
    first = login(user)
    second = pop3s()
    second.user(user)
    assert error_of(second.pass_, PASSWORD) \
        == "-ERR [IN-USE] Mailbox is locked by another session"
    first.quit()
    second.user(user)
    assert second.pass_(PASSWORD).startswith(b"+OK")
    # a dropped connection releases the lock too
    second.close()
    third = ravenlib.wait_for(lambda: try_login(user), timeout=TIMEOUT)
    assert third
    third.quit()


def try_login(user):
    p = pop3s()
    try:
        p.user(user)
        p.pass_(PASSWORD)
        return p
    except poplib.error_proto:
        p.quit()
        return None


@tap.test
def dele_rset_quit():
    d = main()
    user = new_user()
    msgs = [message(i) for i in (1, 2, 3)]
    for m in msgs:
        put(d, user, m)
    p = login(user)
    _, before, _ = p.uidl()
    assert p.dele(1).startswith(b"+OK")
    assert error_of(p.dele, 1) == "-ERR message 1 already deleted"
    assert error_of(p.list, 1) == "-ERR message 1 already deleted"
    assert error_of(p.retr, 1) == "-ERR message 1 already deleted"
    assert error_of(p.top, 1, 0) == "-ERR message 1 already deleted"
    assert p.stat() == (2, len(msgs[1]) + len(msgs[2]))
    assert len(p.list()[1]) == 2 and len(p.uidl()[1]) == 2
    assert p.rset().startswith(b"+OK")
    assert p.stat()[0] == 3
    assert p.dele(2).startswith(b"+OK")
    assert p.quit().startswith(b"+OK")
    assert count_files(d, user) == 2
    # numbers are new, unique ids are not
    p = login(user)
    _, after, _ = p.uidl()
    assert [u.split()[1] for u in after] \
        == [before[0].split()[1], before[2].split()[1]]
    p.quit()


@tap.test
def dropped_connection_deletes_nothing():
    d = main()
    user = new_user()
    put(d, user, message(1))
    put(d, user, message(2))
    c = raw_login(user)
    assert c.cmd("DELE 1").startswith("+OK")
    assert c.cmd("DELE 2").startswith("+OK")
    c.close()
    p = ravenlib.wait_for(lambda: try_login(user), timeout=TIMEOUT)
    assert p and p.stat()[0] == 2
    p.quit()
    assert count_files(d, user) == 2


@tap.test
def quit_keeps_others_deleted_flag():
    """A message IMAP flagged \\Deleted is not expunged by POP3's QUIT."""
    d = main()
    user = new_user()
    put(d, user, message(1))
    trashed = put(d, user, message(2), flags="T")
    put(d, user, message(3))
    p = login(user)
    assert p.stat()[0] == 3
    p.dele(1)
    p.quit()
    assert count_files(d, user) == 2
    names = [os.path.basename(f).split(":")[0]
             for f in d.messages(user, "cur") + d.messages(user, "new")]
    assert os.path.basename(trashed).split(":")[0] in names
    kept = [f for f in d.messages(user, "cur")
            if os.path.basename(f).split(":")[0]
            == os.path.basename(trashed).split(":")[0]]
    assert kept and "T" in kept[0].rsplit(":2,", 1)[1], kept


@tap.test
def uidl_stable_across_sessions():
    d = main()
    user = new_user()
    put(d, user, message(1))
    p = login(user)
    _, first, _ = p.uidl()
    p.quit()
    put(d, user, message(2))
    p = login(user)
    _, second, _ = p.uidl()
    p.quit()
    assert second[0] == first[0] and len(second) == 2
    assert second[1].split()[1] != first[0].split()[1]


@tap.test
def large_message_with_dots():
    d = main()
    user = new_user()
    lines = []
    size = 0
    i = 0
    while size < 1024 * 1024:
        line = (b"." if i % 3 == 0 else b"") + b"line %06d " % i + b"x" * 60
        if i % 1000 == 0:
            line = b"."
        lines.append(line)
        size += len(line) + 2
        i += 1
    body = b"\r\n".join(lines) + b"\r\n"
    msg = message(1, body)
    put(d, user, msg)
    p = login(user)
    resp, got, octets = p.retr(1)
    assert b"\r\n".join(got) + b"\r\n" == msg
    p.quit()


@tap.test
def bare_lf_becomes_crlf():
    d = main()
    user = new_user()
    put(d, user, b"Subject: lf\n\nfirst\n.dot\nlast")
    with raw_login(user) as c:
        assert c.cmd("RETR 1").startswith("+OK")
        got = b"".join(c.multi())
        assert got == b"Subject: lf\r\n\r\nfirst\r\n..dot\r\nlast\r\n", got
        assert c.cmd("TOP 1 1").startswith("+OK")
        assert b"".join(c.multi()) == b"Subject: lf\r\n\r\nfirst\r\n"
        assert c.cmd("QUIT").startswith("+OK")


@tap.test
def pipelining():
    d = main()
    user = new_user()
    put(d, user, message(1))
    with raw() as c:
        c.send("USER %s\r\nPASS %s\r\nSTAT\r\nRETR 1\r\nNOOP\r\nQUIT\r\n"
               % (user, PASSWORD))
        assert c.line() == "+OK"
        assert c.line().startswith("+OK Logged in")
        assert c.line() == "+OK 1 %d" % len(message(1))
        assert c.line().startswith("+OK")
        assert b"".join(c.multi()) == message(1)
        assert c.line() == "+OK"
        assert c.line().startswith("+OK Bye")
        assert c.closed()


def fetchmailrc(path, port, user, keep):
    with open(path, "w") as f:
        f.write("set no bouncemail\n"
                "poll %s service %d protocol pop3 timeout 10\n"
                "  user \"%s\" password \"%s\" is localuser here\n"
                "  ssl no sslcertck %s\n"
                "  mda \"cat >> %s\"\n"
                % (HOST, port, user, PASSWORD,
                   "keep" if keep else "nokeep",
                   os.path.join(os.path.dirname(path), "mbox")))
    os.chmod(path, 0o600)


def run_fetchmail(keep):
    need("fetchmail")
    d = main()
    user = new_user()
    put(d, user, message(1))
    put(d, user, message(2))
    with tempfile.TemporaryDirectory() as tmp:
        rc = os.path.join(tmp, "fetchmailrc")
        fetchmailrc(rc, MAIN.port("pop3s"), user, keep)
        env = dict(os.environ, HOME=tmp, FETCHMAILHOME=tmp)
        p = subprocess.run(["fetchmail", "-f", rc, "--nodetach",
                            "--nosyslog", "-v"] + (["--keep"] if keep
                                                   else []),
                           capture_output=True, text=True, env=env,
                           timeout=TIMEOUT * 3)
        assert p.returncode == 0, p.stdout + p.stderr
        with open(os.path.join(tmp, "mbox"), "rb") as f:
            mbox = f.read()
    assert b"Subject: test 1" in mbox and b"Subject: test 2" in mbox
    return d, user


@tap.test
def fetchmail_keep():
    d, user = run_fetchmail(True)
    assert count_files(d, user) == 2


@tap.test
def fetchmail_delete():
    d, user = run_fetchmail(False)
    assert count_files(d, user) == 0


def curl(url, user, *extra):
    need("curl")
    p = subprocess.run(["curl", "-sS", "--max-time", "10", url, "-u",
                        "%s:%s" % (user, PASSWORD)] + list(extra),
                       capture_output=True, timeout=TIMEOUT * 2)
    assert p.returncode == 0, p.stderr
    return p.stdout


@tap.test
def curl_pop3s():
    d = main()
    user = new_user()
    put(d, user, message(1))
    put(d, user, message(2))
    base = "pop3s://%s:%d/" % (HOST, MAIN.port("pop3s"))
    listing = curl(base, user, "-k")
    assert listing.splitlines() == [b"1 %d" % len(message(1)),
                                    b"2 %d" % len(message(2))], listing
    assert curl(base + "2", user, "-k") == message(2)


# Failed logins slow later ones from the same address: these run last
# on MAIN.

@tap.test
def auth_plain():
    import base64
    user = new_user()
    good = base64.b64encode(b"\0" + user.encode() + b"\0"
                            + PASSWORD.encode()).decode()
    bad = base64.b64encode(b"\0" + user.encode() + b"\0wrong").decode()
    with raw() as c:
        assert c.cmd("AUTH") == "+OK Mechanisms follow"
        assert c.multi() == [b"PLAIN\r\n"]
        assert c.cmd("AUTH CRAM-MD5") == "-ERR [AUTH] Unsupported mechanism"
        assert c.cmd("AUTH PLAIN !!") == "-ERR [AUTH] Invalid PLAIN response"
        assert c.cmd("AUTH PLAIN") == "+ "
        assert c.cmd("*") == "-ERR [AUTH] Authentication cancelled"
        assert c.cmd("AUTH PLAIN") == "+ "
        assert c.cmd(good).startswith("+OK Logged in")
        assert c.cmd("QUIT").startswith("+OK")
    with raw() as c:
        assert c.cmd("AUTH PLAIN " + good).startswith("+OK Logged in")
        assert c.cmd("QUIT").startswith("+OK")
    with raw() as c:
        assert c.cmd("AUTH PLAIN " + bad) \
            == "-ERR [AUTH] Authentication failed"


@tap.test
def auth_failures():
    user = new_user()
    main()
    p = pop3s()
    try:
        p.user(user)
        assert error_of(p.pass_, "wrong") \
            == "-ERR [AUTH] Authentication failed"
        # the client starts again with USER after a failed PASS
        assert error_of(p.pass_, PASSWORD) == "-ERR USER first"
        p.user("nobody@" + DOMAIN)
        assert error_of(p.pass_, PASSWORD) \
            == "-ERR [AUTH] Authentication failed"
    finally:
        p.quit()


@tap.test
def curl_plaintext_allowed():
    need_plugins()
    d = PLAIN.get()
    user = new_user()
    put(d, user, message(1))
    base = "pop3://%s:%d/" % (HOST, PLAIN.port("pop3"))
    assert curl(base, user).splitlines() == [b"1 %d" % len(message(1))]
    assert curl(base + "1", user) == message(1)


@tap.test
def capa_login_delay_and_plaintext():
    need_plugins()
    with raw("pop3", PLAIN) as c:
        assert c.cmd("CAPA").startswith("+OK")
        caps = [l.decode().strip() for l in c.multi()]
        assert "LOGIN-DELAY 300" in caps and "USER" in caps, caps
        assert "STLS" not in caps, caps
        assert c.cmd("STLS") == "-ERR STLS not available"


@tap.test
def idle_timeout():
    need_plugins()
    user = new_user()
    with raw("pop3", PLAIN) as c:
        assert c.cmd("USER " + user) == "+OK"
        assert c.cmd("PASS " + PASSWORD).startswith("+OK")
        assert c.closed(timeout=6)
        assert b"-ERR" in c.buf


@tap.test
def drain_on_shutdown():
    need_plugins()
    d = PLAIN.get()
    with raw("pop3", PLAIN) as c:
        d.signal(signal.SIGTERM)
        assert c.line() == "-ERR [SYS/TEMP] Server shutting down"
        assert c.closed()
    assert d.process.wait(timeout=TIMEOUT) == 0
    PLAIN.stop()


if __name__ == "__main__":
    tap.run(stop=SERVERS)
