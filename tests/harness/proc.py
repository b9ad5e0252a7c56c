"""What /proc says about processes. A zombie (ended, not yet reaped) counts as gone."""

import os
import re
import time
from pathlib import Path


def _stat_fields(pid):
    """The fields of /proc/<pid>/stat after the command name: state, ppid, ...; None when gone."""
    try:
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def state(pid):
    """The process's state letter (R, S, Z, ...), or None when there is no such process."""
    fields = _stat_fields(pid)
    return None if fields is None else fields[0]


def alive(pid):
    return state(pid) not in (None, "Z")


def children(pid):
    """The PIDs whose parent is pid, the oldest first (not reaped zombies left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and fields[0] != "Z" and int(fields[1]) == pid:
            # starttime, field 22 of stat: in clock ticks since boot.
            found.append((int(fields[19]), int(entry.name)))
    return [child for _, child in sorted(found)]


def tree(pid):
    """pid and all its living descendants, pid first."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def open_files(pid):
    """What the process has open, by descriptor: a path, or a kind and inode (pipe:[123])."""
    found = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            found[int(fd)] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:  # closed meanwhile
            continue
    return found


def wait_until_gone(pids, timeout):
    """The pids still alive after timeout seconds (an empty list as soon as all are gone)."""
    deadline = time.monotonic() + timeout
    while True:
        left = [pid for pid in pids if alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


# What the template of fast restarts calls itself (template/process.py COMM): the process
# that instances fork from, and the forks that have not become instances yet.
TEMPLATE_COMM = "autorestart-tpl"


def comm(pid):
    try:
        return Path("/proc/%d/comm" % pid).read_text().strip()
    except OSError:
        return None


def instances(server):
    """The processes below bin/instance-autoreload that are Zope, not the template.  A
    template names itself once its Python runs: before, only the supervisor's line
    ``building a template (PID n)`` tells it from an instance."""
    announced = {int(pid) for pid in re.findall(r"building a template \(PID (\d+)\)", server.log())}
    return [pid for pid in server.processes()[1:] if comm(pid) not in (TEMPLATE_COMM, None) and pid not in announced]


def template_pid(server, timeout=60):
    """The template below bin/instance-autoreload, once it is there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [pid for pid in server.processes()[1:] if comm(pid) == TEMPLATE_COMM]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError("no template process; log:\n" + server.log()[-6000:])


def zope_pid(server):
    """The one instance process below bin/instance-autoreload (server: a processes.Server):
    the one that last said ``Starting server in PID n``, once it serves; the one process
    that is not the template, before."""
    children = server.processes()[1:]
    started = [int(pid) for pid in re.findall(r"Starting server in PID (\d+)", server.log())]
    if started and started[-1] in children:
        return started[-1]
    children = instances(server)
    if len(children) != 1:
        raise AssertionError("not one instance process below the supervisor: %r" % children)
    return children[0]


def wait_for_new_zope(server, old_pid, timeout=60):
    """The processes below the supervisor once they are no longer just old_pid (a restart)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = instances(server)
        if children and children != [old_pid]:
            return children
        time.sleep(0.02)
    raise AssertionError("no new instance process; log:\n" + server.log()[-6000:])
