"""Classifying in a network's embedding space: embeddings, SSD distances, 1-NN, two KNN rules,
leave-one-out, a transfer-learned last layer, and the comparison of layers; every classifier's
accuracy on a reference and an own set (Task 3 and its extensions).

Labels are plain arrays of class names; every classifier takes a distance matrix (queries x
references) and the references' labels, so leave-one-out only has to drop one column per query.
Their printed lines, report rows and figures are in recognition.report (embedding_text, embedding_plots).
"""

from __future__ import annotations

import collections
import copy
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import netlib
from recognition.data import datasets, imagefiles

Classifier = Callable[[np.ndarray, np.ndarray], np.ndarray]

# The one home of the classifiers' defaults.
K = 9  # neighbours for both KNN rules (the report: 9)
TRANSFER_STEPS = 200  # full-batch Adam steps for the letter layer
TRANSFER_LR = 0.03  # its Adam learning rate
CLASSIFIERS = ("1-NN", "KNN vote", "KNN sum", "transfer")  # their fields in results: ClassifierHits
SETS = ("leave-one-out", "own")
Hits = tuple[int, int]  # (right, scored)


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
    """Sum of squared differences between every row of `a` and every row of `b` (exact, float64),
    a few rows of `a` at a time: all at once held GBs of differences for raw pixels."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    out, rows = np.empty((len(a), len(b))), max(1, 2**22 // max(1, b.size))
    for i in range(0, len(a), rows):
        out[i : i + rows] = ((a[i : i + rows, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    return out


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


@dataclass
class LayerScore:
    """1-NN at one layer with one distance: reference leave-one-out and another set's letters."""

    layer: str  # one of LAYERS
    distance: str  # one of DISTANCES
    width: int
    reference_loo: Hits
    other_writers: Hits
    per_writer: dict[str, Hits]  # the other set's writers (first-level folders; "all" without)
    confused: dict[str, int]  # "alpha->beta": count, for every wrong answer on the other set
    network: str = "digit"  # whose layer: the digit network's, or one fine-tuned for letters


def compare_layers(
    model: netlib.MnistNet, ref: imagefiles.ImageSet, other: imagefiles.ImageSet
) -> list[LayerScore]:
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
                LayerScore(
                    layer=layer,
                    distance=distance,
                    width=int(ref_emb.shape[1]),
                    reference_loo=(int((loo == ref_labels).sum()), len(ref_labels)),
                    other_writers=(int(hits.sum()), len(hits)),
                    per_writer={
                        g: (int(hits[groups == g].sum()), int((groups == g).sum()))
                        for g in sorted(set(groups))
                    },
                    confused=confusions(pred, other_labels),
                )
            )
    return rows


def best_layer(rows: list[LayerScore]) -> LayerScore:
    """The row with the most right answers over both columns; ties go to the assignment's layer and SSD."""
    return max(
        rows,
        key=lambda r: (
            r.other_writers[0] + r.reference_loo[0],
            r.layer == DEFAULT_LAYER,
            r.distance == "SSD",
        ),
    )


def confusions(pred: np.ndarray, truth: np.ndarray) -> dict[str, int]:
    """'alpha->beta': count, for every wrong answer."""
    out = collections.Counter(f"{t}->{p}" for p, t in zip(pred, truth) if p != t)
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


@dataclass
class KUsed:
    """The k the KNN rules really used: capped at the smallest letter's number of candidates."""

    leave_one_out: int
    own: int


@dataclass
class Classification:
    """Every classifier's answers: leave-one-out on the reference set, and on the own set."""

    classes: list[str]  # the reference letters, in the reference set's (alphabet) order
    d_ref: np.ndarray  # SSD between the reference embeddings (square)
    d_own: np.ndarray  # SSD from each own embedding to each reference embedding
    leave_one_out: dict[str, np.ndarray]  # per classifier (CLASSIFIERS): a letter per reference image
    own: dict[str, np.ndarray]  # per classifier: a letter per own image
    transfer_layer: tuple[torch.Tensor, torch.Tensor]  # the letter layer trained on every reference image
    k_used: KUsed

    def answers(self, part: str) -> dict[str, np.ndarray]:
        """The answers of one evaluation of SETS."""
        return {"leave-one-out": self.leave_one_out, "own": self.own}[part]


def classify_all(
    ref_emb,
    ref_labels,
    own_emb,
    k: int = K,
    steps: int = TRANSFER_STEPS,
    lr: float = TRANSFER_LR,
    seed: int = netlib.DEFAULT_SEED,
) -> Classification:
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
    return Classification(
        classes=classes,
        d_ref=d_ref,
        d_own=d_own,
        leave_one_out=loo,
        own=own,
        transfer_layer=(weight[0], bias[0]),
        k_used=KUsed(
            leave_one_out=min(capped_k(k, np.delete(ref_labels, i)) for i in range(len(y))),
            own=capped_k(k, ref_labels),
        ),
    )


def score(predicted, truth, classes) -> tuple[int, int, int]:
    """(correct, scored, unknown): images whose true letter is not a reference letter (or that
    have no label) cannot be right, so they are counted apart."""
    known = [(p, t) for p, t in zip(predicted, truth) if t in classes]
    return sum(p == t for p, t in known), len(known), len(truth) - len(known)


@dataclass
class ClassifierHits:
    """Each classifier's (right, scored), in the order of CLASSIFIERS."""

    one_nn: Hits
    knn_vote: Hits
    knn_sum: Hits
    transfer: Hits

    def of(self, classifier: str) -> Hits:
        return (self.one_nn, self.knn_vote, self.knn_sum, self.transfer)[CLASSIFIERS.index(classifier)]


@dataclass
class AccuracyTable:
    """Every classifier's (right, scored) in both evaluations."""

    leave_one_out: ClassifierHits
    own: ClassifierHits
    own_unknown: int  # own images of letters the reference set lacks (or unlabelled): not scored
    k_used: KUsed

    def part(self, name: str) -> ClassifierHits:
        """The scores of one evaluation of SETS."""
        return {"leave-one-out": self.leave_one_out, "own": self.own}[name]


def accuracy_table(result: Classification, ref_labels, own_labels) -> AccuracyTable:
    truth = {"leave-one-out": list(ref_labels), "own": list(own_labels)}
    hits = {
        s: ClassifierHits(*(score(result.answers(s)[c], truth[s], result.classes)[:2] for c in CLASSIFIERS))
        for s in SETS
    }
    return AccuracyTable(
        leave_one_out=hits["leave-one-out"],
        own=hits["own"],
        own_unknown=score(result.own["1-NN"], own_labels, result.classes)[2],
        k_used=result.k_used,
    )


def classify_and_score(
    model: netlib.MnistNet,
    ref: imagefiles.ImageSet,
    own: imagefiles.ImageSet,
    k: int = K,
    steps: int = TRANSFER_STEPS,
    lr: float = TRANSFER_LR,
    seed: int = netlib.DEFAULT_SEED,
) -> tuple[Classification, AccuracyTable, np.ndarray, np.ndarray]:
    """Embed both sets with `model`, classify, score: (result, accuracy table, ref and own embeddings)."""
    ref_emb, own_emb = embed(model, ref.images), embed(model, own.images)
    result = classify_all(ref_emb, ref.labels, own_emb, k, steps, lr, seed)
    return result, accuracy_table(result, ref.labels, own.labels), ref_emb, own_emb
