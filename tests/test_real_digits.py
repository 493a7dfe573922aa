"""Real digits: scikit-learn's UCI digits as scans read through the own-image recipe, and the recipe
on an evenly lit scan of heavy strokes."""

from pathlib import Path

import explorer_support as support
import numpy as np
import pytest

from extensions import real_digits
from recognition.data import preprocess


def test_a_digit_becomes_a_scan_of_dark_ink_on_white_paper():
    counts, labels = real_digits.load_uci_digits()
    assert counts.shape == (1797, 8, 8) and sorted(set(labels.tolist())) == list(range(10))
    scan = np.asarray(real_digits.as_scan(counts[0]).convert("L"))
    side = 8 * real_digits.ENLARGE + 2 * real_digits.MARGIN
    assert scan.shape == (side, side)
    assert (preprocess.border_pixels(scan, real_digits.MARGIN) == 255).all()  # the margin is paper
    inner = scan[real_digits.MARGIN : -real_digits.MARGIN, real_digits.MARGIN : -real_digits.MARGIN]
    cells = inner.reshape(8, real_digits.ENLARGE, 8, real_digits.ENLARGE).mean(axis=(1, 3))
    assert np.corrcoef(cells.ravel(), counts[0].ravel())[0, 1] < -0.95  # more ink counted, darker


@pytest.fixture(scope="module")
def model_path(request):
    return support.trained_model(request.config.cache.mkdir("explorer"))


def test_the_first_digits_are_saved_read_from_files_and_scored(model_path, tmp_path):
    args = ["--model", str(model_path), "--digits", "30", "--data-dir", str(tmp_path / "data")]
    r = real_digits.main([*args, "--figures-dir", str(tmp_path / "figures")])
    files = sorted((tmp_path / "data" / "uci_digits_first30").rglob("*.png"))
    labels = real_digits.load_uci_digits()[1]
    assert len(files) == 30 and all(f.parent.name == str(labels[int(f.stem)]) for f in files)
    assert r.digits == 30 and sum(p.right for p in r.parts) == r.right
    assert sum(map(sum, r.confusion)) + sum(m.predicted < 0 for m in r.misread) == 30
    assert r.right == sum(r.confusion[d][d] for d in range(10)) == 30 - len(r.misread)
    assert r.right >= 24  # a network trained one epoch reads most real digits
    assert Path(r.confusion_figure).is_file() and Path(r.misread_figure).is_file()


def test_an_evenly_lit_scan_keeps_its_heavy_strokes():
    """Even paper has no shading to take away, so the ink map keeps every stroke whole (the top-hat
    used to take the broad base of heavy, soft strokes: a quarter of this 5's ink); a page lit from
    one side is still flattened."""
    counts, _ = real_digits.load_uci_digits()
    for five_then_two in (5, 2):
        rgb = np.asarray(real_digits.as_scan(counts[five_then_two]), np.float32) / 255
        dark = rgb.mean(axis=2) < 0.5
        assert (preprocess.ink_map(rgb)[dark] > 0.25).mean() > 0.99
        signal = 1 - rgb.mean(axis=2)
        assert preprocess._even_paper(signal)
        lit_from_the_left = 1 - rgb.mean(axis=2) * (1 - 0.4 * np.linspace(0, 1, rgb.shape[1]))
        assert not preprocess._even_paper(lit_from_the_left)
