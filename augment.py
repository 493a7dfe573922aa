"""Handwriting-like augmentation of whole training batches, on tensors, seeded and repeatable.

Each image of a batch gets its own small rotation, scale, shear and shift, a smooth elastic
bend (random displacements smoothed with torchvision's v2 Gaussian blur), and sometimes a
thicker or thinner pen (grey dilation or erosion). All of it is one `grid_sample` and one
pooling per batch, so a 5-epoch training costs well under 1.5 times as much (see
benchmarks/augmentation.py). The random numbers come from the augmenter's own generator, so
the batch order and the weights' initialisation are the same with and without it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF

AUGMENTATIONS = ("none", "handwriting")


@dataclass(frozen=True)
class Ranges:
    """How far each change goes, either way (a fraction of samples get pen changes)."""
    probability: float = 0.8      # share of images that are changed at all
    rotation: float = 12.0        # degrees
    scale: float = 0.12           # 1 +- this
    shear: float = 0.2            # x shifts by this times y
    shift: float = 2.5            # px
    elastic: float = 0.8          # px, the displacement's typical size
    elastic_sigma: float = 3.0    # px, how smooth the bend is
    pen: float = 0.3              # share of images drawn thicker, and again thinner


class Augmenter:
    """Call it on a normalised (B, 1, 28, 28) batch; returns a changed copy."""

    def __init__(self, seed: int, ranges: Ranges = Ranges()):
        self.ranges = ranges
        self.generator = torch.Generator().manual_seed(seed)

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
        theta = torch.stack([torch.stack([cos, -sin + shear * cos, -shift[:, 0] * 2 / w], 1),
                             torch.stack([sin, cos + shear * sin, -shift[:, 1] * 2 / h], 1)], 1)
        grid = F.affine_grid(theta.to(x.dtype), (b, 1, h, w), align_corners=False)
        bend = torch.randn(b, 2, h, w, generator=self.generator)
        size = 2 * math.ceil(2 * r.elastic_sigma) + 1
        bend = TF.gaussian_blur(bend, [size, size], [r.elastic_sigma, r.elastic_sigma])
        spread = bend.flatten(1).std(1).clamp(min=1e-6)
        to_grid = torch.tensor([2 / w, 2 / h])[None, :, None, None]  # px -> [-1, 1] units
        bend = bend * (r.elastic * on / spread)[:, None, None, None] * to_grid
        grid = (grid + bend.permute(0, 2, 3, 1).to(x.dtype)).to(x.device)
        background = x.amin(dim=(1, 2, 3), keepdim=True)  # MNIST's black, after normalisation
        out = F.grid_sample(x - background, grid, align_corners=False, padding_mode="zeros") + background
        return self._pen(out, on)

    def _pen(self, x: torch.Tensor, on: torch.Tensor) -> torch.Tensor:
        """Thicker (2x2 grey dilation) or thinner (2x2 grey erosion) strokes for some images."""
        b = len(x)
        pick = torch.rand(b, generator=self.generator)
        thicker = ((pick < self.ranges.pen) & (on > 0)).to(x.device)[:, None, None, None]
        thinner = ((pick > 1 - self.ranges.pen) & (on > 0)).to(x.device)[:, None, None, None]
        padded = F.pad(x, (0, 1, 0, 1), mode="replicate")
        dilated = F.max_pool2d(padded, 2, stride=1)
        eroded = -F.max_pool2d(-padded, 2, stride=1)
        return torch.where(thicker, dilated, torch.where(thinner, eroded, x))


def make_augmenter(name: str, seed: int) -> Augmenter | None:
    """The augmentation a TrainConfig names: None for 'none'."""
    if name not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {name!r}")
    return None if name == "none" else Augmenter(seed)
