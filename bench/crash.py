#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/crash.py: kill -9 ravend under load; no acknowledged message is lost.

Clients send numbered messages over SMTP and record every one answered with
250.  Meanwhile ravend is killed with SIGKILL at random moments and started
again.  At the end ravend runs until its spool is empty, and every Maildir
file is read: each acknowledged message must be there exactly once (a
message may appear without a 250 only if the client never saw the answer).

    bench/crash.py [--kills 20] [--clients 8] [--seconds-between 0.3-1.5]
"""
import argparse
import glob
import os
import random
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INST = os.path.join(TOP, "_inst")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, work):
        self.work = work
        self.port = free_port()
        self.config = os.path.join(work, "raven.yaml")
        with open(self.config, "w") as f:
            f.write(f"""server:
  hostname: crash.example.test
  data_dir: var
  log_level: warning
domains: [example.test]
plugins:
  maildir: {{}}
  smtp:
    listen: [{{address: 127.0.0.1:{self.port}, role: mx}}]
""")
        subprocess.run([os.path.join(INST, "bin", "ravenctl"), "--config",
                        self.config, "user", "add", "demo@example.test"],
                       input=b"crash-test\n", check=True)
        self.log = open(os.path.join(work, "ravend.log"), "a")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [os.path.join(INST, "sbin", "ravend"), "--config", self.config],
            stderr=self.log)
        end = time.time() + 20
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise SystemExit("ravend did not come back")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def client(port, ident, acked, sent, stop):
    n = 0
    while not stop.is_set():
        token = f"crash-{ident}-{n}"
        n += 1
        msg = (f"From: c{ident}@remote.test\r\nTo: demo@example.test\r\n"
               f"Subject: {token}\r\nMessage-ID: <{token}@remote.test>\r\n"
               f"\r\n{token}\r\n" + "x" * 500 + "\r\n")
        sent.add(token)
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
                s.sendmail(f"c{ident}@remote.test", ["demo@example.test"],
                           msg)
            acked.add(token)
        except (OSError, smtplib.SMTPException):
            time.sleep(0.05)


def spool_empty(work):
    return not [p for p in glob.glob(os.path.join(work, "var", "spool", "*"))
                if os.path.isfile(p)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="raven-crash-")
    d = Daemon(work)
    d.start()
    acked, sent, stop = set(), set(), threading.Event()
    threads = [threading.Thread(target=client,
                                args=(d.port, i, acked, sent, stop))
               for i in range(args.clients)]
    for t in threads:
        t.start()
    rng = random.Random(26112026)
    for _ in range(args.kills):
        time.sleep(rng.uniform(0.3, 1.5))
        d.kill()
        time.sleep(rng.uniform(0, 0.2))
        d.start()
    stop.set()
    for t in threads:
        t.join(30)
    end = time.time() + 120
    while not spool_empty(work) and time.time() < end:
        time.sleep(0.1)
    d.stop()
    counts = {}
    maildir = os.path.join(work, "var", "mail", "example.test", "demo")
    paths = (glob.glob(os.path.join(maildir, "new", "*")) +
             glob.glob(os.path.join(maildir, "cur", "*")))
    for path in paths:
        with open(path, "rb") as f:
            m = re.search(rb"Subject: (crash-\d+-\d+)", f.read())
        if m:
            token = m.group(1).decode()
            counts[token] = counts.get(token, 0) + 1
    lost = sorted(t for t in acked if counts.get(t, 0) == 0)
    twice = sorted(t for t in acked if counts.get(t, 0) > 1)
    unacked_stored = sum(1 for t in sent - acked if counts.get(t, 0) > 0)
    print(f"crash: {args.kills} kills, {len(sent)} sent, {len(acked)} "
          f"acknowledged, {sum(counts.values())} files in the Maildir")
    print(f"  acknowledged and lost: {len(lost)}")
    print(f"  acknowledged and stored twice: {len(twice)}")
    print(f"  stored without an acknowledgement (client cut off): "
          f"{unacked_stored}")
    ok = not lost and not twice
    print("PASS" if ok else f"FAIL lost={lost[:5]} twice={twice[:5]}")
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"  kept {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
