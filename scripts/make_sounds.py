"""Write the two sounds shipped in src/collective/autorestart/sounds/.

Run it again after changing a tone: python scripts/make_sounds.py
Success rises (a short major third and fifth chime); failure falls, with a buzz.
"""

import math
import os
import struct
import wave

RATE = 22050
HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "src", "collective", "autorestart", "sounds")


def envelope(index, total, attack=0.01, release=0.08):
    t = index / RATE
    length = total / RATE
    rise = min(1.0, t / attack)
    fall = min(1.0, (length - t) / release)
    return max(0.0, min(rise, fall))


def tone(frequencies, seconds, harmonics=(1.0,), volume=0.5):
    """Frequencies glide linearly from the first to the last over the duration."""
    total = int(RATE * seconds)
    samples = []
    phase = 0.0
    for index in range(total):
        position = index / total * (len(frequencies) - 1)
        low = int(position)
        high = min(low + 1, len(frequencies) - 1)
        frequency = frequencies[low] + (frequencies[high] - frequencies[low]) * (position - low)
        phase += 2 * math.pi * frequency / RATE
        value = sum(weight * math.sin(phase * (n + 1)) for n, weight in enumerate(harmonics))
        value /= sum(harmonics)
        samples.append(value * volume * envelope(index, total))
    return samples


def notes(*parts):
    samples = []
    for part in parts:
        samples.extend(part)
    return samples


def write(name, samples):
    path = os.path.join(TARGET, name)
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))
    print("wrote", os.path.normpath(path))


def main():
    os.makedirs(TARGET, exist_ok=True)
    bell = (1.0, 0.3, 0.1)
    write("success.wav", notes(tone([659.3], 0.09, bell), tone([987.8], 0.16, bell)))
    buzz = (1.0, 0.6, 0.45, 0.3, 0.2)
    write("failure.wav", notes(tone([220.0, 164.8], 0.32, buzz, volume=0.45)))


if __name__ == "__main__":
    main()
