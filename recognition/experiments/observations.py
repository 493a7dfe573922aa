"""Task 4's observations: for each hypothesis, what the grid showed, with the seed-pooled 95%
confidence intervals (a difference whose intervals overlap is said to be inside the noise)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from recognition.experiments.analysis import (
    PLATEAU_PP,
    REFERENCE_BATCH,
    REFERENCE_DROPOUT,
    Summary,
    fmt,
    nearest,
    overlap,
    verdict,
)

HYPOTHESES = {
    "batch_size": "Smaller batches make more optimizer steps per epoch, so they reach a higher test accuracy "
    "after a given number of epochs; the largest batches end lowest.",
    "dropout": "Moderate dropout (0.25-0.5) gives the best test accuracy; no dropout is slightly worse, "
    "and as "
    "the rate nears 1.0 the second conv layer's output is almost always dropped, so accuracy "
    "collapses towards chance (about 10%).",
    "epochs": "Test accuracy rises fast over the first 2-3 epochs and then flattens; large batches (fewer "
    "steps per epoch) keep gaining for longer.",
    "time": "Training time per epoch falls as the batch grows (fewer, better-vectorised steps), with "
    "diminishing returns beyond batch 64-128.",
    "filters1": "More filters in the first conv layer help a little: 6 edge detectors are enough for digits.",
    "filters2": "More filters in the second conv layer help more than in the first: it feeds the classifier.",
    "kernel": "3x3 kernels do as well as 5x5 ones: two stacked small kernels already see a large part "
    "of a digit.",
    "hidden": "A wider hidden layer helps up to about 64 units, then the gain is inside the noise.",
    "broad_dropout": "Dropout 0.5 costs a little accuracy in a short training (it slows learning down).",
    "activation": "ReLU and GELU do about equally well; tanh saturates and learns a little slower.",
}


@dataclass
class Observation:
    """A hypothesis and what the grid showed about it."""

    hypothesis: str
    text: str


@dataclass
class BatchSizeObservation(Observation):
    best_after_1_epoch: int
    best_after_max_epochs: int
    acc_after_max_epochs: dict[str, list[float]]  # batch size -> [mean %, half-width]


def observe_batch_size(summary: Summary) -> BatchSizeObservation:
    dropout = nearest(summary.grid["dropout"], REFERENCE_DROPOUT)
    out = {}
    for epochs in (1, summary.max_epochs):
        accs = {
            b: summary.get(summary.config(batch_size=b, dropout=dropout), epochs)
            for b in summary.grid["batch_size"]
        }
        best, worst = max(accs, key=lambda b: accs[b][0]), min(accs, key=lambda b: accs[b][0])
        out[epochs] = (accs, best, worst)
    (first, b1, w1), (last, bn, wn) = out[1], out[summary.max_epochs]
    text = (
        f"At dropout {dropout:g}, after 1 epoch the best batch size is {b1} ({fmt(first[b1])}) and the worst "
        f"{w1} ({fmt(first[w1])}), {verdict(first[b1], first[w1])}; after {summary.max_epochs} epochs "
        f"the best "
        f"is {bn} ({fmt(last[bn])}) and the worst {wn} ({fmt(last[wn])}), {verdict(last[bn], last[wn])}."
    )
    return BatchSizeObservation(
        hypothesis=HYPOTHESES["batch_size"],
        text=text,
        best_after_1_epoch=b1,
        best_after_max_epochs=bn,
        acc_after_max_epochs={str(b): list(a) for b, a in last.items()},
    )


@dataclass
class DropoutObservation(Observation):
    best_dropout: float
    acc_by_dropout: dict[str, list[float]]  # rate -> [mean %, half-width]


def observe_dropout(summary: Summary) -> DropoutObservation:
    batch = nearest(summary.grid["batch_size"], REFERENCE_BATCH)
    accs = {d: summary.get(summary.config(batch_size=batch, dropout=d)) for d in summary.grid["dropout"]}
    best = max(accs, key=lambda d: accs[d][0])
    text = (
        f"At batch {batch} and {summary.max_epochs} epochs: "
        + ", ".join(f"{d:g}: {fmt(a)}" for d, a in accs.items())
        + f". The best dropout is {best:g}"
    )
    others = [d for d in accs if d != best]
    if others:
        runner = max(others, key=lambda d: accs[d][0])
        text += f"; against the runner-up {runner:g} the difference is {verdict(accs[best], accs[runner])}"
    return DropoutObservation(
        hypothesis=HYPOTHESES["dropout"],
        text=text + ".",
        best_dropout=best,
        acc_by_dropout={f"{d:g}": list(a) for d, a in accs.items()},
    )


@dataclass
class EpochsObservation(Observation):
    gain_pts: dict[str, float]  # batch size -> test accuracy gained from epoch 1 to the last
    plateau_epoch: dict[str, int]  # batch size -> first epoch within PLATEAU_PP of its best


def observe_epochs(summary: Summary) -> EpochsObservation:
    dropout = nearest(summary.grid["dropout"], REFERENCE_DROPOUT)
    gain, plateau = {}, {}
    for b in summary.grid["batch_size"]:
        config = summary.config(batch_size=b, dropout=dropout)
        curve = [summary.get(config, e)[0] for e in range(1, summary.max_epochs + 1)]
        first, last = summary.get(config, 1), summary.get(config)
        gain[str(b)] = (last[0] - first[0], verdict(last, first))
        plateau[str(b)] = next(e for e, a in enumerate(curve, start=1) if a >= max(curve) - PLATEAU_PP)
    text = (
        f"At dropout {dropout:g}, test accuracy gains from epoch 1 to {summary.max_epochs}: "
        + ", ".join(f"batch {b} {g:+.2f} pts" for b, (g, _) in gain.items())
        + f"; first within {PLATEAU_PP} pts of its best at epoch "
        + ", ".join(f"{e} (batch {b})" for b, e in plateau.items())
        + "."
    )
    return EpochsObservation(
        hypothesis=HYPOTHESES["epochs"],
        text=text,
        gain_pts={b: g for b, (g, _) in gain.items()},
        plateau_epoch=plateau,
    )


@dataclass
class TimeObservation(Observation):
    epoch_seconds: dict[str, float]  # batch size -> seconds per epoch and network
    loglog_slope: float | None  # seconds ~ batch^slope; None with one batch size


def observe_time(summary: Summary) -> TimeObservation:
    per_batch = {}
    for b in summary.grid["batch_size"]:
        chosen = [c for c in summary.configs if c[0] == b]
        per_batch[b] = float(np.mean([summary.info[c].epoch_seconds for c in chosen]))
    small, large = min(per_batch), max(per_batch)
    text = (
        f"One epoch's share of a grouped training takes {per_batch[small]:.2f} s at batch {small} and "
        f"{per_batch[large]:.2f} s at batch {large}; "
        + ", ".join(f"{b}: {s:.2f} s" for b, s in per_batch.items())
        + "."
    )
    slope = None
    if len(per_batch) > 1:
        slope = float(np.polyfit(np.log(list(per_batch)), np.log(list(per_batch.values())), 1)[0])
        text += f" Time per epoch scales roughly as batch^{slope:.2f}."
    return TimeObservation(
        hypothesis=HYPOTHESES["time"],
        text=text,
        epoch_seconds={str(b): s for b, s in per_batch.items()},
        loglog_slope=slope,
    )


@dataclass
class DimensionObservation(Observation):
    """One dimension's best value against its worst, each averaged over the other dimensions."""

    best: int | float | str
    worst: int | float | str
    separated: bool  # their 95% intervals do not overlap
    by_value: dict[str, list[float]]  # value -> [mean %, half-width of its 95% interval]


def observe_dimension(summary: Summary, dim: str, label: str, topic: str) -> DimensionObservation:
    """Best against worst value of one dimension, averaged over the others."""
    values = summary.grid[dim]
    found = {v: summary.marginal(dim, v) for v in values}
    best = max(found, key=lambda v: found[v][0])
    worst = min(found, key=lambda v: found[v][0])
    text = (
        f"{label}: "
        + ", ".join(f"{v}: {fmt(found[v])}" for v in values)
        + f" after {summary.max_epochs} epochs (mean over the other dimensions and {summary.seeds} seed(s)); "
        f"best {best} against worst {worst}: {found[best][0] - found[worst][0]:+.2f} pts, "
        f"{verdict(found[best], found[worst])}."
    )
    return DimensionObservation(
        hypothesis=HYPOTHESES[topic],
        text=text,
        best=best,
        worst=worst,
        separated=not overlap(found[best], found[worst]),
        by_value={str(v): list(found[v]) for v in values},
    )


@dataclass
class ReportObservations:
    """The report grid's four hypotheses."""

    batch_size: BatchSizeObservation
    dropout: DropoutObservation
    epochs: EpochsObservation
    time: TimeObservation


@dataclass
class Observations:
    """The report grid's four hypotheses, or another grid's one per varying dimension."""

    report: ReportObservations | None
    dimensions: dict[str, DimensionObservation]  # topic (a HYPOTHESES key) -> what was seen

    def by_topic(self) -> dict[str, Observation]:
        """Every observation under its HYPOTHESES key, in the report's order."""
        found = {}
        if self.report is not None:
            found = {f.name: getattr(self.report, f.name) for f in dataclasses.fields(self.report)}
        return {**found, **self.dimensions}


def observations(grid_name: str, summary: Summary) -> Observations:
    if grid_name == "report":
        return Observations(
            report=ReportObservations(
                batch_size=observe_batch_size(summary),
                dropout=observe_dropout(summary),
                epochs=observe_epochs(summary),
                time=observe_time(summary),
            ),
            dimensions={},
        )
    names = {
        "filters1": "filters in conv layer 1",
        "filters2": "filters in conv layer 2",
        "batch_size": "batch size",
    }
    found = {
        dim: observe_dimension(summary, dim, names.get(dim, dim), dim)
        for dim in ("batch_size", "filters1", "filters2", "kernel", "hidden", "activation")
        if len(summary.grid[dim]) > 1
    }
    if len(summary.grid["dropout"]) > 1:
        found["broad_dropout"] = observe_dimension(summary, "dropout", "dropout", "broad_dropout")
    return Observations(report=None, dimensions=found)
