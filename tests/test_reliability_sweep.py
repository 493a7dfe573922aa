"""Issue 23, Task 4's sweep: items 15 (every grid dimension bounded), 20 (a huge grid is counted and
estimated before anything is enqueued), 16 (in-memory storage), 8 (the training time of a rerun that
only redraws), 22 (an interrupted enqueueing, deleting one study), 24 (creating storage races),
21 (a server that never answers) and 29 (the password off the command line)."""

import json
import re
import time

import pytest

import task4_experiments as task4
from recognition import cli

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


def grid_file(tmp_path, spec: dict) -> list[str]:
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(spec))
    return ["--grid-file", str(path), "--workers", "1", "--figures-dir", str(tmp_path / "out")]


@pytest.mark.parametrize(
    "key, value",
    [
        ("hidden", 10**11),
        ("filters1", 10**6),
        ("filters2", 4096),
        ("batch_size", 10**9),
        ("kernel", 29),
        ("seed", 2**40),
        ("dropout", 1.5),
        ("max_epochs", 10**6),
    ],
)
def test_every_grid_dimension_is_bounded(tmp_path, key, value):
    """Item 15: `"hidden": [100000000000]` tried to allocate 128 TB."""
    with pytest.raises(cli.UserError) as err:
        task4.main(grid_file(tmp_path, {"name": "bigint", key: [value] if key != "max_epochs" else value}))
    line = str(err.value)
    assert key in line and str(value) in line and "\n" not in line
    assert not (tmp_path / "out").exists()


def test_a_huge_value_from_a_flag_is_refused_too(tmp_path):
    with pytest.raises(cli.UserError, match="--hidden.*4096"):
        task4.main(["--hidden", "100000000000", "--figures-dir", str(tmp_path)])
    with pytest.raises(cli.UserError, match="--max-epochs"):
        task4.main(["--max-epochs", "1000000", "--figures-dir", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []


def test_a_grid_of_a_million_networks_is_refused_at_once(tmp_path):
    """Item 20: 10^6 variants spent 90 s and 785 MB enqueueing 14,743 trials, none trained."""
    spec = {"name": "huge", "hidden": list(range(1, 1001)), "seed": list(range(1000))}
    start = time.perf_counter()
    with pytest.raises(cli.UserError, match=r"1,000,000 networks.*--large-grid"):
        task4.main(grid_file(tmp_path, spec))
    assert time.perf_counter() - start < 5
    assert not (tmp_path / "out").exists()


def test_a_grid_of_days_is_refused_unless_told_and_the_estimate_comes_first(tmp_path, monkeypatch, capsys):
    spec = {
        "name": "days",
        "filters1": 512,
        "filters2": 512,
        "hidden": 4096,
        "seed": [1, 2],
        "max_epochs": 100,
    }
    with pytest.raises(cli.UserError, match=r"about \d+\.\d h of training with 1 worker.*--large-grid"):
        task4.main(grid_file(tmp_path, spec))
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(task4, "run_sweep", lambda *args: False)  # the line before any training
    assert task4.main([*grid_file(tmp_path, spec), "--large-grid"]) is None
    assert re.search(
        r"grid days on mnist: 2 networks .* about \d+\.\d h with 1 worker", capsys.readouterr().out
    )


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://"])
def test_an_in_memory_storage_is_refused_in_one_line(tmp_path, url):
    """Item 16: it trained, then the analysis failed with a KeyError traceback."""
    with pytest.raises(cli.UserError, match=r"--storage sqlite:.*in-memory.*sqlite:///"):
        task4.main(["--quick", "--storage", url, "--figures-dir", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []
