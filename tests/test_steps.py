"""The step declaration: every step loads, its results round-trip through JSON, its section renders
from its results type alone, and a new step needs nothing but its module and one line."""

import dataclasses
import json

import pytest

import make_figures
import report
from recognition.report.markdown import Outputs
from recognition.report.results import ResultsError, StepResults, example, from_json, load_results, to_json
from recognition.report.steps import PIPELINE, load_steps

STEPS = load_steps()


def test_every_step_has_a_unique_name_and_known_inputs():
    assert [s.module for s in STEPS] == list(PIPELINE)
    names = [s.name for s in STEPS]
    assert len(set(names)) == len(names)
    for step in STEPS:
        assert set(step.needs) <= set(names) - {step.name}, step.name
        assert issubclass(step.results, StepResults), step.name


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_results_round_trip_and_the_section_renders_from_the_type(step, tmp_path):
    results = example(step.results)
    text = json.dumps(to_json(results))
    assert from_json(step.results, json.loads(text)) == results
    if step.section is not None:  # a renamed or missing field fails here, not only in the slow tests
        assert isinstance(step.section(results, Outputs(tmp_path)), str)


def test_results_of_another_shape_are_an_error_naming_the_field(tmp_path):
    step = STEPS[-1]
    data = to_json(example(step.results))
    required = [f for f in dataclasses.fields(step.results) if f.default is dataclasses.MISSING]
    field = required[0].name
    del data[field]
    (tmp_path / step.results_file).write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=field):
        load_results(step.results, tmp_path / step.results_file)
    text = report.build_report(tmp_path, modules=[step.module])
    assert "**Outdated**" in text and field in text


NEW_STEP = """
from dataclasses import dataclass
from pathlib import Path

from recognition.report.results import StepResults, save_results
from recognition.report.steps import Step


@dataclass(kw_only=True)
class NewResults(StepResults):
    answer: int


def main(argv):
    save_results(Path(argv[0]) / STEP.results_file, NewResults(answer=42, seconds=1.5))


STEP = Step(name="new", title="Extension: something new", command="python -m newstep",
            results=NewResults, section=lambda r, outputs: f"The answer is {r.answer}.\\n")
"""


def test_a_new_step_is_its_module_and_one_line(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "newstep.py").write_text(NEW_STEP)
    figs = tmp_path / "figures"
    figs.mkdir()
    step = load_steps(["newstep"])[0]
    assert make_figures.run_steps([dataclasses.replace(step, args=(str(figs),))], 1)
    text = report.build_report(figs, modules=["newstep"])
    assert "## Extension: something new" in text and "The answer is 42." in text
    assert "`python -m newstep` | 1.5 s" in text
