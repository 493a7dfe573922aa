import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import datalib
import netlib
import task2_examine as task2
from atomicio import read_json

EDGE = np.tile([-1.0, -1.0, 0.0, 1.0, 1.0], (5, 1))  # dark left, bright right: a vertical edge


@pytest.fixture(scope="module")
def mnist():
    return datalib.load_mnist("data")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    netlib.seed_everything(0)
    return netlib.save_checkpoint(netlib.MnistNet(), tmp_path_factory.mktemp("models") / "tiny.pt")


@pytest.fixture(scope="module")
def model(model_path):
    return netlib.load_checkpoint(model_path)[0]


def test_end_to_end_writes_every_figure_and_the_results(tmp_path, model_path):
    figs = tmp_path / "figures"
    results = task2.main(["--model", str(model_path), "--figures-dir", str(figs), "--compare-with", "test:1"])
    assert results["conv1_weight_shape"] == [10, 1, 5, 5] and results["conv2_weight_shape"] == [20, 10, 5, 5]
    assert results["summary_parameters"] == results["parameters"] == 21840
    summary = (figs / "task2_summary.txt").read_text()
    names = ["Conv2d-1", "MaxPool2d-2", "Conv2d-3", "Dropout2d-4", "MaxPool2d-5", "Linear-6", "Linear-7"]
    assert [summary.index(n) for n in names] == sorted(summary.index(n) for n in names)
    assert [(d["set"], d["index"], d["label"]) for d in results["images"]] == [("train", 0, 5), ("test", 1, 2)]
    figures = [results["figures"]["a_filters"], results["figures"]["c_conv2_filters"]]
    figures += [path for digit in results["images"] for path in digit["figures"].values()]
    assert len(set(figures)) == 8  # the two digits' figures do not overwrite each other
    for path in figures:
        assert path.endswith(".png") and Path(path).stat().st_size > 0, path
    assert [r["filter"] for r in results["filter_readings"]] == list(range(10))
    assert read_json(figs / "task2_results.json")["filter_readings"] == results["filter_readings"]
    assert {"load", "a_filters", "digit_train0", "digit_test1", "total"} <= set(results["timings_s"])


def test_filtered_images_are_the_correlation_with_each_filter(model):
    image = torch.randn(28, 28, generator=torch.Generator().manual_seed(0))  # a border that is not flat
    filters = model.conv1.weight.detach()
    out = task2.apply_filters(image, filters)
    assert out.shape == (10, 28, 28)
    # Away from the border it is the network's own first convolution without the bias.
    with torch.no_grad():
        valid = F.conv2d(image[None, None], filters)[0]
        conv1 = model.conv1(image[None, None])[0] - model.conv1.bias[:, None, None]
    assert torch.allclose(out[:, 2:-2, 2:-2], valid, atol=1e-5)
    assert torch.allclose(out[:, 2:-2, 2:-2], conv1, atol=1e-5)
    # Everywhere it is filter2D's correlation over a border reflected without its edge pixel.
    padded = np.pad(image.numpy(), 2, mode="reflect")
    for i in (0, 7):
        w = filters[i, 0].numpy()
        expected = np.array([[(padded[r:r + 5, c:c + 5] * w).sum() for c in range(28)] for r in range(28)])
        assert np.allclose(out[i].numpy(), expected, atol=1e-5)


def test_truncated_outputs_have_the_stated_shapes_and_equal_the_full_networks_activations(model, mnist):
    x = datalib.to_model_input(mnist.test_images[:1])
    acts = {}
    hooks = [getattr(model, name).register_forward_hook(lambda m, i, o, name=name: acts.__setitem__(name, o))
             for name in ("pool1", "pool2")]
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    outputs = task2.truncated_outputs(model, x)
    assert outputs[1].shape == (10, 12, 12) and outputs[2].shape == (20, 4, 4)
    assert torch.equal(outputs[1], torch.relu(acts["pool1"])[0])
    assert torch.equal(outputs[2], torch.relu(acts["pool2"])[0])


V_PROFILE = np.abs(np.arange(5) - 2.0) - 1.2  # zero mean: high at both sides, low in the middle


@pytest.mark.parametrize("weights, words", [
    (EDGE, "vertical edges, dark left / bright right"),
    (-EDGE, "vertical edges, dark right / bright left"),
    (EDGE.T, "horizontal edges, dark above / bright below"),
    (-EDGE.T, "horizontal edges, dark below / bright above"),
    (np.add.outer(np.arange(5), np.arange(5)) - 4.0, "diagonal (/) edges, dark upper left / bright lower right"),
    (-np.tile(V_PROFILE[:, None], (1, 5)), "bright horizontal lines"),
    (np.tile(V_PROFILE, (5, 1)), "dark vertical lines"),
])
def test_reading_names_edges_and_lines_with_their_orientation(weights, words):
    reading = task2.read_filter(weights)
    assert words in reading["text"]
    assert reading["kind"] == ("edge" if "edges" in words else "line")


def test_reading_of_spots_brightness_and_texture():
    y, x = np.mgrid[-2:3, -2:3]
    spot = np.exp(-(x ** 2 + y ** 2) / 2.0)
    assert task2.read_filter(spot - spot.mean())["kind"] == "spot"
    assert "bright spot" in task2.read_filter(spot - spot.mean())["text"]
    assert "dark spot" in task2.read_filter(spot.mean() - spot)["text"]
    assert task2.read_filter(np.full((5, 5), -0.1))["kind"] == "brightness"
    checkerboard = (-1.0) ** (x + y)  # nothing a low-order polynomial can fit
    assert task2.read_filter(checkerboard)["kind"] == "texture"


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
        reading = task2.read_filter(w)
        assert reading["kind"] == "edge"
        best = probes[int(np.argmax([(step_edge(p) * w).sum() for p in probes]))]
        assert abs((best - reading["angle_deg"] + 180) % 360 - 180) <= 30, (angle, best, reading)


def test_summary_parameter_count_is_read_from_the_table(model):
    assert task2.summary_parameter_count(netlib.summary_table(model)) == 21840


def test_a_digit_outside_the_set_is_a_clear_error(mnist):
    with pytest.raises(SystemExit, match="outside the test set"):
        task2.pick_digit(mnist, "test", 10_000)
    with pytest.raises(SystemExit):
        task2.parse_args(["--compare-with", "valid:3"])


def test_missing_model_says_to_run_task1_first(tmp_path):
    run = subprocess.run([sys.executable, "task2_examine.py", "--model", str(tmp_path / "none.pt"),
                          "--figures-dir", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode != 0
    assert "none.pt" in run.stderr and "task1_train_mnist.py" in run.stderr
