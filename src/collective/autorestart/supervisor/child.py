"""Run the Zope instance as a child process and stop it the way Zope likes to be stopped.

Zope closes its ZODB only on KeyboardInterrupt or SystemExit, so every stop starts with
SIGINT; SIGKILL comes only after a grace period.  Under an interactive terminal the child
stays in the terminal's process group, or ``breakpoint()`` in a view would stop it with
SIGTTIN; the terminal then delivers Ctrl-C to both of us and we wait it out.  Without a
terminal the child gets a group of its own so that stopping it reaches its children too.
"""

import ctypes
import os
import signal
import subprocess
import sys

GRACE_WHERE = "stop-grace in buildout.cfg"
# What stop-grace is by default; the session passes the configured one.
GRACE_SECONDS = 10.0
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
SIG_IGN = 1  # from <signal.h>


def owns_terminal():
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


class Child:
    def __init__(self, command, env, pass_fds=(), grace=None, grace_where=None):
        self.grace = GRACE_SECONDS if grace is None else grace
        # Where the user raises it, for the line that says it ran out.
        self.grace_where = grace_where or GRACE_WHERE
        self.own_group = not owns_terminal()
        self.process = subprocess.Popen(
            command,
            env=env,
            pass_fds=pass_fds,
            process_group=0 if self.own_group else None,
            preexec_fn=prepare_child(os.getpid(), signal.SIGINT),
        )
        self.pid = self.process.pid

    def poll(self):
        return self.process.poll()

    def wait(self, timeout):
        """The exit status, or None if it still runs after timeout seconds."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, terminal_already_sent_sigint=False):
        """End the child (and, with its own group, its group); return its exit status."""
        if self.poll() is None and not terminal_already_sent_sigint:
            self._signal(signal.SIGINT)
        if self.wait(self.grace) is None:
            print(
                "collective.autorestart: instance did not stop within %.1f s of SIGINT,"
                " killing it (raise %s should it need longer)" % (self.grace, self.grace_where),
                file=sys.stderr,
            )
            self._signal(signal.SIGKILL)
            while self.wait(1.0) is None:
                pass
        if self.own_group:
            # Whatever the instance started and left behind goes with it.
            self._signal(signal.SIGKILL)
        return self.poll()

    def sigint_came_from_terminal(self, signum):
        """A terminal sends Ctrl-C to its whole foreground group, the child included."""
        return signum == signal.SIGINT and not self.own_group

    def _signal(self, signum):
        try:
            if self.own_group:
                os.killpg(self.pid, signum)
            else:
                os.kill(self.pid, signum)
        except ProcessLookupError:
            pass


def prepare_child(supervisor_pid, death_signal):
    """Run in the child before its program: it gets death_signal when we die, even of
    SIGKILL (an instance SIGINT, a clean close of the ZODB, else it would live on holding the
    port and the ZODB lock).  And it ignores SIGHUP, which a hung-up terminal sends to the
    whole group and which would kill Zope without closing the ZODB: we get it too, and stop
    the instance with SIGINT."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.signal.restype = ctypes.c_void_p
    libc.signal.argtypes = (ctypes.c_int, ctypes.c_void_p)

    def prepare():
        libc.signal(signal.SIGHUP, SIG_IGN)
        libc.prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
        if os.getppid() != supervisor_pid:
            os._exit(1)  # we died before the request took effect

    return prepare


def exit_status(returncode):
    """A shell-style exit status: 128 + N for a child killed by signal N."""
    if returncode is None:
        return 1
    if returncode < 0:
        return 128 - returncode
    return returncode
