"""The course CNN with a fixed first layer: ten 5x5 Gabor filters that are never trained."""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from netlib import MnistNet

GABOR_FILTERS = 10


def gabor_bank(
    size: int = 5,
    orientations: int = 5,
    wavelengths: tuple[float, ...] = (3.0, 5.0),
    sigma_per_wavelength: float = 0.45,
) -> tuple[torch.Tensor, list[str]]:
    """`orientations` x `len(wavelengths)` even (cosine) Gabor filters, (n, 1, size, size), and names.

    Each filter has zero mean (no response to flat paper) and unit L2 norm, so the layer sees
    stroke edges and bars at every angle rather than brightness.
    """
    half = (size - 1) / 2
    ys, xs = torch.meshgrid(torch.arange(size) - half, torch.arange(size) - half, indexing="ij")
    filters, names = [], []
    for wavelength in wavelengths:
        sigma = sigma_per_wavelength * wavelength
        for k in range(orientations):
            theta = math.pi * k / orientations
            along = xs * math.cos(theta) + ys * math.sin(theta)
            across = -xs * math.sin(theta) + ys * math.cos(theta)
            envelope = torch.exp(-(along**2 + across**2) / (2 * sigma**2))
            g = envelope * torch.cos(2 * math.pi * along / wavelength)
            g = g - g.mean()
            filters.append(g / g.norm())
            # The wave runs along theta (image y points down), so the bars lie at 90 - theta degrees,
            # counted anticlockwise from horizontal as one looks at the image.
            names.append(f"bars {(90 - round(math.degrees(theta))) % 180} deg, wavelength {wavelength:g}")
    return torch.stack(filters).unsqueeze(1).float(), names


class GaborNet(MnistNet):
    """MnistNet whose first convolution is a fixed bank of 10 5x5 Gabor filters (no bias); the rest learns."""

    ARCH = "gabor"

    def __init__(self, hidden: int = 50, dropout: float = 0.5):
        super().__init__(hidden, dropout)
        bank, self.filter_names = gabor_bank()
        self.conv1 = nn.Conv2d(1, GABOR_FILTERS, kernel_size=5, bias=False)
        with torch.no_grad():
            self.conv1.weight.copy_(bank)
        self.conv1.weight.requires_grad_(False)
