"""Do the quick grids (`make figures`) tell what the full grids (`make sweep`) tell?

Two measures, per grid run both ways: the rank correlation (Spearman) of the variants' mean test
accuracies after each grid's last epoch, over the configurations both grids trained, and how many
hypotheses got the same verdict. `task4_experiments.py` prints them when both results are in its
figures folder, the report shows them, and `benchmarks/task4_quick_vs_full.py` prints them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from recognition.experiments.analysis import CONFIG_DIMS


@dataclass
class FinalMean:
    """One configuration (a variant less its seed) after the grid's last epoch."""

    config: dict[str, int | float | str]  # its value of each of analysis.CONFIG_DIMS
    test_acc: float  # %, the mean over the seeds
    half: float  # the half-width of its 95% interval (nan when there is none)


@dataclass
class Agreement:
    grid: str
    matched: int  # configurations both grids trained
    spearman: float | None  # None below three matched configurations (or when one side is constant)
    verdicts: dict[str, list[str]]  # topic -> [the quick grid's verdict, the full grid's]

    @property
    def same_verdicts(self) -> int:
        return sum(q == f for q, f in self.verdicts.values())

    def line(self) -> str:
        rho = "n/a" if self.spearman is None else f"{self.spearman:.2f}"
        return (
            f"grid {self.grid}: rank correlation of the {self.matched} configurations both ran "
            f"(Spearman, mean test accuracy after each grid's last epoch) {rho}; the same verdict on "
            f"{self.same_verdicts} of {len(self.verdicts)} hypotheses"
        )


def key(config: dict) -> tuple:
    return tuple(config.get(d) for d in CONFIG_DIMS)


def agreement(name: str, quick, full) -> Agreement:
    """How far grid `name`'s quick results (GridResults) agree with its full ones."""
    full_means = {key(m.config): m.test_acc for m in full.final}
    pairs = [(m.test_acc, full_means[key(m.config)]) for m in quick.final if key(m.config) in full_means]
    rho = None
    if len(pairs) >= 3:
        found = float(stats.spearmanr([q for q, _ in pairs], [f for _, f in pairs]).statistic)
        rho = None if math.isnan(found) else found
    quick_found, full_found = quick.observations.by_topic(), full.observations.by_topic()
    verdicts = {t: [quick_found[t].verdict, full_found[t].verdict] for t in quick_found if t in full_found}
    return Agreement(grid=name, matched=len(pairs), spearman=rho, verdicts=verdicts)


def agreements(quick, full) -> list[Agreement]:
    """Every grid both Task4Results hold."""
    return [agreement(n, quick.grids[n], full.grids[n]) for n in quick.grids if n in full.grids]
