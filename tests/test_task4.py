"""Task 4's sweep: a tiny grid end to end, resuming after Ctrl-C, a crash and a killed process,
and the observations computed from results."""
import csv
import socket
import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState

import task4_experiments as task4

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")

GRID = [(32, 0.0), (32, 0.5), (64, 0.0), (64, 0.5)]


def tiny_args(tmp_path) -> list[str]:
    return ["--batch-sizes", "32,64", "--dropouts", "0.0,0.5", "--max-epochs", "2",
            "--train-subset", "1000", "--test-subset", "500", "--workers", "1", "--threads", "1",
            "--figures-dir", str(tmp_path)]


def study_of(tmp_path) -> optuna.Study:
    args = task4.parse_args(tiny_args(tmp_path))
    return task4.open_study(args.storage, args.study_name, args.settings, args.batch_sizes, args.dropouts)


def variants_in_csv(tmp_path) -> list[tuple[int, float, int]]:
    with open(tmp_path / "task4_variants.csv", newline="") as f:
        return [(int(r["batch_size"]), float(r["dropout"]), int(r["epochs"])) for r in csv.DictReader(f)]


def assert_each_variant_once(tmp_path, study):
    variants = variants_in_csv(tmp_path)
    assert sorted(variants) == sorted((b, d, e) for b, d in GRID for e in (1, 2))
    complete = [task4.grid_point(t) for t in study.get_trials(states=(TrialState.COMPLETE,))]
    assert sorted(complete) == sorted(GRID)  # nothing trained twice


def test_tiny_sweep_end_to_end(tmp_path):
    results = task4.main(tiny_args(tmp_path))
    assert (tmp_path / "task4_study.db").is_file()
    assert_each_variant_once(tmp_path, study_of(tmp_path))
    for name in ("accuracy_vs_epochs", "accuracy_vs_dropout", "heatmap", "time_vs_batch"):
        assert (tmp_path / f"task4_{name}.png").stat().st_size > 0
    assert results["study"]["variants"] == 8 and results["settings"]["schedule"] == "constant"
    assert set(results["observations"]) == set(task4.HYPOTHESES)
    assert all(o["text"] for o in results["observations"].values())
    assert (tmp_path / "task4_results.json").is_file()
    # A rerun trains nothing: every grid point is already complete.
    again = task4.main(tiny_args(tmp_path))
    assert again["study"]["trials_in_study"] == results["study"]["trials_in_study"]


def test_ctrl_c_after_first_run_then_rerun_finishes_each_variant_once(tmp_path):
    def interrupt(study, trial):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        task4.main(tiny_args(tmp_path), callbacks=[interrupt])
    assert len(study_of(tmp_path).get_trials(states=(TrialState.COMPLETE,))) == 1
    task4.main(tiny_args(tmp_path))
    assert_each_variant_once(tmp_path, study_of(tmp_path))


def test_ctrl_c_during_a_run_is_retried(tmp_path, monkeypatch):
    real_train, calls = task4.trainlib.train, []

    def train_then_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the warm-up, one whole run, then Ctrl-C inside the second run
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)
    monkeypatch.setattr(task4.trainlib, "train", train_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        task4.main(tiny_args(tmp_path))
    monkeypatch.setattr(task4.trainlib, "train", real_train)
    assert len(study_of(tmp_path).get_trials(states=(TrialState.FAIL,))) == 1
    results = task4.main(tiny_args(tmp_path))
    assert len(results["study"]["resume"]["requeued"]) == 1
    assert_each_variant_once(tmp_path, study_of(tmp_path))


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")  # ask() outside optimize, on purpose
def test_run_of_a_killed_process_is_failed_and_redone(tmp_path):
    study = study_of(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    study.enqueue_trial({"batch_size": 64, "dropout": 0.5})
    orphan = study.ask()
    orphan.suggest_categorical("batch_size", [32, 64])
    orphan.suggest_categorical("dropout", [0.0, 0.5])
    orphan.set_user_attr("worker", f"{socket.gethostname()}:{dead.pid}")
    results = task4.main(tiny_args(tmp_path))
    assert results["study"]["resume"]["orphans_failed"] == 1
    assert study_of(tmp_path).trials[orphan.number].state == TrialState.FAIL
    assert_each_variant_once(tmp_path, study_of(tmp_path))


def test_study_refuses_other_settings(tmp_path):
    study_of(tmp_path)
    args = task4.parse_args(tiny_args(tmp_path) + ["--lr", "0.01", "--study-name",
                                                   task4.parse_args(tiny_args(tmp_path)).study_name])
    with pytest.raises(ValueError, match="other settings"):
        task4.open_study(args.storage, args.study_name, args.settings, args.batch_sizes, args.dropouts)


def test_default_grid_covers_the_report():
    full, quick = task4.parse_args([]), task4.parse_args(["--quick"])
    assert full.batch_sizes[0] == 16 and full.batch_sizes[-1] == 256 and 32 in full.batch_sizes
    assert full.max_epochs == 8 and 0.0 in full.dropouts and 0.5 in full.dropouts
    assert max(full.dropouts) >= 0.99 and full.train_subset is None
    assert 32 in quick.batch_sizes and quick.train_subset and quick.study_name != full.study_name
    assert task4.parse_args(["--quick", "--max-epochs", "3"]).max_epochs == 3


def synthetic_results() -> task4.Results:
    """Accuracy peaks at dropout 0.25 and collapses at 1.0; bigger batches learn slower and run faster."""
    peak = {0.0: 0.97, 0.25: 0.98, 0.5: 0.978, 0.9: 0.95, 1.0: 0.10}
    rows = [{"batch_size": b, "dropout": d, "epochs": e,
             "test_acc": peak[d] - 0.01 * (b // 32) / e, "train_acc": peak[d] - 0.02,
             "train_seconds": e * (2.0 + 64 / b)}
            for b in (32, 64, 128) for d in peak for e in (1, 2, 3)]
    return task4.Results(rows, [32, 64, 128], sorted(peak), 3)


def test_observations_are_computed_from_the_results():
    found = task4.observations(synthetic_results())
    assert found["dropout"]["best_dropout"] == 0.25
    assert found["dropout"]["turned_down_at"] == 0.9  # 0.5 is within half a point of the best
    assert found["batch_size"]["best_after_1_epoch"] == 32
    assert found["epochs"]["gain_pts"]["128"] > found["epochs"]["gain_pts"]["32"]
    assert found["time"]["epoch_seconds"]["32"] == pytest.approx(4.0)
    assert found["time"]["loglog_slope"] < 0
