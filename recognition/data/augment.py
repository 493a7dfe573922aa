"""Handwriting-like augmentation of whole training batches, on tensors, seeded and repeatable.

Each image of a batch gets its own small rotation, scale, shear and shift, a smooth elastic
bend, and sometimes a thicker or thinner pen (grey dilation or erosion). The whole batch is
warped by one `grid_sample`: the affine part of its sampling grid is three multiply-adds per
pixel, and the bend is coarse white noise taken through one fixed smoothing-and-upsampling
matrix on each axis (two small matrix products), since a full-size Gaussian blur and
`affine_grid`'s batched matrix product cost as much as the network's own training step on a CPU.
A 5-epoch training costs at most 1.5 times as much (benchmarks/augmentation.py). The random
numbers come from the augmenter's own generator, so the batch order and the weights'
initialisation are the same with and without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

AUGMENTATIONS = ("none", "handwriting")


@dataclass(frozen=True)
class Ranges:
    """How far each change goes, either way (a fraction of samples get pen changes)."""

    probability: float = 0.8  # share of images that are changed at all
    rotation: float = 12.0  # degrees
    scale: float = 0.12  # 1 +- this
    shear: float = 0.2  # x shifts by this times y
    shift: float = 2.5  # px
    elastic: float = 0.8  # px, the displacement's typical size
    elastic_sigma: float = 3.0  # px, how smooth the bend is
    pen: float = 0.3  # share of images drawn thicker, and again thinner


def smoothing_matrix(side: int, sigma: float) -> torch.Tensor:
    """(side, coarse) matrix that takes noise on a grid `sigma` px apart to a field over `side`
    pixels: a Gaussian blur of one grid step on the coarse grid, then linear interpolation."""
    step = max(1, round(sigma))
    coarse = -(-side // step)
    taps = torch.arange(coarse, dtype=torch.float32)
    blur = torch.exp(-((taps[:, None] - taps[None, :]) ** 2) / 2)  # sigma of one coarse step
    blur = blur / blur.sum(1, keepdim=True)
    upsample = F.interpolate(torch.eye(coarse)[None], size=side, mode="linear", align_corners=False)[0].T
    return upsample @ blur


class Augmenter:
    """Call it on a normalised (B, 1, 28, 28) batch; returns a changed copy."""

    def __init__(self, seed: int, ranges: Ranges = Ranges()):
        self.ranges = ranges
        self.generator = torch.Generator().manual_seed(seed)
        self._smoothing: dict[int, torch.Tensor] = {}

    def _uniform(self, n: int, half_width: float) -> torch.Tensor:
        return (torch.rand(n, generator=self.generator) * 2 - 1) * half_width

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        r, (b, _, h, w) = self.ranges, x.shape
        on = (torch.rand(b, generator=self.generator) < r.probability).float()
        angle = torch.deg2rad(self._uniform(b, r.rotation)) * on
        scale = 1 + self._uniform(b, r.scale) * on
        shear = self._uniform(b, r.shear) * on
        shift = torch.stack([self._uniform(b, r.shift), self._uniform(b, r.shift)], 1) * on[:, None]
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        # output -> input coordinates in [-1, 1]: rotate and scale, shear, then shift
        theta = torch.stack(
            [
                torch.stack([cos, -sin + shear * cos, -shift[:, 0] * 2 / w], 1),
                torch.stack([sin, cos + shear * sin, -shift[:, 1] * 2 / h], 1),
            ],
            1,
        )
        bend = self._bend(b, h, w) * (r.elastic * on)[:, None, None, None]
        grid = (affine_grid(theta, h, w) + bend).to(x.dtype).to(x.device)
        background = x.amin(dim=(1, 2, 3), keepdim=True)  # MNIST's black, after normalisation
        out = F.grid_sample(x - background, grid, align_corners=False, padding_mode="zeros") + background
        return self._pen(out, on)

    def _bend(self, b: int, h: int, w: int) -> torch.Tensor:
        """Smooth random displacements (b, h, w, 2) in grid units, each image's of 1 px rms."""
        rows, cols = (
            self._smoothing.setdefault(side, smoothing_matrix(side, self.ranges.elastic_sigma))
            for side in (h, w)
        )
        noise = torch.randn(b * 2, rows.shape[1], cols.shape[1], generator=self.generator)
        field = (rows @ (noise @ cols.T)).view(b, 2, h, w)  # (b, x|y, h, w) in px
        rms = torch.linalg.vector_norm(field.flatten(1), dim=1) / math.sqrt(2 * h * w)
        to_grid = torch.tensor([2 / w, 2 / h])  # px -> [-1, 1] units
        return field.permute(0, 2, 3, 1) / rms.clamp(min=1e-6)[:, None, None, None] * to_grid

    def _pen(self, x: torch.Tensor, on: torch.Tensor) -> torch.Tensor:
        """Thicker (2x2 grey dilation) or thinner (2x2 grey erosion) strokes for some images."""
        b = len(x)
        pick = torch.rand(b, generator=self.generator)
        thicker = ((pick < self.ranges.pen) & (on > 0)).to(x.device)[:, None, None, None]
        thinner = ((pick > 1 - self.ranges.pen) & (on > 0)).to(x.device)[:, None, None, None]
        padded = F.pad(x, (0, 1, 0, 1), mode="replicate")
        corners = (padded[..., :-1, :-1], padded[..., 1:, :-1], padded[..., :-1, 1:], padded[..., 1:, 1:])
        dilated = torch.maximum(torch.maximum(corners[0], corners[1]), torch.maximum(corners[2], corners[3]))
        eroded = torch.minimum(torch.minimum(corners[0], corners[1]), torch.minimum(corners[2], corners[3]))
        return torch.where(thicker, dilated, torch.where(thinner, eroded, x))


def affine_grid(theta: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """F.affine_grid(theta, (b, 1, h, w), align_corners=False), as broadcast multiply-adds:
    the library's batched 3x2 matrix product is slower than the network on a CPU."""
    xs = (torch.arange(w, dtype=theta.dtype) * 2 + 1) / w - 1
    ys = ((torch.arange(h, dtype=theta.dtype) * 2 + 1) / h - 1)[:, None]
    t = theta[:, :, :, None, None]  # (b, 2, 3, 1, 1)
    return (t[:, :, 0] * xs + t[:, :, 1] * ys + t[:, :, 2]).permute(0, 2, 3, 1)


def make_augmenter(name: str, seed: int) -> Augmenter | None:
    """The augmentation a TrainConfig names: None for 'none'."""
    if name not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {name!r}")
    return None if name == "none" else Augmenter(seed)
