"""A throwaway PostgreSQL server for the tests that share a sweep through one (Debian's `postgresql`
binaries, which `make test` installs where it can; skipped with the reason where they are absent).
It asks for a password (SCRAM), as a real one would."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

USER, PASSWORD, DATABASE = "sweeper", "s3cret-pw", "optuna"


def pg_bin() -> Path | None:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    return Path(found).resolve().parent if found else None  # /usr/local/bin may link initdb alone


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    host: str
    port: int

    def url(self, database: str = DATABASE, password: str | None = PASSWORD) -> str:
        login = USER if password is None else f"{USER}:{password}"
        return f"postgresql://{login}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database on the server; its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture
def postgres():
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
    data, port, pwfile = folder / "data", free_port(), folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    pwfile.chmod(0o644)
    run = lambda *cmd: subprocess.run([*as_user, *map(str, cmd)], check=True, capture_output=True)  # noqa: E731
    try:
        run(bin_dir / "initdb", "-D", data, "-U", USER, "-A", "scram-sha-256", "--pwfile", pwfile)
        run(
            bin_dir / "pg_ctl",
            *("-D", data, "-l", folder / "log", "-w", "start"),
            *("-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"),
        )
        server = Server("127.0.0.1", port)
        server.create_database(DATABASE)
        yield server
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres):
    return postgres.url()
