"""Extension: what the first two convolutional layers of a pretrained network do to an image.

As in Task 2, but for a network someone else trained on photographs: its first layer's filters,
and the feature maps of its first two convolutional layers on a handwritten digit and a Greek
letter.

Offline default: the MTCNN face-detection networks that facenet-pytorch ships as state dicts
(loaded into a small module of our own, so none of that package's pinned dependencies are
needed). Online: a torchvision model with its ImageNet weights (downloaded once into torch's
cache), or any local state dict.

    python extensions/pretrained_layers.py                          # MTCNN ONet, offline
    python extensions/pretrained_layers.py --arch mtcnn-pnet
    python extensions/pretrained_layers.py --arch resnet18          # ImageNet weights (online once)
    python extensions/pretrained_layers.py --arch alexnet --weights alexnet-owt-7be5be79.pth
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

from recognition import cli
from recognition.data import datasets, imagefiles
from recognition.handwriting import glyphs
from recognition.io import writable_folder, write_json
from recognition.report import plots
from recognition.report.markdown import Results, figure, opening, table

MTCNN_ARCHS = ("mtcnn-pnet", "mtcnn-rnet", "mtcnn-onet")
TORCHVISION_ARCHS = ("resnet18", "alexnet")
ARCHS = MTCNN_ARCHS + TORCHVISION_ARCHS
INPUT_SIDE = {"mtcnn-pnet": 48, "mtcnn-rnet": 48, "mtcnn-onet": 48, "resnet18": 224, "alexnet": 224}
MTCNN_NAMES = {"pnet": "MTCNN P-Net", "rnet": "MTCNN R-Net", "onet": "MTCNN O-Net"}
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class WeightsUnavailable(FileNotFoundError):
    """No pretrained weights could be had; the message says where we looked and what to do."""


@dataclass
class FirstLayers:
    """The start of a pretrained network, split where its first two conv layers' outputs are."""

    name: str  # e.g. "MTCNN ONet"
    weights: str  # where the weights came from
    conv1: nn.Conv2d  # the first layer, whose filters are drawn
    stage1: nn.Module  # image -> first conv layer's activations
    stage2: nn.Module  # those -> second conv layer's activations
    layer_names: tuple[str, str]
    mean: tuple[float, ...]  # per-channel input normalisation, on a 0..1 scale
    std: tuple[float, ...]
    side: int  # input images are resized to side x side
    load_report: dict  # missing/unexpected keys of the strict load


# ---------------------------------------------------------------------------------------------
# MTCNN (facenet-pytorch's pretrained P-, R- and O-Net)


def _mtcnn_layers(net: str) -> dict[str, nn.Module]:
    """Every layer of facenet-pytorch's P/R/O-Net, named as in its state dicts (heads included:
    a strict load needs every key, even of layers never run here)."""
    conv, prelu, dense = nn.Conv2d, nn.PReLU, nn.Linear
    if net == "pnet":
        return {
            "conv1": conv(3, 10, 3),
            "prelu1": prelu(10),
            "pool1": nn.MaxPool2d(2, 2, ceil_mode=True),
            "conv2": conv(10, 16, 3),
            "prelu2": prelu(16),
            "conv3": conv(16, 32, 3),
            "prelu3": prelu(32),
            "conv4_1": conv(32, 2, 1),
            "conv4_2": conv(32, 4, 1),
        }
    if net == "rnet":
        return {
            "conv1": conv(3, 28, 3),
            "prelu1": prelu(28),
            "pool1": nn.MaxPool2d(3, 2, ceil_mode=True),
            "conv2": conv(28, 48, 3),
            "prelu2": prelu(48),
            "conv3": conv(48, 64, 2),
            "prelu3": prelu(64),
            "dense4": dense(576, 128),
            "prelu4": prelu(128),
            "dense5_1": dense(128, 2),
            "dense5_2": dense(128, 4),
        }
    if net == "onet":
        return {
            "conv1": conv(3, 32, 3),
            "prelu1": prelu(32),
            "pool1": nn.MaxPool2d(3, 2, ceil_mode=True),
            "conv2": conv(32, 64, 3),
            "prelu2": prelu(64),
            "conv3": conv(64, 64, 3),
            "prelu3": prelu(64),
            "conv4": conv(64, 128, 2),
            "prelu4": prelu(128),
            "dense5": dense(1152, 256),
            "prelu5": prelu(256),
            "dense6_1": dense(256, 2),
            "dense6_2": dense(256, 4),
            "dense6_3": dense(256, 10),
        }
    raise ValueError(f"unknown MTCNN network {net!r}; choose pnet, rnet or onet")


class MtcnnNet(nn.Module):
    """A container with MTCNN's parameter names; only its first two conv layers are ever run."""

    def __init__(self, net: str):
        super().__init__()
        self.net = net
        for name, layer in _mtcnn_layers(net).items():
            self.add_module(name, layer)

    def stage1(self) -> nn.Module:
        return nn.Sequential(self.conv1, self.prelu1)

    def stage2(self) -> nn.Module:
        return nn.Sequential(self.pool1, self.conv2, self.prelu2)


def facenet_data_dir() -> Path | None:
    """facenet-pytorch's data folder, found without importing the package (its imports need
    the old pinned versions of its dependencies)."""
    spec = importlib.util.find_spec("facenet_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _load_state_dict(model: nn.Module, path: Path) -> dict:
    """Strictly load a state dict file (plain, or under a 'state_dict' key); report the keys."""
    if not path.is_file():
        raise WeightsUnavailable(
            f"no weights file at {path}; pass an existing state dict with --weights FILE"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state)
        result = model.load_state_dict(state, strict=True)
    except Exception as err:  # torch raises many types for a damaged or mismatched file
        raise WeightsUnavailable(
            f"{path} is not a state dict for this network "
            f"({type(err).__name__}: {err}); pass the matching --arch or another "
            "file"
        ) from err
    return {
        "missing_keys": list(result.missing_keys),
        "unexpected_keys": list(result.unexpected_keys),
        "tensors": len(state),
    }


def load_mtcnn(arch: str, weights: Path | None = None) -> FirstLayers:
    net = arch.removeprefix("mtcnn-")
    if weights is None:
        folder = facenet_data_dir()
        if folder is None or not (folder / f"{net}.pt").is_file():
            where = "facenet-pytorch is not installed" if folder is None else f"no {folder / net}.pt"
            raise WeightsUnavailable(
                f"MTCNN weights {net}.pt not found ({where}); `pip install --no-deps "
                f"facenet-pytorch==2.6.0` (as `make venv` does), or pass --weights FILE"
            )
        weights, source = folder / f"{net}.pt", f"facenet-pytorch pretrained {net}.pt"
    else:
        source = str(weights)
    model = MtcnnNet(net)
    report = _load_state_dict(model, weights)
    model.eval()
    # MTCNN's own input scaling, (x - 127.5) / 128, written as a mean and std on a 0..1 scale.
    return FirstLayers(
        MTCNN_NAMES[net],
        source,
        model.conv1,
        model.stage1(),
        model.stage2(),
        ("conv1+PReLU", "pool1+conv2+PReLU"),
        (0.5,) * 3,
        (128 / 255,) * 3,
        INPUT_SIDE[arch],
        report,
    )


# ---------------------------------------------------------------------------------------------
# torchvision ImageNet models


def _torchvision_stages(
    arch: str, model: nn.Module
) -> tuple[nn.Conv2d, nn.Module, nn.Module, tuple[str, str]]:
    if arch == "resnet18":
        block = model.layer1[0]
        return (
            model.conv1,
            nn.Sequential(model.conv1, model.bn1, model.relu),
            nn.Sequential(model.maxpool, block.conv1, block.bn1, block.relu),
            ("conv1+BN+ReLU", "maxpool+layer1.0.conv1+BN+ReLU"),
        )
    if arch == "alexnet":
        return (
            model.features[0],
            model.features[0:2],
            model.features[2:5],
            ("conv1+ReLU", "maxpool+conv2+ReLU"),
        )
    raise ValueError(f"unknown torchvision architecture {arch!r}; choose from {TORCHVISION_ARCHS}")


def load_torchvision(arch: str, weights: str | Path | None = "DEFAULT") -> FirstLayers:
    """`weights`: "DEFAULT" (ImageNet, from torch's cache or downloaded), a state dict file, or
    None (random initialisation: for shape checks only, never shown as pretrained)."""
    import torchvision

    model = torchvision.models.get_model(arch, weights=None)
    report: dict = {}
    if weights == "DEFAULT":
        enum = torchvision.models.get_model_weights(arch).DEFAULT
        try:
            state = enum.get_state_dict(progress=False, check_hash=True)
        except OSError as err:  # URLError and friends: offline, and nothing in torch's cache
            cache = Path(torch.hub.get_dir()) / "checkpoints"
            raise WeightsUnavailable(
                f"cannot download {arch}'s ImageNet weights ({err}) and {cache} holds no copy; run once "
                f"online, pass --weights FILE, or use the offline default --arch mtcnn-onet"
            ) from err
        result = model.load_state_dict(state, strict=True)
        report = {
            "missing_keys": list(result.missing_keys),
            "unexpected_keys": list(result.unexpected_keys),
            "tensors": len(state),
        }
        source = f"torchvision {enum} (ImageNet)"
    elif weights is not None:
        report = _load_state_dict(model, Path(weights))
        source = str(weights)
    else:
        source = "random initialisation (no weights)"
    model.eval()
    conv1, stage1, stage2, names = _torchvision_stages(arch, model)
    return FirstLayers(
        arch, source, conv1, stage1, stage2, names, IMAGENET_MEAN, IMAGENET_STD, INPUT_SIDE[arch], report
    )


def load_network(arch: str, weights: Path | None = None) -> FirstLayers:
    if arch in MTCNN_ARCHS:
        return load_mtcnn(arch, weights)
    return load_torchvision(arch, weights if weights is not None else "DEFAULT")


# ---------------------------------------------------------------------------------------------
# Images and feature maps


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


def to_input(image: Image.Image, net: FirstLayers) -> tuple[torch.Tensor, np.ndarray]:
    """The normalised 1x3xSxS tensor the network sees, and the resized RGB image for display."""
    resized = image.convert("RGB").resize((net.side, net.side), Image.Resampling.BILINEAR)
    rgb = np.asarray(resized)
    x = torch.from_numpy(rgb.astype(np.float32) / 255.0).permute(2, 0, 1)
    x = (x - torch.tensor(net.mean)[:, None, None]) / torch.tensor(net.std)[:, None, None]
    return x.unsqueeze(0), rgb


@torch.inference_mode()
def feature_maps(net: FirstLayers, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    first = net.stage1(x)
    return first, net.stage2(first)


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--arch",
        choices=ARCHS,
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
        "--channels", type=int, default=17, help="feature maps shown per layer (the first N channels)"
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
) -> tuple[dict, list[str]]:
    """Both layers' feature maps of one image: their statistics and figures."""
    x, rgb = to_input(image, net)
    stats, figures = {}, []
    for index, (layer, layer_maps) in enumerate(zip(net.layer_names, feature_maps(net, x)), start=1):
        figures.append(
            str(
                plot_maps(
                    net,
                    rgb,
                    layer_maps,
                    layer,
                    description,
                    channels,
                    out / f"ext_pretrained_{key}_layer{index}.png",
                )
            )
        )
        stats[layer] = {
            "shape": list(layer_maps.shape[1:]),
            "mean": float(layer_maps.mean()),
            "active_fraction": float((layer_maps > 0).float().mean()),
        }
        print(
            f"  {key}: {layer} -> {tuple(layer_maps.shape[1:])}, "
            f"{stats[layer]['active_fraction']:.0%} of activations positive"
        )
    return {"source": description, "layers": stats}, figures


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    out = writable_folder(args.figures_dir)
    json_path = out / RESULTS_FILE
    start = time.perf_counter()
    try:
        net = load_network(args.arch, args.weights)
    except WeightsUnavailable as err:
        results = {"arch": args.arch, "skipped": str(err), "figures": []}
        write_json(json_path, results)
        if args.weights is not None or args.arch not in MTCNN_ARCHS:  # asked for by name or file
            raise cli.UserError(f"{err} (recorded in {json_path})") from err
        print(f"pretrained-layers extension skipped: {err}", file=sys.stderr)  # the offline default
        return results
    timings = {"load": time.perf_counter() - start}
    print(f"{net.name}: weights {net.weights}; strict load: {net.load_report}")

    start = time.perf_counter()
    figures = [str(plot_filters(net, out / "ext_pretrained_filters.png"))]
    per_image = {}
    for key, image, description in choose_images(args.image, args.no_default_images, args.data_dir):
        per_image[key], image_figures = image_maps(net, key, image, description, args.channels, out)
        figures += image_figures
    timings["figures"] = time.perf_counter() - start
    timings["total"] = timings["load"] + timings["figures"]

    results = {
        "arch": args.arch,
        "network": net.name,
        "weights": net.weights,
        "load": net.load_report,
        "input_side": net.side,
        "normalisation": {"mean": list(net.mean), "std": list(net.std)},
        "first_layer_filters": list(net.conv1.weight.shape),
        "layers": list(net.layer_names),
        "images": per_image,
        "figures": figures,
        "timings_s": timings,
    }
    write_json(json_path, results)
    print(f"wrote {len(figures)} figures and {json_path}")
    return results


# --- report section --------------------------------------------------------------------------

RESULTS_FILE = "ext_pretrained_results.json"
COMMAND = "python extensions/pretrained_layers.py"


def report_section(res: Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Extension: a pretrained network's first layers", COMMAND)
    if r is None:
        return out
    if r.get("skipped"):
        return out + f"**Skipped**: {r['skipped']}\n"
    load = r["load"]
    out += (
        f"{r['network']} with weights {r['weights']} ({load['tensors']} tensors, "
        f"{len(load['missing_keys'])} "
        f"missing and {len(load['unexpected_keys'])} unexpected keys); first-layer filters of shape "
        f"{tuple(r['first_layer_filters'])}, inputs of {r['input_side']} px.\n\n"
    )
    rows = [
        [name, layer, "x".join(map(str, v["shape"])), f"{v['active_fraction']:.2f}"]
        for name, image in r["images"].items()
        for layer, v in image["layers"].items()
    ]
    out += table(["image", "layer", "output", "fraction of positive outputs"], rows) + "\n"
    for path in r["figures"]:
        out += "\n" + figure(path, Path(path).stem.removeprefix("ext_pretrained_").replace("_", " "))
    return out


if __name__ == "__main__":
    cli.run(main)
