"""End to end: what the engine can't apply in place is escalated to a restart that says why,
so that the process serves what a cold start on the same files serves; a classmethod is
updated in place.  Each case: the page before, the edit, the page a cold start would serve.
And the private names of other packages the engine relies on are there in a real Zope."""

import subprocess
import textwrap

import pytest

from harness.http import served

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.smoke, pytest.mark.usefixtures("package")]

WATCHING = r"watching \d+ directories"


def views(body):
    return (
        "from Products.Five.browser import BrowserView\n"
        + textwrap.dedent(body)
        + textwrap.dedent(
            """

        class DebugMode(BrowserView):
            def __call__(self):
                return "debug-mode=True"
        """
        )
    )


SLOTS = """
class Thing:
    __slots__ = ({slots})


class Value(BrowserView):
    def __call__(self):
        return "value=" + ",".join(Thing.__slots__)
"""

CLOSURE = """
import functools


def decorate(function):
    suffix = "{suffix}"

    @functools.wraps(function)
    def wrapper(*args):
        return function(*args){plus}
    return wrapper


@decorate
def text():
    return "{text}"


class Value(BrowserView):
    def __call__(self):
        return "value=" + text()
"""

CLASSMETHOD = """
class Value(BrowserView):
    @classmethod
    def text(cls):
        return "{text}"

    def __call__(self):
        return "value=" + self.text()
"""

CASES = {
    "changed slots": (
        SLOTS.format(slots='"a",'),
        "value=a",
        SLOTS.format(slots='"a", "b"'),
        "value=a,b",
        "the __slots__ of Thing changed",
    ),
    "closure decorator that changed shape": (
        CLOSURE.format(suffix="!", plus="", text="before"),
        "value=before",
        CLOSURE.format(suffix="!", plus=" + suffix", text="after"),
        "value=after!",
        "the closure of text changed shape",
    ),
}


def start(servers, built, name):
    server = servers([str(built.script)], built.directory, built.directory / name, built.port)
    server.wait_for_log(WATCHING)
    return server


@pytest.mark.parametrize("case", sorted(CASES))
def test_what_xreload_gets_wrong_restarts_and_says_why(servers, built, case):
    before, served_before, after, served_after, why = CASES[case]
    (built.code / "views.py").write_text(views(before))
    server = start(servers, built, "engine-%s.log" % case.replace(" ", "-"))
    served(server, "/@@value", served_before, restarting=True)
    mark = len(server.log())
    (built.code / "views.py").write_text(views(after))
    server.wait_for_log(r"restarting the instance: autotest\.app\.views: %s" % why, after=mark, timeout=30)
    served(server, "/@@value", served_after, restarting=True)


def test_a_classmethod_is_updated_in_place(servers, built):
    (built.code / "views.py").write_text(views(CLASSMETHOD.format(text="before")))
    server = start(servers, built, "engine-classmethod.log")
    served(server, "/@@value", "value=before", restarting=True)
    mark = len(server.log())
    (built.code / "views.py").write_text(views(CLASSMETHOD.format(text="after")))
    served(server, "/@@value", "value=after")
    server.wait_for_log(r"reloaded autotest\.app\.views in ", after=mark, timeout=10)
    assert "restarting" not in server.log()[mark:] and "reload failed" not in server.log()[mark:]


UNCHANGED_INTERFACE = """
from zope import schema
from zope.interface import Attribute, Interface, invariant


def short(value):
    return len(value) < 100


class IThing(Interface):
    name = Attribute("a name")
    title = schema.TextLine(title="Title", required=False, constraint=short, default="x")
    tags = schema.List(title="Tags", value_type=schema.Choice(values=["a", "b"]))

    def describe(verbose=False):
        "Says what it is."

    @invariant
    def named(data):
        pass


class Base:
    pass


class Value(BrowserView, Base):
    def __call__(self):
        return "{prefix}=" + ",".join(sorted(IThing.names()))
"""


def test_a_module_with_an_unchanged_interface_and_bases_is_reloaded_in_place(servers, built):
    (built.code / "views.py").write_text(views(UNCHANGED_INTERFACE.format(prefix="value")))
    server = start(servers, built, "engine-unchanged.log")
    served(server, "/@@value", "value=describe,name,tags,title", restarting=True)
    mark = len(server.log())
    (built.code / "views.py").write_text(views(UNCHANGED_INTERFACE.format(prefix="value=again")))
    served(server, "/@@value", "value=again=describe,name,tags,title")
    server.wait_for_log(r"reloaded autotest\.app\.views in ", after=mark, timeout=10)
    assert "restarting" not in server.log()[mark:], server.log()[mark:]


PROBE = """
from collective.autorestart.runtime.touchpoints import TOUCHPOINTS, problems

print("probed %d touchpoints" % len(TOUCHPOINTS))
for problem in problems():
    print("touchpoint gone: " + problem)
"""


def test_the_private_names_the_engine_relies_on_are_there(built):
    script = built.directory / "probe_touchpoints.py"
    script.write_text(PROBE)
    result = subprocess.run(
        [str(built.directory / "bin" / "instance"), "run", str(script)],
        cwd=built.directory,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "probed" in result.stdout, result.stdout + result.stderr
    gone = [line for line in result.stdout.splitlines() if line.startswith("touchpoint gone: ")]
    assert gone == [], "\n".join(gone)
