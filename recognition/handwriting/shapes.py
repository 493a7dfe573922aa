"""The shapes of the generated handwriting: stroke templates in a unit box (x right, y down).

Two families, so that the "own" sets measure generalisation across writers, not template matching:

- `TEMPLATES`, the reference forms: the Greek reference set (the course's scans, `COURSE_STYLE`)
  is drawn from these only, one form per letter.
- `OWN_FORMS`, the allographs people bring: the own sets (`OWN_STYLE`: own digit photos,
  28x28 crops, digit sheets, the other writers' Greek letters) are drawn from these, and for
  alpha, beta, gamma and lambda none of them is the reference form. Each writer keeps one form
  per symbol (`glyphs.writer_styles`). Symbols without own forms (the other 20 Greek letters)
  fall back to their reference form.

| symbol | own forms (each writer keeps one) | reference form |
|---|---|---|
| alpha | loop with a tail; fish (flat, tails cross right); a-like (bowl, stem) | tall loop, tails cross low |
| beta | long descender, open bowls; short one, closed bowls; none, B-like | long descender, closed |
| gamma | y-like; v with a big round loop; v with a straight tail | v with a small loop |
| lambda | straight legs; cursive with a foot flick; inverted y | hooked top, straight short leg |
| 1 | plain stick; with flag; with flag and base | (MNIST) |
| 4 | closed; open; open in one stroke | (MNIST) |
| 7 | plain; with bar; curved stem | (MNIST) |
| 9 | straight stem; curled stem | (MNIST) |
| 0, 2, 3, 5, 6, 8 | oval or narrow; straight or looped base; round or flat top; two forms each | (MNIST) |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Stroke:
    """One pen-down movement: a smooth curve through its points, or straight segments."""

    points: np.ndarray
    smooth: bool = True


def curve(*points: tuple[float, float]) -> Stroke:
    return Stroke(np.array(points, dtype=float))


def line(*points: tuple[float, float]) -> Stroke:
    return Stroke(np.array(points, dtype=float), smooth=False)


def oval(
    cx: float, cy: float, rx: float, ry: float, start: float = -90.0, sweep: float = -380.0, steps: int = 10
) -> Stroke:
    """An elliptic arc from `start` degrees (0 = right, -90 = top), anticlockwise when sweep < 0.

    The default sweep goes a little past a full turn: a hand closing a loop overshoots it.
    """
    angles = np.radians(start + sweep * np.linspace(0, 1, steps + 1))
    return Stroke(np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1))


# Each name maps to one or more variants (ways people write it); a variant is a list of strokes.
TEMPLATES: dict[str, tuple[tuple[Stroke, ...], ...]] = {
    "0": ((oval(0.5, 0.5, 0.3, 0.46, start=-100, sweep=-375),),),
    "1": ((line((0.52, 0.04), (0.48, 0.96)),), (line((0.4, 0.16), (0.55, 0.04), (0.5, 0.96)),)),
    "2": (
        (
            curve(
                (0.18, 0.28), (0.3, 0.1), (0.52, 0.04), (0.74, 0.14), (0.76, 0.36), (0.55, 0.62), (0.16, 0.94)
            ),
            line((0.16, 0.94), (0.86, 0.92)),
        ),
    ),
    "3": (
        (
            curve((0.2, 0.15), (0.45, 0.04), (0.72, 0.1), (0.74, 0.3), (0.44, 0.48)),
            curve((0.44, 0.48), (0.74, 0.58), (0.8, 0.8), (0.58, 0.96), (0.34, 0.96), (0.18, 0.84)),
        ),
    ),
    "4": (
        (line((0.62, 0.04), (0.14, 0.66), (0.86, 0.66)), line((0.66, 0.32), (0.64, 0.98))),
        (line((0.24, 0.04), (0.18, 0.58), (0.84, 0.58)), line((0.72, 0.06), (0.7, 0.98))),
    ),
    "5": (
        (
            line((0.78, 0.05), (0.3, 0.05), (0.26, 0.44)),
            curve(
                (0.26, 0.44), (0.52, 0.38), (0.76, 0.5), (0.78, 0.74), (0.6, 0.93), (0.36, 0.96), (0.16, 0.86)
            ),
        ),
    ),
    "6": (
        (
            curve(
                (0.66, 0.04),
                (0.46, 0.18),
                (0.32, 0.42),
                (0.28, 0.68),
                (0.36, 0.9),
                (0.54, 0.96),
                (0.7, 0.84),
                (0.7, 0.64),
                (0.54, 0.54),
                (0.38, 0.58),
                (0.3, 0.7),
            ),
        ),
    ),
    "7": (
        (line((0.14, 0.08), (0.84, 0.06), (0.4, 0.96)),),
        (line((0.14, 0.08), (0.84, 0.06), (0.4, 0.96)), line((0.36, 0.5), (0.78, 0.48))),
    ),
    "8": (
        (
            curve(
                (0.72, 0.16),
                (0.5, 0.04),
                (0.28, 0.14),
                (0.3, 0.34),
                (0.5, 0.48),
                (0.72, 0.64),
                (0.72, 0.86),
                (0.5, 0.97),
                (0.28, 0.86),
                (0.3, 0.64),
                (0.5, 0.48),
                (0.7, 0.32),
                (0.72, 0.16),
            ),
        ),
    ),
    "9": (
        (oval(0.48, 0.28, 0.26, 0.23, start=-10, sweep=-370), line((0.74, 0.26), (0.68, 0.97))),
        (
            oval(0.48, 0.28, 0.26, 0.23, start=-10, sweep=-370),
            curve((0.74, 0.26), (0.72, 0.6), (0.62, 0.86), (0.46, 0.97)),
        ),
    ),
    "alpha": (
        (
            curve(
                (0.86, 0.2),
                (0.72, 0.46),
                (0.56, 0.72),
                (0.36, 0.88),
                (0.16, 0.8),
                (0.08, 0.54),
                (0.18, 0.26),
                (0.38, 0.14),
                (0.54, 0.3),
                (0.66, 0.6),
                (0.78, 0.84),
                (0.94, 0.9),
            ),
        ),
    ),
    "beta": (
        (
            curve(
                (0.24, 1.0),
                (0.24, 0.5),
                (0.27, 0.14),
                (0.44, 0.02),
                (0.64, 0.05),
                (0.68, 0.2),
                (0.5, 0.33),
                (0.36, 0.35),
            ),
            curve((0.36, 0.35), (0.66, 0.4), (0.78, 0.55), (0.68, 0.7), (0.46, 0.74), (0.25, 0.66)),
        ),
    ),
    "gamma": (
        (
            curve(
                (0.06, 0.2),
                (0.2, 0.08),
                (0.36, 0.22),
                (0.5, 0.6),
                (0.56, 0.84),
                (0.5, 0.98),
                (0.4, 0.9),
                (0.46, 0.7),
                (0.66, 0.36),
                (0.92, 0.06),
            ),
        ),
    ),
    "delta": (
        (
            curve(
                (0.74, 0.12),
                (0.52, 0.02),
                (0.3, 0.08),
                (0.32, 0.24),
                (0.58, 0.4),
                (0.78, 0.62),
                (0.72, 0.88),
                (0.48, 0.98),
                (0.24, 0.84),
                (0.26, 0.58),
                (0.56, 0.42),
            ),
        ),
    ),
    "epsilon": (
        (
            curve((0.8, 0.14), (0.56, 0.04), (0.3, 0.12), (0.3, 0.36), (0.56, 0.48)),
            curve((0.56, 0.48), (0.28, 0.54), (0.2, 0.76), (0.4, 0.96), (0.64, 0.94), (0.82, 0.82)),
        ),
    ),
    "zeta": (
        (
            line((0.26, 0.04), (0.74, 0.04)),
            curve(
                (0.74, 0.04),
                (0.42, 0.26),
                (0.22, 0.5),
                (0.24, 0.7),
                (0.44, 0.78),
                (0.66, 0.8),
                (0.72, 0.9),
                (0.6, 1.0),
            ),
        ),
    ),
    "eta": (
        (
            curve((0.08, 0.12), (0.18, 0.06), (0.24, 0.2), (0.24, 0.7)),
            curve((0.24, 0.34), (0.4, 0.1), (0.6, 0.06), (0.74, 0.2), (0.76, 0.5), (0.76, 1.0)),
        ),
    ),
    "theta": ((oval(0.5, 0.5, 0.3, 0.47, start=-80, sweep=-370), line((0.2, 0.5), (0.8, 0.5))),),
    "iota": ((curve((0.42, 0.04), (0.44, 0.5), (0.46, 0.84), (0.56, 0.96), (0.72, 0.92)),),),
    "kappa": ((line((0.22, 0.04), (0.2, 0.96)), line((0.8, 0.06), (0.24, 0.52), (0.84, 0.96))),),
    "lambda": (
        (
            curve((0.14, 0.02), (0.3, 0.06), (0.46, 0.36), (0.7, 0.8), (0.92, 0.98)),
            line((0.5, 0.44), (0.1, 0.98)),
        ),
    ),
    "mu": (
        (
            line((0.2, 0.04), (0.2, 1.0)),
            curve((0.2, 0.46), (0.3, 0.64), (0.5, 0.68), (0.68, 0.54), (0.74, 0.04)),
            curve((0.72, 0.44), (0.76, 0.62), (0.9, 0.68)),
        ),
    ),
    "nu": (
        (
            curve((0.08, 0.12), (0.2, 0.08), (0.32, 0.4), (0.46, 0.94)),
            curve((0.46, 0.94), (0.7, 0.62), (0.86, 0.26), (0.82, 0.06)),
        ),
    ),
    "xi": (
        (
            line((0.28, 0.03), (0.74, 0.03)),
            curve((0.66, 0.06), (0.36, 0.12), (0.34, 0.28), (0.58, 0.36)),
            curve(
                (0.58, 0.36), (0.3, 0.42), (0.22, 0.6), (0.42, 0.74), (0.68, 0.8), (0.66, 0.92), (0.52, 1.0)
            ),
        ),
    ),
    "omicron": ((oval(0.5, 0.5, 0.45, 0.42, start=-110, sweep=-370),),),
    "pi": (
        (
            curve((0.04, 0.24), (0.14, 0.14), (0.5, 0.13), (0.96, 0.12)),
            line((0.32, 0.14), (0.28, 0.9)),
            curve((0.7, 0.14), (0.7, 0.7), (0.74, 0.88), (0.86, 0.9)),
        ),
    ),
    "rho": (
        (
            curve(
                (0.26, 1.0),
                (0.26, 0.5),
                (0.32, 0.2),
                (0.52, 0.08),
                (0.72, 0.2),
                (0.74, 0.46),
                (0.54, 0.62),
                (0.34, 0.56),
                (0.27, 0.44),
            ),
        ),
    ),
    "sigma": (
        (
            curve(
                (0.94, 0.16),
                (0.6, 0.18),
                (0.32, 0.28),
                (0.16, 0.56),
                (0.3, 0.84),
                (0.56, 0.86),
                (0.72, 0.6),
                (0.64, 0.3),
                (0.46, 0.2),
            ),
        ),
    ),
    "tau": (
        (
            curve((0.04, 0.2), (0.12, 0.12), (0.5, 0.12), (0.94, 0.1)),
            curve((0.5, 0.12), (0.48, 0.6), (0.52, 0.84), (0.68, 0.9)),
        ),
    ),
    "upsilon": (
        (
            curve(
                (0.08, 0.16),
                (0.2, 0.08),
                (0.24, 0.3),
                (0.24, 0.6),
                (0.38, 0.88),
                (0.6, 0.9),
                (0.78, 0.66),
                (0.84, 0.34),
                (0.78, 0.08),
            ),
        ),
    ),
    "phi": ((oval(0.5, 0.52, 0.4, 0.26, start=-90, sweep=-370), line((0.52, 0.0), (0.48, 1.0))),),
    "chi": (
        (
            curve((0.06, 0.06), (0.2, 0.06), (0.5, 0.5), (0.8, 0.94), (0.94, 0.94)),
            line((0.86, 0.04), (0.14, 0.96)),
        ),
    ),
    "psi": (
        (
            curve(
                (0.06, 0.16),
                (0.14, 0.22),
                (0.2, 0.5),
                (0.36, 0.66),
                (0.5, 0.68),
                (0.66, 0.64),
                (0.8, 0.48),
                (0.9, 0.16),
            ),
            line((0.52, 0.0), (0.48, 1.0)),
        ),
    ),
    "omega": (
        (
            curve((0.24, 0.1), (0.1, 0.4), (0.14, 0.78), (0.3, 0.9), (0.46, 0.76), (0.5, 0.44)),
            curve((0.5, 0.44), (0.54, 0.76), (0.7, 0.9), (0.86, 0.78), (0.9, 0.4), (0.76, 0.1)),
        ),
    ),
}


# The allographs of the own sets, by name; each entry names the form (for the docs and tests).
OWN_FORMS: dict[str, dict[str, tuple[Stroke, ...]]] = {
    "0": {
        "oval": (oval(0.5, 0.5, 0.3, 0.46, start=-100, sweep=-375),),
        "narrow, slanted start": (oval(0.5, 0.5, 0.22, 0.47, start=-60, sweep=-390),),
    },
    "1": {
        "plain stick": (line((0.52, 0.04), (0.48, 0.96)),),
        "with flag": (line((0.36, 0.2), (0.56, 0.04), (0.5, 0.96)),),
        "with flag and base": (
            line((0.38, 0.18), (0.56, 0.04), (0.52, 0.94)),
            line((0.3, 0.95), (0.74, 0.94)),
        ),
    },
    "2": {
        "straight base": TEMPLATES["2"][0],
        "looped base": (
            curve(
                (0.18, 0.26),
                (0.34, 0.06),
                (0.62, 0.06),
                (0.76, 0.26),
                (0.6, 0.56),
                (0.3, 0.86),
                (0.2, 0.95),
                (0.3, 0.98),
                (0.36, 0.86),
                (0.5, 0.9),
                (0.86, 0.94),
            ),
        ),
    },
    "3": {
        "round top": TEMPLATES["3"][0],
        "flat top": (
            line((0.18, 0.06), (0.78, 0.06), (0.44, 0.42)),
            curve((0.44, 0.42), (0.72, 0.5), (0.8, 0.74), (0.6, 0.94), (0.36, 0.96), (0.16, 0.84)),
        ),
    },
    "4": {
        "closed": TEMPLATES["4"][0],
        "open": TEMPLATES["4"][1],
        "open, one stroke": (line((0.26, 0.04), (0.16, 0.6), (0.86, 0.58)), line((0.66, 0.3), (0.62, 0.98))),
    },
    "5": {
        "flag separate": TEMPLATES["5"][0],
        "one stroke": (
            curve(
                (0.3, 0.06), (0.26, 0.44), (0.52, 0.38), (0.76, 0.52), (0.76, 0.78), (0.56, 0.95), (0.2, 0.88)
            ),
            line((0.3, 0.06), (0.8, 0.04)),
        ),
    },
    "6": {
        "curved stem": TEMPLATES["6"][0],
        "straight stem": (
            curve(
                (0.58, 0.04),
                (0.4, 0.34),
                (0.28, 0.64),
                (0.32, 0.88),
                (0.52, 0.97),
                (0.72, 0.84),
                (0.7, 0.62),
                (0.5, 0.54),
                (0.32, 0.64),
            ),
        ),
    },
    "7": {
        "plain": TEMPLATES["7"][0],
        "with bar": TEMPLATES["7"][1],
        "curved stem": (
            curve((0.14, 0.1), (0.5, 0.06), (0.84, 0.06), (0.64, 0.4), (0.5, 0.7), (0.46, 0.96)),
        ),
    },
    "8": {
        "one stroke": TEMPLATES["8"][0],
        "two circles": (
            oval(0.5, 0.26, 0.2, 0.2, start=90, sweep=370),
            oval(0.5, 0.7, 0.26, 0.25, start=-90, sweep=-370),
        ),
    },
    "9": {"straight stem": TEMPLATES["9"][0], "curled stem": TEMPLATES["9"][1]},
    "alpha": {
        "loop with a tail": (
            curve(
                (0.76, 0.34),
                (0.6, 0.2),
                (0.34, 0.22),
                (0.14, 0.46),
                (0.22, 0.76),
                (0.46, 0.82),
                (0.66, 0.62),
                (0.76, 0.3),
                (0.78, 0.6),
                (0.84, 0.8),
                (0.96, 0.86),
            ),
        ),
        "fish": (
            curve(
                (0.96, 0.22),
                (0.7, 0.38),
                (0.5, 0.62),
                (0.3, 0.72),
                (0.1, 0.62),
                (0.08, 0.4),
                (0.28, 0.28),
                (0.5, 0.38),
                (0.7, 0.62),
                (0.96, 0.78),
            ),
        ),
        "a-like": (
            oval(0.42, 0.52, 0.3, 0.3, start=-20, sweep=-350),
            curve((0.74, 0.18), (0.73, 0.6), (0.76, 0.84), (0.9, 0.88)),
        ),
    },
    "beta": {
        "long descender, open bowls": (
            curve(
                (0.26, 1.0), (0.25, 0.5), (0.28, 0.12), (0.46, 0.02), (0.66, 0.08), (0.66, 0.26), (0.5, 0.38)
            ),
            curve((0.42, 0.4), (0.66, 0.46), (0.76, 0.62), (0.66, 0.8), (0.46, 0.84)),
        ),
        "short descender, closed bowls": (
            curve((0.3, 0.98), (0.28, 0.4), (0.34, 0.1), (0.52, 0.02), (0.7, 0.12), (0.6, 0.28), (0.3, 0.36)),
            curve((0.3, 0.36), (0.72, 0.42), (0.78, 0.6), (0.6, 0.72), (0.3, 0.68)),
        ),
        "no descender, B-like": (
            line((0.3, 0.78), (0.3, 0.04)),
            curve((0.3, 0.04), (0.6, 0.06), (0.68, 0.2), (0.56, 0.36), (0.3, 0.4)),
            curve((0.3, 0.4), (0.7, 0.44), (0.76, 0.62), (0.6, 0.78), (0.3, 0.78)),
        ),
    },
    "gamma": {
        "y-like": (
            line((0.14, 0.04), (0.5, 0.5)),
            curve((0.86, 0.04), (0.6, 0.5), (0.44, 0.8), (0.32, 0.98)),
        ),
        "v with a round loop": (
            curve(
                (0.1, 0.1),
                (0.3, 0.3),
                (0.46, 0.62),
                (0.56, 0.8),
                (0.48, 0.96),
                (0.36, 0.9),
                (0.4, 0.76),
                (0.54, 0.62),
                (0.72, 0.3),
                (0.9, 0.04),
            ),
        ),
        "v with a straight tail": (
            curve((0.08, 0.14), (0.22, 0.06), (0.4, 0.3), (0.5, 0.56)),
            line((0.9, 0.04), (0.5, 0.56), (0.48, 0.98)),
        ),
    },
    "lambda": {
        "straight legs": (line((0.2, 0.02), (0.86, 0.98)), line((0.52, 0.46), (0.14, 0.98))),
        "cursive, foot flick": (
            curve((0.1, 0.08), (0.26, 0.02), (0.4, 0.2), (0.62, 0.7), (0.76, 0.94), (0.94, 0.92)),
            curve((0.46, 0.38), (0.3, 0.7), (0.12, 0.96)),
        ),
        "inverted y": (line((0.3, 0.02), (0.5, 0.5), (0.84, 0.98)), line((0.5, 0.5), (0.16, 0.98))),
    },
}


def forms(name: str, own: bool) -> dict[str, tuple[Stroke, ...]]:
    """The named forms of `name` for the own sets (`own`) or the reference set."""
    if name not in TEMPLATES:
        raise ValueError(f"no template for {name!r}; known: {', '.join(TEMPLATES)}")
    if own and name in OWN_FORMS:
        return OWN_FORMS[name]
    variants = TEMPLATES[name]
    return {f"reference {i + 1}" if len(variants) > 1 else "reference": v for i, v in enumerate(variants)}
