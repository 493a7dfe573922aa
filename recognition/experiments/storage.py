"""Where Task 4's studies live: the --storage flags (checked before any work) and deleting one study.

A PostgreSQL password never needs to be on the command line, where every local user can read it
(/proc/PID/cmdline): leave it out of the URL and libpq reads it from PGPASSWORD or ~/.pgpass, or
read the whole URL from an environment variable (--storage-env) or a file (--storage-file).

A study database may hold many grids' studies (one per grid, data set and settings); `--delete-study
NAME` removes one of them and leaves the others alone."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import optuna

from recognition import cli
from recognition.experiments import sweep

DEFAULT_FILE = "task4_study.db"  # in --figures-dir


def add_storage_flags(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--storage",
        help=f"Optuna storage URL (default sqlite:///FIGURES_DIR/{DEFAULT_FILE}); "
        "postgresql://user@host/db lets several machines share the sweep. Keep the password off the "
        "command line (other users can read it there): libpq reads it from PGPASSWORD or ~/.pgpass, "
        "or give the whole URL with --storage-env or --storage-file",
    )
    where.add_argument(
        "--storage-env", metavar="VAR", help="read the storage URL from this environment variable"
    )
    where.add_argument(
        "--storage-file", metavar="PATH", type=Path, help="read the storage URL from this file's first line"
    )
    p.add_argument(
        "--delete-study",
        metavar="NAME",
        help="delete this one study from the storage (its other studies stay) and exit; "
        "the error for an unknown name lists the studies there",
    )


def storage_url(args: argparse.Namespace) -> str:
    """The storage URL the flags give, or a UserError when it cannot hold a sweep."""
    url = args.storage or given_url(args.storage_env, args.storage_file)
    url = url or f"sqlite:///{sweep.project_path(Path(args.figures_dir) / DEFAULT_FILE)}"
    if url.startswith("sqlite:") and sweep.sqlite_path(url) is None:
        # an in-memory database lives as long as one connection; each worker and the analysis open their own
        raise cli.UserError(
            f"--storage {url}: an in-memory database cannot hold a sweep (each worker and the "
            f"analysis open their own); give a file, e.g. --storage sqlite:///figures/{DEFAULT_FILE}"
        )
    return url


def given_url(variable: str | None, path: Path | None) -> str | None:
    """The URL in the environment variable or the file named, or None when neither is."""
    if variable is not None:
        if not (url := os.environ.get(variable, "").strip()):
            raise cli.UserError(
                f"--storage-env {variable}: the environment variable is not set or empty; "
                f"e.g. export {variable}='postgresql://user:password@host/db'"
            )
        return url
    if path is not None:
        try:
            lines = path.read_text(encoding="utf-8").strip().splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise cli.UserError(f"--storage-file {path}: cannot read it ({getattr(err, 'strerror', err)})")
        if not (url := lines[0].strip() if lines else ""):
            raise cli.UserError(
                f"--storage-file {path}: it is empty; write the storage URL on its first line"
            )
        return url
    return None


def delete_study(url: str, name: str) -> str:
    """Delete study `name` from the storage at `url`; what was deleted, as a line to print."""
    where = sweep.mask_url(url)
    if (path := sweep.sqlite_path(url)) is not None and not path.exists():
        raise cli.UserError(f"--delete-study {name}: there is no study database at {path}")
    storage = sweep.open_storage(url)
    studies = {
        s.study_name: s.n_trials for s in optuna.get_all_study_summaries(storage, include_best_trial=False)
    }
    if name not in studies:
        there = ", ".join(sorted(studies)) or "none"
        raise cli.UserError(f"--delete-study {name}: no such study in {where}; its studies: {there}")
    optuna.delete_study(study_name=name, storage=storage)
    return f"deleted study {name!r} ({studies[name]} trials) from {where}; its other studies are untouched"
