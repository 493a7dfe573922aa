import csv

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import embedlib
import glyphs
import netlib
import task3_greek_embedding as task3
from atomicio import read_json


def bar_image(size=136, mode="L", box=(60, 30, 76, 106)) -> Image.Image:
    """A dark vertical bar on light paper, off-centre, in the course's format."""
    img = Image.new("L", (size, size), 235)
    ImageDraw.Draw(img).rectangle(box, fill=20)
    return img.convert(mode)


def disc_image(size=136) -> Image.Image:
    img = Image.new("L", (size, size), 235)
    ImageDraw.Draw(img).ellipse((30, 30, 106, 106), outline=20, width=10)
    return img


def write(img: Image.Image, path, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kw)
    return path


@pytest.fixture
def two_letter_folder(tmp_path):
    root = tmp_path / "greek"
    for i in range(2):
        write(bar_image(box=(50 + 10 * i, 30, 66 + 10 * i, 106)), root / "iota" / f"iota_{i}.png")
        write(disc_image(), root / "omicron" / f"omicron_{i}.png")
    return root


# --- the data --------------------------------------------------------------------------------

def column_centre(image: np.ndarray) -> float:
    cols = image.sum(axis=0)
    return float((np.arange(len(cols)) * cols).sum() / cols.sum())


@pytest.mark.parametrize("transform", ["mnist", "course"])
def test_a_drawn_bar_lands_centred_bright_on_black(two_letter_folder, transform):
    ref = task3.load_reference(two_letter_folder, transform, None)
    assert ref.labels == ["iota", "iota", "omicron", "omicron"]  # alphabet order: iota before omicron
    bar = ref.images[1].numpy()  # the bar in the middle of the paper
    assert bar.shape == (28, 28)
    border = np.concatenate([bar[:2].ravel(), bar[-2:].ravel(), bar[:, :2].ravel(), bar[:, -2:].ravel()])
    assert border.mean() < 0.1 and bar.max() > 0.8  # bright ink on black
    assert abs(column_centre(bar) - 13.5) < 1.0
    assert (bar > 0.5).any(axis=1).sum() >= 17  # a tall bar: it fills most of the height


def test_only_the_mnist_recipe_centres_an_off_centre_bar(two_letter_folder):
    off_centre = {t: task3.load_reference(two_letter_folder, t, None).images[0].numpy() for t in ("mnist", "course")}
    assert abs(column_centre(off_centre["mnist"]) - 13.5) < 1.0
    assert column_centre(off_centre["course"]) < 12.5  # the course's crop keeps the bar where it was drawn


def test_transparent_png_and_jpeg_read_like_the_plain_image(tmp_path):
    root = tmp_path / "greek"
    grey = bar_image()
    ink = np.asarray(grey) < 128
    rgba = np.zeros((*ink.shape, 4), np.uint8)  # transparent paper, opaque black ink
    rgba[ink] = (0, 0, 0, 255)
    write(grey, root / "iota" / "plain.png")
    write(Image.fromarray(rgba, "RGBA"), root / "iota" / "transparent.png")
    write(bar_image(mode="RGB"), root / "iota" / "photo.jpg", quality=90)
    write(disc_image(), root / "omicron" / "o.png")
    ref = task3.load_reference(root, "mnist", None)
    names = [p.name for p in ref.paths]
    plain = ref.images[names.index("plain.png")]
    for name in ("transparent.png", "photo.jpg"):
        other = ref.images[names.index(name)]
        # JPEG ringing may move a stroke edge by a pixel, nothing more
        assert float((other - plain).abs().mean()) < 0.08, name


def test_hidden_files_checkpoints_and_non_images_are_ignored_and_an_empty_class_is_reported(
        two_letter_folder, capsys):
    root = two_letter_folder
    write(bar_image(), root / ".ipynb_checkpoints" / "iota_0-checkpoint.png")
    write(bar_image(), root / "iota" / ".hidden.png")
    write(bar_image(), root / "iota" / ".ipynb_checkpoints" / "iota_1-checkpoint.png")
    (root / ".DS_Store").write_bytes(b"\0")
    (root / "notes.txt").write_text("not an image")
    (root / "delta").mkdir()
    ref = task3.load_reference(root, "mnist", None)
    assert sorted(set(ref.labels)) == ["iota", "omicron"] and len(ref.labels) == 4
    out = capsys.readouterr().out
    assert "notes.txt" in out and "not an image" in out
    assert "delta holds no images" in out
    assert "-checkpoint.png" not in out and ".DS_Store" not in out and ".hidden" not in out


def test_missing_letters_and_a_single_letter_are_clear_errors(two_letter_folder, tmp_path):
    with pytest.raises(FileNotFoundError, match="no images of delta"):
        task3.load_reference(two_letter_folder, "mnist", ("iota", "delta"))
    write(bar_image(), tmp_path / "one" / "iota" / "a.png")
    with pytest.raises(FileNotFoundError, match="at least two letters"):
        task3.load_reference(tmp_path / "one", "mnist", None)


def test_the_default_folder_is_generated_only_when_missing(tmp_path, capsys):
    folder = tmp_path / "greek"
    assert task3.generate_if_missing(folder, tmp_path / "elsewhere", False, False, 0) is False
    assert not folder.exists()
    assert task3.generate_if_missing(folder, folder, False, False, 0) is True
    assert sorted(p.name for p in folder.iterdir()) == sorted(glyphs.REFERENCE_LETTERS)
    assert len(list(folder.rglob("*.png"))) == 9 * len(glyphs.REFERENCE_LETTERS)
    assert "was missing: generated 36" in capsys.readouterr().out
    assert task3.generate_if_missing(folder, folder, False, False, 0) is False


# --- SSD and the classifiers -----------------------------------------------------------------

def test_ssd_is_the_sum_of_squared_differences():
    d = embedlib.ssd_matrix(np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 5.0], [2, 0, 3]]))
    assert d.tolist() == [[14.0, 4.0, 5.0]]  # 1+4+9, 0+0+4, 1+4+0


def test_the_two_knn_rules_can_disagree():
    labels = np.array(["A", "A", "A", "B", "B", "B"])
    d = np.array([[1.0, 1.0, 50.0, 3.0, 3.0, 3.0]])
    # Vote: the 3 nearest are A, A, B -> A. Sum: A 1+1+50 = 52, B 3+3+3 = 9 -> B.
    assert embedlib.knn_vote(d, labels, 3).tolist() == ["A"]
    assert embedlib.knn_sum(d, labels, 3).tolist() == ["B"]
    assert embedlib.nearest_neighbour(d, labels).tolist() == ["A"]


def test_a_tied_vote_goes_to_the_smaller_summed_ssd_not_the_nearest():
    labels = np.array(["A", "A", "A", "B", "B", "B"])
    d = np.array([[1.0, 5.0, 9.0, 2.0, 2.5, 9.0]])  # 4 nearest: A 1, B 2, B 2.5, A 5 -> 2:2
    assert embedlib.knn_vote(d, labels, 4).tolist() == ["B"]  # B sums 4.5 < A's 6


def test_k_is_capped_at_the_smallest_class():
    labels = np.array(["A", "A", "A", "B", "B"])
    assert embedlib.capped_k(9, labels) == 2 and embedlib.capped_k(1, labels) == 1
    # With k capped at 2, B's two images (3 + 3) beat A's two nearest (1 + 10).
    d = np.array([[1.0, 10.0, 10.0, 3.0, 3.0]])
    assert embedlib.knn_sum(d, labels, 9).tolist() == ["B"]


def test_leave_one_out_never_uses_the_held_out_image():
    x = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2], [2.0]])
    labels = np.array(["A", "A", "A", "B", "B", "B", "C"])  # the lone C is nearest the As
    d = embedlib.ssd_matrix(x, x)
    predicted = embedlib.leave_one_out(d, labels, embedlib.nearest_neighbour)
    assert predicted.tolist() == ["A", "A", "A", "B", "B", "B", "A"]


def toy_embedding(n_per_class=6, classes=3, dim=5, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (classes, dim))
    x = np.vstack([c + rng.normal(0, 0.5, (n_per_class, dim)) for c in centres]).clip(0, None)
    return x, np.repeat(np.arange(classes), n_per_class)


def test_the_transfer_layer_learns_a_separable_toy_embedding():
    x, y = toy_embedding()
    names = np.array(["alpha", "beta", "gamma"])
    weight, bias = embedlib.fit_linear_heads(x, y, 3, np.ones((1, len(y)), bool), steps=200, lr=0.05, seed=0)
    assert (embedlib.head_predict(x, weight[0], bias[0]) == y).all()
    assert (embedlib.transfer_leave_one_out(x, names[y], list(names), steps=200, lr=0.05) == names[y]).all()


def test_layers_trained_together_equal_layers_trained_alone():
    x, y = toy_embedding(n_per_class=3)
    masks = np.ones((3, len(y)), bool)
    masks[1, 0] = masks[2, 4] = False
    together = embedlib.fit_linear_heads(x, y, 3, masks, steps=50, seed=1)
    for f in range(3):
        keep = masks[f]
        alone = embedlib.fit_linear_heads(x[keep], y[keep], 3, np.ones((1, keep.sum()), bool), steps=50, seed=1)
        assert torch.allclose(together[0][f], alone[0][0], atol=1e-5)
        assert torch.allclose(together[1][f], alone[1][0], atol=1e-5)


def test_the_transfer_network_is_frozen_and_matches_the_layer_on_embeddings():
    netlib.seed_everything(0)
    model = netlib.MnistNet().eval()
    images = torch.rand(5, 28, 28)
    emb = embedlib.embed(model, images)
    weight, bias = torch.randn(3, 50), torch.randn(3)
    net = embedlib.transfer_network(model, weight, bias)
    trainable = [name for name, p in net.named_parameters() if p.requires_grad]
    assert trainable == ["fc2.weight", "fc2.bias"]
    with torch.no_grad():
        out = net(task3.datalib.to_model_input(images))
    assert out.shape == (5, 3)
    assert out.argmax(1).tolist() == embedlib.head_predict(emb, weight, bias).tolist()
    assert model.fc2.out_features == 10  # the digit network itself is untouched


def test_ssd_table_headers_hold_each_columns_smallest_non_zero_ssd():
    d = np.array([[0.0, 4.0, 9.0], [4.0, 0.0, 1.0], [9.0, 1.0, 0.0]])
    table = task3.ssd_table(d, ["alpha", "alpha", "beta"], ["alpha_0", "alpha_1", "beta_0"])
    assert [c["header"] for c in table["columns"]] == ["alpha_0 (min 4.0)", "beta_0 (min 1.0)"]
    assert table["columns"][1]["ssd"] == [9.0, 1.0, 0.0]


# --- the whole script ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """Tiny generated sets, an untrained network and a saved width-30 one, end to end."""
    tmp = tmp_path_factory.mktemp("task3")
    letters = ("alpha", "beta", "gamma")
    glyphs.write_glyph_set(tmp / "greek", letters, per_class=4, seed=0, style=glyphs.COURSE_STYLE)
    glyphs.write_glyph_set(tmp / "own", (*letters, "delta"), per_class=1, seed=1, style=glyphs.OWN_STYLE, writers=2)
    netlib.seed_everything(0)
    model = netlib.save_checkpoint(netlib.MnistNet(), tmp / "models" / "mnist_net.pt", seed=42, epochs=5)
    netlib.save_checkpoint(netlib.MnistNet(hidden=30), tmp / "models" / "mnist_net_h30.pt", seed=42, epochs=5)
    figs = tmp / "figures"
    results = task3.main(["--greek-dir", str(tmp / "greek"), "--own-dir", str(tmp / "own"),
                          "--greek-all-dir", str(tmp / "greek"), "--own-all-dir", str(tmp / "own"),
                          "--model", str(model), "--figures-dir", str(figs), "--k", "9",
                          "--widths", "30,50", "--transfer-steps", "50"])
    return results, figs, tmp


def test_end_to_end_writes_every_output(small_run):
    results, figs, _ = small_run
    for name in ["task3a_reference_set.png", "task3a_transform_check.png", "task3b_embedding_summary.txt",
                 "task3d_ssd_table.csv", "task3d_ssd_matrix.png", "task3e_own_symbols_1.png",
                 "task3f_confusion.png", "task3f_embedding_projection.png", "ext_widths_accuracy.png",
                 "ext_more_letters_confusion.png", "task3_results.json"]:
        assert (figs / name).stat().st_size > 0, name
    assert "[-1, 50]" in (figs / "task3b_embedding_summary.txt").read_text()
    assert read_json(figs / "task3_results.json")["e_own_predictions"] == results["e_own_predictions"]
    assert {"load", "classify", "ext_widths", "total"} <= set(results["timings_s"])


def test_end_to_end_embeddings_and_ssd_table(small_run):
    _, figs, _ = small_run
    emb = np.load(figs / "task3_embeddings.npy")
    labels, files = np.load(figs / "task3_labels.npy"), np.load(figs / "task3_files.npy")
    assert emb.shape == (12, 50) and labels.tolist() == ["alpha"] * 4 + ["beta"] * 4 + ["gamma"] * 4
    assert files[0] == "alpha/alpha_0.png"
    assert np.load(figs / "task3_own_embeddings.npy").shape == (8, 50)
    with open(figs / "task3d_ssd_table.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["image", "letter", rows[0][2]] and rows[0][2].startswith("alpha_0 (min ")
    assert len(rows) == 13 and float(rows[1][2]) == 0.0  # alpha_0 to itself
    smallest = min(float(r[2]) for r in rows[1:] if float(r[2]) > 0)
    assert rows[0][2] == f"alpha_0 (min {smallest:.1f})"


def test_end_to_end_accuracy_tables(small_run):
    results, _, _ = small_run
    for transform in ("mnist", "course"):
        table = results["accuracy"][transform]
        assert set(table["leave-one-out"]) == set(task3.CLASSIFIERS)
        assert all(total == 12 for _, total in table["leave-one-out"].values())
        assert all(total == 6 for _, total in table["own"].values())  # the 2 deltas are unknown
        assert table["own_unknown"] == 2
    assert results["accuracy"]["mnist"]["k_used"] == {"leave-one-out": 3, "own": 4}
    deltas = [row for row in results["e_own_predictions"] if row["truth"] == "delta"]
    assert len(deltas) == 2 and all(row["1-NN"] in ("alpha", "beta", "gamma") for row in deltas)
    assert results["g_transfer"]["network_agrees_with_layer_on_embeddings"]
    assert results["g_transfer"]["trainable_parameters"] == 50 * 3 + 3


def test_end_to_end_extensions_reuse_saved_widths(small_run):
    results, _, tmp = small_run
    widths = results["ext_widths"]
    assert set(widths["accuracy"]) == {"30", "50"}
    assert widths["models"]["30"] == f"reused {tmp / 'models' / 'mnist_net_h30.pt'}"
    assert widths["models"]["50"].startswith("--model")
    assert widths["accuracy"]["50"] == results["accuracy"]["mnist"]
    more = results["ext_more_letters"]
    assert more["letters"] == ["alpha", "beta", "gamma"] and more["reference_images"] == 12


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(netlib.CheckpointError, match="task1_train_mnist.py"):
        task3.main(["--model", str(tmp_path / "none.pt"), "--figures-dir", str(tmp_path)])


def test_accuracy_lines_use_the_shared_format(capsys):
    table = {"leave-one-out": {c: [27, 27] for c in task3.CLASSIFIERS},
             "own": {c: [61, 81] for c in task3.CLASSIFIERS}, "own_unknown": 3}
    task3.print_accuracy(table)
    out = capsys.readouterr().out
    assert "leave-one-out 1-NN accuracy: 27/27 (100.0%)" in out
    assert "own KNN sum accuracy: 61/81 (75.3%)" in out
    assert "own set: 3 images" in out
