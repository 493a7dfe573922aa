"""Two sweep workers sharing one study on a real, throwaway PostgreSQL server; one is killed with
SIGKILL mid-training. Every grid point must end complete exactly once, with the numbers a
single-process run gives. Needs Debian's `postgresql` binaries (`make test` installs them where
it can); skipped with the reason where they are absent."""

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from postgres_support import PASSWORD  # its fixtures: conftest.py

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]


def sweep_command(out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "task4_experiments.py"),
        "--grids",
        "report",
        "--batch-sizes",
        "32,64,128,256",
        "--dropouts",
        "0,0.5",
        "--seeds",
        "1",
        "--max-epochs",
        "2",
        "--train-subset",
        "256",
        "--test-subset",
        "128",
        "--workers",
        "1",
        "--threads",
        "1",
        "--figures-dir",
        str(out),
        "--data-dir",
        str(ROOT / "data"),
        *extra,
    ]


def accuracies(out: Path) -> list[tuple]:
    with open(out / "task4_full_report_variants.csv", newline="") as f:
        return sorted(
            (r["batch_size"], r["dropout"], r["epochs"], r["train_acc"], r["test_acc"])
            for r in csv.DictReader(f)
        )


def test_two_workers_one_killed_every_point_once(postgres_url, tmp_path):
    flags = ["--storage", postgres_url, "--heartbeat", "1", "--grace", "3"]
    logs = [open(tmp_path / f"worker{i}.log", "w") for i in range(2)]
    survivor, victim = (
        subprocess.Popen(
            sweep_command(tmp_path / f"w{i}", *flags), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        for i, log in enumerate(logs)
    )
    try:
        deadline = time.monotonic() + 240
        study = None
        while time.monotonic() < deadline:  # kill the victim once it is training a point
            names = optuna.get_all_study_names(postgres_url)
            study = study or (optuna.load_study(study_name=names[0], storage=postgres_url) if names else None)
            running = [
                str(t.user_attrs.get("worker"))
                for t in (study.trials if study else [])
                if t.state == TrialState.RUNNING
            ]
            if any(worker.endswith(f":{victim.pid}") for worker in running):
                victim.send_signal(signal.SIGKILL)
                break
            time.sleep(0.2)
        else:
            pytest.fail("the second worker never started a point")
        assert survivor.wait(timeout=300) == 0, (tmp_path / "worker0.log").read_text()
    finally:
        for proc in (survivor, victim):
            proc.kill()
            proc.wait()
        for log in logs:
            log.close()
    trials = optuna.load_study(study_name=study.study_name, storage=postgres_url).trials
    complete = [t.user_attrs["point"] for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(complete) == sorted(set(complete)) and len(complete) == 4  # each point exactly once
    assert any(t.state == TrialState.FAIL for t in trials)  # the killed worker's point, failed by heartbeat
    printed = (tmp_path / "worker0.log").read_text()
    assert (
        PASSWORD not in printed and PASSWORD not in (tmp_path / "w0" / "task4_full_results.json").read_text()
    )

    single = subprocess.run(sweep_command(tmp_path / "single"), cwd=ROOT, capture_output=True, text=True)
    assert single.returncode == 0, single.stderr
    assert accuracies(tmp_path / "w0") == accuracies(tmp_path / "single")
