"""Task 3's classifiers in the embedding space: SSD, 1-NN, the two KNN rules, leave-one-out, the
transfer-learned letter layer, and how their accuracy is scored and printed."""

import numpy as np
import torch

import netlib
from recognition import embedding
from recognition.data import datasets
from recognition.report.embedding_text import accuracy_lines


def test_ssd_is_the_sum_of_squared_differences():
    d = embedding.ssd_matrix(
        np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 5.0], [2, 0, 3]])
    )
    assert d.tolist() == [[14.0, 4.0, 5.0]]  # 1+4+9, 0+0+4, 1+4+0


def test_the_two_knn_rules_can_disagree():
    labels = np.array(["A", "A", "A", "B", "B", "B"])
    d = np.array([[1.0, 1.0, 50.0, 3.0, 3.0, 3.0]])
    # Vote: the 3 nearest are A, A, B -> A. Sum: A 1+1+50 = 52, B 3+3+3 = 9 -> B.
    assert embedding.knn_vote(d, labels, 3).tolist() == ["A"]
    assert embedding.knn_sum(d, labels, 3).tolist() == ["B"]
    assert embedding.nearest_neighbour(d, labels).tolist() == ["A"]


def test_a_tied_vote_goes_to_the_smaller_summed_ssd_not_the_nearest():
    labels = np.array(["A", "A", "A", "B", "B", "B"])
    d = np.array([[1.0, 5.0, 9.0, 2.0, 2.5, 9.0]])  # 4 nearest: A 1, B 2, B 2.5, A 5 -> 2:2
    assert embedding.knn_vote(d, labels, 4).tolist() == ["B"]  # B sums 4.5 < A's 6


def test_k_is_capped_at_the_smallest_class():
    labels = np.array(["A", "A", "A", "B", "B"])
    assert embedding.capped_k(9, labels) == 2 and embedding.capped_k(1, labels) == 1
    # With k capped at 2, B's two images (3 + 3) beat A's two nearest (1 + 10).
    d = np.array([[1.0, 10.0, 10.0, 3.0, 3.0]])
    assert embedding.knn_sum(d, labels, 9).tolist() == ["B"]


def test_leave_one_out_never_uses_the_held_out_image():
    x = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2], [2.0]])
    labels = np.array(["A", "A", "A", "B", "B", "B", "C"])  # the lone C is nearest the As
    d = embedding.ssd_matrix(x, x)
    predicted = embedding.leave_one_out(d, labels, embedding.nearest_neighbour)
    assert predicted.tolist() == ["A", "A", "A", "B", "B", "B", "A"]


def toy_embedding(n_per_class=6, classes=3, dim=5, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (classes, dim))
    x = np.vstack([c + rng.normal(0, 0.5, (n_per_class, dim)) for c in centres]).clip(0, None)
    return x, np.repeat(np.arange(classes), n_per_class)


def test_the_transfer_layer_learns_a_separable_toy_embedding():
    x, y = toy_embedding()
    names = np.array(["alpha", "beta", "gamma"])
    weight, bias = embedding.fit_linear_heads(x, y, 3, np.ones((1, len(y)), bool), steps=200, lr=0.05, seed=0)
    assert (embedding.head_predict(x, weight[0], bias[0]) == y).all()
    assert (embedding.transfer_leave_one_out(x, names[y], list(names), steps=200, lr=0.05) == names[y]).all()


def test_layers_trained_together_equal_layers_trained_alone():
    x, y = toy_embedding(n_per_class=3)
    masks = np.ones((3, len(y)), bool)
    masks[1, 0] = masks[2, 4] = False
    together = embedding.fit_linear_heads(x, y, 3, masks, steps=50, seed=1)
    for f in range(3):
        keep = masks[f]
        alone = embedding.fit_linear_heads(
            x[keep], y[keep], 3, np.ones((1, keep.sum()), bool), steps=50, seed=1
        )
        assert torch.allclose(together[0][f], alone[0][0], atol=1e-5)
        assert torch.allclose(together[1][f], alone[1][0], atol=1e-5)


def test_the_transfer_network_is_frozen_and_matches_the_layer_on_embeddings():
    netlib.seed_everything(0)
    model = netlib.MnistNet().eval()
    images = torch.rand(5, 28, 28)
    emb = embedding.embed(model, images)
    weight, bias = torch.randn(3, 50), torch.randn(3)
    net = embedding.transfer_network(model, weight, bias)
    trainable = [name for name, p in net.named_parameters() if p.requires_grad]
    assert trainable == ["fc2.weight", "fc2.bias"]
    with torch.no_grad():
        out = net(datasets.to_model_input(images))
    assert out.shape == (5, 3)
    assert out.argmax(1).tolist() == embedding.head_predict(emb, weight, bias).tolist()
    assert model.fc2.out_features == 10  # the digit network itself is untouched


def test_accuracy_lines_use_the_shared_format():
    table = embedding.AccuracyTable(
        leave_one_out=embedding.ClassifierHits(*[(27, 27)] * 4),
        own=embedding.ClassifierHits(*[(61, 81)] * 4),
        own_unknown=3,
        k_used=embedding.KUsed(leave_one_out=8, own=9),
    )
    lines = accuracy_lines(table)
    assert "  leave-one-out 1-NN accuracy: 27/27 (100.0%)" in lines
    assert "  own KNN sum accuracy: 61/81 (75.3%)" in lines
    assert any("own set: 3 images" in line for line in lines)


def test_the_accuracy_table_scores_each_classifier_and_counts_unknown_letters_apart():
    x, y = toy_embedding(n_per_class=3)
    names = np.array(["alpha", "beta", "gamma"])[y]
    own_labels = ["alpha", "beta", "delta", None]
    result = embedding.classify_all(x, names, x[[0, 3, 6, 7]], k=2, steps=20)
    table = embedding.accuracy_table(result, names, own_labels)
    assert table.own_unknown == 2 and table.k_used == embedding.KUsed(leave_one_out=2, own=2)
    for c in embedding.CLASSIFIERS:
        right, scored = table.own.of(c)
        assert scored == 2 and right == sum(p == t for p, t in zip(result.own[c], own_labels) if t)
        assert table.part("leave-one-out").of(c)[1] == 9
    assert table.own.of("1-NN") == table.own.one_nn and table.part("own") is table.own
