"""Task 4's numbers: the variants of a grid, seeds pooled into means with 95% confidence intervals,
and the Pareto front of accuracy against parameters and training time (observations.py tests the
hypotheses with them)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

ARCH_DIMS = ("filters1", "filters2", "kernel", "hidden", "activation")
CONFIG_DIMS = ("batch_size",) + ARCH_DIMS + ("dropout",)  # a variant, less its seed and epochs
REFERENCE_DROPOUT, REFERENCE_BATCH = 0.5, 32  # the curves against epochs / dropout are drawn there
PLATEAU_PP = 0.2  # within this many points of a curve's best counts as on its plateau


@dataclass
class Variant:
    """One network of a grid after one epoch count: a row of the grid's CSV, in its column order."""

    batch_size: int
    filters1: int
    filters2: int
    kernel: int
    hidden: int
    activation: str
    dropout: float
    seed: int
    epochs: int
    params: int
    multiply_adds: int
    epoch_seconds: float  # its share of its grouped training's epoch, averaged over the epochs so far
    train_seconds: float  # the same shares, summed
    train_acc: float  # 0..1, running over the epoch
    test_acc: float  # 0..1
    trial: int  # the study trial that trained it


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95% confidence interval (Student t); nan with one value."""
    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return mean, float("nan")
    return mean, float(stats.t.ppf(0.975, n - 1) * np.std(values, ddof=1) / math.sqrt(n))


def binomial_ci(percents: Sequence[float], images: int) -> tuple[float, float]:
    """The mean of accuracies (in %) each measured on `images` test images, and the half-width of its
    95% interval from the test set's sampling alone (normal approximation): one seed's interval."""
    p = np.asarray(percents, dtype=float) / 100
    mean = float(p.mean())
    return 100 * mean, float(100 * 1.96 * math.sqrt(float(np.sum(p * (1 - p))) / images) / len(p))


def fmt(mean_half: tuple[float, float], unit: str = "%") -> str:
    mean, half = mean_half
    return f"{mean:.2f}{unit}" if math.isnan(half) else f"{mean:.2f} ± {half:.2f}{unit}"


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Do the two 95% intervals overlap? Without an interval nothing can be said: True."""
    if math.isnan(a[1]) or math.isnan(b[1]):
        return True
    return abs(a[0] - b[0]) <= a[1] + b[1]


class Summary:
    """Variant rows (one per seed and epoch) pooled over seeds: accuracy in % with its interval.

    With several seeds a test accuracy's interval is Student t's over the seeds; with one seed it is
    the binomial interval of one measurement on the grid's `test_images` (`interval` says which)."""

    def __init__(self, rows: list[Variant], grid: dict, test_images: int = 10_000):
        self.grid, self.max_epochs = grid, grid["max_epochs"]
        self.seeds = len(grid["seed"])
        self.test_images = test_images
        self.interval = (
            f"95% interval over {self.seeds} seeds (Student t)"
            if self.seeds > 1
            else f"95% binomial interval of one seed's accuracy on {test_images:,} test images"
        )
        self.values: dict[tuple, dict[str, list[float]]] = {}
        for row in rows:
            key = config_of(row) + (row.epochs,)
            entry = self.values.setdefault(key, {"test_acc": [], "train_acc": [], "train_seconds": []})
            for name in entry:
                value = getattr(row, name)
                entry[name].append(100.0 * value if name.endswith("acc") else value)
        self.info = {config_of(r): r for r in rows}
        self.configs = sorted(self.info, key=str)
        # (batch, trial, epoch) -> that epoch's seconds per network of the grouped training (each of
        # its networks holds the same share)
        cumulative = {(config_of(r), r.seed, r.epochs): r.train_seconds for r in rows}
        self.times = {
            (r.batch_size, r.trial, r.epochs): r.train_seconds
            - cumulative.get((config_of(r), r.seed, r.epochs - 1), 0.0)
            for r in rows
        }

    def get(self, config: tuple, epochs: int | None = None, key: str = "test_acc") -> tuple[float, float]:
        values = self.values[config + (epochs or self.max_epochs,)][key]
        return self.pooled([values]) if key == "test_acc" else mean_ci(values)

    def pooled(self, accuracies: list[list[float]]) -> tuple[float, float]:
        """Test accuracies (one list per configuration, one value per seed), averaged per seed over the
        configurations, then pooled over the seeds with the grid's interval."""
        if self.seeds > 1:
            return mean_ci(list(np.mean(accuracies, axis=0)))
        return binomial_ci([a[0] for a in accuracies], self.test_images)

    def config(self, **fixed) -> tuple:
        """The one configuration of the grid with these values (the grid's first value elsewhere)."""
        return tuple(fixed.get(d, self.grid[d][0]) for d in CONFIG_DIMS)

    def marginal(self, dim: str, value, epochs: int | None = None) -> tuple[float, float]:
        """Accuracy at `dim` = value averaged over every other dimension, per seed, then pooled."""
        return self.pooled(self.marginal_values(dim, value, epochs))

    def marginal_values(self, dim: str, value, epochs: int | None = None) -> list[list[float]]:
        chosen = [c for c in self.configs if c[CONFIG_DIMS.index(dim)] == value]
        return [self.values[c + (epochs or self.max_epochs,)]["test_acc"] for c in chosen]

    def epoch_times(self, batch_size: int) -> list[float]:
        """Every grouped training's epochs at this batch size: seconds per epoch and network."""
        return [s for (b, _, _), s in self.times.items() if b == batch_size]


def config_of(row: Variant) -> tuple:
    """The row's value of each of CONFIG_DIMS."""
    return tuple(getattr(row, d) for d in CONFIG_DIMS)


def nearest(values: Sequence, target: float):
    return min(values, key=lambda v: abs(v - target))


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats: lower cost (x) and higher accuracy (y)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -math.inf
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


@dataclass
class Front:
    """Every variant's cost and final test accuracy (%), and the Pareto front among them."""

    x: list[float]
    acc: list[float]
    front: list[int]  # indices into x and acc, cheapest first
    front_labels: list[str]


@dataclass
class Pareto:
    params: Front
    train_seconds: Front
    labels: list[str]  # each variant's label, in the order of x and acc


def pareto(summary: Summary) -> Pareto:
    """Final-epoch accuracy against parameters and against training seconds, with each front."""
    configs = summary.configs
    acc = [summary.get(c)[0] for c in configs]
    fronts = {}
    for cost in ("params", "train_seconds"):
        xs = [
            summary.info[c].params
            if cost == "params"
            else float(np.mean(summary.values[c + (summary.max_epochs,)]["train_seconds"]))
            for c in configs
        ]
        front = pareto_front(list(zip(xs, acc)))
        fronts[cost] = Front(
            x=xs, acc=acc, front=front, front_labels=[label(summary, configs[i]) for i in front]
        )
    return Pareto(**fronts, labels=[label(summary, c) for c in configs])


def label(summary: Summary, config: tuple) -> str:
    """The dimensions that vary in this grid, e.g. 'f1=16 f2=32 k=3 h=128 d=0.5'."""
    short = {
        "batch_size": "b",
        "filters1": "f1",
        "filters2": "f2",
        "kernel": "k",
        "hidden": "h",
        "activation": "act",
        "dropout": "d",
    }
    parts = [
        f"{short[d]}={v:g}" if isinstance(v, float) else f"{short[d]}={v}"
        for d, v in zip(CONFIG_DIMS, config)
        if len(summary.grid[d]) > 1
    ]
    return " ".join(parts) or "the one variant"


def label_point(point: dict) -> str:
    return (
        f"batch {point['batch_size']}, filters {point['filters1']}/{point['filters2']}, "
        f"kernel {point['kernel']}, "
        f"hidden {point['hidden']}, {point['activation']}"
    )
