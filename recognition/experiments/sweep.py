"""A grid sweep as an Optuna study that several processes or machines share, on Optuna's public API.

Optuna's documented pattern for a fixed set of points: the process that creates the study
enqueues every grid point once as a fixed trial (`enqueue_trial`), and workers pop waiting
trials (`study.optimize`, one trial at a time). Heartbeats mark a trial whose worker died as
failed after the grace period, and `RetryHeartbeatStaleTrialCallback` enqueues it again. A point whose
trials all failed (Ctrl-C, a crash) is enqueued again when a worker starts. An enqueueing that stopped halfway
(its creator interrupted) is finished by the next process that opens the study.

The grid is part of the study's identity: the study name ends with a hash of everything the
results depend on, so another grid is another study and never a clash of parameter spaces.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import sqlite3
import time
import warnings
from pathlib import Path
from typing import Callable, Sequence

import optuna
from optuna.trial import FrozenTrial, TrialState

from recognition import cli

# Heartbeats, fail_stale_trials and the retry callback are Optuna's way to share a study between
# machines; Optuna still labels them experimental.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

HEARTBEAT_S, GRACE_S = 10, 60  # a RUNNING trial silent for GRACE_S is taken as lost
MAX_RETRY = 3  # attempts of one point before the sweep gives up on it
POLL_S = 5.0  # how often a worker with nothing to take looks again
CONNECT_TIMEOUT_S = 5  # a database server that accepts but never answers is named after this long
STALL_S = 10.0  # enqueueing (hundreds of points a second) silent this long was interrupted


def point_key(point: dict) -> str:
    return json.dumps(point, sort_keys=True)


def study_name(prefix: str, identity: dict) -> str:
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:10]
    return f"{prefix}_{digest}"


def mask_url(url: str) -> str:
    """The storage URL with its password replaced by ***, for printing and results."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show the scheme only
        return url.split("://", 1)[0] + "://***"


def project_path(path: Path) -> str:
    """A path relative to the working folder (the project) when it lies inside it, so that no path of
    the machine lands in the results; else the absolute path."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def check_sqlite_file(path: Path) -> None:
    """A damaged study file is named with how to start over, before Optuna touches it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    problem = None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            found = db.execute("PRAGMA quick_check").fetchall()
        if found != [("ok",)]:
            problem = "; ".join(str(row[0]) for row in found[:3])
    except sqlite3.DatabaseError as err:
        problem = str(err)
    if problem:
        raise cli.UserError(
            f"the study database {path} is damaged ({problem}). Nothing was changed. To start over, "
            f"move it aside or delete it (`rm {path}`) and rerun; finished runs in it are lost."
        )


def open_storage(
    url: str, heartbeat_s: float = HEARTBEAT_S, grace_s: float = GRACE_S
) -> optuna.storages.RDBStorage:
    engine_kwargs = {}
    if (path := sqlite_path(url)) is not None:
        check_sqlite_file(path)
        engine_kwargs = {"connect_args": {"timeout": 60}}  # workers write at once: wait for the lock
    elif url.startswith("postgresql") and "connect_timeout" not in url:
        engine_kwargs = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}
    try:
        return retry_creation(
            lambda: optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=max(1, round(heartbeat_s)),
                grace_period=max(2, round(grace_s)),
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=MAX_RETRY
                ),
            )
        )
    except ImportError as err:
        raise cli.UserError(
            f"the storage {mask_url(url)} needs a database driver: {err}. PostgreSQL uses "
            f"psycopg 3 (`pip install 'psycopg[binary]'`, in requirements.txt)"
        ) from err
    except Exception as err:  # SQLAlchemy and Optuna raise many types for a bad URL or server
        if "timeout expired" in str(err):
            raise cli.UserError(silent_server(url)) from err
        raise cli.UserError(
            f"cannot open the study storage {mask_url(url)}: {type(err).__name__}: {str(err).splitlines()[0]}"
        ) from err


def silent_server(url: str) -> str:
    from sqlalchemy.engine import make_url

    address = make_url(url)
    return (
        f"the study storage {mask_url(url)}: the server at {address.host or 'localhost'}:"
        f"{address.port or 5432} did not answer within {CONNECT_TIMEOUT_S} s; check the host and port "
        f"(a PostgreSQL server there, not another service), or add ?connect_timeout=SECONDS to wait longer"
    )


def retry_creation(create: Callable[[], optuna.storages.RDBStorage], tries: int = 5):
    """`create()`, again after a short random pause when another process was creating the same new
    database's tables at the same moment (its "already exists" or unique-constraint error): the next
    try finds them made."""
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    for attempt in range(1, tries + 1):
        try:
            return create()
        except (IntegrityError, OperationalError, ProgrammingError) as err:
            raced = isinstance(err, IntegrityError) or "already exists" in str(err)
            if not raced or attempt == tries:
                raise
            time.sleep(random.uniform(0.05, 0.3) * attempt)


def open_study(
    url: str,
    name: str,
    identity: dict,
    points: Sequence[dict],
    heartbeat_s: float = HEARTBEAT_S,
    grace_s: float = GRACE_S,
) -> optuna.Study:
    """Create the study and enqueue every point once, or load it and check it is the same grid."""
    storage = open_storage(url, heartbeat_s, grace_s)
    sampler = optuna.samplers.RandomSampler()  # only a trial that popped nothing would use it
    try:
        study = optuna.create_study(study_name=name, storage=storage, sampler=sampler, direction="maximize")
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
        found = study.user_attrs.get("identity")
        if found is None:  # its creator was stopped before it wrote the identity
            study.set_user_attr("identity", identity)
        elif found != identity:
            raise cli.UserError(
                f"study {name!r} in {mask_url(url)} holds another grid or settings "
                f"({found}); pass another --study-name, or leave it out to get one per grid"
            )
        finish_enqueueing(study, points)
        return study
    study.set_user_attr("identity", identity)
    enqueue(study, points, len(points))
    return study


def finish_enqueueing(study: optuna.Study, points: Sequence[dict], stall_s: float | None = None) -> None:
    """A process that loads a study another is still filling waits for the whole grid; when the
    filling stops for `stall_s` (its creator was interrupted or died), it enqueues the points still
    missing itself, so an interrupted enqueueing resumes (a point enqueued twice by a race is trained
    once: the second trial sees the first and is pruned)."""
    stall_s = STALL_S if stall_s is None else stall_s
    seen, since = -1, time.monotonic()
    while study.user_attrs.get("enqueued") != len(points):
        keys = {t.user_attrs.get("point") for t in study.get_trials(deepcopy=False)}
        if len(keys) != seen:
            seen, since = len(keys), time.monotonic()
        elif time.monotonic() - since > stall_s:
            missing = [p for p in points if point_key(p) not in keys]
            print(
                f"study {study.study_name!r}: enqueueing stopped at {len(points) - len(missing)} of "
                f"{len(points)} points; enqueueing the other {len(missing)} here",
                flush=True,
            )
            enqueue(study, missing, len(points))
            return
        time.sleep(min(1.0, stall_s / 4))


def enqueue(study: optuna.Study, points: Sequence[dict], count: int) -> None:
    for point in points:
        study.enqueue_trial(point, user_attrs={"point": point_key(point)})
    study.set_user_attr("enqueued", count)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def completed(study: optuna.Study, keys: set[str]) -> dict[str, FrozenTrial]:
    """The first COMPLETE trial of each grid point."""
    done: dict[str, FrozenTrial] = {}
    for trial in sorted(
        study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), key=lambda t: t.number
    ):
        key = trial.user_attrs.get("point")
        if key in keys:
            done.setdefault(key, trial)
    return done


def training_s(study: optuna.Study, points: Sequence[dict]) -> float:
    """The wall-clock time during which at least one of the points' trainings ran, from the completed
    trials' own times: the same when a rerun only redraws, without the pause when a run was resumed."""
    trials = completed(study, {point_key(p) for p in points}).values()
    total, end = 0.0, None
    for start, stop in sorted((t.datetime_start, t.datetime_complete) for t in trials):
        if end is not None and start < end:
            start = end  # overlaps a training before it (several workers): count the new part only
        if stop > start:
            total += (stop - start).total_seconds()
        end = stop if end is None else max(end, stop)
    return total


def requeue_failed(study: optuna.Study, points: dict[str, dict]) -> list[str]:
    """Enqueue again each point whose every trial failed (Ctrl-C, a crash); give up after MAX_RETRY."""
    by_key: dict[str, list[FrozenTrial]] = {}
    for trial in study.get_trials(deepcopy=False):
        by_key.setdefault(trial.user_attrs.get("point"), []).append(trial)
    again = []
    for key, trials in by_key.items():
        if key not in points or any(
            t.state in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING) for t in trials
        ):
            continue
        failed = [t for t in trials if t.state == TrialState.FAIL and "error" in t.user_attrs]  # not Ctrl-C
        if len(failed) > MAX_RETRY:
            raise cli.UserError(
                f"training {key} failed {len(failed)} times, last: "
                f"{failed[-1].user_attrs.get('error', 'no message')}"
            )
        study.enqueue_trial(points[key], user_attrs={"point": key})
        again.append(key)
    return again


def make_objective(
    study: optuna.Study,
    points: dict[str, dict],
    choices: dict[str, list],
    train_point: Callable[[dict, optuna.Trial], float],
) -> Callable[[optuna.Trial], float]:
    def objective(trial: optuna.Trial) -> float:
        key = trial.user_attrs.get("point")
        if key not in points:  # another worker popped the last waiting trial first
            raise optuna.TrialPruned("no grid point was waiting")
        for name, value in points[key].items():
            trial.suggest_categorical(name, choices[name])
        trial.set_user_attr("worker", this_worker())
        if any(
            t.user_attrs.get("point") == key
            and t.number != trial.number
            and (
                t.state == TrialState.COMPLETE or (t.state == TrialState.RUNNING and t.number < trial.number)
            )
            for t in study.get_trials(deepcopy=False)
        ):
            raise optuna.TrialPruned(f"{key} is done or running elsewhere")
        try:
            return train_point(points[key], trial)
        except optuna.exceptions.UpdateFinishedTrialError:
            raise  # another worker finished this very trial (see run_worker)
        except Exception as err:
            trial.set_user_attr("error", f"{type(err).__name__}: {err}")
            raise

    return objective


def run_worker(
    study: optuna.Study,
    points: Sequence[dict],
    train_point: Callable[[dict, optuna.Trial], float],
    wait: bool = True,
    poll_s: float = POLL_S,
    callbacks: Sequence[Callable] = (),
    log: Callable[[str], None] = print,
) -> bool:
    """Train waiting points until every point is complete; True when it is.

    A worker with nothing left to take waits for the points other workers hold (and takes over
    one whose worker dies), or with `wait=False` returns False saying who holds them.
    """
    by_key = {point_key(p): p for p in points}
    choices = {name: sorted({p[name] for p in points}, key=str) for name in points[0]}
    objective = make_objective(study, by_key, choices, train_point)
    told = None
    while True:
        optuna.storages.fail_stale_trials(study)
        requeue_failed(study, by_key)
        trials = study.get_trials(deepcopy=False)
        if any(t.state == TrialState.WAITING for t in trials):
            try:
                study.optimize(objective, n_trials=1, callbacks=list(callbacks))
            except (ValueError, optuna.exceptions.UpdateFinishedTrialError) as err:
                # SQLite ignores Optuna's SELECT ... FOR UPDATE, so two workers that pop at the same
                # moment can take the same trial; training is deterministic, so the one that finishes
                # first stores exactly what the other would have, and the other moves on.
                if "finished" not in str(err) and "Cannot tell" not in str(err):
                    raise
                log(f"{this_worker()}: another worker finished the point this one was also training")
            continue
        left = set(by_key) - set(completed(study, set(by_key)))
        if not left:
            return True
        holders = sorted(
            {
                str(t.user_attrs.get("worker", "?"))
                for t in trials
                if t.state == TrialState.RUNNING and t.user_attrs.get("point") in left
            }
        )
        message = f"{len(left)} training(s) of the grid are running in other workers ({', '.join(holders)})"
        if not wait:
            log(f"{message}; nothing left to take here: the last of them writes the results")
            return False
        if message != told:
            log(
                f"{message}; waiting for them (a training whose worker dies is taken over once its "
                f"heartbeat is older than the grace period)"
            )
            told = message
        time.sleep(poll_s)
