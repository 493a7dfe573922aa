"""Every digit network the project trains: the course CNN (netlib), the CNN with a fixed Gabor
first layer, and a patch transformer; by name, with their presets, sizes and summaries.

A checkpoint's metadata holds the network's kind (`model.ARCH`) and settings (`model.settings()`),
which `build_network` takes to rebuild it.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from netlib import MnistNet
from recognition.networks.gabor import GaborNet
from recognition.networks.transformer import PatchTransformer

NETWORKS = {"cnn": MnistNet, "gabor": GaborNet, "transformer": PatchTransformer}


# Named transformer settings: the network's and the training's (TrainConfig fields).
TRANSFORMER_PRESETS = {
    # 16 tokens (7x7 patches side by side), width 48: 5 epochs reach 98.93% here with the default
    # augmentation (width 64, MLP 128: 98.91%, a fifth slower; 98.66% without augmentation); no
    # dropout, since five epochs are too few to overfit. Its training accuracy is the running one.
    "cpu": {
        "network": dict(
            patch=7, stride=7, width=48, depth=3, heads=4, mlp=96, dropout=0.0, pool="cls", hidden=128
        ),
        "train": dict(
            epochs=5,
            batch_size=64,
            optimizer="adamw",
            lr=3e-3,
            weight_decay=1e-4,
            schedule="onecycle",
            eval_train=False,
        ),
    },
    "course": {
        "network": dict(
            patch=4, stride=2, width=48, depth=4, heads=8, mlp=128, dropout=0.1, pool="cls", hidden=128
        ),
        "train": dict(
            epochs=15,
            batch_size=64,
            optimizer="adamw",
            lr=1e-3,
            weight_decay=1e-4,
            schedule="constant",
            augment="none",
        ),
    },  # the template's recipe
}


def build_network(arch: str = "cnn", **settings) -> nn.Module:
    """A fresh network of kind `arch` ('cnn', 'gabor', 'transformer') with the given settings."""
    if arch not in NETWORKS:
        raise ValueError(f"unknown network kind {arch!r}; choose one of {', '.join(NETWORKS)}")
    return NETWORKS[arch](**settings)


def preset_settings(arch: str, preset: str | None) -> tuple[dict, dict]:
    """(network settings, training settings) of a named preset; empty dicts for the CNN kinds."""
    if arch != "transformer":
        return {}, {}
    if preset not in TRANSFORMER_PRESETS:
        raise ValueError(
            f"unknown transformer preset {preset!r}; choose one of {', '.join(TRANSFORMER_PRESETS)}"
        )
    chosen = TRANSFORMER_PRESETS[preset]
    return dict(chosen["network"]), dict(chosen["train"])


def multiply_adds(model: nn.Module) -> int:
    """Multiply-adds of one forward pass on one image (convolutions and matrix products)."""
    from torch.utils.flop_counter import FlopCounterMode

    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 1, 28, 28, device=device))
    model.train(was_training)
    return counter.get_total_flops() // 2


def checkpoint_name(arch: str, preset: str | None = None) -> str:
    """The default file in models/ for a network kind: mnist_net.pt (the CNN that the tasks read),
    gabor_net.pt, transformer_<preset>.pt."""
    return {"cnn": "mnist_net.pt", "gabor": "gabor_net.pt"}.get(arch, f"{arch}_{preset}.pt")


def summary_table(model: nn.Module, input_size=(1, 28, 28)) -> str:
    """torchsummary's layer table as text (it only prints, so its output is captured)."""
    import contextlib
    import io

    from torchsummary import summary

    device = next(model.parameters()).device
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        summary(model, input_size, device=device.type)
    return buffer.getvalue()
