"""End to end: what the user's code does at import can neither kill nor freeze the watcher,
and a file written in two steps is reloaded once it is whole."""

import os
import re
import time

import pytest

from harness.buildouts import value_module
from harness.http import served

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.usefixtures("package")]

WATCHING = r"watching \d+ directories"
TIMEOUT_SECONDS = 3


@pytest.fixture(scope="module", autouse=True)
def short_reload_timeout(built):
    with built.configured(reload_timeout=TIMEOUT_SECONDS * 1000):
        yield


def start(servers, built, name):
    server = servers([str(built.script)], built.directory, built.directory / name, built.port)
    server.wait_for_log(WATCHING)
    served(server, "/@@value", "value=0", restarting=True)
    return server


def line_of(text, needle):
    return text.splitlines().index(needle) + 1


def test_a_keyboard_interrupt_at_import_is_reported_and_the_watcher_goes_on(servers, built):
    server = start(servers, built, "interrupt.log")
    views = built.code / "views.py"
    interrupting = value_module("interrupted", extra="\nraise KeyboardInterrupt\n")
    mark = len(server.log())
    views.write_text(interrupting)
    error = server.wait_for_log(r"ERROR [^\n]*", after=mark, timeout=30).group(0)
    line = line_of(interrupting, "raise KeyboardInterrupt")
    assert "%s:%d: KeyboardInterrupt -- reload failed" % (views, line) in error
    views.write_text(value_module("after-interrupt"))
    served(server, "/@@value", "value=after-interrupt")
    assert server.process.poll() is None


HANGING = """
import os as _os
import time as _time

# Hangs once: the restart that follows imports this module again, and must serve it.
_MARKER = %r
if not _os.path.exists(_MARKER):
    open(_MARKER, "w").close()
    _time.sleep(120)
"""


def test_an_import_that_hangs_is_reported_with_its_stack_and_restarted(servers, built):
    server = start(servers, built, "hang.log")
    marker = built.directory / "hung-once"
    if marker.exists():
        marker.unlink()
    views = built.code / "views.py"
    hanging = value_module("after-hang", extra=HANGING % str(marker))
    mark = len(server.log())
    saved = time.monotonic()
    views.write_text(hanging)
    error = server.wait_for_log(
        r"ERROR [^\n]*the reload did not finish within %.1f s; it is stuck at ([^\n]*)" % TIMEOUT_SECONDS,
        after=mark,
        timeout=TIMEOUT_SECONDS + 10,
    )
    reported = time.monotonic() - saved
    assert TIMEOUT_SECONDS <= reported < TIMEOUT_SECONDS + 5
    assert error.group(1) == "%s:%d, in:" % (views, line_of(hanging, "    _time.sleep(120)"))
    assert re.search(r'File "%s", line \d+, in <module>' % re.escape(str(views)), server.log()[error.end() :])
    server.wait_for_log(r"a process whose import hangs can't be trusted", after=mark, timeout=10)
    served(server, "/@@value", "value=after-hang", restarting=True)


def test_a_file_written_in_two_steps_is_reloaded_once_whole(servers, built):
    server = start(servers, built, "two-steps.log")
    views = built.code / "views.py"
    text = value_module("written-in-two-steps")
    half = text.index("class Value")
    mark = len(server.log())
    # As a tool that deletes a file and writes it anew, and not in one go.
    os.unlink(views)
    with open(views, "w") as stream:
        stream.write(text[:half] + "class Value(BrowserView\n")
        stream.flush()
        time.sleep(0.05)
        stream.seek(half)
        stream.write(text[half:])
    served(server, "/@@value", "value=written-in-two-steps")
    server.wait_until_quiet(quiet=0.3)
    assert "reload failed" not in server.log()[mark:], server.log()[mark:]


def test_a_file_with_a_null_byte_is_reported_at_its_line(servers, built):
    server = start(servers, built, "null-byte.log")
    views = built.code / "views.py"
    text = value_module("after-null-byte")
    broken = text.replace('return "value=after-null-byte"', 'return "value=\0"')
    line = line_of(text, '        return "value=after-null-byte"')
    mark = len(server.log())
    views.write_bytes(broken.encode())
    error = server.wait_for_log(r"ERROR [^\n]*", after=mark, timeout=30).group(0)
    assert "%s:%d: " % (views, line) in error and "null bytes -- reload failed" in error, error
    views.write_text(text)
    served(server, "/@@value", "value=after-null-byte")
