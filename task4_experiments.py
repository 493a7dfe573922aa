"""Task 4: design your own experiment — batch size, dropout and epochs against test accuracy.

A grid over (batch size, dropout rate); each point is one training run to `--max-epochs` with a
constant learning rate, and the test set is evaluated after every epoch, so one run gives the
result of every epoch count: a variant is (batch size, dropout, epochs).

The runs live in an Optuna study (GridSampler) in SQLite under FIGURES_DIR, so an interrupted
sweep (Ctrl-C, a killed process) resumes where it stopped when the same command is run again:
finished runs are kept, unfinished ones run again, and each variant is counted once.

    python task4_experiments.py                 # the full grid (`make sweep`)
    python task4_experiments.py --quick         # a small grid on a training subset (`make figures`)
    python task4_experiments.py --workers 2     # two processes on this machine
    python task4_experiments.py --storage postgresql://user:pw@host/db   # several machines
"""
from __future__ import annotations

import argparse
import csv
import io
import multiprocessing
import os
import socket
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import optuna
import torch
from optuna.trial import FrozenTrial, TrialState

import datalib
import netlib
import plotlib
import reportlib
import trainlib
from atomicio import write_json, write_text
from plotlib import plt
from reportlib import figure, opening, pct, table

FULL_GRID = {"batch_sizes": "16,32,64,128,256", "dropouts": "0.0,0.25,0.5,0.75,0.9,1.0",
             "max_epochs": 8, "train_subset": None, "test_subset": None}
QUICK_GRID = {"batch_sizes": "32,64,128,256", "dropouts": "0.0,0.5,0.9,1.0",
              "max_epochs": 4, "train_subset": 5000, "test_subset": 2000}
REFERENCE_DROPOUT = 0.5   # accuracy against epochs is drawn at this dropout (the network's default)
REFERENCE_BATCH = 32      # accuracy against dropout is drawn at this batch size, as in the report
TURN_DOWN_PP = 0.5        # a drop of more than this many points below the best counts as a turn down
PLATEAU_PP = 0.2          # within this many points of a run's best accuracy counts as on its plateau
HEARTBEAT_S, GRACE_S = 30, 120  # a RUNNING trial silent for GRACE_S is taken as lost (other machines)
# Heartbeats and fail_stale_trials are Optuna's way to spread a study over machines; it still
# labels them experimental.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

HYPOTHESES = {
    "batch_size": "Smaller batches make more optimizer steps per epoch, so they reach a higher "
                  "test accuracy after a given number of epochs; the largest batches end lowest.",
    "dropout": "Moderate dropout (0.25-0.5) gives the best test accuracy; no dropout is slightly "
               "worse, and as the rate nears 1.0 the second conv layer's output is almost always "
               "dropped, so accuracy collapses towards chance (about 10%).",
    "epochs": "Test accuracy rises fast over the first 2-3 epochs and then flattens; large batches "
              "(fewer steps per epoch) keep gaining for longer.",
    "time": "Training time per epoch falls as the batch grows (fewer, better-vectorised steps), "
            "with diminishing returns beyond batch 64-128.",
}


# ---------------------------------------------------------------------------------------------
# Settings

@dataclass(frozen=True)
class SweepSettings:
    """What a training run depends on; a study only ever holds runs made with one such setting."""
    max_epochs: int
    optimizer: str
    lr: float
    momentum: float
    train_subset: int | None
    test_subset: int | None
    seed: int

    def default_study_name(self) -> str:
        optim = f"{self.optimizer}{self.lr:g}" + (f"m{self.momentum:g}" if self.optimizer == "sgd" else "")
        return (f"task4_{optim}_e{self.max_epochs}_train{self.train_subset or 'all'}"
                f"_test{self.test_subset or 'all'}_seed{self.seed}")


def _int_list(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def _float_list(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"small grid for `make figures`: {QUICK_GRID} (explicit flags still win)")
    parser.add_argument("--batch-sizes", help=f"comma-separated grid (default {FULL_GRID['batch_sizes']})")
    parser.add_argument("--dropouts", help=f"comma-separated Dropout2d rates (default {FULL_GRID['dropouts']})")
    parser.add_argument("--max-epochs", type=int, help=f"epochs per run (default {FULL_GRID['max_epochs']})")
    parser.add_argument("--train-subset", type=int, help="train on the first N training images (default all)")
    parser.add_argument("--test-subset", type=int, help="test on the first N test images (default all)")
    parser.add_argument("--optimizer", choices=trainlib.OPTIMIZERS, default="adam",
                        help="optimizer, always at a constant rate so epoch k is a fair k-epoch result")
    parser.add_argument("--lr", type=float, default=1e-3, help="constant learning rate")
    parser.add_argument("--momentum", type=float, default=0.5, help="SGD momentum (the report's 0.5)")
    parser.add_argument("--seed", type=int, default=netlib.DEFAULT_SEED, help="seed of every run")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="training processes on this machine (default: up to 2)")
    parser.add_argument("--threads", type=int,
                        help="torch threads per worker (default: cores / workers, at least 1)")
    parser.add_argument("--storage", help="Optuna storage URL (default sqlite:///FIGURES_DIR/task4_study.db); "
                                          "a PostgreSQL/MySQL URL lets several machines share the sweep")
    parser.add_argument("--study-name", help="Optuna study name (default: derived from the run settings)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="MNIST folder")
    parser.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where outputs go")
    args = parser.parse_args(argv)
    preset = QUICK_GRID if args.quick else FULL_GRID
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.batch_sizes = sorted(set(_int_list(args.batch_sizes)))
    args.dropouts = sorted(set(_float_list(args.dropouts)))
    if not args.batch_sizes or min(args.batch_sizes) < 1:
        parser.error("--batch-sizes needs positive integers, e.g. 16,32,64")
    if not args.dropouts or min(args.dropouts) < 0 or max(args.dropouts) > 1:
        parser.error("--dropouts needs rates in [0, 1], e.g. 0.0,0.5,0.9")
    if args.max_epochs < 1 or args.workers < 1:
        parser.error("--max-epochs and --workers must be at least 1")
    args.threads = args.threads or max(1, (os.cpu_count() or 1) // args.workers)
    args.settings = SweepSettings(args.max_epochs, args.optimizer, args.lr, args.momentum,
                                  args.train_subset, args.test_subset, args.seed)
    args.storage = args.storage or f"sqlite:///{(args.figures_dir / 'task4_study.db').resolve()}"
    args.study_name = args.study_name or args.settings.default_study_name()
    return args


# ---------------------------------------------------------------------------------------------
# The study: storage, resuming, and one training run per trial

class GridSampler(optuna.samplers.GridSampler):
    """Optuna's grid sampler, minus its end-of-grid check after each trial.

    That check stops the study and, in Optuna 5.0, fails with a KeyError when the trial was
    enqueued (a re-run of a lost point has no grid id); `run_worker` decides when the grid is done.
    """

    def after_trial(self, study, trial, state, values) -> None:
        return None


def open_study(storage_url: str, study_name: str, settings: SweepSettings,
               batch_sizes: Sequence[int], dropouts: Sequence[float]) -> optuna.Study:
    """Create or load the study; refuse one that was made with other settings."""
    engine_kwargs = {}
    if storage_url.startswith("sqlite:"):
        from sqlalchemy.engine import make_url
        database = make_url(storage_url).database
        if database:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Workers write at once; wait for SQLite's lock rather than fail.
        engine_kwargs = {"connect_args": {"timeout": 60}}
    storage = optuna.storages.RDBStorage(storage_url, engine_kwargs=engine_kwargs,
                                         heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S)
    sampler = GridSampler({"batch_size": list(batch_sizes), "dropout": list(dropouts)},
                                          seed=settings.seed)
    study = optuna.create_study(study_name=study_name, storage=storage, sampler=sampler,
                                direction="maximize", load_if_exists=True)
    wanted = asdict(settings)
    found = study.user_attrs.get("settings")
    if found is None:
        study.set_user_attr("settings", wanted)
    elif found != wanted:
        raise ValueError(f"study {study_name!r} in {storage_url} was made with other settings "
                         f"({found}, not {wanted}); pass another --study-name or delete the study")
    return study


def grid_point(trial: FrozenTrial) -> tuple[int, float] | None:
    """(batch size, dropout) of a trial, fixed by enqueueing or suggested; None before either."""
    params = trial.system_attrs.get("fixed_params", trial.params)
    if "batch_size" not in params or "dropout" not in params:
        return None
    return int(params["batch_size"]), float(params["dropout"])


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_orphaned(trial: FrozenTrial) -> bool:
    """A RUNNING trial whose process, on this machine, no longer exists (it was killed)."""
    host, _, pid = str(trial.user_attrs.get("worker", "")).rpartition(":")
    return trial.state == TrialState.RUNNING and host == socket.gethostname() and \
        pid.isdigit() and not _process_alive(int(pid))


def repair_study(study: optuna.Study, grid: Sequence[tuple[int, float]]) -> dict:
    """Fail trials whose process died, then enqueue every grid point that has no live trial.

    Orphans on this machine are found at once by their process id; those of other machines by
    Optuna's heartbeat once they have been silent for GRACE_S seconds.
    """
    optuna.storages.fail_stale_trials(study)
    orphans = [t for t in study.get_trials(deepcopy=False) if is_orphaned(t)]
    for trial in orphans:
        # Optuna's public API has no "fail this trial"; the storage call is what its heartbeat uses.
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    trials = study.get_trials(deepcopy=False)  # one snapshot: other workers keep changing it
    covered = {grid_point(t) for t in trials
               if t.state in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING)}
    attempted = {grid_point(t) for t in trials}
    requeued = [p for p in grid if p in attempted and p not in covered]
    for batch_size, dropout in requeued:
        study.enqueue_trial({"batch_size": batch_size, "dropout": dropout})
    return {"orphans_failed": len(orphans), "requeued": [list(p) for p in requeued]}


def work_left(study: optuna.Study, grid: Sequence[tuple[int, float]]) -> bool:
    """Some grid point is waiting, or not yet running or done anywhere."""
    trials = study.get_trials(deepcopy=False)
    if any(t.state == TrialState.WAITING for t in trials):
        return True
    taken = {grid_point(t) for t in trials if t.state in (TrialState.COMPLETE, TrialState.RUNNING)}
    return any(p not in taken for p in grid)


def held_elsewhere(study: optuna.Study, trial: optuna.Trial, point: tuple[int, float]) -> bool:
    """Another trial already did this point, or started it earlier (workers racing for it)."""
    return any(grid_point(t) == point and t.number != trial.number and
               (t.state == TrialState.COMPLETE or (t.state == TrialState.RUNNING and t.number < trial.number))
               for t in study.get_trials(deepcopy=False))


@dataclass
class TrainData:
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


def load_data(data_dir: Path, settings: SweepSettings) -> TrainData:
    mnist = datalib.load_mnist(data_dir).subset(settings.train_subset, settings.test_subset)
    return TrainData(datalib.to_model_input(mnist.train_images), mnist.train_labels,
                     datalib.to_model_input(mnist.test_images), mnist.test_labels)


def warm_up(data: TrainData) -> None:
    """A throwaway epoch on a few images: a process's first training pays one-off set-up costs
    that would otherwise be billed to whichever grid point happened to run first."""
    cfg = trainlib.TrainConfig(epochs=1, batch_size=64, schedule="constant", eval_train=False)
    trainlib.train(netlib.MnistNet(), data.train_x[:512], data.train_y[:512],
                   data.test_x[:256], data.test_y[:256], cfg, progress=False)


def make_objective(study: optuna.Study, settings: SweepSettings, data: TrainData,
                   batch_sizes: Sequence[int], dropouts: Sequence[float]) -> Callable[[optuna.Trial], float]:
    def objective(trial: optuna.Trial) -> float:
        point = (trial.suggest_categorical("batch_size", list(batch_sizes)),
                 trial.suggest_categorical("dropout", list(dropouts)))
        trial.set_user_attr("worker", this_worker())
        if held_elsewhere(study, trial, point):
            raise optuna.TrialPruned(f"batch {point[0]}, dropout {point[1]} is done or running elsewhere")
        netlib.seed_everything(settings.seed)
        model = netlib.MnistNet(dropout=point[1])
        cfg = trainlib.TrainConfig(epochs=settings.max_epochs, batch_size=point[0],
                                   optimizer=settings.optimizer, lr=settings.lr,
                                   momentum=settings.momentum, schedule="constant",
                                   seed=settings.seed, eval_train=False)

        def record(epoch: int, hist: trainlib.History) -> None:
            trial.set_user_attr("test_acc", hist.test_acc)
            trial.set_user_attr("train_acc", hist.train_acc)
            trial.set_user_attr("train_seconds", np.cumsum(hist.epoch_seconds).tolist())
            trial.report(hist.test_acc[-1], epoch)

        hist = trainlib.train(model, data.train_x, data.train_y, data.test_x, data.test_y, cfg,
                              progress=False, on_epoch=record)
        print(f"  run done on {this_worker()}: batch {point[0]:>3}, dropout {point[1]:.2f}: "
              f"test {hist.test_acc[-1]:.2%} after {settings.max_epochs} epochs, "
              f"{sum(hist.epoch_seconds):.1f} s training", flush=True)
        return hist.test_acc[-1]
    return objective


def run_worker(storage_url: str, study_name: str, settings: SweepSettings, batch_sizes: Sequence[int],
               dropouts: Sequence[float], data_dir: Path, threads: int,
               callbacks: Sequence[Callable] = ()) -> None:
    """Train grid points until none is left; several of these may run at once, anywhere."""
    torch.set_num_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(storage_url, study_name, settings, batch_sizes, dropouts)
    grid = [(b, d) for b in batch_sizes for d in dropouts]
    data = load_data(data_dir, settings)
    warm_up(data)
    objective = make_objective(study, settings, data, batch_sizes, dropouts)
    # One trial per call: GridSampler stops a study when its grid is merely *started*, which
    # would strand points another worker's death hands back.
    while True:
        repair_study(study, grid)
        if not work_left(study, grid):
            return
        study.optimize(objective, n_trials=1, callbacks=list(callbacks))


def run_sweep(args: argparse.Namespace, callbacks: Sequence[Callable] = ()) -> dict:
    """Resume or start the sweep with `args.workers` processes; returns what the repair found."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(args.storage, args.study_name, args.settings, args.batch_sizes, args.dropouts)
    grid = [(b, d) for b in args.batch_sizes for d in args.dropouts]
    repaired = repair_study(study, grid)
    if not work_left(study, grid):
        return repaired
    datalib.load_mnist(args.data_dir)  # fetch or convert MNIST once, before workers race for it
    worker_args = (args.storage, args.study_name, args.settings, args.batch_sizes, args.dropouts,
                   args.data_dir, args.threads)
    if args.workers == 1:
        threads_before = torch.get_num_threads()
        try:
            run_worker(*worker_args, callbacks=callbacks)
        finally:
            torch.set_num_threads(threads_before)
        return repaired
    # spawn, not fork: a forked child would inherit torch's thread pools and the open database.
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=run_worker, args=worker_args) for _ in range(args.workers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    failed = [w.exitcode for w in workers if w.exitcode != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} sweep worker(s) failed (exit codes {failed}); "
                           f"rerun the same command to resume")
    return repaired


# ---------------------------------------------------------------------------------------------
# Results: one row per variant, from COMPLETE trials only, one trial per grid point

def completed_runs(study: optuna.Study, grid: Sequence[tuple[int, float]]) -> dict[tuple[int, float], FrozenTrial]:
    runs: dict[tuple[int, float], FrozenTrial] = {}
    for trial in sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), key=lambda t: t.number):
        runs.setdefault(grid_point(trial), trial)
    return {p: runs[p] for p in grid if p in runs}


def trials_wall_seconds(runs: dict[tuple[int, float], FrozenTrial]) -> float:
    """First start to last finish of the runs used: the sweep's wall time, however many sessions
    (and resumes) it took, so replotting from a finished study keeps it."""
    starts = [t.datetime_start for t in runs.values()]
    ends = [t.datetime_complete for t in runs.values()]
    return (max(ends) - min(starts)).total_seconds()


def variant_rows(runs: dict[tuple[int, float], FrozenTrial]) -> list[dict]:
    rows = []
    for (batch_size, dropout), trial in runs.items():
        attrs = trial.user_attrs
        for epoch, (test, train, seconds) in enumerate(
                zip(attrs["test_acc"], attrs["train_acc"], attrs["train_seconds"]), start=1):
            rows.append({"batch_size": batch_size, "dropout": dropout, "epochs": epoch,
                         "test_acc": test, "train_acc": train, "train_seconds": seconds,
                         "trial": trial.number})
    return rows


def write_variants_csv(rows: list[dict], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["batch_size", "dropout", "epochs", "test_acc",
                                                "train_acc", "train_seconds", "trial"])
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "test_acc": f"{row['test_acc']:.4f}", "train_acc": f"{row['train_acc']:.4f}",
                         "train_seconds": f"{row['train_seconds']:.2f}"})
    return write_text(path, buffer.getvalue())


class Results:
    """Look-ups into the variant rows: accuracy (%) and time by (batch, dropout, epochs)."""

    def __init__(self, rows: list[dict], batch_sizes: Sequence[int], dropouts: Sequence[float], max_epochs: int):
        self.by_key = {(r["batch_size"], r["dropout"], r["epochs"]): r for r in rows}
        self.batch_sizes, self.dropouts, self.max_epochs = list(batch_sizes), list(dropouts), max_epochs
        self.ref_dropout = min(dropouts, key=lambda d: abs(d - REFERENCE_DROPOUT))
        self.ref_batch = min(batch_sizes, key=lambda b: abs(b - REFERENCE_BATCH))

    def acc(self, batch: int, dropout: float, epochs: int, key: str = "test_acc") -> float:
        return 100.0 * self.by_key[(batch, dropout, epochs)][key]

    def epoch_seconds(self, batch: int) -> list[float]:
        """Seconds per epoch of each run at this batch size (one value per dropout)."""
        return [self.by_key[(batch, d, self.max_epochs)]["train_seconds"] / self.max_epochs
                for d in self.dropouts]


# ---------------------------------------------------------------------------------------------
# Observations, computed from the results

def _best(values: dict) -> tuple:
    key = max(values, key=values.get)
    return key, values[key]


def observe_batch_size(res: Results) -> dict:
    first = {b: res.acc(b, res.ref_dropout, 1) for b in res.batch_sizes}
    last = {b: res.acc(b, res.ref_dropout, res.max_epochs) for b in res.batch_sizes}
    (b1, a1), (bn, an) = _best(first), _best(last)
    worst_n = min(last, key=last.get)
    text = (f"At dropout {res.ref_dropout:g}, after 1 epoch the best batch size is {b1} ({a1:.2f}%) and "
            f"batch {max(first)} reaches {first[max(first)]:.2f}%; after {res.max_epochs} epochs the best "
            f"is {bn} ({an:.2f}%) and the worst {worst_n} ({last[worst_n]:.2f}%).")
    return {"text": text, "best_after_1_epoch": b1, "best_after_max_epochs": bn,
            "acc_after_1_epoch": {str(b): a for b, a in first.items()},
            "acc_after_max_epochs": {str(b): a for b, a in last.items()}}


def observe_dropout(res: Results) -> dict:
    accs = {d: res.acc(res.ref_batch, d, res.max_epochs) for d in res.dropouts}
    best_d, best_a = _best(accs)
    turned = next((d for d in res.dropouts if d > best_d and accs[d] < best_a - TURN_DOWN_PP), None)
    text = (f"At batch {res.ref_batch} and {res.max_epochs} epochs the best dropout is {best_d:g} "
            f"({best_a:.2f}%); ")
    if turned is None:
        text += f"accuracy stays within {TURN_DOWN_PP} points of it up to dropout {max(res.dropouts):g}."
    else:
        text += (f"accuracy turns down (more than {TURN_DOWN_PP} points below the best) at dropout "
                 f"{turned:g} ({accs[turned]:.2f}%)")
        last = max(res.dropouts)
        text += f" and is {accs[last]:.2f}% at {last:g}." if last != turned else "."
    best_per_batch = {str(b): _best({d: res.acc(b, d, res.max_epochs) for d in res.dropouts})[0]
                      for b in res.batch_sizes}
    text += f" Best dropout per batch size: {', '.join(f'{b}: {d:g}' for b, d in best_per_batch.items())}."
    return {"text": text, "best_dropout": best_d, "best_acc": best_a, "turned_down_at": turned,
            "acc_by_dropout": {f"{d:g}": a for d, a in accs.items()}, "best_dropout_per_batch": best_per_batch}


def observe_epochs(res: Results) -> dict:
    gain, plateau = {}, {}
    for b in res.batch_sizes:
        curve = [res.acc(b, res.ref_dropout, e) for e in range(1, res.max_epochs + 1)]
        gain[str(b)] = curve[-1] - curve[0]
        plateau[str(b)] = next(e for e, a in enumerate(curve, start=1) if a >= max(curve) - PLATEAU_PP)
    text = (f"At dropout {res.ref_dropout:g}, test accuracy gains from epoch 1 to {res.max_epochs}: "
            + ", ".join(f"batch {b} {g:+.2f} pts" for b, g in gain.items())
            + f"; first within {PLATEAU_PP} pts of its best at epoch "
            + ", ".join(f"{e} (batch {b})" for b, e in plateau.items()) + ".")
    return {"text": text, "gain_pts": gain, "plateau_epoch": plateau}


def observe_time(res: Results) -> dict:
    per_epoch = {b: float(np.mean(res.epoch_seconds(b))) for b in res.batch_sizes}
    small, large = min(per_epoch), max(per_epoch)
    text = (f"One epoch takes {per_epoch[small]:.1f} s at batch {small} and {per_epoch[large]:.1f} s "
            f"at batch {large} ({per_epoch[small] / per_epoch[large]:.1f}x); "
            + ", ".join(f"{b}: {s:.1f} s" for b, s in per_epoch.items()) + ".")
    result = {"text": text, "epoch_seconds": {str(b): s for b, s in per_epoch.items()}}
    if len(per_epoch) > 1:
        slope = float(np.polyfit(np.log(list(per_epoch)), np.log(list(per_epoch.values())), 1)[0])
        result["loglog_slope"] = slope
        result["text"] += f" Time per epoch scales roughly as batch^{slope:.2f}."
    return result


def observations(res: Results) -> dict:
    return {"batch_size": observe_batch_size(res), "dropout": observe_dropout(res),
            "epochs": observe_epochs(res), "time": observe_time(res)}


# ---------------------------------------------------------------------------------------------
# Figures

def setup_line(res: Results, settings: SweepSettings) -> str:
    optim = f"{settings.optimizer} lr {settings.lr:g}" + (
        f" momentum {settings.momentum:g}" if settings.optimizer == "sgd" else "")
    n_train = settings.train_subset or "60,000"
    return f"{optim} (constant), {n_train} training images"


def plot_accuracy_vs_epochs(res: Results, settings: SweepSettings, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    epochs = range(1, res.max_epochs + 1)
    for b in res.batch_sizes:
        ax.plot(epochs, [res.acc(b, res.ref_dropout, e) for e in epochs], marker="o", label=f"batch {b}")
    ax.set_xlabel("epochs")
    ax.set_ylabel("test accuracy (%)")
    ax.set_xticks(list(epochs))
    ax.grid(alpha=0.3)
    ax.legend(title="batch size")
    ax.set_title(f"Test accuracy against epochs, dropout {res.ref_dropout:g}\n{setup_line(res, settings)}")
    return plotlib.save_figure(fig, path)


def plot_accuracy_vs_dropout(res: Results, settings: SweepSettings, path: Path) -> Path:
    """Two panels: every rate, and a zoom on the rates that did not collapse."""
    test = [res.acc(res.ref_batch, d, res.max_epochs) for d in res.dropouts]
    train = [res.acc(res.ref_batch, d, res.max_epochs, "train_acc") for d in res.dropouts]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax in axes:
        ax.plot(res.dropouts, test, marker="o", label="test")
        ax.plot(res.dropouts, train, marker="s", linestyle="--", label="train (running, last epoch)")
        ax.set_xlabel("dropout rate (Dropout2d after conv2)")
        ax.set_ylabel("accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].set_title("all rates")
    near_best = [a for a in test + train if a >= max(test) - 5]
    axes[1].set_ylim(min(near_best) - 0.3, max(near_best) + 0.3)
    axes[1].set_title("zoom on the top 5 points of accuracy")
    axes[0].legend()
    fig.suptitle(f"Accuracy against dropout, batch {res.ref_batch}, {res.max_epochs} epochs\n"
                 f"{setup_line(res, settings)}")
    fig.tight_layout()
    return plotlib.save_figure(fig, path)


def plot_heatmap(res: Results, settings: SweepSettings, path: Path) -> Path:
    """Colours span the runs that learned (within 10 points of the best): a collapsed run would
    otherwise squeeze every other cell into one colour. Values are written in every cell."""
    matrix = np.array([[res.acc(b, d, res.max_epochs) for d in res.dropouts] for b in res.batch_sizes])
    low, high = matrix[matrix >= matrix.max() - 10].min(), matrix.max()
    clipped = f"; colours clipped below {low:.2f}" if matrix.min() < low else ""
    fig = plotlib.heatmap(matrix, [str(b) for b in res.batch_sizes], [f"{d:g}" for d in res.dropouts],
                          title=f"Test accuracy (%) after {res.max_epochs} epochs\n{setup_line(res, settings)}",
                          xlabel="dropout rate", ylabel="batch size", fmt="{:.2f}",
                          colorbar_label=f"test accuracy (%){clipped}", cell=1.0)
    ax = fig.axes[0]
    ax.images[0].set_clim(low, high)
    for text in ax.texts:  # text colours follow the new scale: light on dark cells
        text.set_color("white" if ax.images[0].norm(float(text.get_text())) < 0.5 else "black")
    return plotlib.save_figure(fig, path)


def plot_time_vs_batch(res: Results, settings: SweepSettings, path: Path, workers: int, threads: int) -> Path:
    seconds = [res.epoch_seconds(b) for b in res.batch_sizes]
    mean = np.array([np.mean(s) for s in seconds])
    spread = np.array([[mean[i] - min(s), max(s) - mean[i]] for i, s in enumerate(seconds)]).T
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.errorbar(res.batch_sizes, mean, yerr=spread, marker="o", capsize=4)
    ax.set_xscale("log", base=2)
    ax.set_xticks(res.batch_sizes, [str(b) for b in res.batch_sizes])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("batch size")
    ax.set_ylabel("training seconds per epoch")
    ax.grid(alpha=0.3)
    ax.set_title(f"Training time against batch size (mean over dropout rates; bars: min-max)\n"
                 f"{setup_line(res, settings)}; {workers} worker(s) x {threads} thread(s)")
    return plotlib.save_figure(fig, path)


# ---------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None, callbacks: Sequence[Callable] = ()) -> dict:
    args = parse_args(argv)
    out = args.figures_dir
    grid = [(b, d) for b in args.batch_sizes for d in args.dropouts]
    timings: dict[str, float] = {}
    print(f"Task 4 sweep: {len(args.batch_sizes)} batch sizes x {len(args.dropouts)} dropout rates = "
          f"{len(grid)} runs of {args.max_epochs} epochs ({len(grid) * args.max_epochs} variants); "
          f"study {args.study_name!r} in {args.storage}; {args.workers} worker(s) x {args.threads} thread(s)")
    start = time.perf_counter()
    repaired = run_sweep(args, callbacks)
    timings["sweep"] = time.perf_counter() - start

    study = open_study(args.storage, args.study_name, args.settings, args.batch_sizes, args.dropouts)
    runs = completed_runs(study, grid)
    missing = [p for p in grid if p not in runs]
    if missing:
        raise RuntimeError(f"the sweep ended with grid points unfinished: {missing}; rerun to resume")
    rows = variant_rows(runs)
    write_variants_csv(rows, out / "task4_variants.csv")
    res = Results(rows, args.batch_sizes, args.dropouts, args.max_epochs)

    start = time.perf_counter()
    figures = [str(plot_accuracy_vs_epochs(res, args.settings, out / "task4_accuracy_vs_epochs.png")),
               str(plot_accuracy_vs_dropout(res, args.settings, out / "task4_accuracy_vs_dropout.png")),
               str(plot_heatmap(res, args.settings, out / "task4_heatmap.png")),
               str(plot_time_vs_batch(res, args.settings, out / "task4_time_vs_batch.png",
                                      args.workers, args.threads))]
    timings["figures"] = time.perf_counter() - start
    timings["total"] = timings["sweep"] + timings["figures"]

    found = observations(res)
    for topic, hypothesis in HYPOTHESES.items():
        print(f"\n[{topic}] hypothesis: {hypothesis}\n[{topic}] observation: {found[topic]['text']}")
    best = max(rows, key=lambda r: r["test_acc"])
    results = {
        "settings": {**asdict(args.settings), "schedule": "constant", "batch_sizes": args.batch_sizes,
                     "dropouts": args.dropouts, "quick": args.quick, "workers": args.workers,
                     "threads_per_worker": args.threads,
                     "train_accuracy": "running accuracy over each epoch's batches (eval_train=False)"},
        "study": {"storage": args.storage, "name": args.study_name, "runs": len(runs),
                  "variants": len(rows), "trials_in_study": len(study.trials), "resume": repaired,
                  "runs_wall_s": trials_wall_seconds(runs)},
        "best_variant": best, "hypotheses": HYPOTHESES, "observations": found,
        "run_train_seconds": {f"{b}/{d:g}": runs[(b, d)].user_attrs["train_seconds"][-1] for b, d in grid},
        "csv": str(out / "task4_variants.csv"), "figures": figures, "timings_s": timings,
    }
    write_json(out / "task4_results.json", results)
    print(f"\nbest variant: batch {best['batch_size']}, dropout {best['dropout']:g}, {best['epochs']} epochs: "
          f"{best['test_acc']:.2%}; sweep {timings['sweep']:.0f} s; wrote {out / 'task4_results.json'}")
    return results


# --- report section --------------------------------------------------------------------------

RESULTS_FILE = "task4_results.json"
COMMAND = "python task4_experiments.py --quick"


def report_section(res: reportlib.Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Task 4: design your own experiment", COMMAND)
    if r is None:
        return out
    s, study = r["settings"], r["study"]
    subset = "all" if s["train_subset"] is None else f"{s['train_subset']:,}"
    out += (f"Grid: batch sizes {', '.join(map(str, s['batch_sizes']))} x dropout rates "
            f"{', '.join(map(str, s['dropouts']))} x epochs 1 to {s['max_epochs']}; {s['optimizer']} at a constant "
            f"learning rate {s['lr']}, seed {s['seed']}, {subset} training images"
            f"{' (the quick grid of `make figures`; `make sweep` runs the full one)' if s['quick'] else ''}. "
            f"The test set is scored after every epoch, so {study['runs']} training runs give {study['variants']} "
            f"variants; the runs took {study['runs_wall_s']:.0f} s of wall time with {s['workers']} worker(s). "
            f"Training accuracy is the {s['train_accuracy']}.\n\n")
    for key, hypothesis in r["hypotheses"].items():
        out += (f"- **{key.replace('_', ' ')}**: *hypothesis*: {hypothesis}<br>"
                f"*observation*: {r['observations'][key]['text']}\n")
    best = r["best_variant"]
    out += (f"\nBest variant: batch {best['batch_size']}, dropout {best['dropout']}, {best['epochs']} epochs: "
            f"{pct(best['test_acc'])} test accuracy.\n\n")
    captions = {"accuracy_vs_epochs": "Test accuracy against epochs, per batch size.",
                "accuracy_vs_dropout": "Test accuracy against the dropout rate.",
                "heatmap": "Test accuracy for each batch size and dropout rate after the last epoch.",
                "time_vs_batch": "Training time per epoch against batch size."}
    for path in r["figures"]:
        key = Path(path).stem.removeprefix("task4_")
        out += "\n" + figure(path, captions.get(key, key.replace("_", " ")))
    rows = res.csv("task4_variants.csv") or []
    final = [row for row in rows if int(row["epochs"]) == s["max_epochs"]]
    if final:
        out += (f"\nEvery variant is in `task4_variants.csv` ({len(rows)} rows); those after {s['max_epochs']} epochs:\n\n"
                + table(["batch", "dropout", "test accuracy", "train accuracy", "training time"],
                        [[row["batch_size"], row["dropout"], pct(float(row["test_acc"])), pct(float(row["train_acc"])),
                          f"{float(row['train_seconds']):.1f} s"] for row in final]))
    return out



if __name__ == "__main__":
    try:
        main()
    except (netlib.CheckpointError, FileNotFoundError, ValueError, RuntimeError) as err:
        sys.exit(f"error: {err}")
    except KeyboardInterrupt:
        sys.exit("interrupted: finished runs are kept; rerun the same command to resume")
