"""The digit network, seeding, checkpoints and truncated views of a trained network."""
from __future__ import annotations

import math
import os
import pickle
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import cli
from atomicio import atomic_path

DEFAULT_SEED = 42
DEFAULT_HIDDEN = 50  # width of the penultimate layer: the embedding Task 3 uses


class MnistNet(nn.Module):
    """The course network: two conv blocks, then `hidden` units, then 10 log-probabilities.

    Pooling and dropout are modules (not functional calls) so torchsummary lists them in the
    report's order: Conv2d, MaxPool2d, Conv2d, Dropout2d, MaxPool2d, Linear, Linear.
    """

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


def select_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when present, else CPU; 'cpu' or 'cuda' force one."""
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
    meta = {**network_settings(model), "arch": network_arch(model), "network": network_settings(model),
            "torch": str(torch.__version__), **metadata}
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save({"state_dict": state, "meta": meta}, tmp)
    return Path(path)


def _is_state_dict(x) -> bool:
    return isinstance(x, dict) and bool(x) and all(isinstance(k, str) and torch.is_tensor(v)
                                                   for k, v in x.items())


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
                f"model.state_dict() instead") from err
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(err).__name__}: {err}); pass --model with a file "
            f"written by task1_train_mnist.py or by torch.save(model.state_dict(), PATH)") from err
    if isinstance(blob, dict) and _is_state_dict(blob.get("state_dict")):
        state, meta = blob["state_dict"], dict(blob.get("meta") or {})
    elif _is_state_dict(blob):
        state, meta = blob, {}
    else:
        what = (f"a dict with keys {sorted(map(str, blob))[:8]}" if isinstance(blob, dict)
                else f"a {type(blob).__name__}")
        raise CheckpointError(f"{path} holds {what}, not a state dict of MnistNet; pass --model with a file "
                              f"written by task1_train_mnist.py or by torch.save(model.state_dict(), PATH)")
    if "hidden" not in meta:
        if "fc1.weight" not in state or state["fc1.weight"].ndim != 2:
            raise CheckpointError(_mismatch(path, state, MnistNet()))
        meta["hidden"] = int(state["fc1.weight"].shape[0])
        meta["note"] = (f"{path} has no metadata (a bare state dict): hidden width {meta['hidden']} "
                        f"inferred from fc1.weight's shape {tuple(state['fc1.weight'].shape)}")
    return state, meta


def _mismatch(path: Path, state: dict, model: nn.Module) -> str:
    """Which keys of `state` do not fit `model`: missing, unexpected, and of another shape."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [f"{k} {tuple(state[k].shape)} (MnistNet: {tuple(v.shape)})"
              for k, v in expected.items() if k in state and state[k].shape != v.shape]
    named = (("missing", missing), ("unexpected", unexpected), ("other shape", shapes))
    parts = [f"{name}: {', '.join(keys[:6])}{' ...' if len(keys) > 6 else ''}"
             for name, keys in named if keys]
    return (f"{path} holds weights of another architecture than MnistNet(hidden={model.hidden}) "
            f"({'; '.join(parts)}); pass --model with a checkpoint of the course network")


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu",
                    hidden: int | None = None) -> tuple[nn.Module, dict]:
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
            f"(or pass --model PATH to a checkpoint)")
    state, meta = _read_weights(path)
    arch = meta.get("arch", "cnn")  # checkpoints from before other kinds existed hold a CNN
    if hidden is not None and arch == "transformer":
        raise CheckpointError(f"{path} holds a transformer, but a CNN of hidden width {hidden} was "
                              f"asked for; pass a CNN checkpoint (task1_train_mnist.py --arch cnn)")
    if hidden is not None and meta["hidden"] != hidden:
        raise CheckpointError(
            f"{path} holds a network of hidden width {meta['hidden']}, but width {hidden} "
            f"was asked for; pass the matching checkpoint or --hidden {meta['hidden']}")
    settings = meta.get("network", {"hidden": meta["hidden"], "dropout": meta.get("dropout", 0.5)})
    try:
        model = build_network(arch, **settings)
    except (ValueError, TypeError) as err:
        raise CheckpointError(f"{path}: its metadata does not describe a {arch} network ({settings}): "
                              f"{err}") from err
    expected = model.state_dict()
    if set(state) != set(expected) or any(state[k].shape != v.shape for k, v in expected.items()):
        raise CheckpointError(_mismatch(path, state, model))
    model.load_state_dict(state)
    if "note" in meta:
        print(f"note: {meta['note']}")
    return model.to(device).eval(), meta


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


# ---------------------------------------------------------------------------------------------
# More digit networks: the CNN with a fixed Gabor first layer, and a patch transformer.
# A checkpoint's metadata holds `network_arch` and `network_settings`, which `build_network` takes.

GABOR_FILTERS = 10


def gabor_bank(size: int = 5, orientations: int = 5, wavelengths: tuple[float, ...] = (3.0, 5.0),
               sigma_per_wavelength: float = 0.45) -> tuple[torch.Tensor, list[str]]:
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
            envelope = torch.exp(-(along ** 2 + across ** 2) / (2 * sigma ** 2))
            g = envelope * torch.cos(2 * math.pi * along / wavelength)
            g = g - g.mean()
            filters.append(g / g.norm())
            # The wave runs along theta (image y points down), so the bars lie at 90 - theta degrees,
            # counted anticlockwise from horizontal as one looks at the image.
            names.append(f"bars {(90 - round(math.degrees(theta))) % 180} deg, wavelength {wavelength:g}")
    return torch.stack(filters).unsqueeze(1).float(), names


class GaborNet(MnistNet):
    """MnistNet whose first convolution is a fixed bank of 10 5x5 Gabor filters (no bias); the rest learns."""
    def __init__(self, hidden: int = 50, dropout: float = 0.5):
        super().__init__(hidden, dropout)
        bank, self.filter_names = gabor_bank()
        self.conv1 = nn.Conv2d(1, GABOR_FILTERS, kernel_size=5, bias=False)
        with torch.no_grad():
            self.conv1.weight.copy_(bank)
        self.conv1.weight.requires_grad_(False)


class SelfAttention(nn.Module):
    """Multi-head self-attention written out, so its weights can be read for attention maps
    (nn.MultiheadAttention's tuple output also breaks torchsummary)."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def split_heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Queries, keys and values, each (N, heads, T, width / heads)."""
        n, t, width = x.shape
        return self.qkv(x).view(n, t, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4).unbind(0)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """The attention weights (N, heads, T, T), each row summing to one."""
        q, k, _ = self.split_heads(x)
        return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The fused kernel computes softmax(q k^T / sqrt(d)) v as `attention` does, without keeping
        # the T x T weights. Dropout acts on the block's residual branches, not on these weights:
        # dropping attention weights forces the unfused kernel, several times slower on a CPU.
        q, k, v = self.split_heads(x)
        mixed = F.scaled_dot_product_attention(q, k, v)
        return self.out(mixed.transpose(1, 2).flatten(2))


class EncoderBlock(nn.Module):
    """One transformer encoder layer as nn.TransformerEncoderLayer computes it by default
    (normalisation after each residual sum), with a GELU MLP."""

    def __init__(self, width: int, heads: int, mlp: int, dropout: float):
        super().__init__()
        self.attn = SelfAttention(width, heads)
        self.norm1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, mlp), nn.GELU(), nn.Dropout(dropout), nn.Linear(mlp, width))
        self.norm2 = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.drop(self.attn(x)))
        return self.norm2(x + self.drop(self.mlp(x)))


class PatchTransformer(nn.Module):
    """Digits as a sequence of image patches through a transformer encoder (the course's Task 4).

    1. patches of `patch` x `patch` pixels every `stride` pixels (they overlap when stride < patch),
       each through one linear layer to `width`, plus a learned position embedding;
    2. `depth` encoder blocks of `heads` heads and an MLP of `mlp` units, with `dropout`;
    3. one token for the image: a learned CLS token (`pool="cls"`) or the mean of the patch tokens;
    4. classifier: linear to `hidden` + ReLU + dropout + linear to 10, then log-softmax.
    """

    def __init__(self, patch: int = 4, stride: int = 4, width: int = 64, depth: int = 2, heads: int = 4,
                 mlp: int = 128, dropout: float = 0.1, pool: str = "cls", hidden: int = 128):
        super().__init__()
        if pool not in ("cls", "mean"):
            raise ValueError(f"pool must be 'cls' or 'mean', got {pool!r}")
        if not 1 <= patch <= 28 or stride < 1 or (28 - patch) % stride:
            raise ValueError(f"patch {patch} with stride {stride} does not tile a 28-px image; "
                             f"choose them so that (28 - patch) is a multiple of stride")
        if width % heads:
            raise ValueError(f"width {width} is not divisible by heads {heads}")
        self.patch, self.stride, self.width, self.depth, self.heads = patch, stride, width, depth, heads
        self.mlp, self.dropout, self.pool, self.hidden = mlp, dropout, pool, hidden
        self.side = (28 - patch) // stride + 1
        self.tokens = self.side ** 2
        # One linear layer applied to every patch: a convolution whose kernel is the patch and whose
        # step is the stride computes exactly that, with no copy of overlapping pixels.
        self.embed_patch = nn.Conv2d(1, width, patch, stride=stride)
        extra = 1 if pool == "cls" else 0
        self.cls = nn.Parameter(torch.zeros(1, 1, width)) if extra else None
        self.position = nn.Parameter(torch.randn(1, self.tokens + extra, width) * 0.02)
        self.blocks = nn.ModuleList(EncoderBlock(width, heads, mlp, dropout) for _ in range(depth))
        self.fc1 = nn.Linear(width, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, 10)

    def settings(self) -> dict:
        return {"patch": self.patch, "stride": self.stride, "width": self.width, "depth": self.depth,
                "heads": self.heads, "mlp": self.mlp, "dropout": self.dropout, "pool": self.pool,
                "hidden": self.hidden}

    def to_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """(N,1,28,28) -> (N, [CLS +] tokens, width), patches row by row, position embedding added."""
        tokens = self.embed_patch(x).flatten(2).transpose(1, 2)
        if self.cls is not None:
            tokens = torch.cat([self.cls.expand(len(x), -1, -1), tokens], dim=1)
        return tokens + self.position

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The `hidden`-wide output of the penultimate layer (after its ReLU), as MnistNet.embed."""
        tokens = self.to_tokens(x)
        for block in self.blocks:
            tokens = block(tokens)
        image = tokens[:, 0] if self.pool == "cls" else tokens.mean(1)
        return F.relu(self.fc1(image))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.fc2(self.drop(self.embed(x))), dim=1)


NETWORKS = {"cnn": MnistNet, "gabor": GaborNet, "transformer": PatchTransformer}


def network_arch(model: nn.Module) -> str:
    """The kind of a network ('cnn', 'gabor', 'transformer'), as `build_network` takes it."""
    return next(name for name, kind in NETWORKS.items() if type(model) is kind)


def network_settings(model: nn.Module) -> dict:
    """The settings that rebuild `model` with `build_network(network_arch(model), **settings)`."""
    if isinstance(model, PatchTransformer):
        return model.settings()
    return {"hidden": model.hidden, "dropout": model.dropout}

# Named transformer settings: the network's and the training's (TrainConfig fields).
TRANSFORMER_PRESETS = {
    # 16 tokens (7x7 patches side by side), width 48: 5 epochs reach 98.93% here with the default
    # augmentation (width 64, MLP 128: 98.91%, a fifth slower; 98.66% without augmentation); no
    # dropout, since five epochs are too few to overfit. Its training accuracy is the running one.
    "cpu": {"network": dict(patch=7, stride=7, width=48, depth=3, heads=4, mlp=96, dropout=0.0,
                            pool="cls", hidden=128),
            "train": dict(epochs=5, batch_size=64, optimizer="adamw", lr=3e-3, weight_decay=1e-4,
                          schedule="onecycle", eval_train=False)},
    "course": {"network": dict(patch=4, stride=2, width=48, depth=4, heads=8, mlp=128, dropout=0.1,
                               pool="cls", hidden=128),
               "train": dict(epochs=15, batch_size=64, optimizer="adamw", lr=1e-3, weight_decay=1e-4,
                             schedule="constant", augment="none")},  # the template's recipe
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
        raise ValueError(f"unknown transformer preset {preset!r}; "
                         f"choose one of {', '.join(TRANSFORMER_PRESETS)}")
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


# ---------------------------------------------------------------------------------------------
# Where a transformer looks: attention over the patches.

@torch.no_grad()
def layer_attention(model: PatchTransformer, x: torch.Tensor) -> list[torch.Tensor]:
    """Each block's attention weights averaged over heads: (N, T, T) per layer, rows summing to one."""
    tokens, maps = model.to_tokens(x), []
    for block in model.blocks:
        maps.append(block.attn.attention(tokens).mean(1))
        tokens = block(tokens)
    return maps


def _image_token_row(model: PatchTransformer, attention: torch.Tensor) -> torch.Tensor:
    """The image token's row over the patches, renormalised to sum to one: (N, patches)."""
    row = attention[:, 0, 1:] if model.pool == "cls" else attention.mean(1)
    return row / row.sum(1, keepdim=True)


@torch.no_grad()
def attention_rollout(model: PatchTransformer, x: torch.Tensor) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema 2020): the head-averaged attention of every layer, with the
    residual path as 0.5 * identity, multiplied through the layers; the image token's row over the
    patches. (N, side, side), each map summing to one."""
    rollout = None
    for attention in layer_attention(model, x):
        mixed = 0.5 * attention + 0.5 * torch.eye(attention.shape[-1], device=attention.device)
        mixed = mixed / mixed.sum(-1, keepdim=True)
        rollout = mixed if rollout is None else mixed @ rollout
    return _image_token_row(model, rollout).view(len(x), model.side, model.side)


@torch.no_grad()
def last_layer_attention(model: PatchTransformer, x: torch.Tensor) -> torch.Tensor:
    """The last layer's attention from the image token (CLS, or the mean of all tokens) over the
    patches: (N, side, side), each map summing to one."""
    return _image_token_row(model, layer_attention(model, x)[-1]).view(len(x), model.side, model.side)


def attention_to_pixels(model: PatchTransformer, maps: torch.Tensor) -> torch.Tensor:
    """Patch weights (N, side, side) spread over the 28x28 pixels each patch covers (overlaps
    averaged): (N, 28, 28)."""
    cover = model.patch * model.patch
    spread = maps.flatten(1).unsqueeze(1).expand(-1, cover, -1)
    summed = F.fold(spread, 28, model.patch, stride=model.stride)
    count = F.fold(torch.ones_like(spread[:1]), 28, model.patch, stride=model.stride)
    return (summed / count.clamp(min=1))[:, 0]


def checkpoint_name(arch: str, preset: str | None = None) -> str:
    """The default file in models/ for a network kind: mnist_net.pt (the CNN that the tasks read),
    gabor_net.pt, transformer_<preset>.pt."""
    return {"cnn": "mnist_net.pt", "gabor": "gabor_net.pt"}.get(arch, f"{arch}_{preset}.pt")
