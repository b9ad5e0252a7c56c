"""The sound player for real: pygame's mixer on SDL's disk audio driver."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from audio import segments

SOUNDS = Path(__file__).resolve().parent.parent / "src" / "collective" / "autorestart" / "sounds"
SRC = Path(__file__).resolve().parent.parent / "src"

PLAY = textwrap.dedent(
    """\
    import logging, sys, time
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    from collective.autorestart.watching.sound import make_player
    player = make_player(True, sys.argv[1], sys.argv[2])
    time.sleep(0.5)  # the mixer opens in the player's thread
    for kind in sys.argv[3:]:
        player.play(kind)
        time.sleep(0.6)
    player.stop()
    """
)


def play(tmp_path, *kinds, success=SOUNDS / "success.wav", failure=SOUNDS / "failure.wav", **env):
    disk = tmp_path / "audio.raw"
    environment = dict(os.environ, SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILE=str(disk), PYTHONPATH=str(SRC))
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PLAY, str(success), str(failure), *kinds],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return (disk.read_bytes() if disk.exists() else b""), result.stderr


def test_success_rises_and_failure_buzzes(tmp_path):
    raw, log = play(tmp_path, "success", "failure")
    assert "silent" not in log, log
    found = segments(raw)
    assert len(found) == 2, found
    success, failure = found
    assert success.duration == pytest.approx(0.25, abs=0.03)
    assert failure.duration == pytest.approx(0.32, abs=0.03)
    assert success.frequency > 600 > 250 > failure.frequency
    assert failure.start - success.start == pytest.approx(0.6, abs=0.15)


def test_undecodable_sound_file_is_one_line_and_the_other_still_plays(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"this is not a sound")
    raw, log = play(tmp_path, "success", "failure", success=broken)
    warnings = [line for line in log.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and str(broken) in warnings[0] and "cannot play" in warnings[0]
    found = segments(raw)
    assert len(found) == 1 and found[0].frequency < 250


def test_no_audio_device_is_one_line_and_no_crash(tmp_path):
    _, log = play(tmp_path, "success", SDL_AUDIODRIVER="no-such-driver")
    lines = [line for line in log.splitlines() if "sound:" in line]
    assert len(lines) == 1 and "no audio device" in lines[0] and "silent" in lines[0]


def test_sound_off_is_silent_and_says_so(tmp_path):
    code = (
        "import logging; logging.basicConfig(level=logging.INFO, format='%(message)s');"
        "from collective.autorestart.watching.sound import make_player;"
        "make_player(False, 'a', 'b').play('success'); import sys;"
        "sys.exit('pygame' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, PYTHONPATH=str(SRC)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert "sound: off" in result.stderr
