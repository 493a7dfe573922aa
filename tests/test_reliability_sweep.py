"""Issue 23, Task 4's sweep: items 15 (every grid dimension bounded), 20 (a huge grid is counted and
estimated before anything is enqueued), 16 (in-memory storage), 8 (the training time of a rerun that
only redraws), 22 (an interrupted enqueueing, deleting one study), 24 (creating storage races),
21 (a server that never answers) and 29 (the password off the command line)."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import optuna
import pytest
from postgres_support import DATABASE, PASSWORD, USER

import task4_experiments as task4
from recognition import cli
from recognition.experiments import section, sweep

ROOT = Path(__file__).resolve().parent.parent
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


def tiny_sweep(tmp_path) -> list[str]:
    return [
        *("--grids", "report", "--batch-sizes", "32,64", "--dropouts", "0,0.5", "--seeds", "1"),
        *("--max-epochs", "1", "--train-subset", "256", "--test-subset", "64"),
        *("--workers", "1", "--threads", "1", "--figures-dir", str(tmp_path)),
    ]


@pytest.mark.slow
def test_a_rerun_that_only_redraws_reports_the_time_of_the_run_that_trained(tmp_path):
    """Item 8: the report said "... in 0 s here" after a rerun that trained nothing."""
    first = task4.main(tiny_sweep(tmp_path)).grids["report"]
    again = task4.main(tiny_sweep(tmp_path)).grids["report"]
    assert 0 < first.study.trained_s <= first.study.sweep_s
    assert again.study.trained_s == first.study.trained_s
    again.study.sweep_s = 0.0  # what the rerun took is not what the report says training took
    again.study.trained_s = 1234.0
    assert "in 1234 s here" in section.describe_grid("report", again)
    assert section.studies_table({"report": again}).splitlines()[-1].endswith("| 1234 s | 0 s |")


def test_the_training_time_counts_overlapping_and_resumed_trainings_once(monkeypatch):
    at = [datetime(2026, 1, 1) + timedelta(seconds=s) for s in range(200)]
    spans = [(0, 10), (5, 12), (100, 130), (110, 120)]  # two workers, a pause, two workers again
    trials = {
        str(i): SimpleNamespace(datetime_start=at[a], datetime_complete=at[b])
        for i, (a, b) in enumerate(spans)
    }
    monkeypatch.setattr(sweep, "completed", lambda study, keys: trials)
    assert sweep.training_s(None, []) == 12 + 30


def test_an_interrupted_enqueueing_is_finished_by_the_next_run(tmp_path, monkeypatch, capsys):
    """Item 22: Ctrl-C while enqueueing left a study that no rerun could use."""
    url, points = f"sqlite:///{tmp_path / 'study.db'}", [{"batch_size": b} for b in range(1, 41)]
    enqueue, calls = optuna.Study.enqueue_trial, []

    def interrupted(self, *args, **kwargs):
        if len(calls) == 15:
            raise KeyboardInterrupt
        calls.append(1)
        return enqueue(self, *args, **kwargs)

    monkeypatch.setattr(optuna.Study, "enqueue_trial", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sweep.open_study(url, "grid", {"grid": 1}, points)
    monkeypatch.setattr(optuna.Study, "enqueue_trial", enqueue)
    monkeypatch.setattr(sweep, "STALL_S", 0.5)
    study = sweep.open_study(url, "grid", {"grid": 1}, points)
    assert sorted(t.user_attrs["point"] for t in study.trials) == sorted(map(sweep.point_key, points))
    assert study.user_attrs["enqueued"] == 40 and study.user_attrs["identity"] == {"grid": 1}
    assert "enqueueing stopped at 15 of 40 points; enqueueing the other 25 here" in capsys.readouterr().out


def test_one_study_is_deleted_and_the_others_stay(tmp_path, capsys):
    """Item 22: deleting a study meant editing a database that holds other grids."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    for name in ("keep", "drop"):
        sweep.open_study(url, name, {"grid": name}, [{"batch_size": 1}, {"batch_size": 2}])
    assert task4.main(["--storage", url, "--delete-study", "drop"]) is None
    assert "deleted study 'drop' (2 trials)" in capsys.readouterr().out
    assert optuna.get_all_study_names(url) == ["keep"]
    with pytest.raises(cli.UserError, match="--delete-study drop: no such study .*its studies: keep$"):
        task4.main(["--storage", url, "--delete-study", "drop"])
    with pytest.raises(cli.UserError, match="no study database at"):
        task4.main(["--figures-dir", str(tmp_path / "none"), "--delete-study", "drop"])
    assert not (tmp_path / "none").exists()


RACE = """
import os, sys, time
from pathlib import Path
from recognition.experiments import sweep

folder, urls = Path(sys.argv[1]), sys.argv[2:]
for i, url in enumerate(urls):
    (folder / f"ready-{i}-{os.getpid()}").touch()
    deadline = time.monotonic() + 30
    while len(list(folder.glob(f"ready-{i}-*"))) < 2:  # both processes start each round together
        if time.monotonic() > deadline:
            sys.exit("the other process never reached round %d" % i)
        time.sleep(0.001)
    sweep.open_study(url, "race", {"grid": 1}, [{"batch_size": b} for b in range(1, 6)])
"""


def race(tmp_path, urls: list[str]) -> None:
    """Two processes open the same new study in each storage at the same moment."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", RACE, str(tmp_path), *urls]
    procs = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [proc.communicate(timeout=200)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], "\n".join(errors)
    for url in urls:
        trials = optuna.load_study(study_name="race", storage=url).trials
        assert sorted(t.user_attrs["point"] for t in trials) == sorted(
            sweep.point_key({"batch_size": b}) for b in range(1, 6)
        )


@pytest.mark.slow
def test_two_processes_creating_one_new_sqlite_study_file_both_succeed(tmp_path):
    """Item 24: 4 runs in 11 failed with `UNIQUE constraint failed: alembic_version.version_num`."""
    race(tmp_path, [f"sqlite:///{tmp_path / f'study{i}.db'}" for i in range(12)])


@pytest.mark.slow
def test_two_processes_creating_one_new_postgresql_database_both_succeed(tmp_path, postgres):
    """Item 24: 3 runs in 5 failed with `UniqueViolation ... pg_type_typname_nsp_index`."""
    race(tmp_path, [postgres.create_database(f"race{i}") for i in range(6)])


def test_a_server_that_accepts_but_never_answers_is_named_within_seconds(tmp_path):
    """Item 21: 135 s of silence, then a traceback."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]  # accepted by the kernel, never answered
        start = time.monotonic()
        with pytest.raises(cli.UserError) as err:
            task4.main([*tiny_sweep(tmp_path), "--storage", f"postgresql://u:secret@127.0.0.1:{port}/optuna"])
    assert time.monotonic() - start < 20
    line = str(err.value)
    assert f"127.0.0.1:{port} did not answer within 5 s" in line and "secret" not in line and "\n" not in line


def test_the_storage_url_from_an_environment_variable_or_a_file(tmp_path, monkeypatch, capsys):
    """Item 29: the README told users to put the PostgreSQL password in --storage, which every local
    user can read in /proc/PID/cmdline."""
    url = f"sqlite:///{tmp_path / 'study.db'}"
    for name in ("a", "b"):
        sweep.open_study(url, name, {"grid": name}, [{"batch_size": 1}])
    monkeypatch.setenv("TASK4_STORAGE", url)
    task4.main(["--storage-env", "TASK4_STORAGE", "--delete-study", "a"])
    (tmp_path / "storage.txt").write_text(f"\n{url}\n")
    task4.main(["--storage-file", str(tmp_path / "storage.txt"), "--delete-study", "b"])
    assert optuna.get_all_study_names(url) == [] and capsys.readouterr().out.count("deleted study") == 2
    (tmp_path / "empty.txt").write_text("\n")
    for flags, message in [
        (
            ["--storage-env", "NOT_SET_ANYWHERE"],
            "--storage-env NOT_SET_ANYWHERE: the environment variable is not set",
        ),
        (["--storage-file", str(tmp_path / "none.txt")], "--storage-file .*none.txt: cannot read it"),
        (["--storage-file", str(tmp_path / "empty.txt")], "--storage-file .*empty.txt: it is empty"),
        (["--storage", url, "--storage-env", "TASK4_STORAGE"], "not allowed with"),
    ]:
        with pytest.raises(cli.UserError, match=message):
            task4.main([*flags, "--delete-study", "a"])


def test_the_help_says_how_to_keep_the_password_off_the_command_line(capsys):
    with pytest.raises(SystemExit):
        task4.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(word in text for word in ("PGPASSWORD", "~/.pgpass", "--storage-env", "--storage-file"))


@pytest.mark.slow
def test_a_postgresql_password_from_pgpassword_or_pgpass(postgres, tmp_path, monkeypatch):
    """Item 29: with no password in the URL, libpq's own ways to give it work."""
    bare = postgres.url(password=None)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-such-file"))
    with pytest.raises(cli.UserError, match="password"):
        sweep.open_storage(bare)
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert sweep.open_storage(bare).get_all_studies() == []
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{postgres.host}:{postgres.port}:{DATABASE}:{USER}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert sweep.open_storage(bare).get_all_studies() == []
