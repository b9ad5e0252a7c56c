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


def _listening(port):
    """The /proc/net/tcp(6) fields of each socket listening on port."""
    for table in TCP_TABLES:
        try:
            with open(table) as lines:
                next(lines, None)
                for line in lines:
                    fields = line.split()
                    if fields[3] == TCP_LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        yield fields
        except (OSError, IndexError, ValueError):
            continue


def holder_of(port):
    """(pid, command line) of a process listening on port, as far as /proc tells us."""
    inodes = {"socket:[%s]" % fields[9] for fields in _listening(port)}
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


def accept_backlog(port):
    """How many connections wait to be accepted on the sockets listening on port (the
    kernel's accept queue, /proc/net/tcp's rx_queue of a listening socket), or None when
    /proc shows none listening."""
    waiting = None
    for fields in _listening(port):
        waiting = (waiting or 0) + int(fields[4].split(":")[1], 16)
    return waiting


class ServingProbe:
    """Whether the instance serves: it has accepted a connection of ours.  Taking
    connections is not enough: with fast-listen (zope2instance's default) the port takes
    them from the start, and they wait in the kernel's accept queue until Zope is loaded.
    So one connection is made and held, sending nothing, until the queue is empty."""

    CONNECT_TIMEOUT = 0.2

    def __init__(self, host, port):
        # A wildcard address is reached on the loopback address of its family.
        self.host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        self.port = port
        self._connection = None

    def serving(self):
        if self._connection is None:
            try:
                self._connection = socket.create_connection((self.host, self.port), timeout=self.CONNECT_TIMEOUT)
            except OSError:
                return False
        if accept_backlog(self.port):  # None: /proc can't tell, the connection must do
            return False
        self.close()
        return True

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None
