"""K shots: for each writer of a folder, K of their images per symbol adapt the reader and their
other images are scored. No image that adapted the reader is ever scored.

A writer is a first-level sub-folder (writer_0/3/x.png); a folder without them is one writer.
For a curve over several K the first max(K) images of each symbol (in file-name order) are kept
for adapting and the rest are scored, so every K is scored on the same images; K = 0 is the base
reader. The scripts' --shots K is the curve over (0, K).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

import netlib
from recognition import cli, flags
from recognition.data import datasets, imagefiles
from recognition.personal import adapt

SHOTS = (0, 1, 2, 3)  # the report's curve
ALL = "(one writer)"  # the writer of a folder without writer sub-folders


@dataclass
class WriterCurve:
    """One writer's right answers per K, on the same scored images."""

    writer: str
    scored: int
    right: list[int]  # the adapted reader (digits: the network; letters: the chosen 1-NN), per K
    transfer_right: list[int]  # letters: the retrained transfer layer, per K; digits: empty


@dataclass
class ShotsCurve:
    kind: str  # "digits" or "letters"
    shots: list[int]
    reader: str  # what answers, in words
    writers: list[WriterCurve]
    adapt_seconds: float  # adapting with the largest K: the mean over writers
    left_out: list[str]  # writers with no image left to score
    overall: WriterCurve  # all writers together: the sums, kept so the report shows only saved numbers


def all_writers(writers: list[WriterCurve]) -> WriterCurve:
    """The writers' curves summed per K."""
    return WriterCurve(
        "all writers",
        sum(w.scored for w in writers),
        [int(sum(column)) for column in zip(*(w.right for w in writers))],
        [int(sum(column)) for column in zip(*(w.transfer_right for w in writers))],
    )


def add_shots_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--shots",
        type=flags.COUNT,
        default=None,
        help="for each writer of the own folder (its first-level sub-folders), adapt the reader to K "
        "of their images per symbol and score their other images, beside the base reader on the same "
        "images (see recognition/personal)",
    )


def split(labels: Sequence[str | None], groups: Sequence[str], known, reserve: int) -> dict[str, tuple]:
    """Per writer: (the first `reserve` indices of each symbol in order, the other indices)."""
    out: dict[str, tuple[dict[str, list[int]], list[int]]] = {}
    for i, (label, group) in enumerate(zip(labels, groups)):
        if label is None or label not in known:
            continue
        kept, scored = out.setdefault(group or ALL, ({}, []))
        first = kept.setdefault(label, [])
        (first if len(first) < reserve else scored).append(i)
    return out


def _first(kept: dict[str, list[int]], k: int) -> list[int]:
    return [i for indices in kept.values() for i in indices[:k]]


def _curve(kind, shots, reader, images: imagefiles.ImageSet, known, score) -> ShotsCurve:
    """Run `score(adapt_indices, scored_indices) -> (right, transfer_right)` per writer and K."""
    shots = sorted(set(shots))
    writers, left_out, seconds = [], [], []
    adapt.warm_up()  # the first optimizer imports torch's compiler (seconds): not part of adapting
    for writer, (kept, scored) in sorted(split(images.labels, images.groups, known, max(shots)).items()):
        if not scored:
            left_out.append(writer)
            continue
        right, transfer = [], []
        for k in shots:
            start = time.perf_counter()
            r, t = score(_first(kept, k), scored)
            if k == max(shots):
                seconds.append(time.perf_counter() - start)
            right.append(r)
            transfer += [t] if t is not None else []
        writers.append(WriterCurve(writer, len(scored), right, transfer))
    seconds_each = float(np.mean(seconds)) if seconds else 0.0
    return ShotsCurve(kind, shots, reader, writers, seconds_each, left_out, all_writers(writers))


def digit_curve(
    model: netlib.MnistNet,
    own: imagefiles.ImageSet,
    shots: Sequence[int] = SHOTS,
    replay=None,
    seed: int = netlib.DEFAULT_SEED,
) -> ShotsCurve:
    """Digits: the network with fc2 fine-tuned on K images per digit (K = 0: the base network)."""
    truth = np.array([label if label is not None else "" for label in own.labels])

    def score(adapt_on, scored):
        net = adapt.adapt_digits(model, own.images[adapt_on], truth[adapt_on], replay, seed)
        with torch.inference_mode():
            pred = net(datasets.to_model_input(own.images[scored])).argmax(1).numpy()
        return int((pred.astype(str) == truth[scored]).sum()), None

    reader = "the digit network, its last layer fine-tuned on the K examples" + (
        f" and {len(replay[1])} MNIST images" if replay is not None else ""
    )
    return _curve("digits", shots, reader, own, set("0123456789"), score)


def letter_curve(
    model: netlib.MnistNet,
    ref: imagefiles.ImageSet,
    own: imagefiles.ImageSet,
    layer: str,
    distance: str,
    shots: Sequence[int] = SHOTS,
    seed: int = netlib.DEFAULT_SEED,
) -> ShotsCurve:
    """Letters: the K images per letter join the reference; 1-NN at `layer`/`distance` answers, and
    the transfer layer is retrained on the joined set. Only the reference's letters are scored."""
    truth = np.array([label if label is not None else "" for label in own.labels])
    base = adapt.letter_reader(model, ref.images, ref.labels, layer, distance, seed)

    def score(adapt_on, scored):
        reader = adapt.join_examples(model, base, own.images[adapt_on], truth[adapt_on].tolist(), seed)
        pred = reader.read(model, own.images[scored])
        with torch.inference_mode():
            out = reader.letter_net(datasets.to_model_input(own.images[scored])).argmax(1).numpy()
        transfer = np.asarray(reader.classes)[out]
        return int((pred == truth[scored]).sum()), int((transfer == truth[scored]).sum())

    reader = f"1-NN at the {layer} layer with {distance} distance, the K examples joined to the reference"
    return _curve("letters", shots, reader, own, set(ref.labels), score)


def curve_lines(curve: ShotsCurve) -> list[str]:
    """The curve as printed lines: one per writer, then all writers."""

    def cells(values, scored):
        return ", ".join(f"K={k} {v}/{scored} ({100 * v / scored:.1f}%)" for k, v in zip(curve.shots, values))

    lines = [f"own {curve.kind}, K images per symbol adapt the reader ({curve.reader}); the others scored:"]
    for w in curve.writers:
        lines.append(f"  {w.writer}: {cells(w.right, w.scored)}")
    total = curve.overall
    lines.append(f"  all writers: {cells(total.right, total.scored)}")
    if total.transfer_right:
        transfer = cells(total.transfer_right, total.scored)
        lines.append(f"  the retrained transfer layer, all writers: {transfer}")
    for writer in curve.left_out:
        lines.append(
            f"  {writer}: every image is needed to adapt with K={max(curve.shots)}; none left to score"
        )
    lines.append(f"  adapting with K={max(curve.shots)} took {curve.adapt_seconds:.2f} s per writer")
    return lines


# --- the scripts' --shots ---------------------------------------------------------------------


def _needs_cnn(model) -> None:
    if not isinstance(model, netlib.MnistNet):
        raise cli.UserError(
            f"--shots adapts the CNN's layers, and this model is a {type(model).__name__}: pass --model "
            "with a CNN checkpoint (models/mnist_net.pt)"
        )


def digit_shots(k: int | None, model, folder, mnist: datasets.Mnist, seed: int) -> ShotsCurve | None:
    """Task 1's --shots K: the own digits in `folder`, per writer, base against K shots (printed)."""
    if k is None:
        return None
    _needs_cnn(model)
    own = imagefiles.load_image_set(folder, vocabulary=set("0123456789"))
    curve = digit_curve(model.cpu().eval(), own, (0, k), adapt.replay_from(mnist, seed), seed)
    print("\n".join(curve_lines(curve)))
    return curve


def letter_shots(
    k: int | None,
    model,
    ref: imagefiles.ImageSet,
    own: imagefiles.ImageSet,
    layer: str,
    distance: str,
    seed: int,
) -> ShotsCurve | None:
    """Task 3's --shots K: the own letters, per writer, base against K shots (printed)."""
    if k is None:
        return None
    _needs_cnn(model)
    curve = letter_curve(model, ref, own, layer, distance, (0, k), seed)
    print("\n".join(curve_lines(curve)))
    return curve
