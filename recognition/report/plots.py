"""Plotting helpers shared by every task: image grids, heatmaps, and atomic figure saving."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # files only: works headless and in CI
import matplotlib.pyplot as plt
import numpy as np

from recognition.io import atomic_path

plt.rcParams.update(
    {"figure.dpi": 110, "savefig.dpi": 110, "font.size": 11, "axes.titlesize": 11, "figure.titlesize": 13}
)


def save_figure(fig, path: str | Path) -> Path:
    """Save `fig` as PNG atomically and close it."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    plt.close(fig)
    return path


def _thumbnail(image, side: int = 240):
    """A photo shrunk (Lanczos, by PIL) to about twice the pixels its panel shows: resampling a
    3000 px photo in matplotlib costs a second a panel."""
    if hasattr(image, "thumbnail"):
        image = image.copy()
        image.thumbnail((side, side))
    return image


def _as_array(image) -> np.ndarray:
    if hasattr(image, "detach"):
        image = image.detach().cpu().numpy()
    image = np.asarray(image)
    return image[0] if image.ndim == 3 and image.shape[0] == 1 else image


def image_grid(
    images: Sequence,
    titles: Sequence[str] | None = None,
    ncols: int = 6,
    suptitle: str | None = None,
    cmap: str = "gray",
    vmin=None,
    vmax=None,
    cell: float = 1.8,
    colorbar: bool = False,
    title_colors: Sequence[str] | None = None,
):
    """Images in a grid with a title each and no ticks; one colour scale when vmin/vmax are given.

    Greyscale images are shown with `cmap`; RGB (H, W, 3) images in colour.
    """
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    title_room = 0.35 if titles is not None else 0.0
    fig, axes = plt.subplots(
        nrows,
        ncols,
        squeeze=False,
        figsize=(cell * ncols, (cell + title_room) * nrows + (0.5 if suptitle else 0)),
    )
    shown = None
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        shown = ax.imshow(_as_array(images[i]), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_aspect("equal")
        if titles is not None:
            ax.set_title(titles[i], color=title_colors[i] if title_colors else "black")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    if colorbar and shown is not None:
        fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8)
    return fig


def pairs_grid(
    originals: Sequence,
    inputs: Sequence,
    top: Sequence[str],
    bottom: Sequence[str],
    colors: Sequence[str],
    suptitle: str,
    ncols: int = 4,
):
    """Each original image beside its 28x28 network input: `top` titles the original, `bottom`
    (in `colors`) the input."""
    nrows = -(-len(inputs) // ncols)
    fig, axes = plt.subplots(nrows, 2 * ncols, figsize=(2 * ncols * 1.55, nrows * 1.9 + 0.6), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k, (original, x) in enumerate(zip(originals, inputs)):
        r, c = divmod(k, ncols)
        axes[r, 2 * c].imshow(_thumbnail(original), interpolation="antialiased")
        axes[r, 2 * c + 1].imshow(_as_array(x), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        # Text above the axes rather than set_title: a title's position is recomputed for every
        # axes at every draw, which took most of the time of a figure of 60 panels.
        for ax, text, color in (
            (axes[r, 2 * c], top[k], "black"),
            (axes[r, 2 * c + 1], bottom[k], colors[k]),
        ):
            ax.text(
                0.5, 1.03, text, transform=ax.transAxes, ha="center", va="bottom", fontsize=9, color=color
            )
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def heatmap(
    matrix,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    cmap: str = "viridis",
    fmt: str | None = "{:.1f}",
    cell: float = 0.6,
    colorbar_label: str = "",
):
    """A labelled matrix; values written in the cells when `fmt` is given and the matrix is small."""
    matrix = np.asarray(matrix, dtype=float)
    rows, cols = matrix.shape
    fig, ax = plt.subplots(figsize=(max(5.0, cell * cols + 2.5), max(4.0, cell * rows + 1.5)))
    im = ax.imshow(matrix, cmap=cmap, aspect="auto")
    ax.set_xticks(
        range(cols),
        col_labels,
        rotation=45 if max(map(len, map(str, col_labels))) > 3 else 0,
        ha="right" if max(map(len, map(str, col_labels))) > 3 else "center",
    )
    ax.set_yticks(range(rows), row_labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if fmt and rows * cols <= 400:
        middle = np.nanmin(matrix) + (np.nanmax(matrix) - np.nanmin(matrix)) / 2
        for r in range(rows):
            for c in range(cols):
                if np.isfinite(matrix[r, c]):
                    ax.text(
                        c,
                        r,
                        fmt.format(matrix[r, c]),
                        ha="center",
                        va="center",
                        fontsize=9,
                        color="white" if matrix[r, c] < middle else "black",
                    )
    fig.colorbar(im, ax=ax, label=colorbar_label)
    fig.tight_layout()
    return fig
