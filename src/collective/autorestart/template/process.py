"""The template process: build once, then fork a child for each request until EOF.

It runs Zope's own ``serve`` up to the point where a cold start would open the ZODB, with
``Zope2.App.startup.startup`` standing in for the rest: Zope's patches, the imports of the
last start, the site's ZCML parsed but for the watched files.  So every module is imported
in the order and the state (configuration, patches, logging) that a cold start has.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from typing import TYPE_CHECKING

from collective.autorestart.template.captures import Bindings
from collective.autorestart.template.channel import TemplateChannel
from collective.autorestart.template.placeholders import Placeholders
from collective.autorestart.template.quiet import Quiet

if TYPE_CHECKING:  # zope.configuration is imported where a cold start imports it: later
    from collective.autorestart.template.holes import SplitSite

log = logging.getLogger("collective.autorestart.template")


class TemplateBuilt(BaseException):
    """Unwinds Zope's start-up at the point where a cold start would open the ZODB."""


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m collective.autorestart.template")
    parser.add_argument("slug")
    parser.add_argument("interpreter")
    parser.add_argument("modules")
    parser.add_argument("serve_arguments", nargs=argparse.REMAINDER)
    return parser.parse_args(argv)


class Build:
    """What the template holds once built."""

    def __init__(self, placeholders: Placeholders, module_names: list[str]) -> None:
        self.placeholders = placeholders
        self.module_names = module_names
        self.failed_imports: list[str] = []
        self.split: SplitSite | None = None
        self.why_not_split: str | None = None
        self.loggers: dict[str, bool] = {}
        self.bindings = Bindings({})
        self.imported_late: set[str] = set()

    def instead_of_startup(self) -> None:
        import OFS.Application
        from Zope2.App import patches

        from collective.autorestart.runtime import session_zcml
        from collective.autorestart.template import holes, preload

        # As Zope2.App.startup.startup begins: its patches, then the products, imported
        # (a watched one as a placeholder) so that five:loadProducts finds every product on
        # the Products package, and includes its ZCML, or leaves a hole for it.
        patches.apply_patches()
        OFS.Application.import_products()
        self.failed_imports = preload.preload(self.module_names)
        try:
            self.split = holes.parse_site(session_zcml.site_files(), self.placeholders.watched)
        except Exception as error:  # noqa: B902 - then each child parses all of it
            # Its last line: the error under the file-and-line lines of the include chain.
            last = (str(error).strip().splitlines() or [""])[-1].strip()
            self.why_not_split = "%s: %s" % (type(error).__name__, last)
        self.bindings = Bindings.of_loaded_modules()
        self.imported_late = preload.imported_after_watched_code(self.module_names)
        # What fileConfig in a child must not change: loggers a cold start creates after it.
        self.loggers = {
            name: logger.disabled
            for name, logger in logging.Logger.manager.loggerDict.items()
            if isinstance(logger, logging.Logger)
        }
        raise TemplateBuilt()


@contextmanager
def _standing_in(zope2, serve, build):
    """Zope's serve as a cold start runs it, but for two things: the server's factory is
    found, not called (it binds the port: plone.recipe.zope2instance's fast-listen), and
    ``Zope2.App.startup.startup`` is the build.  Nothing is imported that a cold start
    imports later: Zope2.App.startup only once the configuration is read, as startup_wsgi
    does (chameleon, imported with it, reads its cache directory from the configuration's
    environment at import)."""
    from paste.deploy import loadwsgi

    configure = zope2._configure_wsgi
    loadserver = serve.ServeCommand.loadserver
    replaced = {}

    def configure_then_stand_in():
        configure()
        from Zope2.App import startup

        replaced["startup"] = startup.startup
        startup.startup = build.instead_of_startup

    def find_server(self, server_spec, name, relative_to, **kw):
        loadwsgi.loadcontext(
            loadwsgi.SERVER, server_spec, name=name, relative_to=relative_to, global_conf=kw.get("global_conf")
        )

    zope2._configure_wsgi = configure_then_stand_in
    serve.ServeCommand.loadserver = find_server
    try:
        yield
    finally:
        zope2._configure_wsgi = configure
        serve.ServeCommand.loadserver = loadserver
        if "startup" in replaced:
            from Zope2.App import startup

            startup.startup = replaced["startup"]


def other_threads() -> list[str]:
    """Threads besides this one, Python's or not: forking would copy them in a dead state."""
    names = [thread.name for thread in threading.enumerate() if thread is not threading.current_thread()]
    try:
        tasks = len(os.listdir("/proc/self/task"))
    except OSError:
        tasks = 1
    if tasks > 1 + len(names):
        names.append("%d thread(s) not started by Python" % (tasks - 1 - len(names)))
    return names


def main(argv=None) -> int:
    import Zope2
    from Zope2.Startup import serve

    from collective.autorestart.runtime import session_zcml
    from collective.autorestart.template import preload
    from collective.autorestart.template.inputs import Inputs
    from collective.autorestart.watching.config import read_slug

    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    channel = TemplateChannel.from_environment()
    # Ctrl-C in a terminal reaches the whole group: it is for the instance, and the
    # supervisor ends us once the instance is down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    started = time.monotonic()
    config = read_slug(arguments.slug)
    placeholders = Placeholders(config.watch, config.exclude)
    placeholders.install()
    # A child that can't use the split parse loads the site as a cold start of the session does.
    session_zcml.install()
    build = Build(placeholders, preload.read_module_names(arguments.modules))
    serve_argv = ["serve"] + arguments.serve_arguments
    failure = None
    with Quiet() as quiet, _standing_in(Zope2, serve, build):
        try:
            serve.main(serve_argv)
        except TemplateBuilt:
            pass
        except BaseException as error:  # noqa: B902 - the supervisor says it and starts cold
            failure = "%s: %s" % (type(error).__name__, error)
            traceback.print_exc()
        else:
            failure = "Zope's serve returned before it started Zope"
    if failure is not None:
        quiet.show_end()
        channel.send("failed", failure)
        return 1
    Zope2._began_startup = 0
    swallowed = placeholders.swallowed_uses()
    if swallowed:
        use = swallowed[0]
        channel.send(
            "failed",
            "%s used %s.%s of watched code while it was imported, and went on without it"
            % (use.importing[-1], use.placeholder, use.attribute),
        )
        return 1
    threads = other_threads()
    if threads:
        channel.send("failed", "a thread runs after the imports (%s): forking would copy it dead" % ", ".join(threads))
        return 1
    extra = [arguments.interpreter, arguments.slug]
    if build.split is not None:
        extra.extend(build.split.files)
    inputs = Inputs.of_this_process(extra, watched=placeholders.watched)
    gc.collect()
    # The children then share the template's objects instead of copying each page that
    # the collector would touch.
    gc.freeze()
    channel.send(
        "ready",
        {
            "seconds": round(time.monotonic() - started, 3),
            "modules": len(sys.modules),
            "inputs": len(inputs),
            "in_each_child": build.failed_imports[:5],
            "in_each_child_count": len(build.failed_imports),
            "watched_zcml": [hole.path for hole in build.split.holes] if build.split else [],
            "zcml_split": build.why_not_split,
        },
    )
    return serve_children(channel, build, inputs, serve_argv)


# How often an idle template looks whether what it was built from changed (4,000 stats on
# Plone: about 10 ms, so 0.1 % of a core), so that the supervisor builds the next one before
# the next restart needs it.
CHECK_SECONDS = 10.0


def serve_children(channel, build, inputs, serve_argv) -> int:
    from collective.autorestart.template import child

    while True:
        if not channel.wait(CHECK_SECONDS):
            changed = inputs.changed()
            if changed is not None:
                channel.send("stale", "%s changed" % changed)
                return 0
            continue
        request = channel.receive()
        if request is None:
            return 0
        detail, fds = request
        changed = inputs.changed()
        threads = other_threads()
        if changed is not None or threads:
            for fd in fds:
                os.close(fd)
            reason = "%s changed" % changed if changed else "a thread runs (%s)" % ", ".join(threads)
            channel.send("cold", reason)
            return 0  # out of date: the supervisor builds another
        child.fork(detail, fds, channel, build, serve_argv)
        for fd in fds:
            os.close(fd)
