"""Task 4: design your own experiment — architecture and training dimensions against test accuracy.

Two grids, each a set of named dimensions. `report`: batch size x dropout x epochs, the report's
experiment. `broad`: filters in each conv layer x kernel size x hidden units x dropout x epochs,
every variant with three seeds. The test set is scored after every epoch, so one training gives
every epoch count. Variants that differ only in dropout and seed train together as one grouped
network (grouped.py), in groups sized for this CPU's caches (grids.trainings); each group is
one trial of an Optuna study (sweep.py) that resumes after an interruption and that several
processes or machines can share.

    python task4_experiments.py                  # both full grids (`make sweep`)
    python task4_experiments.py --quick          # small versions on a training subset (`make figures`)
    python task4_experiments.py --grids broad --dataset fashion-mnist --kernels 3,5,7
    PGPASSWORD=... python task4_experiments.py --storage postgresql://user@host/db   # several machines
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import optuna
import torch

from recognition import cli, training
from recognition.data import datasets
from recognition.experiments import agreement, analysis, figures, grids, observations, rows, section, sweep
from recognition.experiments.agreement import FinalMean
from recognition.experiments.analysis import Variant
from recognition.experiments.grids import (
    LIST_FLAGS,
    Recipe,
    arch_of,
    chosen_grids,
    part_members,
    trainings,
)
from recognition.experiments.section import GridResults, GridSpec, StudyInfo, Task4Results
from recognition.experiments.storage import add_storage_flags, delete_study, storage_url
from recognition.networks import grouped
from recognition.report.results import ResultsError, load_results, save_results
from recognition.report.steps import Step

DATASETS = {"mnist": datasets.load_mnist, "fashion-mnist": datasets.load_fashion_mnist}
COUNT, SUBSET, SECONDS = cli.Range(int, 1), cli.Range(int, 0), cli.Range(float, 0, low_open=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = cli.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"Every grid value is bounded ({grids.limits_text()}); see docs/experiments.md.",
    )
    p.add_argument("--grids", default="report,broad", help="grids to run, of: " + ", ".join(grids.GRIDS))
    p.add_argument(
        "--grid-file",
        type=Path,
        help="a JSON grid of your own instead of --grids, e.g. " + grids.GRID_FILE_EXAMPLE,
    )
    p.add_argument(
        "--quick", action="store_true", help="small grids on a subset (`make figures`); flags still win"
    )
    p.add_argument("--dataset", choices=sorted(DATASETS), default="mnist", help="data set (default mnist)")
    for flag, (dim, _, example) in LIST_FLAGS.items():
        p.add_argument(
            "--" + flag.replace("_", "-"),
            help=f"comma-separated {dim} values for every chosen grid, e.g. {example}",
        )
    p.add_argument(
        "--max-epochs", type=grids.LIMITS["max_epochs"], help="epochs per training (each epoch is scored)"
    )
    p.add_argument("--train-subset", type=SUBSET, help="train on the first N training images (0: all)")
    p.add_argument("--test-subset", type=SUBSET, help="test on the first N test images (0: all)")
    p.add_argument(
        "--optimizer", choices=("adam", "sgd"), default=Recipe.optimizer, help="constant-rate optimizer"
    )
    p.add_argument("--lr", type=training.LIMITS["lr"], default=Recipe.lr, help="constant learning rate")
    p.add_argument(
        "--momentum", type=training.LIMITS["momentum"], default=Recipe.momentum, help="SGD momentum"
    )
    p.add_argument(
        "--workers", type=COUNT, default=min(2, os.cpu_count() or 1), help="processes on this machine"
    )
    p.add_argument(
        "--large-grid",
        action="store_true",
        help=f"train a grid of more than {grids.MAX_NETWORKS:,} networks or {grids.MAX_HOURS} h "
        "(refused without it; the estimate is printed first)",
    )
    p.add_argument("--threads", type=COUNT, help="torch threads per worker (default cores / workers)")
    add_storage_flags(p)
    p.add_argument("--study-name", help="Optuna study name (default: the grid's name and a hash of it)")
    p.add_argument(
        "--no-wait", action="store_true", help="exit when the points left are held by other workers"
    )
    p.add_argument("--heartbeat", type=SECONDS, default=sweep.HEARTBEAT_S, help="seconds between heartbeats")
    p.add_argument(
        "--grace", type=SECONDS, default=sweep.GRACE_S, help="silence after which a point is retried"
    )
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the data sets are")
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where outputs go")
    return p.parse_args(argv)


# --- one grouped training per study trial ----------------------------------------------------


@dataclass
class Data:
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


def load_data(data_dir: Path, dataset: str, train_subset: int | None, test_subset: int | None) -> Data:
    """Images standardised by the training set's mean and deviation (MNIST's 0.1307/0.3081)."""
    try:
        data = DATASETS[dataset](data_dir).subset(train_subset, test_subset)
    except FileNotFoundError as err:
        raise cli.UserError(str(err)) from err
    pixels = data.train_images.float() / 255
    mean, std = pixels.mean(), pixels.std()
    return Data(
        ((pixels - mean) / std).unsqueeze(1),
        data.train_labels,
        ((data.test_images.float() / 255 - mean) / std).unsqueeze(1),
        data.test_labels,
    )


def train_part(unit: dict, trial: optuna.Trial, grid: dict, data: Data, recipe: Recipe) -> float:
    """Train one part of a (batch, architecture) point's (dropout, seed) members as one grouped
    network (grids.trainings); store every epoch of every member in the trial."""
    members = part_members(grid, unit)
    model = grouped.GroupedNet(arch_of(unit), [d for d, _ in members], [s for _, s in members])

    def record(epoch: int, hists: list[grouped.MemberHistory]) -> None:
        trial.set_user_attr("members", [asdict(h) for h in hists])

    start = time.perf_counter()
    hists = grouped.train_group(
        model,
        data.train_x,
        data.train_y,
        data.test_x,
        data.test_y,
        grid["max_epochs"],
        unit["batch_size"],
        recipe.optimizer,
        recipe.lr,
        recipe.momentum,
        record,
    )
    best = max(h.test_acc[-1] for h in hists)
    print(
        f"  {sweep.this_worker()}: {analysis.label_point(unit)}, dropout/seed "
        f"{', '.join(f'{d}/{s}' for d, s in members)}: {len(members)} networks in "
        f"{time.perf_counter() - start:.1f} s, best test {best:.2%}",
        flush=True,
    )
    return best


@dataclass(frozen=True)
class Job:
    """What a worker process needs to join one grid's study (picklable for spawn)."""

    storage: str
    name: str
    identity: dict
    grid: dict
    recipe: Recipe
    dataset: str
    data_dir: Path
    heartbeat: float
    grace: float
    wait: bool


def run_worker(job: Job, threads: int, callbacks: Sequence[Callable] = ()) -> bool:
    torch.set_num_threads(threads)
    training.keep_freed_memory()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    points = trainings(job.grid)
    study = sweep.open_study(job.storage, job.name, job.identity, points, job.heartbeat, job.grace)
    data = load_data(job.data_dir, job.dataset, job.grid["train_subset"], job.grid["test_subset"])
    return sweep.run_worker(
        study,
        points,
        lambda p, t: train_part(p, t, job.grid, data, job.recipe),
        wait=job.wait,
        callbacks=callbacks,
    )


def _worker_process(job: Job, threads: int, parent_pid: int) -> None:
    cli.die_with_parent(parent_pid)  # a killed sweep leaves no worker behind (its points are retried)
    cli.run(lambda: run_worker(job, threads))


def run_sweep(job: Job, workers: int, threads: int, callbacks: Sequence[Callable] = ()) -> bool:
    """Open (create and enqueue) the study here, then train with `workers` processes."""
    units = trainings(job.grid)
    study = sweep.open_study(job.storage, job.name, job.identity, units, job.heartbeat, job.grace)
    keys = {sweep.point_key(u) for u in units}
    if len(sweep.completed(study, keys)) == len(keys):
        return True
    DATASETS[job.dataset](job.data_dir)  # fetch or unpack the data once, before workers race for it
    if workers == 1:
        before = torch.get_num_threads()
        try:
            return run_worker(job, threads, callbacks)
        finally:
            torch.set_num_threads(before)
    context = multiprocessing.get_context("spawn")  # a fork would share torch's threads and the database
    procs = [
        context.Process(target=_worker_process, args=(job, threads, os.getpid())) for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    if failed := [proc.exitcode for proc in procs if proc.exitcode != 0]:
        raise cli.UserError(
            f"{len(failed)} worker(s) failed (exit codes {failed}); rerun the same command to resume"
        )
    return len(sweep.completed(study, keys)) == len(keys)


# --- results -----------------------------------------------------------------------------------


def grid_results(
    name: str, grid: dict, variants: list[Variant], out: Path, prefix: str, study: StudyInfo
) -> GridResults:
    """The grid's observations, figures and CSV from its variants (one per network and epoch)."""
    test_images = min(grid["test_subset"] or grids.TEST_IMAGES, grids.TEST_IMAGES)
    summary = analysis.Summary(variants, grid, test_images)
    found = observations.observations(name, summary)
    drawn = figures.draw(name, summary, out, prefix)
    final = [FinalMean(dict(zip(analysis.CONFIG_DIMS, c)), *summary.get(c)) for c in summary.configs]
    return GridResults(
        grid=GridSpec(**grid),
        configurations=len(summary.configs),
        variants=len(summary.configs) * grid["max_epochs"],
        trainings=len(variants) // grid["max_epochs"],
        groups=len(trainings(grid)),
        test_images=test_images,
        interval=summary.interval,
        observations=found,
        final=final,
        figures=[str(f) for f in drawn],
        csv=str(rows.write_csv(variants, out / f"{prefix}_{name}_variants.csv")),
        pareto=analysis.pareto(summary) if name != "report" else None,
        best=max(variants, key=lambda v: v.test_acc),
        study=study,
    )


def study_identity(grid: dict, recipe: Recipe, dataset: str) -> dict:
    """Everything a study's results depend on; how the networks are split into groups changes their
    last bits, so it is part of it too."""
    grouping = {"group_images": grids.GROUP_IMAGES, "smallest_group": grids.SMALLEST_GROUP}
    return {"grid": grid, "training": asdict(recipe), "dataset": dataset, "grouping": grouping}


def run_grid(
    name: str, grid: dict, args: argparse.Namespace, callbacks: Sequence[Callable]
) -> GridResults | None:
    recipe = Recipe(args.optimizer, args.lr, args.momentum)
    identity = study_identity(grid, recipe, args.dataset)
    job = Job(
        args.storage,
        args.study_name or sweep.study_name(f"task4_{name}_{args.dataset}", identity),
        identity,
        grid,
        recipe,
        args.dataset,
        args.data_dir,
        args.heartbeat,
        args.grace,
        not args.no_wait,
    )
    print(
        f"grid {name} on {args.dataset}: {len(grid['dropout']) * len(grid['seed'])} networks at each of "
        f"{len(grids.group_points(grid))} points, as {len(trainings(grid))} grouped trainings, "
        f"x {grid['max_epochs']} epochs, about {grids.duration(grids.estimate_s(grid, args.workers))} "
        f"with {args.workers} worker(s); study {job.name!r} in {sweep.mask_url(args.storage)}",
        flush=True,
    )
    start = time.perf_counter()
    if not run_sweep(
        job, args.workers, args.threads or max(1, (os.cpu_count() or 1) // args.workers), callbacks
    ):
        return None
    seconds = time.perf_counter() - start
    units = trainings(grid)
    study = sweep.open_study(args.storage, job.name, identity, units, args.heartbeat, args.grace)
    info = StudyInfo(
        storage=sweep.mask_url(args.storage),
        name=job.name,
        sweep_s=seconds,
        trials_in_study=len(study.trials),
        trained_s=sweep.training_s(study, units),
    )
    prefix = outputs_of(args.dataset, args.quick)[0]
    return grid_results(name, grid, rows.read_variants(study, grid), args.figures_dir, prefix, info)


def outputs_of(dataset: str, quick: bool) -> tuple[str, str]:
    """(figure and CSV prefix, results file) of a run: the quick grids' are the step's, the full ones'
    sit beside them (the report shows those when they are there), another data set's apart."""
    if dataset != "mnist":
        return f"task4_{dataset}", f"task4_{dataset}_results.json"
    return ("task4", STEP.results_file) if quick else ("task4_full", section.FULL_RESULTS)


def print_observations(name: str, result: GridResults) -> None:
    for topic, found in result.observations.by_topic().items():
        print(f"[{name} / {topic}] hypothesis: {found.hypothesis}\n    observation: {found.text}")


def main(argv: Sequence[str] | None = None, callbacks: Sequence[Callable] = ()) -> Task4Results | None:
    """The chosen grids' results; None when other workers still train some of it (--no-wait): the
    last of them writes the results."""
    args = parse_args(argv)
    args.storage = storage_url(args)
    if args.delete_study is not None:
        print(delete_study(args.storage, args.delete_study))
        return None
    clock = time.perf_counter()
    chosen = chosen_grids(
        args.grids,
        args.quick,
        {flag: getattr(args, flag) for flag in LIST_FLAGS},
        {k: getattr(args, k) for k in ("max_epochs", "train_subset", "test_subset")},
        args.grid_file,
        args.workers,
        args.large_grid,
    )
    done = {}
    for name, grid in chosen.items():
        if (result := run_grid(name, grid, args, callbacks)) is None:
            return None  # another worker finishes the grid and writes the results
        done[name] = result
        print_observations(name, result)
    results = Task4Results(
        dataset=args.dataset,
        quick=args.quick,
        recipe=Recipe(args.optimizer, args.lr, args.momentum),
        workers=args.workers,
        grids=done,
        seconds=time.perf_counter() - clock,
    )
    name = outputs_of(args.dataset, args.quick)[1]
    save_results(args.figures_dir / name, results)
    print(f"wrote {args.figures_dir / name}")
    print_agreement(args.figures_dir, args.dataset)
    return results


def print_agreement(figures_dir: Path, dataset: str) -> None:
    """How far the quick grids agree with the full ones, when both runs' results are in the folder."""
    if dataset != "mnist":
        return
    try:
        quick = load_results(Task4Results, figures_dir / STEP.results_file)
        full = load_results(Task4Results, figures_dir / section.FULL_RESULTS)
    except ResultsError as err:
        print(f"quick against full grids: not compared ({err})")
        return
    if quick is not None and full is not None and quick.quick and not full.quick:
        for found in agreement.agreements(quick, full):
            print("quick against full " + found.line())


STEP = Step(
    name="task4",
    title="Task 4: design your own experiment",
    command="python task4_experiments.py --quick",
    results=Task4Results,
    section=section.report_section,
    args=("--quick", "--workers", "1", "--threads", "1"),
    cost_s=45,
    rubric=section.RUBRIC,
)


if __name__ == "__main__":
    cli.run(main)
