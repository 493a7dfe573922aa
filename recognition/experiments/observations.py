"""Task 4's hypotheses, written before the runs, and what each grid showed about them.

Each hypothesis is split into claims that a grid can test by comparing two intervals (analysis.py:
over seeds, or with one seed the test set's binomial interval). A claim that one thing beats another
is *held* when its interval lies wholly above the other's, *not held* when wholly below, and *inside
the noise* when they overlap; a claim that two things are alike is held when they overlap and not
held when they do not. A hypothesis is not held when one of its claims is not, held when all its
testable claims are, and inside the noise otherwise. A claim the grid cannot test (say, a trend with
two batch sizes) says why and does not count.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from recognition.experiments.analysis import (
    REFERENCE_BATCH,
    REFERENCE_DROPOUT,
    Summary,
    fmt,
    mean_ci,
    nearest,
    overlap,
)

Verdict = Literal["held", "not held", "inside the noise"]
CHANCE_PCT = 20.0  # "towards chance": below this, ten classes are barely told apart

HYPOTHESES = {
    "batch_size": "Smaller batches make more optimizer steps per epoch, so they reach a higher test accuracy "
    "after a given number of epochs; the largest batches end lowest.",
    "dropout": "Moderate dropout (0.25-0.5) gives the best test accuracy; no dropout is slightly worse, "
    "and as the rate nears 1.0 the second conv layer's output is almost always dropped, so accuracy "
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

Interval = tuple[float, float]


@dataclass
class Claim:
    """One testable part of a hypothesis: what it says, the verdict, and the numbers behind it."""

    claim: str
    verdict: Verdict | None  # None: this grid cannot test it (the evidence says why)
    evidence: str


@dataclass
class Observation:
    """A hypothesis, its verdict, and what the grid showed about it."""

    hypothesis: str
    verdict: Verdict
    claims: list[Claim]
    values: dict[str, list[float]]  # what was compared: label -> [mean, half-width of its interval]

    @property
    def text(self) -> str:
        return " ".join(
            f"{c.claim[:1].upper()}{c.claim[1:]}: {c.evidence}: **{c.verdict or 'not tested'}**."
            for c in self.claims
        )


def beats(a: Interval, b: Interval) -> Verdict:
    """The claim that a is higher than b."""
    if overlap(a, b) or math.isnan(a[1]) or math.isnan(b[1]):
        return "inside the noise"
    return "held" if a[0] > b[0] else "not held"


def alike(a: Interval, b: Interval) -> Verdict:
    """The claim that a and b are the same within the noise."""
    return "held" if overlap(a, b) else "not held"


def combined(claims: list[Claim]) -> Verdict:
    tested = [c.verdict for c in claims if c.verdict is not None]
    if "not held" in tested:
        return "not held"
    if tested and all(v == "held" for v in tested):
        return "held"
    return "inside the noise"


def observation(topic: str, claims: list[Claim], values: dict[str, Interval]) -> Observation:
    return Observation(
        hypothesis=HYPOTHESES[topic],
        verdict=combined(claims),
        claims=claims,
        values={k: list(v) for k, v in values.items()},
    )


def versus(name_a: str, a: Interval, name_b: str, b: Interval) -> str:
    return f"{name_a} {fmt(a)} against {name_b} {fmt(b)}"


# --- the report grid: batch size x dropout x epochs ------------------------------------------------


def observe_batch_size(summary: Summary) -> Observation:
    dropout = nearest(summary.grid["dropout"], REFERENCE_DROPOUT)
    batches, last = summary.grid["batch_size"], summary.max_epochs
    small, large = min(batches), max(batches)
    acc = {
        (b, e): summary.get(summary.config(batch_size=b, dropout=dropout), e)
        for b in batches
        for e in (1, last)
    }
    claims = [
        Claim(
            f"after {e} epoch{'s' if e > 1 else ''} at dropout {dropout:g}, batch {small} is higher "
            f"than batch {large}",
            beats(acc[small, e], acc[large, e]),
            versus(f"batch {small}", acc[small, e], f"batch {large}", acc[large, e]),
        )
        for e in sorted({1, last})
    ]
    if len(batches) > 2:
        lowest = min(batches, key=lambda b: acc[b, last][0])
        claims.append(
            Claim(
                f"batch {large} ends lowest",
                "held" if lowest == large else alike(acc[large, last], acc[lowest, last]),
                f"the lowest after {last} epochs is batch {lowest} ({fmt(acc[lowest, last])})",
            )
        )
    values = {f"batch {b}, {e} epochs": acc[b, e] for b, e in acc}
    return observation("batch_size", claims, values)


def observe_dropout(summary: Summary) -> Observation:
    batch = nearest(summary.grid["batch_size"], REFERENCE_BATCH)
    rates = summary.grid["dropout"]
    acc = {d: summary.get(summary.config(batch_size=batch, dropout=d)) for d in rates}
    claims = []
    moderate = [d for d in rates if 0.25 <= d <= 0.5]
    if moderate and 0 in rates:
        best = max(moderate, key=lambda d: acc[d][0])
        claims.append(
            Claim(
                f"at batch {batch}, moderate dropout ({best:g}) is higher than none",
                beats(acc[best], acc[0]),
                versus(f"dropout {best:g}", acc[best], "dropout 0", acc[0]),
            )
        )
    else:
        claims.append(Claim("moderate dropout beats none", None, "the grid lacks dropout 0 or 0.25-0.5"))
    if 1.0 in rates and len(rates) > 1:
        below = max(d for d in rates if d < 1.0)
        far_below = beats(acc[below], acc[1.0])
        claims.append(
            Claim(
                f"dropout 1.0 collapses towards chance (10%; below {CHANCE_PCT:.0f}%), far below "
                f"dropout {below:g}",
                "not held" if acc[1.0][0] >= CHANCE_PCT else far_below,
                versus("dropout 1.0", acc[1.0], f"dropout {below:g}", acc[below]),
            )
        )
    return observation("dropout", claims, {f"dropout {d:g}": a for d, a in acc.items()})


def observe_epochs(summary: Summary) -> Observation:
    dropout = nearest(summary.grid["dropout"], REFERENCE_DROPOUT)
    last = summary.max_epochs
    if last < 2:
        return observation("epochs", [Claim("accuracy rises with epochs", None, "one epoch only")], {})
    mid = min(3, last - 1)  # "the first 2-3 epochs"
    batches = summary.grid["batch_size"]
    small, large = min(batches), max(batches)
    acc = {
        (b, e): summary.get(summary.config(batch_size=b, dropout=dropout), e)
        for b in batches
        for e in (1, mid, last)
    }
    claims = []
    if mid > 1:
        claims.append(
            Claim(
                f"at batch {small}, accuracy rises from epoch 1 to {mid}",
                beats(acc[small, mid], acc[small, 1]),
                versus(f"epoch {mid}", acc[small, mid], "epoch 1", acc[small, 1]),
            )
        )
    claims.append(
        Claim(
            f"at batch {small}, it then flattens (epoch {last} within the noise of epoch {mid})",
            alike(acc[small, last], acc[small, mid]),
            versus(f"epoch {last}", acc[small, last], f"epoch {mid}", acc[small, mid]),
        )
    )
    if large != small:
        gains = {b: beats(acc[b, last], acc[b, mid]) for b in (small, large)}
        verdict: Verdict = (
            "held"
            if gains[large] == "held" and gains[small] != "held"
            else "not held"
            if gains[small] == "held" and gains[large] != "held"
            else "inside the noise"
        )
        claims.append(
            Claim(
                f"batch {large} gains for longer than batch {small} (epoch {mid} to {last})",
                verdict,
                f"batch {large} {acc[large, last][0] - acc[large, mid][0]:+.2f} pts "
                f"(gain {gains[large].replace('held', 'outside the noise')}), batch {small} "
                f"{acc[small, last][0] - acc[small, mid][0]:+.2f} pts "
                f"(gain {gains[small].replace('held', 'outside the noise')})",
            )
        )
    return observation("epochs", claims, {f"batch {b}, epoch {e}": a for (b, e), a in acc.items()})


def observe_time(summary: Summary) -> Observation:
    """Seconds per epoch and network: each grouped training's epochs are the samples."""
    batches = summary.grid["batch_size"]
    times = {b: mean_ci(summary.epoch_times(b)) for b in batches}
    small, large = min(batches), max(batches)
    unit = " s"
    claims = [
        Claim(
            f"an epoch takes longer at batch {small} than at batch {large}",
            beats(times[small], times[large]),
            f"batch {small} {fmt(times[small], unit)} against batch {large} {fmt(times[large], unit)}",
        )
    ]
    big = [b for b in batches if b >= 64]
    if len(batches) >= 3 and len(big) >= 2:
        a, b = big[-2], big[-1]
        slope = float(np.polyfit(np.log(batches), np.log([times[x][0] for x in batches]), 1)[0])
        claims.append(
            Claim(
                f"diminishing returns: batch {b} no faster than batch {a}",
                alike(times[a], times[b]),
                f"batch {a} {fmt(times[a], unit)}, batch {b} {fmt(times[b], unit)}; over all "
                f"{len(batches)} batch sizes the time per epoch goes as batch^{slope:.2f}",
            )
        )
    else:
        claims.append(Claim("diminishing returns", None, "it needs three batch sizes, two of 64 or more"))
    return observation("time", claims, {f"batch {b}": t for b, t in times.items()})


# --- the other grids: one hypothesis per varying dimension -------------------------------------------


def observe_dimension(summary: Summary, dim: str) -> Observation:
    """The dimension's hypothesis, tested on its values averaged over the other dimensions."""
    values = summary.grid[dim]
    acc = {v: summary.marginal(dim, v) for v in values}
    low, high = values[0], values[-1]
    name = {"filters1": "filters in conv 1", "filters2": "filters in conv 2", "batch_size": "batch"}.get(
        dim, dim
    )

    def claim_more(a, b) -> Claim:
        return Claim(f"{name} {a} is higher than {name} {b}", beats(acc[a], acc[b]), versus(a, b))

    def claim_alike(a, b) -> Claim:
        return Claim(f"{name} {a} does as well as {name} {b}", alike(acc[a], acc[b]), versus(a, b))

    def versus(a, b) -> str:
        return f"{a} {fmt(acc[a])} against {b} {fmt(acc[b])}"

    claims, middle = [], 64 in values and low < 64 < high  # "up to about 64 units" is testable
    if dim in ("filters1", "filters2", "hidden"):
        claims.append(claim_more(64, low) if dim == "hidden" and middle else claim_more(high, low))
    if dim == "filters2" and len(summary.grid["filters1"]) > 1:
        claims.append(more_than_filters1(summary))
    if dim == "hidden":
        stops = Claim("the gain stops at about 64 units", None, "the grid lacks 64 units between others")
        claims.append(claim_alike(high, 64) if middle else stops)
    if dim == "kernel":
        claims.append(claim_alike(low, high))
    if dim in ("dropout", "batch_size"):
        claims.append(claim_more(low, high))
    if dim == "activation" and {"relu", "gelu"} <= set(values):
        claims.append(claim_alike("relu", "gelu"))
    if dim == "activation" and {"relu", "tanh"} <= set(values):
        claims.append(claim_more("relu", "tanh"))
    if not claims:
        claims.append(Claim(f"the hypothesis on {name}", None, f"the grid's values {values} do not test it"))
    topic = "broad_dropout" if dim == "dropout" else dim
    return observation(topic, claims, {f"{name} {v}": a for v, a in acc.items()})


def more_than_filters1(summary: Summary) -> Claim:
    """Does going from the fewest to the most filters gain more in conv 2 than in conv 1? Gains per
    seed (with one seed, the difference of the two binomial intervals' widths is the noise)."""
    gains = {}
    for dim in ("filters1", "filters2"):
        low, high = summary.grid[dim][0], summary.grid[dim][-1]
        per_seed = np.mean(summary.marginal_values(dim, high), axis=0) - np.mean(
            summary.marginal_values(dim, low), axis=0
        )
        if summary.seeds > 1:
            gains[dim] = mean_ci(list(per_seed))
        else:
            halves = [summary.marginal(dim, v)[1] for v in (low, high)]
            gains[dim] = (float(per_seed[0]), float(math.hypot(*halves)))
    unit = " pts"
    return Claim(
        "the gain from more filters is larger in conv 2 than in conv 1",
        beats(gains["filters2"], gains["filters1"]),
        f"conv 2 {fmt(gains['filters2'], unit)} against conv 1 {fmt(gains['filters1'], unit)}",
    )


# --- all of a grid's ---------------------------------------------------------------------------------


@dataclass
class ReportObservations:
    """The report grid's four hypotheses."""

    batch_size: Observation
    dropout: Observation
    epochs: Observation
    time: Observation


@dataclass
class Observations:
    """The report grid's four hypotheses, or another grid's one per varying dimension."""

    report: ReportObservations | None
    dimensions: dict[str, Observation]  # topic (a HYPOTHESES key) -> what was seen

    def by_topic(self) -> dict[str, Observation]:
        """Every observation under its HYPOTHESES key, in the report's order."""
        found = {}
        if self.report is not None:
            found = {f.name: getattr(self.report, f.name) for f in dataclasses.fields(self.report)}
        return {**found, **self.dimensions}

    def tally(self) -> dict[str, int]:
        """How many hypotheses on accuracy were held, not held, or inside the noise (the time hypothesis's
        verdict depends on the machine and its load, so it is told on its own)."""
        verdicts = [o.verdict for topic, o in self.by_topic().items() if topic != "time"]
        return {v: verdicts.count(v) for v in ("held", "not held", "inside the noise")}


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
    found = {
        ("broad_dropout" if dim == "dropout" else dim): observe_dimension(summary, dim)
        for dim in ("batch_size", "filters1", "filters2", "kernel", "hidden", "activation", "dropout")
        if len(summary.grid[dim]) > 1
    }
    return Observations(report=None, dimensions=found)
