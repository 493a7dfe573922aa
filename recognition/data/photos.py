"""MNIST digits as simulated phone photos: grey paper, pen colour, sensor noise, and a soft lighting
gradient or a hard-edged shadow. The conditions of the photo benchmarks
(benchmarks/own_image_robustness.py, benchmarks/augmentation.py)."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

CONDITIONS = [(shadow, noise) for shadow in ("soft", "hard") for noise in (0.02, 0.035, 0.05)]


def as_photo(
    digit: torch.Tensor, rng: np.random.Generator, shadow: str, noise: float, size: int = 500
) -> Image.Image:
    """A 28x28 MNIST digit as dark grey ink on grey paper, scaled up, shaded and noisy."""
    side = int(size * rng.uniform(0.4, 0.8))
    ink = np.asarray(Image.fromarray(digit.numpy()).resize((side, side), Image.BILINEAR), np.float32) / 255
    canvas = np.zeros((size, size), np.float32)
    top, left = rng.integers(0, size - side, 2)
    canvas[top : top + side, left : left + side] = ink
    ys, xs = np.indices(canvas.shape)
    if shadow == "hard":
        light = np.where(xs + 0.5 * ys > rng.uniform(0.2, 0.8) * size, 0.7, 1.0)
    else:
        light = 1 - 0.3 * xs / size
    paper, pen = np.array([0.8, 0.79, 0.76]), np.array([0.25, 0.25, 0.28])
    rgb = (paper * (1 - canvas[..., None]) + pen * canvas[..., None]) * light[..., None]
    rgb += rng.normal(0, noise, rgb.shape)
    return Image.fromarray((rgb.clip(0, 1) * 255).astype(np.uint8))
