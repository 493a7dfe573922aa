"""What every report section is built from: number formats, Markdown pieces, and the step outputs.

Each task script owns its section: it defines `RESULTS_FILE`, `COMMAND` and
`report_section(res: Results) -> str`, and `report.py` only puts the sections together.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path


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


class Results:
    """The step outputs in a figures folder."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def load(self, name: str) -> dict | None:
        path = self.folder / name
        return json.loads(path.read_text()) if path.is_file() else None

    def text(self, name: str) -> str | None:
        path = self.folder / name
        return path.read_text() if path.is_file() else None

    def csv(self, name: str) -> list[dict] | None:
        path = self.folder / name
        if not path.is_file():
            return None
        with path.open(newline="") as f:
            return list(csv.DictReader(f))


def opening(res: Results, name: str, title: str, command: str) -> tuple[dict | None, str]:
    """A step's results and its section heading; without results, the heading says how to make them."""
    r = res.load(name)
    missing = ("" if r is not None else
               f"**Not run**: `{name}` is missing. Run `{command}` and then `python report.py`.\n")
    return r, f"## {title}\n\n{missing}"
