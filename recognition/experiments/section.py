"""Task 4's results, typed, and its section of the report, rendered from task4_results.json (and
Fashion-MNIST's, if run)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recognition.experiments.analysis import CONFIG_DIMS, Pareto, Variant
from recognition.experiments.grids import Recipe
from recognition.experiments.observations import Observations
from recognition.report.markdown import Outputs, figure, pct, table
from recognition.report.results import ResultsError, StepResults
from recognition.report.steps import Answer

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


@dataclass
class GridResults:
    grid: GridSpec
    variants: int  # networks less their seeds
    trainings: int  # networks trained
    groups: int  # grouped trainings (study trials)
    observations: Observations
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
    "accuracy_vs_epochs": "Test accuracy against epochs, per batch size (band: 95% CI over seeds).",
    "accuracy_vs_dropout": "Test and train accuracy against the dropout rate.",
    "heatmap": "Test accuracy for each batch size and dropout rate after the last epoch.",
    "time_vs_batch": "Training time per epoch against batch size.",
    "pareto": "Accuracy against parameters and against training time; red: the Pareto front.",
    "dimensions": "Each architecture dimension averaged over the others (error bars: 95% CI over seeds).",
}


def describe_grid(name: str, r: GridResults) -> str:
    g = r.grid
    varying = [
        f"{dim.replace('_', ' ')} {', '.join(map(str, values))}"
        for dim in CONFIG_DIMS
        if len(values := getattr(g, dim)) > 1
    ]
    images = f"{g.train_subset:,}" if g.train_subset else "all the"
    return (
        f"**Grid `{name}`**: " + " x ".join(varying) + f" x epochs 1-{g.max_epochs}: {r.variants} variants, "
        f"each with {len(g.seed)} seed(s) ({', '.join(map(str, g.seed))}), {r.trainings} networks "
        f"trained as {r.groups} grouped trainings on {images} training images in "
        f"{r.study.sweep_s:.0f} s here.\n\n"
    )


def grid_section(name: str, r: GridResults, outputs: Outputs, prefix: str) -> str:
    out = describe_grid(name, r)
    for topic, found in r.observations.by_topic().items():
        out += (
            f"- **{topic.replace('_', ' ')}**: *hypothesis*: {found.hypothesis}<br>"
            f"*observation*: {found.text}\n"
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
        f"\nEvery variant (each seed, each epoch) is a row of `{Path(r.csv).name}` ({len(rows)} rows): "
        "parameters, multiply-adds, seconds per epoch, train and test accuracy.\n"
    )
    return out


def fashion_section(outputs: Outputs) -> str:
    """The same grids on Fashion-MNIST, when that run's results are there."""
    try:
        fashion = outputs.load(Task4Results, FASHION_RESULTS)
    except ResultsError as err:
        return (
            f"\n**Fashion-MNIST outdated**: {err}. Run `python task4_experiments.py --dataset "
            "fashion-mnist` again, then `python report.py`.\n"
        )
    if fashion is None:
        return ""
    out = "\n### The same grids on Fashion-MNIST\n\n"
    for name, grid in fashion.grids.items():
        out += grid_section(name, grid, outputs, "task4_fashion-mnist")
    return out


def report_section(r: Task4Results, outputs: Outputs) -> str:
    t = r.recipe
    out = (
        f"{t.optimizer} at a constant learning rate {t.lr} (so the accuracy after epoch k is a fair "
        "k-epoch result); the test set is scored after every epoch. Networks that differ only in dropout "
        "and seed train together as one grouped network, numerically the same as one at a time. "
        "Accuracies are means over seeds with 95% confidence intervals (Student t); a difference whose "
        "intervals overlap is called inside the noise."
        + (
            " These are the quick grids of `make figures`; `make sweep` runs the full ones."
            if r.quick
            else ""
        )
        + "\n\n"
    )
    for name, grid in sorted(r.grids.items(), key=lambda item: item[0] != "report"):
        out += grid_section(name, grid, outputs, "task4") + "\n"
    out += fashion_section(outputs)
    out += "\n" + table(
        ["grid", "study", "storage", "sweep time"],
        [[n, g.study.name, g.study.storage, f"{g.study.sweep_s:.0f} s"] for n, g in r.grids.items()],
    )
    return out


# --- the assignment's items this section answers (task4_experiments.STEP.rubric) -------------------


def best_headline(r: Task4Results) -> str:
    name, grid = max(r.grids.items(), key=lambda item: item[1].best.test_acc)
    return f"best variant {pct(grid.best.test_acc)} test accuracy (grid `{name}`)"


def size_headline(r: Task4Results) -> str:
    return "; ".join(
        f"grid `{name}`: {len(dims_varied(g.grid)) + 1} dimensions (with epochs), {g.variants} variants"
        for name, g in r.grids.items()
    )


def dims_varied(g: GridSpec) -> list[str]:
    return [dim for dim in CONFIG_DIMS if len(getattr(g, dim)) > 1]


RUBRIC = (Answer("4", "", best_headline), Answer("c5-experiment", "", size_headline))
