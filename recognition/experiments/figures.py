"""Task 4's figures, drawn from the seed-pooled summary (analysis.py): every accuracy is a mean
over seeds, with its 95% confidence interval as a band or error bar when there are several seeds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.colors import LogNorm, Normalize

from recognition.experiments import analysis
from recognition.report import plots
from recognition.report.plots import plt


def setup_line(summary: analysis.Summary, shows: str = "mean and 95% CI") -> str:
    grid = summary.grid
    images = f"{grid['train_subset']:,}" if grid["train_subset"] else "all"
    seeds = (
        "1 seed (intervals: the test set's binomial)"
        if summary.seeds == 1
        else f"{summary.seeds} seeds, {shows}"
    )
    return f"{images} training images, {seeds}"


def _errors(pairs) -> np.ndarray:
    return np.array([0.0 if math.isnan(h) else h for _, h in pairs])


def accuracy_vs_epochs(summary: analysis.Summary, path: Path) -> Path:
    dropout = analysis.nearest(summary.grid["dropout"], analysis.REFERENCE_DROPOUT)
    epochs = np.arange(1, summary.max_epochs + 1)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for b in summary.grid["batch_size"]:
        pairs = [summary.get(summary.config(batch_size=b, dropout=dropout), e) for e in epochs]
        mean, err = np.array([m for m, _ in pairs]), _errors(pairs)
        ax.plot(epochs, mean, marker="o", label=f"batch {b}")
        ax.fill_between(epochs, mean - err, mean + err, alpha=0.2)
    ax.set(xlabel="epochs", ylabel="test accuracy (%)", xticks=list(epochs))
    ax.grid(alpha=0.3)
    ax.legend(title="batch size")
    ax.set_title(f"Test accuracy against epochs, dropout {dropout:g}\n{setup_line(summary)}")
    return plots.save_figure(fig, path)


def accuracy_vs_dropout(summary: analysis.Summary, path: Path) -> Path:
    """Two panels: every rate, and a zoom on the rates that did not collapse."""
    batch = analysis.nearest(summary.grid["batch_size"], analysis.REFERENCE_BATCH)
    dropouts = summary.grid["dropout"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    test = [summary.get(summary.config(batch_size=batch, dropout=d)) for d in dropouts]
    train = [summary.get(summary.config(batch_size=batch, dropout=d), key="train_acc") for d in dropouts]
    for ax in axes:
        ax.errorbar(dropouts, [m for m, _ in test], yerr=_errors(test), marker="o", capsize=4, label="test")
        ax.errorbar(
            dropouts,
            [m for m, _ in train],
            yerr=_errors(train),
            marker="s",
            linestyle="--",
            capsize=4,
            label="train (running, last epoch)",
        )
        ax.set(xlabel="dropout rate (Dropout2d after conv2)", ylabel="accuracy (%)")
        ax.grid(alpha=0.3)
    best = max(m for m, _ in test)
    near = [(m, 0.0 if math.isnan(h) else h) for m, h in test + train if m >= best - 5]
    axes[1].set_ylim(min(m - h for m, h in near) - 0.3, max(m + h for m, h in near) + 0.3)
    axes[0].set_title("all rates")
    axes[1].set_title("zoom on the top 5 points")
    axes[0].legend()
    fig.suptitle(
        f"Accuracy against dropout, batch {batch}, {summary.max_epochs} epochs\n{setup_line(summary)}"
    )
    fig.tight_layout()
    return plots.save_figure(fig, path)


def heatmap(summary: analysis.Summary, path: Path) -> Path:
    """Batch size x dropout after the last epoch. The colours follow the error (100 - accuracy) on a
    log scale, so the scale spans every cell (a network at chance and the best one) and still tells
    99.2% from 98.8%; the values are written in the cells."""
    grid = summary.grid
    acc = np.array(
        [
            [summary.get(summary.config(batch_size=b, dropout=d))[0] for d in grid["dropout"]]
            for b in grid["batch_size"]
        ]
    )
    error = np.clip(100 - acc, 0.01, 100)
    low, high = float(error.min()), float(error.max())
    norm = LogNorm(low, high) if high > low * 1.01 else Normalize(low * 0.9, high * 1.1)
    rows, cols = acc.shape
    fig, ax = plt.subplots(figsize=(max(6.0, 1.0 * cols + 3.2), max(4.2, 0.75 * rows + 2.2)))
    image = ax.imshow(error, cmap="viridis_r", norm=norm, aspect="auto")
    for r in range(rows):
        for c in range(cols):
            dark = norm(error[r, c]) > 0.55
            ax.text(c, r, f"{acc[r, c]:.2f}", ha="center", va="center", color="white" if dark else "black")
    ax.set_xticks(range(cols), [f"{d:g}" for d in grid["dropout"]])
    ax.set_yticks(range(rows), [str(b) for b in grid["batch_size"]])
    ax.set(xlabel="dropout rate", ylabel="batch size")
    bar = fig.colorbar(image, ax=ax)
    ticks = [a for a in (99.5, 99, 98, 97, 95, 90, 80, 50, 20, 10) if low <= 100 - a <= high]
    bar.set_ticks([100 - a for a in ticks] or [low, high])
    bar.set_ticklabels([f"{a:g}" for a in ticks] or [f"{100 - low:.2f}", f"{100 - high:.2f}"])
    bar.minorticks_off()
    bar.ax.invert_yaxis()  # the best at the top
    bar.set_label("test accuracy (%); colours on a log scale of the error")
    ax.set_title(
        f"Test accuracy (%) after {summary.max_epochs} epochs, from {100 - high:.2f} to {100 - low:.2f}\n"
        f"{setup_line(summary, 'mean')}"
    )
    fig.tight_layout()
    return plots.save_figure(fig, path)


def time_vs_batch(summary: analysis.Summary, path: Path) -> Path:
    """Each grouped training's epochs as dots (seconds per epoch and network), their mean and its 95%
    interval as the line."""
    batches = summary.grid["batch_size"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    means = []
    for i, b in enumerate(batches):
        times = summary.epoch_times(b)
        spread = np.linspace(-0.06, 0.06, len(times)) if len(times) > 1 else np.zeros(1)
        ax.scatter(
            b * 2**spread, times, s=14, color="tab:gray", alpha=0.6, label="one epoch" if i == 0 else None
        )
        means.append(analysis.mean_ci(times))
    ax.errorbar(
        batches,
        [m for m, _ in means],
        yerr=_errors(means),
        marker="o",
        capsize=4,
        color="tab:blue",
        label="mean (95% interval)",
    )
    ax.set_xscale("log", base=2)
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.set_ylim(bottom=0)
    ax.set(xlabel="batch size", ylabel="seconds per epoch and network")
    ax.grid(alpha=0.3)
    ax.legend()
    images = f"{summary.grid['train_subset']:,}" if summary.grid["train_subset"] else "all"
    ax.set_title(
        "Training time per epoch and network (a grouped training's epoch / its networks)\n"
        f"{images} training images; dots: every grouped training's epochs; line: their mean"
    )
    return plots.save_figure(fig, path)


def pareto_figure(summary: analysis.Summary, path: Path) -> Path:
    found = analysis.pareto(summary)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    panels = [  # (front, x label, log scale)
        (found.params, "parameters", True),
        (
            found.train_seconds,
            f"training seconds ({summary.max_epochs} epochs, share of its grouped training)",
            False,
        ),
    ]
    for ax, (costs, xlabel, log) in zip(axes, panels):
        xs, acc, front = costs.x, costs.acc, costs.front
        errs = _errors([summary.get(c) for c in summary.configs])
        ax.errorbar(
            xs,
            acc,
            yerr=errs,
            fmt="o",
            color="tab:blue",
            alpha=0.45,
            markersize=4,
            capsize=2,
            label="variant (mean, 95% CI)",
        )
        ax.plot([xs[i] for i in front], [acc[i] for i in front], "-o", color="tab:red", label="Pareto front")
        named = []
        for i in reversed(front[-4:]):  # the best few of the front, named; none on top of another
            if all(abs(acc[i] - acc[j]) >= 1.0 for j in named):
                named.append(i)
                ax.annotate(
                    found.labels[i],
                    (xs[i], acc[i]),
                    fontsize=8,
                    xytext=(4, -12),
                    textcoords="offset points",
                )
        if log:
            ax.set_xscale("log")
        # Variants that collapsed towards chance would squeeze the rest into a line: show the top 15 points.
        top = max(acc)
        ax.set_ylim(max(min(acc) - max(errs), top - 15) - 0.5, top + max(errs) + 0.5)
        ax.set(xlabel=xlabel, ylabel="test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    fig.suptitle(
        f"Accuracy against cost after {summary.max_epochs} epochs, {len(summary.configs)} variants "
        f"({setup_line(summary)}); y axis: at most the top 15 points"
    )
    fig.tight_layout()
    return plots.save_figure(fig, path)


def dimensions_figure(summary: analysis.Summary, path: Path) -> Path:
    dims = [
        d
        for d in ("batch_size", "filters1", "filters2", "kernel", "hidden", "activation", "dropout")
        if len(summary.grid[d]) > 1
    ]
    fig, axes = plt.subplots(1, len(dims), figsize=(3.2 * len(dims), 4), sharey=True, squeeze=False)
    for ax, dim in zip(axes[0], dims):
        values = summary.grid[dim]
        pairs = [summary.marginal(dim, v) for v in values]
        ax.errorbar(range(len(values)), [m for m, _ in pairs], yerr=_errors(pairs), marker="o", capsize=5)
        ax.set_xticks(range(len(values)), [f"{v:g}" if isinstance(v, float) else str(v) for v in values])
        ax.set_xlabel(dim)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy (%)")
    fig.suptitle(
        f"Each dimension averaged over the others, {summary.max_epochs} epochs ({setup_line(summary)})"
    )
    fig.tight_layout()
    return plots.save_figure(fig, path)


def draw(grid_name: str, summary: analysis.Summary, out: Path, prefix: str) -> list[Path]:
    stem = f"{prefix}_{grid_name}"
    if grid_name == "report":
        return [
            accuracy_vs_epochs(summary, out / f"{stem}_accuracy_vs_epochs.png"),
            accuracy_vs_dropout(summary, out / f"{stem}_accuracy_vs_dropout.png"),
            heatmap(summary, out / f"{stem}_heatmap.png"),
            time_vs_batch(summary, out / f"{stem}_time_vs_batch.png"),
        ]
    return [
        pareto_figure(summary, out / f"{stem}_pareto.png"),
        dimensions_figure(summary, out / f"{stem}_dimensions.png"),
    ]
