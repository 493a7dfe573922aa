"""Where Task 4's studies live: the --storage flag (checked before any work) and deleting one study.

A study database may hold many grids' studies (one per grid, data set and settings); `--delete-study
NAME` removes one of them and leaves the others alone."""

from __future__ import annotations

import argparse
from pathlib import Path

import optuna

from recognition import cli
from recognition.experiments import sweep

DEFAULT_FILE = "task4_study.db"  # in --figures-dir


def add_storage_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--storage",
        help=f"Optuna storage URL (default sqlite:///FIGURES_DIR/{DEFAULT_FILE}); "
        "postgresql://user:pw@host/db lets several machines share the sweep",
    )
    p.add_argument(
        "--delete-study",
        metavar="NAME",
        help="delete this one study from the storage (its other studies stay) and exit; "
        "the error for an unknown name lists the studies there",
    )


def storage_url(args: argparse.Namespace) -> str:
    """The storage URL the flags give, or a UserError when it cannot hold a sweep."""
    url = args.storage or f"sqlite:///{sweep.project_path(Path(args.figures_dir) / DEFAULT_FILE)}"
    if url.startswith("sqlite:") and sweep.sqlite_path(url) is None:
        # an in-memory database lives as long as one connection; each worker and the analysis open their own
        raise cli.UserError(
            f"--storage {url}: an in-memory database cannot hold a sweep (each worker and the "
            f"analysis open their own); give a file, e.g. --storage sqlite:///figures/{DEFAULT_FILE}"
        )
    return url


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
