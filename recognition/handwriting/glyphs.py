"""Seeded handwriting-like digits and lowercase Greek letters, photographed on synthetic paper.

The built-in stand-in for people's own digit photos and for the course's scanned Greek letters,
so that everything runs offline. Shapes come from stroke templates written here (no one's real
handwriting): each sample bends, slants, rotates and wobbles its template like a different hand,
draws it with a pen of varying pressure, then puts it on paper with its own tone, lighting,
noise, blur and pen colour (sometimes light chalk on a dark board).

    python -m recognition.handwriting.glyphs --kind greek --out data/greek --per-class 9 --style course
    python -m recognition.handwriting.glyphs --kind digits --out data/own_digits --per-class 3 --writers 3
    python -m recognition.handwriting.glyphs --kind greek --style own --preview sheet.png
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from recognition.handwriting.shapes import OWN_FORMS, TEMPLATES, Stroke, forms
from recognition.io import atomic_path

DIGITS: tuple[str, ...] = tuple("0123456789")
GREEK_LETTERS: tuple[str, ...] = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
)
COURSE_LETTERS = ("alpha", "beta", "gamma")
REFERENCE_LETTERS = ("alpha", "beta", "gamma", "lambda")

MIN_CONTRAST = 0.3  # ink vs paper luminance, even in the darkest shadow: hard but readable
CONTRAST_MARGIN = 0.1  # kept above MIN_CONTRAST before shading, for noise and pencil grain
SHADE_OVER_INK = 0.35  # the deepest shadow darkens the paper by at most this much of the ink's contrast
MAX_BLUR_OVER_PEN = 0.3  # more blur than this melts a thin pen into the paper
LUMA = np.array([0.299, 0.587, 0.114])


# ---------------------------------------------------------------------------------------------
# Shapes: the templates live in glyph_shapes.py (reference forms and the own sets' allographs)


def template(name: str, rng: np.random.Generator, style: Style | None = None) -> tuple[Stroke, ...]:
    """One way of writing `name`: the writer's own form when their style fixes one, else a random
    form of the set the style draws from (the reference forms without a style)."""
    own = style is not None and style.own_forms
    choices = forms(name, own)
    chosen = dict(style.hand).get(name) if style is not None else None
    if chosen in choices:
        return choices[chosen]
    return list(choices.values())[rng.integers(len(choices))]


# ---------------------------------------------------------------------------------------------
# Styles: how varied the hands are, and what pens, paper and cameras they use


@dataclass(frozen=True)
class Pen:
    """An ink colour (RGB in 0..1), how opaque it lays down, and how grainy (pencil, chalk)."""

    name: str
    rgb: tuple[float, float, float]
    weight: float = 1.0
    opacity: tuple[float, float] = (0.92, 1.0)
    grain: float = 0.0


@dataclass(frozen=True)
class Style:
    """Ranges that each sample draws from. Lengths are fractions unless they say px."""

    side: tuple[int, int]  # the canvas's shorter side, px
    aspect: tuple[float, float] = (1.0, 1.0)  # canvas width / height
    fill: tuple[float, float] = (0.6, 0.75)  # the glyph's box over the canvas's
    offset: float = 0.04  # shift of the glyph's centre, of the canvas
    thickness: tuple[float, float] = (0.04, 0.07)  # pen width over the glyph's longer side
    slant: tuple[float, float] = (-0.2, 0.3)  # shear: positive leans right
    rotation: float = 8.0  # degrees either way
    stretch: float = 0.12  # width/height change either way
    distortion: float = 0.03  # smooth bending of the template, of the box
    wobble: float = 0.004  # tremor along the stroke, of the box
    paper: tuple[float, float] = (0.85, 1.0)  # paper luminance
    paper_tint: float = 0.0  # colour cast of the paper and light
    pens: tuple[Pen, ...] = ()
    inverted_probability: float = 0.0  # light ink on a dark board
    board: tuple[float, float] = (0.1, 0.3)  # board luminance when inverted
    chalks: tuple[Pen, ...] = ()
    gradient: tuple[float, float] = (0.0, 0.05)  # darkening by uneven light at its deepest
    texture: float = 0.01  # blotchy paper, luminance either way
    noise: tuple[float, float] = (0.005, 0.02)  # Gaussian sensor noise (sigma)
    blur: tuple[float, float] = (0.0, 0.005)  # Gaussian blur radius over the canvas's shorter side
    jpeg_probability: float = 0.0
    jpeg_quality: tuple[int, int] = (70, 92)
    own_forms: bool = False  # draw from glyph_shapes.OWN_FORMS, not the reference
    hand: tuple[tuple[str, str], ...] = ()  # a writer's (name, form) choices, kept for all samples


BLACK = Pen("black", (0.05, 0.05, 0.06), weight=3.0)
DARK_GREY = Pen("dark grey", (0.2, 0.2, 0.21), weight=1.0)
PENCIL = Pen("pencil", (0.22, 0.22, 0.25), opacity=(0.75, 0.95), grain=0.35)
BLUE = Pen("blue", (0.1, 0.16, 0.55), weight=2.0)
GREEN = Pen("green", (0.05, 0.38, 0.16))
RED = Pen("red", (0.68, 0.06, 0.08), weight=0.5)
CHALK = Pen("chalk", (0.93, 0.93, 0.9), grain=0.3)
YELLOW_CHALK = Pen("yellow chalk", (0.95, 0.9, 0.55), weight=0.5, grain=0.3)
WHITE_MARKER = Pen("white marker", (0.97, 0.97, 0.97))

COURSE_STYLE = Style(  # one careful hand per class, scanned: kept alike so classes stay apart
    side=(128, 140),
    fill=(0.52, 0.62),
    offset=0.02,
    thickness=(0.065, 0.1),
    slant=(-0.1, 0.2),
    rotation=5.0,
    stretch=0.08,
    distortion=0.02,
    paper=(0.92, 1.0),
    pens=(BLACK, DARK_GREY),
    gradient=(0.0, 0.04),
    noise=(0.004, 0.015),
    blur=(0.0, 0.006),
)
OWN_STYLE = Style(
    side=(200, 640),
    aspect=(0.75, 1.4),
    fill=(0.4, 0.8),
    offset=0.12,
    thickness=(0.025, 0.1),
    slant=(-0.3, 0.35),
    rotation=10.0,
    paper=(0.5, 1.0),
    paper_tint=0.04,
    pens=(BLACK, DARK_GREY, PENCIL, BLUE, GREEN, RED),
    inverted_probability=0.2,
    chalks=(CHALK, YELLOW_CHALK, WHITE_MARKER),
    gradient=(0.0, 0.35),
    texture=0.03,
    noise=(0.004, 0.025),
    blur=(0.0, 0.006),
    jpeg_probability=0.35,
    own_forms=True,
)


def canvas_size(rng: np.random.Generator, style: Style) -> tuple[int, int]:
    """(width, height) drawn from the style's shorter side and aspect ranges."""
    side = int(rng.integers(style.side[0], style.side[1] + 1))
    aspect = rng.uniform(*style.aspect)
    return (round(side * aspect), side) if aspect >= 1 else (side, round(side / aspect))


# ---------------------------------------------------------------------------------------------
# Shaping: template -> this hand's strokes as dense polylines


def _smooth_field(
    rng: np.random.Generator, amplitude: float, frequency: tuple[float, float], waves: int = 3
) -> Callable[[np.ndarray], np.ndarray]:
    """A random smooth displacement field: a few plane waves of random direction and phase."""
    angles = rng.uniform(0, 2 * np.pi, waves)
    k = rng.uniform(*frequency, (waves, 1)) * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    phase = rng.uniform(0, 2 * np.pi, waves)
    push = rng.normal(0, amplitude / np.sqrt(waves), (waves, 2))
    return lambda p: np.sin(2 * np.pi * p @ k.T + phase) @ push


def _catmull_rom(points: np.ndarray, spacing: float) -> np.ndarray:
    """Centripetal Catmull-Rom through the points: smooth, no loops or cusps from uneven gaps."""
    ends = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    pieces = []
    for p0, p1, p2, p3 in zip(ends, ends[1:], ends[2:], ends[3:]):
        t1 = np.linalg.norm(p1 - p0) ** 0.5 + 1e-6
        t2 = t1 + np.linalg.norm(p2 - p1) ** 0.5 + 1e-6
        t3 = t2 + np.linalg.norm(p3 - p2) ** 0.5 + 1e-6
        n = max(2, int(np.linalg.norm(p2 - p1) / spacing))
        t = np.linspace(t1, t2, n, endpoint=False)[:, None]
        a1 = ((t1 - t) * p0 + t * p1) / t1
        a2 = ((t2 - t) * p1 + (t - t1) * p2) / (t2 - t1)
        a3 = ((t3 - t) * p2 + (t - t2) * p3) / (t3 - t2)
        b1 = ((t2 - t) * a1 + t * a2) / t2
        b2 = ((t3 - t) * a2 + (t - t1) * a3) / (t3 - t1)
        pieces.append(((t2 - t) * b1 + (t - t1) * b2) / (t2 - t1))
    return np.vstack(pieces + [points[-1:]])


def _polyline(points: np.ndarray, spacing: float) -> np.ndarray:
    """Straight segments, subdivided so that the wobble can bend them slightly."""
    pieces = [
        np.linspace(a, b, max(2, int(np.linalg.norm(b - a) / spacing)), endpoint=False)
        for a, b in zip(points, points[1:])
    ]
    return np.vstack(pieces + [points[-1:]])


def _hand_transform(rng: np.random.Generator, style: Style) -> np.ndarray:
    """2x2 matrix of this sample's slant, rotation and width/height stretch."""
    slant = rng.uniform(*style.slant)
    angle = np.radians(rng.uniform(-style.rotation, style.rotation))
    stretch = np.exp(rng.uniform(-style.stretch, style.stretch))
    shear = np.array([[1.0, -slant], [0.0, 1.0]])  # y points down: the top moves right
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rotate @ shear @ np.diag([stretch, 1 / stretch])


def shape_strokes(
    strokes: Sequence[Stroke], rng: np.random.Generator, style: Style, spacing: float = 0.004
) -> list[np.ndarray]:
    """The template as this hand writes it: bent, slanted, rotated, wobbly dense polylines.

    Bending moves the control points with one smooth field, so strokes that meet in the
    template (the two halves of an omega) still meet.
    """
    bend = _smooth_field(rng, style.distortion, (0.4, 1.2))
    tremor = _smooth_field(rng, style.wobble, (3.0, 6.0), waves=4)
    matrix = _hand_transform(rng, style)
    paths = []
    for stroke in strokes:
        controls = stroke.points + bend(stroke.points)
        dense = (_catmull_rom if stroke.smooth and len(controls) > 2 else _polyline)(controls, spacing)
        dense = dense + tremor(dense)
        paths.append((dense - 0.5) @ matrix.T)
    return paths


# ---------------------------------------------------------------------------------------------
# Drawing: dense polylines -> anti-aliased ink coverage on the canvas


def place(
    paths: list[np.ndarray], size: tuple[int, int], rng: np.random.Generator, style: Style
) -> tuple[list[np.ndarray], float]:
    """Scale and shift the glyph into the canvas (px); also pick the pen width (px) for its size.

    The shift never pushes the pen over the canvas's edge.
    """
    canvas = np.array(size, dtype=float)
    everything = np.vstack(paths)
    low, high = everything.min(axis=0), everything.max(axis=0)
    extent = np.maximum(high - low, 1e-6)
    scale = rng.uniform(*style.fill) * min(canvas / extent)
    box = extent * scale
    pen_px = max(1.0, float(rng.uniform(*style.thickness) * box.max()))
    room = np.maximum(canvas - box - pen_px, 0) / 2
    shift = np.clip(rng.uniform(-style.offset, style.offset, 2) * canvas, -room, room)
    placed = [(p - (low + high) / 2) * scale + canvas / 2 + shift for p in paths]
    return placed, pen_px


def _pressure(n: int, rng: np.random.Generator) -> np.ndarray:
    """Width factor along a stroke: the hand presses harder and lighter as it goes."""
    u = np.linspace(0, 1, n)
    return 1 + 0.15 * np.sin(2 * np.pi * (rng.uniform(0.5, 1.5) * u + rng.uniform(0, 1)))


def _thin_out(points: np.ndarray, step: float) -> np.ndarray:
    """Every k-th point (and the last), about `step` px apart: round joints hide the corners."""
    gap = np.median(np.linalg.norm(np.diff(points, axis=0), axis=1)) if len(points) > 1 else step
    keep = points[:: max(1, int(step / max(gap, 1e-6)))]
    return np.vstack([keep, points[-1:]])


def draw_coverage(
    paths: list[np.ndarray], size: tuple[int, int], pen_px: float, rng: np.random.Generator
) -> Image.Image:
    """Ink coverage (mode L, 255 = full ink), drawn supersampled and shrunk with Lanczos."""
    width, height = size
    factor = max(2, min(4, 2048 // max(width, height)))  # big photos need less to look smooth
    canvas = Image.new("L", (width * factor, height * factor), 0)
    draw = ImageDraw.Draw(canvas)
    radius = pen_px * factor / 2
    for path in paths:
        points = _thin_out(path * factor, step=max(1.0, radius / 3))
        radii = np.maximum(radius * _pressure(len(points), rng), 0.5)
        for (x0, y0), (x1, y1), r in zip(points, points[1:], radii):
            draw.line((x0, y0, x1, y1), fill=255, width=max(1, round(2 * r)))
            draw.ellipse((x1 - r, y1 - r, x1 + r, y1 + r), fill=255)  # round joints and caps
        x, y = points[0]
        draw.ellipse((x - radii[0], y - radii[0], x + radii[0], y + radii[0]), fill=255)
    return canvas.resize(size, Image.Resampling.LANCZOS)


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


def choose_look(rng: np.random.Generator, style: Style) -> Look:
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


def photograph(coverage: Image.Image, pen_px: float, rng: np.random.Generator, style: Style) -> Image.Image:
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


def render_glyph(name: str, rng: np.random.Generator, size: tuple[int, int], style: Style) -> Image.Image:
    """An RGB image of `size` (width, height) showing `name` handwritten in `style`."""
    paths = shape_strokes(template(name, rng, style), rng, style)
    paths, pen_px = place(paths, size, rng, style)
    return photograph(draw_coverage(paths, size, pen_px, rng), pen_px, rng, style)


# ---------------------------------------------------------------------------------------------
# Writers and files


def writer_styles(style: Style, writers: int, seed: int) -> list[Style]:
    """One consistent sub-style per writer: their pen, paper, camera and handwriting habits.

    Polarity and pens are dealt out rather than drawn independently, so even three writers
    show the style's mix: different pens, and light-on-dark writers at the style's rate, rounded.
    """
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
    """Each writer's letter forms, one per symbol; like pens, every form of a symbol is dealt to
    some writer before any form repeats, so even three writers show three ways of writing it."""
    pool = OWN_FORMS if style.own_forms else {name: forms(name, False) for name in TEMPLATES}
    dealt = {
        name: [list(choices)[i] for i in rng.permutation(len(choices))]
        for name, choices in sorted(pool.items())
    }
    return [tuple((name, order[k % len(order)]) for name, order in dealt.items()) for k in range(n)]


def _one_writer(
    style: Style, rng: np.random.Generator, inverted: bool, pen: Pen, hand: tuple[tuple[str, str], ...]
) -> Style:
    side = tuple(int(v) for v in _narrow(style.side, rng, 0.1))
    return dataclasses.replace(
        style,
        side=side,
        aspect=_narrow(style.aspect, rng, 0.05),
        fill=_narrow(style.fill, rng, 0.15),
        thickness=_narrow(style.thickness, rng, 0.1),
        slant=_narrow(style.slant, rng, 0.1),
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
    )


def _sample_rng(seed: int, writer: int, name: str, index: int) -> np.random.Generator:
    """Each file's own stream: independent of which other names or counts were asked for."""
    return np.random.default_rng([seed, writer, zlib.crc32(name.encode()), index])


def _encode(image: Image.Image, rng: np.random.Generator, style: Style) -> tuple[bytes, str]:
    """The file's bytes and suffix: PNG, or JPEG where the style's camera saves JPEGs."""
    buffer = io.BytesIO()
    if rng.random() < style.jpeg_probability:
        image.save(buffer, format="JPEG", quality=int(rng.integers(*style.jpeg_quality)))
        return buffer.getvalue(), ".jpg"
    image.save(buffer, format="PNG", compress_level=1)  # noisy photos barely compress: save time
    return buffer.getvalue(), ".png"


def write_glyph_set(
    out_dir: str | Path,
    names: Sequence[str],
    per_class: int,
    seed: int,
    style: Style,
    writers: int | None = None,
) -> list[Path]:
    """Write `per_class` images of each name and return their paths; same arguments, same bytes.

    Layout: out_dir/<name>/<name>_<i>.png, or with `writers`, out_dir/writer_<k>/<name>/...
    in each writer's own sub-style; `.jpg` instead where the style's camera saves JPEGs.
    """
    for name in names:
        template(name, np.random.default_rng(0))  # fail before writing anything
    out_dir = Path(out_dir)
    if writers is None:
        groups = [(out_dir, style, 0)]
    else:
        groups = [
            (out_dir / f"writer_{k}", sub, k + 1) for k, sub in enumerate(writer_styles(style, writers, seed))
        ]
    written = []
    for folder, sub_style, writer in groups:
        for name in names:
            for i in range(per_class):
                rng = _sample_rng(seed, writer, name, i)
                image = render_glyph(name, rng, canvas_size(rng, sub_style), sub_style)
                data, suffix = _encode(image, rng, sub_style)
                path = folder / name / f"{name}_{i}{suffix}"
                with atomic_path(path) as tmp:
                    tmp.write_bytes(data)
                written.append(path)
    return written


def preview_sheet(
    names: Sequence[str], style: Style, seed: int, per_class: int = 6, cell: int = 96
) -> Image.Image:
    """A contact sheet: one row per name, each shrunk into a square cell.

    It shows the first `per_class` images that `write_glyph_set` writes without writers.
    """
    sheet = Image.new("RGB", (cell * (per_class + 1), cell * len(names)), "white")
    draw = ImageDraw.Draw(sheet)
    for row, name in enumerate(names):
        draw.text((4, row * cell + cell // 2 - 6), name, fill="black")
        for i in range(per_class):
            rng = _sample_rng(seed, 0, name, i)
            image = render_glyph(name, rng, canvas_size(rng, style), style)
            image.thumbnail((cell - 4, cell - 4), Image.Resampling.LANCZOS)
            sheet.paste(image, ((i + 1) * cell + 2, row * cell + 2))
    return sheet


# ---------------------------------------------------------------------------------------------
# Command line

STYLES = {"course": COURSE_STYLE, "own": OWN_STYLE}
KINDS = {"digits": DIGITS, "greek": GREEK_LETTERS}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=KINDS, default="greek", help="which alphabet")
    parser.add_argument("--out", type=Path, help="folder to write <name>/<name>_<i>.png into")
    parser.add_argument("--per-class", type=int, default=9, help="images per name (and writer)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--letters", help="comma-separated subset of the names, e.g. alpha,beta or 3,7")
    parser.add_argument(
        "--style",
        choices=STYLES,
        help="course: the course's Greek scans; own: people's photos "
        "(default: course for greek, own for digits)",
    )
    parser.add_argument("--writers", type=int, help="write writer_<k>/ folders, one per writer")
    parser.add_argument("--preview", type=Path, help="write a contact sheet PNG (6 per name) here")
    args = parser.parse_args(argv)
    names = KINDS[args.kind]
    if args.letters:
        chosen = [n.strip() for n in args.letters.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in names]
        if unknown:
            parser.error(f"unknown {args.kind} names {unknown}; choose from {', '.join(names)}")
        names = tuple(chosen)
    args.names = names
    args.style = STYLES[args.style or ("course" if args.kind == "greek" else "own")]
    if args.out is None and args.preview is None:
        parser.error("give --out (a folder to write into) or --preview (a sheet to write)")
    if args.per_class < 1 or (args.writers is not None and args.writers < 1):
        parser.error("--per-class and --writers must be at least 1")
    if args.seed < 0:
        parser.error("--seed must be 0 or more")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.preview is not None:
        with atomic_path(args.preview) as tmp:
            preview_sheet(args.names, args.style, args.seed).save(tmp, format="PNG")
        print(f"wrote {args.preview}")
    if args.out is not None:
        paths = write_glyph_set(args.out, args.names, args.per_class, args.seed, args.style, args.writers)
        print(f"wrote {len(paths)} images under {args.out}")


if __name__ == "__main__":
    main()
