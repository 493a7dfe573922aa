"""Photographing handwriting: pens and their inks, paper, uneven light, blur and sensor noise.

`photograph` lays ink coverage (hand.draw_coverage) down on paper in one sample's pen colour, then
lights, blurs and noises it like a phone photo or a scan. Each pen, paper and camera range comes
from a `glyphs.Style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

MIN_CONTRAST = 0.3  # ink vs paper luminance, even in the darkest shadow: hard but readable
CONTRAST_MARGIN = 0.1  # kept above MIN_CONTRAST before shading, for noise and pencil grain
SHADE_OVER_INK = 0.35  # the deepest shadow darkens the paper by at most this much of the ink's contrast
MAX_BLUR_OVER_PEN = 0.3  # more blur than this melts a thin pen into the paper
LUMA = np.array([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class Pen:
    """An ink colour (RGB in 0..1), how opaque it lays down, and how grainy (pencil, chalk)."""

    name: str
    rgb: tuple[float, float, float]
    weight: float = 1.0
    opacity: tuple[float, float] = (0.92, 1.0)
    grain: float = 0.0


# ---------------------------------------------------------------------------------------------
# Photographing: coverage -> paper, pen, light, blur, noise


@dataclass(frozen=True)
class Look:
    """One sample's paper and pen, with the lighting depth its contrast allows."""

    paper: np.ndarray
    ink: np.ndarray
    opacity: float
    grain: float
    gradient: float


def _choose(pens: Sequence[Pen], rng: np.random.Generator) -> Pen:
    weights = np.array([pen.weight for pen in pens])
    return pens[rng.choice(len(pens), p=weights / weights.sum())]


def _luma(rgb: np.ndarray) -> float:
    return float(rgb @ LUMA)


def _tinted(luminance: float, tint: float, rng: np.random.Generator) -> np.ndarray:
    """A paper colour of this luminance with a slight random cast (warm light, recycled paper)."""
    cast = 1 + rng.uniform(-tint, tint, 3)
    return np.clip(cast * luminance / _luma(cast), 0, 1)


def _readable_ink(ink: np.ndarray, paper: np.ndarray, opacity: float, inverted: bool) -> np.ndarray:
    """The pen's colour, mixed towards black (or, on a board, white) until it stands out enough."""
    target = _luma(paper) + (1 if inverted else -1) * (MIN_CONTRAST + CONTRAST_MARGIN) / opacity
    if inverted and _luma(ink) < target:
        keep = (1 - min(target, 1.0)) / max(1 - _luma(ink), 1e-6)
        return 1 - (1 - ink) * keep
    if not inverted and _luma(ink) > target:
        return ink * max(target, 0.0) / max(_luma(ink), 1e-6)
    return ink


def choose_look(rng: np.random.Generator, style) -> Look:
    """Paper and pen for one sample, with as much uneven light as the contrast allows."""
    inverted = rng.random() < style.inverted_probability
    pen = _choose(style.chalks if inverted else style.pens, rng)
    paper = _tinted(rng.uniform(*(style.board if inverted else style.paper)), style.paper_tint, rng)
    opacity = rng.uniform(*pen.opacity)
    ink = _readable_ink(np.array(pen.rgb), paper, opacity, inverted)
    gap = opacity * abs(_luma(paper) - _luma(ink))
    # Shade darkens ink and paper alike, so it shrinks the gap; and it must stay fainter than
    # the ink, or it would read as a stroke.
    deepest = max(0.0, min(style.gradient[1], 1 - MIN_CONTRAST / gap, SHADE_OVER_INK * gap / _luma(paper)))
    gradient = rng.uniform(min(style.gradient[0], deepest), deepest)
    return Look(paper, ink, opacity, pen.grain, gradient)


def _shade(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Where the light is weaker, 0..1: a linear fall-off, a round shadow, or a soft edge."""
    angle = rng.uniform(0, 2 * np.pi)
    along = x * np.cos(angle) + y * np.sin(angle)
    kind = rng.integers(3)
    if kind == 0:
        return (along - along.min()) / max(np.ptp(along), 1e-6)
    if kind == 1:
        cx, cy = rng.uniform(0, x.max()), rng.uniform(0, y.max())
        return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * rng.uniform(0.2, 0.5) ** 2))
    edge = rng.uniform(np.quantile(along, 0.5), np.quantile(along, 0.9))  # a hand's or phone's shadow
    return 1 / (1 + np.exp(-(along - edge) / rng.uniform(0.05, 0.15)))


def light_field(
    rng: np.random.Generator, size: tuple[int, int], depth: float, blotchiness: float
) -> np.ndarray:
    """Light over the page, (1 - depth)..1 times blotchy paper; smooth, so made small and enlarged."""
    width, height = size
    grid = 48
    y, x = np.mgrid[0 : grid * height // max(size) + 1, 0 : grid * width // max(size) + 1] / grid
    light = 1 - depth * _shade(rng, x, y)
    blotches = Image.fromarray(rng.uniform(-blotchiness, blotchiness, (6, 6)).astype(np.float32))
    light = light * (1 + np.asarray(blotches.resize(light.shape[::-1], Image.Resampling.BICUBIC)))
    small = Image.fromarray(light.astype(np.float32))
    return np.asarray(small.resize(size, Image.Resampling.BICUBIC))


def photograph(coverage: Image.Image, pen_px: float, rng: np.random.Generator, style) -> Image.Image:
    """Lay the coverage down as ink on paper, then light, blur and noise it like a photo."""
    look = choose_look(rng, style)
    blur = float(min(rng.uniform(*style.blur) * min(coverage.size), MAX_BLUR_OVER_PEN * pen_px))
    if blur > 0.2:
        coverage = coverage.filter(ImageFilter.GaussianBlur(blur))
    ink = np.asarray(coverage, dtype=np.float32) * np.float32(look.opacity / 255)
    if look.grain:
        ink *= 1 - np.float32(look.grain) * rng.random(ink.shape, dtype=np.float32)
    light = light_field(rng, coverage.size, look.gradient, style.texture)
    paper, pen = (np.float32(255) * c.astype(np.float32) for c in (look.paper, look.ink))
    rgb = (paper + (pen - paper) * ink[..., None]) * light[..., None]
    noise = rng.standard_normal(ink.shape, dtype=np.float32)
    rgb += (np.float32(255 * rng.uniform(*style.noise)) * noise + np.float32(0.5))[..., None]
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
