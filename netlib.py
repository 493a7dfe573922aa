"""The course's digit network, seeding, checkpoints and truncated views of a trained network.

The other network kinds (a fixed Gabor first layer, a patch transformer) live in
`recognition.networks`; a checkpoint of any kind is read back here by `load_checkpoint`.
"""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from recognition import cli
from recognition.io import write_torch

DEFAULT_SEED = 42
DEFAULT_HIDDEN = 50  # width of the penultimate layer: the embedding Task 3 uses


class MnistNet(nn.Module):
    """The course network: two conv blocks, then `hidden` units, then 10 log-probabilities.

    Pooling and dropout are modules (not functional calls) so torchsummary lists them in the
    report's order: Conv2d, MaxPool2d, Conv2d, Dropout2d, MaxPool2d, Linear, Linear.
    """

    ARCH = "cnn"  # the kind a checkpoint records; recognition.networks.build_network takes it

    def __init__(self, hidden: int = DEFAULT_HIDDEN, dropout: float = 0.5):
        super().__init__()
        self.hidden, self.dropout = hidden, dropout
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d(dropout)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(320, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def settings(self) -> dict:
        """What rebuilds this network: `build_network(model.ARCH, **model.settings())`."""
        return {"hidden": self.hidden, "dropout": self.dropout}

    def block1(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.pool1(self.conv1(x)))

    def block2(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.pool2(self.conv2_drop(self.conv2(x))))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The `hidden`-wide output of the penultimate layer (after its ReLU)."""
        x = self.block2(self.block1(x))
        return F.relu(self.fc1(torch.flatten(x, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.fc2(self.embed(x)), dim=1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------
# Truncated networks. Each wraps the trained model, so they share its weights (no copies).


class _Truncated(nn.Module):
    def __init__(self, model: MnistNet):
        super().__init__()
        self.model = model


class EmbeddingNet(_Truncated):
    """All but the last layer: maps a 1x28x28 image to its `hidden`-wide embedding."""

    def forward(self, x):
        return self.model.embed(x)


class ConvBlocksNet(_Truncated):
    """The network cut after its first (10x12x12 output) or second (20x4x4) conv block."""

    def __init__(self, model: MnistNet, blocks: int):
        if blocks not in (1, 2):
            raise ValueError(f"blocks must be 1 or 2, got {blocks}")
        super().__init__(model)
        self.blocks = blocks

    def forward(self, x):
        x = self.model.block1(x)
        return self.model.block2(x) if self.blocks == 2 else x


def embedding_net(model: MnistNet) -> EmbeddingNet:
    return EmbeddingNet(model).eval()


def conv_blocks_net(model: MnistNet, blocks: int) -> ConvBlocksNet:
    return ConvBlocksNet(model, blocks).eval()


# ---------------------------------------------------------------------------------------------
# Repeatability and devices.


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and torch and force deterministic kernels (CPU and CUDA)."""
    # cuBLAS reads this when its first handle is created, so it must be set before any CUDA work.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    # The report disabled cuDNN altogether; deterministic cuDNN kernels give the same guarantee
    # faster, but we follow the report so GPU numbers match it.
    torch.backends.cudnn.enabled = False


DEVICES = ("auto", "cpu", "cuda")


def select_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when present, else CPU; 'cpu' or 'cuda' force one."""
    if name not in DEVICES:
        raise cli.UserError(f"--device {name!r}: choose one of {', '.join(DEVICES)}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise cli.UserError("--device cuda was asked for, but torch sees no CUDA GPU; use --device cpu")
    return torch.device(name)


# ---------------------------------------------------------------------------------------------
# Checkpoints: the state dict plus the metadata that says how it was made.


class CheckpointError(cli.UserError):
    pass


def save_checkpoint(model: MnistNet, path: str | Path, **metadata) -> Path:
    """Write {'state_dict', 'meta'} atomically; `meta` always records the architecture."""
    meta = {
        **model.settings(),
        "arch": model.ARCH,
        "network": model.settings(),
        "torch": str(torch.__version__),
        **metadata,
    }
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return write_torch(path, {"state_dict": state, "meta": meta})


def _is_state_dict(x) -> bool:
    return (
        isinstance(x, dict)
        and bool(x)
        and all(isinstance(k, str) and torch.is_tensor(v) for k, v in x.items())
    )


def _read_weights(path: Path) -> tuple[dict, dict]:
    """(state dict, meta) from our checkpoint, a {'state_dict': ...} dict, or a bare state dict.

    A bare state dict (`torch.save(model.state_dict(), path)`) has no metadata: the hidden width
    is read from fc1.weight's shape, and `meta['note']` says so.
    """
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged or foreign file
        if isinstance(err, pickle.UnpicklingError) and "Unsupported global" in str(err):
            raise CheckpointError(  # readable, but it pickles objects, not just tensors
                f"{path} holds pickled Python objects (e.g. a whole model saved with torch.save(model)), "
                f"which are not loaded since unpickling can run code; load it where it was made and save "
                f"model.state_dict() instead"
            ) from err
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(err).__name__}: {err}); pass --model with a file "
            f"written by task1_train_mnist.py or by torch.save(model.state_dict(), PATH)"
        ) from err
    if isinstance(blob, dict) and _is_state_dict(blob.get("state_dict")):
        state, meta = blob["state_dict"], dict(blob.get("meta") or {})
    elif _is_state_dict(blob):
        state, meta = blob, {}
    else:
        what = (
            f"a dict with keys {sorted(map(str, blob))[:8]}"
            if isinstance(blob, dict)
            else f"a {type(blob).__name__}"
        )
        raise CheckpointError(
            f"{path} holds {what}, not a state dict of MnistNet; pass --model with a file "
            f"written by task1_train_mnist.py or by torch.save(model.state_dict(), PATH)"
        )
    if "hidden" not in meta:
        if "fc1.weight" not in state or state["fc1.weight"].ndim != 2:
            raise CheckpointError(_mismatch(path, state, MnistNet()))
        meta["hidden"] = int(state["fc1.weight"].shape[0])
        meta["note"] = (
            f"{path} has no metadata (a bare state dict): hidden width {meta['hidden']} "
            f"inferred from fc1.weight's shape {tuple(state['fc1.weight'].shape)}"
        )
    return state, meta


def _mismatch(path: Path, state: dict, model: nn.Module) -> str:
    """Which keys of `state` do not fit `model`: missing, unexpected, and of another shape."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k} {tuple(state[k].shape)} (MnistNet: {tuple(v.shape)})"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    named = (("missing", missing), ("unexpected", unexpected), ("other shape", shapes))
    parts = [
        f"{name}: {', '.join(keys[:6])}{' ...' if len(keys) > 6 else ''}" for name, keys in named if keys
    ]
    return (
        f"{path} holds weights of another architecture than MnistNet(hidden={model.hidden}) "
        f"({'; '.join(parts)}); pass --model with a checkpoint of the course network"
    )


def load_checkpoint(
    path: str | Path, device: torch.device | str = "cpu", hidden: int | None = None
) -> tuple[nn.Module, dict]:
    """Load a checkpoint (ours of any kind, or a bare `model.state_dict()`) into a fresh network in eval mode.

    The metadata's `arch` and `network` settings rebuild any kind (`build_network`); without
    them it is the CNN (`MnistNet`) of `hidden` width.

    `hidden`, when given, is the width the caller expects; a checkpoint of another width is a
    clear error rather than a silent surprise later. A bare state dict's inferred width is
    printed and recorded as `meta['note']`.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"no model at {path}: train one first with `python task1_train_mnist.py` "
            f"(or pass --model PATH to a checkpoint)"
        )
    state, meta = _read_weights(path)
    arch = meta.get("arch", "cnn")  # checkpoints from before other kinds existed hold a CNN
    if hidden is not None and arch == "transformer":
        raise CheckpointError(
            f"{path} holds a transformer, but a CNN of hidden width {hidden} was "
            f"asked for; pass a CNN checkpoint (task1_train_mnist.py --arch cnn)"
        )
    if hidden is not None and meta["hidden"] != hidden:
        raise CheckpointError(
            f"{path} holds a network of hidden width {meta['hidden']}, but width {hidden} "
            f"was asked for; pass the matching checkpoint or --hidden {meta['hidden']}"
        )
    settings = meta.get("network", {"hidden": meta["hidden"], "dropout": meta.get("dropout", 0.5)})
    from recognition.networks import build_network  # the package imports this module, so not at the top

    try:
        model = build_network(arch, **settings)
    except (ValueError, TypeError) as err:
        raise CheckpointError(
            f"{path}: its metadata does not describe a {arch} network ({settings}): {err}"
        ) from err
    expected = model.state_dict()
    if set(state) != set(expected) or any(state[k].shape != v.shape for k, v in expected.items()):
        raise CheckpointError(_mismatch(path, state, model))
    model.load_state_dict(state)
    if "note" in meta:
        print(f"note: {meta['note']}")
    return model.to(device).eval(), meta
