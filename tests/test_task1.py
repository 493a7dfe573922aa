"""Task 1: its steps and report section on tiny data (fast), bad inputs, and whole runs (slow)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import netlib
import task1_train_mnist as task1
from recognition import cli, training, training_flags
from recognition.data import datasets, imagefiles, sheets
from recognition.report.markdown import Outputs
from recognition.report.results import load_results, save_results, to_json
from recognition.report.sections import task1 as section

CPU = torch.device("cpu")


def photo_of(digit: torch.Tensor, size=120, ink=(30, 40, 150), paper=(200, 195, 185)) -> Image.Image:
    """An MNIST digit as dark coloured ink on grey paper, upscaled like a photo."""
    a = np.asarray(Image.fromarray(digit.numpy()).resize((size, size), Image.BILINEAR), np.float32)[..., None]
    rgb = np.array(paper) * (1 - a / 255) + np.array(ink) * a / 255
    return Image.fromarray(rgb.astype(np.uint8))


def write_own_digits(folder, mnist, n=12):
    """n test digits as photos by two writers, plus a broken image and a hidden file."""
    for i in range(n):
        label = mnist.test_labels[i].item()
        writer = "writerA" if i < n // 2 else "writerB"
        (folder / writer / str(label)).mkdir(parents=True, exist_ok=True)
        photo_of(mnist.test_images[i]).save(folder / writer / str(label) / f"{label}_{i}.png")
    (folder / "writerB" / "broken.png").write_bytes(b"not an image")
    (folder / ".DS_Store").write_bytes(b"\0")
    return folder


@pytest.fixture(scope="module")
def own_folder(tmp_path_factory, mnist):
    return write_own_digits(tmp_path_factory.mktemp("own"), mnist, n=6)


@pytest.fixture(scope="module")
def training_run(tmp_path_factory, mnist, own_folder):
    """Every step of a training run on tiny data, put together as main puts them; one own photo
    stands in for a sheet of digits."""
    root = tmp_path_factory.mktemp("run")
    figs, model_path, small = root / "figures", root / "models" / "mnist_net.pt", mnist.subset(512, 100)
    cfg = training.TrainConfig(epochs=1, batch_size=64)
    first_six = task1.show_data(small, figs)
    network = task1.describe_network(cfg.seed, CPU, figs)
    trained = task1.train_and_save(small, cfg, CPU, model_path, figs, progress=False)
    model, meta = netlib.load_checkpoint(model_path)
    first_ten = task1.first_test_digits(model, small, figs / "task1f_first_nine_predictions.png")
    own = task1.own_digits(model, own_folder, figs, "task1g_own_digits_{}.png", generated=False)
    sheet = sorted(own_folder.rglob("*.png"))[0]
    read = task1.classify_sheets(
        model,
        sheets.read_sheets(sheet, root, 0, sheet.parent.name),
        figs,
        "task1g_sheet_{}.png",
        own.accuracy.overall,
    )
    results = section.Task1Results(
        seed=cfg.seed,
        first_six=first_six,
        network=network,
        training=trained,
        classified=section.Classified(
            model=section.ReadBack(path=str(model_path), note=meta.get("note"), meta=meta),
            first_ten=first_ten,
            own_digits=own,
            sheets=read,
        ),
        seconds=1.0,
    )
    save_results(figs / task1.STEP.results_file, results)
    return figs, model_path, results


def written_files(results, figs) -> list[str]:
    """Every path the results name under the figures folder (the figures, the network summary)."""

    def strings(value):
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    return [s for s in strings(to_json(results)) if s.startswith(str(figs))]


def linked_figures(text):
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)


def test_results_are_read_back_through_their_type(training_run):
    figs, _, results = training_run
    assert load_results(section.Task1Results, figs / task1.STEP.results_file) == results


def test_report_section_renders_every_step_and_figure(training_run):
    figs, _, results = training_run
    text = section.report_section(results, Outputs(figs))
    for heading in [
        "### a)",
        "### b)",
        "### c) The network",
        "### d) Training",
        "### e) Saved",
        "### f)",
        "### g) Own handwritten digits",
    ]:
        assert heading in text, heading
    assert "Not run" not in text and "classify-only" not in text
    assert f"final test accuracy {100 * results.training.test_accuracy:.2f}%" in text
    assert "adam (learning rate 0.005, onecycle schedule), batch 64, 1 epochs" in text
    own = results.classified.own_digits.accuracy
    assert f"| all | {own.overall.right}/6" in text and set(own.groups) == {"writerA", "writerB"}
    assert "broken.png" in text
    assert "The images given" in text and "Generated, not real" not in text  # a folder given: not ours
    assert "#### Sheets of digits" in text and "All own digits (single images and sheet crops)" in text
    listed = written_files(results, figs)
    assert {Path(p).name for p in listed if p.endswith(".png")} == set(linked_figures(text))
    for path in listed:  # every figure the steps wrote is listed, and every listed file exists
        assert Path(path).stat().st_size > 0, path
    assert {p.name for p in figs.iterdir()} == {Path(p).name for p in listed} | {task1.STEP.results_file}
    assert (results.network.diagram is not None) == bool(shutil.which("dot"))


def test_the_checkpoint_holds_the_whole_training_config(training_run):
    _, model_path, results = training_run
    meta = netlib.load_checkpoint(model_path)[1]
    assert training.config_from_meta(meta) == training.TrainConfig(epochs=1, batch_size=64)
    assert training.config_from_meta(results.classified.model.meta).seed == netlib.DEFAULT_SEED
    assert results.training.config == training.TrainConfig(epochs=1, batch_size=64)


def test_flag_defaults_come_from_the_training_config():
    args, defaults = task1.parse_args([]), training.TrainConfig()
    assert all(getattr(args, name) is None for name in training_flags.CONFIG_FLAGS if name != "seed")
    cfg = training_flags.config_from_args(args, {})
    assert cfg == defaults and (cfg.seed, cfg.batch_size, cfg.epochs, cfg.momentum) == (42, 64, 5, 0.5)
    sgd = training.TrainConfig.for_optimizer("sgd")
    assert (sgd.lr, sgd.schedule) == (0.01, "constant")


def test_a_classify_only_run_keeps_the_training_results(training_run, own_folder, tmp_path, capsys):
    """--no-train with a bare state dict writes its own files; the report still shows Task 1d."""
    figs, model_path, _ = training_run
    before = {p.name: p.read_bytes() for p in figs.iterdir()}
    bare = tmp_path / "bare.pt"
    torch.save(netlib.load_checkpoint(model_path)[0].state_dict(), bare)
    classify = task1.main(
        [
            "--no-train",
            "--model",
            str(bare),
            "--own-digits",
            str(own_folder),
            "--test-subset",
            "100",
            "--figures-dir",
            str(figs),
        ]
    )
    assert "hidden width 50 inferred" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in figs.iterdir() if p.name in before} == before
    new = {p.name for p in figs.iterdir()} - set(before)
    assert new == {  # a folder of one's own is read alone: no built-in sheet
        section.CLASSIFY_RESULTS_FILE,
        "task1_classify_f_first_nine_predictions.png",
        "task1_classify_g_own_digits_1.png",
    }
    assert classify.classified.sheets is None
    assert not isinstance(classify, section.Task1Results) and classify.classified.model.meta["hidden"] == 50
    assert load_results(section.ClassifyResults, figs / section.CLASSIFY_RESULTS_FILE) == classify
    outputs = Outputs(figs)
    text = section.report_section(outputs.load(section.Task1Results, task1.STEP.results_file), outputs)
    assert "### d) Training" in text and "### f, g) A classify-only run" in text
    assert "inferred from fc1.weight" in text and "task1_classify_g_own_digits_1.png" in text


def test_a_sheet_named_beside_own_digits_is_read_with_them(training_run, own_folder, tmp_path):
    _, model_path, _ = training_run
    sheet = sorted(own_folder.rglob("*.png"))[0]
    argv = ["--no-train", "--model", str(model_path), "--own-digits", str(own_folder)]
    classify = task1.main(
        [*argv, "--own-digits-sheet", str(sheet), "--test-subset", "100"] + ["--figures-dir", str(tmp_path)]
    )
    assert [Path(s.file) for s in classify.classified.sheets.sheets] == [sheet]
    assert classify.classified.sheets.generated is False


def test_own_digits_accepts_a_single_image(training_run, own_folder, tmp_path):
    _, model_path, _ = training_run
    image = next(own_folder.rglob("*.png"))
    result = task1.own_digits(netlib.load_checkpoint(model_path)[0], image, tmp_path, "one_{}.png", False)
    assert result.files == [str(image)]
    assert result.accuracy.overall.total == 1


def test_the_built_in_folder_is_generated_wherever_it_is_named(tmp_path, monkeypatch):
    made = []
    monkeypatch.setattr(task1.pages, "write_own_digits", lambda folder, *a, **k: made.append(folder))
    monkeypatch.chdir(tmp_path)
    # not named: the built-in set under the data folder
    assert task1.own_digits_folder(None, tmp_path / "d", False, 42) == tmp_path / "d" / "own_digits"
    # named, relative or absolute, and missing: an error unless --generate-missing
    for given in (task1.Path("data/own_digits"), tmp_path / "data" / "own_digits"):
        with pytest.raises(cli.UserError, match="does not exist.*--generate-missing"):
            task1.own_digits_folder(given, task1.Path("data"), False, 42)
        assert task1.own_digits_folder(given, task1.Path("data"), True, 42) == given
    assert made == [
        tmp_path / "d" / "own_digits",
        task1.Path("data/own_digits"),
        tmp_path / "data" / "own_digits",
    ]
    present = tmp_path / "present"
    present.mkdir()
    assert task1.own_digits_folder(present, task1.Path("data"), False, 42) == present
    assert len(made) == 3  # an existing folder is never generated into


def test_the_built_in_set_is_marked_generated_and_the_mark_is_no_image(tmp_path):
    task1.pages.write_own_digits(tmp_path / "own", seed=1)
    assert task1.pages.is_generated(tmp_path / "own") and not task1.pages.is_generated(tmp_path)
    scan = imagefiles.scan_image_folder(tmp_path / "own")
    assert not scan.skipped and len(scan.paths) == 120


def test_no_readable_own_image_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(cli.UserError, match="no readable images"):
        task1.classify_own_digits(netlib.MnistNet().eval(), tmp_path)


def run_script(*args):
    return subprocess.run(
        [sys.executable, "task1_train_mnist.py", *map(str, args)], capture_output=True, text=True
    )


@pytest.mark.slow  # runs the script in a new interpreter
def test_missing_model_says_to_train_first(tmp_path, own_folder):
    run = run_script(
        "--no-train", "--model", tmp_path / "none.pt", "--figures-dir", tmp_path, "--own-digits", own_folder
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "none.pt" in run.stderr and "task1_train_mnist.py" in run.stderr


@pytest.mark.slow  # runs the script in a new interpreter
def test_an_unwritable_figures_folder_is_one_line_naming_it(tmp_path):
    """As root a read-only folder can still be written, so the folder's parent is a regular file."""
    (tmp_path / "file").write_text("a file, not a folder")
    run = run_script("--figures-dir", tmp_path / "file" / "figs", "--epochs", "1", "--train-subset", "64")
    assert run.returncode == 1
    assert run.stderr.strip() == f"error: cannot use {tmp_path / 'file' / 'figs'}: Not a directory"


# --- whole runs (slow) -----------------------------------------------------------------------


@pytest.mark.slow
def test_end_to_end_on_a_small_subset(tmp_path, mnist, capsys):
    figs, models, own = tmp_path / "figures", tmp_path / "models", write_own_digits(tmp_path / "own", mnist)
    results = task1.main(
        [
            "--train-subset",
            "3000",
            "--test-subset",
            "500",
            "--epochs",
            "1",
            "--figures-dir",
            str(figs),
            "--models-dir",
            str(models),
            "--own-digits",
            str(own),
            "--no-progress",
        ]
    )
    assert results.first_six.labels == [7, 2, 1, 0, 4, 1]
    assert "\nepoch 1: train loss " in capsys.readouterr().out  # no bar, but a line per epoch
    assert results.network.parameters == 21840
    assert (models / "mnist_net.pt").is_file() and (figs / task1.STEP.results_file).is_file()
    first, own_result = results.classified.first_ten, results.classified.own_digits
    assert len(first.outputs) == 10
    assert own_result.accuracy.overall.total == 12
    assert [p.endswith("broken.png") for p, _ in own_result.skipped] == [True]

    again = task1.main(
        [
            "--no-train",
            "--model",
            str(models / "mnist_net.pt"),
            "--test-subset",
            "500",
            "--figures-dir",
            str(tmp_path / "again"),
            "--own-digits",
            str(own),
            "--no-progress",
        ]
    )
    again_first = again.classified.first_ten
    assert (again_first.outputs, again_first.predicted, again_first.labels) == (
        first.outputs,
        first.predicted,
        first.labels,
    )
    assert again.classified.own_digits.predicted == own_result.predicted


@pytest.mark.slow
def test_one_full_epoch_reaches_97_percent(mnist):
    netlib.seed_everything(42)
    model = netlib.MnistNet()
    hist = training.train(
        model,
        datasets.to_model_input(mnist.train_images),
        mnist.train_labels,
        datasets.to_model_input(mnist.test_images),
        mnist.test_labels,
        training.TrainConfig(epochs=1, eval_train=False),
        progress=False,
    )
    assert hist.test_acc[-1] >= 0.97
