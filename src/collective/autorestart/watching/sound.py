"""Success and failure sounds through pygame's mixer, played from a worker thread.

pygame is optional (``collective.autorestart[sound]``); without it, without an audio device
or with ``sound = off`` we log one line saying why it is silent and carry on.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pygame is optional: imported by the player's thread only
    from pygame.mixer import Sound

log = logging.getLogger("collective.autorestart")

SUCCESS = "success"
FAILURE = "failure"
# A small buffer keeps the sound close to the reload it reports.
MIXER_SETTINGS: dict[str, Any] = {"frequency": 44100, "size": -16, "channels": 2, "buffer": 512}


class SilentPlayer:
    def start(self) -> None:
        pass

    def play(self, kind: str) -> None:
        pass

    def stop(self) -> None:
        pass


class PygamePlayer:
    """Opens the mixer and loads the sounds in its own daemon thread, so neither Zope's
    start nor a reload ever waits for the audio device."""

    def __init__(self, files: dict[str, str], start: bool = True) -> None:
        self._files = files
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="collective.autorestart sound", daemon=True)
        if start:
            self._thread.start()

    def start(self) -> None:
        """For a player made with start=False; sounds asked for before it are played then."""
        self._thread.start()

    def play(self, kind: str) -> None:
        self._queue.put(kind)

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        sounds = self._open()
        if sounds is None:
            return
        while True:
            kind = self._queue.get()
            if kind is None:
                return
            sound = sounds.get(kind)
            if sound is not None:
                sound.play()

    def _open(self) -> dict[str, Sound] | None:
        # SDL would otherwise install its own SIGINT/SIGTERM handlers in Zope's process.
        os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        try:
            import pygame.mixer
        except ImportError:
            log.info("sound: pygame is not installed (install collective.autorestart[sound]); silent")
            return None
        missing = missing_audio_device()
        if missing:
            log.info("sound: no audio device (%s); silent", missing)
            return None
        try:
            pygame.mixer.init(**MIXER_SETTINGS)
        except Exception as error:  # noqa: B902 - pygame.error, and whatever SDL's drivers raise
            log.info("sound: no audio device (%s); silent", error)
            return None
        sounds = {}
        for kind, filename in self._files.items():
            try:
                sounds[kind] = pygame.mixer.Sound(filename)
            except Exception as error:  # noqa: B902 - whatever the decoder raises
                log.warning("sound: cannot play %s (%s); the %s sound stays silent", filename, error, kind)
        return sounds


def missing_audio_device() -> str | None:
    """Why there is surely no device to play on, or None.  Asking ALSA to open a device on a
    machine without one fills the terminal with its complaints, so look first."""
    if os.environ.get("SDL_AUDIODRIVER"):
        return None  # the user chose a driver: let SDL say whether it works
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR", "/run/user/%d" % os.getuid())
    sockets = [os.path.join(runtime_dir, "pulse", "native"), os.path.join(runtime_dir, "pipewire-0")]
    if os.path.isdir("/dev/snd") or any(os.path.exists(path) for path in sockets):
        return None
    return "no /dev/snd and no PulseAudio or PipeWire socket"


def make_player(
    enabled: bool, success: str, failure: str, start: bool = True, where: str = "sound in buildout.cfg"
) -> SilentPlayer | PygamePlayer:
    """start=False: the player's thread (which imports pygame) starts at its start().
    where: where the user switched it off, for the log."""
    if not enabled:
        log.info("sound: off (%s)", where)
        return SilentPlayer()
    return PygamePlayer({SUCCESS: success, FAILURE: failure}, start=start)
