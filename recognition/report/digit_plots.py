"""Figures of a digit network (Task 1's): its layers and its autograd graph, its training curves, and
its predictions on test digits, on own digit photos and on photographed sheets."""

from __future__ import annotations

from pathlib import Path

import torch

import netlib
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


LAYER_COLOURS = {"Conv2d": "#cfe2f3", "MaxPool2d": "#d9ead3", "Linear": "#fce5cd", "Dropout": "#eeeeee"}


def layer_rows(model: torch.nn.Module, input_shape=(1, 1, 28, 28)) -> list[tuple[str, str, str, int]]:
    """(name, what it is, output shape, parameters) of every layer a forward pass runs, in its order,
    between the input and the output."""
    found = []

    def record(name):
        return lambda module, args, out: found.append((name, module, tuple(out.shape[1:])))

    leaves = [(n, m) for n, m in model.named_modules() if n and not list(m.children())]
    hooks = [m.register_forward_hook(record(n)) for n, m in leaves]
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.zeros(input_shape, device=next(model.parameters()).device))
    finally:
        for hook in hooks:
            hook.remove()
    # what the course network's forward does between its layers (functional, so no hook sees it)
    between = {"pool1": ", then ReLU", "pool2": ", then ReLU", "fc1": ", then ReLU"}
    between = between if isinstance(model, netlib.MnistNet) else {}
    rows = [("input", "a 28x28 grey image", " x ".join(map(str, input_shape[1:])), 0)]
    for name, module, shape in found:
        params = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append(
            (name, describe_layer(module) + between.get(name, ""), " x ".join(map(str, shape)), params)
        )
    rows.append(("output", "log-probabilities of the 10 digits", " x ".join(map(str, out.shape[1:])), 0))
    return rows


def describe_layer(module: torch.nn.Module) -> str:
    kind = type(module).__name__
    if isinstance(module, torch.nn.Conv2d):
        k = "x".join(map(str, module.kernel_size))
        return f"{kind}: {module.in_channels} -> {module.out_channels} channels, {k} kernels"
    if isinstance(module, torch.nn.MaxPool2d):
        return f"{kind}: {module.kernel_size}x{module.kernel_size} windows"
    if isinstance(module, torch.nn.Linear):
        return f"{kind}: {module.in_features} -> {module.out_features}"
    if isinstance(module, torch.nn.modules.dropout._DropoutNd):
        return f"{kind}: p = {module.p:g} while training"
    return kind


def layer_diagram(model: torch.nn.Module, path: Path) -> Path:
    """The network drawn layer by layer: each a box with what it is, its output shape and its
    parameter count, top to bottom, as one forward pass runs them."""
    plt = plots.plt
    rows = layer_rows(model)
    fig, ax = plt.subplots(figsize=(7.2, 0.78 * len(rows) + 0.9))
    ax.set(xlim=(0, 1), ylim=(len(rows) - 0.4, -0.9))
    ax.axis("off")
    for i, (name, what, shape, params) in enumerate(rows):
        colour = next((c for k, c in LAYER_COLOURS.items() if k in what), "#ffffff")
        ax.add_patch(
            plt.Rectangle((0.03, i - 0.32), 0.94, 0.64, facecolor=colour, edgecolor="#444444", lw=1.2)
        )
        ax.text(0.06, i - 0.1, f"{name}   {what}", fontsize=10.5, fontweight="bold", va="center")
        count = f"{params:,} parameters" if params else "no parameters"
        ax.text(0.06, i + 0.16, f"output {shape}   ·   {count}", fontsize=10, va="center", color="#222222")
        if i + 1 < len(rows):
            ax.annotate("", (0.5, i + 0.68), (0.5, i + 0.32), arrowprops=dict(arrowstyle="->", lw=1.2))
    total = sum(r[3] for r in rows)
    ax.set_title(f"{type(model).__name__}: {len(rows) - 2} layers, {total:,} parameters", fontsize=12)
    return plots.save_figure(fig, path)


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
