# test_imap.py: the imap plugin against Python imaplib, raw sockets and curl:
# STARTTLS and IMAPS logins, folders, append/fetch, search, flags,
# copy/move, expunge, two sessions, IDLE after an SMTP delivery,
# CONDSTORE, ESEARCH, SEARCHRES, QRESYNC and UTF8=ACCEPT on raw sessions,
# mbsync syncing both ways, mutt reading a message.
# SPDX-License-Identifier: MIT

import imaplib
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ravenlib  # noqa: E402
from ravenlib import DOMAIN, HOST, TIMEOUT  # noqa: E402

tap = ravenlib.Tap()
USER = "demo@" + DOMAIN
PASSWORD = "correct horse battery"
MULTIPART = (b"From: Alice <alice@client.example>\r\n"
             b"To: Demo <demo@example.test>, bob@example.test\r\n"
             b"Subject: multipart test\r\n"
             b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
             b"Message-ID: <mp@client.example>\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
             b"\r\n"
             b"preamble\r\n"
             b"--XX\r\n"
             b"Content-Type: text/plain; charset=us-ascii\r\n"
             b"\r\n"
             b"first part\r\nline two\r\n"
             b"--XX\r\n"
             b"Content-Type: application/octet-stream\r\n"
             b"Content-Transfer-Encoding: base64\r\n"
             b"Content-Disposition: attachment; filename=\"a.bin\"\r\n"
             b"\r\n"
             b"AAECAw==\r\n"
             b"--XX--\r\n")


class Server:
    daemon = None
    ports = {}

    @classmethod
    def get(cls):
        if cls.daemon is None:
            for name in ("imap", "imaps", "smtp"):
                cls.ports[name] = ravenlib.free_port()
            addr = lambda n: "%s:%d" % (HOST, cls.ports[n])  # noqa: E731
            plugins = {
                "maildir": {"quota": "10M"},
                "smtp": {"listen": [{"address": addr("smtp"),
                                     "role": "mx"}]},
                "imap": {"listen": [{"address": addr("imap")},
                                    {"address": addr("imaps"),
                                     "tls": "implicit"}],
                         "allow_plaintext_auth": False,
                         "appendlimit": "1M"},
            }
            cls.daemon = ravenlib.Daemon(plugins, users={USER: PASSWORD})
            cls.daemon.start()
        return cls.daemon


def need_plugins():
    for name in ("maildir", "smtp", "imap"):
        if not ravenlib.have_plugin(name):
            ravenlib.skip("no %s plugin" % name)


def imaps():
    need_plugins()
    Server.get()
    m = imaplib.IMAP4_SSL(HOST, Server.ports["imaps"], ssl_context=ravenlib.tls_context(),
                          timeout=TIMEOUT)
    m.login(USER, PASSWORD)
    return m


def deliver(subject, body=b"hello\r\n"):
    with smtplib.SMTP(HOST, Server.ports["smtp"], timeout=TIMEOUT) as s:
        s.sendmail("alice@client.example", [USER],
                   b"From: alice@client.example\r\nTo: " + USER.encode()
                   + b"\r\nSubject: " + subject.encode() + b"\r\n\r\n" + body)


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


@tap.test
def login_refused_before_tls_then_starttls():
    need_plugins()
    Server.get()
    m = imaplib.IMAP4(HOST, Server.ports["imap"], timeout=TIMEOUT)
    caps = m.capabilities
    assert "LOGINDISABLED" in caps and "STARTTLS" in caps, caps
    try:
        m.login(USER, PASSWORD)
        raise AssertionError("LOGIN worked before TLS")
    except imaplib.IMAP4.error:
        pass
    m.starttls(ssl_context=ravenlib.tls_context())
    assert "AUTH=PLAIN" in m.capabilities
    m.login(USER, PASSWORD)
    m.logout()


@tap.test
def wrong_password_and_authenticate_plain():
    m = imaps()
    m.logout()
    m = imaplib.IMAP4_SSL(HOST, Server.ports["imaps"], ssl_context=ravenlib.tls_context(),
                          timeout=TIMEOUT)
    try:
        m.login(USER, "wrong")
        raise AssertionError("bad password accepted")
    except imaplib.IMAP4.error:
        pass
    m.authenticate("PLAIN",
                   lambda _: ("\0%s\0%s" % (USER, PASSWORD)).encode())
    m.logout()


@tap.test
def capability_id_namespace_enable():
    m = imaps()
    caps = ok(m.capability())[0].decode()
    for c in ("IMAP4rev2", "IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE",
              "APPENDLIMIT=1048576", "LITERAL+"):
        assert c in caps, caps
    ok(m.xatom("ID", "NIL"))
    typ, data = m._simple_command("NAMESPACE")
    assert typ == "OK"
    typ, data = m._simple_command("ENABLE", "IMAP4rev2")
    assert typ == "OK"
    m.logout()


@tap.test
def folders():
    m = imaps()
    ok(m.create("Work"))
    ok(m.create("Work/Sub"))
    names = b"\n".join(ok(m.list()))
    assert b'"Work/Sub"' in names and b"INBOX" in names, names
    assert b"\\HasChildren" in [l for l in ok(m.list('""', "Work"))][0]
    ok(m.rename("Work/Sub", "Work/Other"))
    ok(m.delete("Work/Other"))
    assert b"Work/Other" not in b"".join(ok(m.list()))
    ok(m.subscribe("Work"))
    assert b"Work" in b"".join(x for x in ok(m.lsub()) if x)
    ok(m.unsubscribe("Work"))
    assert b'"Work"' not in b"".join(x for x in ok(m.lsub()) if x)
    utf = "&AOQ-pfel"
    ok(m.create(utf))
    assert utf.encode() in b"".join(ok(m.list()))
    ok(m.delete(utf))
    ok(m.delete("Work"))
    typ, _ = m.select("NoSuchFolder")
    assert typ == "NO"
    m.logout()


@tap.test
def append_fetch_byte_for_byte():
    m = imaps()
    ok(m.create("Test1"))
    typ, data = m.append("Test1", "(\\Flagged)", None, MULTIPART)
    assert typ == "OK" and b"APPENDUID" in data[0], data
    data = ok(m.select("Test1"))
    assert data == [b"1"], data
    _, resp = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
    assert resp[0][1] == MULTIPART
    st = ok(m.status("Test1", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE)"))
    assert b"MESSAGES 1" in st[0] and b"UNSEEN 1" in st[0], st
    m.logout()


@tap.test
def fetch_every_attribute():
    m = imaps()
    ok(m.select("Test1"))
    typ, resp = m.fetch("1", "(FLAGS UID INTERNALDATE RFC822.SIZE ENVELOPE "
                             "BODYSTRUCTURE BODY)")
    text = b"".join(x if isinstance(x, bytes) else b"".join(x) for x in resp)
    assert b"\\Flagged" in text and b"RFC822.SIZE %d" % len(MULTIPART) in text
    assert b'"multipart test"' in text and b'"alice" "client.example"' in text
    assert b'"MIXED"' in text.upper() and b'"a.bin"' in text, text
    parts = {
        "BODY.PEEK[HEADER]": MULTIPART[:MULTIPART.index(b"\r\n\r\n") + 4],
        "BODY.PEEK[1]": b"first part\r\nline two",
        "BODY.PEEK[2]": b"AAECAw==",
        "BODY.PEEK[1.MIME]": b"Content-Type: text/plain; "
                             b"charset=us-ascii\r\n\r\n",
        "BODY.PEEK[HEADER.FIELDS (SUBJECT)]": b"Subject: multipart test"
                                              b"\r\n\r\n",
        "BODY.PEEK[]<0.4>": b"From",
        "RFC822.HEADER": MULTIPART[:MULTIPART.index(b"\r\n\r\n") + 4],
    }
    for att, want in parts.items():
        typ, resp = m.fetch("1", "(%s)" % att)
        assert typ == "OK" and resp[0][1] == want, (att, resp)
    typ, resp = m.fetch("1", "(BODY.PEEK[TEXT])")
    assert resp[0][1].startswith(b"preamble")
    assert b"\\Seen" not in b"".join(ok(m.fetch("1", "FLAGS")))
    typ, resp = m.fetch("1", "(BODY[1])")
    assert b"\\Seen" in resp[0][0] or b"\\Seen" in b"".join(
        ok(m.fetch("1", "FLAGS")))
    m.logout()


@tap.test
def search_and_store():
    m = imaps()
    ok(m.create("Test2"))
    for i in range(3):
        ok(m.append("Test2", None, None,
                    b"From: x%d@a.test\r\nSubject: number %d\r\n\r\n"
                    b"body %d\r\n" % (i, i, i)))
    ok(m.select("Test2"))
    assert ok(m.search(None, "ALL")) == [b"1 2 3"]
    assert ok(m.search(None, "SUBJECT", "\"number 1\"")) == [b"2"]
    assert ok(m.search(None, "BODY", '"body 2"')) == [b"3"]
    assert ok(m.search(None, "FROM", "x0")) == [b"1"]
    ok(m.store("1:2", "+FLAGS", "(\\Seen)"))
    assert ok(m.search(None, "UNSEEN")) == [b"3"]
    assert ok(m.search(None, "OR", "UNSEEN", "FLAGGED")) == [b"3"]
    assert ok(m.search(None, "NOT", "SEEN")) == [b"3"]
    assert ok(m.search(None, "LARGER", "1")) == [b"1 2 3"]
    assert ok(m.search(None, "SINCE", "1-Jan-2000")) == [b"1 2 3"]
    assert ok(m.uid("SEARCH", "UID", "2:*")) == [b"2 3"]
    ok(m.store("1", "FLAGS", "(\\Answered $Label)"))
    flags = b"".join(ok(m.fetch("1", "FLAGS")))
    assert b"\\Answered" in flags and b"$Label" in flags and b"\\Seen" \
        not in flags, flags
    ok(m.store("1", "-FLAGS", "($Label)"))
    assert b"$Label" not in b"".join(ok(m.fetch("1", "FLAGS")))
    m.logout()


@tap.test
def copy_move_expunge():
    m = imaps()
    ok(m.create("Dest"))
    ok(m.select("Test2"))
    typ, data = m._simple_command("UID", "COPY", "1", "Dest")
    assert typ == "OK" and b"COPYUID" in data[0], data
    typ, data = m.uid("MOVE", "2", "Dest")
    assert typ == "OK", data
    assert b"COPYUID" in b" ".join(m.untagged_responses.get("OK", [])), \
        m.untagged_responses
    assert ok(m.search(None, "ALL")) == [b"1 2"]
    ok(m.store("1", "+FLAGS", "(\\Deleted)"))
    m.untagged_responses.clear()
    data = ok(m.expunge())
    assert data == [b"1"], data
    assert ok(m.search(None, "ALL")) == [b"1"]
    st = ok(m.status("Dest", "(MESSAGES)"))
    assert b"MESSAGES 2" in st[0], st
    ok(m.select("Dest"))
    ok(m.store("1:2", "+FLAGS", "(\\Deleted)"))
    ok(m.uid("EXPUNGE", "1"))
    # Only UID 1 went; the other \\Deleted message stays.
    assert ok(m.search(None, "ALL")) == [b"1"]
    assert ok(m.search(None, "DELETED")) == [b"1"]
    ok(m.close())
    m.logout()


@tap.test
def two_sessions_see_each_other():
    a, b = imaps(), imaps()
    ok(a.create("Shared"))
    ok(a.append("Shared", None, None, b"Subject: one\r\n\r\nx\r\n"))
    ok(a.select("Shared"))
    ok(b.select("Shared"))
    a.untagged_responses.clear()
    ok(b.append("Shared", None, None, b"Subject: two\r\n\r\ny\r\n"))
    ok(b.store("1", "+FLAGS", "(\\Flagged)"))
    time.sleep(0.3)
    ok(a.noop())
    assert a.untagged_responses.get("EXISTS") == [b"2"], a.untagged_responses
    ok(b.store("1", "+FLAGS", "(\\Deleted)"))
    ok(b.expunge())
    a.untagged_responses.clear()
    time.sleep(0.3)
    typ, data = a.noop()
    assert b"1" in a.untagged_responses.get("EXPUNGE", []), \
        a.untagged_responses
    assert ok(a.search(None, "ALL")) == [b"1"]
    a.logout()
    b.logout()


@tap.test
def idle_sees_delivery():
    m = imaps()
    ok(m.select("INBOX"))
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    assert m.readline().startswith(b"+")
    deliver("idle test")
    m.sock.settimeout(1.5)
    line = m.readline()
    assert line.startswith(b"* ") and b"EXISTS" in line, line
    m.sock.settimeout(TIMEOUT)
    m.send(b"DONE\r\n")
    while True:
        line = m.readline()
        if line.startswith(tag):
            assert b"OK" in line
            break
    m.logout()


@tap.test
def raw_protocol_limits():
    need_plugins()
    Server.get()
    with ravenlib.Conn(Server.ports["imaps"], tls=True) as c:
        assert c.read_line().startswith(b"* OK")
        c.send(b"a1 LOGIN {5000}\r\n")
        assert b"NO" in c.read_line()
        c.send(b"a2 NOOP\r\n")
        data = b""
        while b"a2 OK" not in data:
            data += c.read_line()
        c.send(b"a3 BOGUS\r\n")
        assert c.read_line().startswith(b"a3 BAD")
        c.send(b"a4 SELECT INBOX\r\n")
        assert c.read_line().startswith(b"a4 BAD")
        c.send(b"a5 LOGIN {3+}\r\n")
        c.send(b"x" * 20 + b"\r\n")
        c.send(b"a6 LOGOUT\r\n")
        data = c.read_line()
        assert data.startswith(b"a5 BAD") or data.startswith(b"a5 NO"), data
        c.send(b"a7 LOGIN \"" + USER.encode() + b"\" {%d+}\r\n%s\r\n"
               % (len(PASSWORD), PASSWORD.encode()))


@tap.test
def curl_fetches_a_message():
    need_plugins()
    if shutil.which("curl") is None:
        ravenlib.skip("no curl")
    Server.get()
    p = subprocess.run(["curl", "-sS", "-k", "--max-time", str(TIMEOUT),
                        "-u", "%s:%s" % (USER, PASSWORD),
                        "imaps://127.0.0.1:%d/Test1;UID=1"
                        % Server.ports["imaps"]],
                       capture_output=True, timeout=TIMEOUT * 2)
    assert p.returncode == 0, p.stderr
    assert p.stdout == MULTIPART, p.stdout[:200]


@tap.test
def quota_of_the_user():
    m = imaps()
    caps = ok(m.capability())[0].split()
    assert b"QUOTA" in caps, caps
    typ, data = m.getquotaroot("INBOX")
    assert typ == "OK", data
    text = repr(data)
    assert '"INBOX" ""' in text and "STORAGE" in text, text
    assert " 10240)" in text, text  # 10M in KiB
    typ, data = m.getquota('""')
    assert typ == "OK" and "STORAGE" in repr(data), data
    typ, data = m.setquota('""', "(STORAGE 1)")
    assert typ == "NO", data
    m.logout()


class Raw:
    """A raw IMAP session over IMAPS, logged in: cmd() sends one command
    and returns its untagged lines and its tagged line."""

    def __init__(self):
        need_plugins()
        Server.get()
        self.conn = ravenlib.Conn(Server.ports["imaps"], tls=True)
        assert self.conn.read_line().startswith(b"* OK")
        self.n = 0
        self.cmd('LOGIN "%s" "%s"' % (USER, PASSWORD))

    def cmd(self, text, expect=b"OK"):
        self.n += 1
        tag = b"r%d" % self.n
        if isinstance(text, str):
            text = text.encode()
        self.conn.send(tag + b" " + text + b"\r\n")
        lines = []
        while True:
            line = self.conn.read_line().rstrip(b"\r\n")
            if line.startswith(tag + b" "):
                assert expect is None or line.startswith(
                    tag + b" " + expect), (text, line, lines)
                return lines, line
            lines.append(line)

    def append(self, folder, subject):
        msg = b"Subject: %s\r\n\r\nbody\r\n" % subject.encode()
        self.cmd(b"APPEND %s {%d+}\r\n%s" % (folder.encode(), len(msg), msg))

    def noop_until(self, predicate):
        """NOOP until one answer's untagged lines satisfy `predicate`."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            lines, _ = self.cmd("NOOP")
            if predicate(lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def close(self):
        self.conn.close()


def code(lines, name):
    """The number of a response code such as [HIGHESTMODSEQ n]."""
    for line in lines:
        m = re.search(rb"\[" + name + rb" (\d+)\]", line)
        if m:
            return int(m.group(1))
    raise AssertionError((name, lines))


def fetches(lines):
    """{sequence number: FETCH data} of untagged FETCH lines."""
    out = {}
    for line in lines:
        m = re.match(rb"\* (\d+) FETCH \((.*)\)$", line)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


def modseq_of(data):
    return int(re.search(rb"MODSEQ \((\d+)\)", data).group(1))


def folder_with(raw, folder, n):
    raw.cmd("CREATE " + folder)
    for i in range(n):
        raw.append(folder, "%s %d" % (folder, i + 1))


@tap.test
def failing_folder_commands_and_list_options():
    # Each of these once took the whole daemon down (found by imaptest).
    raw = Raw()
    raw.cmd("CREATE Twice")
    raw.cmd("CREATE Twice", expect=b"NO")
    raw.cmd("DELETE NoSuchFolder", expect=b"NO")
    raw.cmd("RENAME NoSuchFolder Elsewhere", expect=b"NO")
    raw.cmd('LIST (imaptest) "" ""', expect=b"BAD")
    lines, _ = raw.cmd('LIST (SUBSCRIBED) "" "*"')
    raw.cmd("SUBSCRIBE Twice")
    lines, _ = raw.cmd('LIST (SUBSCRIBED) "" "*"')
    assert any(b'"Twice"' in l or b" Twice" in l for l in lines), lines
    raw.cmd("DELETE Twice")
    raw.cmd("NOOP")  # still served
    raw.close()


@tap.test
def append_literal8_keeps_every_byte():
    # A NUL in a literal8 once cut the stored message short (zeros).
    raw = Raw()
    folder = "Bin%d" % os.getpid()
    raw.cmd("CREATE " + folder)
    msg = (b"From: a@example.test\r\nContent-Type: application/octet-stream"
           b"\r\nContent-Transfer-Encoding: binary\r\n\r\n"
           b" -\x00\xff after the NUL\r\n")
    raw.cmd(b"APPEND %s ~{%d+}\r\n%s" % (folder.encode(), len(msg), msg))
    raw.cmd("SELECT " + folder)
    raw.conn.send(b"b1 FETCH 1 BINARY.PEEK[1]\r\n")
    data = b""
    while b"b1 OK" not in data:
        data += raw.conn.pending(0.5)
    assert b" -\x00\xff after the NUL\r\n" in data, data
    raw.close()


@tap.test
def subscription_outlives_its_mailbox():
    # RFC 3501 6.3.6 / RFC 5258 3.4: deleting a mailbox keeps its
    # subscription, listed as \NonExistent.
    raw = Raw()
    raw.cmd("CREATE Gone")
    raw.cmd("SUBSCRIBE Gone")
    raw.cmd("DELETE Gone")
    lines, _ = raw.cmd('LIST "" Gone')
    assert lines == [], lines
    lines, _ = raw.cmd('LIST (SUBSCRIBED) "" Gone')
    assert lines == [b'* LIST (\\NonExistent \\Subscribed) "/" "Gone"'], lines
    lines, _ = raw.cmd('LSUB "" Gone')
    assert lines == [b'* LSUB (\\Noselect) "/" "Gone"'], lines
    raw.cmd("UNSUBSCRIBE Gone")
    lines, _ = raw.cmd('LSUB "" Gone')
    assert lines == [], lines
    raw.close()


@tap.test
def condstore_other_session_sees_modseq():
    a, b = Raw(), Raw()
    folder_with(a, "Cond", 3)
    lines, _ = a.cmd("CAPABILITY")
    assert b" CONDSTORE" in lines[0] and b" QRESYNC" in lines[0], lines
    lines, _ = a.cmd("ENABLE CONDSTORE")
    assert lines == [b"* ENABLED CONDSTORE"], lines
    lines, _ = a.cmd("SELECT Cond")
    first = code(lines, rb"HIGHESTMODSEQ")
    b.cmd("SELECT Cond")
    b.cmd("STORE 2 +FLAGS (\\Flagged)")
    lines = a.noop_until(lambda ls: fetches(ls))
    seen = fetches(lines)
    assert list(seen) == [2] and b"\\Flagged" in seen[2], lines
    assert b"UID 2" in seen[2] and modseq_of(seen[2]) > first, seen
    # CHANGEDSINCE: only what changed, with MODSEQ though not asked for.
    lines, _ = a.cmd("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % first)
    assert list(fetches(lines)) == [2], lines
    assert modseq_of(fetches(lines)[2]) > first, lines
    lines, _ = a.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)"
                     % modseq_of(seen[2]))
    assert fetches(lines) == {}, lines
    # Under CONDSTORE a FETCH of FLAGS carries MODSEQ too.
    lines, _ = a.cmd("FETCH 1 (FLAGS)")
    assert b"MODSEQ (" in fetches(lines)[1], lines
    lines, _ = a.cmd("STATUS Cond (HIGHESTMODSEQ)")
    assert b"HIGHESTMODSEQ %d" % modseq_of(seen[2]) in lines[0], lines
    a.cmd("FETCH 1 (MODSEQ) (CHANGEDSINCE x)", expect=b"BAD")
    a.close()
    b.close()


@tap.test
def condstore_implicit_and_unchangedsince():
    a, b = Raw(), Raw()
    # SELECT (CONDSTORE) enables it without ENABLE.
    lines, _ = a.cmd("SELECT Cond (CONDSTORE)")
    highest = code(lines, rb"HIGHESTMODSEQ")
    b.cmd("SELECT Cond")
    b.cmd("STORE 1 +FLAGS (\\Seen)")
    # Message 1 changed after `highest`: it fails, 2 and 3 are stored
    # and told with MODSEQ even for .SILENT.
    lines, tagged = a.cmd("STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS.SILENT "
                          "(\\Answered)" % highest)
    assert b"OK [MODIFIED 1]" in tagged, tagged
    told = fetches(lines)
    assert 2 in told and 3 in told and b"FLAGS" not in told[2], lines
    assert modseq_of(told[3]) > highest, lines
    # b's change, if its notice arrived already, is told first.
    assert 1 not in told or b"\\Seen" in told[1], lines
    lines, _ = a.cmd("FETCH 1:3 (FLAGS)")
    flags = fetches(lines)
    assert b"\\Answered" not in flags[1] and b"\\Answered" in flags[3]
    # UID STORE names UIDs; UNCHANGEDSINCE 0 always fails.
    lines, tagged = a.cmd("UID STORE 2:3 (UNCHANGEDSINCE 0) +FLAGS "
                          "(\\Draft)")
    assert b"OK [MODIFIED 2:3]" in tagged and fetches(lines) == {}, tagged
    now = modseq_of(flags[3])
    lines, tagged = a.cmd("UID STORE 3 (UNCHANGEDSINCE %d) FLAGS "
                          "(\\Draft)" % now)
    assert b"MODIFIED" not in tagged, tagged
    assert b"\\Draft" in fetches(lines)[3], lines
    a.cmd("STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)", expect=b"BAD")
    a.close()
    b.close()


@tap.test
def search_modseq():
    a = Raw()
    lines, _ = a.cmd("SELECT Cond")
    lines, _ = a.cmd("FETCH 1:3 (MODSEQ)")
    modseqs = {n: modseq_of(d) for n, d in fetches(lines).items()}
    low = min(modseqs.values())
    lines, _ = a.cmd("SEARCH MODSEQ %d" % (low + 1))
    want = [n for n in sorted(modseqs) if modseqs[n] >= low + 1]
    assert lines == [b"* SEARCH %s (MODSEQ %d)"
                     % (b" ".join(b"%d" % n for n in want),
                        max(modseqs.values()))], lines
    # The entry name and type are parsed, not matched.
    lines, _ = a.cmd('UID SEARCH MODSEQ "/flags/\\\\draft" all 1')
    assert lines[0].startswith(b"* SEARCH 1 2 3 (MODSEQ "), lines
    lines, _ = a.cmd("SEARCH MODSEQ 9999999999")
    assert lines == [b"* SEARCH"], lines
    a.cmd('SEARCH MODSEQ "/flags/\\\\draft" mine 1', expect=b"BAD")
    a.close()


@tap.test
def esearch_return_options():
    a = Raw()
    folder_with(a, "Esearch", 6)
    a.cmd("SELECT Esearch")
    a.cmd("STORE 1:3,5 +FLAGS (\\Flagged)")
    lines, _ = a.cmd("SEARCH RETURN (MIN MAX COUNT ALL) FLAGGED")
    tag = b"r%d" % a.n
    assert lines == [b'* ESEARCH (TAG "%s") MIN 1 MAX 5 COUNT 4 ALL 1:3,5'
                     % tag], lines
    lines, _ = a.cmd("UID SEARCH RETURN () FLAGGED")
    assert lines == [b'* ESEARCH (TAG "r%d") UID ALL 1:3,5' % a.n], lines
    lines, _ = a.cmd("UID SEARCH RETURN (COUNT MIN) DELETED")
    assert lines == [b'* ESEARCH (TAG "r%d") UID COUNT 0' % a.n], lines
    lines, _ = a.cmd("SEARCH RETURN (MAX) CHARSET UTF-8 UNFLAGGED")
    assert lines == [b'* ESEARCH (TAG "r%d") MAX 6' % a.n], lines
    a.cmd("SEARCH RETURN (BOGUS) ALL", expect=b"BAD")
    # SAVE alone answers nothing; "$" is the saved result.
    lines, _ = a.cmd("SEARCH RETURN (SAVE) FLAGGED")
    assert lines == [], lines
    lines, _ = a.cmd("FETCH $ (UID)")
    assert sorted(fetches(lines)) == [1, 2, 3, 5], lines
    lines, _ = a.cmd("SEARCH RETURN (SAVE MIN) UNFLAGGED")
    assert lines == [b'* ESEARCH (TAG "r%d") MIN 4' % a.n], lines
    lines, _ = a.cmd("UID SEARCH UID $")
    assert lines == [b"* SEARCH 4"], lines
    # IMAP4rev2 answers plain SEARCH with ESEARCH.
    a.cmd("ENABLE IMAP4rev2")
    lines, _ = a.cmd("SEARCH FLAGGED")
    assert lines == [b'* ESEARCH (TAG "r%d") ALL 1:3,5' % a.n], lines
    a.close()
    m = imaps()
    assert b"ESEARCH" in ok(m.capability())[0]
    m.logout()


def qresync_session(folder):
    raw = Raw()
    lines, _ = raw.cmd("ENABLE QRESYNC")
    assert lines == [b"* ENABLED QRESYNC"], lines
    lines, _ = raw.cmd("SELECT " + folder)
    return raw, code(lines, rb"UIDVALIDITY"), code(lines, rb"HIGHESTMODSEQ")


@tap.test
def qresync_select_after_expunge_elsewhere():
    b = Raw()
    folder_with(b, "Qres", 6)
    a, uidvalidity, before = qresync_session("Qres")
    b.cmd("SELECT Qres")
    b.cmd("STORE 2,4 +FLAGS (\\Deleted)")
    b.cmd("EXPUNGE")
    b.cmd("UID STORE 5 +FLAGS (\\Seen)")  # number 3 now
    # Selecting again closes the old one first, then resynchronises.
    lines, tagged = a.cmd("SELECT Qres (QRESYNC (%d %d 1:6))"
                          % (uidvalidity, before))
    assert lines[0].startswith(b"* OK [CLOSED]"), lines
    assert b"* VANISHED (EARLIER) 2,4" in lines, lines
    changed = fetches(lines)
    assert list(changed) == [3], lines
    assert b"UID 5" in changed[3] and b"\\Seen" in changed[3], lines
    assert b"MODSEQ" in changed[3], lines
    vanished = lines.index(b"* VANISHED (EARLIER) 2,4")
    assert vanished < [i for i, l in enumerate(lines)
                       if b" FETCH " in l][0], lines
    # Without known UIDs, with sequence matches, another UIDVALIDITY.
    lines, _ = a.cmd("EXAMINE Qres (QRESYNC (%d %d))"
                     % (uidvalidity, before))
    assert b"* VANISHED (EARLIER) 2,4" in lines, lines
    lines, _ = a.cmd("SELECT Qres (QRESYNC (%d %d 1:6 (1:6 1:6)))"
                     % (uidvalidity, before))
    assert b"* VANISHED (EARLIER) 2,4" in lines, lines
    lines, _ = a.cmd("SELECT Qres (QRESYNC (%d %d))"
                     % (uidvalidity + 1, before))
    assert not [l for l in lines if b"VANISHED" in l or b"FETCH" in l]
    # UID FETCH (CHANGEDSINCE n VANISHED): VANISHED comes first.
    lines, _ = a.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)"
                     % before)
    assert lines[0] == b"* VANISHED (EARLIER) 2,4", lines
    assert list(fetches(lines)) == [3], lines
    # Without the storage's expunge log every missing UID of the set
    # counts, narrowed by the sequence-number/UID pairs that still match.
    os.remove(Server.get().maildir(USER, ".Qres/raven-expunged"))
    lines, _ = a.cmd("SELECT Qres (QRESYNC (%d %d 1:6))"
                     % (uidvalidity, before))
    assert b"* VANISHED (EARLIER) 2,4" in lines, lines
    lines, _ = a.cmd("SELECT Qres (QRESYNC (%d %d 1:6 (1,3 1,5)))"
                     % (uidvalidity, before))
    assert not [l for l in lines if b"VANISHED" in l], lines
    lines, _ = a.cmd("SELECT Qres (QRESYNC (%d %d 1:6 (1:2 1:2)))"
                     % (uidvalidity, before))
    assert b"* VANISHED (EARLIER) 2,4" in lines, lines
    a.cmd("FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % before,
          expect=b"BAD")
    a.cmd("UID FETCH 1:* (FLAGS) (VANISHED)", expect=b"BAD")
    # QRESYNC needs ENABLE QRESYNC.
    b.cmd("SELECT Qres (QRESYNC (%d %d))" % (uidvalidity, before),
          expect=b"BAD")
    a.close()
    b.close()


@tap.test
def qresync_vanished_instead_of_expunge():
    a, _, _ = qresync_session("Qres")
    b = Raw()
    b.cmd("SELECT Qres")
    b.cmd("UID STORE 6 +FLAGS (\\Deleted)")
    b.cmd("EXPUNGE")
    lines = a.noop_until(lambda ls: any(b"VANISHED" in l for l in ls))
    assert b"* VANISHED 6" in lines, lines
    assert not [l for l in lines if b"EXPUNGE" in l], lines
    # Its own expunge too, with the new HIGHESTMODSEQ in the tagged OK.
    a.cmd("UID STORE 1 +FLAGS.SILENT (\\Deleted)")
    lines, tagged = a.cmd("EXPUNGE")
    assert lines == [b"* VANISHED 1"], lines
    assert code([tagged], rb"HIGHESTMODSEQ") > 0, tagged
    # MOVE as well.
    lines, _ = a.cmd("UID MOVE 3 INBOX")
    assert b"* VANISHED 3" in lines, lines
    a.close()
    b.close()


@tap.test
def utf8_accept_names():
    a = Raw()
    lines, _ = a.cmd("ENABLE UTF8=ACCEPT")
    assert lines == [b"* ENABLED UTF8=ACCEPT"], lines
    name = "\u00c4pfel-utf8".encode()
    a.cmd(b'CREATE "' + name + b'"')
    a.cmd(b'SELECT "' + name + b'"')
    lines, _ = a.cmd('LIST "" "*utf8"')
    assert lines == [b'* LIST (\\HasNoChildren) "/" "' + name + b'"'], lines
    # APPEND's UTF8 data item (a literal8).
    msg = "Subject: \u00e4pfel\r\n\r\nutf8 body\r\n".encode()
    append = b"APPEND \"%s\" UTF8 (~{%d+}\r\n%s)" % (name, len(msg), msg)
    a.cmd(append)
    lines, _ = a.cmd("FETCH 1 (BODY.PEEK[])")
    assert msg.rstrip(b"\r\n") in b"\r\n".join(lines), lines
    b = Raw()
    lines, _ = b.cmd('LIST "" "*utf8"')
    assert b'"&AMQ-pfel-utf8"' in lines[0], lines
    b.cmd(append.replace(b'"' + name + b'"', b"&AMQ-pfel-utf8"),
          expect=b"BAD")
    a.cmd(b'DELETE "' + name + b'"')
    a.close()
    b.close()


MBSYNCRC = """IMAPAccount raven
Host 127.0.0.1
Port {port}
User {user}
Pass "{password}"
SSLType IMAPS
CertificateFile {cert}

IMAPStore far
Account raven

MaildirStore near
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel sync
Far :far:
Near :near:
Patterns INBOX
Create Both
Expunge Both
SyncState *
"""


def mbsync(rc):
    p = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True,
                       timeout=TIMEOUT * 3, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, (p.stdout, p.stderr)


@tap.test
def mbsync_syncs_both_ways():
    if shutil.which("mbsync") is None:
        ravenlib.skip("no mbsync (Debian package isync)")
    daemon = Server.get()
    work = os.path.join(daemon.dir, "mbsync")
    local = os.path.join(work, "local")
    os.makedirs(local)
    rc = os.path.join(work, "mbsyncrc")
    with open(rc, "w") as f:
        f.write(MBSYNCRC.format(port=Server.ports["imaps"], user=USER,
                                password=PASSWORD, local=local,
                                cert=os.path.join(daemon.dir, "var", "tls",
                                                  "cert.pem")))
    deliver("to-the-near-side")
    mbsync(rc)
    near = []
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(local, "INBOX", sub)):
            with open(os.path.join(local, "INBOX", sub, name), "rb") as f:
                near.append(f.read())
    assert any(b"Subject: to-the-near-side" in m for m in near), len(near)
    # A message made on the near side goes up on the next sync.
    name = "%d.mbsynctest.local" % int(time.time())
    with open(os.path.join(local, "INBOX", "new", name), "wb") as f:
        f.write(b"From: demo@example.test\r\nSubject: from-the-near-side"
                b"\r\n\r\nmade by mbsync\r\n")
    mbsync(rc)
    m = imaps()
    ok(m.select("INBOX"))
    found = ok(m.search(None, "SUBJECT", "from-the-near-side"))
    assert found and found[0], found
    m.logout()


@tap.test
def mutt_reads_a_message():
    if shutil.which("mutt") is None or shutil.which("script") is None:
        ravenlib.skip("no mutt or script")
    daemon = Server.get()
    deliver("for-mutt", b"read by mutt\r\n")
    work = os.path.join(daemon.dir, "mutt")
    os.makedirs(work)
    rc, out = os.path.join(work, "muttrc"), os.path.join(work, "out")
    with open(rc, "w") as f:
        f.write('set folder="imaps://%s:%s@127.0.0.1:%d/"\n'
                % (USER.replace("@", "%40"), PASSWORD.replace(" ", "%20"),
                   Server.ports["imaps"]))
        f.write('set spoolfile="+INBOX"\nset ssl_verify_host=no\n'
                'set certificate_file=%s\n'
                'set header_cache="" message_cachedir=""\n'
                'set wait_key=no mail_check=0 timeout=5 sort=date\n'
                % os.path.join(daemon.dir, "var", "tls", "cert.pem"))
    # mutt wants a terminal: script gives it one; the keys pipe the
    # newest message to a file and quit.
    keys = '<last-entry><pipe-message>cat > %s<enter><quit>' % out
    p = subprocess.run(["script", "-qec",
                        "mutt -F %s -e 'push \"%s\"'" % (rc, keys),
                        "/dev/null"],
                       capture_output=True, timeout=TIMEOUT * 3,
                       stdin=subprocess.DEVNULL,
                       env=dict(os.environ, TERM="xterm", HOME=work))
    assert p.returncode == 0, p.stdout[-500:]
    with open(out, "rb") as f:
        text = f.read()
    assert b"Subject: for-mutt" in text and b"read by mutt" in text, text


def append_raw(raw, folder, msg):
    raw.cmd(b"APPEND %s {%d+}\r\n%s" % (folder.encode(), len(msg), msg))


def fetch_text(raw, what):
    """One FETCH's response, literals included, as one byte string."""
    lines, _ = raw.cmd("FETCH 1 (%s)" % what)
    return b"\r\n".join(lines)


NESTED = (b"From: user@domain.org\r\n"
          b"Content-Type: message/rfc822\r\n"
          b"\r\n"
          b"From: sub@domain.org\r\n"
          b"Subject: submsg\r\n"
          b"Content-Type: multipart/digest; boundary=\"foo\"\r\n"
          b"\r\n"
          b"--foo\r\n"
          b"\r\n"
          b"From: m1@example.com\r\n"
          b"Subject: m1\r\n"
          b"\r\n"
          b"m1 body\r\n"
          b"--foo\r\n"
          b"X-Mime: m2 header\r\n"
          b"\r\n"
          b"From: m2@example.com\r\n"
          b"Subject: m2\r\n"
          b"\r\n"
          b"m2 body\r\n"
          b"--foo--\r\n")


@tap.test
def nested_message_section_numbers():
    # RFC 3501 6.4.5: the parts of a message/rfc822 part are those of the
    # message it encloses; a single-part message's body is its part 1.
    raw = Raw()
    raw.cmd("CREATE Nested")
    append_raw(raw, "Nested", NESTED)
    raw.cmd("SELECT Nested")
    inner = NESTED[NESTED.index(b"From: sub"):]
    text = fetch_text(raw, "BODY.PEEK[1]")
    assert b"{%d}" % len(inner) in text, text
    assert b"From: sub@domain.org" in text and b"m2 body" in text, text
    text = fetch_text(raw, "BODY.PEEK[1.HEADER]")
    assert b"Subject: submsg" in text and b"m1" not in text, text
    text = fetch_text(raw, "BODY.PEEK[1.1]")
    assert b"From: m1@example.com" in text and b"m2" not in text, text
    text = fetch_text(raw, "BODY.PEEK[1.2.MIME]")
    assert b"X-Mime: m2 header" in text and b"From" not in text, text
    text = fetch_text(raw, "BODY.PEEK[1.2.HEADER]")
    assert b"From: m2@example.com" in text and b"X-Mime" not in text, text
    text = fetch_text(raw, "BODY.PEEK[1.2.TEXT]")
    assert b"m2 body" in text and b"Subject" not in text, text
    # A message/rfc822 inside a single-part message/rfc822.
    raw.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")
    raw.cmd("EXPUNGE")
    x2 = (b"From: a@b\r\nContent-Type: message/rfc822\r\n\r\n"
          b"From: c@d\r\nContent-Type: message/rfc822\r\n\r\n"
          b"From: e@f\r\nSubject: deepest\r\n\r\nHello world\r\n")
    append_raw(raw, "Nested", x2)
    raw.cmd("SELECT Nested")
    text = fetch_text(raw, "BODY.PEEK[1.1]")
    assert b"From: e@f" in text and b"From: c@d" not in text, text
    text = fetch_text(raw, "BODY.PEEK[1.1.1]")
    assert b"Hello world" in text and b"From" not in text, text
    text = fetch_text(raw, "BODY.PEEK[1.1.HEADER]")
    assert b"Subject: deepest" in text and b"c@d" not in text, text
    lines, _ = raw.cmd("FETCH 1 BODYSTRUCTURE")
    assert lines[0].lower().count(b'"message" "rfc822"') == 2, lines
    raw.close()


@tap.test
def envelope_groups_routes_and_defaults():
    raw = Raw()
    raw.cmd("CREATE Envelope")
    append_raw(raw, "Envelope",
               b"From: user@domain (Real Name)\r\n"
               b"Sender: \r\n"
               b"To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\r\n"
               b"Cc: group:;\r\n"
               b"Bcc: <@route:x@y>\r\n"
               b"\r\nbody\r\n")
    raw.cmd("SELECT Envelope")
    lines, _ = raw.cmd("FETCH 1 ENVELOPE")
    me = b'("Real Name" NIL "user" "domain")'
    assert b"(NIL NIL (%s) (%s) (%s) (" % (me, me, me) in lines[0], lines
    assert (b'((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")'
            b'(NIL NIL "g2" "d2.org")(NIL NIL NIL NIL)'
            b'(NIL NIL "group2" NIL)(NIL NIL "g3" "d3.org")'
            b'(NIL NIL NIL NIL))') in lines[0], lines
    assert b'((NIL NIL "group" NIL)(NIL NIL NIL NIL))' in lines[0], lines
    assert b'((NIL "@route" "x" "y"))' in lines[0], lines
    raw.close()


@tap.test
def keywords_announced_in_flags():
    a, b = Raw(), Raw()
    a.cmd("CREATE Kw")
    msg = b"Subject: kw\r\n\r\nbody\r\n"
    a.cmd(b"APPEND Kw ($old) {%d+}\r\n%s" % (len(msg), msg))
    lines, _ = a.cmd("SELECT Kw")
    flags = [l for l in lines if l.startswith(b"* FLAGS")]
    assert flags and b"$old" in flags[0], lines
    perm = [l for l in lines if b"PERMANENTFLAGS" in l]
    assert perm and b"$old" in perm[0] and b"\\*" in perm[0], lines
    # Another session's keyword: FLAGS first, then the FETCH showing it.
    b.cmd("SELECT Kw")
    b.cmd("STORE 1 +FLAGS.SILENT ($other)")
    lines, _ = a.cmd("NOOP")
    at = [i for i, l in enumerate(lines)
          if l.startswith(b"* FLAGS") and b"$other" in l]
    fetch = [i for i, l in enumerate(lines) if b"FETCH" in l]
    assert at and fetch and at[0] < fetch[0], lines
    # Its own keyword too; a known one is not announced again.
    lines, _ = a.cmd("STORE 1 +FLAGS ($mine)")
    assert lines[0].startswith(b"* FLAGS") and b"$mine" in lines[0], lines
    lines, _ = a.cmd("STORE 1 -FLAGS ($old)")
    assert not [l for l in lines if l.startswith(b"* FLAGS")], lines
    a.close()
    b.close()


@tap.test
def next_noop_sees_other_sessions_changes():
    # Not only once the storage's change notification came in.
    a, b = Raw(), Raw()
    folder_with(a, "Sync", 2)
    a.cmd("SELECT Sync")
    b.cmd("SELECT Sync")
    for n in range(3):
        b.append("Sync", "more %d" % n)
        lines, _ = a.cmd("NOOP")
        assert b"* %d EXISTS" % (3 + n) in lines, (n, lines)
    b.cmd("NOOP")
    b.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.cmd("EXPUNGE")
    lines, _ = a.cmd("NOOP")
    assert b"* 1 EXPUNGE" in lines, lines
    b.cmd("MOVE 1 INBOX")
    lines, _ = a.cmd("CHECK")
    assert b"* 1 EXPUNGE" in lines, lines
    # MOVE into the same mailbox: the copy's EXISTS with the EXPUNGE, and
    # the copy is \Recent here, where it was seen first.
    lines, _ = a.cmd("MOVE 1 Sync")
    assert lines[-3:] == [b"* 1 EXPUNGE", b"* 3 EXISTS", b"* 1 RECENT"], \
        lines
    a.close()
    b.close()


@tap.test
def search_sent_keywords_nil_sets_headers_addresses():
    raw = Raw()
    raw.cmd("CREATE Srch")
    append_raw(raw, "Srch",
               b"Date: Sat, 24 Mar 2007 23:30:00 +0200\r\n"
               b"From: <user-from (comment)@ (comment) domain.org>\r\n"
               b"Subject: NiL\r\nX-Extra: hello\r\nX-Extra: another\r\n"
               b"\r\nbody\r\n")
    msg = b"Date: Sun, 25 Mar 2007 00:30:00 +0300\r\n\r\nx\r\n"
    raw.cmd(b"APPEND Srch ($Kw) {%d+}\r\n%s" % (len(msg), msg))
    raw.cmd("SELECT Srch")

    def search(keys):
        lines, _ = raw.cmd("SEARCH " + keys)
        return lines[0]
    # The Date: field's own day, whatever its zone.
    assert search("SENTON 24-mar-2007") == b"* SEARCH 1"
    assert search("SENTBEFORE 25-Mar-2007") == b"* SEARCH 1"
    assert search("SENTSINCE 25-MAR-2007") == b"* SEARCH 2"
    assert search("KEYWORD $kw") == b"* SEARCH 2"
    assert search("UNKEYWORD $Kw") == b"* SEARCH 1"
    assert search("SUBJECT NIL") == b"* SEARCH 1"
    assert search("UID 1:4294967295") == b"* SEARCH 1 2"
    lines, _ = raw.cmd("UID FETCH 1:4294967295 UID")
    assert len(lines) == 2, lines
    assert search('HEADER X-Extra "another"') == b"* SEARCH 1"
    assert search("FROM user-from@domain.org") == b"* SEARCH 1"
    raw.cmd("SEARCH SENTON 24-Foo-2007", expect=b"BAD")
    raw.close()


@tap.test
def atoms_with_open_bracket_and_store_after_expunge():
    a, b = Raw(), Raw()
    # '[' is an ATOM-CHAR: a name, not an unbalanced section.
    a.cmd("SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}", expect=b"NO")
    a.cmd("SELECT a[b", expect=b"NO")
    folder_with(a, "Gone", 3)
    a.cmd("SELECT Gone")
    b.cmd("SELECT Gone")
    b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)")
    b.cmd("EXPUNGE")
    # Number 2 is gone underneath a: the others are stored, and OK.
    lines, _ = a.cmd("STORE 1:3 +FLAGS (\\Flagged)")
    assert len(fetches(lines)) == 2, lines
    lines, _ = b.cmd("FETCH 1:* FLAGS")
    assert all(b"\\Flagged" in f for f in fetches(lines).values()), lines
    a.close()
    b.close()


BINARY_MSG = (b"From: a@b\r\nSubject: binary\r\nMime-Version: 1.0\r\n"
              b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
              b"--b\r\nContent-Type: text/plain\r\n"
              b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
              b"caf=C3=A9 =\r\nsoft  \r\nline=20\r\n"
              b"--b\r\nContent-Type: application/octet-stream\r\n"
              b"Content-Transfer-Encoding: base64\r\n\r\n"
              b"AAECA2hp\r\n"
              b"--b\r\nContent-Type: text/plain\r\n\r\n"
              b"plain\r\n"
              b"--b\r\nContent-Type: application/x-foo\r\n"
              b"Content-Transfer-Encoding: x-bogus\r\n\r\n"
              b"???\r\n"
              b"--b--\r\n")


@tap.test
def fetch_binary():
    # RFC 3516 / RFC 9051 6.4.5: decoded content, literal8 when it holds
    # NUL, BINARY.SIZE the decoded size, NO [UNKNOWN-CTE] when undecodable.
    m = imaps()
    caps = ok(m.capability())[0].split()
    assert b"BINARY" in caps, caps
    ok(m.create("Binary"))
    ok(m.append("Binary", None, None, BINARY_MSG))
    ok(m.select("Binary"))
    want = {"1": b"caf\xc3\xa9 soft\r\nline ", "2": b"\x00\x01\x02\x03hi",
            "3": b"plain", "": BINARY_MSG}
    for part, data in want.items():
        typ, resp = m.fetch("1", "(BINARY.PEEK[%s] BINARY.SIZE[%s])"
                                 % (part, part))
        assert typ == "OK" and resp[0][1] == data, (part, resp)
        head = resp[0][0]
        assert (b"~{" in head) == (b"\x00" in data), (part, head)
        assert b"BINARY.SIZE[%s] %d" % (part.encode(), len(data)) in \
            b"".join(x if isinstance(x, bytes) else b"".join(x)
                     for x in resp), (part, resp)
    typ, resp = m.fetch("1", "(BINARY.PEEK[2]<4.10>)")
    assert resp[0][1] == b"hi" and b"BINARY[2]<4> {2}" in resp[0][0], resp
    # A multipart section is sent as it is.
    typ, resp = m.fetch("1", "(BINARY.PEEK[]<0.7>)")
    assert resp[0][1] == b"From: a", resp
    assert b"\\Seen" not in b"".join(ok(m.fetch("1", "FLAGS")))
    typ, resp = m.fetch("1", "(BINARY[3])")
    assert typ == "OK" and b"\\Seen" in b"".join(ok(m.fetch("1", "FLAGS")))
    typ, resp = m.fetch("1", "(BINARY.PEEK[4])")
    assert typ == "NO" and b"UNKNOWN-CTE" in resp[0], (typ, resp)
    for bad in ("BINARY[1.HEADER]", "BINARY[1.MIME]", "BINARY.SIZE[1]<0.1>"):
        try:
            m.fetch("1", "(%s)" % bad)
            raise AssertionError(bad)
        except imaplib.IMAP4.error as e:
            assert "BAD" in str(e) or "Usage" in str(e), e
    m.logout()


@tap.test
def status_deleted_and_size():
    # RFC 9051 6.3.11: DELETED counts \\Deleted; SIZE (RFC 8438) is the
    # total of RFC822.SIZE.
    raw = Raw()
    lines, _ = raw.cmd("CAPABILITY")
    assert b" STATUS=SIZE" in lines[0], lines
    folder_with(raw, "Counted", 3)
    lines, _ = raw.cmd("STATUS Counted (DELETED)")
    assert lines == [b'* STATUS "Counted" (DELETED 0)'], lines
    raw.cmd("SELECT Counted")
    raw.cmd("STORE 1,3 +FLAGS.SILENT (\\Deleted)")
    raw.cmd("UNSELECT")
    lines, _ = raw.cmd("STATUS Counted (MESSAGES DELETED SIZE)")
    size = 3 * len(b"Subject: Counted 1\r\n\r\nbody\r\n")
    assert lines == [b'* STATUS "Counted" (MESSAGES 3 DELETED 2 SIZE %d)'
                     % size], lines
    raw.close()


@tap.test
def nil_is_an_atom_where_a_string_goes():
    # RFC 9051 grammar: NIL is an atom, so an astring "NIL", a LIST
    # pattern, a mailbox name and a keyword (imaptest "nil").
    raw = Raw()
    raw.cmd("CREATE nil")
    lines, _ = raw.cmd('LIST "" NIL')
    assert lines == [], lines
    lines, _ = raw.cmd('LIST "" nil')
    assert lines == [b'* LIST (\\HasNoChildren) "/" "nil"'], lines
    append_raw(raw, "nil", b"Subject: NiL\r\n\r\nnil\r\n")
    raw.cmd("SELECT nil")
    lines, _ = raw.cmd("SEARCH SUBJECT NIL")
    assert lines == [b"* SEARCH 1"], lines
    lines, _ = raw.cmd("SEARCH BODY nil")
    assert lines == [b"* SEARCH 1"], lines
    raw.cmd("STORE 1 +FLAGS NIL")
    lines, _ = raw.cmd("FETCH 1 FLAGS")
    assert b"FLAGS (\\Recent NIL)" in lines[-1], lines
    raw.close()


@tap.test
def recent_in_the_first_session_to_see_it():
    # RFC 3501 2.3.2: \Recent in one session only, the first to select
    # the mailbox read-write after the message came (imaptest "append",
    # "select", "copy", "search-flags").  EXAMINE shows but claims none;
    # STATUS RECENT counts those nobody claimed.
    a, b, c, d = Raw(), Raw(), Raw(), Raw()
    folder_with(a, "Fresh", 2)
    lines, _ = a.cmd("STATUS Fresh (RECENT)")
    assert lines == [b'* STATUS "Fresh" (RECENT 2)'], lines
    lines, _ = b.cmd("EXAMINE Fresh")
    assert b"* 2 RECENT" in lines, lines
    lines, _ = b.cmd("FETCH 1 FLAGS")
    assert lines == [b"* 1 FETCH (FLAGS (\\Recent))"], lines
    lines, _ = a.cmd("STATUS Fresh (RECENT)")
    assert lines == [b'* STATUS "Fresh" (RECENT 2)'], lines
    lines, _ = a.cmd("SELECT Fresh")
    assert b"* 2 RECENT" in lines, lines
    a.cmd("STORE 1 +FLAGS.SILENT (\\Seen)")
    assert a.cmd("SEARCH RECENT")[0] == [b"* SEARCH 1 2"]
    assert a.cmd("SEARCH NEW")[0] == [b"* SEARCH 2"]
    assert a.cmd("SEARCH OLD")[0] == [b"* SEARCH"]
    lines, _ = c.cmd("SELECT Fresh")
    assert b"* 0 RECENT" in lines, lines
    assert c.cmd("SEARCH OLD")[0] == [b"* SEARCH 1 2"]
    assert c.cmd("SEARCH RECENT")[0] == [b"* SEARCH"]
    lines, _ = c.cmd("FETCH 1:2 FLAGS")
    assert lines == [b"* 1 FETCH (FLAGS (\\Seen))",
                     b"* 2 FETCH (FLAGS ())"], lines
    lines, _ = a.cmd("STATUS Fresh (RECENT)")
    assert lines == [b'* STATUS "Fresh" (RECENT 0)'], lines
    # A new message: \Recent for the one that syncs first, here c.
    d.append("Fresh", "third")
    lines = c.noop_until(lambda lines: b"* 3 EXISTS" in lines)
    assert lines[-2:] == [b"* 3 EXISTS", b"* 1 RECENT"], lines
    lines, _ = c.cmd("FETCH 3 FLAGS")
    assert lines == [b"* 3 FETCH (FLAGS (\\Recent))"], lines
    lines = a.noop_until(lambda lines: b"* 3 EXISTS" in lines)
    assert lines[-2:] == [b"* 3 EXISTS", b"* 2 RECENT"], lines
    lines, _ = a.cmd("FETCH 3 FLAGS")
    assert lines == [b"* 3 FETCH (FLAGS ())"], lines
    # IMAP4rev2 has no \Recent, and such a session claims nothing.
    d.cmd("ENABLE IMAP4rev2")
    d.append("Fresh", "fourth")
    lines, _ = d.cmd("SELECT Fresh")
    assert not [x for x in lines if x.endswith(b" RECENT")], lines
    lines, _ = d.cmd("FETCH 4 FLAGS")
    assert lines == [b"* 4 FETCH (FLAGS ())"], lines
    lines, _ = b.cmd("STATUS Fresh (RECENT)")
    assert lines[-1] == b'* STATUS "Fresh" (RECENT 1)', lines
    for raw in (a, b, c, d):
        raw.close()


@tap.test
def lsub_parents_and_recursivematch():
    # RFC 3501 6.3.9: when "%" stops short of a subscribed mailbox, LSUB
    # shows its unsubscribed parent as \Noselect.  RFC 5258 3: RECURSIVEMATCH
    # alone is BAD; with SUBSCRIBED, a parent whose subscribed child no
    # pattern matches comes with CHILDINFO (imaptest "subscribe",
    # "listext").
    raw = Raw()
    for name in ("Branchy/Leaf", "Branchy/Sub/Deep", "Branchy/Both/Kid"):
        raw.cmd("CREATE " + name)
    for name in ("Branchy/Leaf", "Branchy/Sub/Deep", "Branchy/Both",
                 "Branchy/Both/Kid"):
        raw.cmd("SUBSCRIBE " + name)
    lines, _ = raw.cmd('LSUB "" Branchy/%')
    assert sorted(lines) == [b'* LSUB () "/" "Branchy/Both"',
                             b'* LSUB () "/" "Branchy/Leaf"',
                             b'* LSUB (\\Noselect) "/" "Branchy/Sub"'], lines
    lines, _ = raw.cmd('LSUB "" Branch%')
    assert lines == [b'* LSUB (\\Noselect) "/" "Branchy"'], lines
    lines, _ = raw.cmd('LSUB "" Branchy/*')
    assert len(lines) == 4 and b"Noselect" not in b"".join(lines), lines
    raw.cmd('LIST (RECURSIVEMATCH) "" *', expect=b"BAD")
    raw.cmd('LIST (RECURSIVEMATCH REMOTE) "" *', expect=b"BAD")
    lines, _ = raw.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" Branchy/%')
    assert sorted(lines) == [
        b'* LIST (\\HasChildren \\Subscribed) "/" "Branchy/Both"',
        b'* LIST (\\HasChildren) "/" "Branchy/Sub" '
        b'("CHILDINFO" ("SUBSCRIBED"))',
        b'* LIST (\\HasNoChildren \\Subscribed) "/" "Branchy/Leaf"'], lines
    # The child matched too: no CHILDINFO for its parent.
    lines, _ = raw.cmd(
        'LIST (SUBSCRIBED RECURSIVEMATCH) "" (Branchy/Sub Branchy/Sub/Deep)')
    assert lines == [
        b'* LIST (\\HasNoChildren \\Subscribed) "/" "Branchy/Sub/Deep"'], \
        lines
    lines, _ = raw.cmd('LIST (SUBSCRIBED) "" Branchy/%')
    assert len(lines) == 2 and b"CHILDINFO" not in b"".join(lines), lines
    raw.close()


@tap.test
def condstore_enabled_while_selected_tells_highestmodseq():
    # RFC 7162 3.1: the first CONDSTORE enabling command with a mailbox
    # selected answers "* OK [HIGHESTMODSEQ n]" too (imaptest
    # "esearch-condstore"); later ones do not repeat it.
    setup = Raw()
    folder_with(setup, "Late", 1)
    setup.close()
    for command in ("FETCH 1 MODSEQ", "ENABLE CONDSTORE",
                    "SEARCH MODSEQ 1", "STATUS INBOX (HIGHESTMODSEQ)"):
        raw = Raw()
        lines, _ = raw.cmd("SELECT Late")
        highest = code(lines, rb"HIGHESTMODSEQ")
        lines, _ = raw.cmd(command)
        assert b"* OK [HIGHESTMODSEQ %d] Highest" % highest in lines, \
            (command, lines)
        lines, _ = raw.cmd(command)
        assert not [x for x in lines if b"[HIGHESTMODSEQ" in x], lines
        raw.close()


@tap.test
def expunge_tells_what_another_session_just_expunged():
    # Not only once the storage's notice came in (imaptest "expunge",
    # which failed about one run in two).
    a, b = Raw(), Raw()
    folder_with(a, "Twice", 2)
    for n in range(5):
        a.append("Twice", "more %d" % n)
        a.cmd("SELECT Twice")
        b.cmd("SELECT Twice")
        a.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")
        b.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)")
        lines, _ = a.cmd("EXPUNGE")
        assert lines == [b"* 1 EXPUNGE"], lines
        lines, _ = b.cmd("EXPUNGE")
        assert b"* 1 EXPUNGE" in lines, (n, lines)
    a.close()
    b.close()


@tap.test
def stop():
    if Server.daemon is not None:
        assert Server.daemon.stop() == 0
        Server.daemon.cleanup()


tap.run()
