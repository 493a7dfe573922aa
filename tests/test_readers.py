"""Letter readers: every classifier's answers match embedding.py's, margins flag near-ties, and the
reader is chosen on the selection writers only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import netlib
from recognition import embedding, readers
from recognition.data import imagefiles


@pytest.fixture(scope="module")
def model():
    netlib.seed_everything(0)
    return netlib.MnistNet().eval()


def image_set(images: torch.Tensor, labels: list[str]) -> imagefiles.ImageSet:
    n = len(labels)
    return imagefiles.ImageSet(
        images=images,
        labels=labels,
        groups=[None] * n,
        paths=[f"{i}.png" for i in range(n)],
        skipped=[],
        empty_folders=[],
    )


@pytest.fixture(scope="module")
def sets(model):
    """Three 'letters': blobs in three places, a few noisy copies each; queries the same way."""
    rng = np.random.default_rng(0)

    def blobs(per_class: int) -> tuple[torch.Tensor, list[str]]:
        images, labels = [], []
        for c, (y, x) in zip("abc", ((6, 6), (14, 20), (20, 8))):
            for _ in range(per_class):
                img = rng.random((28, 28)) * 0.2
                img[y - 4 + rng.integers(2) : y + 4, x - 4 : x + 4 + rng.integers(2)] = 1
                images.append(img)
                labels.append(c)
        return torch.tensor(np.array(images), dtype=torch.float32), labels

    return image_set(*blobs(5)), image_set(*blobs(2))


def test_readers_answer_as_embeddings_classifiers_do(model, sets):
    ref, queries = sets
    refs = readers.References.of(model, ref, k=3)
    q = readers.embed_all(model, queries.images)
    labels = np.asarray(ref.labels)
    for layer in embedding.LAYERS:
        d = embedding.ssd_matrix(q[layer], refs.embeddings[layer])
        expected = {
            "1-NN": embedding.nearest_neighbour(d, labels),
            "KNN vote": embedding.knn_vote(d, labels, 3),
            "KNN sum": embedding.knn_sum(d, labels, 3),
        }
        for classifier, answers in expected.items():
            reading = refs.read(readers.Reader(layer, "SSD", classifier), q)
            assert reading.answers.tolist() == answers.tolist()
            assert (reading.runners_up != reading.answers).all()
            assert ((reading.margins >= 0) & (reading.margins <= 1)).all()
    transfer = refs.read(readers.Reader("hidden", "", "transfer"), q)
    w, b = refs.head("hidden")
    assert transfer.answers.tolist() == refs.classes[embedding.head_predict(q["hidden"], w, b)].tolist()


def test_a_query_halfway_between_two_letters_is_a_near_tie(model):
    a, b = torch.zeros(1, 28, 28), torch.zeros(1, 28, 28)
    a[0, 4:12, 4:12], b[0, 16:24, 16:24] = 1, 1
    refs = readers.References.of(model, image_set(torch.cat([a, b]), ["a", "b"]))
    clear, tie = torch.cat([a, b]), (a + b) / 2
    far = refs.read(readers.Reader("pixels", "SSD", "1-NN"), readers.embed_all(model, clear))
    assert far.answers.tolist() == ["a", "b"] and not far.near_ties.any()
    near = refs.read(readers.Reader("pixels", "SSD", "1-NN"), readers.embed_all(model, tie))
    assert near.near_ties.all() and near.margins[0] < 1e-6


def test_the_reader_is_chosen_on_the_selection_set_alone(model, sets):
    ref, select = sets
    refs = readers.References.of(model, ref, k=3)
    ranked = readers.choose(refs, select)
    assert {s.reader for s in ranked} == set(readers.READERS) and len(ranked) == len(readers.READERS)
    q = readers.embed_all(model, select.images)
    for s in ranked:
        answers = refs.read(s.reader, q).answers
        assert s.selection == (int((answers == np.asarray(select.labels)).sum()), len(select.labels))
    right = [s.selection[0] for s in ranked]
    assert right == sorted(right, reverse=True)
    best = [s.reader for s in ranked if s.selection[0] == right[0]]
    assert ranked[0].reader == min(best, key=readers.READERS.index)  # ties: the earlier reader
    assert readers.READERS[0] == readers.ASSIGNMENT
    with pytest.raises(ValueError, match="no letters of the reference"):
        readers.choose(refs, image_set(select.images[:1], ["z"]))
