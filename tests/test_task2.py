"""Task 2: the filter readings, filtering, the steps and report section (fast), whole runs (slow)."""

import dataclasses
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import netlib
import report
import task2_examine as task2
from recognition import cli
from recognition.networks import filters
from recognition.report.markdown import Outputs
from recognition.report.results import load_results

EDGE = np.tile([-1.0, -1.0, 0.0, 1.0, 1.0], (5, 1))  # dark left, bright right: a vertical edge


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    netlib.seed_everything(0)
    return netlib.save_checkpoint(netlib.MnistNet(), tmp_path_factory.mktemp("models") / "tiny.pt")


@pytest.fixture(scope="module")
def model(model_path):
    return netlib.load_checkpoint(model_path)[0]


@pytest.fixture(scope="module")
def examined(tmp_path_factory, model_path, mnist):
    """A whole run on one digit, asked for twice (it is examined once); needs MNIST, as `mnist` checks."""
    figs = tmp_path_factory.mktemp("figures")
    digit = ["--image-set", "test", "--image-index", "1", "--compare-with", "test:1"]
    return figs, task2.main(["--model", str(model_path), "--figures-dir", str(figs), *digit])


def test_the_steps_results_and_figures(examined, model):
    figs, results = examined
    assert results.first_layer.weight_shape == [10, 1, 5, 5]
    assert results.second_layer.weight_shape == [20, 10, 5, 5]
    assert results.model.summary_parameters == results.model.parameters == 21840
    assert [(d.image_set, d.index, d.label) for d in results.digits] == [("test", 1, 2)]  # once
    digit = results.digits[0]
    assert digit.conv_output_shape == [20, 4, 4] and digit.block1_output_shape == [10, 12, 12]
    figures = [
        results.model.summary_file,
        results.first_layer.figure,
        results.second_layer.figure,
        *dataclasses.astuple(digit.figures),
    ]
    written = sorted(p.name for p in figs.iterdir())
    assert written == sorted([p.name for p in figures] + [task2.STEP.results_file])
    assert all(p.stat().st_size > 0 for p in figures)
    # One reading per filter, in the filters' order.
    weights = model.conv1.weight.detach()[:, 0].numpy()
    assert results.first_layer.readings == [filters.read_filter(w) for w in weights]
    assert min(dataclasses.astuple(results.timings_s)) >= 0 and digit.seconds > 0
    assert load_results(task2.Task2Results, figs / task2.STEP.results_file) == results


def test_report_section_renders_every_step_and_figure(examined):
    figs, results = examined
    text = report.section(task2.STEP, results, Outputs(figs))
    for heading in ["## Task 2", "### a) The first layer", "### b) What the filters do", "### c) Truncated"]:
        assert heading in text
    assert "Not run" not in text and "lists 21,840 parameters" in text
    assert all(r.text in text for r in results.first_layer.readings)
    assert "On test image 1: the convolution layers give 20x4x4, the first block alone 10x12x12" in text
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert sorted(linked) == sorted(p.name for p in figs.glob("*.png"))


def test_filtered_images_are_the_correlation_with_each_filter(model):
    image = torch.randn(28, 28, generator=torch.Generator().manual_seed(0))  # a border that is not flat
    weights = model.conv1.weight.detach()
    out = filters.apply_filters(image, weights)
    assert out.shape == (10, 28, 28)
    # Away from the border it is the network's own first convolution without the bias.
    with torch.no_grad():
        valid = F.conv2d(image[None, None], weights)[0]
        conv1 = model.conv1(image[None, None])[0] - model.conv1.bias[:, None, None]
    assert torch.allclose(out[:, 2:-2, 2:-2], valid, atol=1e-5)
    assert torch.allclose(out[:, 2:-2, 2:-2], conv1, atol=1e-5)
    # Everywhere it is filter2D's correlation over a border reflected without its edge pixel.
    padded = np.pad(image.numpy(), 2, mode="reflect")
    for i in (0, 7):
        w = weights[i, 0].numpy()
        expected = np.array(
            [[(padded[r : r + 5, c : c + 5] * w).sum() for c in range(28)] for r in range(28)]
        )
        assert np.allclose(out[i].numpy(), expected, atol=1e-5)


V_PROFILE = np.abs(np.arange(5) - 2.0) - 1.2  # zero mean: high at both sides, low in the middle


@pytest.mark.parametrize(
    "weights, words",
    [
        (EDGE, "vertical edges, dark left / bright right"),
        (-EDGE, "vertical edges, dark right / bright left"),
        (EDGE.T, "horizontal edges, dark above / bright below"),
        (-EDGE.T, "horizontal edges, dark below / bright above"),
        (
            np.add.outer(np.arange(5), np.arange(5)) - 4.0,
            "diagonal (/) edges, dark upper left / bright lower right",
        ),
        (-np.tile(V_PROFILE[:, None], (1, 5)), "bright horizontal lines"),
        (np.tile(V_PROFILE, (5, 1)), "dark vertical lines"),
    ],
)
def test_reading_names_edges_and_lines_with_their_orientation(weights, words):
    reading = filters.read_filter(weights)
    assert words in reading.text
    assert reading.kind == ("edge" if "edges" in words else "line")


def test_reading_of_spots_brightness_and_texture():
    y, x = np.mgrid[-2:3, -2:3]
    spot = np.exp(-(x**2 + y**2) / 2.0)
    assert filters.read_filter(spot - spot.mean()).kind == "spot"
    assert "bright spot" in filters.read_filter(spot - spot.mean()).text
    assert "dark spot" in filters.read_filter(spot.mean() - spot).text
    assert filters.read_filter(np.full((5, 5), -0.1)).kind == "brightness"
    checkerboard = (-1.0) ** (x + y)  # nothing a low-order polynomial can fit
    assert filters.read_filter(checkerboard).kind == "texture"


def step_edge(angle_deg: float) -> np.ndarray:
    """A 5x5 step edge, bright toward `angle_deg` (counter-clockwise from right, up at 90)."""
    y, x = np.mgrid[-2:3, -2:3]
    a = np.radians(angle_deg)
    return np.sign(np.cos(a) * x - np.sin(a) * y)


def test_an_edge_reading_points_to_the_edge_the_filter_answers_most():
    """For noisy ramps at random angles the stated gradient is where a step edge excites the filter most."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[-2:3, -2:3]
    probes = np.arange(0, 360, 15)
    for angle in rng.uniform(0, 360, 20):
        a = np.radians(angle)
        w = 0.1 * (np.cos(a) * x - np.sin(a) * y) + rng.normal(0, 0.03, (5, 5))
        reading = filters.read_filter(w)
        assert reading.kind == "edge"
        best = probes[int(np.argmax([(step_edge(p) * w).sum() for p in probes]))]
        assert abs((best - reading.angle_deg + 180) % 360 - 180) <= 30, (angle, best, reading)


def test_a_digit_outside_the_set_is_a_clear_error(mnist):
    with pytest.raises(cli.UserError, match="outside the test set"):
        task2.pick_digit(mnist, "test", 10_000)
    with pytest.raises(cli.UserError, match="--compare-with"):
        task2.parse_args(["--compare-with", "valid:3"])


@pytest.mark.slow  # runs the script in a new interpreter
def test_missing_model_says_to_run_task1_first(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "task2_examine.py",
            "--model",
            str(tmp_path / "none.pt"),
            "--figures-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "none.pt" in run.stderr and "task1_train_mnist.py" in run.stderr


@pytest.mark.slow  # runs the script in a new interpreter
def test_an_unwritable_figures_folder_is_one_line_naming_it(tmp_path, model_path):
    """As root a read-only folder can still be written, so the folder's parent is a regular file."""
    (tmp_path / "file").write_text("a file, not a folder")
    figs = tmp_path / "file" / "figs"
    run = subprocess.run(
        [sys.executable, "task2_examine.py", "--model", str(model_path), "--figures-dir", str(figs)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and run.stderr.strip() == f"error: cannot use {figs}: Not a directory"


@pytest.mark.slow
def test_end_to_end_writes_every_figure_and_the_results(tmp_path, model_path):
    figs = tmp_path / "figures"
    results = task2.main(["--model", str(model_path), "--figures-dir", str(figs), "--compare-with", "test:1"])
    assert [(d.image_set, d.index, d.label) for d in results.digits] == [("train", 0, 5), ("test", 1, 2)]
    figures = [results.model.summary_file, results.first_layer.figure, results.second_layer.figure]
    figures += [p for d in results.digits for p in dataclasses.astuple(d.figures)]
    assert len(set(figures)) == 9  # the two digits' figures do not overwrite each other
    assert all(p.stat().st_size > 0 for p in figures)
    saved = load_results(task2.Task2Results, figs / "task2_results.json")
    assert saved.first_layer.readings == results.first_layer.readings
    assert results.timings_s.load > 0 and results.timings_s.first_layer > 0 and results.seconds > 0
    assert all(d.seconds > 0 for d in results.digits)  # each digit timed
