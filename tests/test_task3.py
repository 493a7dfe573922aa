import csv
import subprocess
import sys

import numpy as np
import pytest
import torch
from greek_helpers import QuickProjection, letter_sets, quick_save, saved_network, tiny_mnist
from PIL import Image, ImageDraw

import netlib
import task3_greek_embedding as task3
from recognition import cli, embedding
from recognition.data import greeksets
from recognition.handwriting import glyphs
from recognition.io import read_json
from recognition.report import plots
from recognition.report.markdown import Results, fraction


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
    ref = greeksets.load_reference(two_letter_folder, transform, None)
    assert ref.labels == ["iota", "iota", "omicron", "omicron"]  # alphabet order: iota before omicron
    bar = ref.images[1].numpy()  # the bar in the middle of the paper
    assert bar.shape == (28, 28)
    border = np.concatenate([bar[:2].ravel(), bar[-2:].ravel(), bar[:, :2].ravel(), bar[:, -2:].ravel()])
    assert border.mean() < 0.1 and bar.max() > 0.8  # bright ink on black
    assert abs(column_centre(bar) - 13.5) < 1.0
    assert (bar > 0.5).any(axis=1).sum() >= 17  # a tall bar: it fills most of the height


def test_only_the_mnist_recipe_centres_an_off_centre_bar(two_letter_folder):
    off_centre = {
        t: greeksets.load_reference(two_letter_folder, t, None).images[0].numpy() for t in ("mnist", "course")
    }
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
    ref = greeksets.load_reference(root, "mnist", None)
    names = [p.name for p in ref.paths]
    plain = ref.images[names.index("plain.png")]
    for name in ("transparent.png", "photo.jpg"):
        other = ref.images[names.index(name)]
        # JPEG ringing may move a stroke edge by a pixel, nothing more
        assert float((other - plain).abs().mean()) < 0.08, name


def test_hidden_files_checkpoints_and_non_images_are_ignored_and_an_empty_class_is_reported(
    two_letter_folder, capsys
):
    root = two_letter_folder
    write(bar_image(), root / ".ipynb_checkpoints" / "iota_0-checkpoint.png")
    write(bar_image(), root / "iota" / ".hidden.png")
    write(bar_image(), root / "iota" / ".ipynb_checkpoints" / "iota_1-checkpoint.png")
    (root / ".DS_Store").write_bytes(b"\0")
    (root / "notes.txt").write_text("not an image")
    (root / "delta").mkdir()
    ref = greeksets.load_reference(root, "mnist", None)
    assert sorted(set(ref.labels)) == ["iota", "omicron"] and len(ref.labels) == 4
    out = capsys.readouterr().out
    assert "notes.txt" in out and "not an image" in out
    assert "delta holds no images" in out
    assert "-checkpoint.png" not in out and ".DS_Store" not in out and ".hidden" not in out


def test_missing_letters_and_a_single_letter_are_clear_errors(two_letter_folder, tmp_path):
    with pytest.raises(cli.UserError, match="no images of delta"):
        greeksets.load_reference(two_letter_folder, "mnist", ("iota", "delta"))
    write(bar_image(), tmp_path / "one" / "iota" / "a.png")
    with pytest.raises(cli.UserError, match="at least two letters"):
        greeksets.load_reference(tmp_path / "one", "mnist", None)


def test_a_missing_built_in_folder_is_generated_and_a_given_one_never(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    own = tmp_path / "mine"
    own.mkdir()
    greek, own_dir, generated = greeksets.letter_folders(None, own, all_letters=False, seed=0)
    assert greek == greeksets.DEFAULT_GREEK and own_dir == own and generated == [str(greeksets.DEFAULT_GREEK)]
    assert sorted(p.name for p in greek.iterdir()) == sorted(glyphs.REFERENCE_LETTERS)
    assert len(list(greek.rglob("*.png"))) == 9 * len(glyphs.REFERENCE_LETTERS)
    assert "was missing: generated 36" in capsys.readouterr().out
    assert not list(own.iterdir())  # a folder given by its flag is never written into
    assert greeksets.letter_folders(None, own, all_letters=False, seed=0)[2] == []  # now it exists
    for given, what in ((tmp_path / "nowhere", "does not exist"), (tmp_path / "x.png", "is a file")):
        given.touch() if given.suffix else None
        with pytest.raises(cli.UserError, match=f"--greek-dir {given} {what}.*leave out --greek-dir"):
            greeksets.letter_folders(given, own, all_letters=False, seed=0)


def test_an_explicit_greek_dir_wins_and_names_the_letters_it_lacks(two_letter_folder, tmp_path, monkeypatch):
    """--greek-dir with --letters beyond its folders once read data/greek_all silently: now an error."""
    monkeypatch.chdir(tmp_path)
    model = saved_network(tmp_path / "models" / "mnist_net.pt")
    with pytest.raises(cli.UserError) as err:
        task3.main(
            [
                "--greek-dir",
                str(two_letter_folder),
                "--own-dir",
                str(two_letter_folder),
                "--letters",
                "iota,delta,omicron,zeta",
                "--model",
                str(model),
                "--figures-dir",
                str(tmp_path / "figs"),
            ]
        )
    message = str(err.value)
    assert str(two_letter_folder) in message and "delta, zeta" in message and "--letters" in message
    assert not (tmp_path / "data").exists()  # nothing built-in was generated or read


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["--letters", "alpha"],
            "--letters expects 'all' or at least two comma-separated letter names such as "
            "alpha,beta,delta, got 'alpha'",
        ),
        (["--letters", ","], "--letters expects"),
        (["--k", "0"], "--k expects a positive integer such as 9, got '0'"),
        (["--transfer-steps", "many"], "--transfer-steps expects a positive integer such as 200, got 'many'"),
    ],
)
def test_list_flags_name_themselves_and_an_example(argv, expected, capsys):
    with pytest.raises(SystemExit):
        task3.parse_args(argv)
    assert expected in capsys.readouterr().err


def test_letters_all_means_every_letter_glyphs_draws():
    assert task3.parse_args(["--letters", "all"]).letters == glyphs.GREEK_LETTERS
    assert task3.parse_args(["--letters", "Beta, alpha,beta"]).letters == ("beta", "alpha")
    assert greeksets.needs_all_letters(("alpha", "delta"))
    assert not greeksets.needs_all_letters(("alpha", "beta")) and not greeksets.needs_all_letters(None)


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(cli.UserError, match="task1_train_mnist.py"):
        task3.main(["--model", str(tmp_path / "none.pt"), "--figures-dir", str(tmp_path)])


def test_ink_statistics_of_a_centred_and_an_off_centre_bar():
    image = np.zeros((28, 28))
    image[4:24, 13:15] = 1.0  # 20 px tall, 2 px wide, centred
    shifted = np.roll(image, 3, axis=1)
    stats = task3.ink_statistics([image, shifted])
    assert stats["ink_height_px"] == 20 and stats["border_brightness"] == 0.0
    assert stats["centre_offset_px"] == pytest.approx(1.5)  # 0 and 3 px off, averaged
    assert 1.5 < stats["stroke_width_px"] < 2.5


# --- SSD and the classifiers -----------------------------------------------------------------


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
        out = net(task3.datasets.to_model_input(images))
    assert out.shape == (5, 3)
    assert out.argmax(1).tolist() == embedding.head_predict(emb, weight, bias).tolist()
    assert model.fc2.out_features == 10  # the digit network itself is untouched


def test_ssd_table_headers_hold_each_columns_smallest_non_zero_ssd():
    d = np.array([[0.0, 4.0, 9.0], [4.0, 0.0, 1.0], [9.0, 1.0, 0.0]])
    table = task3.ssd_table(d, ["alpha", "alpha", "beta"], ["alpha_0", "alpha_1", "beta_0"])
    assert [c["header"] for c in table["columns"]] == ["alpha_0 (min 4.0)", "beta_0 (min 1.0)"]
    assert table["columns"][1]["ssd"] == [9.0, 1.0, 0.0]


# --- the whole script ------------------------------------------------------------------------


def selection_set(folder):
    """Yet other writers' letters (another seed than letter_sets' own set), to choose the headline layer."""
    glyphs.write_glyph_set(
        folder, ("alpha", "beta", "gamma"), per_class=1, seed=7, style=glyphs.OWN_STYLE, writers=2
    )
    return folder


def test_the_headline_layer_is_chosen_on_the_selection_set_and_scored_on_the_own_set(tmp_path, monkeypatch):
    greek, own = letter_sets(tmp_path)
    sets = greeksets.load_sets(greek, own, None, "mnist", 0, False, every_transform=False)
    folder, select = greeksets.load_selection(
        selection_set(tmp_path / "select"), False, "mnist", ["alpha", "beta", "gamma"], 0
    )
    netlib.seed_everything(0)
    model = netlib.MnistNet().eval()
    result, _, _, _ = embedding.classify_and_score(model, sets.ref["mnist"], sets.own["mnist"], steps=5)
    compared = []
    real_compare = embedding.compare_layers
    monkeypatch.setattr(
        embedding, "compare_layers", lambda m, r, o: compared.append(o) or real_compare(m, r, o)
    )
    h = task3.step_headline(model, result, sets, "mnist", (folder, select))["headline"]
    assert len(compared) == 1 and compared[0] is select  # chosen on the selection writers only
    chosen = embedding.best_layer(real_compare(model, sets.ref["mnist"], select))
    assert (h["layer"], h["distance"]) == (chosen["layer"], chosen["distance"])
    assert h["selection"] == chosen["other_writers"] and h["selection"][1] == 6
    d = embedding.DISTANCES[h["distance"]](
        embedding.embed(model, sets.own["mnist"].images, layer=h["layer"]),
        embedding.embed(model, sets.ref["mnist"].images, layer=h["layer"]),
    )
    truth = sets.own["mnist"].labels
    predicted = embedding.nearest_neighbour(d, np.asarray(sets.ref["mnist"].labels))
    assert h["predictions"] == predicted.tolist() and len(h["predictions"]) == 8
    assert h["own"] == [sum(p == t for p, t in zip(predicted, truth)), 6]  # the 2 deltas are not scored
    assert h["assignment_50d_ssd"] == [sum(p == t for p, t in zip(result["own"]["1-NN"], truth)), 6]
    with pytest.raises(cli.UserError, match="--select-dir"):
        greeksets.load_selection(tmp_path / "none", False, "mnist", ["alpha"], 0)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """Every step of Task 3 on three letters (3 images each), an untrained network and tiny MNIST files."""
    import sklearn.manifold

    tmp = tmp_path_factory.mktemp("task3")
    greek, own = letter_sets(tmp)
    select = selection_set(tmp / "select")
    model = saved_network(tmp / "models" / "mnist_net.pt")
    figs = tmp / "figures"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sklearn.manifold, "TSNE", QuickProjection)
        patch.setattr(plots, "save_figure", quick_save)
        results = task3.main(
            [
                "--greek-dir",
                str(greek),
                "--own-dir",
                str(own),
                "--model",
                str(model),
                "--select-dir",
                str(select),
                "--data-dir",
                str(tiny_mnist(tmp / "data")),
                "--figures-dir",
                str(figs),
                "--transfer-steps",
                "30",
            ]
        )
    return results, figs


def test_every_figure_is_listed_and_written(tiny_run):
    results, figs = tiny_run
    listed = [p for v in results["figures"].values() for p in (v if isinstance(v, list) else [v])]
    assert sorted(listed) == sorted(
        str(figs / name)
        for name in [
            "task3a_reference_set.png",
            "task3a_transform_check.png",
            "task3b_embedding_summary.txt",
            "task3d_ssd_table.csv",
            "task3d_ssd_matrix.png",
            "task3e_own_symbols_1.png",
            "task3f_confusion.png",
            "task3f_embedding_projection.png",
        ]
    )
    assert all((figs / p).stat().st_size > 0 for p in listed)
    assert "[-1, 50]" in (figs / "task3b_embedding_summary.txt").read_text()
    assert read_json(figs / task3.RESULTS_FILE)["e_own_predictions"] == results["e_own_predictions"]
    assert {"load", "classify", "f_g", "total"} <= set(results["timings_s"])


def test_embeddings_and_ssd_table_files(tiny_run):
    _, figs = tiny_run
    emb = np.load(figs / "task3_embeddings.npy")
    labels, files = np.load(figs / "task3_labels.npy"), np.load(figs / "task3_files.npy")
    assert emb.shape == (9, 50) and labels.tolist() == ["alpha"] * 3 + ["beta"] * 3 + ["gamma"] * 3
    assert files[0] == "alpha/alpha_0.png"
    assert np.load(figs / "task3_own_embeddings.npy").shape == (8, 50)
    with open(figs / "task3d_ssd_table.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:2] == ["image", "letter"] and rows[0][2].startswith("alpha_0 (min ")
    assert len(rows) == 10 and float(rows[1][2]) == 0.0  # alpha_0 to itself
    smallest = min(float(r[2]) for r in rows[1:] if float(r[2]) > 0)
    assert rows[0][2] == f"alpha_0 (min {smallest:.1f})"


def test_accuracy_tables_count_unknown_letters_apart(tiny_run):
    results, _ = tiny_run
    for transform in ("mnist", "course"):
        table = results["accuracy"][transform]
        assert set(table["leave-one-out"]) == set(embedding.CLASSIFIERS)
        assert all(total == 9 for _, total in table["leave-one-out"].values())
        assert all(total == 6 for _, total in table["own"].values())  # the 2 deltas are unknown
        assert table["own_unknown"] == 2
    assert results["accuracy"]["mnist"]["k_used"] == {"leave-one-out": 2, "own": 3}
    deltas = [row for row in results["e_own_predictions"] if row["truth"] == "delta"]
    assert len(deltas) == 2 and all(row["1-NN"] in ("alpha", "beta", "gamma") for row in deltas)
    assert results["g_transfer"]["network_agrees_with_layer_on_embeddings"]
    assert results["g_transfer"]["trainable_parameters"] == 50 * 3 + 3
    assert results["g_transfer"]["steps"] == 30


def test_the_report_section_renders_the_steps_results(tiny_run):
    results, figs = tiny_run
    text = task3.report_section(Results(figs))
    for heading in [
        "## Task 3",
        "### a) The data",
        "### b) The embedding network",
        "### c) Embeddings",
        "### d) Sum-of-squared-difference",
        "### e) Own symbols",
        "### f, g) KNN",
    ]:
        assert heading in text, heading
    assert "Not run" not in text and "[-1, 50]" in text  # the summary file is read in
    mnist = results["accuracy"]["mnist"]
    assert (
        "| `mnist` | own | " + " | ".join(fraction(*mnist["own"][c]) for c in embedding.CLASSIFIERS) in text
    )
    wrong = sum(row["1-NN"] != row["truth"] for row in results["e_own_predictions"])
    assert f"8 own symbols, {wrong} wrong by 1-NN" in text
    for name in ("task3a_reference_set.png", "task3d_ssd_matrix.png", "task3f_embedding_projection.png"):
        assert f"]({name})" in text
    h = results["headline"]
    assert (
        f"headline: own symbols by {h['layer']}/{h['distance']} 1-NN: {fraction(*h['own'])}; the "
        f"assignment's 50-d SSD: {fraction(*mnist['own']['1-NN'])}"
    ) in text


def test_without_results_the_section_says_how_to_make_them(tmp_path):
    text = task3.report_section(Results(tmp_path))
    assert "**Not run**" in text and task3.COMMAND in text


def test_accuracy_lines_use_the_shared_format():
    table = {
        "leave-one-out": {c: [27, 27] for c in embedding.CLASSIFIERS},
        "own": {c: [61, 81] for c in embedding.CLASSIFIERS},
        "own_unknown": 3,
    }
    lines = embedding.accuracy_lines(table)
    assert "  leave-one-out 1-NN accuracy: 27/27 (100.0%)" in lines
    assert "  own KNN sum accuracy: 61/81 (75.3%)" in lines
    assert any("own set: 3 images" in line for line in lines)


@pytest.mark.slow
def test_the_script_end_to_end_draws_every_figure(tmp_path):
    greek, own = letter_sets(tmp_path)
    model = saved_network(tmp_path / "models" / "mnist_net.pt")
    figs = tmp_path / "figures"
    done = subprocess.run(
        [
            sys.executable,
            "task3_greek_embedding.py",
            "--greek-dir",
            str(greek),
            "--own-dir",
            str(own),
            "--model",
            str(model),
            "--data-dir",
            str(tiny_mnist(tmp_path / "data")),
            "--select-dir",
            str(selection_set(tmp_path / "select")),
            "--figures-dir",
            str(figs),
            "--transfer-steps",
            "30",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    results = read_json(figs / task3.RESULTS_FILE)
    for path in [p for v in results["figures"].values() for p in (v if isinstance(v, list) else [v])]:
        if path.endswith(".png"):
            assert Image.open(path).size[0] > 300, path
    assert len(results["f_projection"]["pca_explained_variance"]) == 2


@pytest.mark.slow
def test_the_script_reports_a_bad_folder_in_one_line(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "task3_greek_embedding.py",
            "--greek-dir",
            str(tmp_path / "none"),
            "--model",
            str(saved_network(tmp_path / "m.pt")),
            "--figures-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: --greek-dir {tmp_path / 'none'} does not exist: give a folder of letter images "
        "(alpha/x.png, ...), or leave out --greek-dir to use the built-in set"
    ]
