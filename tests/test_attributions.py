"""The Captum attributions (report figure and explorer page) and their report section."""

from pathlib import Path

import explorer_support as support
import numpy as np
import pytest
import torch

import netlib
import report
from extensions import attributions
from recognition import attribution
from recognition.data import datasets, preprocess
from recognition.report.markdown import Outputs
from recognition.report.results import load_results


@pytest.fixture(scope="module")
def model(request):
    return netlib.load_checkpoint(support.trained_model(request.config.cache.mkdir("explorer")))[0]


def drawn(symbol: str) -> torch.Tensor:
    image = preprocess.preprocess_own_image(support.drawing(symbol))
    return datasets.to_model_input(torch.from_numpy(image)[None])


def test_scores_are_the_networks_answer_before_its_softmax(model):
    x = drawn("5")
    assert torch.allclose(torch.log_softmax(attribution.Scores(model)(x), 1), model(x), atol=1e-5)


def test_integrated_gradients_add_up_to_the_score_difference(model):
    """Completeness: the attributions sum to score(input) - score(black), up to the path integral's error."""
    x = drawn("3")
    scores = attribution.Scores(model)
    with torch.no_grad():
        difference = float(scores(x)[0, 3] - scores(torch.full_like(x, attribution.BLACK))[0, 3])
    total = float(attribution.integrated_gradients(model, x, 3).sum())
    assert total == pytest.approx(difference, rel=0.1)


def test_maps_are_28x28_and_grad_cam_finds_evidence_for_a_confident_answer(model):
    x = drawn("7")
    assert torch.exp(model(x))[0, 7] > 0.99  # saturated: log-probability gradients would vanish
    for method in (attribution.saliency, attribution.grad_cam, attribution.integrated_gradients):
        assert method(model, x, 7).shape == (28, 28)
    assert attribution.grad_cam(model, x, 7).max() > 0


def test_unit_scale_keeps_signs_and_zero():
    assert np.allclose(attribution.unit_scale(np.array([-2.0, 1.0])), [-1.0, 0.5])
    assert np.allclose(attribution.unit_scale(np.zeros(3)), 0)


@pytest.mark.slow
def test_end_to_end_figure_results_and_section(tmp_path, request, model):
    cache = request.config.cache.mkdir("explorer")
    own = tmp_path / "own"
    own.mkdir()
    for digit in "17":
        support.drawing(digit).save(own / f"{digit}.png")
    support.drawing("7").save(own / "1_really_a_seven.png")  # labelled 1 by its name: a misreading
    figs = tmp_path / "figures"
    greek = str(support.greek_reference(cache))
    r = attributions.main(
        [
            "--model",
            str(support.trained_model(cache)),
            "--own-digits",
            str(own),
            "--greek-dir",
            greek,
            "--greek-own-dir",
            greek,
            "--figures-dir",
            str(figs),
            "--test-images",
            "300",
        ]
    )
    names = ["attributions_mnist.png", "attributions_own_digits.png", "attributions_greek.png"]
    assert [Path(f).name for f in r.figures] == names
    assert all((figs / name).stat().st_size > 10_000 for name in names)
    assert r.own_digits_read == 3 and r.own_digits_misread == 1
    sources = [e.source for e in r.examples]
    assert sources.count("own digit") == 1 and sources.count("own Greek") == 4
    saved = load_results(attributions.AttributionsResults, figs / attributions.STEP.results_file)
    assert saved == r
    section = attributions.report_section(saved, Outputs(figs))
    assert "1_really_a_seven.png" in section and all(f"]({name})" in section for name in names)
    not_run = report.section(attributions.STEP, None, Outputs(tmp_path / "empty"))
    assert "**Not run**: `attributions_results.json` is missing" in not_run
