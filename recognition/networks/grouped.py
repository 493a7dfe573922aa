"""Several variants of the course network trained at once, as one grouped network.

Variants that share an architecture and a batch size but differ in dropout rate and seed train
together: their convolutions run as one grouped convolution, their linear layers as one batched
matmul, and one loss (the sum of the members' mean losses) back-propagates into each member's own
weights. Each member keeps its own dropout rate, dropout random stream, batch order and
optimizer state (Adam and SGD are element-wise, so one optimizer over the stacked weights is N
independent optimizers), so member i is the same network as a solo training of it
(`trainlib.train` of the same architecture, seeded with seed i): tests/test_grouped.py checks it.

The architecture is the course network's shape with its sizes free: conv(f1, k) -> max-pool ->
act -> conv(f2, k) -> Dropout2d -> max-pool -> act -> linear(hidden) -> act -> linear(10).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIVATIONS = {"relu": F.relu, "tanh": torch.tanh, "gelu": F.gelu}
IMAGE_SIDE, CLASSES = 28, 10


@dataclass(frozen=True)
class Arch:
    """The sizes of one network; the course network is Arch(10, 20, 5, 50, "relu")."""

    filters1: int = 10
    filters2: int = 20
    kernel: int = 5
    hidden: int = 50
    activation: str = "relu"

    def sides(self) -> tuple[int, int]:
        """Side of the feature maps after the first and after the second conv block."""
        first = (IMAGE_SIDE - self.kernel + 1) // 2
        return first, (first - self.kernel + 1) // 2

    def flat(self) -> int:
        return self.filters2 * self.sides()[1] ** 2

    def parameters(self) -> int:
        k2 = self.kernel**2
        return (
            self.filters1 * (k2 + 1)
            + self.filters2 * (self.filters1 * k2 + 1)
            + self.hidden * (self.flat() + 1)
            + CLASSES * (self.hidden + 1)
        )

    def multiply_adds(self) -> int:
        """Multiply-adds of one image's forward pass (convolutions and linear layers)."""
        k2, conv1_side = self.kernel**2, IMAGE_SIDE - self.kernel + 1
        conv2_side = self.sides()[0] - self.kernel + 1
        return (
            conv1_side**2 * self.filters1 * k2
            + conv2_side**2 * self.filters2 * self.filters1 * k2
            + self.flat() * self.hidden
            + self.hidden * CLASSES
        )

    def problem(self) -> str | None:
        """Why this architecture cannot be built, or None."""
        if self.activation not in ACTIVATIONS:
            return f"activation {self.activation!r} is not one of {', '.join(ACTIVATIONS)}"
        if min(self.filters1, self.filters2, self.hidden, self.kernel) < 1:
            return f"sizes must be at least 1: {asdict(self)}"
        if self.sides()[1] < 1:
            return f"kernel {self.kernel} leaves no pixels after two conv blocks on 28x28 images (use <= 9)"
        return None


def solo_layers(arch: Arch, seed: int) -> list[nn.Module]:
    """conv1, conv2, fc1, fc2 as PyTorch initialises them after `torch.manual_seed(seed)`, in the
    order `netlib.MnistNet` builds them (pooling and dropout draw no random numbers), so the
    course architecture gets exactly MnistNet's initial weights."""
    torch.manual_seed(seed)
    return [
        nn.Conv2d(1, arch.filters1, arch.kernel),
        nn.Conv2d(arch.filters1, arch.filters2, arch.kernel),
        nn.Linear(arch.flat(), arch.hidden),
        nn.Linear(arch.hidden, CLASSES),
    ]


class GroupedNet(nn.Module):
    """N networks of one architecture as one module; input (B, N, 28, 28), output (N, B, 10)."""

    def __init__(self, arch: Arch, dropouts: Sequence[float], seeds: Sequence[int]):
        super().__init__()
        if len(dropouts) != len(seeds) or not seeds:
            raise ValueError(f"need one dropout per seed, got {len(dropouts)} and {len(seeds)}")
        self.arch, self.dropouts, self.seeds = arch, [float(d) for d in dropouts], [int(s) for s in seeds]
        self.n = len(seeds)
        # Each member's dropout stream starts where a solo run's global generator stands right
        # after building its network: the same masks, drawn in the same order.
        members, self.generators = [], []
        for seed in self.seeds:
            members.append(solo_layers(arch, seed))
            self.generators.append(torch.Generator())
            self.generators[-1].set_state(torch.get_rng_state())
        cat = torch.cat
        self.conv1_w = nn.Parameter(cat([m[0].weight.detach() for m in members]))
        self.conv1_b = nn.Parameter(cat([m[0].bias.detach() for m in members]))
        self.conv2_w = nn.Parameter(cat([m[1].weight.detach() for m in members]))
        self.conv2_b = nn.Parameter(cat([m[1].bias.detach() for m in members]))
        # Linear layers as (N, in, out) for baddbmm; nn.Linear stores (out, in).
        self.fc1_w = nn.Parameter(torch.stack([m[2].weight.detach().t() for m in members]).contiguous())
        self.fc1_b = nn.Parameter(torch.stack([m[2].bias.detach() for m in members]).unsqueeze(1))
        self.fc2_w = nn.Parameter(torch.stack([m[3].weight.detach().t() for m in members]).contiguous())
        self.fc2_b = nn.Parameter(torch.stack([m[3].bias.detach() for m in members]).unsqueeze(1))

    def feature_dropout(self, x: torch.Tensor, dropouts: list[float], generators: list) -> torch.Tensor:
        """Dropout2d per member, with its own rate and generator, as torch's kernel draws it:
        one Bernoulli(1-p) per (image, channel), scaled by 1/(1-p); p=0 and p=1 draw nothing."""
        if not self.training:
            return x
        batch, f2 = x.shape[0], self.arch.filters2
        masks = []
        for p, gen in zip(dropouts, generators):
            if p == 0.0:
                masks.append(torch.ones(batch, f2, 1, 1))
            elif p == 1.0:
                masks.append(torch.zeros(batch, f2, 1, 1))
            else:
                masks.append(torch.empty(batch, f2, 1, 1).bernoulli_(1 - p, generator=gen).div_(1 - p))
        return x * torch.cat(masks, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = ACTIVATIONS[self.arch.activation]
        x = act(torch.baddbmm(self.fc1_b, self.features(x), self.fc1_w))
        return F.log_softmax(torch.baddbmm(self.fc2_b, x, self.fc2_w), dim=2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The conv blocks' output, (N, B, flat). In training, a member with dropout 1.0 gets zeros
        without running its convolutions: its dropout zeroes every map and every activation maps 0
        to 0, so its solo training computes the same zeros and gives its convolutions no gradient
        (their weights never move under Adam or SGD, as here where they get none)."""
        live = [i for i, p in enumerate(self.dropouts) if p < 1.0 or not self.training]
        if len(live) == self.n:
            return self.conv_blocks(
                x, self.conv1_w, self.conv1_b, self.conv2_w, self.conv2_b, self.dropouts, self.generators
            )
        if not live:
            return x.new_zeros(self.n, x.shape[0], self.arch.flat())
        f1, f2, rows = self.arch.filters1, self.arch.filters2, torch.tensor(live)

        def members(weight: torch.Tensor, per: int) -> torch.Tensor:
            return weight.unflatten(0, (self.n, per))[rows].flatten(0, 1)

        part = self.conv_blocks(
            x[:, rows],
            members(self.conv1_w, f1),
            members(self.conv1_b, f1),
            members(self.conv2_w, f2),
            members(self.conv2_b, f2),
            [self.dropouts[i] for i in live],
            [self.generators[i] for i in live],
        )
        return part.new_zeros(self.n, *part.shape[1:]).index_copy(0, rows, part)

    def conv_blocks(self, x, conv1_w, conv1_b, conv2_w, conv2_b, dropouts, generators) -> torch.Tensor:
        act, (batch, n) = ACTIVATIONS[self.arch.activation], x.shape[:2]
        x = x.contiguous(memory_format=torch.channels_last)  # ~2x faster grouped convs on CPU
        x = act(F.max_pool2d(F.conv2d(x, conv1_w, conv1_b, groups=n), 2))
        x = F.conv2d(x, conv2_w, conv2_b, groups=n)
        x = act(F.max_pool2d(self.feature_dropout(x, dropouts, generators), 2))
        return x.reshape(batch, n, -1).transpose(0, 1)

    def member_state(self, i: int) -> dict[str, torch.Tensor]:
        """Member i's weights under netlib.MnistNet's state-dict names."""
        f1, f2 = self.arch.filters1, self.arch.filters2
        return {
            "conv1.weight": self.conv1_w[i * f1 : (i + 1) * f1],
            "conv1.bias": self.conv1_b[i * f1 : (i + 1) * f1],
            "conv2.weight": self.conv2_w[i * f2 : (i + 1) * f2],
            "conv2.bias": self.conv2_b[i * f2 : (i + 1) * f2],
            "fc1.weight": self.fc1_w[i].t(),
            "fc1.bias": self.fc1_b[i, 0],
            "fc2.weight": self.fc2_w[i].t(),
            "fc2.bias": self.fc2_b[i, 0],
        }


@dataclass
class MemberHistory:
    """Per-epoch results of one member (accuracies 0..1; seconds are the group's epoch time / N)."""

    dropout: float
    seed: int
    train_acc: list[float]
    test_acc: list[float]
    epoch_seconds: list[float]


@torch.inference_mode()
def evaluate_group(model: GroupedNet, x: torch.Tensor, y: torch.Tensor, batch_size: int = 250) -> list[float]:
    """Test accuracy (0..1) of every member, in eval mode (no dropout). Batches of 250 keep six
    members' activations in cache: 10,000 images in 1.9 s instead of 3.3 s at 1,000."""
    was_training = model.training
    model.eval()
    correct = torch.zeros(model.n, dtype=torch.long)
    for i in range(0, len(x), batch_size):
        out = model(x[i : i + batch_size].expand(-1, model.n, -1, -1))
        correct += (out.argmax(2) == y[i : i + batch_size]).sum(1)
    model.train(was_training)
    return (correct.double() / len(x)).tolist()


def make_optimizer(params, optimizer: str, lr: float, momentum: float) -> torch.optim.Optimizer:
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, fused=True)
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, fused=True)
    raise ValueError(f"optimizer must be adam or sgd, got {optimizer!r}")


def train_group(
    model: GroupedNet,
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    epochs: int,
    batch_size: int,
    optimizer: str = "adam",
    lr: float = 1e-3,
    momentum: float = 0.5,
    on_epoch: Callable[[int, list[MemberHistory]], None] | None = None,
) -> list[MemberHistory]:
    """Train every member at a constant rate on (N,1,28,28) tensors; test after every epoch.

    Member i's batches follow its own shuffle, `torch.randperm` from a generator seeded with its
    seed, as `trainlib.train` does; train accuracy is the running accuracy over the epoch.
    """
    n, steps = model.n, -(-len(train_x) // batch_size)
    opt = make_optimizer(model.parameters(), optimizer, lr, momentum)
    shuffles = [torch.Generator().manual_seed(s) for s in model.seeds]
    hists = [MemberHistory(d, s, [], [], []) for d, s in zip(model.dropouts, model.seeds)]
    images = train_x[:, 0]
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        orders = torch.stack([torch.randperm(len(train_x), generator=g) for g in shuffles])  # (N, len)
        correct = torch.zeros(n, dtype=torch.long)
        for step in range(steps):
            idx = orders[:, step * batch_size : (step + 1) * batch_size]  # (N, B)
            x, y = images[idx].transpose(0, 1), train_y[idx]  # (B, N, 28, 28), (N, B)
            out = model(x)
            loss = F.nll_loss(out.reshape(-1, CLASSES), y.reshape(-1), reduction="sum") / idx.shape[1]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            correct += (out.detach().argmax(2) == y).sum(1)
        seconds = (time.perf_counter() - start) / n
        tests = evaluate_group(model, test_x, test_y)
        for hist, right, test in zip(hists, correct.tolist(), tests):
            hist.train_acc.append(right / len(train_x))
            hist.test_acc.append(test)
            hist.epoch_seconds.append(seconds)
        if on_epoch is not None:
            on_epoch(epoch, hists)
    return hists
