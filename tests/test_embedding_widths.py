"""The embedding-widths extension: networks of other widths are made with the main network's training
config, reused only when made that way, and every classifier is measured in each embedding."""

import subprocess
import sys
from dataclasses import asdict, replace

import pytest
from greek_helpers import TINY_CONFIG, letter_sets, quick_save, saved_network, tiny_mnist

import netlib
import report
from extensions import embedding_widths as ext
from recognition import cli, embedding, training
from recognition.report import plots
from recognition.report.markdown import Outputs, fraction
from recognition.report.results import load_results


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Letters and MNIST files shared by the tests; each test has its own networks and outputs."""
    root = tmp_path_factory.mktemp("widths_data")
    return (*letter_sets(root), tiny_mnist(root / "data"))


@pytest.fixture
def tiny(tmp_path, data):
    greek, own, mnist_dir = data
    return tmp_path, greek, own, mnist_dir, saved_network(tmp_path / "models" / "mnist_net.pt")


def run(tiny, *extra):
    tmp, greek, own, data, model = tiny
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots, "save_figure", quick_save)
        return ext.main(
            [
                "--greek-dir",
                str(greek),
                "--own-dir",
                str(own),
                "--model",
                str(model),
                "--data-dir",
                str(data),
                "--figures-dir",
                str(tmp / "figures"),
                "--transfer-steps",
                "20",
                "--no-progress",
                "--device",
                "cpu",
                *extra,
            ]
        )


def test_other_widths_are_trained_like_the_main_network_and_then_reused(tiny):
    tmp, _, _, _, model = tiny
    first = run(tiny, "--widths", "8,50")
    assert first.models["50"] == f"--model {model}" and first.models["8"].startswith("trained in")
    _, meta = netlib.load_checkpoint(tmp / "models" / "mnist_net_h8.pt")
    assert meta["hidden"] == 8 and meta["train_images"] == 96
    # the main network's recipe, without the training-set pass after each epoch (same weights)
    assert meta["train_config"] == asdict(replace(TINY_CONFIG, eval_train=False))
    assert first.train_config == TINY_CONFIG
    second = run(tiny, "--widths", "8,50")
    assert second.models["8"] == f"reused {tmp / 'models' / 'mnist_net_h8.pt'}"
    assert second.accuracy == first.accuracy
    main_model, _ = netlib.load_checkpoint(model)
    _, table, _, _ = embedding.classify_and_score(main_model, *task3_sets(tiny), steps=20)
    assert first.accuracy["50"] == table  # the main width is the Task 3 network itself


def task3_sets(tiny):
    _, greek, own, _, _ = tiny
    ref = ext.greeksets.load_reference(greek, "mnist", None)
    return ref, ext.greeksets.load_own(own, "mnist", set(ref.labels))


def test_a_width_network_made_another_way_is_retrained_with_the_main_config(tiny, capsys):
    tmp, _, _, _, model = tiny
    other = replace(TINY_CONFIG, optimizer="sgd", lr=0.01, schedule="constant")
    saved_network(tmp / "models" / "mnist_net_h8.pt", hidden=8, cfg=other)
    results = run(tiny, "--widths", "8")
    assert "made differently" in capsys.readouterr().out and results.models["8"].startswith("trained in")
    width_meta = netlib.load_checkpoint(tmp / "models" / "mnist_net_h8.pt")[1]
    assert training.same_recipe(training.config_from_meta(width_meta), TINY_CONFIG)
    # and the main network's config decides: a main network trained with SGD makes SGD width networks
    saved_network(model, cfg=other)
    run(tiny, "--widths", "8")
    width_meta = netlib.load_checkpoint(tmp / "models" / "mnist_net_h8.pt")[1]
    assert width_meta["train_config"] == asdict(replace(other, eval_train=False))


def test_the_report_section_renders_the_results(tiny):
    tmp = tiny[0]
    results = run(tiny, "--widths", "50")
    saved = load_results(ext.WidthsResults, tmp / "figures" / ext.STEP.results_file)
    assert saved == results
    text = report.section(ext.STEP, saved, Outputs(tmp / "figures"))
    assert "## Extension: other embedding widths" in text and "Not run" not in text
    own = results.accuracy["50"].own
    assert "| 50 | own | " + " | ".join(fraction(*own.of(c)) for c in embedding.CLASSIFIERS) in text
    assert "](ext_widths_accuracy.png)" in text and "adam, 1 epochs, batch 32" in text


@pytest.mark.parametrize(
    "value, expected",
    [
        ("abc", "--widths expects comma-separated integers such as 30,50,90, got 'abc'"),
        ("30,,90", "--widths expects comma-separated integers such as 30,50,90, got '30,,90'"),
        ("0,50", "--widths expects positive integers such as 30,50,90, got '0,50'"),
    ],
)
def test_bad_widths_name_the_flag_and_an_example(value, expected):
    with pytest.raises(cli.UserError) as error:
        ext.parse_args(["--widths", value])
    assert expected in str(error.value)


@pytest.mark.slow
def test_the_script_end_to_end(tiny):
    tmp, greek, own, data, model = tiny
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "extensions.embedding_widths",
            "--widths",
            "8,50",
            "--greek-dir",
            str(greek),
            "--own-dir",
            str(own),
            "--model",
            str(model),
            "--data-dir",
            str(data),
            "--figures-dir",
            str(tmp / "figures"),
            "--no-progress",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp / "figures" / "ext_widths_accuracy.png").stat().st_size > 10_000
    assert set(load_results(ext.WidthsResults, tmp / "figures" / ext.STEP.results_file).accuracy) == {
        "8",
        "50",
    }
