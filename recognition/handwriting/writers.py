"""Writers: each one's own sub-style of a `glyphs.Style`, their pen, paper, camera and habits.

A writer keeps one form per symbol (dealt from the style's family, so that a few writers already
show every form), their own slant, narrowness, size, pen width and speed, overshoot, hooks and
joins (each a narrow part of the style's range), and the way they bend all their letters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from recognition.handwriting.photo import Pen
from recognition.handwriting.shapes import FORMS, check_family, forms

if TYPE_CHECKING:
    from recognition.handwriting.glyphs import Style


def writer_styles(style: Style, writers: int, seed: int) -> list[Style]:
    """One consistent sub-style per writer: their pen, paper, camera and handwriting habits.

    Polarity and pens are dealt out rather than drawn independently, so even three writers
    show the style's mix: different pens, and light-on-dark writers at the style's rate, rounded.
    """
    check_family(style.family)
    rng = np.random.default_rng([seed, 7, writers])
    inverted = np.zeros(writers, bool)
    inverted[: int(writers * style.inverted_probability + 0.5)] = True
    inverted = rng.permutation(inverted)
    pens = _deal(style.pens, writers, rng)
    chalks = _deal(style.chalks or style.pens, writers, rng)
    hands = _deal_forms(style, writers, rng)
    return [
        _one_writer(style, rng, bool(inv), chalk if inv else pen, hand)
        for inv, pen, chalk, hand in zip(inverted, pens, chalks, hands)
    ]


def _deal(pens: Sequence[Pen], n: int, rng: np.random.Generator) -> list[Pen]:
    """n pens, each pen used once before any repeats, likelier pens dealt earlier."""
    weights = np.array([pen.weight for pen in pens])
    order = rng.choice(len(pens), size=len(pens), replace=False, p=weights / weights.sum())
    return [pens[order[i % len(pens)]] for i in range(n)]


def _narrow(bounds: tuple[float, float], rng: np.random.Generator, spread: float) -> tuple[float, float]:
    """A writer's own sub-range: a random point of `bounds`, give or take `spread` of its width."""
    low, high = bounds
    centre = rng.uniform(low, high)
    half = spread * (high - low)
    return max(low, centre - half), min(high, centre + half)


def _deal_forms(style: Style, n: int, rng: np.random.Generator) -> list[tuple[tuple[str, str], ...]]:
    """Each writer's forms, one per symbol; like pens, every form of a symbol in the style's family
    is dealt to some writer before any form repeats, so even three writers show three ways."""
    dealt = {
        name: [list(choices)[i] for i in rng.permutation(len(choices))]
        for name, choices in ((name, forms(name, style.family)) for name in sorted(FORMS))
    }
    return [tuple((name, order[k % len(order)]) for name, order in dealt.items()) for k in range(n)]


def _one_writer(style, rng: np.random.Generator, inverted: bool, pen: Pen, hand: tuple[tuple[str, str], ...]):
    side = tuple(int(v) for v in _narrow(style.side, rng, 0.1))
    return dataclasses.replace(
        style,
        side=side,
        aspect=_narrow(style.aspect, rng, 0.05),
        fill=_narrow(style.fill, rng, 0.15),
        thickness=_narrow(style.thickness, rng, 0.06),
        slant=_narrow(style.slant, rng, 0.06),
        narrow=_narrow(style.narrow, rng, 0.08),
        overshoot=_narrow(style.overshoot, rng, 0.15),
        hooks=_narrow(style.hooks, rng, 0.1),
        joins=_narrow(style.joins, rng, 0.1),
        speed=_narrow(style.speed, rng, 0.1),
        paper=_narrow(style.paper, rng, 0.05),
        board=_narrow(style.board, rng, 0.1),
        paper_tint=style.paper_tint / 3,  # one pad of paper under one lamp
        gradient=_narrow(style.gradient, rng, 0.2),
        noise=_narrow(style.noise, rng, 0.1),
        blur=_narrow(style.blur, rng, 0.1),
        pens=(pen,),
        chalks=(pen,),
        inverted_probability=float(inverted),
        jpeg_probability=float(rng.random() < style.jpeg_probability),
        hand=hand,
        shape_seed=int(rng.integers(2**31)),
    )
