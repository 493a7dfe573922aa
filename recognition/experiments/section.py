"""Task 4's results, typed, and its section of the report, rendered from task4_results.json (and
Fashion-MNIST's, if run)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recognition.experiments.agreement import FinalMean, agreements
from recognition.experiments.analysis import CONFIG_DIMS, Pareto, Variant
from recognition.experiments.grids import Recipe
from recognition.experiments.observations import Observations
from recognition.report.markdown import Outputs, figure, pct, table
from recognition.report.results import ResultsError, StepResults
from recognition.report.steps import Answer

STEP_RESULTS = "task4_results.json"  # the quick grids of `make figures` (task4_experiments.STEP)
FULL_RESULTS = "task4_full_results.json"  # python task4_experiments.py without --quick (`make sweep`)
FASHION_RESULTS = "task4_fashion-mnist_results.json"  # python task4_experiments.py --dataset fashion-mnist


@dataclass
class GridSpec:
    """A grid as it ran (grids.py's dict, typed): each dimension's values, the epochs and the subsets."""

    batch_size: list[int]
    filters1: list[int]
    filters2: list[int]
    kernel: list[int]
    hidden: list[int]
    activation: list[str]
    dropout: list[float]
    seed: list[int]
    max_epochs: int
    train_subset: int | None  # None: every training image
    test_subset: int | None


@dataclass
class StudyInfo:
    """The Optuna study that holds the grid's trainings."""

    storage: str  # its URL, password masked
    name: str
    sweep_s: float  # how long this run's sweep took (nothing to train: a few seconds)
    trials_in_study: int
    # how long its trainings took, from the trials' own times (a rerun that only redraws keeps it);
    # None in results written before it was stored
    trained_s: float | None = None


@dataclass
class GridResults:
    grid: GridSpec
    configurations: int  # the variants less their epochs and seeds
    variants: int  # configurations x epoch counts (every network is scored after every epoch)
    trainings: int  # networks trained: configurations x seeds
    groups: int  # grouped trainings (study trials)
    test_images: int  # each accuracy is measured on this many test images
    interval: str  # how the 95% intervals are computed (over seeds, or binomial with one seed)
    observations: Observations
    final: list[FinalMean]  # every configuration after the last epoch (for the quick/full agreement)
    figures: list[str]
    csv: str  # every variant at every epoch
    pareto: Pareto | None  # every grid but the report grid
    best: Variant  # the best single network at any epoch
    study: StudyInfo


@dataclass(kw_only=True)
class Task4Results(StepResults):
    dataset: str  # mnist or fashion-mnist
    quick: bool  # the small grids of `make figures`
    recipe: Recipe
    workers: int
    grids: dict[str, GridResults]  # by grid name


CAPTIONS = {
    "accuracy_vs_epochs": "Test accuracy against epochs, per batch size (band: the 95% interval).",
    "accuracy_vs_dropout": "Test and train accuracy against the dropout rate.",
    "heatmap": "Test accuracy for each batch size and dropout rate after the last epoch.",
    "time_vs_batch": "Training time per epoch and network against batch size.",
    "pareto": "Accuracy against parameters and against training time; red: the Pareto front.",
    "dimensions": "Each architecture dimension averaged over the others (error bars: the 95% interval).",
}
SHOWN = {
    True: "the quick grids of `make figures` (`python task4_experiments.py --quick`)",
    False: "the full grids of `make sweep` (`python task4_experiments.py`)",
}


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def describe_grid(name: str, r: GridResults) -> str:
    g = r.grid
    varying = [
        f"{dim.replace('_', ' ')} {', '.join(map(str, values))}"
        for dim in CONFIG_DIMS
        if len(values := getattr(g, dim)) > 1
    ]
    images = f"{g.train_subset:,}" if g.train_subset else "all 60,000"
    seeds = len(g.seed)
    return (
        f"**Grid `{name}`**: " + " x ".join(varying + [f"epochs 1-{g.max_epochs}"]) + ": "
        f"{plural(r.configurations, 'configuration')} x {plural(g.max_epochs, 'epoch count')} = "
        f"{plural(r.variants, 'variant')}, each with {plural(seeds, 'seed')} "
        f"({', '.join(map(str, g.seed))}), "
        f"so {plural(r.variants * seeds, 'result')} from {plural(r.trainings, 'network')} trained (each "
        f"scored after every epoch) as {plural(r.groups, 'grouped training')} on {images} training "
        f"images, tested on {r.test_images:,} test images, in {trained_s(r.study):.0f} s here. "
        f"Intervals: the {r.interval}.\n\n"
    )


def trained_s(study: StudyInfo) -> float:
    return study.sweep_s if study.trained_s is None else study.trained_s


def grid_section(name: str, r: GridResults, outputs: Outputs, prefix: str) -> str:
    out = describe_grid(name, r)
    for topic, found in r.observations.by_topic().items():
        out += (
            f"- **{topic.replace('_', ' ')}: {found.verdict}**. *Hypothesis*: {found.hypothesis}<br>"
            f"*Observed*: {found.text}\n"
        )
    best = r.best
    out += (
        f"\nBest single network: {pct(best.test_acc)} test accuracy (batch {best.batch_size}, filters "
        f"{best.filters1}/{best.filters2}, kernel {best.kernel}, hidden {best.hidden}, dropout "
        f"{best.dropout}, seed {best.seed}, {best.epochs} epochs).\n"
    )
    if r.pareto is not None:
        front = r.pareto.params.front_labels
        out += f"\nPareto front against parameters (smallest first): {'; '.join(front)}.\n"
    for path in r.figures:
        key = Path(path).stem.removeprefix(f"{prefix}_{name}_")
        out += "\n" + figure(path, CAPTIONS.get(key, key.replace("_", " ")))
    rows = outputs.csv(Path(r.csv).name) or []
    out += (
        f"\nEvery result (each configuration, seed and epoch) is a row of `{Path(r.csv).name}` "
        f"({len(rows)} rows): parameters, multiply-adds, seconds per epoch, train and test accuracy.\n"
    )
    return out


def verdict_table(r: Task4Results) -> str:
    rows = [
        [f"`{name}`", topic.replace("_", " "), found.verdict]
        for name, grid in grids_in_order(r)
        for topic, found in grid.observations.by_topic().items()
    ]
    return table(["grid", "hypothesis", "verdict"], rows)


def grids_in_order(r: Task4Results) -> list[tuple[str, GridResults]]:
    return sorted(r.grids.items(), key=lambda item: item[0] != "report")


def load_other(outputs: Outputs, name: str, label: str, command: str) -> tuple[Task4Results | None, str]:
    """Another run's results in the figures folder, or None with a line saying why they are not used."""
    try:
        return outputs.load(Task4Results, name), ""
    except ResultsError as err:
        return None, f"\n**{label} outdated**: {err}. Run `{command}` again, then `python report.py`.\n"


def fashion_section(outputs: Outputs) -> str:
    """The same grids on Fashion-MNIST, when that run's results are there."""
    command = "python task4_experiments.py --dataset fashion-mnist"
    fashion, note = load_other(outputs, FASHION_RESULTS, "Fashion-MNIST", command)
    if fashion is None:
        return note
    out = "\n### The same grids on Fashion-MNIST\n\n"
    for name, grid in grids_in_order(fashion):
        out += grid_section(name, grid, outputs, "task4_fashion-mnist")
    return out


def shown_results(r: Task4Results, outputs: Outputs) -> tuple[Task4Results, str]:
    """The full grids when `make sweep` wrote them here (and how far the quick ones agree), else the
    quick ones; with a paragraph saying which."""
    full, note = load_other(outputs, FULL_RESULTS, "The full grids", "make sweep")
    if full is None or not r.quick:
        other = "" if not r.quick else " `make sweep` runs the full grids; the report then shows those."
        return r, note + f"Shown: {SHOWN[r.quick]}.{other}\n\n"
    lines = "".join(f"- {a.line()}\n" for a in agreements(r, full)) or "- no grid ran both ways\n"
    return full, (
        f"Shown: {SHOWN[False]}, from `{FULL_RESULTS}`. The quick grids of `make figures` "
        f"(`{STEP_RESULTS}`) agree with them as follows:\n\n{lines}\n"
    )


OPTIMIZERS = {"adam": "Adam", "sgd": "SGD"}  # as a sentence names them


def report_section(r: Task4Results, outputs: Outputs) -> str:
    shown, which = shown_results(r, outputs)
    t = shown.recipe
    out = (
        f"{OPTIMIZERS.get(t.optimizer, t.optimizer)} at a constant learning rate {t.lr} (so the "
        "accuracy after epoch k is a fair k-epoch result); the test set is scored after every epoch. "
        "Networks that differ only in dropout and seed train together as one grouped network, "
        "numerically the same as one at a time. Accuracies are means over seeds with 95% intervals. "
        "Each hypothesis was written before the runs and is split into claims; a claim that one thing "
        "beats another is *held* when its interval lies wholly above the other's, *not held* when "
        "wholly below, and *inside the noise* when they overlap (a claim that two things are alike is "
        "held when they overlap).\n\n" + which
    )
    out += verdict_table(shown) + "\n"
    for name, grid in grids_in_order(shown):
        out += grid_section(name, grid, outputs, shown_prefix(shown)) + "\n"
    out += fashion_section(outputs)
    return out + "\n" + studies_table(shown.grids)


def studies_table(grids: dict[str, GridResults]) -> str:
    """Each grid's study, with how long its trainings took and how long this run took (a rerun that
    finds every training done only redraws, in seconds)."""
    return table(
        ["grid", "study", "storage", "training time", "this run"],
        [
            [n, g.study.name, g.study.storage, f"{trained_s(g.study):.0f} s", f"{g.study.sweep_s:.0f} s"]
            for n, g in grids.items()
        ],
    )


def shown_prefix(r: Task4Results) -> str:
    """The figures' and CSVs' prefix of a run (task4_experiments.outputs_of names them)."""
    if r.dataset != "mnist":
        return f"task4_{r.dataset}"
    return "task4" if r.quick else "task4_full"


# --- the assignment's items this section answers (task4_experiments.STEP.rubric) -------------------


def best_headline(r: Task4Results, outputs: Outputs) -> str:
    shown, _ = shown_results(r, outputs)
    name, grid = max(shown.grids.items(), key=lambda item: item[1].best.test_acc)
    tally = [g.observations.tally() for g in shown.grids.values()]
    counts = {v: sum(t[v] for t in tally) for v in tally[0]} if tally else {}
    verdicts = ", ".join(f"{n} {v}" for v, n in counts.items())
    timed = [g.observations.report.time.verdict for g in shown.grids.values() if g.observations.report]
    time_verdict = "".join(f"; time per epoch: {v}" for v in timed)
    return (
        f"{'quick' if shown.quick else 'full'} grids: hypotheses on accuracy {verdicts}{time_verdict}; "
        f"best variant {pct(grid.best.test_acc)} test accuracy (grid `{name}`)"
    )


def size_headline(r: Task4Results, outputs: Outputs) -> str:
    shown, _ = shown_results(r, outputs)
    return "; ".join(
        f"grid `{name}`: {len(dims_varied(g.grid)) + 1} dimensions (with epochs), {g.variants} variants"
        for name, g in grids_in_order(shown)
    )


def dims_varied(g: GridSpec) -> list[str]:
    return [dim for dim in CONFIG_DIMS if len(getattr(g, dim)) > 1]


RUBRIC = (Answer("4", "", best_headline), Answer("c5-experiment", "", size_headline))
