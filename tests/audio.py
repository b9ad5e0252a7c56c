"""Read what SDL's disk audio driver wrote and find the sounds in it."""

import array
from dataclasses import dataclass

RATE = 44100  # the runtime's MIXER_SETTINGS: 16-bit stereo at 44.1 kHz
WINDOW = RATE // 200  # 5 ms
THRESHOLD = 300  # of 32767: well above dithering, well below our sounds


@dataclass
class Segment:
    start: float
    duration: float
    frequency: float  # from zero crossings: enough to tell a rising chime from a low buzz


def segments(raw, gap=0.05):
    samples = array.array("h")
    samples.frombytes(raw[: len(raw) // 4 * 4])
    left = samples[::2]
    loud = []
    for index in range(0, len(left) - WINDOW, WINDOW):
        window = left[index : index + WINDOW]
        loud.append(max(abs(value) for value in window) > THRESHOLD)
    found = []
    start = None
    quiet = 0
    for position, is_loud in enumerate(loud + [False] * int(gap * 200 + 1)):
        if is_loud:
            if start is None:
                start = position
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet > gap * 200:
                end = position - quiet + 1
                found.append(_segment(left, start * WINDOW, end * WINDOW))
                start, quiet = None, 0
    return found


def _segment(left, first, last):
    part = left[first:last]
    crossings = sum(1 for a, b in zip(part, part[1:], strict=False) if (a < 0) != (b < 0))
    duration = len(part) / RATE
    return Segment(first / RATE, duration, crossings / 2 / duration if duration else 0.0)
