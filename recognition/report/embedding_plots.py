"""The figures of the letter classifiers (Task 3 and its extensions): confusion matrices, the SSD
matrix, the embeddings projected to 2-D (PCA and t-SNE), and Task 3's pictures of its inputs.

The numbers come from recognition.embedding; only the projection is computed here, for its figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recognition.data import imagefiles
from recognition.embedding import CLASSIFIERS, SETS, AccuracyTable, Classification
from recognition.report import plots

if TYPE_CHECKING:  # hints only: sections.task3 imports this module
    from recognition.data.preprocess import InkStatistics
    from recognition.report.sections.task3 import OwnPrediction

# ---------------------------------------------------------------------------------------------
# Confusion matrices


def confusion(predicted, truth, classes) -> np.ndarray:
    """Counts of (true letter, predicted letter); images of letters outside `classes` are left out."""
    matrix = np.zeros((len(classes), len(classes)), dtype=int)
    for p, t in zip(predicted, truth):
        if t in classes:
            matrix[classes.index(t), classes.index(p)] += 1
    return matrix


def confusion_panels(
    result: Classification, ref_labels, own_labels, table: AccuracyTable, classifiers=CLASSIFIERS
) -> list[tuple[str, np.ndarray]]:
    """(title, confusion matrix) of each classifier in both evaluations."""
    truth = {"leave-one-out": ref_labels, "own": own_labels}
    panels = []
    for s in SETS:
        for c in classifiers:
            correct, total = table.part(s).of(c)
            matrix = confusion(result.answers(s)[c], truth[s], result.classes)
            panels.append((f"{s}, {c}: {correct}/{total}", matrix))
    return panels


def plot_confusions(
    panels: list[tuple[str, np.ndarray]], classes: list[str], suptitle: str, path: Path, ncols: int
) -> Path:
    """Confusion matrices (rows: truth, columns: prediction); each panel on its own count scale."""
    plt = plots.plt
    n = len(classes)
    side = max(2.8, 0.3 * n + 1.2)
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(side * ncols + 0.4, side * nrows + 0.8), squeeze=False, layout="constrained"
    )
    for ax, (title, matrix) in zip(axes.flat, panels):
        ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1, matrix.max()), interpolation="nearest")
        ax.set_xticks(range(n), classes, rotation=90, fontsize=9)
        ax.set_yticks(range(n), classes, fontsize=9)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(title, fontsize=10)
        for r, c in zip(*np.nonzero(matrix)):
            ax.text(
                c,
                r,
                str(matrix[r, c]),
                ha="center",
                va="center",
                fontsize=9,
                color="white" if matrix[r, c] > matrix.max() / 2 else "black",
            )
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    fig.suptitle(suptitle)
    return plots.save_figure(fig, path)


# ---------------------------------------------------------------------------------------------
# Pictures of the distances and the embeddings


def letter_blocks(labels: list[str]) -> list[tuple[str, int, int]]:
    """(letter, first index, end index) of each run of one letter in a letter-sorted list."""
    blocks, start = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            blocks.append((labels[start], start, i))
            start = i
    return blocks


def plot_ssd_matrix(d_ref: np.ndarray, labels: list[str], path: Path) -> Path:
    plt = plots.plt
    fig, ax = plt.subplots(figsize=(8, 7))
    shown = ax.imshow(d_ref, cmap="viridis", interpolation="nearest")
    blocks = letter_blocks(labels)
    for _, start, _ in blocks[1:]:
        ax.axhline(start - 0.5, color="white", lw=1.5)
        ax.axvline(start - 0.5, color="white", lw=1.5)
    centres = [(s + e - 1) / 2 for _, s, e in blocks]
    names = [name for name, _, _ in blocks]
    ax.set_xticks(centres, names, rotation=90 if len(names) > 8 else 0, fontsize=9 if len(names) > 8 else 11)
    ax.set_yticks(centres, names, fontsize=9 if len(names) > 8 else 11)
    ax.tick_params(length=0)
    ax.set_title(
        f"SSD between the embeddings of all {len(labels)} reference images\n"
        "(ordered by letter; dark = close; white lines separate letters)"
    )
    fig.colorbar(shown, ax=ax, shrink=0.8).set_label("sum of squared differences")
    fig.tight_layout()
    return plots.save_figure(fig, path)


@dataclass
class Projection:
    """What the 2-D projection of the embeddings kept."""

    pca_explained_variance: list[float]  # of the two principal components
    tsne_perplexity: float


def plot_projection(ref_emb, ref_labels, own_emb, own_labels, classes, seed: int, path: Path) -> Projection:
    """PCA and t-SNE of reference (circles) and own (crosses) embeddings, coloured by letter."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    plt = plots.plt
    both = np.vstack([ref_emb, own_emb])
    pca = PCA(n_components=2, random_state=seed).fit(both)
    perplexity = float(min(30, (len(both) - 1) / 3))
    views = {
        "PCA": pca.transform(both),
        f"t-SNE (perplexity {perplexity:.0f})": TSNE(
            n_components=2, perplexity=perplexity, init="pca", random_state=seed
        ).fit_transform(both),
    }
    palette = (
        plt.get_cmap("tab10").colors
        if len(classes) <= 10
        else plt.get_cmap("tab20").colors + plt.get_cmap("tab20b").colors
    )
    colour = {letter: palette[i % len(palette)] for i, letter in enumerate(classes)}
    n_ref, unknown = len(ref_emb), np.array([y not in classes for y in own_labels], dtype=bool)
    fig, axes = plt.subplots(1, 2, figsize=(13, 6))
    for ax, (name, xy) in zip(axes, views.items()):
        for letter in classes:
            ref_mask = np.asarray(ref_labels) == letter
            own_mask = np.array([y == letter for y in own_labels], dtype=bool)
            ax.scatter(
                *xy[:n_ref][ref_mask].T, s=45, color=colour[letter], marker="o", edgecolor="black", lw=0.4
            )
            ax.scatter(*xy[n_ref:][own_mask].T, s=40, color=colour[letter], marker="x")
            if len(classes) > 10:  # too many colours to tell apart: name each letter's cluster
                ax.annotate(
                    letter,
                    np.median(xy[:n_ref][ref_mask], axis=0),
                    fontsize=9,
                    ha="center",
                    va="bottom",
                    xytext=(0, 6),
                    textcoords="offset points",
                )
        if unknown.any():
            ax.scatter(*xy[n_ref:][unknown].T, s=30, color="gray", marker="+")
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    handles = [plt.Line2D([], [], ls="", marker="s", ms=9, color=colour[c], label=c) for c in classes]
    handles += [
        plt.Line2D([], [], ls="", marker="o", ms=8, mfc="white", mec="black", label="reference"),
        plt.Line2D([], [], ls="", marker="x", ms=8, color="black", label="own set"),
    ]
    if unknown.any():
        handles.append(plt.Line2D([], [], ls="", marker="+", ms=8, color="gray", label="own, unknown letter"))
    fig.legend(handles=handles, loc="center right", fontsize=10, frameon=False)
    fig.suptitle(f"The {ref_emb.shape[1]}-dimensional embeddings projected to 2-D")
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    plots.save_figure(fig, path)
    return Projection(pca.explained_variance_ratio_.tolist(), perplexity)


# ---------------------------------------------------------------------------------------------
# Task 3's inputs and its own symbols


def plot_reference_set(ref: imagefiles.ImageSet, transform: str, path: Path, n: int = 12) -> Path:
    """The first `n` reference images, each beside its 28x28 input and label."""
    n = min(n, len(ref.paths))
    originals = [imagefiles.read_image(p) for p in ref.paths[:n]]
    return plots.save_figure(
        plots.pairs_grid(
            originals,
            ref.images[:n],
            [p.name for p in ref.paths[:n]],
            [f"label: {y}" for y in ref.labels[:n]],
            ["black"] * n,
            f"The first {n} reference images, each beside its 28x28 input ({transform} transform)",
        ),
        path,
    )


def spread_indices(labels: list[str], n: int) -> list[int]:
    """n indices taking each letter in turn, so every letter appears."""
    by_letter = {}
    for i, label in enumerate(labels):
        by_letter.setdefault(label, []).append(i)
    picked, round_ = [], 0
    while len(picked) < min(n, len(labels)):
        for members in by_letter.values():
            if round_ < len(members) and len(picked) < n:
                picked.append(members[round_])
        round_ += 1
    return picked


def plot_transform_check(rows: dict[str, np.ndarray], stats: dict[str, InkStatistics], path: Path) -> Path:
    """One row per source of 28x28 inputs, labelled with its ink statistics, on one grey scale."""
    plt = plots.plt
    ncols = max(len(r) for r in rows.values())
    size = (1.5 * ncols + 2.2, 1.75 * len(rows) + 0.8)
    fig, axes = plt.subplots(len(rows), ncols, figsize=size, squeeze=False)
    for r, (name, images) in enumerate(rows.items()):
        s = stats[name]
        for c, ax in enumerate(axes[r]):
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(images):
                ax.imshow(images[c], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(
            f"{name}\nbackground {s.border_brightness:.2f}\n"
            f"stroke {s.stroke_width_px:.1f} px\nheight {s.ink_height_px:.1f} px\n"
            f"off-centre {s.centre_offset_px:.1f} px",
            fontsize=9,
            rotation=0,
            ha="right",
            va="center",
            labelpad=8,
        )
    fig.suptitle("Do the 28x28 inputs look like MNIST digits? (means over the whole set)")
    fig.tight_layout()
    return plots.save_figure(fig, path)


def plot_own_symbols(
    own: imagefiles.ImageSet, rows: list[OwnPrediction], figs: Path, classes, per_figure: int = 24
) -> list[str]:
    """The own symbols, `per_figure` to a figure: each photo beside its input, with its 1-NN answer."""
    paths = []
    for start in range(0, len(rows), per_figure):
        idx = range(start, min(start + per_figure, len(rows)))
        originals = [imagefiles.read_image(own.paths[i]) for i in idx]
        top = [f"{rows[i].writer}\n{own.paths[i].name}" if rows[i].writer else own.paths[i].name for i in idx]
        bottom = [f"1-NN: {rows[i].predicted.one_nn}\ntrue: {rows[i].truth or '?'}" for i in idx]
        colors = [
            "gray"
            if rows[i].truth not in classes
            else "green"
            if rows[i].predicted.one_nn == rows[i].truth
            else "red"
            for i in idx
        ]
        fig = plots.pairs_grid(
            originals,
            own.images[list(idx)],
            top,
            bottom,
            colors,
            f"Own symbols {start + 1}-{idx[-1] + 1} of {len(rows)}: image and its 28x28 "
            "input\nwith the 1-NN prediction (green right, red wrong, grey unknown "
            "letter)",
        )
        name = f"task3e_own_symbols_{start // per_figure + 1}.png"
        paths.append(str(plots.save_figure(fig, figs / name)))
    return paths
