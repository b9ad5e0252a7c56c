"""What ps and /proc/PID/comm call the template: named before it imports anything, so that
no one (a test, a developer's ps) takes it for an instance; its children take back the
interpreter's name."""

import ctypes

COMM = b"autorestart-tpl"  # at most 15 bytes
PR_SET_NAME = 15  # <linux/prctl.h>


def comm() -> bytes:
    try:
        with open("/proc/self/comm", "rb") as name:
            return name.read().strip()
    except OSError:
        return b"python"


def set_comm(name: bytes) -> None:
    ctypes.CDLL(None).prctl(PR_SET_NAME, ctypes.c_char_p(name[:15]), 0, 0, 0)


INTERPRETER_COMM = comm()
