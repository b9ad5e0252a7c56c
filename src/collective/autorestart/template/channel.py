"""The template's end of its socket to bin/instance-autoreload.

The supervisor sends ``fork <json>`` with the instance's control pipe attached (SCM_RIGHTS);
the template answers one line: ``ready <json>`` once built, ``failed <reason>`` if it could
not be, ``cold <reason>`` when it can't fork this time, ``stale <reason>`` when, idle, it found
itself out of date (it exits after either), and the child itself says
``child <pid>`` once it is the supervisor's.
"""

from __future__ import annotations

import json
import os
import select
import socket

from collective.autorestart.contract import TEMPLATE_FD_VARIABLE

MAX_REQUEST = 1 << 16


class TemplateChannel:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    def from_environment(cls) -> TemplateChannel:
        fd = int(os.environ.pop(TEMPLATE_FD_VARIABLE))
        os.set_inheritable(fd, False)
        return cls(socket.socket(fileno=fd))

    def send(self, word: str, detail: object = "") -> None:
        text = detail if isinstance(detail, str) else json.dumps(detail)
        self.sock.sendall(("%s %s\n" % (word, text.replace("\n", " "))).encode("utf-8", "replace"))

    def wait(self, seconds: float) -> bool:
        """Whether a request (or EOF) came within seconds."""
        readable, _, _ = select.select([self.sock], [], [], seconds)
        return bool(readable)

    def receive(self) -> tuple[dict, list[int]] | None:
        """The next fork request and the descriptors that came with it; None at EOF."""
        try:
            data, fds, _flags, _address = socket.recv_fds(self.sock, MAX_REQUEST, 4)
        except ConnectionResetError:  # the supervisor is gone, or has given up on us
            return None
        if not data:
            for fd in fds:
                os.close(fd)
            return None
        word, _, text = data.decode("utf-8").strip().partition(" ")
        if word != "fork":
            raise ValueError("unknown request from bin/instance-autoreload: %r" % word)
        return json.loads(text), fds

    def close(self) -> None:
        self.sock.close()
