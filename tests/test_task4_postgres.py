"""Two sweep workers sharing one study on a real, throwaway PostgreSQL server; one is killed with
SIGKILL mid-training. Every grid point must end complete exactly once, with the numbers a
single-process run gives. Needs Debian's `postgresql` binaries (`make test` installs them where
it can); skipped with the reason where they are absent."""

import csv
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "s3cret-pw"
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]


def pg_bin() -> Path | None:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    return Path(found).resolve().parent if found else None  # /usr/local/bin may link initdb alone


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_url():
    bin_dir = pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the postgres user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="task4_pg_"))
    folder.chmod(0o777)
    data, port = folder / "data", free_port()
    run = lambda *cmd: subprocess.run([*as_user, *map(str, cmd)], check=True, capture_output=True)  # noqa: E731
    try:
        run(bin_dir / "initdb", "-D", data, "-U", "sweeper", "-A", "trust")
        run(
            bin_dir / "pg_ctl",
            "-D",
            data,
            "-l",
            folder / "log",
            "-w",
            "start",
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
        )
        run(bin_dir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "sweeper", "optuna")
        yield f"postgresql://sweeper:{PASSWORD}@127.0.0.1:{port}/optuna"
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


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
