"""A stand-in for the reload cycle: collects the batches a WatchService delivers."""

import threading
import time

TIMEOUT = 5.0


class Recorder:
    def __init__(self):
        self.batches = []
        self.stats = None  # the WatchStats of on_ready
        self.holding = False  # a batch waits in block_next's hold
        self.condition = threading.Condition()
        self._hold = None

    def __call__(self, batch):
        hold, self._hold = self._hold, None
        if hold is not None:
            with self.condition:
                self.holding = True
                self.condition.notify_all()
            assert hold.wait(30), "the test never released the batch"
        with self.condition:
            self.holding = False
            self.batches.append(batch)
            self.condition.notify_all()

    def on_ready(self, stats):
        self.stats = stats

    def block_next(self):
        """Make the next batch wait, as a slow reload does, until the returned event is set."""
        self._hold = threading.Event()
        return self._hold

    def changes(self):
        merged = {}
        for batch in self.batches:
            merged.update(batch.changes)
        return merged

    def wait_until(self, condition, timeout=TIMEOUT):
        with self.condition:
            assert self.condition.wait_for(condition, timeout), self.changes()

    def wait_for(self, predicate, timeout=TIMEOUT):
        """Until predicate(the changes of all batches so far) holds."""
        self.wait_until(lambda: predicate(self.changes()), timeout)

    def settle(self, seconds=0.15):
        """Wait until no batch arrived for a while, then return how many there were."""
        count = -1
        while count != len(self.batches):
            count = len(self.batches)
            time.sleep(seconds)
        return count

    def forget(self):
        with self.condition:
            self.batches.clear()
