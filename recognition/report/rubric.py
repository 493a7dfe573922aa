"""The assignment's items, and the table at the top of the report that maps each to its answer.

Two versions of the assignment are answered: the original report's (Tasks 1-4 and its extensions)
and the current course's (its Task 1 and 2 are the original's; it adds transfer learning with the
GreekTransform, a transformer, a larger experiment and its own extensions). Each step declares the
items its section answers (`Step.rubric`, one place); this module lists the items, finds the heading
each answer links to, and writes the table: item, where, headline number, or why it is missing.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from recognition.report.markdown import heading_text, slug, table
from recognition.report.results import ResultsError


@dataclass(frozen=True)
class Item:
    key: str
    version: str  # "original" or "course"
    text: str  # what the assignment asks, in short


ORIGINAL, COURSE = "the original report", "the current course"
ITEMS = (
    Item("1a", ORIGINAL, "Task 1 a: the MNIST data; the first six test digits shown"),
    Item("1b", ORIGINAL, "Task 1 b: the network made repeatable"),
    Item("1c", ORIGINAL, "Task 1 c: the network built, with a diagram"),
    Item("1d", ORIGINAL, "Task 1 d: trained for 5 epochs; training and test error plotted"),
    Item("1e", ORIGINAL, "Task 1 e: the network saved to a file"),
    Item("1f", ORIGINAL, "Task 1 f: the saved network read back and run on the first ten test digits"),
    Item("1g", ORIGINAL, "Task 1 g: new inputs: your own handwritten digits"),
    Item("2a", ORIGINAL, "Task 2 a: the first layer's ten filters"),
    Item("2b", ORIGINAL, "Task 2 b: the effect of the filters on a digit (filter2D)"),
    Item("2c", ORIGINAL, "Task 2 c: a truncated model: the convolution layers' output"),
    Item("3a", ORIGINAL, "Task 3 a: a data set of Greek letters (alpha, beta, gamma)"),
    Item("3b", ORIGINAL, "Task 3 b: the truncated network that gives the 50-d embedding"),
    Item("3c", ORIGINAL, "Task 3 c: the Greek letters projected into the embedding space"),
    Item("3d", ORIGINAL, "Task 3 d: distances in the embedding space (sum of squared differences)"),
    Item("3e", ORIGINAL, "Task 3 e: your own Greek letters classified"),
    Item("3fg", ORIGINAL, "Task 3 extensions: a KNN classifier and a transfer-learned last layer"),
    Item("4", ORIGINAL, "Task 4: your own experiment: a plan, hypotheses, the runs and what they showed"),
    Item("x-widths", ORIGINAL, "Extension: other embedding widths"),
    Item("x-letters", ORIGINAL, "Extension: more Greek letters"),
    Item("x-layers", ORIGINAL, "Extension: which layer embeds the letters best"),
    Item("x-pretrained", ORIGINAL, "Extension: a pretrained network's first layers"),
    Item("x-attributions", ORIGINAL, "Extension: why the network read what it read"),
    Item(
        "c3-transfer",
        COURSE,
        "Task 3: transfer learning: the frozen network, a new last layer, GreekTransform",
    ),
    Item("c3-epochs", COURSE, "Task 3: how many epochs until the letters are (almost) perfectly identified"),
    Item("c3-own", COURSE, "Task 3: your own Greek letters through the transfer-learned network"),
    Item("c4-transformer", COURSE, "Task 4: the network rebuilt as a transformer, trained and tested"),
    Item("c5-experiment", COURSE, "Task 5: an experiment over at least three dimensions, 50-100 variants"),
    Item("cx-gabor", COURSE, "Extension: a Gabor filter bank as the first layer"),
    Item("cx-compare", COURSE, "Extension: the networks compared, on clean and perturbed digits"),
)
KEYS = {item.key: item for item in ITEMS}
VERSIONS = {
    ORIGINAL: "The original report's assignment: Tasks 1-4 and its extensions",
    COURSE: "The current course's version: its Tasks 1 and 2 are the ones above; what it adds",
}


# --- headings and their anchors ------------------------------------------------------------------

HEADING = re.compile(r"^(#{1,6}) +(.+?) *#*$")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str  # as written in the Markdown
    anchor: str  # unique in the document, as GitHub makes it (a repeat gets -1, -2, ...)
    line: int


def headings(markdown: str) -> list[Heading]:
    """Every heading outside code blocks, in order, with GitHub's unique anchors."""
    found, seen, fenced = [], {}, False
    for number, line in enumerate(markdown.splitlines()):
        if line.startswith("```"):
            fenced = not fenced
        if fenced or not (m := HEADING.match(line)):
            continue
        base = slug(m.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.append(Heading(len(m.group(1)), m.group(2), base if count == 0 else f"{base}-{count}", number))
    return found


def find_heading(marks: list[Heading], section_title: str, start: str) -> Heading | None:
    """The first heading that starts with `start` inside the section titled `section_title` (the
    section's own heading when `start` is empty), else anywhere; None when there is none."""
    inside, others = [], []
    section = next((i for i, h in enumerate(marks) if h.level == 2 and h.text == section_title), None)
    if section is not None:
        if not start:
            return marks[section]
        end = next((i for i in range(section + 1, len(marks)) if marks[i].level <= 2), len(marks))
        inside = marks[section + 1 : end]
        others = marks[:section] + marks[end:]
    else:
        others = marks
    wanted = heading_text(start)
    for h in inside + others:
        if start and heading_text(h.text).startswith(wanted):
            return h
    return None


# --- the table ---------------------------------------------------------------------------------------


def headline(step, answer, found, outputs) -> str:
    """The answer's number from the step's results (and the other outputs, for a headline that takes
    them), or why there is none."""
    if found is None:
        return f"not run: `{step.results_file}` is missing; run `{step.command}`"
    if isinstance(found, ResultsError):
        return f"outdated: run `{step.command}` again"
    if answer.headline is None:
        return ""
    takes_outputs = len(inspect.signature(answer.headline).parameters) > 1
    return answer.headline(found, outputs) if takes_outputs else answer.headline(found)


def link_text(marks: list[Heading], target: Heading) -> str:
    """The heading's text, after its section's short name when it is a subsection ("Task 1: c) ...")."""
    text = heading_text(target.text)
    if target.level <= 2:
        return text
    section = next(h for h in reversed(marks) if h.level <= 2 and h.line < target.line)
    return f"{heading_text(section.text).split(':')[0]}: {text}"


def rubric_table(steps: Sequence, found: dict[str, object], markdown: str, outputs=None) -> str:
    """Every item, by version of the assignment: where it is answered (a link into `markdown`, the
    report's body) and its headline number, or why there is none."""
    marks = headings(markdown)
    answers: dict[str, list[str]] = {key: [] for key in KEYS}
    places: dict[str, list[str]] = {key: [] for key in KEYS}
    for step in steps:
        for answer in step.rubric:
            if answer.item not in KEYS:
                raise ValueError(f"step {step.name} answers {answer.item!r}, which rubric.ITEMS lacks")
            target = find_heading(marks, step.title, answer.heading) or find_heading(marks, step.title, "")
            if target is not None:
                places[answer.item].append(f"[{link_text(marks, target)}](#{target.anchor})")
            if text := headline(step, answer, found.get(step.name), outputs):
                answers[answer.item].append(text)
    out = ""
    for version, lead in VERSIONS.items():
        rows = [
            [
                item.text,
                "<br>".join(dict.fromkeys(places[item.key])) or "not in this report",
                "; ".join(answers[item.key]) or ("" if places[item.key] else "no step declares it"),
            ]
            for item in ITEMS
            if item.version == version
        ]
        out += f"**{lead}**\n\n" + table(["the assignment asks", "answered in", "headline"], rows) + "\n"
    return out
