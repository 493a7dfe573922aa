"""The first layers of networks someone else trained on photographs, loaded strictly.

Offline: the MTCNN face-detection networks that facenet-pytorch ships as state dicts (loaded into a
small module of our own, so none of that package's pinned dependencies are needed). Online: a
torchvision model with its ImageNet weights (downloaded once into torch's cache), or any local
state dict. Each is split where its first two convolutional layers' outputs are.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

MTCNN_ARCHS = ("mtcnn-pnet", "mtcnn-rnet", "mtcnn-onet")
TORCHVISION_ARCHS = ("resnet18", "alexnet")
ARCHS = MTCNN_ARCHS + TORCHVISION_ARCHS
INPUT_SIDE = {"mtcnn-pnet": 48, "mtcnn-rnet": 48, "mtcnn-onet": 48, "resnet18": 224, "alexnet": 224}
MTCNN_NAMES = {"pnet": "MTCNN P-Net", "rnet": "MTCNN R-Net", "onet": "MTCNN O-Net"}
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class WeightsUnavailable(FileNotFoundError):
    """No pretrained weights could be had; the message says where we looked and what to do."""


@dataclass
class LoadReport:
    """What a strict load of a state dict found: keys the network lacks or does not know, and tensors."""

    missing_keys: list[str]
    unexpected_keys: list[str]
    tensors: int


def load_report(result, state: dict) -> LoadReport:
    """`result`: what `load_state_dict` returned for `state`."""
    return LoadReport(list(result.missing_keys), list(result.unexpected_keys), len(state))


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
    load_report: LoadReport | None  # of the strict load; None for random initialisation


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


def _load_state_dict(model: nn.Module, path: Path) -> LoadReport:
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
    return load_report(result, state)


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
    report = None
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
        report = load_report(result, state)
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
