"""Task 4's script on tiny grids: results, resuming, the study's identity and the probes of issue 12
that run it (test_task4_study.py has the study's own, test_task4_postgres.py the multi-process one,
test_task4_grids.py the grids, observations and section without training)."""

import csv
import json

import optuna
import pytest
from optuna.trial import TrialState

import task4_experiments as task4
from recognition import cli
from recognition.experiments import grids, section, sweep
from recognition.report.markdown import Outputs
from recognition.report.results import load_results

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
POINTS = [32, 64]  # batch sizes: one grouped training each, of 2 dropouts x 2 seeds


def tiny_args(tmp_path, *extra) -> list[str]:
    return [
        "--grids",
        "report",
        "--batch-sizes",
        "32,64",
        "--dropouts",
        "0,0.5",
        "--seeds",
        "1,2",
        "--max-epochs",
        "2",
        "--train-subset",
        "128",
        "--test-subset",
        "64",
        "--workers",
        "1",
        "--threads",
        "1",
        "--figures-dir",
        str(tmp_path),
        *extra,
    ]


def study_of(tmp_path, *extra) -> optuna.Study:
    args = task4.parse_args(tiny_args(tmp_path, *extra))
    chosen = grids.chosen_grids(
        args.grids,
        False,
        {f: getattr(args, f) for f in grids.LIST_FLAGS},
        {k: getattr(args, k) for k in ("max_epochs", "train_subset", "test_subset")},
    )
    names = optuna.get_all_study_names(f"sqlite:///{tmp_path / 'task4_study.db'}")
    grid = chosen["report"]
    name = sweep.study_name("task4_report_mnist", task4.study_identity(grid, task4.Recipe(), "mnist"))
    assert name in names
    return optuna.load_study(study_name=name, storage=f"sqlite:///{tmp_path / 'task4_study.db'}")


def complete_points(study) -> list:
    return sorted(
        json.loads(t.user_attrs["point"])["batch_size"]
        for t in study.get_trials(states=(TrialState.COMPLETE,))
    )


@pytest.mark.slow
def test_results_do_not_depend_on_how_networks_are_grouped(tmp_path, monkeypatch):
    together = task4.main(tiny_args(tmp_path / "together")).grids["report"]
    monkeypatch.setattr(grids, "GROUP_IMAGES", 1)
    monkeypatch.setattr(grids, "SMALLEST_GROUP", 1)  # every network alone
    alone = task4.main(tiny_args(tmp_path / "alone")).grids["report"]
    assert (together.groups, alone.groups) == (2, 8)

    KEYS = ("batch_size", "dropout", "seed", "epochs")

    def accuracies(result):
        with open(result.csv, newline="") as f:
            rows = list(csv.DictReader(f))
        return {tuple(r[k] for k in KEYS): (float(r["train_acc"]), float(r["test_acc"])) for r in rows}

    a, b = accuracies(together), accuracies(alone)
    assert a.keys() == b.keys() and len(a) == 16
    for key in a:
        assert a[key] == pytest.approx(b[key], abs=1 / 64 + 1e-9), key


@pytest.mark.slow
def test_tiny_sweep_rows_figures_and_rerun(tmp_path):
    results = task4.main(tiny_args(tmp_path))
    grid = results.grids["report"]
    with open(grid.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * 2 * 2  # batch x dropout x seed x epoch
    for key in ("params", "multiply_adds", "epoch_seconds", "train_acc", "test_acc", "epochs", "seed"):
        assert all(row[key] != "" for row in rows), key
    assert {int(r["params"]) for r in rows} == {21840}
    assert all(tmp_path.joinpath(p).stat().st_size > 0 for p in grid.figures)
    assert set(grid.observations.by_topic()) == {"batch_size", "dropout", "epochs", "time"}
    assert complete_points(study_of(tmp_path)) == POINTS  # each point trained once
    saved = load_results(
        section.Task4Results, tmp_path / section.FULL_RESULTS
    )  # not --quick: beside the step's
    assert saved == results
    again = task4.main(tiny_args(tmp_path))  # a rerun trains nothing
    assert again.grids["report"].study.trials_in_study == grid.study.trials_in_study
    text = section.report_section(saved, Outputs(tmp_path))
    assert "Grid `report`" in text and "95% interval" in text and "task4_full_report_heatmap.png" in text
    assert "Shown: the full grids" in text and "sqlite:///" in text


@pytest.mark.slow
def test_ctrl_c_then_rerun_finishes_each_point_once(tmp_path):
    def interrupt(study, trial):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        task4.main(tiny_args(tmp_path), callbacks=[interrupt])
    assert complete_points(study_of(tmp_path)) == [32]
    task4.main(tiny_args(tmp_path))
    assert complete_points(study_of(tmp_path)) == POINTS


@pytest.mark.slow
def test_ctrl_c_inside_a_training_is_retried(tmp_path, monkeypatch):
    real, calls = task4.grouped.train_group, []

    def train_then_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(task4.grouped, "train_group", train_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        task4.main(tiny_args(tmp_path))
    monkeypatch.setattr(task4.grouped, "train_group", real)
    assert len(study_of(tmp_path).get_trials(states=(TrialState.FAIL,))) == 1
    task4.main(tiny_args(tmp_path))
    assert complete_points(study_of(tmp_path)) == POINTS


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--dropouts", "nan"),
        ("--dropouts", "0.5,inf"),
        ("--dropouts", "1.5"),
        ("--batch-sizes", "abc"),
        ("--batch-sizes", "0"),
        ("--seeds", "-1"),
        ("--kernels", "11"),
        ("--activations", "swish"),
        ("--hidden", ""),
    ],
)
def test_every_value_is_checked_before_anything_is_written(tmp_path, flag, value):
    """Probe 2: `--dropouts nan` used to reach the workers and poison the study."""
    with pytest.raises(cli.UserError, match=flag):
        task4.main(tiny_args(tmp_path, flag, value))
    assert list(tmp_path.iterdir()) == []


def test_unknown_grid_and_bad_scalars_are_one_line_errors(tmp_path):
    with pytest.raises(cli.UserError, match="unknown grid"):
        task4.main(tiny_args(tmp_path, "--grids", "report,wide"))
    with pytest.raises(cli.UserError, match="--lr"):
        task4.main(tiny_args(tmp_path, "--lr", "nan"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_another_grid_in_the_same_folder_is_another_study(tmp_path):
    """Probe 3: a different grid used to fail with Optuna's "dynamic value space" error."""
    task4.main(tiny_args(tmp_path, "--max-epochs", "1"))
    other = task4.main(tiny_args(tmp_path, "--max-epochs", "1", "--batch-sizes", "16,32"))
    first = study_of(tmp_path, "--max-epochs", "1")
    assert other.grids["report"].study.name != first.study_name
    with pytest.raises(cli.UserError, match="another grid"):
        task4.main(
            tiny_args(tmp_path, "--max-epochs", "1", "--batch-sizes", "16", "--study-name", first.study_name)
        )


def test_damaged_study_file_is_named_and_left_alone(tmp_path):
    """Probe 1: a half-truncated database used to end in a SQLAlchemy traceback."""
    db = tmp_path / "task4_study.db"
    sweep.open_study(f"sqlite:///{db}", "s", {"grid": 1}, [{"batch_size": 32}])
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    with pytest.raises(cli.UserError, match="damaged") as err:
        task4.main(tiny_args(tmp_path, "--max-epochs", "1"))
    assert str(db) in str(err.value) and "start over" in str(err.value)
    assert db.read_bytes() == data[: len(data) // 2]
    db.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(cli.UserError, match="damaged"):
        task4.main(tiny_args(tmp_path, "--max-epochs", "1"))


def grid_file_args(tmp_path, spec) -> list[str]:
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(spec) if not isinstance(spec, str) else spec)
    return [
        "--grid-file",
        str(path),
        "--workers",
        "1",
        "--threads",
        "1",
        "--figures-dir",
        str(tmp_path / "out"),
    ]


@pytest.mark.slow
def test_a_grid_file_is_its_own_grid_with_every_varying_dimension_observed(tmp_path):
    spec = {
        "name": "act",
        "activation": ["relu", "tanh"],
        "hidden": [16, 32],
        "dropout": 0.5,
        "seed": [1, 2],
        "max_epochs": 1,
        "train_subset": 128,
        "test_subset": 64,
    }
    results = task4.main(grid_file_args(tmp_path, spec))
    grid = results.grids["act"]
    assert list(results.grids) == ["act"] and grid.variants == 4 and grid.trainings == 8
    assert grid.grid.batch_size == [64] and grid.grid.filters1 == [10]  # the course's
    assert set(grid.observations.by_topic()) == {"activation", "hidden"}
    assert grid.pareto and all((tmp_path / "out").joinpath(p).exists() for p in grid.figures)
    saved = load_results(section.Task4Results, tmp_path / "out" / section.FULL_RESULTS)
    assert "Grid `act`" in section.report_section(saved, Outputs(tmp_path / "out"))


@pytest.mark.parametrize(
    "spec, message",
    [
        ("{not json", "not a readable JSON file"),
        ([1, 2], "a JSON object is needed"),
        ({"hidden": [32]}, '"name" must be'),
        ({"name": "report"}, '"name" must be'),
        ({"name": "x", "widths": [3]}, "unknown key"),
        ({"name": "x", "dropout": [0.5, float("nan")]}, "'dropout'"),
        ({"name": "x", "hidden": ["64"]}, "'hidden'"),
        ({"name": "x", "max_epochs": 0}, "max_epochs"),
    ],
)
def test_a_bad_grid_file_is_one_line_and_writes_nothing(tmp_path, spec, message):
    with pytest.raises(cli.UserError, match=message):
        task4.main(grid_file_args(tmp_path, spec))
    assert not (tmp_path / "out").exists()
