"""Issue 23, items 1, 13 and 14: every numeric flag is checked (NaN, inf, range) before any work, in one
line naming the flag and the value; a training whose loss becomes non-finite stops and saves nothing."""

import pytest
import torch

import make_figures
import netlib
import task1_train_mnist as task1
import task2_examine as task2
import task3_greek_embedding as task3
import task4_experiments as task4
from recognition import cli, training
from recognition.data import datasets


@pytest.mark.parametrize(
    "argv",
    [
        ["--optimizer", "sgd", "--momentum", "nan"],  # item 1
        ["--momentum", "inf"],
        ["--momentum", "1.5"],
        ["--epochs", "0"],  # item 14
        ["--train-subset", "0"],
        ["--test-subset", "-3"],
        ["--batch-size", "0"],
        ["--lr", "nan"],
        ["--lr", "-1"],
        ["--lr", "inf"],
        ["--seed", "-1"],
        ["--weight-decay", "-0.1"],
        ["--device", "tpu"],
    ],
)
def test_task1_refuses_a_bad_number_in_one_line_naming_the_flag(argv):
    with pytest.raises(cli.UserError) as err:
        task1.parse_args(argv)
    message = str(err.value)
    assert argv[-2] in message and argv[-1] in message and "\n" not in message


def test_a_bad_flag_writes_nothing_and_never_touches_the_saved_model(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "mnist_net.pt").write_bytes(b"the model of an earlier run")
    with pytest.raises(cli.UserError, match="--momentum"):
        task1.main(
            [
                "--optimizer",
                "sgd",
                "--momentum",
                "nan",
                "--models-dir",
                str(models),
                "--figures-dir",
                str(tmp_path / "f"),
                "--own-digits",
                str(tmp_path / "none"),
            ]
        )
    assert not (tmp_path / "f").exists()
    assert (models / "mnist_net.pt").read_bytes() == b"the model of an earlier run"


@pytest.mark.parametrize(
    "script, argv",
    [
        (task3, ["--transfer-lr", "nan"]),  # item 13
        (task3, ["--transfer-lr", "-1"]),
        (task3, ["--k", "0"]),
        (task3, ["--seed", "-4"]),
        (task2, ["--image-index", "-1"]),
        (task4, ["--momentum", "nan"]),
        (task4, ["--heartbeat", "inf"]),
        (task4, ["--workers", "0"]),
        (make_figures, ["--jobs", "0"]),
    ],
)
def test_every_script_checks_its_numbers_with_the_same_rule(script, argv):
    with pytest.raises(cli.UserError) as err:
        script.parse_args(argv)
    assert argv[0] in str(err.value) and repr(argv[1]) in str(err.value)


def tiny_data(n=96):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 28, 28, generator=generator)
    return x, torch.randint(0, 10, (n,), generator=generator)


def test_a_diverging_training_stops_in_one_line_and_saves_nothing(tmp_path):
    """Item 1: momentum NaN (or a huge rate) used to give NaN weights, 10% accuracy and a saved model."""
    x, y = tiny_data()
    cfg = training.TrainConfig(
        epochs=2, batch_size=32, optimizer="sgd", lr=1e6, schedule="constant", augment="none"
    )
    resume = tmp_path / "net.resume.pt"
    with pytest.raises(cli.UserError, match="diverged.*nan.*smaller --lr"):
        training.train(netlib.MnistNet(), x, y, x[:32], y[:32], cfg, progress=False, resume_file=resume)
    assert not resume.exists()


def test_task1_saves_no_diverged_model_over_the_old_one(tmp_path):
    x, y = tiny_data()
    images = ((x[:, 0] - x.min()) / (x.max() - x.min()) * 255).to(torch.uint8)
    mnist = datasets.Mnist(images, y, images[:32], y[:32], source="random test data")
    model_path = tmp_path / "mnist_net.pt"
    model_path.write_bytes(b"a good model")
    cfg = training.TrainConfig(epochs=1, batch_size=32, optimizer="sgd", lr=1e6, schedule="constant")
    with pytest.raises(cli.UserError, match="diverged"):
        task1.train_and_save(mnist, cfg, torch.device("cpu"), model_path, tmp_path, progress=False)
    assert model_path.read_bytes() == b"a good model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist_net.pt"]
