"""The own-image recipe's second half: the ink map of one symbol (`preprocess.ink_map`) made into
a 28x28 input as MNIST's makers made theirs: cropped, its strokes brought to MNIST's width, set
upright, scaled so its longer side is 20 px and placed in 28x28 by its centre of mass.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

MNIST_BOX, MNIST_SIDE = 20, 28
MNIST_STROKE = 2.2  # typical MNIST pen width in px at the 20-px box scale
# Strokes thinner than THICKEN_BELOW or thicker than THIN_ABOVE times MNIST's width (at the 20-px box
# scale) are brought to it. THIN_ABOVE was 1.8 (to 1.5): chosen on the first half of scikit-learn's
# UCI digits with the shearing upright below (docs/own-handwriting.md#real-digits).
THICKEN_BELOW, THIN_ABOVE = 0.75, 1.3


def mnist_frame(ink: np.ndarray) -> np.ndarray:
    """An ink map of one symbol (0 paper, up to 1 ink) -> float32 28x28, MNIST-style."""
    ink = normalise_stroke_width(crop_to_ink(ink))
    return centre_by_mass(fit_box(upright(ink)))


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of an image's intensity-weighted centre; a blank image counts as mass at (0, 0)."""
    ys, xs = np.indices(image.shape)
    mass = max(float(image.sum()), 1e-9)
    return float((ys * image).sum() / mass), float((xs * image).sum() / mass)


def grey_morph(a: np.ndarray, size: int, op: str) -> np.ndarray:
    """Grey-level dilation ('max') or erosion ('min') with a size x size square.

    A square's max filter is a row filter followed by a column filter: O(size), not O(size^2).
    """
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None]
    pad = size // 2
    if op == "min":
        t = -t
    t = F.pad(t, (pad, pad, pad, pad), mode="replicate")
    t = F.max_pool2d(F.max_pool2d(t, (size, 1), stride=1), (1, size), stride=1)
    return (-t if op == "min" else t)[0, 0].numpy()


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: its area over half its boundary length."""
    m = np.pad(mask, 1)  # ink touching the image edge still has a boundary there
    area = m.sum()
    if area == 0:
        return 0.0
    interior = m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    boundary = max(area - interior.sum(), 1)
    return float(2 * area / boundary)


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, ignoring the faintest 0.3% of its mass on each side (specks, noise)."""
    rows, cols = ink.sum(axis=1), ink.sum(axis=0)

    def bounds(profile):
        cdf = np.cumsum(profile) / profile.sum()
        return int(np.searchsorted(cdf, 0.003)), int(np.searchsorted(cdf, 0.997)) + 1

    (r0, r1), (c0, c1) = bounds(rows), bounds(cols)
    return ink[r0:r1, c0:c1]


def normalise_stroke_width(ink: np.ndarray) -> np.ndarray:
    """Thicken thin pens (or thin fat markers) so strokes end up about MNIST-wide at 20 px."""
    target = MNIST_STROKE * max(ink.shape) / MNIST_BOX
    width = stroke_width(ink > 0.5)
    pad = int(np.ceil(target))
    ink = np.pad(ink, pad)
    if width < THICKEN_BELOW * target:
        grow = int(round(target - width)) | 1
        ink = grey_morph(ink, grow, "max")
    elif width > THIN_ABOVE * target:
        shrink = int(round(width - target)) | 1
        thinner = grey_morph(ink, shrink, "min")
        ink = thinner if thinner.max() > 0.5 else ink
    return crop_to_ink(ink) if ink.max() > 0 else ink


def upright(ink: np.ndarray) -> np.ndarray:
    """Shear the ink so its principal axis stands upright (its second moments' covariance zero), as
    slanted handwriting is commonly normalised: a slanted 1's flag no longer passes for a 4's arm."""
    ys, xs = np.indices(ink.shape)
    mass = max(float(ink.sum()), 1e-9)
    cy, cx = centre_of_mass(ink)
    var_y = ((ys - cy) ** 2 * ink).sum() / mass
    if var_y <= 0:
        return ink
    slant = ((ys - cy) * (xs - cx) * ink).sum() / mass / var_y  # columns moved per row
    pad = int(np.ceil(abs(slant) * ink.shape[0] / 2)) + 1
    wide = np.pad(ink, ((0, 0), (pad, pad)))
    # The output's pixel (y, x) takes the input's (y, x + slant * (y - cy)): rows sheared about cy.
    sheared = ndimage.affine_transform(wide, np.array([[1, 0], [slant, 1]]), offset=(0, -slant * cy), order=1)
    return crop_to_ink(sheared) if sheared.max() > 0 else ink


def fit_box(ink: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 20 px, keeping the aspect ratio (anti-aliased)."""
    h, w = ink.shape
    scale = MNIST_BOX / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    t = torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None]
    out = F.interpolate(t, size=size, mode="bilinear", antialias=True, align_corners=False)[0, 0]
    out = out.clamp(0, 1).numpy()
    return out / max(out.max(), 1e-6)


def centre_by_mass(box: np.ndarray) -> np.ndarray:
    """Place the box in 28x28 so its centre of mass sits at the centre, as MNIST's makers did."""
    h, w = box.shape
    cy, cx = centre_of_mass(box)
    top = int(np.clip(round(MNIST_SIDE / 2 - 0.5 - cy), 0, MNIST_SIDE - h))
    left = int(np.clip(round(MNIST_SIDE / 2 - 0.5 - cx), 0, MNIST_SIDE - w))
    out = np.zeros((MNIST_SIDE, MNIST_SIDE), np.float32)
    out[top : top + h, left : left + w] = box
    return out
