# ravenlib.py: a small harness for Raven's Python integration tests.
# SPDX-License-Identifier: MIT
#
# Starts a real ravend from the build tree on loopback ports, talks to it,
# and prints TAP.  Used by test_smtp.py; IMAP and POP3 tests reuse it.
#
#   import ravenlib
#   tap = ravenlib.Tap()
#
#   @tap.test
#   def greeting():
#       port = ravenlib.free_port()
#       with ravenlib.Daemon({"smtp": {"listen": [...]}}) as d:
#           with ravenlib.Conn(port) as c:
#               assert c.read_line().startswith(b"220 ")
#
#   tap.run()
#
# The build tree is $RAVEN_BUILDDIR (set by make check), else the current
# folder.  RAVEN_TEST_KEEP=1 keeps each daemon's folder and log.

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import json

TIMEOUT = 10.0  # seconds, for every network operation and wait
HOST = "127.0.0.1"
DOMAIN = "example.test"


def builddir():
    return os.path.abspath(os.environ.get("RAVEN_BUILDDIR", "."))


def build_path(*parts):
    return os.path.join(builddir(), *parts)


def plugin_dirs():
    """Every folder of the build tree that holds built plugins."""
    dirs = []
    root = build_path("plugins")
    if os.path.isdir(root):
        for name in sorted(os.listdir(root)):
            libs = os.path.join(root, name, ".libs")
            if os.path.isdir(libs):
                dirs.append(libs)
    tests = build_path("tests", "plugins", ".libs")
    if os.path.isdir(tests):
        dirs.append(tests)
    return dirs


def have_plugin(name):
    return any(os.path.exists(os.path.join(d, name + ".so"))
               for d in plugin_dirs())


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=TIMEOUT, step=0.05):
    """Poll until predicate() is true; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


# ---- YAML: enough of it for raven.yaml (block maps, lists, scalars)

def _scalar(value):
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))  # a double-quoted YAML scalar


def _yaml_lines(value, indent):
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append("%s%s:" % (pad, key))
                lines.extend(_yaml_lines(item, indent + 1))
            elif isinstance(item, (dict, list)):
                lines.append("%s%s: %s" % (pad, key,
                                            "{}" if isinstance(item, dict)
                                            else "[]"))
            else:
                lines.append("%s%s: %s" % (pad, key, _scalar(item)))
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                sub = _yaml_lines(item, indent + 1)
                lines.append("%s- %s" % (pad, sub[0].lstrip()))
                lines.extend(sub[1:])
            else:
                lines.append("%s- %s" % (pad, _scalar(item)))
    return lines


def to_yaml(value):
    return "\n".join(_yaml_lines(value, 0)) + "\n"


# ---- the daemon

class Daemon:
    """A ravend with its own folder, config and log.

    plugins: the `plugins:` section, in order (a dict).
    users: {address: password} added with ravenctl before the start.
    server: extra keys of the `server:` section.
    extra: extra top-level sections (aliases, tls ...).
    """

    def __init__(self, plugins, users=None, server=None, extra=None,
                 hostname="mx.example.test"):
        self.dir = tempfile.mkdtemp(prefix="raven-py-")
        self.data_dir = os.path.join(self.dir, "var")
        self.config_path = os.path.join(self.dir, "raven.yaml")
        self.log_path = os.path.join(self.dir, "ravend.log")
        self.process = None
        self._log = None
        config = {
            "server": dict({
                "hostname": hostname,
                "data_dir": self.data_dir,
                "log_level": "debug",
                "plugin_dirs": plugin_dirs(),
                "shutdown_timeout": "5s",
            }, **(server or {})),
            "domains": [DOMAIN],
        }
        config.update(extra or {})
        config["plugins"] = plugins
        with open(self.config_path, "w") as f:
            f.write(to_yaml(config))
        for address, password in (users or {}).items():
            self.ctl("user", "add", address, stdin=password + "\n")

    def ctl(self, *args, stdin=None, check=True):
        """Run ravenctl with this daemon's config; returns its stdout."""
        p = subprocess.run([build_path("ravenctl"), "--config",
                            self.config_path] + list(args),
                           input=stdin, capture_output=True, text=True,
                           timeout=TIMEOUT * 3)
        if check and p.returncode != 0:
            raise RuntimeError("ravenctl %s failed: %s"
                               % (" ".join(args), p.stderr.strip()))
        return p.stdout

    def start(self):
        self._log = open(self.log_path, "w")
        wrapper = os.environ.get("RAVEN_VALGRIND", "").split()
        self.process = subprocess.Popen(
            wrapper + [build_path("ravend"), "--config", self.config_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._log)
        ready = wait_for(lambda: " ready (" in self.log()
                         or self.process.poll() is not None,
                         timeout=TIMEOUT * 3)
        if not ready or self.process.poll() is not None:
            raise RuntimeError("ravend did not start:\n" + self.log())
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def signal(self, sig):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)

    def stop(self, timeout=TIMEOUT):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.process is None:
            return None
        self.signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=timeout)
        self._log.close()
        return code

    def cleanup(self):
        self.stop()
        if not os.environ.get("RAVEN_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("# kept %s" % self.dir)

    def maildir(self, address, folder="new"):
        """DATA_DIR/mail/DOMAIN/USER/<folder> of a local user."""
        user, domain = address.split("@", 1)
        return os.path.join(self.data_dir, "mail", domain, user, folder)

    def messages(self, address, folder="new"):
        """The files in a user's Maildir folder, oldest first."""
        path = self.maildir(address, folder)
        if not os.path.isdir(path):
            return []
        found = []
        for name in os.listdir(path):
            try:
                found.append((os.stat(os.path.join(path, name)).st_mtime,
                              os.path.join(path, name)))
            except FileNotFoundError:
                pass  # moved on (to cur/) while we looked
        return [p for _, p in sorted(found)]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


# ---- a plain client connection

def tls_context():
    """A client TLS context that takes the daemon's self-signed cert."""
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def listen(ports, *entries):
    """Listener entries on fresh loopback ports; ports[name] gets each."""
    out = []
    for name, extra in entries:
        ports[name] = free_port()
        out.append(dict({"address": "%s:%d" % (HOST, ports[name])}, **extra))
    return out


class LazyDaemon:
    """A daemon made by make(ports) and started on first use."""

    def __init__(self, make):
        self.make = make
        self.daemon = None
        self.ports = {}

    def get(self):
        if self.daemon is None:
            self.daemon = self.make(self.ports)
            self.daemon.start()
        return self.daemon

    def port(self, name=None):
        """The port of listener `name`, or of the first one."""
        self.get()
        return self.ports[name] if name else next(iter(self.ports.values()))

    def stop(self):
        if self.daemon is not None:
            self.daemon.cleanup()
            self.daemon = None


class Conn:
    """A line-oriented TCP (optionally TLS) client with timeouts."""

    def __init__(self, port, tls=False, timeout=TIMEOUT):
        self.timeout = timeout
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""
        if tls:
            self.starttls()

    def starttls(self):
        self.sock = tls_context().wrap_socket(self.sock,
                                              server_hostname=None)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def read_line(self):
        """One line with its line end; EOFError when the peer closed."""
        while b"\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    def closed(self, timeout=TIMEOUT):
        """True when the peer closes within `timeout` (data read is kept)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except (socket.timeout, ssl.SSLError):
            return False
        finally:
            self.sock.settimeout(self.timeout)

    def pending(self, wait=0.3):
        """Whatever arrives within `wait` seconds, without blocking more."""
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
        except (socket.timeout, ssl.SSLError, ConnectionResetError):
            pass
        finally:
            self.sock.settimeout(self.timeout)
        data, self.buf = self.buf, b""
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SmtpConn(Conn):
    """A raw SMTP client: whole replies, commands and expectations."""

    def reply(self):
        """(code, text): a whole reply, its lines' texts joined by \\n."""
        lines = []
        while True:
            line = self.read_line().decode("utf-8", "replace")
            line = line.rstrip("\r\n")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                break
        return int(lines[0][:3]), "\n".join(l[4:] for l in lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def expect(self, line, code, text=None):
        got = self.cmd(line) if line is not None else self.reply()
        assert got[0] == code, "%r: expected %d, got %r" % (line, code, got)
        if text is not None:
            assert text in got[1], "%r: expected %r in %r" % (line, text,
                                                               got)
        return got


# ---- TAP

class Skip(Exception):
    """Raise (or call skip()) to mark a test skipped."""


def skip(reason):
    raise Skip(reason)


class Tap:
    """Register test functions, run them in order and print TAP."""

    def __init__(self):
        self.tests = []

    def test(self, function):
        self.tests.append(function)
        return function

    def run(self, stop=()):
        """Run the tests, then stop what `stop` lists (anything with a
        stop() method: LazyDaemons, peers) whatever happened."""
        try:
            self._run()
        finally:
            for thing in stop:
                thing.stop()

    def _run(self):
        print("1..%d" % len(self.tests), flush=True)
        failed = 0
        for number, function in enumerate(self.tests, 1):
            name = function.__name__.replace("_", "-")
            started = time.monotonic()
            try:
                function()
            except Skip as e:
                print("ok %d - %s # SKIP %s" % (number, name, e), flush=True)
                continue
            except Exception:
                failed += 1
                print("not ok %d - %s" % (number, name))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
                sys.stdout.flush()
                continue
            print("ok %d - %s (%.1f s)"
                  % (number, name, time.monotonic() - started), flush=True)
        sys.exit(1 if failed else 0)
