"""The parent side of bench/probe.py: start it, read what it reports, stop it."""

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROBE = BENCH / "probe.py"
LOGS = BENCH / ".work" / "logs"
READY_TIMEOUT = 120


class ProbeError(RuntimeError):
    pass


class Probe:
    """One watcher in its own process; use as a context manager so it always ends."""

    def __init__(self, watcher, tree, config, raw=False, step_ms=None, label=None):
        LOGS.mkdir(parents=True, exist_ok=True)
        self.label = label or watcher
        self.stderr_path = LOGS / ("probe-%s.log" % self.label)
        command = [sys.executable, str(PROBE), "--watcher", watcher, "--tree", str(tree)]
        command += ["--config", json.dumps(config)]
        if raw:
            command.append("--raw")
        if step_ms is not None:
            command += ["--step-ms", str(step_ms)]
        self._stderr = open(self.stderr_path, "w")
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )
        self.messages = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="probe reader", daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.messages.put(json.loads(line))
        self.messages.put(None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def next(self, timeout):
        """The next message, or None if none came within timeout seconds."""
        try:
            message = self.messages.get(timeout=timeout)
        except queue.Empty:
            return None
        if message is None:
            raise ProbeError("probe %s exited early: %s" % (self.label, self.stderr_tail()))
        return message

    def ready(self):
        message = self.next(READY_TIMEOUT)
        if message is None or "ready" not in message:
            tail = self.stderr_tail()
            raise ProbeError("probe %s not ready: %r %s" % (self.label, message, tail))
        return message["ready"]

    def mark(self):
        """Start counting CPU time from now on (after the watcher has settled)."""
        self.process.stdin.write("mark\n")
        self.process.stdin.flush()
        while True:
            message = self.next(60)
            if message is None:
                raise ProbeError("probe %s did not answer: %s" % (self.label, self.stderr_tail()))
            if "marked" in message:
                return

    def stop(self):
        """Stop watching; returns the probe's CPU figures since ready or mark. Messages still
        queued before the stop are dropped."""
        self.process.stdin.write("stop\n")
        self.process.stdin.flush()
        while True:
            message = self.next(60)
            if message is None:
                raise ProbeError("probe %s did not stop: %s" % (self.label, self.stderr_tail()))
            if "done" in message:
                return message["done"]

    def stderr_tail(self):
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-3000:]

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._stderr.close()
