"""Digits as sequences of image patches through a transformer encoder, and where it looks."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from recognition import cli


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

    ARCH = "transformer"
    # What a checkpoint may say to rebuild it (netlib.check_meta): each setting, at most about ten
    # times the presets' (at most ~50 M parameters), so a crafted file cannot allocate terabytes.
    SETTINGS = {
        **{name: cli.Range(int, 1, 28) for name in ("patch", "stride")},
        "width": cli.Range(int, 1, 512),
        "depth": cli.Range(int, 1, 16),
        "heads": cli.Range(int, 1, 64),
        "mlp": cli.Range(int, 1, 2048),
        "hidden": cli.Range(int, 1, 4096),
        "dropout": cli.Range(float, 0, 1),
        "pool": cli.OneOf(("cls", "mean")),
    }

    def __init__(
        self,
        patch: int = 4,
        stride: int = 4,
        width: int = 64,
        depth: int = 2,
        heads: int = 4,
        mlp: int = 128,
        dropout: float = 0.1,
        pool: str = "cls",
        hidden: int = 128,
    ):
        super().__init__()
        if pool not in ("cls", "mean"):
            raise ValueError(f"pool must be 'cls' or 'mean', got {pool!r}")
        if not 1 <= patch <= 28 or stride < 1 or (28 - patch) % stride:
            raise ValueError(
                f"patch {patch} with stride {stride} does not tile a 28-px image; "
                f"choose them so that (28 - patch) is a multiple of stride"
            )
        if width % heads:
            raise ValueError(f"width {width} is not divisible by heads {heads}")
        self.patch, self.stride, self.width, self.depth, self.heads = patch, stride, width, depth, heads
        self.mlp, self.dropout, self.pool, self.hidden = mlp, dropout, pool, hidden
        self.side = (28 - patch) // stride + 1
        self.tokens = self.side**2
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
        return {
            "patch": self.patch,
            "stride": self.stride,
            "width": self.width,
            "depth": self.depth,
            "heads": self.heads,
            "mlp": self.mlp,
            "dropout": self.dropout,
            "pool": self.pool,
            "hidden": self.hidden,
        }

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
