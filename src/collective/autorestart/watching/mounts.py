"""Which filesystem a watch root is on, from /proc/self/mountinfo (Linux)."""

from __future__ import annotations

import os
from dataclasses import dataclass

MOUNTINFO = "/proc/self/mountinfo"

# Filesystems whose every change is made by this kernel, so inotify sees it.  Everything
# else may be changed from elsewhere without an event: a VM's or container's share (9p,
# virtiofs, vboxsf, FUSE), a network filesystem (NFS, SMB), WSL's Windows drives (9p,
# drvfs).  An unknown type counts as such: polling is slower, never blind.
LOCAL_TYPES = frozenset(
    {
        "ext2",
        "ext3",
        "ext4",
        "xfs",
        "btrfs",
        "bcachefs",
        "f2fs",
        "jfs",
        "reiserfs",
        "nilfs2",
        "zfs",
        "tmpfs",
        "ramfs",
        "overlay",  # a container's own filesystem: its upper layer is local
        "ecryptfs",
        "vfat",
        "exfat",
        "ntfs3",
        "hfsplus",
    }
)


@dataclass(frozen=True)
class Mount:
    point: str
    type: str
    source: str

    @property
    def local(self) -> bool:
        return self.type in LOCAL_TYPES


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134.
    if "\\" not in field:
        return field
    return field.encode("latin-1").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")


def read_mounts(path: str = MOUNTINFO) -> list[Mount] | None:
    """None where there is no mountinfo (not Linux, no /proc)."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as mountinfo:
            lines = mountinfo.read().splitlines()
    except OSError:
        return None
    mounts = []
    for line in lines:
        fields = line.split(" ")
        try:
            separator = fields.index("-", 6)
            mounts.append(Mount(_unescape(fields[4]), fields[separator + 1], _unescape(fields[separator + 2])))
        except (ValueError, IndexError):
            continue
    return mounts


def _within(path: str, point: str) -> bool:
    return path == point or path.startswith(point.rstrip(os.sep) + os.sep)


def mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount path is on: the last of the longest mount points holding it (a later mount
    over the same point hides the earlier one)."""
    best = None
    for mount in mounts:
        if _within(path, mount.point) and (best is None or len(mount.point) >= len(best.point)):
            best = mount
    return best


def mounts_below(path: str, mounts: list[Mount]) -> list[Mount]:
    return [mount for mount in mounts if mount.point != path and _within(mount.point, path)]
