"""The memory of one process as /proc/PID/smaps_rollup gives it: RSS counts every page the
process maps, shared or not; PSS divides each shared page among the processes sharing it;
USS counts the pages only this process holds. A child forked from the template shares its
pages copy-on-write, so that its USS, not its RSS, is what each restart costs."""

from pathlib import Path

# smaps_rollup's fields (kB) that the results keep, as MB.
FIELDS = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty", "Swap")


def rollup(pid):
    """{rss_mb, pss_mb, uss_mb, shared_mb, ...} of the process, or None when it is gone (or
    its memory can't be read)."""
    try:
        text = Path("/proc/%d/smaps_rollup" % pid).read_text()
    except OSError:
        return None
    kilobytes = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        value = rest.split()
        if name in FIELDS and value:
            kilobytes[name] = int(value[0])
    if "Rss" not in kilobytes:
        return None
    figures = {name.lower() + "_mb": kb / 1024 for name, kb in kilobytes.items()}
    figures["uss_mb"] = (kilobytes.get("Private_Clean", 0) + kilobytes.get("Private_Dirty", 0)) / 1024
    figures["shared_mb"] = (kilobytes.get("Shared_Clean", 0) + kilobytes.get("Shared_Dirty", 0)) / 1024
    return figures


def command_line(pid):
    try:
        return (Path("/proc/%d/cmdline" % pid).read_bytes()).replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
