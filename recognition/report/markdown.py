"""What every report section is built from: number formats, Markdown pieces, and the step outputs.

Each step declares its section (`recognition.report.steps.Step.section`); `report.py` puts the
sections together under their headings.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TypeVar

from recognition.report.results import load_results

T = TypeVar("T")


def pct(x: float, digits: int = 2) -> str:
    return f"{100 * x:.{digits}f}%"


def fraction(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.1f}%)" if total else "n/a"


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def figure(path: str | Path, caption: str) -> str:
    """Markdown image by a path relative to the report (it sits beside the figures)."""
    return f"![{caption}]({Path(path).name})\n\n*{caption}*\n"


def code_block(text: str) -> str:
    return "```\n" + text.rstrip() + "\n```\n"


class Outputs:
    """What the steps wrote in a figures folder: typed results, text and CSV files."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def load(self, kind: type[T], name: str) -> T | None:
        """The results file `name` as `kind`, or None when it is missing."""
        return load_results(kind, self.folder / name)

    def text(self, name: str) -> str | None:
        path = self.folder / name
        return path.read_text() if path.is_file() else None

    def csv(self, name: str) -> list[dict] | None:
        path = self.folder / name
        if not path.is_file():
            return None
        with path.open(newline="") as f:
            return list(csv.DictReader(f))
