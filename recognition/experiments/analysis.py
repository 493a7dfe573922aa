"""Task 4's numbers: seeds pooled into means with 95% confidence intervals, the observations that
test each hypothesis (a difference whose intervals overlap is said to be inside the noise), and
the Pareto front of accuracy against parameters and training time."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats

ARCH_DIMS = ("filters1", "filters2", "kernel", "hidden", "activation")
CONFIG_DIMS = ("batch_size",) + ARCH_DIMS + ("dropout",)  # a variant, less its seed and epochs
REFERENCE_DROPOUT, REFERENCE_BATCH = 0.5, 32  # the curves against epochs / dropout are drawn there
PLATEAU_PP = 0.2  # within this many points of a curve's best counts as on its plateau


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95% confidence interval (Student t); nan with one value."""
    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return mean, float("nan")
    return mean, float(stats.t.ppf(0.975, n - 1) * np.std(values, ddof=1) / math.sqrt(n))


def fmt(mean_half: tuple[float, float], unit: str = "%") -> str:
    mean, half = mean_half
    return f"{mean:.2f}{unit}" if math.isnan(half) else f"{mean:.2f} ± {half:.2f}{unit}"


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Do the two 95% intervals overlap? Without intervals (one seed) nothing can be said: True."""
    if math.isnan(a[1]) or math.isnan(b[1]):
        return True
    return abs(a[0] - b[0]) <= a[1] + b[1]


def verdict(a: tuple[float, float], b: tuple[float, float]) -> str:
    if math.isnan(a[1]) or math.isnan(b[1]):
        return "one seed, so no interval to judge the noise by"
    return "inside the noise (the 95% intervals overlap)" if overlap(a, b) else "outside the noise"


class Summary:
    """Variant rows (one per seed and epoch) pooled over seeds: accuracy in % with its interval."""

    def __init__(self, rows: list[dict], grid: dict):
        self.grid, self.max_epochs = grid, grid["max_epochs"]
        self.seeds = len(grid["seed"])
        self.values: dict[tuple, dict[str, list[float]]] = {}
        for row in rows:
            key = tuple(row[d] for d in CONFIG_DIMS) + (row["epochs"],)
            entry = self.values.setdefault(key, {"test_acc": [], "train_acc": [], "train_seconds": []})
            for name in entry:
                entry[name].append(100.0 * row[name] if name.endswith("acc") else row[name])
        self.info = {tuple(r[d] for d in CONFIG_DIMS): r for r in rows}
        self.configs = sorted(self.info, key=str)

    def get(self, config: tuple, epochs: int | None = None, key: str = "test_acc") -> tuple[float, float]:
        return mean_ci(self.values[config + (epochs or self.max_epochs,)][key])

    def config(self, **fixed) -> tuple:
        """The one configuration of the grid with these values (the grid's first value elsewhere)."""
        return tuple(fixed.get(d, self.grid[d][0]) for d in CONFIG_DIMS)

    def marginal(self, dim: str, value, epochs: int | None = None) -> tuple[float, float]:
        """Accuracy at `dim` = value averaged over every other dimension, per seed, then pooled."""
        chosen = [c for c in self.configs if c[CONFIG_DIMS.index(dim)] == value]
        per_seed = np.mean(
            [self.values[c + (epochs or self.max_epochs,)]["test_acc"] for c in chosen], axis=0
        )
        return mean_ci(list(per_seed))


def nearest(values: Sequence, target: float):
    return min(values, key=lambda v: abs(v - target))


def observe_dimension(summary: Summary, dim: str, label: str) -> dict:
    """Best against worst value of one dimension, averaged over the others."""
    values = summary.grid[dim]
    found = {v: summary.marginal(dim, v) for v in values}
    best = max(found, key=lambda v: found[v][0])
    worst = min(found, key=lambda v: found[v][0])
    text = (
        f"{label}: "
        + ", ".join(f"{v}: {fmt(found[v])}" for v in values)
        + f" after {summary.max_epochs} epochs (mean over the other dimensions and {summary.seeds} seed(s)); "
        f"best {best} against worst {worst}: {found[best][0] - found[worst][0]:+.2f} pts, "
        f"{verdict(found[best], found[worst])}."
    )
    return {
        "text": text,
        "best": best,
        "worst": worst,
        "separated": not overlap(found[best], found[worst]),
        "by_value": {str(v): list(found[v]) for v in values},
    }


def observe_epochs(summary: Summary) -> dict:
    dropout = nearest(summary.grid["dropout"], REFERENCE_DROPOUT)
    gain, plateau = {}, {}
    for b in summary.grid["batch_size"]:
        config = summary.config(batch_size=b, dropout=dropout)
        curve = [summary.get(config, e)[0] for e in range(1, summary.max_epochs + 1)]
        first, last = summary.get(config, 1), summary.get(config)
        gain[str(b)] = (last[0] - first[0], verdict(last, first))
        plateau[str(b)] = next(e for e, a in enumerate(curve, start=1) if a >= max(curve) - PLATEAU_PP)
    text = (
        f"At dropout {dropout:g}, test accuracy gains from epoch 1 to {summary.max_epochs}: "
        + ", ".join(f"batch {b} {g:+.2f} pts" for b, (g, _) in gain.items())
        + f"; first within {PLATEAU_PP} pts of its best at epoch "
        + ", ".join(f"{e} (batch {b})" for b, e in plateau.items())
        + "."
    )
    return {"text": text, "gain_pts": {b: g for b, (g, _) in gain.items()}, "plateau_epoch": plateau}


def observe_time(summary: Summary) -> dict:
    per_batch = {}
    for b in summary.grid["batch_size"]:
        chosen = [c for c in summary.configs if c[0] == b]
        per_batch[b] = float(np.mean([summary.info[c]["epoch_seconds"] for c in chosen]))
    small, large = min(per_batch), max(per_batch)
    text = (
        f"One epoch's share of a grouped training takes {per_batch[small]:.2f} s at batch {small} and "
        f"{per_batch[large]:.2f} s at batch {large}; "
        + ", ".join(f"{b}: {s:.2f} s" for b, s in per_batch.items())
        + "."
    )
    result = {"text": text, "epoch_seconds": {str(b): s for b, s in per_batch.items()}}
    if len(per_batch) > 1:
        slope = float(np.polyfit(np.log(list(per_batch)), np.log(list(per_batch.values())), 1)[0])
        result["loglog_slope"] = slope
        result["text"] += f" Time per epoch scales roughly as batch^{slope:.2f}."
    return result


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats: lower cost (x) and higher accuracy (y)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -math.inf
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def pareto(summary: Summary) -> dict:
    """Final-epoch accuracy against parameters and against training seconds, with each front."""
    configs = summary.configs
    acc = [summary.get(c)[0] for c in configs]
    out = {}
    for cost in ("params", "train_seconds"):
        xs = [
            summary.info[c]["params"]
            if cost == "params"
            else float(np.mean(summary.values[c + (summary.max_epochs,)]["train_seconds"]))
            for c in configs
        ]
        front = pareto_front(list(zip(xs, acc)))
        out[cost] = {
            "x": xs,
            "acc": acc,
            "front": front,
            "front_labels": [label(summary, configs[i]) for i in front],
        }
    out["labels"] = [label(summary, c) for c in configs]
    return out


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


HYPOTHESES = {
    "batch_size": "Smaller batches make more optimizer steps per epoch, so they reach a higher test accuracy "
    "after a given number of epochs; the largest batches end lowest.",
    "dropout": "Moderate dropout (0.25-0.5) gives the best test accuracy; no dropout is slightly worse, "
    "and as "
    "the rate nears 1.0 the second conv layer's output is almost always dropped, so accuracy "
    "collapses towards chance (about 10%).",
    "epochs": "Test accuracy rises fast over the first 2-3 epochs and then flattens; large batches (fewer "
    "steps per epoch) keep gaining for longer.",
    "time": "Training time per epoch falls as the batch grows (fewer, better-vectorised steps), with "
    "diminishing returns beyond batch 64-128.",
    "filters1": "More filters in the first conv layer help a little: 6 edge detectors are enough for digits.",
    "filters2": "More filters in the second conv layer help more than in the first: it feeds the classifier.",
    "kernel": "3x3 kernels do as well as 5x5 ones: two stacked small kernels already see a large part "
    "of a digit.",
    "hidden": "A wider hidden layer helps up to about 64 units, then the gain is inside the noise.",
    "broad_dropout": "Dropout 0.5 costs a little accuracy in a short training (it slows learning down).",
    "activation": "ReLU and GELU do about equally well; tanh saturates and learns a little slower.",
}


def observe_batch_size(summary: Summary) -> dict:
    dropout = nearest(summary.grid["dropout"], REFERENCE_DROPOUT)
    out = {}
    for epochs in (1, summary.max_epochs):
        accs = {
            b: summary.get(summary.config(batch_size=b, dropout=dropout), epochs)
            for b in summary.grid["batch_size"]
        }
        best, worst = max(accs, key=lambda b: accs[b][0]), min(accs, key=lambda b: accs[b][0])
        out[epochs] = (accs, best, worst)
    (first, b1, w1), (last, bn, wn) = out[1], out[summary.max_epochs]
    text = (
        f"At dropout {dropout:g}, after 1 epoch the best batch size is {b1} ({fmt(first[b1])}) and the worst "
        f"{w1} ({fmt(first[w1])}), {verdict(first[b1], first[w1])}; after {summary.max_epochs} epochs "
        f"the best "
        f"is {bn} ({fmt(last[bn])}) and the worst {wn} ({fmt(last[wn])}), {verdict(last[bn], last[wn])}."
    )
    return {
        "text": text,
        "best_after_1_epoch": b1,
        "best_after_max_epochs": bn,
        "acc_after_max_epochs": {str(b): list(a) for b, a in last.items()},
    }


def observe_dropout(summary: Summary) -> dict:
    batch = nearest(summary.grid["batch_size"], REFERENCE_BATCH)
    accs = {d: summary.get(summary.config(batch_size=batch, dropout=d)) for d in summary.grid["dropout"]}
    best = max(accs, key=lambda d: accs[d][0])
    text = (
        f"At batch {batch} and {summary.max_epochs} epochs: "
        + ", ".join(f"{d:g}: {fmt(a)}" for d, a in accs.items())
        + f". The best dropout is {best:g}"
    )
    others = [d for d in accs if d != best]
    if others:
        runner = max(others, key=lambda d: accs[d][0])
        text += f"; against the runner-up {runner:g} the difference is {verdict(accs[best], accs[runner])}"
    return {
        "text": text + ".",
        "best_dropout": best,
        "acc_by_dropout": {f"{d:g}": list(a) for d, a in accs.items()},
    }


def observations(grid_name: str, summary: Summary) -> dict:
    if grid_name == "report":
        return {
            "batch_size": observe_batch_size(summary),
            "dropout": observe_dropout(summary),
            "epochs": observe_epochs(summary),
            "time": observe_time(summary),
        }
    names = {
        "filters1": "filters in conv layer 1",
        "filters2": "filters in conv layer 2",
        "batch_size": "batch size",
    }
    found = {
        dim: observe_dimension(summary, dim, names.get(dim, dim))
        for dim in ("batch_size", "filters1", "filters2", "kernel", "hidden", "activation")
        if len(summary.grid[dim]) > 1
    }
    if len(summary.grid["dropout"]) > 1:
        found["broad_dropout"] = observe_dimension(summary, "dropout", "dropout")
    return found
