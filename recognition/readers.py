"""Letter readers: an embedding layer, a distance and a classifier, the one chosen on selection
writers, and each answer's runner-up and margin (a near-tie is flagged, not hidden).

A reader answers with the letter whose score is best: 1-NN the letter of the nearest reference
image, KNN sum the smallest sum of a letter's k nearest distances, KNN vote the most votes among
the k nearest, the transfer layer (a softmax layer trained on the reference embeddings) the most
probable letter. The margin says how far the runner-up is behind, in [0, 1]: for the distance
rules relative to the runner-up's distance, for the vote in votes over k, for the transfer layer
in probability. Task 3's headline, `more_letters` and the explorer's Greek mode read with the
reader that got the most selection writers' letters right (`choose`); the writers they are
scored on never choose it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

import netlib
from recognition import embedding
from recognition.data import imagefiles

NEAR_TIE = 0.03  # a margin below this is a near-tie: the runner-up is about as likely


@dataclass(frozen=True)
class Reader:
    layer: str  # one of embedding.LAYERS
    distance: str  # one of embedding.DISTANCES; the transfer layer uses none ("")
    classifier: str  # one of embedding.CLASSIFIERS

    @property
    def name(self) -> str:
        """e.g. "1-NN / hidden / SSD", "transfer / conv / softmax"."""
        return f"{self.classifier} / {self.layer} / {self.distance or 'softmax'}"

    def one_nn(self) -> tuple[str, str]:
        """The layer and distance for a 1-NN reader built on this one (the transfer layer has no
        distance: SSD)."""
        return self.layer, self.distance or "SSD"


ASSIGNMENT = Reader(embedding.DEFAULT_LAYER, "SSD", "1-NN")  # the assignment's: 50-d layer, SSD, 1-NN
DISTANCE_RULES = ("1-NN", "KNN vote", "KNN sum")
READERS = (ASSIGNMENT,) + tuple(
    r
    for layer in embedding.LAYERS
    for r in [Reader(layer, d, c) for d in embedding.DISTANCES for c in DISTANCE_RULES]
    + [Reader(layer, "", "transfer")]
    if r != ASSIGNMENT
)  # the assignment's first: a tie on the selection writers goes to the earlier reader


@dataclass
class Reading:
    """One reader's answers on a set of images, with each answer's runner-up and margin."""

    reader: Reader
    answers: np.ndarray  # (N,) letters
    runners_up: np.ndarray  # (N,) letters
    margins: np.ndarray  # (N,) in [0, 1]

    @property
    def near_ties(self) -> np.ndarray:
        return self.margins < NEAR_TIE


def _top_two(scores: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The best and second-best letter per row of `scores` (higher is better; ties: earlier class)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    return order[:, 0], order[:, 1]


def _relative(cost: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    rows = np.arange(len(cost))
    c1, c2 = cost[rows, first], cost[rows, second]
    return np.where(c2 > 0, (c2 - c1) / np.where(c2 > 0, c2, 1), 0.0)


@dataclass
class References:
    """A labelled reference set embedded at every layer, with its transfer layers fitted on demand."""

    model: netlib.MnistNet
    labels: np.ndarray
    k: int = embedding.K
    seed: int = netlib.DEFAULT_SEED
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)
    heads: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)

    @classmethod
    def of(cls, model, ref: imagefiles.ImageSet, k: int = embedding.K, seed: int = netlib.DEFAULT_SEED):
        refs = cls(model, np.asarray(ref.labels), k, seed)
        refs.embeddings = {
            layer: embedding.embed(model, ref.images, layer=layer) for layer in embedding.LAYERS
        }
        return refs

    @property
    def classes(self) -> np.ndarray:
        return np.unique(self.labels)  # sorted, as embedding.knn_sum orders them

    def head(self, layer: str) -> tuple[torch.Tensor, torch.Tensor]:
        if layer not in self.heads:
            y = np.searchsorted(self.classes, self.labels)
            w, b = embedding.fit_linear_heads(
                self.embeddings[layer], y, len(self.classes), np.ones((1, len(y)), bool), seed=self.seed
            )
            self.heads[layer] = (w[0], b[0])
        return self.heads[layer]

    def read(self, reader: Reader, queries: dict[str, np.ndarray]) -> Reading:
        """`reader`'s answers for the query images, embedded at every layer (`embed_all`)."""
        x, classes = queries[reader.layer], self.classes
        if reader.classifier == "transfer":
            w, b = self.head(reader.layer)
            p = torch.softmax(torch.as_tensor(x, dtype=torch.float32) @ w.T + b, 1).double().numpy()
            first, second = _top_two(p, classes)
            rows = np.arange(len(p))
            return Reading(reader, classes[first], classes[second], p[rows, first] - p[rows, second])
        d = embedding.DISTANCES[reader.distance](x, self.embeddings[reader.layer])
        k = embedding.capped_k(self.k, self.labels)
        per_letter = [np.sort(d[:, self.labels == c], axis=1) for c in classes]
        if reader.classifier == "KNN vote":
            nearest = self.labels[np.argsort(d, axis=1, kind="stable")[:, :k]]
            votes = np.stack([(nearest == c).sum(1) for c in classes], 1).astype(float)
            answers = embedding.knn_vote(d, self.labels, k)
            votes_else = np.where(classes[None, :] == answers[:, None], -1, votes)
            second = np.argmax(votes_else, axis=1)
            best = votes.max(1)
            return Reading(reader, answers, classes[second], (best - votes_else.max(1)) / k)
        take = 1 if reader.classifier == "1-NN" else k
        cost = np.stack([s[:, :take].sum(1) for s in per_letter], 1)
        first, second = _top_two(-cost, classes)
        return Reading(reader, classes[first], classes[second], _relative(cost, first, second))


def embed_all(model, images: torch.Tensor) -> dict[str, np.ndarray]:
    """The images at every layer a reader may use."""
    return {layer: embedding.embed(model, images, layer=layer) for layer in embedding.LAYERS}


@dataclass
class ReaderScore:
    reader: Reader
    selection: embedding.Hits  # on the selection writers (they choose)
    scored: embedding.Hits | None = None  # on the set it is reported on


def hits(answers: np.ndarray, truth, classes) -> embedding.Hits:
    """(right, scored) over the images whose true letter is one of `classes`."""
    return embedding.score(answers, list(truth), set(classes))[:2]


def choose(refs: References, select: imagefiles.ImageSet) -> list[ReaderScore]:
    """Every reader's score on the selection writers' letters of the reference's letters, best
    first (ties: the earlier reader in READERS, the assignment's first)."""
    keep = [i for i, label in enumerate(select.labels) if label in set(refs.classes)]
    if not keep:
        raise ValueError("the selection set has no letters of the reference set")
    queries = embed_all(refs.model, select.images[keep])
    truth = np.array([select.labels[i] for i in keep])
    scores = [ReaderScore(r, hits(refs.read(r, queries).answers, truth, refs.classes)) for r in READERS]
    order = sorted(range(len(scores)), key=lambda i: (-scores[i].selection[0], i))
    return [scores[i] for i in order]


def chosen_one_nn(
    model, ref: imagefiles.ImageSet, select: imagefiles.ImageSet, seed: int = netlib.DEFAULT_SEED
) -> tuple[str, str]:
    """The layer and distance of the reader chosen on the selection writers `select`, the choice
    Task 3's headline and the explorer's Greek mode make, for a 1-NN reader to which a person's
    own examples can be joined (the explorer's teach mode, the own-shots curve)."""
    return choose(References.of(model, ref, seed=seed), select)[0].reader.one_nn()


SHOWN = 6  # readers listed beside the chosen one, best on the selection writers first


@dataclass
class ReaderRow:
    reader: str  # Reader.name
    selection: embedding.Hits  # on the selection writers
    own: embedding.Hits  # on the set read


@dataclass
class ChosenReading:
    """A set read by the reader chosen on the selection writers, with the others beside it."""

    layer: str
    distance: str  # "" for the transfer layer
    classifier: str
    width: int  # of the layer
    select_dir: str
    selection: embedding.Hits  # the chosen reader on the selection writers
    own: embedding.Hits  # ... and on the set read (its images of the reference's letters)
    predictions: list[str]  # one per image read
    near_ties: list[str]  # "file: answer, runner-up close" for each near-tie
    others: list[ReaderRow]  # the chosen and the next best on the selection writers, and the assignment's

    @property
    def reader(self) -> Reader:
        return Reader(self.layer, self.distance, self.classifier)

    @property
    def name(self) -> str:
        return self.reader.name

    def one_nn(self) -> tuple[str, str]:
        return self.reader.one_nn()


def read_chosen(
    model,
    ref: imagefiles.ImageSet,
    select: tuple[str, imagefiles.ImageSet],
    own: imagefiles.ImageSet,
    files: list[str],
    k: int = embedding.K,
    seed: int = netlib.DEFAULT_SEED,
) -> ChosenReading:
    """`own` (its images named by `files`) read by the reader that did best on the selection
    writers `select` (folder, images), and the SHOWN best and the assignment's beside it."""
    refs = References.of(model, ref, k, seed)
    ranked = choose(refs, select[1])
    shown = ranked[:SHOWN] + [s for s in ranked[SHOWN:] if s.reader == ASSIGNMENT]
    queries = embed_all(model, own.images)
    readings = {s.reader: refs.read(s.reader, queries) for s in shown}
    best, truth = ranked[0], own.labels
    r = readings[best.reader]
    return ChosenReading(
        layer=best.reader.layer,
        distance=best.reader.distance,
        classifier=best.reader.classifier,
        width=int(refs.embeddings[best.reader.layer].shape[1]),
        select_dir=str(select[0]),
        selection=best.selection,
        own=hits(r.answers, truth, refs.classes),
        predictions=[str(a) for a in r.answers],
        near_ties=[
            f"{f}: {a}, {b} close" for f, a, b, t in zip(files, r.answers, r.runners_up, r.near_ties) if t
        ],
        others=[
            ReaderRow(s.reader.name, s.selection, hits(readings[s.reader].answers, truth, refs.classes))
            for s in shown
        ],
    )
