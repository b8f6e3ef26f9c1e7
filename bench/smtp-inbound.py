#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/smtp-inbound.py: inbound SMTP into Maildir, Raven against Postfix.

The same bounded load (Postfix's smtp-source: N messages of S bytes over C
parallel sessions) goes to a Raven and to a private Postfix instance on
loopback ports, each delivering into a Maildir; each run is timed from the
first connection until the last message is in the Maildir.  The servers run
in the order Postfix, Raven, Raven, Postfix, each after a sync of the disk;
prints the mean messages/second of each and the ratio.  Needs root and Debian's postfix
package (the script installs it when missing).

    bench/smtp-inbound.py [--messages 4000] [--sessions 20] [--size 2048]
"""
import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INST = os.path.join(TOP, "_inst")
DEADLINE = 600  # seconds for one run, whatever happens


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def count(maildir):
    total = 0
    for sub in ("new", "cur"):
        try:
            total += len(os.listdir(os.path.join(maildir, sub)))
        except FileNotFoundError:
            pass
    return total


def load(port, maildir, messages, sessions, size):
    """smtp-source, then wait for the Maildir: seconds taken."""
    start = time.time()
    subprocess.run(["smtp-source", "-s", str(sessions), "-m", str(messages),
                    "-l", str(size), "-c", "-f", "bench@remote.test",
                    "-t", "demo@example.test", f"127.0.0.1:{port}"],
                   check=True, timeout=DEADLINE, stdout=subprocess.DEVNULL)
    while count(maildir) < messages:
        if time.time() - start > DEADLINE:
            raise SystemExit(f"only {count(maildir)} of {messages} arrived")
        time.sleep(0.01)
    return time.time() - start


class Raven:
    def __init__(self, work):
        self.work = os.path.join(work, "raven")
        os.makedirs(self.work)
        self.port = free_port()
        self.config = os.path.join(self.work, "raven.yaml")
        with open(self.config, "w") as f:
            f.write(f"""server:
  hostname: bench.example.test
  data_dir: var
  log_level: warning
  max_connections_per_ip: 1000
domains: [example.test]
plugins:
  maildir: {{}}
  smtp:
    listen: [{{address: 127.0.0.1:{self.port}, role: mx}}]
""")
        subprocess.run([os.path.join(INST, "bin", "ravenctl"), "--config",
                        self.config, "user", "add", "demo@example.test"],
                       input=b"bench-password\n", check=True)
        self.maildir = os.path.join(self.work, "var", "mail", "example.test",
                                    "demo")
        self.log = open(os.path.join(self.work, "ravend.log"), "w")
        self.proc = subprocess.Popen([os.path.join(INST, "sbin", "ravend"),
                                      "--config", self.config],
                                     stderr=self.log)
        wait_port(self.port)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self.log.close()


class Postfix:
    """A private Postfix instance: its own config, queue and Maildir."""

    def __init__(self, work):
        self.work = os.path.join(work, "postfix")
        self.etc = os.path.join(self.work, "etc")
        os.makedirs(self.etc)
        self.port = free_port()
        mail = os.path.join(self.work, "mail")
        os.makedirs(mail)
        os.makedirs(os.path.join(self.work, "queue"))
        os.makedirs(os.path.join(self.work, "data"))
        pf = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.work, "data"), pf.pw_uid, pf.pw_gid)
        nobody = pwd.getpwnam("nobody")
        os.chown(mail, nobody.pw_uid, nobody.pw_gid)
        os.chmod(self.work, 0o755)
        os.chmod(work, 0o755)
        with open("/etc/postfix/master.cf") as f:
            master = [line for line in f
                      if not line.startswith("smtp      inet")]
        master.append(f"127.0.0.1:{self.port} inet n - n - - smtpd\n")
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.writelines(master)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {self.work}/queue
data_directory = {self.work}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.bench.test
mydestination =
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = example.test
virtual_mailbox_base = {mail}
virtual_mailbox_maps = static:example.test/demo/
virtual_uid_maps = static:{nobody.pw_uid}
virtual_gid_maps = static:{nobody.pw_gid}
maillog_file = {self.work}/maillog
maillog_file_prefixes = {self.work}
default_process_limit = 200
smtpd_client_connection_count_limit = 0
""")
        self.maildir = os.path.join(mail, "example.test", "demo")
        # postfix -c takes only folders the default instance lists.
        subprocess.run(["postconf", "-e",
                        f"alternate_config_directories = {self.etc}"],
                       check=True)
        subprocess.run(["postfix", "-c", self.etc, "check"], check=True)
        subprocess.run(["postfix", "-c", self.etc, "start"], check=True)
        wait_port(self.port)

    def stop(self):
        subprocess.run(["postfix", "-c", self.etc, "stop"], check=False)


def ensure_tools():
    if shutil.which("smtp-source") is None:
        subprocess.run("echo 'postfix postfix/main_mailer_type select "
                       "No configuration' | debconf-set-selections",
                       shell=True, check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postfix"],
                       check=True, env=dict(os.environ,
                                            DEBIAN_FRONTEND="noninteractive"))
    # postfix -c wants the default instance's main.cf to exist.
    if not os.path.exists("/etc/postfix/main.cf"):
        shutil.copy("/etc/postfix/main.cf.proto", "/etc/postfix/main.cf")
    if not os.path.exists(os.path.join(INST, "sbin", "ravend")):
        subprocess.run([os.path.join(TOP, "quickstart"), "build"], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=4000)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--size", type=int, default=2048)
    args = ap.parse_args()
    ensure_tools()
    results = {"postfix": [], "raven": []}
    # ABBA, each run on a fresh folder after the disk has settled, so that
    # neither server pays for the other's writeback.
    order = (("postfix", Postfix), ("raven", Raven), ("raven", Raven),
             ("postfix", Postfix))
    for name, server in order:
        work = tempfile.mkdtemp(prefix="raven-bench-")
        try:
            os.sync()
            time.sleep(1)
            s = server(work)
            try:
                secs = load(s.port, s.maildir, args.messages, args.sessions,
                            args.size)
                results[name].append(args.messages / secs)
            finally:
                s.stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"smtp-inbound: {args.messages} messages x {args.size} bytes, "
          f"{args.sessions} sessions, {os.cpu_count()} cores")
    mean = {}
    for name, rates in results.items():
        mean[name] = sum(rates) / len(rates)
        runs = " ".join(f"{r:.0f}" for r in rates)
        print(f"  {name:8s} {mean[name]:8.0f} messages/s  (runs: {runs})")
    print(f"  ratio raven/postfix: {mean['raven'] / mean['postfix']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
