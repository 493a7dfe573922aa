"""The more-letters extension: Task 3's classifiers on every letter of a folder (by default all 24)."""

import subprocess
import sys

import pytest
from greek_helpers import LETTERS, letter_sets, quick_save, saved_network

import report
from extensions import more_letters as ext
from recognition import cli, embedding
from recognition.handwriting import glyphs
from recognition.report import plots
from recognition.report.markdown import Outputs, fraction
from recognition.report.results import load_results


@pytest.fixture
def tiny(tmp_path):
    greek, own = letter_sets(tmp_path)
    glyphs.write_glyph_set(
        tmp_path / "select", LETTERS, per_class=1, seed=7, style=glyphs.OWN_STYLE, writers=2
    )
    return tmp_path, greek, own, saved_network(tmp_path / "models" / "mnist_net.pt")


def test_every_letter_of_the_folders_is_classified_and_reported(tiny):
    tmp, greek, own, model = tiny
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots, "save_figure", quick_save)
        results = ext.main(
            [
                "--greek-dir",
                str(greek),
                "--own-dir",
                str(own),
                "--select-dir",
                str(tmp / "select"),
                "--model",
                str(model),
                "--figures-dir",
                str(tmp / "figures"),
                "--transfer-steps",
                "20",
            ]
        )
    assert results.letters == list(LETTERS)
    assert results.reference_images == 9 and results.own_images == 8
    assert results.accuracy.own_unknown == 2  # the deltas: not a reference letter
    assert results.generated == [] and results.reference_dir == str(greek)
    saved = load_results(ext.MoreLettersResults, tmp / "figures" / ext.STEP.results_file)
    assert saved == results
    text = report.section(ext.STEP, saved, Outputs(tmp / "figures"))
    assert "## Extension: more letters" in text and "3 letters, 9 reference images" in text
    loo = results.accuracy.leave_one_out
    assert "| leave-one-out | " + " | ".join(fraction(*loo.of(c)) for c in embedding.CLASSIFIERS) in text
    assert "](ext_more_letters_confusion.png)" in text
    chosen = results.reading  # the answer: the reader chosen on the selection writers, others beside
    assert chosen.select_dir == str(tmp / "select") and chosen.selection[1] == 6 and chosen.own[1] == 6
    assert f"**own letters by the chosen reader, {chosen.name} ({chosen.width}-d)" in text
    assert text.index("by the chosen reader") < text.index("| leave-one-out | ")


def test_a_given_folder_without_a_requested_letter_is_an_error_naming_both(tiny):
    tmp, greek, own, model = tiny
    with pytest.raises(cli.UserError, match=f"{greek} has no images of delta"):
        ext.main(
            [
                "--greek-dir",
                str(greek),
                "--own-dir",
                str(own),
                "--letters",
                "alpha,delta",
                "--model",
                str(model),
                "--figures-dir",
                str(tmp / "figures"),
            ]
        )


def test_without_results_the_report_says_how_to_make_them(tmp_path):
    results = Outputs(tmp_path).load(ext.MoreLettersResults, ext.STEP.results_file)
    assert "**Not run**" in report.section(ext.STEP, results, Outputs(tmp_path))


@pytest.mark.slow
def test_the_script_end_to_end(tiny):
    tmp, greek, own, model = tiny
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "extensions.more_letters",
            "--greek-dir",
            str(greek),
            "--own-dir",
            str(own),
            "--select-dir",
            str(tmp / "select"),
            "--model",
            str(model),
            "--figures-dir",
            str(tmp / "figures"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp / "figures" / "ext_more_letters_confusion.png").stat().st_size > 10_000
    assert load_results(ext.MoreLettersResults, tmp / "figures" / ext.STEP.results_file).letters == list(
        LETTERS
    )
