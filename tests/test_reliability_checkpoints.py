"""Issue 23, items 7, 11 and 12: a checkpoint's metadata is checked before anything is built, a script
says at the start which kinds of network it can examine, and Task 3 names the width it embeds in."""

import pytest
import torch

import netlib
import task2_examine as task2
import task3_greek_embedding as task3
from recognition import cli, networks
from recognition.readers import ASSIGNMENT, ChosenReading, ReaderRow
from recognition.report.sections import task3 as task3_section


def crafted(tmp_path, name: str, meta) -> str:
    """A checkpoint of the course network with its metadata replaced."""
    model = netlib.MnistNet()
    path = tmp_path / f"{name}.pt"
    torch.save({"state_dict": model.state_dict(), "meta": meta}, path)
    return str(path)


@pytest.mark.parametrize(
    "name, meta, named",
    [
        ("negative", {"arch": "cnn", "hidden": 50, "network": {"hidden": -5, "dropout": 0.5}}, "hidden=-5"),
        (
            "huge",
            {"arch": "cnn", "hidden": 10**9, "network": {"hidden": 10**9, "dropout": 0.5}},
            "hidden=1000000000",
        ),
        ("top_level", {"hidden": 10**9}, "hidden=1000000000"),
        ("list", [1, 2, 3], "metadata of type list"),
        ("kind", {"arch": "evil", "hidden": 50}, "'evil'"),
        (
            "unknown_setting",
            {"arch": "cnn", "hidden": 50, "network": {"hidden": 50, "rm": "-rf"}},
            "rm='-rf'",
        ),
        (
            "nan_dropout",
            {"arch": "cnn", "hidden": 50, "network": {"hidden": 50, "dropout": float("nan")}},
            "nan",
        ),
        ("text_width", {"arch": "gabor", "hidden": "50"}, "hidden='50'"),
        (
            "deep_transformer",
            {
                "arch": "transformer",
                "hidden": 128,
                "network": {**networks.TRANSFORMER_PRESETS["cpu"]["network"], "depth": 10**6},
            },
            "depth=1000000",
        ),
    ],
)
def test_crafted_metadata_is_one_line_before_anything_is_built(tmp_path, name, meta, named):
    """Item 11: hidden=-5, hidden=10**9 (1.28 TB) and meta=[1, 2, 3] ended in tracebacks."""
    path = crafted(tmp_path, name, meta)
    with pytest.raises(netlib.CheckpointError) as err:
        netlib.load_checkpoint(path)
    message = str(err.value)
    assert message.startswith(path) and named in message and "\n" not in message


def test_the_limits_admit_every_network_the_project_trains(tmp_path):
    for arch in networks.NETWORKS:
        network, _ = networks.preset_settings(arch, "course")
        path = netlib.save_checkpoint(networks.build_network(arch, **network), tmp_path / f"{arch}.pt")
        assert netlib.load_checkpoint(path)[0].ARCH == arch


@pytest.fixture(scope="module")
def transformer_checkpoint(tmp_path_factory):
    network, _ = networks.preset_settings("transformer", "cpu")
    model = networks.build_network("transformer", **network)
    return netlib.save_checkpoint(model, tmp_path_factory.mktemp("models") / "transformer_cpu.pt")


@pytest.mark.parametrize("script", [task2, task3])
def test_a_kind_the_script_cannot_examine_is_refused_before_any_work(
    tmp_path, transformer_checkpoint, script
):
    """Item 12: task2 wrote task2_summary.txt, then failed with AttributeError: conv1; task3 ran steps
    a to f, then failed at g."""
    figures = tmp_path / "figures"
    argv = [
        "--model",
        str(transformer_checkpoint),
        "--figures-dir",
        str(figures),
        "--data-dir",
        str(tmp_path),
    ]
    with pytest.raises(
        cli.UserError, match="holds a transformer network, but this script reads cnn or gabor"
    ):
        script.main(argv)
    assert list(figures.iterdir()) == [] and [p.name for p in tmp_path.iterdir()] == ["figures"]


def test_task3_names_the_width_it_embeds_in():
    """Item 7: a 90-d model's results were headlined "the assignment's 50-d SSD"."""
    h = ChosenReading(
        layer="conv",
        distance="cosine",
        classifier="1-NN",
        width=320,
        select_dir="data/greek_select",
        selection=(70, 72),
        own=(72, 72),
        predictions=[],
        near_ties=[],
        others=[
            ReaderRow("1-NN / conv / cosine", (70, 72), (72, 72)),
            ReaderRow(ASSIGNMENT.name, (60, 72), (60, 72)),
        ],
    )
    wide = task3_section.section_headline(h, 90)
    assert "90-d penultimate layer" in wide and "the assignment's 50-d layer" not in wide
    assert "stay on the assignment's 50-d layer and SSD" in task3_section.section_headline(h, 50)
