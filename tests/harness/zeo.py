"""A real ZEO server for the tests (runzeo, run by an instance's interpreter, which has the
ZEO egg: plone.recipe.zope2instance requires it), and what /proc says about who holds the
ZODB: TCP connections to a port, fcntl locks on a file, the template and the instance among
the supervisor's children."""

import os
import signal
import socket
import subprocess
import textwrap
import time
from pathlib import Path

from .ports import free_port
from .proc import children

START_TIMEOUT = 60
STOP_TIMEOUT = 10
# Field 4 of /proc/net/tcp: the connection's state; 01 is ESTABLISHED.
ESTABLISHED = "01"
# What the template's command line runs (supervisor/template.py starts it so); an instance
# forked from it keeps that command line.
TEMPLATE_MODULE = "collective.autorestart.template"


class ZeoServer:
    """runzeo on 127.0.0.1:port serving a FileStorage (with a blob directory) in directory;
    a session of its own, stopped by its PID. Use as a context manager, or call stop()."""

    def __init__(self, interpreter, directory, port=None):
        self.port = port or free_port()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config = self.directory / "zeo.conf"
        self.config.write_text(
            textwrap.dedent(
                """\
                <zeo>
                  address 127.0.0.1:{port}
                </zeo>
                <filestorage 1>
                  path {directory}/Data.fs
                  blob-dir {directory}/blobs
                </filestorage>
                """
            ).format(port=self.port, directory=self.directory)
        )
        self.log_path = self.directory / "zeo.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            # "--": the buildout interpreter's getopt would take -C for its own.
            [str(interpreter), "-m", "ZEO.runzeo", "--", "-C", str(self.config)],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def log(self):
        return self.log_path.read_text(errors="replace")

    def clients(self):
        """How many clients have connected so far (a probe of the port is not one: it sends
        no handshake)."""
        return self.log().count("received handshake")

    def wait_until_listening(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("runzeo exited with %s; log:\n%s" % (self.process.returncode, self.log()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("runzeo not listening on %d after %ss; log:\n%s" % (self.port, timeout, self.log()))

    def stop(self):
        """SIGTERM (runzeo closes its storage on it), SIGKILL if it lingers; safe to repeat."""
        if self._log.closed:
            return
        for signum in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            os.kill(self.process.pid, signum)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                continue
        self._log.close()


def command_line(pid):
    try:
        return (Path("/proc/%d/cmdline" % pid).read_bytes()).split(b"\0")
    except OSError:
        return []


def template_of(supervisor_pid):
    """The template's PID: the supervisor's one child running TEMPLATE_MODULE. Call it while
    no instance was forked yet: a forked instance keeps the template's command line."""
    templates = [pid for pid in children(supervisor_pid) if TEMPLATE_MODULE.encode() in command_line(pid)]
    if len(templates) != 1:
        raise AssertionError("not one template below the supervisor: %r" % templates)
    return templates[0]


def instance_beside(supervisor_pid, template):
    """The serving instance's PID: the supervisor's one child that is not the template,
    which must still be there."""
    found = children(supervisor_pid)
    if template not in found:
        raise AssertionError("the template %d is no longer below the supervisor: %r" % (template, found))
    instances = [pid for pid in found if pid != template]
    if len(instances) != 1:
        raise AssertionError("not one instance beside the template %d: %r" % (template, instances))
    return instances[0]


def wait_for_new_instance(supervisor_pid, template, old, timeout=START_TIMEOUT):
    """The serving instance's PID once it is no longer old (a restart)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        instances = [pid for pid in children(supervisor_pid) if pid != template]
        if len(instances) == 1 and instances[0] != old:
            return instances[0]
        time.sleep(0.02)
    raise AssertionError("no new instance below the supervisor %d after %ss" % (supervisor_pid, timeout))


def socket_inodes(pid):
    """The inodes of the sockets pid has open."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def connections_to(pid, port):
    """How many established TCP connections (IPv4 or IPv6) pid holds to port, any address:
    the sockets of /proc/<pid>/net/tcp* (its network namespace's) that are among its fds."""
    mine = socket_inodes(pid)
    count = 0
    for table in ("tcp", "tcp6"):
        try:
            lines = Path("/proc/%d/net/%s" % (pid, table)).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == ESTABLISHED and int(fields[9]) in mine:
                count += 1
    return count


def lock_holders(path):
    """The PIDs /proc/locks gives for locks on path's inode (flock, POSIX or OFD locks;
    an OFD lock's PID is -1)."""
    stat = os.stat(path)
    device = "%02x:%02x:%d" % (os.major(stat.st_dev), os.minor(stat.st_dev), stat.st_ino)
    holders = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; a waiting lock has "->" after the number.
        if fields[1] == "->":
            continue
        if fields[5] == device:
            holders.append(int(fields[4]))
    return holders


def open_paths(pid, directory):
    """The files below directory that pid has open."""
    directory = str(directory).rstrip("/") + "/"
    found = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith(directory):
            found.append(target)
    return sorted(found)
