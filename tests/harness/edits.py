"""Saving files the way editors and tools do."""

import os
import time


def save_in_place(path, text):
    """Truncate and write the file itself (most editors' default, git checkout).

    Returns time.monotonic() when the new content became readable: after write(), before
    the close() that makes inotify report it."""
    with open(path, "w") as saved:
        saved.write(text)
        saved.flush()
        return time.monotonic()


def save_by_rename(path, text):
    """Write a temporary file beside it, then rename it over (Vim's backupcopy=no,
    IDEs' "safe write"). The temporary name matches no include pattern.

    Returns time.monotonic() when the new content became readable: after the rename."""
    path = os.fspath(path)
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, ".%s.save-%d.tmp" % (name, os.getpid()))
    with open(temporary, "w") as saved:
        saved.write(text)
    os.replace(temporary, path)
    return time.monotonic()


def sleep_into_next_second(margin=0.05):
    """Sleep until margin seconds after the next second boundary: the next save's
    whole-second mtime is then newer than any before it, and saves made right away share
    one. The margin covers the coarse clock the kernel stamps files with."""
    time.sleep(1.0 - time.time() % 1.0 + margin)
