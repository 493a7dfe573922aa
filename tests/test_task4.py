"""Task 4's sweep on tiny grids: results, resuming, the study's identity and every probe of issue 12
that needs no database server (tests/test_task4_postgres.py has the multi-process one)."""

import csv
import json
import math

import optuna
import pytest
import sqlalchemy
from optuna.trial import TrialState

import task4_experiments as task4
from recognition import cli
from recognition.experiments import analysis, grids, section, sweep
from recognition.report.markdown import Results

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


def test_report_grid_trains_in_cache_sized_groups_costliest_first():
    grid = grids.GRIDS["report"]
    units = grids.trainings(grid)
    parts: dict[int, list] = {}
    for unit in units:
        parts.setdefault(unit["batch_size"], []).append(grids.part_members(grid, unit))
    assert {batch: [len(p) for p in found] for batch, found in parts.items()} == {
        16: [6],
        32: [6],
        64: [6],
        128: [3, 3],
        256: [3, 3],
    }
    for found in parts.values():  # every network of every point trained exactly once
        assert sorted(m for part in found for m in part) == sorted(grids.members(grid))
    # five live networks before three before two (dropout 1.0 skips its convolutions); small batches first
    assert [(u["batch_size"], u["part"]) for u in units] == [
        (16, 0),
        (32, 0),
        (64, 0),
        (128, 0),
        (256, 0),
        (128, 1),
        (256, 1),
    ]
    seven = {**grid, "dropout": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}  # parts differ by one network at most
    at_256 = [u for u in grids.trainings(seven) if u["batch_size"] == 256]
    assert [len(grids.part_members(seven, u)) for u in at_256] == [3, 2, 2]


@pytest.mark.slow
def test_results_do_not_depend_on_how_networks_are_grouped(tmp_path, monkeypatch):
    together = task4.main(tiny_args(tmp_path / "together"))["grids"]["report"]
    monkeypatch.setattr(grids, "GROUP_IMAGES", 1)
    monkeypatch.setattr(grids, "SMALLEST_GROUP", 1)  # every network alone
    alone = task4.main(tiny_args(tmp_path / "alone"))["grids"]["report"]
    assert (together["groups"], alone["groups"]) == (2, 8)

    KEYS = ("batch_size", "dropout", "seed", "epochs")

    def accuracies(result):
        with open(result["csv"], newline="") as f:
            rows = list(csv.DictReader(f))
        return {tuple(r[k] for k in KEYS): (float(r["train_acc"]), float(r["test_acc"])) for r in rows}

    a, b = accuracies(together), accuracies(alone)
    assert a.keys() == b.keys() and len(a) == 16
    for key in a:
        assert a[key] == pytest.approx(b[key], abs=1 / 64 + 1e-9), key


@pytest.mark.slow
def test_tiny_sweep_rows_figures_and_rerun(tmp_path):
    results = task4.main(tiny_args(tmp_path))
    grid = results["grids"]["report"]
    with open(grid["csv"], newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * 2 * 2  # batch x dropout x seed x epoch
    for key in ("params", "multiply_adds", "epoch_seconds", "train_acc", "test_acc", "epochs", "seed"):
        assert all(row[key] != "" for row in rows), key
    assert {int(r["params"]) for r in rows} == {21840}
    assert all(tmp_path.joinpath(p).stat().st_size > 0 for p in grid["figures"])
    assert set(grid["observations"]) == {"batch_size", "dropout", "epochs", "time"}
    assert complete_points(study_of(tmp_path)) == POINTS  # each point trained once
    again = task4.main(tiny_args(tmp_path))  # a rerun trains nothing
    assert again["grids"]["report"]["study"]["trials_in_study"] == grid["study"]["trials_in_study"]
    text = section.report_section(Results(tmp_path))
    assert "Grid `report`" in text and "95% confidence" in text and "task4_report_heatmap.png" in text


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
    with pytest.raises(cli.UserError, match=flag if flag != "--kernels" else "kernel 11"):
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
    assert other["grids"]["report"]["study"]["name"] != first.study_name
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


def test_postgresql_url_uses_psycopg_3_and_passwords_are_masked():
    """Probes 4 and 6: the README's plain postgresql:// URL needs no psycopg2; no password is shown."""
    engine = sqlalchemy.create_engine("postgresql://user:secret@localhost:1/optuna")
    assert engine.dialect.driver == "psycopg"
    masked = sweep.mask_url("postgresql://user:secret@dbhost:5432/optuna")
    assert "secret" not in masked and "user" in masked and "dbhost" in masked
    assert "secret" not in sweep.mask_url("not a url://user:secret@host")


def test_storage_that_cannot_be_reached_is_one_line_without_the_password():
    with pytest.raises(cli.UserError) as err:
        sweep.open_storage("postgresql://user:secret@127.0.0.1:1/optuna")
    assert "secret" not in str(err.value) and "127.0.0.1" in str(err.value)


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")  # ask() outside optimize, on purpose
def test_worker_with_nothing_to_take_says_who_holds_the_rest(tmp_path):
    """Probe 5: the worker that finishes first used to exit 1 while another trained the last point."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    points = [{"batch_size": 32}, {"batch_size": 64}]
    study = sweep.open_study(url, "s", {"grid": 1}, points)
    held = study.ask()  # another worker's trial, popped from the queue and still running
    held.set_user_attr("worker", "elsewhere:1")
    said = []
    done = sweep.run_worker(study, points, lambda point, trial: 1.0, wait=False, log=said.append)
    assert done is False and "elsewhere:1" in said[0]
    study.tell(held, 1.0)
    assert sweep.run_worker(study, points, lambda point, trial: 1.0, wait=False) is True
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 2


def test_observations_use_the_intervals():
    grid = {
        **grids.GRIDS["report"],
        "batch_size": [32, 128],
        "dropout": [0.0, 0.5, 1.0],
        "seed": [1, 2, 3],
        "max_epochs": 2,
    }
    base = {
        "filters1": 10,
        "filters2": 20,
        "kernel": 5,
        "hidden": 50,
        "activation": "relu",
        "params": 1,
        "multiply_adds": 1,
        "epoch_seconds": 1.0,
        "train_seconds": 2.0,
    }
    rows = []
    for b in (32, 128):
        for d, acc in ((0.0, 0.980), (0.5, 0.981), (1.0, 0.10)):
            for s, noise in ((1, -0.002), (2, 0.0), (3, 0.002)):
                for e in (1, 2):
                    rows.append(
                        {
                            **base,
                            "batch_size": b,
                            "dropout": d,
                            "seed": s,
                            "epochs": e,
                            "test_acc": acc + noise - (0.02 if e == 1 else 0) - (0.01 if b == 128 else 0),
                            "train_acc": acc,
                        }
                    )
    found = analysis.observations("report", analysis.Summary(rows, grid))
    assert found["dropout"]["best_dropout"] == 0.5 and "inside the noise" in found["dropout"]["text"]
    assert (
        found["batch_size"]["best_after_max_epochs"] == 32
        and "outside the noise" in found["batch_size"]["text"]
    )
    mean, half = analysis.mean_ci([97.8, 98.0, 98.2])
    assert mean == pytest.approx(98.0) and half == pytest.approx(4.303 * 0.2 / math.sqrt(3), rel=1e-3)
    assert math.isnan(analysis.mean_ci([98.0])[1])


def test_pareto_front():
    points = [(1, 90.0), (2, 89.0), (3, 95.0), (3, 94.0), (10, 95.0), (20, 97.0)]
    assert analysis.pareto_front(points) == [0, 2, 5]


def test_default_grids():
    full = grids.chosen_grids(
        "report,broad",
        False,
        dict.fromkeys(grids.LIST_FLAGS),
        dict.fromkeys(("max_epochs", "train_subset", "test_subset")),
    )
    report, broad = full["report"], full["broad"]
    assert (
        report["batch_size"] == [16, 32, 64, 128, 256]
        and report["max_epochs"] == 8
        and 1.0 in report["dropout"]
    )
    variants = math.prod(len(broad[d]) for d in ("filters1", "filters2", "kernel", "hidden", "dropout"))
    assert variants >= 100 and len(broad["seed"]) == 3
    quick = grids.chosen_grids(
        "broad",
        True,
        dict.fromkeys(grids.LIST_FLAGS),
        dict.fromkeys(("max_epochs", "train_subset", "test_subset")),
    )
    assert len(quick["broad"]["seed"]) == 3 and quick["broad"]["train_subset"]


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_a_point_that_keeps_crashing_is_given_up_with_its_error(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    points = [{"batch_size": 32}]
    study = sweep.open_study(url, "s", {"grid": 1}, points)
    for attempt in range(sweep.MAX_RETRY + 1):
        if attempt:
            study.enqueue_trial(points[0], user_attrs={"point": sweep.point_key(points[0])})
        trial = study.ask()
        trial.set_user_attr("error", "ValueError: broken")
        study.tell(trial, state=TrialState.FAIL)
    with pytest.raises(cli.UserError, match="failed 4 times, last: ValueError: broken"):
        sweep.run_worker(study, points, lambda point, trial: 1.0, wait=False)


def test_two_workers_popping_the_same_trial_is_harmless(tmp_path):
    """SQLite has no row locks: two workers popping at the same moment can take one trial. The one
    that finishes second finds it complete and moves on instead of crashing."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    points = [{"batch_size": 32}]
    study = sweep.open_study(url, "s", {"grid": 1}, points)
    other = optuna.load_study(study_name="s", storage=url)

    def train_while_another_finishes(point, trial):
        other.tell(trial.number, 0.5)  # the other worker, faster, completes the same trial
        trial.set_user_attr("members", [])  # this worker's next epoch record
        return 0.5

    said = []
    assert sweep.run_worker(study, points, train_while_another_finishes, wait=False, log=said.append)
    assert "another worker finished" in said[0]
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]


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
    grid = results["grids"]["act"]
    assert list(results["grids"]) == ["act"] and grid["variants"] == 4 and grid["trainings"] == 8
    assert grid["grid"]["batch_size"] == [64] and grid["grid"]["filters1"] == [10]  # the course's
    assert set(grid["observations"]) == {"activation", "hidden"}
    assert grid["pareto"] and all((tmp_path / "out").joinpath(p).exists() for p in grid["figures"])
    assert "Grid `act`" in section.report_section(Results(tmp_path / "out"))


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
