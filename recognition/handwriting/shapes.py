"""The shapes of the generated handwriting: every symbol's forms (allographs), in two families.

A form is one way of writing a symbol, as pen strokes in writing order in a unit box (x right,
y down; see strokes.py). The forms of each of the 24 Greek letters (greek_shapes.py) and the ten
digits (digit_shapes.py) are split into two disjoint families, so that sets drawn from one can be
measured against sets drawn from the other:

- "reference": each letter's common forms; the built-in reference sets (`glyphs.COURSE_STYLE`)
  draw only these, one after another, so every form has its share of the images.
- "others": other skeletons of the common forms (another stroke order or proportion) and rarer
  forms; the other-writers and selection sets (`glyphs.OWN_STYLE`, and the own digit photos,
  crops and sheets) draw only these, each writer keeping one form per symbol.

`forms(name, family)` gives a symbol's forms by name; family "all" gives both. `FORMS` holds them
all as `Form`s; `form_table()` lists them (data/README.md shows the list and how to draw it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recognition.handwriting.digit_shapes import DIGIT_FORMS
from recognition.handwriting.greek_shapes import GREEK_FORMS, HERSHEY
from recognition.handwriting.strokes import Stroke, hershey, parse

FAMILIES = ("reference", "others")
ALL = "all"
_FAMILY = {"R": "reference", "O": "others"}
HERSHEY_UPRIGHT = 0.25  # the Hershey Greek face leans about 14 degrees: writers add their own slant


@dataclass(frozen=True, eq=False)
class Form:
    """One way of writing `symbol`: its name, family and strokes."""

    symbol: str
    name: str
    family: str
    strokes: tuple[Stroke, ...]


def _upright(strokes: tuple[Stroke, ...], shear: float) -> tuple[Stroke, ...]:
    """The strokes with their slant taken out (x moves right by `shear` per unit down), in the box."""
    moved = [s.points + np.outer(s.points[:, 1], [shear, 0.0]) for s in strokes]
    low = np.vstack(moved).min(axis=0)
    scale = max(np.ptp(np.vstack(moved), axis=0).max(), 1e-6)
    return tuple(Stroke((m - low) / scale, s.smooth) for m, s in zip(moved, strokes))


def _build() -> dict[str, dict[str, Form]]:
    table = {}
    for symbol, named in {**DIGIT_FORMS, **GREEK_FORMS}.items():
        table[symbol] = {}
        for name, (family, spec) in named.items():
            if spec == "hershey":
                strokes, name = _upright(hershey(HERSHEY[symbol]), HERSHEY_UPRIGHT), "Hershey simplex"
            else:
                strokes = parse(spec)
            table[symbol][name] = Form(symbol, name, _FAMILY[family], strokes)
    return table


FORMS: dict[str, dict[str, Form]] = _build()


def check_family(family: str) -> str:
    if family not in (*FAMILIES, ALL):
        raise ValueError(f"family must be one of {', '.join((*FAMILIES, ALL))}, got {family!r}")
    return family


def forms(name: str, family: str = ALL) -> dict[str, tuple[Stroke, ...]]:
    """The named forms of symbol `name` in `family` ("reference", "others" or "all")."""
    check_family(family)
    if name not in FORMS:
        raise ValueError(f"no forms for {name!r}; known: {', '.join(FORMS)}")
    return {n: f.strokes for n, f in FORMS[name].items() if family in (ALL, f.family)}


def form_table(names) -> list[tuple[str, list[str], list[str]]]:
    """(symbol, reference forms, others' forms) for each name: the list data/README.md shows."""
    return [(n, list(forms(n, FAMILIES[0])), list(forms(n, FAMILIES[1]))) for n in names]
