"""Classifying in a network's embedding space: embeddings, SSD distances, 1-NN, two KNN rules,
leave-one-out, and a transfer-learned last layer; every classifier's accuracy on a reference
and an own set (Task 3 and its extensions), confusion matrices and pictures of the embeddings.

Labels are plain arrays of class names; every classifier takes a distance matrix (queries x
references) and the references' labels, so leave-one-out only has to drop one column per query.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import netlib
from recognition import cli, training
from recognition.data import datasets, imagefiles
from recognition.report import plots
from recognition.report.markdown import fraction

Classifier = Callable[[np.ndarray, np.ndarray], np.ndarray]

# The one home of the classifiers' defaults.
K = 9  # neighbours for both KNN rules (the report: 9)
TRANSFER_STEPS = 200  # full-batch Adam steps for the letter layer
TRANSFER_LR = 0.03  # its Adam learning rate
CLASSIFIERS = ("1-NN", "KNN vote", "KNN sum", "transfer")
SETS = ("leave-one-out", "own")


def positive_int(flag: str, example: int) -> Callable[[str], int]:
    """argparse type for a count: the error names the flag and an example."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(
                f"{flag} expects a positive integer such as {example}, got {text!r}"
            )
        return value

    return parse


def add_classifier_flags(p: argparse.ArgumentParser) -> None:
    """--k, --transfer-steps and --transfer-lr, with the defaults above: every script that classifies
    letters offers the same ones."""
    p.add_argument(
        "--k",
        type=positive_int("--k", K),
        default=K,
        help=f"neighbours for both KNN rules (the report: {K}), capped at the smallest letter's "
        "number of reference images",
    )
    p.add_argument(
        "--transfer-steps",
        type=positive_int("--transfer-steps", TRANSFER_STEPS),
        default=TRANSFER_STEPS,
        help="full-batch Adam steps for the letter layer",
    )
    p.add_argument(
        "--transfer-lr", type=float, default=TRANSFER_LR, help="Adam learning rate for the letter layer"
    )


def load_model(path: Path) -> tuple[netlib.MnistNet, dict]:
    """The digit network whose embeddings are used; a missing or unreadable file is the user's to fix."""
    try:
        return netlib.load_checkpoint(path)
    except netlib.CheckpointError as err:
        raise cli.UserError(str(err)) from err


# Where an image can be embedded (extensions/embedding_layers.py compares them): raw pixels, the
# 320-d output of the convolution blocks, the 50-d layer before and after its ReLU (the assignment's).
LAYERS = ("pixels", "conv", "hidden_pre_relu", "hidden")
DEFAULT_LAYER = "hidden"


@torch.inference_mode()
def embed(
    model: netlib.MnistNet, images: torch.Tensor, batch_size: int = 512, layer: str = DEFAULT_LAYER
) -> np.ndarray:
    """(N, 28, 28) images in [0, 1] -> (N, width) float64 embeddings at `layer` (one of LAYERS);
    the default is the output of all but the last layer (`hidden` wide)."""
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, got {layer!r}")
    x = datasets.to_model_input(images)
    if layer == "pixels":
        return x.flatten(1).double().numpy()
    conv = netlib.conv_blocks_net(model, 2)
    net = {
        "conv": lambda t: conv(t).flatten(1),
        "hidden_pre_relu": lambda t: model.fc1(conv(t).flatten(1)),
        "hidden": netlib.embedding_net(model),
    }[layer]
    model.eval()
    device = next(model.parameters()).device
    parts = [net(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)]
    width = {"conv": 320, "hidden_pre_relu": model.hidden, "hidden": model.hidden}[layer]
    return torch.cat(parts).double().numpy() if parts else np.zeros((0, width))


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 - cosine similarity between every row of `a` and every row of `b` (0 = same direction)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return 1 - a @ b.T


def ssd_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum of squared differences between every row of `a` and every row of `b` (exact, float64)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)


DISTANCES = {"SSD": ssd_matrix, "cosine": cosine_matrix}


def capped_k(k: int, ref_labels: np.ndarray) -> int:
    """k, but no more than the smallest class has images, so every letter can supply k of them."""
    _, counts = np.unique(ref_labels, return_counts=True)
    return int(min(k, counts.min()))


def nearest_neighbour(d: np.ndarray, ref_labels: np.ndarray) -> np.ndarray:
    return np.asarray(ref_labels)[np.argmin(d, axis=1)]


def knn_vote(d: np.ndarray, ref_labels: np.ndarray, k: int) -> np.ndarray:
    """Majority vote of the k nearest; a tie goes to the tied letter with the smaller summed SSD."""
    ref_labels = np.asarray(ref_labels)
    k = capped_k(k, ref_labels)
    predicted = []
    for row in d:
        nearest = np.argsort(row, kind="stable")[:k]
        letters, votes = np.unique(ref_labels[nearest], return_counts=True)
        tied = letters[votes == votes.max()]
        summed = [row[nearest][ref_labels[nearest] == letter].sum() for letter in tied]
        predicted.append(tied[int(np.argmin(summed))])
    return np.array(predicted)


def knn_sum(d: np.ndarray, ref_labels: np.ndarray, k: int) -> np.ndarray:
    """The report's rule: per letter, the sum of its k smallest SSDs; the smallest sum wins."""
    ref_labels = np.asarray(ref_labels)
    k = capped_k(k, ref_labels)
    letters = np.unique(ref_labels)
    sums = np.stack([np.sort(d[:, ref_labels == letter], axis=1)[:, :k].sum(axis=1) for letter in letters], 1)
    return letters[np.argmin(sums, axis=1)]


def leave_one_out(d: np.ndarray, labels: np.ndarray, classify: Classifier) -> np.ndarray:
    """Classify each reference image against all the others (`d` is the square reference SSD matrix)."""
    labels = np.asarray(labels)
    predicted = []
    for i in range(len(labels)):
        others = np.arange(len(labels)) != i
        predicted.append(classify(d[i : i + 1, others], labels[others])[0])
    return np.array(predicted)


def compare_layers(
    model: netlib.MnistNet, ref: imagefiles.ImageSet, other: imagefiles.ImageSet
) -> list[dict]:
    """1-NN accuracy for every layer (LAYERS) and distance (DISTANCES): leave-one-out on the
    reference set, and `other` writers' letters against the whole reference set (overall and per
    writer: the first-level folder). Only `other`'s images of the reference's letters count."""
    classes = sorted({label for label in ref.labels if label is not None})
    keep_ref = [i for i, label in enumerate(ref.labels) if label in classes]
    keep_other = [i for i, label in enumerate(other.labels) if label in classes]
    ref_labels = np.array([ref.labels[i] for i in keep_ref])
    other_labels = np.array([other.labels[i] for i in keep_other])
    groups = np.array([other.groups[i] or "all" for i in keep_other])
    rows = []
    for layer in LAYERS:
        ref_emb = embed(model, ref.images[keep_ref], layer=layer)
        other_emb = embed(model, other.images[keep_other], layer=layer)
        for distance, measure in DISTANCES.items():
            loo = leave_one_out(measure(ref_emb, ref_emb), ref_labels, nearest_neighbour)
            pred = nearest_neighbour(measure(other_emb, ref_emb), ref_labels)
            hits = pred == other_labels
            rows.append(
                {
                    "layer": layer,
                    "distance": distance,
                    "width": int(ref_emb.shape[1]),
                    "reference_loo": [int((loo == ref_labels).sum()), len(ref_labels)],
                    "other_writers": [int(hits.sum()), len(hits)],
                    "per_writer": {
                        g: [int(hits[groups == g].sum()), int((groups == g).sum())]
                        for g in sorted(set(groups))
                    },
                    "confused": confusions(pred, other_labels),
                }
            )
    return rows


def best_layer(rows: list[dict]) -> dict:
    """The row with the most right answers over both columns; ties go to the assignment's layer and SSD."""
    return max(
        rows,
        key=lambda r: (
            r["other_writers"][0] + r["reference_loo"][0],
            r["layer"] == DEFAULT_LAYER,
            r["distance"] == "SSD",
        ),
    )


def confusions(pred: np.ndarray, truth: np.ndarray) -> dict[str, int]:
    """'alpha->beta': count, for every wrong answer."""
    out: dict[str, int] = {}
    for p, t in zip(pred, truth):
        if p != t:
            out[f"{t}->{p}"] = out.get(f"{t}->{p}", 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


# ---------------------------------------------------------------------------------------------
# Transfer learning: a new last layer on the frozen network.
#
# The frozen layers are deterministic in eval mode, so training the new layer on precomputed
# embeddings is exactly training it inside the network, only without rerunning the convolutions.


def fit_linear_heads(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    train_masks: np.ndarray,
    steps: int = TRANSFER_STEPS,
    lr: float = TRANSFER_LR,
    seed: int = netlib.DEFAULT_SEED,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Train one softmax layer per row of `train_masks` (F, N) on the rows of `x` it marks.

    All F layers start from the same seeded nn.Linear-style initialisation and are trained
    together with full-batch Adam. Each layer's loss only involves its own weights and Adam
    updates every weight on its own, so this is F independent trainings done in one tensor.
    Returns weights (F, n_classes, hidden) and biases (F, n_classes).
    """
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    masks = torch.as_tensor(np.asarray(train_masks), dtype=torch.float32)
    folds, hidden = len(masks), x.shape[1]
    gen = torch.Generator().manual_seed(seed)
    bound = 1 / hidden**0.5
    weight = ((torch.rand(n_classes, hidden, generator=gen) * 2 - 1) * bound).repeat(folds, 1, 1)
    bias = ((torch.rand(n_classes, generator=gen) * 2 - 1) * bound).repeat(folds, 1)
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    opt = torch.optim.Adam([weight, bias], lr=lr)
    targets = y.expand(folds, -1)
    for _ in range(steps):
        logits = torch.einsum("nh,fch->fcn", x, weight) + bias[:, :, None]  # (F, C, N) for cross_entropy
        per_image = F.cross_entropy(logits, targets, reduction="none")  # (F, N)
        loss = ((per_image * masks).sum(1) / masks.sum(1).clamp(min=1)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return weight.detach(), bias.detach()


def head_predict(x: np.ndarray, weight: torch.Tensor, bias: torch.Tensor) -> np.ndarray:
    """Class indices from one layer (weight (C, hidden), bias (C,)) applied to embeddings (N, hidden)."""
    logits = torch.as_tensor(np.asarray(x), dtype=torch.float32) @ weight.T + bias
    return logits.argmax(1).numpy()


def transfer_leave_one_out(x: np.ndarray, labels: np.ndarray, classes: Sequence[str], **fit) -> np.ndarray:
    """Leave-one-out for the transfer layer: N trainings, each without its held-out image."""
    y = np.array([list(classes).index(label) for label in labels])
    masks = ~np.eye(len(y), dtype=bool)
    weight, bias = fit_linear_heads(x, y, len(classes), masks, **fit)
    held_out = [head_predict(x[i : i + 1], weight[i], bias[i])[0] for i in range(len(y))]
    return np.asarray(classes)[held_out]


def transfer_network(model: netlib.MnistNet, weight: torch.Tensor, bias: torch.Tensor) -> netlib.MnistNet:
    """A copy of the digit network, frozen, whose last layer is the trained letter layer."""
    net = copy.deepcopy(model).cpu().eval()
    for p in net.parameters():
        p.requires_grad_(False)
    net.fc2 = nn.Linear(net.hidden, len(weight))
    with torch.no_grad():
        net.fc2.weight.copy_(weight)
        net.fc2.bias.copy_(bias)
    return net


# ---------------------------------------------------------------------------------------------
# Every classifier on a reference set and an own set, and their accuracy


def classify_all(
    ref_emb,
    ref_labels,
    own_emb,
    k: int = K,
    steps: int = TRANSFER_STEPS,
    lr: float = TRANSFER_LR,
    seed: int = netlib.DEFAULT_SEED,
) -> dict:
    """Leave-one-out on the reference set and predictions for the own set, for every classifier."""
    classes = list(dict.fromkeys(ref_labels))  # in the reference set's (alphabet) order
    ref_labels = np.asarray(ref_labels)
    fit = {"steps": steps, "lr": lr, "seed": seed}
    d_ref, d_own = ssd_matrix(ref_emb, ref_emb), ssd_matrix(own_emb, ref_emb)
    rules = {
        "1-NN": nearest_neighbour,
        "KNN vote": lambda d, y: knn_vote(d, y, k),
        "KNN sum": lambda d, y: knn_sum(d, y, k),
    }
    loo = {name: leave_one_out(d_ref, ref_labels, rule) for name, rule in rules.items()}
    own = {name: rule(d_own, ref_labels) for name, rule in rules.items()}
    loo["transfer"] = transfer_leave_one_out(ref_emb, ref_labels, classes, **fit)
    y = np.array([classes.index(label) for label in ref_labels])
    weight, bias = fit_linear_heads(ref_emb, y, len(classes), np.ones((1, len(y)), bool), **fit)
    own["transfer"] = np.asarray(classes)[head_predict(own_emb, weight[0], bias[0])]
    return {
        "classes": classes,
        "d_ref": d_ref,
        "d_own": d_own,
        "leave-one-out": loo,
        "own": own,
        "transfer_layer": (weight[0], bias[0]),
        "k_used": {
            "leave-one-out": min(capped_k(k, np.delete(ref_labels, i)) for i in range(len(y))),
            "own": capped_k(k, ref_labels),
        },
    }


def score(predicted, truth, classes) -> tuple[int, int, int]:
    """(correct, scored, unknown): images whose true letter is not a reference letter (or that
    have no label) cannot be right, so they are counted apart."""
    known = [(p, t) for p, t in zip(predicted, truth) if t in classes]
    return sum(p == t for p, t in known), len(known), len(truth) - len(known)


def accuracy_table(result: dict, ref_labels, own_labels) -> dict:
    truth = {"leave-one-out": list(ref_labels), "own": list(own_labels)}
    table = {
        s: {c: list(score(result[s][c], truth[s], result["classes"])[:2]) for c in CLASSIFIERS} for s in SETS
    }
    table["own_unknown"] = score(result["own"]["1-NN"], own_labels, result["classes"])[2]
    table["k_used"] = result["k_used"]
    return table


def classify_and_score(
    model: netlib.MnistNet,
    ref: imagefiles.ImageSet,
    own: imagefiles.ImageSet,
    k: int = K,
    steps: int = TRANSFER_STEPS,
    lr: float = TRANSFER_LR,
    seed: int = netlib.DEFAULT_SEED,
):
    """Embed both sets with `model`, classify, score: (result, accuracy table, ref and own embeddings)."""
    ref_emb, own_emb = embed(model, ref.images), embed(model, own.images)
    result = classify_all(ref_emb, ref.labels, own_emb, k, steps, lr, seed)
    return result, accuracy_table(result, ref.labels, own.labels), ref_emb, own_emb


def accuracy_lines(table: dict, prefix: str = "") -> list[str]:
    """The printed accuracy of every classifier, in the one format every script prints."""
    lines = [
        f"  {prefix}" + training.accuracy_line(f"{s} {c}", *table[s][c]) for s in SETS for c in CLASSIFIERS
    ]
    if table["own_unknown"]:
        lines.append(
            f"  {prefix}own set: {table['own_unknown']} images of letters the reference set lacks "
            f"(or unlabelled) were classified but not scored"
        )
    return lines


def accuracy_rows(acc: dict, label: str = "") -> list[list]:
    """Report-table rows: one per evaluation (leave-one-out, own set) with each classifier's accuracy."""
    prefix = [label] if label else []
    return [prefix + [part] + [fraction(*acc[part][c]) for c in CLASSIFIERS] for part in SETS]


# ---------------------------------------------------------------------------------------------
# Confusion matrices


def confusion(predicted, truth, classes) -> np.ndarray:
    matrix = np.zeros((len(classes), len(classes)), dtype=int)
    for p, t in zip(predicted, truth):
        if t in classes:
            matrix[classes.index(t), classes.index(p)] += 1
    return matrix


def confusion_panels(result: dict, ref_labels, own_labels, table: dict, classifiers=CLASSIFIERS):
    truth = {"leave-one-out": ref_labels, "own": own_labels}
    panels = []
    for s in SETS:
        for c in classifiers:
            correct, total = table[s][c]
            matrix = confusion(result[s][c], truth[s], result["classes"])
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


def plot_projection(ref_emb, ref_labels, own_emb, own_labels, classes, seed: int, path: Path) -> dict:
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
    return {"pca_explained_variance": pca.explained_variance_ratio_.tolist(), "tsne_perplexity": perplexity}
