"""Adapting the readers to a person's own examples, in seconds, seeded; the base is never changed.

Digits: a copy of the digit network whose last layer (fc2) is fine-tuned on the person's 28x28
examples, together with a few hundred MNIST training images (replay), so that the digits they did
not teach are read as before. Only fc2 learns, on the frozen layers' embeddings, so it takes a
fraction of a second; the result is an ordinary checkpoint (`--model` of every script reads it),
saved beside the base model as MODELS/personal/<name>_digits.pt.

Letters: the person's examples join the reference set. The answer is 1-NN at the layer and
distance Task 3 chose on the selection writers; the transfer layer (Task 3 g) is retrained on the
joined set. The adapted reader is saved as MODELS/personal/<name>_letters.pt: the examples it
joined (uint8 inputs and labels), so it is rebuilt as it was, whatever the folder holds later.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import netlib
from recognition import embedding
from recognition.data import datasets
from recognition.io import write_torch

REPLAY = 300  # MNIST training images fine-tuned with the person's digits
DIGIT_STEPS = 100  # full-batch Adam steps on fc2
DIGIT_LR = 0.01
ANCHOR = 0.01  # pull towards the base fc2 (what keeps untaught digits when MNIST is missing)
PERSONAL = "personal"  # the personal checkpoints' folder, beside the base model


def personal_checkpoint(base_model: str | Path, name: str, kind: str) -> Path:
    """Where a person's adapted reader is saved: beside the base model, in personal/."""
    return Path(base_model).parent / PERSONAL / f"{name}_{kind}.pt"


def replay_set(data_dir: str | Path, seed: int = netlib.DEFAULT_SEED, n: int = REPLAY):
    """`n` MNIST training images (N, 28, 28) in [0, 1] and their labels, chosen by `seed`; None
    when MNIST is not in `data_dir` (the fine-tuning then keeps close to the base layer instead)."""
    try:
        return replay_from(datasets.load_mnist(data_dir, download=False), seed, n)
    except (datasets.MissingData, OSError):
        return None


def replay_from(mnist: datasets.Mnist, seed: int = netlib.DEFAULT_SEED, n: int = REPLAY):
    """`n` of `mnist`'s training images chosen by `seed`, and their labels (see replay_set)."""
    n = min(n, len(mnist.train_labels))
    pick = torch.from_numpy(np.random.default_rng(seed).choice(len(mnist.train_labels), n, replace=False))
    return mnist.train_images[pick].float() / 255.0, mnist.train_labels[pick].long()


def warm_up() -> None:
    """Make the first optimizer now: it imports torch's compiler once per process (seconds), which
    would otherwise be timed as the first adapting."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


@torch.no_grad()  # not inference_mode: fc2's fine-tuning saves these for its backward pass
def _hidden(model: netlib.MnistNet, images: torch.Tensor) -> torch.Tensor:
    return model.embed(datasets.to_model_input(images)) if len(images) else torch.zeros(0, model.hidden)


def adapt_digits(
    model: netlib.MnistNet,
    images,
    labels,
    replay=None,
    seed: int = netlib.DEFAULT_SEED,
    steps: int = DIGIT_STEPS,
    lr: float = DIGIT_LR,
) -> netlib.MnistNet:
    """A copy of `model` whose fc2 is fine-tuned on (N, 28, 28) `images` of digit `labels` (and the
    `replay` images, weighted as much as the person's); every other layer is the base's."""
    images = torch.as_tensor(np.asarray(images, np.float32))
    y = torch.tensor([int(label) for label in labels], dtype=torch.long)
    net = copy.deepcopy(model).cpu().eval()
    if len(y) == 0:
        return net
    parts = [(_hidden(net, images), y)]
    if replay is not None:
        parts.append((_hidden(net, replay[0]), replay[1]))
    torch.manual_seed(seed)
    base = [p.detach().clone() for p in net.fc2.parameters()]
    opt = torch.optim.Adam(net.fc2.parameters(), lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            loss = sum(F.cross_entropy(net.fc2(h), t) for h, t in parts)
            loss = loss + ANCHOR * sum(((p - b) ** 2).sum() for p, b in zip(net.fc2.parameters(), base))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


def save_personal_digits(
    net: netlib.MnistNet, path: Path, base_model: Path, files: list[str], seed: int
) -> Path:
    """The adapted digit network as an ordinary checkpoint (never the base model's own file); its
    metadata names the base model and the examples (`files`) it was adapted to."""
    if Path(path).resolve() == Path(base_model).resolve():
        raise ValueError(f"refusing to overwrite the base model {base_model}")
    personal = {"base": str(base_model), "files": list(files), "seed": seed, "steps": DIGIT_STEPS}
    return netlib.save_checkpoint(net, path, personal=personal)


@dataclass
class LetterReader:
    """Letters read against a reference set (the base one, or with a person's examples joined)."""

    layer: str  # the chosen layer and distance (Task 3's choice on the selection writers)
    distance: str
    labels: np.ndarray  # (N,) the reference's letters
    chosen: np.ndarray  # (N, width) embeddings at `layer`
    hidden: np.ndarray  # (N, hidden) 50-d embeddings: SSD, the KNN rules and the transfer layer
    classes: list[str]
    letter_net: netlib.MnistNet  # the digit network with the transfer-learned letter layer
    joined: int  # how many of the reference images are the person's

    def distances(self, model: netlib.MnistNet, images) -> np.ndarray:
        """The chosen distance from each of (M, 28, 28) `images` to every reference image."""
        emb = embedding.embed(model, torch.as_tensor(np.asarray(images, np.float32)), layer=self.layer)
        return embedding.DISTANCES[self.distance](emb, self.chosen)

    def read(self, model: netlib.MnistNet, images) -> np.ndarray:
        """The chosen reader's answers: 1-NN at the chosen layer and distance."""
        return embedding.nearest_neighbour(self.distances(model, images), self.labels)


def _letter_layer(model, hidden: np.ndarray, labels: list[str], seed: int):
    classes = list(dict.fromkeys(labels))
    y = np.array([classes.index(label) for label in labels])
    weight, bias = embedding.fit_linear_heads(hidden, y, len(classes), np.ones((1, len(y)), bool), seed=seed)
    return classes, embedding.transfer_network(model, weight[0], bias[0])


def letter_reader(
    model: netlib.MnistNet, images, labels, layer: str, distance: str, seed: int = netlib.DEFAULT_SEED
) -> LetterReader:
    """The reference set embedded at the chosen layer and at the 50-d layer, and the transfer layer
    trained on it: the base reader."""
    images = torch.as_tensor(np.asarray(images, np.float32))
    hidden = embedding.embed(model, images)
    chosen = hidden if layer == embedding.DEFAULT_LAYER else embedding.embed(model, images, layer=layer)
    classes, net = _letter_layer(model, hidden, list(labels), seed)
    return LetterReader(layer, distance, np.asarray(labels), chosen, hidden, classes, net, joined=0)


def join_examples(
    model: netlib.MnistNet, base: LetterReader, images, labels, seed: int = netlib.DEFAULT_SEED
) -> LetterReader:
    """The base reader with a person's examples joined to its reference and its transfer layer
    retrained on the joined set (only the examples are embedded: the reference's are reused)."""
    if len(labels) == 0:
        return base
    images = torch.as_tensor(np.asarray(images, np.float32))
    hidden = embedding.embed(model, images)
    chosen = (
        hidden if base.layer == embedding.DEFAULT_LAYER else embedding.embed(model, images, layer=base.layer)
    )
    all_labels = [*base.labels.tolist(), *labels]
    all_hidden = np.concatenate([base.hidden, hidden])
    classes, net = _letter_layer(model, all_hidden, all_labels, seed)
    return LetterReader(
        base.layer,
        base.distance,
        np.asarray(all_labels),
        np.concatenate([base.chosen, chosen]),
        all_hidden,
        classes,
        net,
        joined=base.joined + len(labels),
    )


def save_personal_letters(path: Path, images, labels, files: list[str], seed: int) -> Path:
    """The examples a letter reader joined, as uint8 inputs, labels and file names (torch.load with
    weights_only reads it back)."""
    pixels = torch.from_numpy(np.rint(np.clip(np.asarray(images, np.float32), 0, 1) * 255).astype(np.uint8))
    blob = {"images": pixels, "labels": list(labels), "files": list(files), "seed": int(seed)}
    return write_torch(path, blob)


def load_personal_letters(path: Path) -> tuple[np.ndarray, list[str], list[str], int] | None:
    """(images, labels, files, seed) saved by save_personal_letters; None when missing or unreadable."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        images = blob["images"].numpy().astype(np.float32) / 255.0
        labels, files = [str(v) for v in blob["labels"]], [str(v) for v in blob["files"]]
        if images.shape != (len(labels), 28, 28) or len(files) != len(labels):
            return None
        return images, labels, files, int(blob.get("seed", netlib.DEFAULT_SEED))
    except Exception:  # missing, damaged or foreign: the person adapts again
        return None
