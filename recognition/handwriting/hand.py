"""A hand writing a form: the pen's trajectory (slant, width, bending, hooks, overshoot, tremor)
and the ink it lays down (pressure, and a thinner line where the pen moves fast).

`shape_strokes` turns a form's strokes (unit box) into this sample's dense paths; `place` scales
them onto a canvas and picks the pen's width; `draw_coverage` draws them as anti-aliased ink
coverage. Every habit comes from a `glyphs.Style`'s ranges: a writer's style (`glyphs.writer_styles`)
narrows each range to their own, and `personal` bends all their letters the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from recognition.handwriting.strokes import Stroke


def smooth_field(
    rng: np.random.Generator, amplitude: float, frequency: tuple[float, float], waves: int = 3
) -> Callable[[np.ndarray], np.ndarray]:
    """A random smooth displacement field: a few plane waves of random direction and phase."""
    angles = rng.uniform(0, 2 * np.pi, waves)
    k = rng.uniform(*frequency, (waves, 1)) * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    phase = rng.uniform(0, 2 * np.pi, waves)
    push = rng.normal(0, amplitude / np.sqrt(waves), (waves, 2))
    return lambda p: np.sin(2 * np.pi * p @ k.T + phase) @ push


def catmull_rom(points: np.ndarray, spacing: float) -> np.ndarray:
    """Centripetal Catmull-Rom through the points: smooth, no loops or cusps from uneven gaps."""
    keep = np.concatenate([[True], np.linalg.norm(np.diff(points, axis=0), axis=1) > 1e-9])
    points = points[keep]
    if len(points) < 3:
        return polyline(points, spacing)
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


def polyline(points: np.ndarray, spacing: float) -> np.ndarray:
    """Straight segments, subdivided so that the wobble can bend them slightly."""
    pieces = [
        np.linspace(a, b, max(2, int(np.linalg.norm(b - a) / spacing)), endpoint=False)
        for a, b in zip(points, points[1:])
    ]
    return np.vstack(pieces + [points[-1:]])


def hand_transform(rng: np.random.Generator, style) -> np.ndarray:
    """2x2 matrix of this sample's slant (shear), baseline tilt and narrowness (width over height)."""
    slant = rng.uniform(*style.slant)
    angle = np.radians(rng.uniform(-style.rotation, style.rotation))
    width = rng.uniform(*style.narrow)
    shear = np.array([[1.0, -slant], [0.0, 1.0]])  # y points down: the top moves right
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rotate @ shear @ np.diag([width, 1.0])


def _with_hooks(strokes: Sequence[Stroke], rng: np.random.Generator, style) -> list[np.ndarray]:
    """Control points of each stroke, with a lead-in hook on the first stroke (the pen coming from
    the left, as from a previous letter) and an exit flick on the last, at the style's rates."""
    controls = [s.points.astype(float) for s in strokes]
    size = rng.uniform(0.06, 0.14)
    if rng.random() < rng.uniform(*style.hooks):
        p = controls[0][0]
        controls[0] = np.vstack([p + [-size, 0.7 * size], p + [-0.45 * size, 0.12 * size], controls[0]])
    if rng.random() < rng.uniform(*style.hooks):
        p = controls[-1][-1]
        controls[-1] = np.vstack(
            [controls[-1], p + [0.45 * size, -0.1 * size], p + [0.9 * size, -0.55 * size]]
        )
    return controls


def _length(path: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())


def _trim_or_extend(path: np.ndarray, amount: float, spacing: float) -> np.ndarray:
    """The path's end moved by `amount` along it: on past the end (overshoot) or short of it (a
    loop left open, a stroke that stops before it meets another). Never more than a third of it."""
    amount = float(np.clip(amount, -_length(path) / 3, _length(path) / 3))
    if amount >= 0:
        tail = path[-1] - path[max(0, len(path) - 4)]
        direction = tail / max(np.linalg.norm(tail), 1e-9)
        steps = np.arange(1, int(amount / spacing) + 1)[:, None] * spacing
        return np.vstack([path, path[-1] + steps * direction]) if len(steps) else path
    gone = np.cumsum(np.linalg.norm(np.diff(path[::-1], axis=0), axis=1))
    return path[: len(path) - 1 - int(np.searchsorted(gone, -amount))]


def _ends(path: np.ndarray, rng: np.random.Generator, style, spacing: float) -> np.ndarray:
    """Overshoot or undershoot at both ends of one stroke, around the writer's habit."""
    for _ in range(2):
        path = _trim_or_extend(path, rng.uniform(*style.overshoot), spacing)[::-1]
    return path


def shape_strokes(
    strokes: Sequence[Stroke], rng: np.random.Generator, style, spacing: float = 0.004
) -> list[np.ndarray]:
    """The form as this hand writes it: bent, hooked, overshot, slanted, narrowed, wobbly paths.

    Bending moves the control points with smooth fields, so strokes that meet in the form (the two
    halves of an omega) still meet: the writer's own (`style.personal`, the same for all their
    letters, from `style.shape_seed`) and this sample's (`style.distortion`).
    """
    writer = rng if style.shape_seed < 0 else np.random.default_rng([style.shape_seed, 3])
    personal = smooth_field(writer, style.personal, (0.3, 0.9))  # without a writer, another hand each time
    bend = smooth_field(rng, style.distortion, (0.4, 1.2))
    tremor = smooth_field(rng, style.wobble, (3.0, 6.0), waves=4)
    matrix = hand_transform(rng, style)
    joins = rng.uniform(*style.joins)
    paths = []
    for k, (stroke, controls) in enumerate(zip(strokes, _with_hooks(strokes, rng, style))):
        controls = controls + personal(controls) + bend(controls)
        if k:  # a stroke after a pen lift lands a little off: it misses or crosses where it should meet
            controls = controls + rng.normal(0, joins, 2)
        dense = (catmull_rom if stroke.smooth and len(controls) > 2 else polyline)(controls, spacing)
        dense = _ends(dense, rng, style, spacing)
        dense = dense + tremor(dense)
        paths.append((dense - 0.5) @ matrix.T)
    return paths


# ---------------------------------------------------------------------------------------------
# Drawing: dense polylines -> anti-aliased ink coverage on the canvas


def place(
    paths: list[np.ndarray], size: tuple[int, int], rng: np.random.Generator, style
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


def widths(points: np.ndarray, rng: np.random.Generator, speed: float) -> np.ndarray:
    """Width factor along a stroke: pressure that comes and goes, a line thinner where the pen runs
    fast (straight stretches) than where it turns and slows, and a lighter touch at the lift-off."""
    n = len(points)
    u = np.linspace(0, 1, n)
    pressure = 1 + 0.15 * np.sin(2 * np.pi * (rng.uniform(0.5, 1.5) * u + rng.uniform(0, 1)))
    if n > 2 and speed > 0:
        step = np.diff(points, axis=0)
        heading = np.unwrap(np.arctan2(step[:, 1], step[:, 0]))
        turning = np.abs(np.diff(heading, prepend=heading[0], append=heading[-1]))
        slow = np.convolve(turning, np.ones(5) / 5, mode="same")
        slow = np.clip(slow / max(np.quantile(slow, 0.9), 1e-6), 0, 1)
        pressure *= 1 - speed * (1 - slow)
    lift = np.clip((1 - u) / 0.12, 0, 1)
    return pressure * (0.55 + 0.45 * lift**0.5) * np.clip(0.75 + u / 0.04, 0, 1)


def _thin_out(points: np.ndarray, step: float) -> np.ndarray:
    """Every k-th point (and the last), about `step` px apart: round joints hide the corners."""
    gap = np.median(np.linalg.norm(np.diff(points, axis=0), axis=1)) if len(points) > 1 else step
    keep = points[:: max(1, int(step / max(gap, 1e-6)))]
    return np.vstack([keep, points[-1:]])


def draw_coverage(
    paths: list[np.ndarray],
    size: tuple[int, int],
    pen_px: float,
    rng: np.random.Generator,
    speed: float = 0.3,
) -> Image.Image:
    """Ink coverage (mode L, 255 = full ink), drawn supersampled and shrunk with Lanczos."""
    width, height = size
    factor = max(2, min(4, 2048 // max(width, height)))  # big photos need less to look smooth
    canvas = Image.new("L", (width * factor, height * factor), 0)
    draw = ImageDraw.Draw(canvas)
    radius = pen_px * factor / 2
    for path in paths:
        points = _thin_out(path * factor, step=max(1.0, radius / 3))
        radii = np.maximum(radius * widths(points, rng, speed), 0.5)
        for (x0, y0), (x1, y1), r in zip(points, points[1:], radii[1:]):
            draw.line((x0, y0, x1, y1), fill=255, width=max(1, round(2 * r)))
            draw.ellipse((x1 - r, y1 - r, x1 + r, y1 + r), fill=255)  # round joints and caps
        x, y = points[0]
        draw.ellipse((x - radii[0], y - radii[0], x + radii[0], y + radii[0]), fill=255)
    return canvas.resize(size, Image.Resampling.LANCZOS)
