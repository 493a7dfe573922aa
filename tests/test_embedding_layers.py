"""Which layer embeds letters best: the layers, the distances, the table and the choice."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import netlib
from extensions import embedding_layers
from recognition import cli, embedding
from recognition.data import imagefiles
from recognition.handwriting import glyphs
from recognition.report.markdown import Outputs
from recognition.report.results import load_results


@pytest.fixture(scope="module")
def model():
    netlib.seed_everything(0)
    return netlib.MnistNet().eval()


def test_layers_have_their_widths_and_relu_links_them(model):
    images = torch.rand(3, 28, 28)
    widths = {layer: embedding.embed(model, images, layer=layer).shape for layer in embedding.LAYERS}
    assert widths == {"pixels": (3, 784), "conv": (3, 320), "hidden_pre_relu": (3, 50), "hidden": (3, 50)}
    pre, post = (embedding.embed(model, images, layer=layer) for layer in ("hidden_pre_relu", "hidden"))
    assert np.allclose(np.maximum(pre, 0), post, atol=1e-6)
    assert np.array_equal(embedding.embed(model, images), post)  # the default stays Task 3's layer
    with pytest.raises(ValueError, match="layer must be one of"):
        embedding.embed(model, images, layer="fc2")


def test_cosine_distance():
    d = embedding.cosine_matrix(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0], [0.0, 3.0]]))
    assert np.allclose(d, [[0.0, 1.0], [1 - 2**-0.5, 1 - 2**-0.5]])


def test_best_layer_prefers_more_right_then_the_assignment_layer_and_ssd():
    def row(layer, distance, right):
        return embedding.LayerScore(
            layer=layer,
            distance=distance,
            width=50,
            reference_loo=(10, 10),
            other_writers=(right, 12),
            per_writer={},
            confused={},
        )

    rows = [row("conv", "cosine", 11), row("hidden", "SSD", 11), row("pixels", "SSD", 9)]
    assert embedding.best_layer(rows).layer == "hidden"
    rows.append(row("conv", "SSD", 12))
    assert (embedding.best_layer(rows).layer, embedding.best_layer(rows).distance) == ("conv", "SSD")


def test_compare_counts_per_writer_and_ignores_other_letters(model, tmp_path):
    glyphs.write_glyph_set(tmp_path / "ref", ("alpha", "beta"), 2, seed=0, style=glyphs.COURSE_STYLE)
    glyphs.write_glyph_set(
        tmp_path / "own", ("alpha", "beta", "gamma"), per_class=1, seed=1, style=glyphs.OWN_STYLE, writers=2
    )
    ref, own = imagefiles.load_image_set(tmp_path / "ref"), imagefiles.load_image_set(tmp_path / "own")
    rows = embedding.compare_layers(model, ref, own)
    assert len(rows) == len(embedding.LAYERS) * len(embedding.DISTANCES)
    for r in rows:
        assert r.reference_loo[1] == 4 and r.other_writers[1] == 4  # gamma is not in the reference
        assert sorted(r.per_writer) == ["writer_0", "writer_1"]
        assert sum(v[0] for v in r.per_writer.values()) == r.other_writers[0]
        assert sum(r.confused.values()) == r.other_writers[1] - r.other_writers[0]


@pytest.mark.slow
def test_script_writes_its_table_and_section(model, tmp_path):
    for name, style, writers in (
        ("greek", glyphs.COURSE_STYLE, None),
        ("own", glyphs.OWN_STYLE, 2),
        ("select", glyphs.OWN_STYLE, 2),
        ("tune", glyphs.COURSE_STYLE, 2),
    ):
        glyphs.write_glyph_set(
            tmp_path / name, ("alpha", "beta"), per_class=2, seed=len(name), style=style, writers=writers
        )
    path = netlib.save_checkpoint(model, tmp_path / "m.pt", seed=0, epochs=0)
    out = embedding_layers.main(
        [
            "--model",
            str(path),
            "--greek-dir",
            str(tmp_path / "greek"),
            "--own-dir",
            str(tmp_path / "own"),
            "--select-dir",
            str(tmp_path / "select"),
            "--tune-dir",
            str(tmp_path / "tune"),
            "--figures-dir",
            str(tmp_path / "figs"),
        ]
    )
    assert out.best in out.rows and len(out.selection_rows) == len(out.rows)
    # the letter-tuned network's rows: every layer but raw pixels, chosen among on the selection writers
    per_network = len(embedding.DISTANCES) * (len(embedding.LAYERS) - 1)
    assert [r.network for r in out.rows].count(embedding_layers.TUNED) == per_network
    assert [(r.layer, r.distance, r.network) for r in out.rows] == [
        (r.layer, r.distance, r.network) for r in out.selection_rows
    ]
    chosen = embedding.best_layer(out.selection_rows)
    assert (out.best.layer, out.best.distance, out.best.network) == (
        chosen.layer,
        chosen.distance,
        chosen.network,
    )
    saved = load_results(
        embedding_layers.LayersResults, tmp_path / "figs" / embedding_layers.STEP.results_file
    )
    assert saved == out
    section = embedding_layers.report_section(saved, Outputs(tmp_path / "figs"))
    assert "| 50-d layer after ReLU (Task 3) | SSD |" in section and "writer_1" in section
    assert "| letter-tuned: convolution output (320) | cosine |" in section


def test_a_folder_named_by_its_flag_is_never_generated(tmp_path):
    flags = ("--greek-dir", "--own-dir", "--select-dir")
    for flag in flags:
        existing = [tmp_path / f"{f.strip('-')}_empty" for f in flags]
        for folder in existing:
            folder.mkdir(exist_ok=True)
        missing = tmp_path / flag.strip("-")
        folders = [missing if f == flag else folder for f, folder in zip(flags, existing)]
        with pytest.raises(cli.UserError, match=re.escape(f"{flag} {missing}")):
            embedding_layers.chosen_folders(*folders, tmp_path / "data", seed=0)
        assert not missing.exists()
    assert not (tmp_path / "data").exists()
