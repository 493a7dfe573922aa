"""How the letter classifiers' accuracy reads: the lines the scripts print and the report's rows."""

from __future__ import annotations

from recognition import training
from recognition.embedding import CLASSIFIERS, SETS, AccuracyTable
from recognition.readers import ASSIGNMENT, NEAR_TIE, ChosenReading
from recognition.report.markdown import fraction, table

NEAR_TIES_SHOWN = 8  # near-ties named in the report; the rest are counted


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


def chosen_lines(c: ChosenReading, what: str) -> list[str]:
    """The printed lines of a set (`what`) read by the chosen reader, and the others beside it."""
    lines = [
        f"{what} by {c.name} (chosen on {c.select_dir}: {fraction(*c.selection)}): {fraction(*c.own)}; "
        f"{len(c.near_ties)} near-ties"
    ]
    lines += [
        f"  {row.reader:32s} selection {fraction(*row.selection):>16s}  {fraction(*row.own)}"
        for row in c.others
    ]
    return lines


def chosen_section(c: ChosenReading, what: str) -> str:
    """The report's paragraph and table: the chosen reader's answer first, the others beside it."""
    ties = "; ".join(c.near_ties[:NEAR_TIES_SHOWN]) + ("; ..." if len(c.near_ties) > NEAR_TIES_SHOWN else "")
    rows = [
        [f"**{row.reader}**" if i == 0 else row.reader, fraction(*row.selection), fraction(*row.own)]
        + (["the assignment's"] if row.reader == ASSIGNMENT.name else [""])
        for i, row in enumerate(c.others)
    ]
    return (
        f"**{what} by the chosen reader, {c.name} ({c.width}-d): {fraction(*c.own)}.** It read the "
        f"selection writers (`{c.select_dir}`, never scored) best of every layer, distance and "
        f"classifier ({fraction(*c.selection)}); the next best there and the assignment's 1-NN on the "
        f"50-d layer with SSD are beside it. Near-ties (the runner-up letter within {NEAR_TIE:.0%} by "
        f"its own measure): {len(c.near_ties)}"
        + (f" ({ties})" if ties else "")
        + ".\n\n"
        + table(["reader (classifier / layer / distance)", "selection writers", what, "note"], rows)
        + "\n"
    )
