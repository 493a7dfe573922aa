"""What a small first-layer filter responds to, read from its weights, and filtering an image with it.

A filter is read through its least-squares fit by a second-order polynomial over its window
(its "local jet"): a constant (it sums brightness), a linear part (its mean gradient: an edge
detector), and a quadratic part (its curvature: a line, a spot or a saddle). The three parts
are orthogonal on the window, so each explains a share of the filter's energy (sum of squared
weights); the reading names the part with the largest share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

COMPASS = ("right", "upper right", "above", "upper left", "left", "lower left", "below", "lower right")
MIN_SHARE = 0.2  # below this the winning part is hardly above what random weights give

FilterKind = Literal["brightness", "edge", "line", "spot", "saddle", "texture"]


@dataclass
class FilterShares:
    """The share of a filter's energy that each part of its polynomial fit holds."""

    brightness: float  # the constant part
    edge: float  # the linear part
    curvature: float  # the quadratic part


@dataclass
class FilterReading:
    """What a filter responds to: its kind, the angle of its structure, and a sentence saying so."""

    kind: FilterKind
    angle_deg: float | None  # counter-clockwise from 'right'; None for a spot, brightness or texture
    share: float  # the winning part's share of the energy
    shares: FilterShares
    positive_weight_share: float  # the positive weights' part of the summed absolute weights
    text: str


def _polynomial_parts(w: np.ndarray):
    """Constant, linear and quadratic parts of the filter, plus the gradient and Hessian.

    Coordinates: x to the right, y downwards (image rows), the window centre at 0.
    """
    k = w.shape[0]
    y, x = np.mgrid[0:k, 0:k] - (k - 1) / 2
    basis = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], -1).reshape(-1, 6)
    coef, *_ = np.linalg.lstsq(basis, w.ravel(), rcond=None)
    fit = (basis * coef).reshape(k, k, 6)
    quadratic = fit[..., 3:].sum(-1)
    # The quadratic terms' mean belongs to the constant part; this keeps the parts orthogonal.
    constant = fit[..., 0] + quadratic.mean()
    quadratic = quadratic - quadratic.mean()
    linear = fit[..., 1] + fit[..., 2]
    gradient = coef[1:3]
    hessian = np.array([[2 * coef[3], coef[5]], [coef[5], 2 * coef[4]]])
    return constant, linear, quadratic, gradient, hessian


def _angle(dx: float, dy: float) -> float:
    """Direction in degrees, counter-clockwise from 'right' with 'up' at 90 (image y points down)."""
    return float(np.degrees(np.arctan2(-dy, dx)) % 360)


def _compass(angle: float) -> str:
    return COMPASS[int(((angle + 22.5) % 360) // 45)]


def _orientation(axis_angle: float) -> str:
    """Name of a line's orientation given the angle of its axis (mod 180)."""
    a = axis_angle % 180
    if a < 22.5 or a >= 157.5:
        return "horizontal"
    if 67.5 <= a < 112.5:
        return "vertical"
    return "diagonal (/)" if a < 90 else "diagonal (\\)"


def read_filter(w: np.ndarray) -> FilterReading:
    """What the filter responds to, computed from its weights: kind, angle, share, and a sentence."""
    w = np.asarray(w, dtype=float)
    constant, linear, quadratic, gradient, hessian = _polynomial_parts(w)
    energy = float((w**2).sum()) or 1.0
    shares = {
        "brightness": float((constant**2).sum()) / energy,
        "edge": float((linear**2).sum()) / energy,
        "curvature": float((quadratic**2).sum()) / energy,
    }
    positive = float(w[w > 0].sum() / max(np.abs(w).sum(), 1e-12))
    part = max(shares, key=shares.get)  # on a tie the first in this order wins
    share, angle = shares[part], None
    if share < MIN_SHARE:
        kind, text = "texture", f"no single simple structure (fine texture; the largest part is {part})"
    elif part == "brightness":
        kind = "brightness"
        text = (
            "responds to overall brightness: sums the ink in its window (a blur)"
            if constant.mean() > 0
            else "responds to overall darkness: its output falls wherever its window has ink"
        )
    elif part == "edge":
        kind, angle = "edge", _angle(*gradient)
        edge_axis = angle + 90  # an edge runs across its gradient
        text = (
            f"responds to {_orientation(edge_axis)} edges, dark {_compass((angle + 180) % 360)} / "
            f"bright {_compass(angle)} (gradient {angle:.0f} deg)"
        )
    else:
        kind, angle, text = _read_curvature(hessian)
    return FilterReading(
        kind=kind,
        angle_deg=angle,
        share=share,
        shares=FilterShares(**shares),
        positive_weight_share=positive,
        text=f"{text}; that part holds {share:.2f} of its energy; {100 * positive:.0f}% of weight positive",
    )


def _read_curvature(hessian: np.ndarray) -> tuple[FilterKind, float | None, str]:
    """Spot, line or saddle from the Hessian's eigenvalues (weights peaked -> bright structure)."""
    values, vectors = np.linalg.eigh(hessian)
    order = np.argsort(-np.abs(values))
    strong, weak = values[order]
    across = vectors[:, order[0]]  # the direction of strongest curvature
    axis = _angle(-across[1], across[0]) % 180  # the structure runs across that direction
    shade = "bright" if strong < 0 else "dark"
    ratio = weak / strong
    if ratio > 0.5:
        surround = "darker" if strong < 0 else "brighter"
        return "spot", None, f"responds to a {shade} spot on a {surround} surround (centre-surround)"
    if ratio < -0.5:
        other = "dark" if shade == "bright" else "bright"
        return (
            "saddle",
            axis,
            f"responds to crossings: {shade} along {_orientation(axis)}, "
            f"{other} along {_orientation(axis + 90)} (axis {axis:.0f} deg)",
        )
    return "line", axis, f"responds to {shade} {_orientation(axis)} lines / strokes (axis {axis:.0f} deg)"


# How apply_filters treats the border, in words for the report.
FILTER_PADDING = (
    "reflect without repeating the edge pixel (OpenCV filter2D's default "
    "BORDER_REFLECT_101), same 28x28 size, no bias, on the normalised image"
)


def apply_filters(image: torch.Tensor, filters: torch.Tensor) -> torch.Tensor:
    """Correlate a (28, 28) image with (n, 1, k, k) filters, as OpenCV's filter2D does.

    Like filter2D's default border (BORDER_REFLECT_101), the image is padded by reflection
    without repeating the edge pixel (torch's 'reflect'), so each output has the image's size.
    No bias is added: these are the bare filters. Inside the border the result equals the
    network's own conv1 output less its bias.
    """
    k = filters.shape[-1]
    with torch.no_grad():
        padded = F.pad(image[None, None].float(), (k // 2,) * 4, mode="reflect")
        return F.conv2d(padded, filters.float())[0]


# --- does a filtered image show what the weights say? ------------------------------------------------

SHOWS_R = 0.7  # the reading's part alone must correlate at least this well with the whole filter's output
PARTS = {"brightness": 0, "edge": 1, "line": 2, "spot": 2, "saddle": 2}  # kind -> its polynomial part
PART_NAMES = ("brightness (constant) part", "edge (linear) part", "curvature (quadratic) part")
SIDES = {
    "right": "right-hand",
    "left": "left-hand",
    "above": "upper",
    "below": "lower",
    "upper right": "upper-right",
    "upper left": "upper-left",
    "lower left": "lower-left",
    "lower right": "lower-right",
}


@dataclass
class ReadingCheck:
    """Whether one filter's output on one image shows the structure its weights were read as."""

    look_for: str  # what the reading predicts a person sees in the filtered image
    correlation: float  # between the whole filter's output and its reading's part's output alone
    strongest_part: str  # the part whose output alone correlates best with the whole output
    shows: bool
    threshold: float  # the correlation a reading's part needs (SHOWS_R)
    text: str  # one sentence: the reading, what to look for, and whether it is there


def look_for(reading: FilterReading, constant_sign: float) -> str:
    """What the filtered image should show, if the reading holds (ink is bright in the input)."""
    if reading.kind == "edge":
        side = SIDES[_compass((reading.angle_deg + 180) % 360)]
        away = SIDES[_compass(reading.angle_deg)]
        return f"be brightest along the strokes' {side} edges and darkest along their {away} edges"
    if reading.kind == "line":
        shade = "brightest" if reading.text.startswith("responds to bright") else "darkest"
        return f"be {shade} along {_orientation(reading.angle_deg)} strokes"
    if reading.kind == "spot":
        return f"be {'brightest' if 'bright spot' in reading.text else 'darkest'} in the middle of thick ink"
    if reading.kind == "saddle":
        return "be brightest where strokes cross or turn"
    if reading.kind == "brightness":
        return f"be a blurred {'copy' if constant_sign > 0 else 'negative'} of the digit"
    return "show no single simple pattern"


def check_reading(
    image: torch.Tensor, weights: np.ndarray, reading: FilterReading, name: str = "the filtered image"
) -> ReadingCheck:
    """Filter `image` (28x28, as the network sees it) with the whole filter and with each part of its
    polynomial fit alone; the reading shows when its part's output alone follows the whole output
    (for a texture: when no part alone does)."""
    w = np.asarray(weights, dtype=float)
    constant, linear, quadratic, _, _ = _polynomial_parts(w)
    kernels = torch.tensor(np.stack([w, constant, linear, quadratic]), dtype=torch.float32)[:, None]
    outputs = apply_filters(image, kernels).reshape(4, -1).numpy().astype(float)
    whole = outputs[0]

    def corr(part: np.ndarray) -> float:
        spread = whole.std() * part.std()
        return float(np.mean((whole - whole.mean()) * (part - part.mean())) / spread) if spread > 0 else 0.0

    found = [corr(outputs[1 + i]) for i in range(3)]
    strongest = int(np.argmax(found))
    wanted = look_for(reading, float(constant.mean()))
    head = reading.text.split("; that part holds")[0]
    said = head if head.startswith("responds") else f"shows {head} in its weights"
    if reading.kind == "texture":
        r, shows = found[strongest], found[strongest] < SHOWS_R
        found_text = (
            f"and it does: no part alone follows it (the closest, its {PART_NAMES[strongest]}, "
            f"correlates {r:.2f})"
            if shows
            else f"but its {PART_NAMES[strongest]} alone follows it (correlation {r:.2f})"
        )
    else:
        part = PARTS[reading.kind]
        r, shows = found[part], found[part] >= SHOWS_R
        found_text = (
            f"and it is: its {PART_NAMES[part]} alone gives an output correlating {r:.2f} with the "
            "whole filter's"
            if shows
            else f"but not clearly: its {PART_NAMES[part]} alone correlates {r:.2f} with the whole "
            f"output, its {PART_NAMES[strongest]} {found[strongest]:.2f}"
        )
    return ReadingCheck(
        look_for=wanted,
        correlation=r,
        strongest_part=PART_NAMES[strongest],
        shows=shows,
        threshold=SHOWS_R,
        text=f"{said}; {name} should {wanted}, {found_text}.",
    )
