# test_queue.py: the outbound queue: mail submitted for other servers
# reaches scripted peers (smtppeer.py) through `routes`, with retries,
# TLS policy, delay and bounce reports in the sender's INBOX, DSN NOTIFY,
# and `ravenctl queue list | flush | remove`.
# SPDX-License-Identifier: MIT

import os
import re
import smtplib
import sys
import time

sys.dont_write_bytecode = True  # the source tree may be read-only
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ravenlib  # noqa: E402
import smtppeer  # noqa: E402
from ravenlib import DOMAIN, HOST  # noqa: E402

tap = ravenlib.Tap()
PASSWORD = "correct horse battery"
ALICE = "alice@" + DOMAIN
SMALL = "small@" + DOMAIN  # a tiny quota
WAIT = ravenlib.TIMEOUT * 2


def peer(**kw):
    return smtppeer.Peer(**kw).start()


def flaky_rcpt(address, n):
    return "451 4.3.0 try again later" if n == 1 else "250 2.1.5 ok"


class Peers(dict):
    """The scripted peers by domain, stopped together at the end."""

    def stop(self):
        for p in self.values():
            p.stop()


PEERS = Peers()


def make_main(ports):
    tls = []  # the daemon's own certificate, once it exists
    PEERS.update({
        "ok.test": peer(),
        "plain.test": peer(capabilities=("8BITMIME",)),
        "flaky.test": peer(rcpt=flaky_rcpt),
        "nouser.test": peer(rcpt=lambda a, n:
                            "550 5.1.1 <%s>: no such user" % a),
        "full.test": peer(data=lambda m, n:
                          "552 5.2.2 mailbox full, try next week"),
        "tlsreq.test": peer(),
        # injects a line after its 220 to STARTTLS, in the same packet
        "inject.test": peer(certificate=lambda: tls[0],
                            starttls_reply="220 go\r\n250 injected"),
    })
    routes = {domain: p.route() for domain, p in PEERS.items()}
    routes["down.test"] = "%s:%d" % (HOST, ravenlib.free_port())
    plugins = {"maildir": {}, "smtp": {
        "listen": ravenlib.listen(ports, ("mx", {"role": "mx"}),
                                  ("submission", {"role": "submission"})),
        "routes": routes,
        "outbound_tls": {"tlsreq.test": "require",
                         "inject.test": "require"},
        "outbound_timeout": "5s",
    }}
    daemon = ravenlib.Daemon(
        plugins, users={ALICE: PASSWORD, SMALL: PASSWORD},
        extra={"queue": {"retry_first": "1s", "retry_max": "1s",
                         "delay_warning": "2s",
                         "max_queue_lifetime": "6s"}})
    folder = os.path.join(daemon.data_dir, "tls")
    tls.append((os.path.join(folder, "cert.pem"),
                os.path.join(folder, "key.pem")))
    daemon.ctl("user", "quota", SMALL, "2K")
    return daemon


MAIN = ravenlib.LazyDaemon(make_main)


def submit(rcpt, body="Hello there.\r\n", subject="test", rcpt_options=()):
    """Send as alice through submission (STARTTLS + AUTH PLAIN)."""
    daemon = MAIN.get()
    message = ("From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\n%s"
               % (ALICE, rcpt, subject, body))
    with smtplib.SMTP(HOST, MAIN.port("submission"),
                      timeout=ravenlib.TIMEOUT) as s:
        s.starttls(context=ravenlib.tls_context())
        s.login(ALICE, PASSWORD)
        s.sendmail(ALICE, [rcpt], message.encode(),
                   rcpt_options=list(rcpt_options))
    return daemon


def inbox(subject_word, count=1, timeout=WAIT):
    """The reports in alice's INBOX whose text holds `subject_word`."""
    daemon = MAIN.get()

    def found():
        out = []
        for path in daemon.messages(ALICE):
            with open(path, "rb") as f:
                text = f.read().decode(errors="replace")
            if subject_word in text:
                out.append(text)
        return out
    assert ravenlib.wait_for(lambda: len(found()) >= count, timeout=timeout), \
        "no report with %r in alice's INBOX:\n%s" % (subject_word,
                                                    daemon.log()[-3000:])
    return found()


def queue_list():
    return MAIN.get().ctl("queue", "list")


def queue_ids(text):
    return re.findall(r"^([0-9A-F]{16,}) ", text, re.M)


@tap.test
def delivered_with_dot_stuffing():
    body = ".leading dot\r\n..two dots\r\nlast line\r\n"
    submit("bob@ok.test", body=body, subject="dots")
    msg = PEERS["ok.test"].wait_messages(1)[0]
    assert msg.sender.startswith("MAIL FROM:<%s>" % ALICE), msg.sender
    assert msg.rcpts[0].startswith("RCPT TO:<bob@ok.test>"), msg.rcpts
    assert b"\r\n.leading dot\r\n..two dots\r\nlast line\r\n" in msg.data
    raw = bytes(PEERS["ok.test"].raw[-1])
    assert b"\r\n..leading dot\r\n...two dots\r\n" in raw
    assert raw.count(b"\r\n.\r\n") == 1
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"Received: from" in msg.data
    # Sent: the queue forgets it.
    assert ravenlib.wait_for(lambda: "the queue is empty" in queue_list())


@tap.test
def retried_after_451():
    submit("carol@flaky.test", subject="flaky")
    # The first attempt is deferred with the peer's reply and a next try.
    assert ravenlib.wait_for(lambda: "451 4.3.0" in queue_list()), \
        queue_list()
    listing = queue_list()
    assert "carol@flaky.test: 451 4.3.0 try again later" in listing, listing
    assert "next attempt" in listing or "being delivered" in listing
    msg = PEERS["flaky.test"].wait_messages(1)[0]
    assert b"Subject: flaky" in msg.data
    assert ravenlib.wait_for(lambda: "the queue is empty" in queue_list())


@tap.test
def bounce_for_unknown_user():
    submit("nobody@nouser.test", subject="to nobody")
    report = inbox("nobody@nouser.test")[0]
    assert "Return-Path: <>" in report
    assert "Subject: Undelivered Mail Returned to Sender" in report
    assert ("Your message to nobody@nouser.test could not be delivered: "
            "the address does not exist.") in report
    assert "Status: 5.1.1" in report
    assert "Action: failed" in report
    assert ("Diagnostic-Code: smtp; 550 5.1.1 <nobody@nouser.test>: "
            "no such user") in report
    assert "Subject: to nobody" in report  # the original's header


@tap.test
def bounce_for_mailbox_full():
    submit("dave@full.test", subject="to dave")
    report = inbox("dave@full.test")[0]
    assert "the recipient's mailbox is full." in report
    assert "Status: 5.2.2" in report


@tap.test
def notify_never_means_no_bounce():
    submit("erin@nouser.test", subject="quiet", rcpt_options=["NOTIFY=NEVER"])
    daemon = MAIN.get()
    assert ravenlib.wait_for(lambda: "erin@nouser.test failed" in
                             daemon.log().replace("delivery to ", ""))
    time.sleep(0.5)
    assert not [p for p in daemon.messages(ALICE)
                if b"erin@nouser.test" in open(p, "rb").read()]


@tap.test
def success_report_when_asked():
    with smtplib.SMTP(HOST, MAIN.port("mx"), timeout=ravenlib.TIMEOUT) as s:
        s.sendmail(ALICE, [ALICE], b"From: alice@example.test\r\n"
                   b"Subject: confirm me\r\n\r\nhi\r\n",
                   rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
    report = inbox("Successful Mail Delivery Report")[0]
    assert "Your message to %s was delivered." % ALICE in report
    assert "Action: delivered" in report


@tap.test
def delay_warning_then_expiry():
    submit("frank@down.test", subject="to frank")
    delayed = inbox("Delayed Mail", timeout=WAIT)[0]
    assert ("Your message to frank@down.test has not been delivered yet. "
            "Raven is still trying") in delayed
    assert "Action: delayed" in delayed
    failed = [r for r in inbox("frank@down.test", count=2, timeout=WAIT)
              if "Undelivered Mail" in r][0]
    assert "Status: 4.4.7" in failed
    assert "Raven gave up" in failed
    assert "connection refused" in failed.lower() or \
        "could not connect" in failed.lower(), failed


@tap.test
def tls_required_but_not_offered():
    submit("gina@tlsreq.test", subject="needs tls")
    assert ravenlib.wait_for(lambda: "gina@tlsreq.test: " in queue_list()
                             and "TLS" in queue_list()), queue_list()
    assert not PEERS["tlsreq.test"].messages
    ids = queue_ids(queue_list())
    assert ids, queue_list()
    flushed = MAIN.get().ctl("queue", "flush")
    assert "tried again now" in flushed
    # Removing it is refused while an attempt runs; then it is gone.
    assert ravenlib.wait_for(lambda: "next attempt" in queue_list())
    for _ in range(50):
        p = MAIN.get().ctl("queue", "remove", ids[0], check=False)
        if "removed" in p:
            break
        time.sleep(0.1)
    assert "removed %s" % ids[0] in p, p
    assert ids[0] not in queue_list()
    err = MAIN.get().ctl("queue", "remove", ids[0], check=False)
    assert "removed" not in err


@tap.test
def starttls_injection_is_ignored():
    submit("hank@inject.test", subject="over tls")
    msg = PEERS["inject.test"].wait_messages(1)[0]
    assert msg.tls
    assert b"Subject: over tls" in msg.data


@tap.test
def local_quota_failure_bounces():
    daemon = MAIN.get()
    big = "x" * 70 + "\r\n"
    with smtplib.SMTP(HOST, MAIN.port("mx"), timeout=ravenlib.TIMEOUT) as s:
        s.sendmail(ALICE, [SMALL], ("From: %s\r\nTo: %s\r\nSubject: big\r\n"
                                    "\r\n%s" % (ALICE, SMALL, big * 100))
                   .encode())
    report = inbox(SMALL)[0]
    assert "the recipient's mailbox is full." in report
    assert "Status: 5.2.2" in report
    assert not daemon.messages(SMALL)


@tap.test
def local_mail_needs_no_spool_file():
    daemon = MAIN.get()
    with smtplib.SMTP(HOST, MAIN.port("mx"), timeout=ravenlib.TIMEOUT) as s:
        s.ehlo()
        s.mail(ALICE)
        s.rcpt(ALICE)
        code, text = s.data(b"From: alice@example.test\r\n"
                            b"Subject: direct\r\n\r\nstored first\r\n")
    assert code == 250, (code, text)
    queue_id = text.decode().split()[-1]
    # Stored before the 250, and never written to the spool.
    assert [p for p in daemon.messages(ALICE)
            if b"stored first" in open(p, "rb").read()]
    assert not os.path.exists(os.path.join(daemon.data_dir, "spool",
                                           queue_id))
    assert ravenlib.wait_for(
        lambda: "%s: delivered to %s" % (queue_id, ALICE) in daemon.log())


@tap.test
def no_report_on_a_report():
    daemon = MAIN.get()
    big = "y" * 70 + "\r\n"
    with smtplib.SMTP(HOST, MAIN.port("mx"), timeout=ravenlib.TIMEOUT) as s:
        s.sendmail("<>", [SMALL], ("From: x@remote.test\r\nSubject: nb\r\n"
                                   "\r\n%s" % (big * 100)).encode())
    assert ravenlib.wait_for(lambda: "no report on a report" in daemon.log())


@tap.test
def relay_refused_without_auth():
    for name in ("mx", "submission"):
        with smtplib.SMTP(HOST, MAIN.port(name),
                          timeout=ravenlib.TIMEOUT) as s:
            s.ehlo()
            code, _ = s.mail(ALICE)
            if code == 250:
                code, text = s.rcpt("bob@ok.test")
                assert code == 554 and b"5.7.1" in text, (code, text)
            else:
                assert code == 530, code


@tap.test
def queue_survives_kill_9():
    # A deferred message, a SIGKILL, a restart: it still goes out, once.
    later = peer(rcpt=lambda a, n: "451 4.3.0 not yet" if n <= 2
                 else "250 2.1.5 ok")
    ports = {}
    daemon = ravenlib.Daemon(
        {"maildir": {}, "smtp": {
            "listen": ravenlib.listen(ports, ("submission", {"role":
                                                             "submission"})),
            "routes": {"later.test": later.route()}}},
        users={ALICE: PASSWORD},
        extra={"queue": {"retry_first": "1s", "retry_max": "1s"}})
    try:
        daemon.start()
        with smtplib.SMTP(HOST, ports["submission"],
                          timeout=ravenlib.TIMEOUT) as s:
            s.starttls(context=ravenlib.tls_context())
            s.login(ALICE, PASSWORD)
            s.sendmail(ALICE, ["ivy@later.test"], b"From: %s\r\n"
                       b"Subject: survivor\r\n\r\nhi\r\n" % ALICE.encode())
        assert ravenlib.wait_for(lambda: "451 4.3.0" in daemon.ctl(
            "queue", "list"))
        daemon.process.kill()
        daemon.process.wait(ravenlib.TIMEOUT)
        daemon._log.close()
        daemon.start()
        msg = later.wait_messages(1)[0]
        assert b"Subject: survivor" in msg.data
        assert ravenlib.wait_for(lambda: "the queue is empty" in daemon.ctl(
            "queue", "list"))
        time.sleep(1.5)  # no second copy comes after a retry period
        assert len(later.messages) == 1
    finally:
        daemon.cleanup()
        later.stop()


if __name__ == "__main__":
    tap.run(stop=[MAIN, PEERS])
