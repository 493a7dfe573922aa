"""The recipe's second half (strokes.py): heavy strokes thinned to MNIST's width, slant sheared upright."""

import numpy as np

from recognition.data import strokes


def slanted_bar(width: int = 6, slope: float = 0.5) -> np.ndarray:
    """A stroke 80 px tall leaning right by `slope` columns per row, `width` px wide."""
    ink = np.zeros((80, 80), np.float32)
    for y in range(80):
        x = int(20 + slope * (80 - y))
        ink[y, x : x + width] = 1
    return ink


def covariance(ink: np.ndarray) -> float:
    ys, xs = np.indices(ink.shape)
    cy, cx = strokes.centre_of_mass(ink)
    return float(((ys - cy) * (xs - cx) * ink).sum() / ink.sum())


def test_a_slanted_stroke_is_sheared_upright_and_an_upright_one_left_alone():
    leaning = slanted_bar()
    assert abs(covariance(leaning)) > 50
    stood = strokes.upright(leaning)
    assert abs(covariance(stood)) < 2 and stood.shape[1] < 15  # a narrow vertical bar
    upright = slanted_bar(slope=0.0)
    assert np.array_equal(strokes.upright(strokes.crop_to_ink(upright)), strokes.crop_to_ink(upright))


def test_heavy_strokes_are_thinned_and_thin_ones_thickened_towards_mnist_width():
    ys, xs = np.indices((120, 120))
    radius = np.hypot(ys - 60, xs - 60)
    for width in (3, 24):  # an 0 in a thin pen and in a marker
        ring = strokes.crop_to_ink(((radius > 45 - width) & (radius < 45)).astype(np.float32))
        out = strokes.normalise_stroke_width(ring)
        target = strokes.MNIST_STROKE * max(out.shape) / strokes.MNIST_BOX
        before, after = strokes.stroke_width(ring > 0.5), strokes.stroke_width(out > 0.5)
        assert (after > before) if width == 3 else (after < before / 2)
        assert 0.4 * target < after < strokes.THIN_ABOVE * target
