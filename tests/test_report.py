"""The report builder on a small run of every step: sections, figures, and numbers from outputs."""

import csv
import importlib
import json
import os
import re
from pathlib import Path

import pytest

import report
from recognition.handwriting import glyphs, pages
from recognition.report.steps import load_steps

NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")
PERCENT_OF = re.compile(r"(\d+)/(\d+) \((\d+\.\d)%\)")
TIMING = re.compile(r"-?\d+(?:\.\d+)? s\b")
STEPS = load_steps()


def small_args(root):
    """Each declared step's arguments for a run on tiny data (a new step needs its line here)."""
    model, models = str(root / "models" / "mnist_net.pt"), str(root / "models")
    subsets = ["--train-subset", "600", "--test-subset", "200", "--models-dir", models]
    return {
        "data": [],
        "task1": ["--train-subset", "1000", "--test-subset", "300", "--epochs", "1", "--no-progress"]
        + ["--models-dir", models],
        "task2": ["--model", model],
        "task3": ["--model", model],
        "widths": ["--model", model, "--widths", "50"],
        "more_letters": ["--model", model],
        "embedding_layers": ["--model", model],
        "task4": [
            "--quick",
            "--batch-sizes",
            "64,128",
            "--dropouts",
            "0,0.5",
            "--max-epochs",
            "2",
            "--workers",
            "1",
        ]
        + ["--grids", "report", "--train-subset", "600", "--test-subset", "200"],
        "pretrained": [],
        "attributions": ["--model", model, "--test-images", "300"],
        "attention": subsets,
        "gabor": subsets,
        "course_transfer": ["--epochs", "5", "--model", model],
        "compare": [*subsets, "--perturbed", "50"],
        "own_shots": ["--model", model, "--writers", "2", "--per-symbol", "4"],
        "real_digits": ["--model", model, "--digits", "40"],
    }


def tiny_builtin_sets(data):
    """The built-in sets' folders under data/, each tiny, so the data step has nothing to generate: the
    references in the course's layout (a folder per letter), the other writers' sets a folder per writer."""
    glyphs.write_glyph_set(data / "own_digits", glyphs.DIGITS, per_class=1, seed=1, style=glyphs.OWN_STYLE)
    pages.write_digit_sheets(data / "own_digit_sheets", seed=1)
    letters = {"greek": (glyphs.REFERENCE_LETTERS, 3, glyphs.COURSE_STYLE, None)}
    letters |= {
        name: (glyphs.REFERENCE_LETTERS, 2, glyphs.OWN_STYLE, 2) for name in ("greek_own", "greek_select")
    }
    letters |= {"greek_all": (glyphs.GREEK_LETTERS, 1, glyphs.COURSE_STYLE, None)}
    letters |= {"greek_tune": (glyphs.REFERENCE_LETTERS, 1, glyphs.COURSE_STYLE, 2)}
    letters |= {
        name: (glyphs.GREEK_LETTERS, 1, glyphs.OWN_STYLE, 2) for name in ("greek_own_all", "greek_select_all")
    }
    for seed, (name, (names, per_class, style, writers)) in enumerate(letters.items(), start=2):
        glyphs.write_glyph_set(
            data / name, names, per_class=per_class, seed=seed, style=style, writers=writers
        )


def test_every_declared_step_has_small_arguments(tmp_path):
    assert set(small_args(tmp_path)) == {step.name for step in STEPS}


def run_small_pipeline(root):
    """Every declared step on tiny data into root/figures, in the declared order, then the report; run
    from root with paths relative to it, as `make figures` runs in the project."""
    here = Path.cwd()
    os.chdir(root)
    try:
        figs, data = Path("figures"), Path("data")
        tiny_builtin_sets(data)
        args = small_args(Path("."))
        for step in STEPS:
            common = ["--data-dir", str(data), "--figures-dir", str(figs)]
            importlib.import_module(step.module).main([*common, *args[step.name]])
        return report.main(["--figures-dir", str(figs), "--no-pdf"]).read_text()  # test_rubric prints one
    finally:
        os.chdir(here)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    first, second = tmp_path_factory.mktemp("run1"), tmp_path_factory.mktemp("run2")
    return (first / "figures", run_small_pipeline(first)), (second / "figures", run_small_pipeline(second))


@pytest.mark.slow
def test_no_path_of_the_machine_in_what_a_person_reads(two_runs):
    (figs, _), _ = two_runs
    root, checked = figs.parent.resolve(), 0
    for path in figs.iterdir():
        if path.suffix in (".md", ".html", ".json", ".csv", ".txt"):
            text = path.read_text(encoding="utf-8")
            for machine in (str(root), str(Path.home()), "/tmp/", "site-packages"):
                assert machine not in text, (path.name, machine)
            checked += 1
    assert checked >= 15


@pytest.mark.slow
def test_every_section_and_linked_figure_is_there(two_runs):
    (figs, text), _ = two_runs
    for heading in [
        "## Task 1",
        "### a)",
        "### c) The network",
        "### d) Training",
        "### f)",
        "### g)",
        "## Task 2",
        "### b) What the filters do",
        "### c) Truncated networks",
        "## Task 3",
        "### d) Sum-of-squared-difference",
        "### e) Own symbols",
        "### f, g) KNN",
        "## Task 4",
        "## Extension: a pretrained network",
        "## Extension: other embedding widths",
        "## Extension: more letters",
        "## Extension: the digit transformer",
        "## Extension: a fixed Gabor",
        "## Extension: the course's transfer",
        "## Extension: every digit",
        "## Extension: why the network read",
    ]:
        assert heading in text, heading
    assert "Not run" not in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) >= 20
    for link in links:
        assert (figs / link).is_file(), link


def output_values(figs):
    """Every number the steps wrote: JSON values (and numbers in JSON strings), CSV cells, text files."""
    values = []

    def walk(x):
        if isinstance(x, bool):
            return
        if isinstance(x, (int, float)):
            values.append(float(x))
        elif isinstance(x, str):
            values.extend(float(n.replace(",", "")) for n in NUMBER.findall(x))
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(k)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for path in figs.glob("*.json"):
        walk(json.loads(path.read_text()))
    for path in figs.glob("*.csv"):
        with path.open() as f:
            for row in csv.reader(f):
                walk(row)
    for path in figs.glob("*.txt"):
        walk(path.read_text())
    return values


@pytest.mark.slow
def test_no_number_in_the_report_is_absent_from_the_step_outputs(two_runs):
    (figs, text), _ = two_runs
    text = "\n".join(
        line for line in text.splitlines() if not line.startswith(("- Libraries:", "- Machine:"))
    )
    for hits, total, percent in PERCENT_OF.findall(text):  # percentages the report derives from counts
        assert float(percent) == round(100 * int(hits) / int(total), 1)
    text = PERCENT_OF.sub(lambda m: f"{m.group(1)}/{m.group(2)}", text)
    known = set()
    for v in output_values(figs):
        for digits in range(5):
            known.update({round(v, digits), round(100 * v, digits)})
    missing = []
    for token in NUMBER.findall(text):
        x = float(token.replace(",", ""))
        if x.is_integer() and abs(x) <= 30:  # structural: step numbers, image sizes, layer counts
            continue
        if round(x, len(token.split(".")[1]) if "." in token else 0) not in known:
            missing.append(token)
    assert not missing, f"numbers in the report that no step output holds: {missing[:20]}"


def data_numbers(text):
    """The report's numbers, less run times (and the time hypothesis's claim, "**time: <verdict>**")."""
    lines = [line for line in text.splitlines() if "**time" not in line and not line.startswith("| `python")]
    return NUMBER.findall(TIMING.sub("", "\n".join(lines)))


@pytest.mark.slow
def test_two_runs_give_identical_numbers(two_runs):
    (_, first), (_, second) = two_runs
    assert data_numbers(first) == data_numbers(second)


def test_a_step_that_did_not_run_is_reported_with_its_command(tmp_path):
    text = report.build_report(tmp_path)
    for step in STEPS:
        if step.section is not None:
            assert f"`{step.results_file}` is missing. Run `{step.command}`" in text
