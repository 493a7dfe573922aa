"""How the letter classifiers' accuracy reads: the lines the scripts print and the report's rows."""

from __future__ import annotations

from recognition import training
from recognition.embedding import CLASSIFIERS, SETS, AccuracyTable
from recognition.report.markdown import fraction


def accuracy_lines(table: AccuracyTable, prefix: str = "") -> list[str]:
    """The printed accuracy of every classifier, in the one format every script prints."""
    lines = [
        f"  {prefix}" + training.accuracy_line(f"{part} {c}", *table.part(part).of(c))
        for part in SETS
        for c in CLASSIFIERS
    ]
    if table.own_unknown:
        lines.append(
            f"  {prefix}own set: {table.own_unknown} images of letters the reference set lacks "
            f"(or unlabelled) were classified but not scored"
        )
    return lines


def accuracy_rows(acc: AccuracyTable, label: str = "") -> list[list]:
    """Report-table rows: one per evaluation (leave-one-out, own set) with each classifier's accuracy."""
    prefix = [label] if label else []
    return [prefix + [part] + [fraction(*acc.part(part).of(c)) for c in CLASSIFIERS] for part in SETS]
