"""Run the Zope instance as a child process and stop it the way Zope likes to be stopped.

Zope closes its ZODB only on KeyboardInterrupt or SystemExit, so every stop starts with
SIGINT; SIGKILL comes only after a grace period.  Under an interactive terminal the child
stays in the terminal's process group, or ``breakpoint()`` in a view would stop it with
SIGTTIN; the terminal then delivers Ctrl-C to both of us and we wait it out.  Without a
terminal the child gets a group of its own so that stopping it reaches its children too.
"""
import os
import signal
import subprocess
import sys


GRACE_SECONDS = 1.5


def owns_terminal():
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


class Stop(Exception):
    """Raised from our signal handlers in the main thread to end waiting for the child."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class Child:
    def __init__(self, command, env):
        self.command = command
        self.env = env
        self.process = None
        self.own_group = not owns_terminal()

    def start(self):
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            process_group=0 if self.own_group else None,
        )
        return self.process.pid

    def wait(self):
        return self.process.wait()

    def stop(self, signum):
        """End the child (and, with its own group, its group); return its exit status."""
        process = self.process
        if process is None:
            return -signum
        if process.poll() is None and (self.own_group or signum != signal.SIGINT):
            # A terminal already sent Ctrl-C to a child in its group; anything else is ours
            # to pass on, as SIGINT so that Zope shuts down cleanly.
            self._signal(signal.SIGINT)
        try:
            process.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            print(
                "collective.autorestart: instance did not stop within %.1f s of SIGINT,"
                " killing it" % GRACE_SECONDS,
                file=sys.stderr,
            )
            self._signal(signal.SIGKILL)
            process.wait()
        if self.own_group:
            # Whatever the instance started and left behind goes with it.
            self._signal(signal.SIGKILL)
        return process.returncode

    def _signal(self, signum):
        try:
            if self.own_group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)
        except ProcessLookupError:
            pass


def exit_status(returncode):
    """A shell-style exit status: 128 + N for a child killed by signal N."""
    if returncode is None:
        return 1
    if returncode < 0:
        return 128 - returncode
    return returncode
