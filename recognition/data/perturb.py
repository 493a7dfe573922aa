"""MNIST test digits under the perturbations the networks comparison scores them on: rotated,
shifted, thickened and thinned."""

from __future__ import annotations

import torch
import torch.nn.functional as F

SHIFT = 3
CLEAN = "test set"
CONDITIONS = (
    CLEAN,
    "rotated -30",
    "rotated -15",
    "rotated +15",
    "rotated +30",
    f"shifted {SHIFT} px",
    "thickened 1 px",
    "thinned 1 px",
)


def perturb(images: torch.Tensor, condition: str) -> torch.Tensor:
    """uint8 test digits (N, 28, 28) -> float [0, 1] (N, 28, 28) under one of CONDITIONS."""
    import torchvision.transforms.functional as TF  # here: importing torchvision takes seconds

    x = images.float().unsqueeze(1) / 255.0
    if condition.startswith("rotated"):
        x = TF.rotate(x, float(condition.split()[1]), interpolation=TF.InterpolationMode.BILINEAR)
    elif condition.startswith("shifted"):  # right, left, down, up in turn
        moves = [(SHIFT, 0), (-SHIFT, 0), (0, SHIFT), (0, -SHIFT)]
        x = torch.cat([TF.affine(x[i : i + 1], 0.0, list(moves[i % 4]), 1.0, [0.0]) for i in range(len(x))])
    elif condition.startswith("thickened"):  # grey dilation, 2x2
        x = F.max_pool2d(F.pad(x, (0, 1, 0, 1)), 2, stride=1)
    elif condition.startswith("thinned"):  # grey erosion, 2x2
        x = -F.max_pool2d(F.pad(-x, (0, 1, 0, 1), value=-1.0), 2, stride=1)
    elif condition != CLEAN:
        raise ValueError(f"unknown condition {condition!r}")
    return x[:, 0]
