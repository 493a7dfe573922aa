"""Pen trajectories in a unit box (x right, y down): strokes, a compact way to write them down,
and Dr. A. V. Hershey's stroke glyphs.

A form (one way of writing a symbol) is a tuple of strokes in writing order; each stroke is one
pen-down movement, a smooth curve through its points or straight segments. Forms are written as
short strings, coordinates in hundredths of the box, strokes separated by "|":

    "c 86 20 72 46 56 72"          a smooth curve through (0.86, 0.2), (0.72, 0.46), (0.56, 0.72)
    "l 14 8 84 6 40 96"            straight segments
    "o 50 50 30 46 -100 -375"      an elliptic arc: centre, radii, start angle and sweep (degrees;
                                   0 = right, -90 = top, a negative sweep turns anticlockwise)

`hershey(code)` reads a glyph in the Hershey fonts' text format (James Hurt's). The Hershey Fonts
were originally created by Dr. A. V. Hershey while working at the U. S. National Bureau of
Standards. The format of the Font data in this distribution was originally created by James Hurt,
Cognition, Inc., 900 Technology Park Drive, Billerica, MA 01821. (The licence of the Hershey
fonts' data asks for these two acknowledgements; the glyphs in `greek_shapes.py` are the
lowercase Greek of the simplex Greek face, `greeks.jhf` in Debian's hershey-fonts-data.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Stroke:
    """One pen-down movement: a smooth curve through its points, or straight segments."""

    points: np.ndarray
    smooth: bool = True


def curve(*points: tuple[float, float]) -> Stroke:
    return Stroke(np.array(points, dtype=float))


def line(*points: tuple[float, float]) -> Stroke:
    return Stroke(np.array(points, dtype=float), smooth=False)


def oval(
    cx: float, cy: float, rx: float, ry: float, start: float = -90.0, sweep: float = -380.0, steps: int = 0
) -> Stroke:
    """An elliptic arc from `start` degrees (0 = right, -90 = top), anticlockwise when sweep < 0.

    The default sweep goes a little past a full turn: a hand closing a loop overshoots it.
    """
    steps = steps or max(4, int(abs(sweep) / 36))
    angles = np.radians(start + sweep * np.linspace(0, 1, steps + 1))
    return Stroke(np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1))


def parse(text: str) -> tuple[Stroke, ...]:
    """Strokes from the compact notation above (hundredths of the unit box)."""
    strokes = []
    for part in text.split("|"):
        kind, *numbers = part.split()
        values = [float(v) for v in numbers]
        if kind == "o":
            cx, cy, rx, ry, start, sweep = values
            strokes.append(oval(cx / 100, cy / 100, rx / 100, ry / 100, start, sweep))
            continue
        if kind not in ("c", "l") or len(values) < 4 or len(values) % 2:
            raise ValueError(f"bad stroke {part.strip()!r}: 'c' or 'l' and an even number (4+) of values")
        points = np.array(values, dtype=float).reshape(-1, 2) / 100
        strokes.append(Stroke(points, smooth=kind == "c"))
    return tuple(strokes)


def hershey(code: str) -> tuple[Stroke, ...]:
    """A Hershey glyph (the text after its number and count: margins, then coordinate pairs, each
    character's code minus ord('R'); " R" lifts the pen), as smooth strokes in a unit box."""
    pairs = [code[i : i + 2] for i in range(2, len(code), 2)]
    strokes, current = [], []
    for pair in pairs + [" R"]:
        if pair == " R":
            if len(current) > 1:
                strokes.append(np.array(current, dtype=float))
            current = []
        else:
            current.append((ord(pair[0]) - ord("R"), ord(pair[1]) - ord("R")))
    everything = np.vstack(strokes)
    low = everything.min(axis=0)
    scale = max(np.ptp(everything, axis=0).max(), 1e-6)
    return tuple(Stroke((s - low) / scale, smooth=len(s) > 2) for s in strokes)
