"""Whose is the port the instance wants: a crash at start-up is often no fault of the code
but another process (an instance left running, another project) holding the port."""
import configparser
import os
import socket

LISTEN_OPTIONS = ("fast-listen", "listen")
TCP_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
TCP_LISTEN = "0A"


def listen_address(wsgi_ini):
    """(host, port) of the first address the WSGI server listens on, or None."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(wsgi_ini)
        section = parser["server:main"]
    except (configparser.Error, KeyError):
        return None
    for option in LISTEN_OPTIONS:
        for address in section.get(option, "").split():
            host, _, port = address.rpartition(":")
            if port.isdigit():
                return host.strip("[]") or "0.0.0.0", int(port)
    port = section.get("port", "")
    if port.isdigit():
        return section.get("host", "0.0.0.0"), int(port)
    return None


def port_in_use(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def holder_of(port):
    """(pid, command line) of a process listening on port, as far as /proc tells us."""
    inodes = set()
    for table in TCP_TABLES:
        try:
            with open(table) as lines:
                next(lines, None)
                for line in lines:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    if state == TCP_LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add("socket:[%s]" % inode)
        except (OSError, IndexError, ValueError):
            continue
    if not inodes:
        return None
    for pid in filter(str.isdigit, _listdir("/proc")):
        for fd in _listdir("/proc/%s/fd" % pid):
            try:
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) in inodes:
                    return int(pid), _command_line(pid)
            except OSError:
                continue
    return None


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def _command_line(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"
