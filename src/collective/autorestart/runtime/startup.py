"""Start the runtime from Zope's process-starting event, once, and only when asked to."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from collective.autorestart.contract import STARTED_VARIABLE, SWITCH_VALUE, SWITCH_VARIABLE, Config
from collective.autorestart.runtime import deferred, threaddump
from collective.autorestart.runtime.zcml import outside
from collective.autorestart.watching.channel import SupervisorChannel

if TYPE_CHECKING:  # imported by _build only: plain bin/instance never loads pyinotify
    from collective.autorestart.watching.service import WatchService
    from collective.autorestart.watching.sound import PygamePlayer, SilentPlayer

log = logging.getLogger("collective.autorestart")

STOP_TIMEOUT_SECONDS = 1.0
# Why the runtime stays off, as the supervisor's line says it ("autoreload is off: ...").
NOT_IN_DEBUG_MODE = "Zope is not in debug mode"
NO_CONFIG = (
    "no autorestart:config was loaded, but collective.autorestart's configure.zcml was:"
    " run bin/buildout again (the ZCML slug is missing)"
)
COULD_NOT_START = "it could not start (%s: %s)"

_lock = threading.Lock()
_service: WatchService | None = None
_channel: SupervisorChannel | None = None


def switched_on() -> bool:
    return os.environ.get(SWITCH_VARIABLE) == SWITCH_VALUE


def debug_mode() -> bool:
    from App.config import getConfiguration

    return bool(getattr(getConfiguration(), "debug_mode", False))


def on_process_starting(event: object) -> None:
    from collective.autorestart.runtime.directive import current_config

    if not switched_on():
        return
    if not debug_mode():
        stay_off(NOT_IN_DEBUG_MODE, logging.WARNING)
        return
    config = current_config()
    if config is None:
        stay_off(NO_CONFIG, logging.WARNING)
        return
    kept = outside.remember_outside()
    if kept is not None:
        log.debug("%d registrations made outside ZCML are kept across ZCML reloads", kept)
    start(config)


def supervisor_channel() -> SupervisorChannel:
    """The pipe to bin/instance-autoreload, taken from the environment once per process."""
    global _channel
    if _channel is None:
        _channel = SupervisorChannel.from_environment()
    return _channel


def stay_off(reason: str, level: int) -> None:
    """Tell the supervisor, which logs the one line about it; without one, log it here."""
    if supervisor_channel().off(reason):
        log.debug("autoreload is off: %s (told bin/instance-autoreload)", reason)
    else:
        log.log(level, "autoreload is off: %s", reason)


def start(config: Config):
    """Idempotent: a ZCML reload or a second event never starts a second watcher.  Never
    raises: whatever keeps autoreload from starting (no inotify instance left, no /proc,
    a signal handler that can't be installed) is one log line, and Zope serves on."""
    global _service
    with _lock:
        if _service is not None:
            return _service
        undo: list = []
        try:
            undo.append(threaddump.install(config.threaddump_file))
            service, player = _build(config, undo)

            def start_threads() -> None:
                if _service is service:  # not stopped meanwhile (Zope ended during its start)
                    player.start()
                    service.start()

            _service = service
            deferred.after_notify(start_threads)
        except Exception as error:  # noqa: B902 - start-up never raises: Zope serves on
            _service = None
            for step in reversed(undo):
                step()
            stay_off(COULD_NOT_START % (type(error).__name__, error), logging.ERROR)
            log.debug("starting autoreload failed", exc_info=True)
            return None
        atexit.register(stop)
        return _service


def stop() -> None:
    global _service
    with _lock:
        service, _service = _service, None
    if service is not None:
        service.stop()
        service.join(STOP_TIMEOUT_SECONDS)


def _build(config: Config, undo: list) -> tuple[WatchService, SilentPlayer | PygamePlayer]:
    """``undo`` gets what must be undone should the start fail after all."""
    # Imported here so that plain bin/instance never loads pyinotify, pygame or the reloader.
    from collective.autorestart.runtime import gate
    from collective.autorestart.runtime.loaded_modules import write_loaded_modules
    from collective.autorestart.runtime.reloader import CodeReloader
    from collective.autorestart.watching.bounded import BoundedApplier
    from collective.autorestart.watching.cycle import ReloadCycle
    from collective.autorestart.watching.factory import make_watch_service
    from collective.autorestart.watching.modules import ModuleIndex
    from collective.autorestart.watching.planner import Policy
    from collective.autorestart.watching.sound import make_player

    log.setLevel(config.log_level)
    channel = supervisor_channel()
    player = make_player(
        config.sound, config.success_sound, config.failure_sound, start=False, where=config.where_to_set("sound")
    )
    policy = Policy(
        restart_on=config.restart_on,
        zcml_restarts=config.on_zcml_change == "restart",
        buildout_directory=config.buildout_directory,
    )
    index = ModuleIndex(config.watch, config.exclude)
    request_gate = gate.RequestGate()
    reloader = CodeReloader(config.watch, index)
    applier = gate.GatedApplier(BoundedApplier(reloader, config.reload_timeout / 1000, config.watch), request_gate)
    built_at = time.time()
    undo.append(gate.install(request_gate))
    cycle = ReloadCycle(
        index,
        applier,
        player,
        policy,
        restart=channel.restart,
        restart_fresh=channel.restart_fresh,
        restart_on_error=config.on_reload_error == "restart",
        restart_on_unsafe=config.on_unsafe_change == "restart",
    )

    def announce(stats) -> None:
        from collective.autorestart.watching.choose import describe

        log.info(
            "watching %d directories, %d files under %s in %.0f ms (%r, debounce %d ms)%s",
            stats.directories,
            stats.files,
            describe(service.choices, service.poll_interval),
            stats.seconds * 1000,
            service.filter,
            config.debounce,
            "; INCOMPLETE: inotify watch limit reached" if stats.limit_reached else "",
        )
        if stats.followed:
            index.add_roots(stats.followed)
        reloader.remember_sources(_instance_started() or built_at)
        if stats.changed_before:
            log.info("applying %d files saved while the instance started", stats.changed_before)
        channel.ready()
        try:
            write_loaded_modules(index.watched)
        except OSError as error:
            log.debug("cannot write the loaded modules for the template: %s", error)

    try:
        service = make_watch_service(config, cycle, on_ready=announce, changed_since=_instance_started())
    except BaseException:  # noqa: B902 - re-raised
        player.stop()
        raise
    return service, player


def _instance_started() -> float | None:
    try:
        return float(os.environ[STARTED_VARIABLE])
    except (KeyError, ValueError):
        return None
