"""The report builder on a small run of every step: sections, figures, and numbers from outputs."""

import csv
import json
import re

import pytest

import report
import task1_train_mnist
import task2_examine
import task3_greek_embedding
import task4_experiments
from extensions import (
    attention_maps,
    attributions,
    compare_networks,
    course_transfer,
    embedding_layers,
    embedding_widths,
    gabor_layer,
    more_letters,
    pretrained_layers,
)
from recognition.handwriting import glyphs

NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")
PERCENT_OF = re.compile(r"(\d+)/(\d+) \((\d+\.\d)%\)")
TIMING = re.compile(r"-?\d+(?:\.\d+)? s\b")


def run_small_pipeline(root):
    """Every step on tiny data into root/figures, then the report; returns its text."""
    figs, models = root / "figures", root / "models"
    digits, greek, own = root / "digits", root / "greek", root / "own"
    glyphs.write_glyph_set(digits, glyphs.DIGITS, per_class=1, seed=1, style=glyphs.OWN_STYLE)
    glyphs.write_glyph_set(greek, glyphs.REFERENCE_LETTERS, per_class=3, seed=2, style=glyphs.COURSE_STYLE)
    glyphs.write_glyph_set(
        own, glyphs.REFERENCE_LETTERS, per_class=2, seed=3, style=glyphs.OWN_STYLE, writers=2
    )
    glyphs.write_glyph_set(
        root / "select", glyphs.REFERENCE_LETTERS, per_class=2, seed=4, style=glyphs.OWN_STYLE, writers=2
    )
    model = str(models / "mnist_net.pt")
    task1_train_mnist.main(
        [
            "--train-subset",
            "1000",
            "--test-subset",
            "300",
            "--epochs",
            "1",
            "--no-progress",
            "--figures-dir",
            str(figs),
            "--models-dir",
            str(models),
            "--own-digits",
            str(digits),
        ]
    )
    task2_examine.main(["--model", model, "--figures-dir", str(figs)])
    task3_greek_embedding.main(
        ["--model", model, "--greek-dir", str(greek), "--own-dir", str(own), "--figures-dir", str(figs)]
    )
    embedding_widths.main(
        [
            "--model",
            model,
            "--greek-dir",
            str(greek),
            "--own-dir",
            str(own),
            "--widths",
            "50",
            "--figures-dir",
            str(figs),
        ]
    )
    more_letters.main(
        ["--model", model, "--greek-dir", str(greek), "--own-dir", str(own), "--figures-dir", str(figs)]
    )
    embedding_layers.main(
        [
            "--model",
            model,
            "--greek-dir",
            str(greek),
            "--own-dir",
            str(own),
            "--select-dir",
            str(root / "select"),
            "--figures-dir",
            str(figs),
        ]
    )
    task4_experiments.main(
        [
            "--batch-sizes",
            "64,128",
            "--dropouts",
            "0,0.5",
            "--max-epochs",
            "2",
            "--workers",
            "1",
            "--grids",
            "report",
            "--train-subset",
            "600",
            "--test-subset",
            "200",
            "--figures-dir",
            str(figs),
        ]
    )
    pretrained_layers.main(["--figures-dir", str(figs)])
    attributions.main(
        [
            "--model",
            model,
            "--own-digits",
            str(digits),
            "--greek-dir",
            str(greek),
            "--greek-own-dir",
            str(own),
            "--figures-dir",
            str(figs),
            "--test-images",
            "300",
        ]
    )
    small = [
        "--train-subset",
        "600",
        "--test-subset",
        "200",
        "--models-dir",
        str(models),
        "--figures-dir",
        str(figs),
    ]
    attention_maps.main([*small, "--own-digits", str(digits)])
    gabor_layer.main(small)
    course_transfer.main(
        [
            "--greek-dir",
            str(greek),
            "--own-dir",
            str(own),
            "--epochs",
            "5",
            "--model",
            str(models / "mnist_net.pt"),
            "--figures-dir",
            str(figs),
        ]
    )
    compare_networks.main([*small, "--perturbed", "50", "--own-digits", str(digits)])
    return report.main(["--figures-dir", str(figs)]).read_text()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    first, second = tmp_path_factory.mktemp("run1"), tmp_path_factory.mktemp("run2")
    return (first / "figures", run_small_pipeline(first)), (second / "figures", run_small_pipeline(second))


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
    """The report's numbers, less run times (and the observation derived from them)."""
    lines = [
        line for line in text.splitlines() if "**time**" not in line and not line.startswith("| `python")
    ]
    return NUMBER.findall(TIMING.sub("", "\n".join(lines)))


@pytest.mark.slow
def test_two_runs_give_identical_numbers(two_runs):
    (_, first), (_, second) = two_runs
    assert data_numbers(first) == data_numbers(second)


def test_a_step_that_did_not_run_or_was_skipped_is_reported_with_the_reason(tmp_path):
    text = report.build_report(tmp_path)
    for step in report.STEPS:
        assert f"`{step.RESULTS_FILE}` is missing. Run `{step.COMMAND}`" in text
    (tmp_path / "ext_pretrained_results.json").write_text(json.dumps({"skipped": "no weights offline"}))
    assert "**Skipped**: no weights offline" in report.build_report(tmp_path)
