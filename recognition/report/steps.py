"""The report's steps, each declared once.

Every task script and extension declares one `STEP = Step(...)`: its name, title, command, the steps
whose outputs it reads, its results type, its section and the assignment's items it answers
(`rubric`, the items listed in `recognition/report/rubric.py`). `PIPELINE` lists their modules in report
order; `make_figures.py` schedules from it, `report.py` renders from it and the tests iterate it, so
adding an extension is its file plus one line here.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence
from typing import Any

# The modules that declare a STEP, in the order of the report's sections.
PIPELINE = (
    "recognition.data.builtin",
    "task1_train_mnist",
    "task2_examine",
    "task3_greek_embedding",
    "extensions.embedding_widths",
    "extensions.more_letters",
    "extensions.embedding_layers",
    "task4_experiments",
    "extensions.pretrained_layers",
    "extensions.attributions",
    "extensions.attention_maps",
    "extensions.gabor_layer",
    "extensions.course_transfer",
    "extensions.compare_networks",
    "extensions.own_shots",
    "extensions.real_digits",
)


@dataclasses.dataclass(frozen=True)
class Answer:
    """One item of the assignment (a key of rubric.ITEMS) that a step answers: where, and its number."""

    item: str
    heading: str = ""  # the start of the heading that answers it; "": the step's own section
    # its headline number in words, from the step's results (or from its results and the report's Outputs)
    headline: Callable[..., str] | None = None


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of `make figures`: its `main(argv)` writes `results_file`; `section` renders it."""

    name: str  # also the results file's stem: figures/<name>_results.json
    title: str  # the report section's heading
    command: str  # how a person runs it (the report names it)
    results: type  # its results dataclass (recognition.report.results.StepResults)
    section: Callable[[Any, Any], str] | None  # (results, Outputs) -> Markdown, below the heading
    needs: tuple[str, ...] = ()  # the steps whose outputs it reads
    args: tuple[str, ...] = ()  # the arguments `make figures` passes
    cost_s: float = 10.0  # about how long it takes here: the longest chains are started first
    rubric: tuple[Answer, ...] = ()  # the assignment's items its section answers
    module: str = ""  # set by `load_steps`: whose main(argv) runs it

    @property
    def results_file(self) -> str:
        return f"{self.name}_results.json"


def load_steps(modules: Sequence[str] = PIPELINE) -> list[Step]:
    """Each module's STEP, in the given order, with its module recorded. A part of the pipeline may
    need steps outside it: those are taken as already run."""
    steps = [dataclasses.replace(importlib.import_module(m).STEP, module=m) for m in modules]
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ValueError(f"two steps share a name: {names}")
    if list(modules) == list(PIPELINE):  # a part of it may need steps run before, outside it
        for step in steps:
            unknown = set(step.needs) - set(names)
            if unknown or step.name in step.needs:
                raise ValueError(f"step {step.name} needs {sorted(unknown) or step.name}: not another step")
    return steps


def chain_costs(steps: Sequence[Step]) -> dict[str, float]:
    """Each step's cost plus the costliest chain of steps that wait for it."""
    after: dict[str, float] = {}
    for step in reversed(_dependency_order(steps)):
        waiting = [after[s.name] for s in steps if step.name in s.needs]
        after[step.name] = step.cost_s + max(waiting, default=0.0)
    return after


def _dependency_order(steps: Sequence[Step]) -> list[Step]:
    done: list[Step] = []
    while len(done) < len(steps):
        names = {s.name for s in done}
        ready = [s for s in steps if s.name not in names and set(s.needs) <= names]
        if not ready:
            raise ValueError("the steps' needs form a cycle")
        done += ready
    return done
