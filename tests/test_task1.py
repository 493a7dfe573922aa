import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import datalib
import netlib
import task1_train_mnist as task1
import trainlib


@pytest.fixture(scope="module")
def mnist():
    return datalib.load_mnist("data")


def photo_of(digit: torch.Tensor, size=240, ink=(30, 40, 150), paper=(200, 195, 185)) -> Image.Image:
    """An MNIST digit as dark coloured ink on grey paper, upscaled like a photo."""
    a = np.asarray(Image.fromarray(digit.numpy()).resize((size, size), Image.BILINEAR), np.float32)[..., None] / 255
    rgb = np.array(paper) * (1 - a) + np.array(ink) * a
    return Image.fromarray(rgb.astype(np.uint8))


@pytest.fixture
def own_digits(tmp_path, mnist):
    folder = tmp_path / "own"
    for i in range(12):
        label = mnist.test_labels[i].item()
        writer = "writerA" if i < 6 else "writerB"
        (folder / writer / str(label)).mkdir(parents=True, exist_ok=True)
        photo_of(mnist.test_images[i]).save(folder / writer / str(label) / f"{label}_{i}.png")
    (folder / "writerB" / "broken.png").write_bytes(b"not an image")
    (folder / ".DS_Store").write_bytes(b"\0")
    return folder


def test_end_to_end_on_a_small_subset(tmp_path, own_digits):
    figs, models = tmp_path / "figures", tmp_path / "models"
    results = task1.main(["--train-subset", "3000", "--test-subset", "500", "--epochs", "1",
                          "--figures-dir", str(figs), "--models-dir", str(models),
                          "--own-digits", str(own_digits), "--no-progress"])
    assert results["a_first_six_labels"] == [7, 2, 1, 0, 4, 1]
    assert results["parameters"] == 21840
    expected = ["task1a_first_six_digits.png", "task1c_summary.txt", "task1d_loss.png",
                "task1d_accuracy.png", "task1f_first_nine_predictions.png", "task1g_own_digits_1.png",
                "task1_results.json"]
    if shutil.which("dot"):
        expected.append("task1c_network_diagram.png")
    for name in expected:
        assert (figs / name).stat().st_size > 0, name
    assert (models / "mnist_net.pt").is_file()
    assert len(results["f_first_ten"]["outputs"]) == 10
    own = results["g_own_digits"]
    assert own["accuracy"]["overall"][1] == 12
    assert set(own["accuracy"]["groups"]) == {"writerA", "writerB"}
    assert [p.endswith("broken.png") for p, _ in own["skipped"]] == [True]

    again = task1.main(["--no-train", "--model", str(models / "mnist_net.pt"), "--test-subset", "500",
                        "--figures-dir", str(tmp_path / "again"), "--own-digits", str(own_digits), "--no-progress"])
    assert again["f_first_ten"] == results["f_first_ten"]
    assert again["g_own_digits"]["predicted"] == own["predicted"]


def test_missing_model_says_to_train_first(tmp_path):
    run = subprocess.run([sys.executable, "task1_train_mnist.py", "--no-train", "--model", str(tmp_path / "none.pt"),
                          "--figures-dir", str(tmp_path), "--own-digits", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert "none.pt" in run.stderr and "task1_train_mnist.py" in run.stderr


def test_empty_own_folder_is_a_clear_error(tmp_path, mnist):
    netlib.seed_everything(0)
    with pytest.raises(SystemExit, match="no readable images"):
        task1.classify_own_digits(netlib.MnistNet().eval(), tmp_path)


def test_one_full_epoch_reaches_97_percent(mnist):
    netlib.seed_everything(42)
    model = netlib.MnistNet()
    hist = trainlib.train(model, datalib.to_model_input(mnist.train_images), mnist.train_labels,
                          datalib.to_model_input(mnist.test_images), mnist.test_labels,
                          trainlib.TrainConfig(epochs=1, eval_train=False), progress=False)
    assert hist.test_acc[-1] >= 0.97
