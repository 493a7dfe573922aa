"""The course's transfer protocol: the frozen network with a new last layer, the epoch counts,
and the whole script on a small letter set."""

import pytest
import torch

import netlib
from extensions import course_transfer as ct
from recognition.handwriting import glyphs
from recognition.report.markdown import Outputs
from recognition.report.results import load_results


def test_only_the_new_letter_layer_learns():
    digits = netlib.MnistNet()
    net = ct.letter_network(digits, 3)
    trainable = [name for name, p in net.named_parameters() if p.requires_grad]
    assert trainable == ["fc2.weight", "fc2.bias"] and net.fc2.out_features == 3
    assert digits.fc2.out_features == 10  # the digit network itself is untouched
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 3)


def test_first_epoch_counts_wrong_images():
    history = ct.EpochHistory(epoch=[0, 1, 2, 3], loss=[1.0] * 4, accuracy=[0.3, 26 / 27, 26 / 27, 1.0])
    assert ct.first_epoch(history, 27, 1) == 1
    assert ct.first_epoch(history, 27, 0) == 3
    assert ct.first_epoch(ct.EpochHistory(epoch=[0], loss=[1.0], accuracy=[0.5]), 27, 0) is None


def test_a_file_for_the_letter_folder_is_a_clear_error(tmp_path):
    (tmp_path / "x.png").write_bytes(b"")
    with pytest.raises(ct.cli.UserError, match="not a folder"):
        ct.letter_folder(tmp_path / "x.png", "course")


@pytest.mark.slow
def test_end_to_end_on_a_small_letter_set(tmp_path):
    model = netlib.save_checkpoint(netlib.MnistNet(), tmp_path / "digits.pt")
    greek, own = tmp_path / "greek", tmp_path / "own"
    glyphs.write_glyph_set(greek, ("alpha", "beta", "gamma"), per_class=3, seed=1, style=glyphs.COURSE_STYLE)
    glyphs.write_glyph_set(
        own, ("alpha", "beta", "gamma"), per_class=2, seed=2, style=glyphs.OWN_STYLE, writers=1
    )
    figs = tmp_path / "figures"
    results = ct.main(
        [
            "--greek-dir",
            str(greek),
            "--own-dir",
            str(own),
            "--model",
            str(model),
            "--epochs",
            "4",
            "--figures-dir",
            str(figs),
        ]
    )
    assert [run.recipe for run in results.runs] == ["course", "mnist"]
    for run in results.runs:
        assert run.classes == ["alpha", "beta", "gamma"] and run.train_images == 9
        assert run.history.epoch == [0, 1, 2, 3, 4] and run.own.total == 6
        assert "Linear(in_features=50, out_features=3" in run.network
    for name in ("ext_course_transfer.png", "ext_course_transfer_network.txt", ct.STEP.results_file):
        assert (figs / name).stat().st_size > 0
    saved = load_results(ct.CourseTransferResults, figs / ct.STEP.results_file)
    assert saved == results
    assert "GreekTransform" in ct.report_section(saved, Outputs(figs))
