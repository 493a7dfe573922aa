"""What every report section is built from: number formats, Markdown pieces, and the step outputs.

Each step declares its section (`recognition.report.steps.Step.section`); `report.py` puts the
sections together under their headings.
"""

from __future__ import annotations

import csv
import re
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


def heading_text(markdown: str) -> str:
    """A heading's text as a reader sees it: links, code marks and emphasis taken out."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"[`*]", "", text).strip()


def slug(text: str) -> str:
    """GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading_text(text).lower()).replace(" ", "-")


def code_block(text: str) -> str:
    return "```\n" + text.rstrip() + "\n```\n"


class Outputs:
    """What the steps wrote in a figures folder: typed results, text and CSV files."""

    def __init__(
        self, folder: str | Path, steps: dict[str, object] | None = None, titles: dict[str, str] | None = None
    ):
        self.folder = Path(folder)
        self.steps = steps or {}  # every step's results by its name, as report.py read them
        self.titles = titles or {}  # every step's section title by its name

    def link(self, name: str, text: str) -> str:
        """A Markdown link to another step's section (plain text when the report has no such step)."""
        return f"[{text}](#{slug(self.titles[name])})" if name in self.titles else text

    def step(self, name: str):
        """Another step's typed results, as the report read them; None when missing or outdated."""
        found = self.steps.get(name)
        return None if found is None or isinstance(found, Exception) else found

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
