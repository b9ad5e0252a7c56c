"""A child of the template: becomes the supervisor's child, then finishes Zope's start-up.

The template forks twice so that the child is re-parented to bin/instance-autoreload (a
child subreaper): the supervisor waits for it, signals it and gets its exit status exactly
as for a cold start, and the child dies with the supervisor (PR_SET_PDEATHSIG) as a cold
start does.  Then it runs Zope's ``serve`` again: the configuration is read again, the
watched modules run in place of their placeholders before the products are imported, and
the site's ZCML is the template's with the watched files parsed into its holes.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import signal
import sys
import time
import traceback

from collective.autorestart.contract import FD_VARIABLE, MODULES_VARIABLE, TEMPLATE_OFF
from collective.autorestart.template.holes import CannotSplit, fill_and_execute

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
REPARENT_SECONDS = 2.0

log = logging.getLogger("collective.autorestart.template")


def fork(detail, fds, channel, build, serve_argv) -> None:
    """In the template: returns once the intermediate process is gone."""
    intermediate = os.fork()
    if intermediate == 0:
        try:
            if os.fork() == 0:
                _become_the_supervisors(detail, fds, channel, build)
                os._exit(_run_zope(detail, build, serve_argv))
        finally:
            os._exit(0)
    os.waitpid(intermediate, 0)


def _become_the_supervisors(detail, fds, channel, build) -> None:
    from collective.autorestart.template.name import INTERPRETER_COMM, set_comm

    supervisor = detail["supervisor"]
    deadline = time.monotonic() + REPARENT_SECONDS
    while os.getppid() != supervisor:
        if time.monotonic() > deadline:
            os._exit(1)  # the supervisor is not our subreaper: it is gone
        time.sleep(0.0002)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)
    if os.getppid() != supervisor:
        os._exit(1)  # it died before the request took effect
    if detail["own_group"]:
        os.setpgid(0, 0)
    # The template ignores SIGINT (Ctrl-C is for the instance); SIGHUP stays ignored, as
    # for a cold start (supervisor/child.py).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    control = fds[0]
    os.set_inheritable(control, False)
    os.environ.update(detail["env"])
    os.environ[detail["fd_variable"]] = str(control)
    # Only a cold start tells the next template what a start-up imports, in its order.
    os.environ.pop(MODULES_VARIABLE, None)
    set_comm(INTERPRETER_COMM)
    channel.send("child", str(os.getpid()))
    channel.close()


def _run_zope(detail, build, serve_argv) -> int:
    import OFS.Application
    import Zope2.App.startup
    import Zope2.App.zcml
    from Zope2.Startup import serve

    build.placeholders.uninstall()
    import_products = OFS.Application.import_products
    load_site = Zope2.App.zcml.load_site
    setup_logging = serve.setup_logging

    failed: list[str] = []

    def realize_then_import_products():
        # Before the products are imported, once the configuration is read: a watched
        # product is imported there by a cold start, the others in its ZCML, which needs them.
        try:
            build.placeholders.realize()
        except Exception as error:  # noqa: B902 - raised again where a cold start raises it
            failed.append("%s: %s" % (type(error).__name__, error))
        return import_products()

    def split_load_site(force=False):
        Zope2.App.zcml.load_site = load_site
        if failed:
            # The whole parse imports it again at its include, and fails with a cold
            # start's error, file and line.
            log.debug("a watched module failed to import (%s): the whole ZCML is parsed", failed[0])
            return load_site(force)
        if build.split is None:
            return load_site(force)
        try:
            fill_and_execute(build.split)
        except CannotSplit as error:
            log.info("the whole ZCML is parsed in this start: %s", error.args[0])
            return load_site(force)
        Zope2.App.zcml._initialized = True
        Zope2.App.zcml._context = build.split.machine

    def setup_logging_as_cold(*args, **kw):
        setup_logging(*args, **kw)
        # fileConfig disables the loggers that exist: a cold start creates these after it.
        for name, disabled in build.loggers.items():
            logger = logging.Logger.manager.loggerDict.get(name)
            if isinstance(logger, logging.Logger):
                logger.disabled = disabled

    startup = Zope2.App.startup.startup

    def startup_then_check():
        startup()
        Zope2.App.startup.startup = startup
        stale = build.bindings.stale_captures(build.imported_late)
        if stale:
            reason = "%s, which a cold start may give the replacement" % stale[0]
            log.warning("this instance may differ from a cold start: %s (and %d more)", reason, len(stale) - 1)
            _tell_supervisor(TEMPLATE_OFF, reason)

    Zope2.App.startup.startup = startup_then_check
    OFS.Application.import_products = realize_then_import_products
    Zope2.App.zcml.load_site = split_load_site
    serve.setup_logging = setup_logging_as_cold
    sys.argv[:] = [serve.__file__] + serve_argv[1:]
    try:
        code = serve.main(serve_argv)
    except SystemExit as exit:
        code = exit.code
    except KeyboardInterrupt:
        _finish()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 130
    except BaseException:  # noqa: B902 - as Python reports an uncaught exception
        traceback.print_exc()
        code = 1
    finally:
        OFS.Application.import_products = import_products
        serve.setup_logging = setup_logging
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    _finish()
    return code


def _tell_supervisor(word: str, reason: str) -> None:
    """On the instance's control pipe, before the runtime takes it over."""
    fd = os.environ.get(FD_VARIABLE, "")
    if fd.isdigit():
        try:
            os.write(int(fd), ("%s %s\n" % (word, reason.replace("\n", " "))).encode("utf-8", "replace"))
        except OSError:
            pass


def _finish() -> None:
    """What Python does at exit that a developer can see: atexit handlers (logging's flush
    among them) and the streams.  Not the teardown of every module: the ZODB is closed by
    now, and on Plone that teardown is most of a stop."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
