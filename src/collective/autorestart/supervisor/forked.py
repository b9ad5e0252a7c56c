"""An instance forked from the template: the same interface as ``child.Child``.

The template forks twice, so the instance is re-parented to us (we are a child subreaper):
we wait for it and signal it as for a child we started ourselves.
"""

import ctypes
import os
import time

from collective.autorestart.supervisor.child import GRACE_SECONDS, GRACE_WHERE, Child, owns_terminal

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
POLL_SECONDS = 0.005


def become_subreaper(on: bool = True) -> bool:
    """Orphans below us become our children (on), or go to init again (off)."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0


class ForkedChild(Child):
    """Stopped as a Child is; waited for by PID, since no Popen started it."""

    def __init__(self, pid, grace=None, grace_where=GRACE_WHERE):
        self.pid = pid
        self.grace = GRACE_SECONDS if grace is None else grace
        self.grace_where = grace_where
        self.own_group = not owns_terminal()
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = 1  # not ours after all: reaped elsewhere
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_SECONDS)
        return self.returncode


def reap_strays(known):
    """With a subreaper, what the instances leave behind becomes ours: collect the zombies
    of every child we did not start ourselves, so that none lingers."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return
    for task in tasks:
        try:
            with open("/proc/self/task/%s/children" % task) as children:
                pids = [int(pid) for pid in children.read().split()]
        except (OSError, ValueError):
            continue
        for pid in pids:
            if pid not in known:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
