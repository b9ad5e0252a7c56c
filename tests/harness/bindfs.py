"""A FUSE mount that delivers no inotify events for what changes beneath it, as a VM's or a
container's share: bindfs (a Debian package) mirrors a directory at a mount point, and a
file written to the directory itself, not through the mount, changes what the mount shows
without any event on it.  Installed here when missing (CI runs `make test` on a fresh
machine); where it cannot be, BindfsUnavailable says what is missing."""

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from collective.autorestart.watching.mounts import read_mounts

FUSE_DEVICE = Path("/dev/fuse")
APT_TIMEOUT = 600
MOUNT_TIMEOUT = 10.0
UNMOUNT_TIMEOUT = 10.0
# The kernel caches a FUSE file's attributes and names for a second by default: a save
# beneath would show through the mount up to a second late, whatever watches it.  Shares
# have caches of their own; here the tests measure our polling, not the kernel's cache.
NO_KERNEL_CACHE = "attr_timeout=0,entry_timeout=0,negative_timeout=0"


class BindfsUnavailable(RuntimeError):
    """bindfs is missing and cannot be installed here, or cannot mount."""


def ensure_bindfs():
    """The path of bindfs, installed with apt-get when missing (as root, with /dev/fuse)."""
    found = shutil.which("bindfs")
    if found:
        _check_can_mount()
        return found
    if os.geteuid() != 0:
        raise BindfsUnavailable("bindfs is not installed, and installing it needs root: run apt-get install bindfs")
    _check_can_mount()
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends", "bindfs"]
    outputs = []
    # A fresh machine may have no package lists yet: update them once, then install again.
    for commands in ([install], [["apt-get", "update"], install]):
        for command in commands:
            result = subprocess.run(
                command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=APT_TIMEOUT
            )
            outputs.append(
                "$ %s (exit %d)\n%s" % (" ".join(command), result.returncode, result.stdout.decode()[-3000:])
            )
            if result.returncode:
                break
        found = shutil.which("bindfs")
        if found:
            return found
    raise BindfsUnavailable("bindfs is missing and apt-get could not install it:\n" + "\n".join(outputs))


def _check_can_mount():
    if not FUSE_DEVICE.exists():
        raise BindfsUnavailable("%s is missing: this machine (or container) cannot make FUSE mounts" % FUSE_DEVICE)
    if os.geteuid() != 0 and not shutil.which("fusermount") and not shutil.which("fusermount3"):
        raise BindfsUnavailable("not root and no fusermount: cannot make a FUSE mount")


def mounts():
    """{mount point: filesystem type} of this process's mount namespace."""
    return {mount.point: mount.type for mount in read_mounts()}


@contextlib.contextmanager
def bind_mounted(source, mount_point):
    """source mirrored at mount_point (made) by a bindfs of ours, in the foreground; always
    unmounted on exit, and an error if it stays mounted."""
    bindfs = ensure_bindfs()
    mount_point = Path(mount_point)
    mount_point.mkdir(parents=True, exist_ok=True)
    mount_point = mount_point.resolve()  # as mountinfo spells it
    process = subprocess.Popen(
        [bindfs, "-f", "-o", NO_KERNEL_CACHE, str(source), str(mount_point)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until(lambda: str(mount_point) in mounts() or process.poll() is not None, MOUNT_TIMEOUT)
        if str(mount_point) not in mounts():
            output = process.communicate()[0].decode() if process.poll() is not None else ""
            raise BindfsUnavailable("bindfs did not mount %s (exit %s): %s" % (mount_point, process.poll(), output))
        yield mount_point
    finally:
        unmount(mount_point, process)


def unmount(mount_point, process):
    """Unmount mount_point and wait for its bindfs to end; lazily (detached at once, gone
    when the last user lets go) if a process still uses it, and then an error."""
    busy = None
    if str(mount_point) in mounts():
        result = _run_unmount(mount_point)
        if result.returncode and str(mount_point) in mounts():
            busy = result.stdout.decode()
            subprocess.run(["umount", "-l", str(mount_point)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        process.communicate(timeout=UNMOUNT_TIMEOUT)  # and closes its output pipe
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate(timeout=UNMOUNT_TIMEOUT)
    if str(mount_point) in mounts():
        raise RuntimeError("%s is still mounted after unmounting it" % mount_point)
    if busy is not None:
        raise RuntimeError("%s was busy; unmounted lazily: %s" % (mount_point, busy))


def _run_unmount(mount_point):
    tool = shutil.which("fusermount3") or shutil.which("fusermount")
    command = [tool, "-u", str(mount_point)] if tool else ["umount", str(mount_point)]
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_until(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
