"""What the explorer page shows for one 28x28 input: every network's answer, the conv blocks'
feature maps, Captum's Saliency and Grad-CAM, and, for Greek letters, the answer of the reader
chosen on the selection writers (recognition/readers.py; a near-tie flagged), the nearest reference
letters in the embedding space and the 50-d layer's 1-NN, KNN and transfer-layer answers beside it.

Everything slow (checkpoints, the Greek reference set and its embeddings, the letter layer) is
done once, when the `Explorer` is built at start-up.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

import netlib
from recognition import attribution, cli, embedding, readers
from recognition.data import datasets, greeksets, imagefiles

DIGITS = [str(d) for d in range(10)]
# The page's first network gives the feature maps, Grad-CAM and the Greek embedding: a kind with the
# course's two conv blocks. Transformers join the comparison beside it.
CONV_KINDS = ("cnn", "gabor")
NEIGHBOURS = 5  # reference letters listed on the page
DECIMALS = 3  # JSON numbers: enough for a picture, a quarter of the bytes
ATTRIBUTIONS = {
    "saliency": attribution.saliency,
    "integrated_gradients": attribution.integrated_gradients,
    "gradcam": attribution.grad_cam,
}


def load_digit_networks(path: str | Path) -> dict[str, nn.Module]:
    """Every digit network the page compares, by display name; the first one also gives the maps.

    The CNN at `path` comes first (its conv blocks give the maps); the transformers that
    `task1_train_mnist.py --arch transformer` saves beside it join when they are there.
    """
    model, _ = netlib.load_checkpoint(path, kinds=CONV_KINDS)
    networks = {"CNN": model}
    for preset in ("cpu", "course"):
        other = Path(path).parent / f"transformer_{preset}.pt"
        if other.is_file():
            networks[f"transformer ({preset})"], _ = netlib.load_checkpoint(other, kinds=("transformer",))
    return networks


@dataclass
class GreekReference:
    """The labelled reference letters, embedded once, and the letter network trained on them."""

    folder: Path
    files: list[str]
    labels: np.ndarray
    images: np.ndarray  # (N, 28, 28) inputs, for the page's thumbnails
    embeddings: np.ndarray  # (N, hidden)
    letters: list[str]
    letter_net: nn.Module  # the digit network with the transfer-learned letter layer
    k: int
    refs: readers.References  # the reference at every layer, for the readers
    chosen: readers.ReaderScore  # the reader chosen on the selection writers


def load_greek_reference(model: netlib.MnistNet, folder: Path | None, data_dir: Path) -> GreekReference:
    """Task 3's reference letters with their embeddings: `folder` as it is, or without one the
    built-in one in `data_dir` (alpha, beta, gamma, lambda, 24 images each; generated when missing);
    the reader is chosen on the built-in selection writers' letters of its letters."""
    if folder is None:
        with contextlib.redirect_stdout(
            sys.stderr
        ):  # a note on generating it: stdout's first line is the address
            folder = greeksets.wide_reference(data_dir, netlib.DEFAULT_SEED)
    elif not folder.is_dir():
        raise cli.UserError(
            f"--greek-dir {folder} is not a folder: give one sub-folder per letter "
            f"(alpha/x.png, ...), leave out --greek-dir for the built-in set, or pass "
            f"--no-greek"
        )
    ref = greeksets.load_reference(folder, "mnist", None, quiet=True)
    labels = np.asarray(ref.labels)
    emb = embedding.embed(model, ref.images)
    net, letters = attribution.letter_network(model, emb, ref.labels)
    refs = readers.References.of(model, ref)
    all_letters = greeksets.needs_all_letters(letters)
    with contextlib.redirect_stdout(sys.stderr):
        _, select = greeksets.load_selection(
            None, data_dir, all_letters, "mnist", letters, netlib.DEFAULT_SEED
        )
    return GreekReference(
        folder,
        [imagefiles.display_name(p, folder) for p in ref.paths],
        labels,
        ref.images.numpy(),
        emb,
        letters,
        net,
        embedding.capped_k(embedding.K, labels),
        refs,
        readers.choose(refs, select)[0],
    )


def rounded(a) -> list:
    return np.round(np.asarray(a, dtype=np.float64), DECIMALS).tolist()


class Explorer:
    """Answers for one preprocessed 28x28 image; one request at a time (Captum hooks the model)."""

    def __init__(self, networks: dict[str, nn.Module], greek: GreekReference | None):
        self.networks = networks
        self.cnn = next(iter(networks.values()))
        self.blocks = [netlib.conv_blocks_net(self.cnn, b) for b in (1, 2)]
        self.greek_reference = greek
        self.lock = threading.Lock()

    def info(self) -> dict:
        g = self.greek_reference
        return {
            "networks": list(self.networks),
            "letters": g.letters if g else [],
            "reference": str(g.folder) if g else None,
        }

    def digits(self, image: np.ndarray) -> dict:
        x = datasets.to_model_input(torch.from_numpy(image)[None])
        with self.lock:
            start = time.perf_counter()
            answers = [self._answer(name, net, x, DIGITS) for name, net in self.networks.items()]
            first = answers[0]
            out = {
                "prediction": first["prediction"],  # a class name, as in `networks` and Greek mode
                "probabilities": first["probabilities"],
                "networks": answers,
                **self._inside(self.cnn, x, DIGITS.index(first["prediction"])),
            }
            out["input"] = rounded(image)
            out["compute_ms"] = round(1000 * (time.perf_counter() - start), 1)
        return out

    def greek(self, image: np.ndarray) -> dict:
        g = self.greek_reference
        x = datasets.to_model_input(torch.from_numpy(image)[None])
        with self.lock:
            start = time.perf_counter()
            queries = readers.embed_all(self.cnn, torch.from_numpy(image)[None])
            d = embedding.ssd_matrix(queries[embedding.DEFAULT_LAYER], g.embeddings)
            transfer = self._answer("transfer layer", g.letter_net, x, g.letters)
            reading = g.refs.read(g.chosen.reader, queries)
            classifiers = {
                f"chosen: {g.chosen.reader.name}": str(reading.answers[0]),
                "1-NN": str(embedding.nearest_neighbour(d, g.labels)[0]),
                f"KNN vote (k={g.k})": str(embedding.knn_vote(d, g.labels, g.k)[0]),
                f"KNN sum (k={g.k})": str(embedding.knn_sum(d, g.labels, g.k)[0]),
                "transfer layer": transfer["prediction"],
            }
            nearest = np.argsort(d[0], kind="stable")[:NEIGHBOURS]
            out = {
                "prediction": str(reading.answers[0]),
                "reader": {
                    "name": g.chosen.reader.name,
                    "selection": list(g.chosen.selection),  # right, scored on the selection writers
                    "runner_up": str(reading.runners_up[0]),
                    "margin": round(float(reading.margins[0]), DECIMALS),
                    "near_tie": bool(reading.near_ties[0]),
                },
                "classifiers": classifiers,
                "transfer": transfer,
                "neighbours": [
                    {
                        "file": g.files[i],
                        "letter": str(g.labels[i]),
                        "ssd": round(float(d[0, i]), 2),
                        "input": rounded(g.images[i]),
                    }
                    for i in nearest
                ],
                **self._inside(g.letter_net, x, g.letters.index(transfer["prediction"])),
            }
            out["input"] = rounded(image)
            out["compute_ms"] = round(1000 * (time.perf_counter() - start), 1)
        return out

    @staticmethod
    def _answer(name: str, net: nn.Module, x: torch.Tensor, classes: list[str]) -> dict:
        with torch.inference_mode():
            p = net(x).exp()[0].numpy()
        top = np.argsort(-p, kind="stable")[:3]
        return {
            "name": name,
            "prediction": classes[top[0]],
            "classes": classes,
            "probabilities": rounded(p),
            "top3": [{"class": classes[i], "probability": rounded(p[i])} for i in top],
        }

    def _inside(self, net: nn.Module, x: torch.Tensor, target: int) -> dict:
        """The conv blocks' outputs (shared by digit and letter networks) and the attributions for
        `target`, each scaled to [-1, 1] (saliency: [0, 1])."""
        with torch.inference_mode():
            maps = [b(x)[0].numpy() for b in self.blocks]
        heat = {
            name: rounded(attribution.unit_scale(method(net, x, target)))
            for name, method in ATTRIBUTIONS.items()
        }
        return {"feature_maps": {"block1": rounded(maps[0]), "block2": rounded(maps[1])}, **heat}
