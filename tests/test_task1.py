"""Task 1: its steps and report section on tiny data (fast), bad inputs, and whole runs (slow)."""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import netlib
import task1_train_mnist as task1
from recognition import cli, training
from recognition.data import datasets
from recognition.io import write_json
from recognition.report.markdown import Results

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
    """Every step of a training run on tiny data, merged as main merges them."""
    root = tmp_path_factory.mktemp("run")
    figs, model_path, small = root / "figures", root / "models" / "mnist_net.pt", mnist.subset(512, 100)
    cfg = training.TrainConfig(epochs=1, batch_size=64)
    results = {"seed": cfg.seed, "device": "cpu"}
    task1.add(results, task1.show_data(small, figs))
    task1.add(results, task1.describe_network(cfg.seed, CPU, figs))
    task1.add(results, task1.train_and_save(small, cfg, CPU, model_path, figs, progress=False))
    model, results["model_meta"] = netlib.load_checkpoint(model_path)
    task1.add(results, task1.first_test_digits(model, small, figs / "task1f_first_nine_predictions.png"))
    task1.add(results, task1.own_digits(model, own_folder, figs, "task1g_own_digits_{}.png"))
    results["timings_s"]["total"] = 1.0
    write_json(figs / task1.RESULTS_FILE, results)
    return figs, model_path, results


def linked_figures(text):
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)


def test_report_section_renders_every_step_and_figure(training_run):
    figs, _, results = training_run
    text = task1.report_section(Results(figs))
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
    assert f"final test accuracy {100 * results['test_accuracy']:.2f}%" in text
    assert "adam (learning rate 0.005, onecycle schedule), batch 64, 1 epochs" in text
    own = results["g_own_digits"]["accuracy"]
    assert f"| all | {own['overall'][0]}/6" in text and set(own["groups"]) == {"writerA", "writerB"}
    assert "broken.png" in text
    listed = [p for v in results["figures"].values() for p in (v if isinstance(v, list) else [v])]
    assert {p.rsplit("/", 1)[-1] for p in listed if p.endswith(".png")} == set(linked_figures(text))
    for path in listed:  # every figure the steps wrote is listed, and every listed file exists
        assert (figs / path.rsplit("/", 1)[-1]).stat().st_size > 0, path
    assert {p.name for p in figs.iterdir()} == {p.rsplit("/", 1)[-1] for p in listed} | {task1.RESULTS_FILE}
    assert ("c_diagram" in results["figures"]) == bool(shutil.which("dot"))


def test_the_checkpoint_holds_the_whole_training_config(training_run):
    _, model_path, results = training_run
    meta = netlib.load_checkpoint(model_path)[1]
    assert training.config_from_meta(meta) == training.TrainConfig(epochs=1, batch_size=64)
    assert results["model_meta"]["train_config"]["seed"] == netlib.DEFAULT_SEED


def test_flag_defaults_come_from_the_training_config():
    args, defaults = task1.parse_args([]), training.TrainConfig()
    fields = {name: getattr(args, name) for name in task1.CONFIG_FLAGS}  # None: not given
    cfg = task1.train_config(
        {}, args.optimizer, args.lr, args.schedule, weight_decay=args.weight_decay, **fields
    )
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
    sheets = {f"task1_classify_g_sheet_{k}.png" for k in (1, 2, 3)}  # the built-in sheets
    assert (
        new
        == {
            task1.CLASSIFY_RESULTS_FILE,
            "task1_classify_f_first_nine_predictions.png",
            "task1_classify_g_own_digits_1.png",
        }
        | sheets
    )
    assert "history" not in classify and classify["model_meta"]["hidden"] == 50
    text = task1.report_section(Results(figs))
    assert "### d) Training" in text and "### f, g) A classify-only run" in text
    assert "inferred from fc1.weight" in text and "task1_classify_g_own_digits_1.png" in text


def test_own_digits_accepts_a_single_image(training_run, own_folder, tmp_path):
    _, model_path, _ = training_run
    image = next(own_folder.rglob("*.png"))
    result = task1.own_digits(netlib.load_checkpoint(model_path)[0], image, tmp_path, "one_{}.png")
    assert result["g_own_digits"]["files"] == [str(image)]
    assert result["g_own_digits"]["accuracy"]["overall"][1] == 1


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
def test_end_to_end_on_a_small_subset(tmp_path, mnist):
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
    assert results["a_first_six_labels"] == [7, 2, 1, 0, 4, 1]
    assert results["parameters"] == 21840
    assert (models / "mnist_net.pt").is_file() and (figs / task1.RESULTS_FILE).is_file()
    assert len(results["f_first_ten"]["outputs"]) == 10
    own_result = results["g_own_digits"]
    assert own_result["accuracy"]["overall"][1] == 12
    assert [p.endswith("broken.png") for p, _ in own_result["skipped"]] == [True]

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
    assert again["f_first_ten"] == results["f_first_ten"]
    assert again["g_own_digits"]["predicted"] == own_result["predicted"]


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
