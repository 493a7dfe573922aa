"""Task 4's figures, drawn from the seed-pooled summary (analysis.py): every accuracy is a mean
over seeds, with its 95% confidence interval as a band or error bar when there are several seeds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from recognition.experiments import analysis
from recognition.report import plots
from recognition.report.plots import plt


def setup_line(summary: analysis.Summary, shows: str = "mean and 95% CI") -> str:
    grid = summary.grid
    images = f"{grid['train_subset']:,}" if grid["train_subset"] else "all"
    seeds = "1 seed" if summary.seeds == 1 else f"{summary.seeds} seeds, {shows}"
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
    """Colours span the variants that learned (within 10 points of the best); values in every cell."""
    grid = summary.grid
    matrix = np.array(
        [
            [summary.get(summary.config(batch_size=b, dropout=d))[0] for d in grid["dropout"]]
            for b in grid["batch_size"]
        ]
    )
    low, high = matrix[matrix >= matrix.max() - 10].min(), matrix.max()
    clipped = f"; colours clipped below {low:.2f}" if matrix.min() < low else ""
    fig = plots.heatmap(
        matrix,
        [str(b) for b in grid["batch_size"]],
        [f"{d:g}" for d in grid["dropout"]],
        title=f"Test accuracy (%) after {summary.max_epochs} epochs\n{setup_line(summary, 'mean')}",
        xlabel="dropout rate",
        ylabel="batch size",
        fmt="{:.2f}",
        colorbar_label=f"test accuracy (%){clipped}",
        cell=1.0,
    )
    ax = fig.axes[0]
    ax.images[0].set_clim(low, high)
    for text in ax.texts:  # text colours follow the new scale: light on dark cells
        text.set_color("white" if ax.images[0].norm(float(text.get_text())) < 0.5 else "black")
    return plots.save_figure(fig, path)


def time_vs_batch(summary: analysis.Summary, path: Path) -> Path:
    batches = summary.grid["batch_size"]
    seconds = [[summary.info[c].epoch_seconds for c in summary.configs if c[0] == b] for b in batches]
    mean = np.array([np.mean(s) for s in seconds])
    # clipped: the mean of equal times (one group's networks) can round a hair above their minimum
    spread = np.clip(np.array([[m - min(s), max(s) - m] for m, s in zip(mean, seconds)]).T, 0, None)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.errorbar(batches, mean, yerr=spread, marker="o", capsize=4)
    ax.set_xscale("log", base=2)
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.set_ylim(bottom=0)
    ax.set(xlabel="batch size", ylabel="seconds per epoch per network")
    ax.grid(alpha=0.3)
    images = f"{summary.grid['train_subset']:,}" if summary.grid["train_subset"] else "all"
    ax.set_title(
        "Training time per epoch and network (a grouped training's epoch / its networks)\n"
        f"{images} training images; bars: min-max over its networks"
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
