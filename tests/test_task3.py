"""Task 3's script: its flags, the headline's choice of layer, every step on tiny data, its typed
results and its report section. The letter sets are tests/test_greeksets.py's, the classifiers
tests/test_classifiers.py's."""

import csv
import subprocess
import sys

import numpy as np
import pytest
from greek_helpers import QuickProjection, letter_sets, quick_save, saved_network, tiny_mnist
from PIL import Image

import netlib
import report
import task3_greek_embedding as task3
from recognition import cli, embedding, readers
from recognition.data import greeksets, preprocess
from recognition.handwriting import glyphs
from recognition.report import plots
from recognition.report.markdown import Outputs, fraction
from recognition.report.results import load_results, to_json
from recognition.report.sections.task3 import Task3Results, ssd_table

# --- flags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["--letters", "alpha"],
            "--letters expects 'all' or at least two comma-separated letter names such as "
            "alpha,beta,delta, got 'alpha'",
        ),
        (["--letters", ","], "--letters expects"),
        (["--k", "0"], "argument --k: '0' is not a whole number >= 1"),
        (["--transfer-steps", "many"], "argument --transfer-steps: 'many' is not a whole number >= 1"),
    ],
)
def test_list_flags_name_themselves_and_an_example(argv, expected):
    with pytest.raises(cli.UserError) as err:  # one line, exit 1 (cli.ArgumentParser)
        task3.parse_args(argv)
    assert expected in str(err.value)


def test_letters_all_means_every_letter_glyphs_draws():
    assert task3.parse_args(["--letters", "all"]).letters == glyphs.GREEK_LETTERS
    assert task3.parse_args(["--letters", "Beta, alpha,beta"]).letters == ("beta", "alpha")
    assert greeksets.needs_all_letters(("alpha", "delta"))
    assert not greeksets.needs_all_letters(("alpha", "beta")) and not greeksets.needs_all_letters(None)


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(cli.UserError, match="task1_train_mnist.py"):
        task3.main(["--model", str(tmp_path / "none.pt"), "--figures-dir", str(tmp_path)])


# --- the parts -------------------------------------------------------------------------------


def test_ink_statistics_of_a_centred_and_an_off_centre_bar():
    image = np.zeros((28, 28))
    image[4:24, 13:15] = 1.0  # 20 px tall, 2 px wide, centred
    shifted = np.roll(image, 3, axis=1)
    stats = preprocess.ink_statistics([image, shifted])
    assert stats.ink_height_px == 20 and stats.border_brightness == 0.0
    assert stats.centre_offset_px == pytest.approx(1.5)  # 0 and 3 px off, averaged
    assert 1.5 < stats.stroke_width_px < 2.5


def test_ssd_table_headers_hold_each_columns_smallest_non_zero_ssd():
    d = np.array([[0.0, 4.0, 9.0], [4.0, 0.0, 1.0], [9.0, 1.0, 0.0]])
    table = ssd_table(d, ["alpha", "alpha", "beta"], ["alpha_0", "alpha_1", "beta_0"])
    assert [c.header for c in table.columns] == ["alpha_0 (min 4.0)", "beta_0 (min 1.0)"]
    assert table.columns[1].ssd == [9.0, 1.0, 0.0]


def selection_set(folder):
    """Yet other writers' letters (another seed than letter_sets' own set), to choose the headline layer."""
    glyphs.write_glyph_set(
        folder, ("alpha", "beta", "gamma"), per_class=1, seed=7, style=glyphs.OWN_STYLE, writers=2
    )
    return folder


def test_the_headline_reader_is_chosen_on_the_selection_set_and_scored_on_the_own_set(tmp_path, monkeypatch):
    greek, own = letter_sets(tmp_path)
    sets = greeksets.load_sets(greek, own, tmp_path / "data", None, "mnist", 0, False, every_transform=False)
    folder, select = greeksets.load_selection(
        selection_set(tmp_path / "select"), tmp_path / "data", False, "mnist", ["alpha", "beta", "gamma"], 0
    )
    netlib.seed_everything(0)
    model = netlib.MnistNet().eval()
    chosen_on = []
    real_choose = readers.choose
    monkeypatch.setattr(readers, "choose", lambda refs, s: chosen_on.append(s) or real_choose(refs, s))
    h = task3.step_headline(model, sets, "mnist", (folder, select), 3, 0)
    assert len(chosen_on) == 1 and chosen_on[0] is select  # chosen on the selection writers only
    ref, own_set = sets.ref["mnist"], sets.own["mnist"]
    refs = readers.References.of(model, ref, 3, 0)
    best = real_choose(refs, select)[0]
    assert (h.layer, h.distance, h.classifier) == (
        best.reader.layer,
        best.reader.distance,
        best.reader.classifier,
    )
    assert h.selection == best.selection and h.selection[1] == 6 and h.select_dir == str(folder)
    reading = refs.read(best.reader, readers.embed_all(model, own_set.images))
    truth = own_set.labels
    assert h.predictions == reading.answers.tolist() and len(h.predictions) == 8
    assert h.own == (sum(p == t for p, t in zip(reading.answers, truth)), 6)  # the 2 deltas are not scored
    assert h.others[0].reader == h.name and h.others[0].own == h.own
    assert readers.ASSIGNMENT.name in [row.reader for row in h.others]
    assert len(h.near_ties) == int(reading.near_ties.sum())
    assert not (tmp_path / "data").exists()  # every folder was given


# --- the whole script on tiny data -----------------------------------------------------------


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


def figure_files(results: Task3Results) -> list[str]:
    listed = to_json(results.figures).values()
    return [p for v in listed for p in (v if isinstance(v, list) else [v])]


def test_every_figure_is_listed_and_written_and_the_results_read_back(tiny_run):
    results, figs = tiny_run
    listed = figure_files(results)
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
    assert load_results(Task3Results, figs / task3.STEP.results_file) == results
    assert results.seconds >= sum(vars(results.phases_s).values()) > 0 and results.hidden == 50


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
        table = results.accuracy[transform]
        loo, own = (table.part(s) for s in embedding.SETS)
        assert all(loo.of(c)[1] == 9 for c in embedding.CLASSIFIERS)
        assert all(own.of(c)[1] == 6 for c in embedding.CLASSIFIERS)  # the 2 deltas are unknown
        assert table.own_unknown == 2
    assert results.accuracy["mnist"].k_used == embedding.KUsed(leave_one_out=2, own=3)
    deltas = [row for row in results.own_predictions if row.truth == "delta"]
    assert len(deltas) == 2 and all(row.predicted.one_nn in ("alpha", "beta", "gamma") for row in deltas)
    assert results.transfer.network_agrees_with_layer_on_embeddings
    assert results.transfer.trainable_parameters == 50 * 3 + 3
    assert results.transfer.steps == 30


def test_the_report_section_renders_the_steps_results(tiny_run):
    results, figs = tiny_run
    text = report.section(task3.STEP, results, Outputs(figs))
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
    mnist = results.accuracy["mnist"]
    own = " | ".join(fraction(*mnist.own.of(c)) for c in embedding.CLASSIFIERS)
    assert "| `mnist` | own | " + own in text
    wrong = sum(row.predicted.one_nn != row.truth for row in results.own_predictions)
    assert f"8 own symbols, {wrong} wrong by 1-NN" in text
    for name in ("task3a_reference_set.png", "task3d_ssd_matrix.png", "task3f_embedding_projection.png"):
        assert f"]({name})" in text
    h = results.headline
    assert f"**own symbols by the chosen reader, {h.name} ({h.width}-d): {fraction(*h.own)}.**" in text
    assignment = next(row for row in h.others if row.reader == readers.ASSIGNMENT.name)
    assert assignment.own == mnist.own.one_nn  # the same 50-d SSD 1-NN as the tables below
    name = f"**{assignment.reader}**" if h.others[0] is assignment else assignment.reader  # chosen: bold
    assert f"| {name} | {fraction(*assignment.selection)} | {fraction(*assignment.own)} |" in text


def test_without_results_the_report_says_how_to_make_them(tmp_path):
    results = Outputs(tmp_path).load(Task3Results, task3.STEP.results_file)
    text = report.section(task3.STEP, results, Outputs(tmp_path))
    assert "**Not run**" in text and task3.STEP.command in text


# --- as a person runs it ---------------------------------------------------------------------


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
    results = load_results(Task3Results, figs / task3.STEP.results_file)
    for path in figure_files(results):
        if path.endswith(".png"):
            assert Image.open(path).size[0] > 300, path
    assert len(results.projection.pca_explained_variance) == 2


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
