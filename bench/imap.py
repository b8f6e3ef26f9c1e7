#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/imap.py: IMAP reading, Raven's imap plugin against Dovecot.

A Raven and a private Dovecot instance (Debian's dovecot-imapd, its own
config, base_dir and port on 127.0.0.1) serve copies of the same Maildir of
N messages to the same user, and each server in turn (Dovecot, then Raven)
gets the same bounded measures, in this order:

  headers  one client fetches the headers of all N messages
           (FETCH 1:* BODY.PEEK[HEADER]) right after the first SELECT, and
           twice more; the first time and the best of the others;
  idle     K connections LOGIN and SELECT INBOX and stay open; the growth of
           the server's resident memory (RSS, and PSS, which counts shared
           pages once) divided by K -- Raven: the ravend process; Dovecot:
           all processes under its master, imap and imap-login included --
           and the CPU time the server spends in 10 s while they idle;
  mixed    C client processes each run S sessions of LOGIN, SELECT INBOX,
           FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE), FETCH of one random
           message BODY.PEEK[], STORE +FLAGS (\\Seen), SEARCH UNSEEN, LOGOUT;
           commands completed per second, the server's CPU time per
           command and the mean time of each command.

--deadline bounds the mixed load and the opening of the idle connections
of each server.  Prints both figures and the ratio Raven/Dovecot for each.
Needs root and Debian's dovecot-imapd (the script installs it when missing).

    bench/imap.py [--messages 1000] [--clients 10] [--sessions 50]
                  [--idle 2000] [--deadline 120]
"""
import argparse
import concurrent.futures
import multiprocessing
import os
import pwd
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INST = os.path.join(TOP, "_inst")
USER = "demo@example.test"
PASSWORD = "bench-password"
IO_TIMEOUT = 60  # seconds for any one IMAP reply
MAX_IDLE = 10000
LITERAL = re.compile(rb"\{(\d+)\}\r\n$")
FETCHED = re.compile(rb"\* (\d+) FETCH ")


class ImapError(Exception):
    pass


class Imap:
    """A minimal blocking IMAP client: one command at a time, no pipelining."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), IO_TIMEOUT)
        self.file = self.sock.makefile("rb")
        self.tag = 0
        self.times = {}  # label: [seconds, count]
        greeting = self.file.readline()
        if not greeting.startswith(b"* OK"):
            raise ImapError(f"greeting: {greeting!r}")

    def line(self):
        """One response line with its literals, if any, folded in."""
        data = self.file.readline()
        if not data:
            raise ImapError("connection closed by the server")
        while True:
            m = LITERAL.search(data)
            if not m:
                return data
            literal = self.file.read(int(m.group(1)))
            rest = self.file.readline()
            if not rest:
                raise ImapError("connection closed inside a literal")
            data += literal + rest

    def cmd(self, text, label=None):
        """Send one command; the untagged replies, or ImapError unless OK."""
        start = time.monotonic()
        untagged = self.exchange(text)
        t = self.times.setdefault(label or text.split()[0], [0.0, 0])
        t[0] += time.monotonic() - start
        t[1] += 1
        return untagged

    def exchange(self, text):
        self.tag += 1
        tag = b"b%d" % self.tag
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        untagged = []
        while True:
            data = self.line()
            if data.startswith(tag + b" "):
                if data.split(b" ", 2)[1].upper() != b"OK":
                    raise ImapError(f"{text.split()[0]}: {data!r}")
                return untagged
            untagged.append(data)

    def login_select(self):
        self.cmd(f'LOGIN "{USER}" "{PASSWORD}"')
        for data in self.cmd("SELECT INBOX"):
            m = re.match(rb"\* (\d+) EXISTS", data)
            if m:
                return int(m.group(1))
        raise ImapError("SELECT: no EXISTS")

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


# --- the Maildir -----------------------------------------------------------

WORDS = ("the mail server reads every message from the folder and answers "
         "each client quickly while the queue keeps moving along some lines "
         "of ordinary text about meetings reports invoices travel plans and "
         "weekly notes").split()


def make_messages(folder, n):
    """N messages of a few KiB with ordinary headers, as Maildir new/ files."""
    rnd = random.Random(1)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    base = 1_700_000_000
    for i in range(n):
        t = base + i * 37
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))
        sender = f"user{rnd.randrange(200)}@remote{rnd.randrange(9)}.test"
        subject = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 8)))
        lines = []
        for _ in range(rnd.randint(20, 80)):
            lines.append(" ".join(rnd.choice(WORDS)
                                  for _ in range(rnd.randint(6, 12))))
        body = "\r\n".join(lines) + "\r\n"
        text = (f"Return-Path: <{sender}>\r\n"
                f"Received: from mx.remote.test (mx.remote.test [192.0.2.{i % 250 + 1}])\r\n"
                f"\tby mx.example.test with ESMTPS id {i:08x}\r\n"
                f"\tfor <{USER}>; {date}\r\n"
                f"Date: {date}\r\n"
                f"From: \"User {i % 200}\" <{sender}>\r\n"
                f"To: Demo <{USER}>\r\n"
                + (f"Cc: team@example.test\r\n" if i % 3 == 0 else "")
                + f"Subject: {subject.capitalize()} #{i}\r\n"
                f"Message-ID: <{t}.{i}@remote.test>\r\n"
                + (f"In-Reply-To: <{t - 37}.{i - 1}@remote.test>\r\n"
                   if i % 4 == 1 else "")
                + "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n"
                "\r\n" + body)
        name = f"{t}.M{i}P4242.bench.example.test"
        with open(os.path.join(folder, "new", name), "wb") as f:
            f.write(text.encode())


# --- processes: memory and CPU ---------------------------------------------

def tree(root):
    """The pid ROOT and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def kib(path, key):
    try:
        with open(path) as f:
            for data in f:
                if data.startswith(key + ":"):
                    return int(data.split()[1])
    except OSError:
        pass
    return 0


def memory(root):
    """(RSS, PSS) in KiB summed over ROOT's process tree, and its size."""
    pids = tree(root)
    rss = sum(kib(f"/proc/{p}/status", "VmRSS") for p in pids)
    pss = sum(kib(f"/proc/{p}/smaps_rollup", "Pss") for p in pids)
    return rss, pss, len(pids)


def cpu_seconds(root):
    """CPU seconds of ROOT's process tree, exited children included."""
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # utime, stime, and cutime, cstime: those of exited children
            # (Dovecot's imap processes) the process has waited for.
            total += sum(int(x) for x in fields[11:15])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


# --- the servers -----------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


class Raven:
    name = "raven"

    def __init__(self, work, template, idle):
        self.work = os.path.join(work, "raven")
        os.makedirs(self.work)
        self.port = free_port()
        self.config = os.path.join(self.work, "raven.yaml")
        with open(self.config, "w") as f:
            f.write(f"""server:
  hostname: bench.example.test
  data_dir: var
  log_level: warning
  max_connections: {idle + 1000}
  max_connections_per_ip: {idle + 1000}
domains: [example.test]
plugins:
  maildir: {{}}
  imap:
    listen: [{{address: 127.0.0.1:{self.port}}}]
    allow_plaintext_auth: true
""")
        subprocess.run([os.path.join(INST, "bin", "ravenctl"), "--config",
                        self.config, "user", "add", USER],
                       input=(PASSWORD + "\n").encode(), check=True,
                       stdout=subprocess.DEVNULL)
        maildir = os.path.join(self.work, "var", "mail", "example.test",
                               "demo")
        shutil.copytree(template, maildir, dirs_exist_ok=True)
        self.logname = os.path.join(self.work, "ravend.log")
        self.log = open(self.logname, "w")
        self.proc = subprocess.Popen([os.path.join(INST, "sbin", "ravend"),
                                      "--config", self.config],
                                     stderr=self.log, stdout=self.log)
        self.pid = self.proc.pid
        wait_port(self.port, self.proc)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                print("  raven: ravend did not stop on SIGTERM in 30 s",
                      file=sys.stderr)
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Dovecot:
    """A private Dovecot instance: its own config, base_dir and Maildir."""
    name = "dovecot"

    def __init__(self, work, template, idle):
        self.work = os.path.join(work, "dovecot")
        os.makedirs(os.path.join(self.work, "run"))
        os.makedirs(os.path.join(self.work, "state"))
        os.chmod(work, 0o755)
        os.chmod(self.work, 0o755)
        self.port = free_port()
        nobody = pwd.getpwnam("nobody")
        home = os.path.join(self.work, "home")
        maildir = os.path.join(home, "Maildir")
        shutil.copytree(template, maildir)
        for folder, dirs, files in os.walk(home):
            for name in [folder] + [os.path.join(folder, x)
                                    for x in dirs + files]:
                os.chown(name, nobody.pw_uid, nobody.pw_gid)
        passwd = os.path.join(self.work, "passwd")
        with open(passwd, "w") as f:
            f.write(f"{USER}:{{PLAIN}}{PASSWORD}:{nobody.pw_uid}:"
                    f"{nobody.pw_gid}::{home}::\n")
        os.chmod(passwd, 0o644)
        limit = idle + 1000
        self.config = os.path.join(self.work, "dovecot.conf")
        with open(self.config, "w") as f:
            f.write(f"""base_dir = {self.work}/run
state_dir = {self.work}/state
instance_name = raven-bench-dovecot
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
log_path = {self.work}/dovecot.log
mail_location = maildir:{maildir}
first_valid_uid = {nobody.pw_uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
mail_max_userip_connections = {limit}
default_process_limit = {limit}
default_client_limit = {2 * limit}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  process_limit = {limit}
  client_limit = {limit}
}}
service imap {{
  process_limit = {limit}
}}
service anvil {{
  client_limit = {3 * limit}
}}
""")
        self.logname = os.path.join(self.work, "dovecot.log")
        self.proc = subprocess.Popen(["dovecot", "-c", self.config, "-F"],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid
        wait_port(self.port, self.proc)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        subprocess.run(["doveadm", "-c", self.config, "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- the measures ----------------------------------------------------------

def seqs(untagged, item=b"BODY[HEADER]"):
    """How many messages the FETCH replies carry ITEM for (a server may add
    flag updates from other sessions)."""
    found = set()
    for data in untagged:
        m = FETCHED.match(data)
        if m and item in data:
            found.add(int(m.group(1)))
    return len(found)


def headers(port):
    """Seconds for FETCH 1:* BODY.PEEK[HEADER] over all messages: the first
    time after the first SELECT, and the best of two more."""
    c = Imap(port)
    times = []
    try:
        exists = c.login_select()
        for _ in range(3):
            start = time.monotonic()
            got = c.cmd("FETCH 1:* (BODY.PEEK[HEADER])")
            times.append(time.monotonic() - start)
            fetched = seqs(got)
            if fetched != exists:
                raise ImapError(f"FETCH 1:* answered {fetched} of {exists}")
        c.cmd("LOGOUT")
    finally:
        c.close()
    return times[0], min(times[1:])


MIXED = ("LOGIN", "SELECT", "FETCH all", "FETCH body", "STORE", "SEARCH",
         "LOGOUT")


def session(port, rnd, times):
    """One mixed session; adds to TIMES the seconds each command took."""
    c = Imap(port)
    try:
        exists = c.login_select()
        got = c.cmd("FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE)", "FETCH all")
        fetched = seqs(got, b"ENVELOPE")
        if fetched != exists:
            raise ImapError(f"FETCH 1:* answered {fetched} of {exists}")
        got = c.cmd(f"FETCH {rnd.randint(1, exists)} (BODY.PEEK[])",
                    "FETCH body")
        if not any(b"BODY[]" in x for x in got):
            raise ImapError("FETCH BODY.PEEK[]: no BODY[]")
        c.cmd(f"STORE {rnd.randint(1, exists)} +FLAGS (\\Seen)")
        got = c.cmd("SEARCH UNSEEN")
        if not any(x.startswith(b"* SEARCH") for x in got):
            raise ImapError("SEARCH: no * SEARCH")
        c.cmd("LOGOUT")
    finally:
        c.close()
        for label, (secs, n) in c.times.items():
            t = times.setdefault(label, [0.0, 0])
            t[0] += secs
            t[1] += n


def client(args):
    """One client process: SESSIONS sessions or until DEADLINE."""
    port, sessions, deadline, seed = args
    rnd = random.Random(seed)
    times, errors, sessions_done = {}, [], 0
    for _ in range(sessions):
        if time.time() > deadline:
            break
        try:
            session(port, rnd, times)
            sessions_done += 1
        except (OSError, ImapError) as e:
            errors.append(f"{type(e).__name__}: {e}")
    return times, sessions_done, errors


def mixed(server, clients, sessions, deadline):
    """Commands/second of the mixed load, sessions done, errors, mean
    seconds per command, and the server's CPU seconds per command."""
    end = time.time() + deadline
    jobs = [(server.port, sessions, end, i) for i in range(clients)]
    cpu = cpu_seconds(server.pid)
    start = time.monotonic()
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(client, jobs)
    secs = time.monotonic() - start
    cpu = cpu_seconds(server.pid) - cpu
    times = {}
    for r in results:
        for label, (s, n) in r[0].items():
            t = times.setdefault(label, [0.0, 0])
            t[0] += s
            t[1] += n
    done = sum(n for _, n in times.values())
    sessions_done = sum(r[1] for r in results)
    errors = [e for r in results for e in r[2]]
    mean = {label: s / n for label, (s, n) in times.items() if n}
    return {"rate": done / secs, "sessions": sessions_done, "errors": errors,
            "mean": mean, "cpu": cpu / max(done, 1), "secs": secs}


def idle_open(port, count, deadline):
    """COUNT connections logged in with INBOX selected, and the errors."""
    end = time.time() + deadline

    def one(_):
        if time.time() > end:
            raise ImapError("deadline passed before connecting")
        c = Imap(port)
        try:
            c.login_select()
        except BaseException:
            c.close()
            raise
        return c

    conns, errors = [], []
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        futures = [ex.submit(one, i) for i in range(count)]
        for fut in futures:
            try:
                conns.append(fut.result())
            except (OSError, ImapError) as e:
                errors.append(f"{type(e).__name__}: {e}")
    return conns, errors


def settle(server, procs, deadline):
    """Seconds until the server is done with closed connections: no more
    processes than PROCS and no CPU used for half a second."""
    start = time.monotonic()
    last = cpu_seconds(server.pid)
    while time.monotonic() - start < deadline:
        time.sleep(0.5)
        now = cpu_seconds(server.pid)
        if now == last and len(tree(server.pid)) <= procs:
            break
        last = now
    return time.monotonic() - start


def idle(server, count, deadline):
    """Memory per idle connection and CPU seconds over 10 s of idling."""
    time.sleep(1)
    before = memory(server.pid)
    conns, errors = idle_open(server.port, count, deadline)
    try:
        time.sleep(2)
        after = memory(server.pid)
        cpu0 = cpu_seconds(server.pid)
        time.sleep(10)
        cpu = cpu_seconds(server.pid) - cpu0
        # Still answering?
        alive = 0
        for c in conns[:50]:
            try:
                c.cmd("NOOP")
                alive += 1
            except (OSError, ImapError) as e:
                errors.append(f"NOOP after idling: {e}")
    finally:
        for c in conns:
            c.close()
    settled = settle(server, before[2], deadline)
    n = max(len(conns), 1)
    return {"open": len(conns), "errors": errors,
            "rss": (after[0] - before[0]) / n, "pss": (after[1] - before[1]) / n,
            "rss_before": before[0], "rss_after": after[0],
            "procs": (before[2], after[2]), "cpu": cpu,
            "noop": alive, "settled": settled}


def measure(server, args):
    """Headers first (the first SELECT), then the idle connections while the
    server's heap holds no leftovers of the load, then the mixed load."""
    out = {"headers": headers(server.port)}
    out["idle"] = idle(server, args.idle, args.deadline)
    if not server.alive():
        raise SystemExit(f"{server.name} died with idle connections; "
                         f"see {server.logname}")
    out["mixed"] = mixed(server, args.clients, args.sessions, args.deadline)
    if not server.alive():
        raise SystemExit(f"{server.name} died during the mixed load; "
                         f"see {server.logname}")
    return out


# --- setup and report ------------------------------------------------------

def ensure_tools():
    if shutil.which("dovecot") is None or not os.path.exists(
            "/usr/lib/dovecot/imap"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "dovecot-imapd"],
                       check=True, env=dict(os.environ,
                                            DEBIAN_FRONTEND="noninteractive"))
    if not os.path.exists(os.path.join(INST, "sbin", "ravend")):
        subprocess.run([os.path.join(TOP, "quickstart"), "build"], check=True)


def raise_fd_limit(idle):
    """Room for IDLE connections in this script and in the servers, which
    inherit the limit."""
    want = 2 * idle + 4096
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (max(soft, want), max(hard, want)))
    except (ValueError, OSError):  # a container may forbid a higher hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        if hard < idle + 1024:
            raise SystemExit(f"the open files limit {hard} is too low for "
                             f"{idle} idle connections")


def show_errors(name, errors, logname):
    if not errors:
        return
    print(f"  {name}: {len(errors)} errors, first: {errors[0]}")
    print(f"    (server log: {logname})")


def report(args, res, logs):
    r, d = res["raven"], res["dovecot"]

    def row(label, a, b, unit, fmt="{:.0f}"):
        ratio = f"{a / b:.2f}" if b else "n/a"
        print(f"  {label:34s} raven {fmt.format(a):>9s}  dovecot "
              f"{fmt.format(b):>9s} {unit:10s} raven/dovecot {ratio}")

    print(f"imap: {args.messages} messages, {args.clients} clients x "
          f"{args.sessions} sessions, {args.idle} idle connections, "
          f"{os.cpu_count()} cores")
    row("FETCH 1:* BODY.PEEK[HEADER] first", r["headers"][0] * 1000,
        d["headers"][0] * 1000, "ms", "{:.1f}")
    row("FETCH 1:* BODY.PEEK[HEADER] again", r["headers"][1] * 1000,
        d["headers"][1] * 1000, "ms", "{:.1f}")
    rm, dm = r["mixed"], d["mixed"]
    row("mixed load", rm["rate"], dm["rate"], "commands/s")
    print(f"  {'':34s} sessions done: raven {rm['sessions']}, "
          f"dovecot {dm['sessions']} of {args.clients * args.sessions}, "
          f"in {rm['secs']:.1f} s and {dm['secs']:.1f} s")
    row("mixed: server CPU per command", rm["cpu"] * 1e3, dm["cpu"] * 1e3,
        "ms", "{:.2f}")
    for label in MIXED:
        row(f"mixed: mean {label}", rm["mean"].get(label, 0) * 1e3,
            dm["mean"].get(label, 0) * 1e3, "ms", "{:.2f}")
    ri, di = r["idle"], d["idle"]
    row("idle: RSS per connection", ri["rss"], di["rss"], "KiB", "{:.1f}")
    row("idle: PSS per connection", ri["pss"], di["pss"], "KiB", "{:.1f}")
    row("idle: CPU in 10 s", ri["cpu"], di["cpu"], "s", "{:.2f}")
    print(f"  {'':34s} open: raven {ri['open']}, dovecot {di['open']}; "
          f"RSS before/after MiB: raven {ri['rss_before'] / 1024:.0f}/"
          f"{ri['rss_after'] / 1024:.0f}, dovecot "
          f"{di['rss_before'] / 1024:.0f}/{di['rss_after'] / 1024:.0f} "
          f"({di['procs'][0]}/{di['procs'][1]} processes)")
    print(f"  {'':34s} settled after closing them in: raven "
          f"{ri['settled']:.1f} s, dovecot {di['settled']:.1f} s")
    for name in ("raven", "dovecot"):
        show_errors(f"{name} mixed", res[name]["mixed"]["errors"],
                    logs[name])
        show_errors(f"{name} idle", res[name]["idle"]["errors"], logs[name])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--sessions", type=int, default=50,
                    help="sessions per client")
    ap.add_argument("--idle", type=int, default=2000,
                    help=f"idle connections, at most {MAX_IDLE}")
    ap.add_argument("--deadline", type=int, default=120,
                    help="seconds for the mixed load and for opening the "
                    "idle connections, per server")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work folder (logs, configs)")
    args = ap.parse_args()
    if not 1 <= args.idle <= MAX_IDLE:
        ap.error(f"--idle must be 1..{MAX_IDLE}")
    if args.messages < 1 or args.clients < 1 or args.sessions < 1:
        ap.error("--messages, --clients and --sessions must be positive")
    if os.geteuid() != 0:
        raise SystemExit("bench/imap.py runs as root")
    ensure_tools()
    raise_fd_limit(args.idle)
    work = tempfile.mkdtemp(prefix="raven-bench-imap-")
    res, logs = {}, {}
    keep = args.keep
    try:
        template = os.path.join(work, "template")
        make_messages(template, args.messages)
        for server in (Dovecot, Raven):
            os.sync()
            time.sleep(1)
            s = server(work, template, args.idle)
            logs[s.name] = s.logname
            try:
                res[s.name] = measure(s, args)
            finally:
                s.stop()
        report(args, res, logs)
    except BaseException:
        keep = True  # the logs tell what went wrong
        raise
    finally:
        if keep:
            print(f"  work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
