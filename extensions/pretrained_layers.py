"""Extension: what the first two convolutional layers of a pretrained network do to an image.

As in Task 2, but for a network someone else trained on photographs: its first layer's filters,
and the feature maps of its first two convolutional layers on a handwritten digit and a Greek
letter.

Offline default: the MTCNN face-detection networks that facenet-pytorch ships as state dicts.
Online: a torchvision model with its ImageNet weights (downloaded once into torch's cache), or any
local state dict. The loaders are recognition/networks/pretrained.py.

    python -m extensions.pretrained_layers                          # MTCNN ONet, offline
    python -m extensions.pretrained_layers --arch mtcnn-pnet
    python -m extensions.pretrained_layers --arch resnet18          # ImageNet weights (online once)
    python -m extensions.pretrained_layers --arch alexnet --weights alexnet-owt-7be5be79.pth
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

from recognition import cli, flags
from recognition.data import datasets, imagefiles
from recognition.handwriting import glyphs
from recognition.io import writable_folder
from recognition.networks import pretrained
from recognition.networks.pretrained import FirstLayers, LoadReport
from recognition.report import plots
from recognition.report.markdown import Outputs, figure, table
from recognition.report.results import StepResults, save_results
from recognition.report.steps import Answer, Step

FILTERS_PNG = "ext_pretrained_filters.png"


@dataclass
class LayerMaps:
    """One layer's feature maps of one image."""

    shape: list[int]  # channels, height, width
    mean: float
    active_fraction: float  # of the outputs above zero


@dataclass
class ImageMaps:
    source: str  # what the image is
    layers: dict[str, LayerMaps]  # by layer name


@dataclass
class Network:
    """The pretrained network that was loaded."""

    name: str
    weights: str  # where the weights came from
    load: LoadReport | None  # None: random initialisation
    input_side: int
    mean: list[float]  # the input normalisation, on a 0..1 scale
    std: list[float]
    first_layer_filters: list[int]  # the first layer's weight shape
    layers: list[str]  # the two layers whose maps are drawn


@dataclass(kw_only=True)
class PretrainedResults(StepResults):
    arch: str
    network: Network | None  # None: no weights could be had (see `skipped`)
    skipped: str | None = None  # why no network was loaded
    images: dict[str, ImageMaps] = field(default_factory=dict)  # by image key (digit, greek, file stem)
    figures: list[str] = field(default_factory=list)
    load_seconds: float = 0.0
    figures_seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# Images


def mnist_digit_image(data_dir: Path, index: int = 0) -> tuple[Image.Image, str]:
    mnist = datasets.load_mnist(data_dir, download=False)
    return (
        Image.fromarray(mnist.test_images[index].numpy()).convert("RGB"),
        f"MNIST test image {index} (label {int(mnist.test_labels[index])})",
    )


def first_image_under(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    paths = imagefiles.scan_image_folder(folder).paths
    return paths[0] if paths else None


def default_images(data_dir: Path) -> list[tuple[str, Image.Image, str]]:
    """(key, image, description) for one digit and one Greek letter, from the data folder when
    the other tasks made them, else MNIST and a rendered glyph."""
    digit_path = first_image_under(data_dir / "own_digits")
    digit = (
        (imagefiles.read_image(digit_path), f"own digit {digit_path}")
        if digit_path
        else mnist_digit_image(data_dir)
    )
    greek_path = first_image_under(data_dir / "greek")
    if greek_path:
        greek = (imagefiles.read_image(greek_path), f"Greek letter {greek_path}")
    else:
        rng = np.random.default_rng(42)
        greek = (
            glyphs.render_glyph("alpha", rng, (133, 133), glyphs.COURSE_STYLE),
            "rendered Greek alpha (the handwriting generator, course style, seed 42)",
        )
    return [("digit", *digit), ("greek", *greek)]


# ---------------------------------------------------------------------------------------------
# Figures


# ---------------------------------------------------------------------------------------------
# Figures


def filters_for_display(conv: nn.Conv2d) -> list[np.ndarray]:
    """Each filter as an HxWx3 image, min-max normalised on its own (RGB filters in colour)."""
    images = []
    for w in conv.weight.detach().cpu().numpy():
        w = np.transpose(w, (1, 2, 0)) if w.shape[0] == 3 else w[0]
        span = w.max() - w.min()
        images.append((w - w.min()) / span if span > 0 else np.zeros_like(w))
    return images


def plot_filters(net: FirstLayers, path: Path) -> Path:
    filters = filters_for_display(net.conv1)
    k = net.conv1.kernel_size
    title = (
        f"{net.name} first layer: {len(filters)} RGB {k[0]}x{k[1]} filters, "
        f"each normalised to its own range for display\nweights: {net.weights}"
    )
    fig = plots.image_grid(
        filters, [f"{i}" for i in range(len(filters))], ncols=min(8, len(filters)), cell=1.3, suptitle=title
    )
    return plots.save_figure(fig, path)


def plot_maps(
    net: FirstLayers,
    rgb: np.ndarray,
    maps: torch.Tensor,
    layer: str,
    description: str,
    channels: int,
    path: Path,
) -> Path:
    """The input and the first `channels` maps of one layer, on one shared colour scale."""
    shown = maps[0, :channels].numpy()
    vmax = float(np.abs(shown).max()) or 1.0
    images = [rgb] + list(shown)
    titles = [f"input {net.side}px"] + [f"ch {i}" for i in range(len(shown))]
    fig = plots.image_grid(
        images,
        titles,
        ncols=6,
        cmap="gray",
        vmin=-vmax,
        vmax=vmax,
        cell=1.7,
        colorbar=True,
        suptitle=f"{net.name} {layer}: channels 0-{len(shown) - 1} of {maps.shape[1]} "
        f"({maps.shape[2]}x{maps.shape[3]}), shared scale\n"
        f"{description}\nweights: {net.weights}",
    )
    return plots.save_figure(fig, path)


# ---------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = cli.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--arch",
        choices=pretrained.ARCHS,
        default="mtcnn-onet",
        help="network: MTCNN (offline, facenet-pytorch weights) or torchvision ImageNet",
    )
    parser.add_argument(
        "--weights", type=Path, help="local state dict instead of the default pretrained weights"
    )
    parser.add_argument(
        "--image",
        type=Path,
        action="append",
        default=[],
        help="an image to show the feature maps of (repeatable; adds to the defaults)",
    )
    parser.add_argument(
        "--no-default-images",
        action="store_true",
        help="show only the --image files, not the default digit and Greek letter",
    )
    parser.add_argument(
        "--channels", type=flags.COUNT, default=17, help="feature maps shown per layer (the first N channels)"
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="MNIST and own-image folder")
    parser.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where outputs go")
    args = parser.parse_args(argv)
    if args.no_default_images and not args.image:
        parser.error("--no-default-images needs at least one --image")
    return args


def choose_images(paths: list[Path], no_defaults: bool, data_dir: Path) -> list[tuple[str, Image.Image, str]]:
    images = [] if no_defaults else default_images(data_dir)
    for path in paths:
        images.append((path.stem, imagefiles.read_image(path), f"image {path}"))
    return images


def image_maps(
    net: FirstLayers, key: str, image: Image.Image, description: str, channels: int, out: Path
) -> tuple[ImageMaps, list[str]]:
    """Both layers' feature maps of one image: their statistics and figures."""
    x, rgb = pretrained.to_input(image, net)
    stats, figures = {}, []
    maps = pretrained.feature_maps(net, x)
    for index, (layer, layer_maps) in enumerate(zip(net.layer_names, maps), start=1):
        png = out / f"ext_pretrained_{key}_layer{index}.png"
        figures.append(str(plot_maps(net, rgb, layer_maps, layer, description, channels, png)))
        stats[layer] = LayerMaps(
            shape=list(layer_maps.shape[1:]),
            mean=float(layer_maps.mean()),
            active_fraction=float((layer_maps > 0).float().mean()),
        )
        print(
            f"  {key}: {layer} -> {tuple(layer_maps.shape[1:])}, "
            f"{stats[layer].active_fraction:.0%} of activations positive"
        )
    return ImageMaps(source=description, layers=stats), figures


def describe(net: FirstLayers) -> Network:
    return Network(
        name=net.name,
        weights=net.weights,
        load=net.load_report,
        input_side=net.side,
        mean=list(net.mean),
        std=list(net.std),
        first_layer_filters=list(net.conv1.weight.shape),
        layers=list(net.layer_names),
    )


def main(argv: Sequence[str] | None = None) -> PretrainedResults:
    args = parse_args(argv)
    out = writable_folder(args.figures_dir)
    json_path = out / STEP.results_file
    start = time.perf_counter()
    try:
        net = pretrained.load_network(args.arch, args.weights)
    except pretrained.WeightsUnavailable as err:
        skipped = PretrainedResults(arch=args.arch, network=None, skipped=str(err))
        save_results(json_path, skipped)
        if args.weights is not None or args.arch not in pretrained.MTCNN_ARCHS:  # asked for by name or file
            raise cli.UserError(f"{err} (recorded in {json_path})") from err
        print(f"pretrained-layers extension skipped: {err}", file=sys.stderr)  # the offline default
        return skipped
    load_seconds = time.perf_counter() - start
    print(f"{net.name}: weights {net.weights}; strict load: {net.load_report}")

    start = time.perf_counter()
    figures = [str(plot_filters(net, out / FILTERS_PNG))]
    per_image = {}
    for key, image, description in choose_images(args.image, args.no_default_images, args.data_dir):
        per_image[key], image_figures = image_maps(net, key, image, description, args.channels, out)
        figures += image_figures
    figures_seconds = time.perf_counter() - start

    results = PretrainedResults(
        arch=args.arch,
        network=describe(net),
        images=per_image,
        figures=figures,
        load_seconds=load_seconds,
        figures_seconds=figures_seconds,
        seconds=load_seconds + figures_seconds,
    )
    save_results(json_path, results)
    print(f"wrote {len(figures)} figures and {json_path}")
    return results


# --- report section --------------------------------------------------------------------------


def report_section(r: PretrainedResults, outputs: Outputs) -> str:
    n = r.network
    if n is None:
        return f"**Skipped**: {r.skipped}\n"
    load = (
        f"{n.load.tensors} tensors, {len(n.load.missing_keys)} missing and "
        f"{len(n.load.unexpected_keys)} unexpected keys"
        if n.load
        else "no weights loaded"
    )
    out = (
        f"{n.name} with weights {n.weights} ({load}); first-layer filters of shape "
        f"{tuple(n.first_layer_filters)}, inputs of {n.input_side} px.\n\n"
    )
    rows = [
        [name, layer, "x".join(map(str, v.shape)), f"{v.active_fraction:.2f}"]
        for name, image in r.images.items()
        for layer, v in image.layers.items()
    ]
    out += table(["image", "layer", "output", "fraction of positive outputs"], rows) + "\n"
    for path in r.figures:
        out += "\n" + figure(path, Path(path).stem.removeprefix("ext_pretrained_").replace("_", " "))
    return out


STEP = Step(
    name="pretrained",
    title="Extension: a pretrained network's first layers",
    command="python -m extensions.pretrained_layers",
    results=PretrainedResults,
    section=report_section,
    needs=("data",),
    cost_s=2,
    rubric=(
        Answer(
            "x-pretrained",
            "",
            lambda r: (
                f"{r.network.name}: {len(r.images)} images through its first layers"
                if r.network is not None
                else f"not run: {r.skipped}"
            ),
        ),
    ),
)


if __name__ == "__main__":
    cli.run(main)
