"""The course's digit network, seeding, checkpoints (of every kind of network: `load_checkpoint`; the
other kinds live in `recognition.networks`) and truncated views of a trained network."""

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
    """The course network: two conv blocks, then `hidden` units, then 10 log-probabilities. Pooling and
    dropout are modules, so torchsummary lists the layers in the report's order."""

    ARCH = "cnn"  # the kind a checkpoint records; recognition.networks.build_network takes it
    SETTINGS = {"hidden": cli.Range(int, 1, 4096), "dropout": cli.Range(float, 0, 1)}  # check_meta's

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


# --- Truncated networks. Each wraps the trained model, so they share its weights (no copies). ---


class EmbeddingNet(nn.Module):
    """All but the last layer: maps a 1x28x28 image to its `hidden`-wide embedding."""

    def __init__(self, model: MnistNet):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.embed(x)


class ConvBlocksNet(EmbeddingNet):
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


# --- Repeatability and devices. ---------------------------------------------------------------


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and torch and force deterministic kernels (CPU and CUDA)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # read at cuBLAS's first use
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # every device's generator, CUDA's too
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.enabled = False  # as in the report (deterministic cuDNN would be faster)


DEVICES = ("auto", "cpu", "cuda")


def select_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when present, else CPU; 'cpu' or 'cuda' force one."""
    if name not in DEVICES:
        raise cli.UserError(f"--device {name!r}: choose one of {', '.join(DEVICES)}")
    name = ("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name
    if name == "cuda" and not torch.cuda.is_available():
        raise cli.UserError("--device cuda was asked for, but torch sees no CUDA GPU; use --device cpu")
    return torch.device(name)


# --- Checkpoints: the state dict plus the metadata that says how it was made. ------------------


class CheckpointError(cli.UserError):
    pass


GIVE = "pass --model with a file written by task1_train_mnist.py or by torch.save(model.state_dict(), PATH)"


def save_checkpoint(model: MnistNet, path: str | Path, **metadata) -> Path:
    """Write {'state_dict', 'meta'} atomically; `meta` always records the architecture."""
    settings = model.settings()
    meta = {**settings, "arch": model.ARCH, "network": settings, "torch": str(torch.__version__), **metadata}
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return write_torch(path, {"state_dict": state, "meta": meta})


def _read_weights(path: Path) -> tuple[dict, dict]:
    """(state dict, meta) from our checkpoint, a {'state_dict': ...} dict, or a bare state dict, whose
    hidden width is read from fc1.weight's shape (`meta['note']` says so)."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged or foreign file
        if isinstance(err, pickle.UnpicklingError) and "Unsupported global" in str(err):
            raise CheckpointError(  # readable, but it pickles objects, not just tensors
                f"{path} holds pickled Python objects (e.g. a whole model saved with torch.save(model)), not "
                "loaded since unpickling can run code; load it where it was made and save model.state_dict()"
            ) from err
        raise CheckpointError(f"{path} is not a readable checkpoint ({type(err).__name__}: {err}); {GIVE}")
    is_state = lambda x: isinstance(x, dict) and x and all(torch.is_tensor(v) for v in x.values())  # noqa: E731
    state, meta = (blob.get("state_dict"), blob.get("meta") or {}) if isinstance(blob, dict) else (None, {})
    state, meta = (state, meta) if is_state(state) else (blob, {}) if is_state(blob) else (None, {})
    if state is None or not isinstance(meta, dict) or not all(isinstance(k, str) for k in state):
        what = f"keys {sorted(map(str, blob))[:8]}" if isinstance(blob, dict) else f"a {type(blob).__name__}"
        what = what if state is None else f"metadata of type {type(meta).__name__}"
        raise CheckpointError(f"{path} holds {what}, not a state dict and a dict of its metadata; {GIVE}")
    if "hidden" not in meta:
        if "fc1.weight" not in state or state["fc1.weight"].ndim != 2:
            raise CheckpointError(_mismatch(path, state, MnistNet()))
        meta["hidden"] = int(state["fc1.weight"].shape[0])
        meta["note"] = (
            f"{path} has no metadata (a bare state dict): hidden width {meta['hidden']} "
            f"inferred from fc1.weight's shape {tuple(state['fc1.weight'].shape)}"
        )
    return state, meta


def check_meta(path: Path, meta: dict) -> tuple[type, dict]:
    """The one check of a checkpoint's metadata, before anything is built: (class, settings) of a kind
    this project trains, with its own settings only (the class's SETTINGS), each of a sane size, so a
    crafted file cannot make a loader allocate terabytes."""
    from recognition.networks import NETWORKS  # the package imports this module, so not at the top

    arch = meta.get("arch", "cnn")  # checkpoints from before other kinds existed hold a CNN
    settings = meta.get("network", {"hidden": meta["hidden"], "dropout": meta.get("dropout", 0.5)})
    if not isinstance(arch, str) or arch not in NETWORKS or not isinstance(settings, dict):
        raise CheckpointError(f"{path}: its metadata names no network this project trains ({arch!r}); {GIVE}")
    rules = NETWORKS[arch].SETTINGS
    bad = [
        f"{key}={value!r} ({rules[key].describe() if key in rules else 'unknown'})"
        for key, value in [("hidden", meta["hidden"]), *settings.items()]
        if key not in rules or not rules[key].allows(value)
    ]
    if bad:
        raise CheckpointError(
            f"{path}: its metadata does not describe a {arch} network ({'; '.join(bad)}); {GIVE}"
        )
    return NETWORKS[arch], settings


def _mismatch(path: Path, state: dict, model: nn.Module) -> str:
    """Which keys of `state` do not fit `model`: missing, unexpected, and of another shape."""
    expected = model.state_dict()
    missing, unexpected = [k for k in expected if k not in state], [k for k in state if k not in expected]
    shapes = [
        f"{k} {tuple(state[k].shape)} (MnistNet: {tuple(v.shape)})"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    named = {"missing": missing, "unexpected": unexpected, "other shape": shapes}
    parts = [
        f"{name}: {', '.join(keys[:6])}{' ...' * (len(keys) > 6)}" for name, keys in named.items() if keys
    ]
    return (
        f"{path} holds weights of another architecture than MnistNet(hidden={model.hidden}) "
        f"({'; '.join(parts)}); pass --model with a checkpoint of the course network"
    )


def load_checkpoint(
    path: str | Path, device: torch.device | str = "cpu", hidden: int | None = None, kinds: tuple = ()
) -> tuple[nn.Module, dict]:
    """A checkpoint (ours of any kind, or a bare `model.state_dict()`, a CNN of its width: printed and
    recorded as `meta['note']`) in a fresh network in eval mode. `kinds`, when given, are the kinds the
    caller can use, `hidden` the CNN width it expects: another is a clear error before any work."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"no model at {path}: train one first with `python task1_train_mnist.py` (or pass --model PATH)"
        )
    state, meta = _read_weights(path)
    network, settings = check_meta(path, meta)
    arch = network.ARCH
    if kinds and arch not in kinds:
        raise CheckpointError(
            f"{path} holds a {arch} network, but this script reads {' or '.join(kinds)} networks only; pass "
            f"--model with one (python task1_train_mnist.py --arch {kinds[0]} makes one)"
        )
    if hidden is not None and (arch == "transformer" or meta["hidden"] != hidden):
        raise CheckpointError(
            f"{path} holds a {arch} network of hidden width {meta['hidden']}, but a CNN of width {hidden} "
            f"was asked for; pass the matching checkpoint or --hidden {meta['hidden']}"
        )
    try:
        model = network(**settings)
    except (ValueError, TypeError, RuntimeError) as err:
        raise CheckpointError(f"{path}: its metadata does not describe a {arch} network ({settings}): {err}")
    expected = model.state_dict()
    if set(state) != set(expected) or any(state[k].shape != v.shape for k, v in expected.items()):
        raise CheckpointError(_mismatch(path, state, model))
    model.load_state_dict(state)
    if "note" in meta:
        print(f"note: {meta['note']}")
    return model.to(device).eval(), meta
