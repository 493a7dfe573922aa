"""Figures of a digit network (Task 1's): its autograd graph, its training curves, and its predictions
on test digits, on own digit photos and on photographed sheets."""

from __future__ import annotations

from pathlib import Path

import torch

from recognition import training
from recognition.data import imagefiles, sheets
from recognition.io import atomic_path
from recognition.report import plots


def network_diagram(model: torch.nn.Module, path: Path) -> str | None:
    """torchviz's autograd graph as PNG; returns why it was skipped, or None when written."""
    import graphviz
    from torchviz import make_dot

    model.eval()
    out = model(torch.zeros(1, 1, 28, 28, device=next(model.parameters()).device))
    dot = make_dot(out, params=dict(model.named_parameters()))
    dot.graph_attr.update(
        dpi="110",
        label=f"{type(model).__name__}: autograd graph of one forward pass",
        labelloc="t",
        fontsize="16",
    )
    try:
        png = dot.pipe(format="png")
    except graphviz.ExecutableNotFound:
        return (
            "Graphviz's `dot` is not installed, so the diagram was skipped; install it "
            "(apt-get install graphviz, brew install graphviz) and rerun"
        )
    with atomic_path(path) as tmp:
        tmp.write_bytes(png)
    return None


def first_digits(images, labels: list[int], path: Path) -> Path:
    """The first test digits, titled with their ground truth."""
    fig = plots.image_grid(
        images[: len(labels)],
        [f"ground truth: {y}" for y in labels],
        ncols=3,
        suptitle=f"The first {len(labels)} MNIST test digits",
        cell=2.2,
    )
    return plots.save_figure(fig, path)


def training_curves(hist: training.History, loss_path: Path, acc_path: Path) -> None:
    """The running training loss and each epoch's test loss; each epoch's training and test accuracy."""
    plt = plots.plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(hist.examples_seen, hist.train_loss, color="tab:blue", lw=1, label="training loss (running)")
    ax.plot(
        hist.epoch_examples, hist.test_loss, "o-", color="tab:red", ms=7, label="test loss (end of epoch)"
    )
    ax.set_xlabel("training examples seen")
    ax.set_ylabel("negative log-likelihood loss")
    ax.set_title("Training and test loss")
    ax.legend()
    ax.grid(alpha=0.3)
    plots.save_figure(fig, loss_path)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(hist.epoch, [100 * a for a in hist.train_acc], "o-", label="training set")
    ax.plot(hist.epoch, [100 * a for a in hist.test_acc], "s-", label="test set")
    for e, a in zip(hist.epoch, hist.test_acc):
        ax.annotate(
            f"{100 * a:.2f}",
            (e, 100 * a),
            textcoords="offset points",
            xytext=(0, -18),
            ha="center",
            color="tab:orange",
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85),
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.set_xticks(hist.epoch)
    ax.set_title("Accuracy after each epoch")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    plots.save_figure(fig, acc_path)


def prediction_grid(images, predicted: list[int], labels: list[int], path: Path) -> Path:
    """The first nine images titled with their predictions (green right, red wrong)."""
    titles = [f"prediction: {p}" for p in predicted[:9]]
    colors = ["green" if p == y else "red" for p, y in zip(predicted, labels)]
    fig = plots.image_grid(
        images[:9],
        titles,
        ncols=3,
        cell=2.2,
        title_colors=colors,
        suptitle="The saved model on the first 9 test digits",
    )
    return plots.save_figure(fig, path)


def own_digit_pairs(
    images: imagefiles.ImageSet, predicted: list[int], figs: Path, figure_name: str, per_figure: int = 30
) -> list[Path]:
    """Each original photo beside its 28x28 network input, titled with the prediction (figure_name
    has a {} for the figure's number); an image that may not hold one digit says so, in orange."""
    paths = []
    for start in range(0, len(images.paths), per_figure):
        idx = range(start, min(start + per_figure, len(images.paths)))
        names = [
            f"{images.groups[i]}/{images.paths[i].name}" if images.groups[i] else images.paths[i].name
            for i in idx
        ]
        labels = [images.labels[i] for i in idx]
        doubts = [images.doubts[i] if i < len(images.doubts) else None for i in idx]
        bottom = [
            f"pred {predicted[i]}" + (f" (true {y})" if y else "") + ("\nnot one digit?" if d else "")
            for i, y, d in zip(idx, labels, doubts)
        ]
        colors = [
            ("darkorange" if d else "green") if y is None or int(y) == predicted[i] else "red"
            for i, y, d in zip(idx, labels, doubts)
        ]
        title = f"Own digits {start + 1}-{idx[-1] + 1}: photo, then the 28x28 input and prediction"
        fig = plots.pairs_grid(
            [imagefiles.read_image(images.paths[i]) for i in idx],
            images.images[list(idx)],
            names,
            bottom,
            colors,
            ncols=5,
            suptitle=title,
        )
        paths.append(plots.save_figure(fig, figs / figure_name.format(start // per_figure + 1)))
    return paths


def sheet_boxes(sheet: sheets.Sheet, path: Path) -> Path:
    """The sheet with a numbered box round each digit found and its prediction (green right,
    red wrong, blue when there is no label)."""
    plt = plots.plt
    photo = imagefiles.read_image(sheet.path).convert("RGB")
    fig, ax = plt.subplots(figsize=(min(16, 3 + photo.width / 120), min(12, 1.5 + photo.height / 120)))
    ax.imshow(photo)
    for k, ((x0, y0, x1, y1), pred) in enumerate(zip(sheet.boxes, sheet.predicted)):
        truth = sheet.labels[k] if sheet.labels and k < len(sheet.labels) else None
        colour = "tab:blue" if truth is None else ("tab:green" if int(truth) == pred else "tab:red")
        ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2, color=colour))
        note = "" if truth is None or int(truth) == pred else f" (is {truth})"
        ax.text(
            x0,
            y0 - 4,
            f"#{k + 1}: {pred}{note}",
            color="white",
            fontsize=11,
            va="bottom",
            bbox=dict(fc=colour, ec="none", pad=1.5),
        )
    result = sheets.score(sheet)
    ax.set_title(
        f"{sheet.path.name}: {len(sheet.boxes)} digits found"
        + (f", {result[0]}/{result[1]} read right" if result else "")
    )
    ax.axis("off")
    return plots.save_figure(fig, path)
