"""The handwriting generator: names, rendering, contrast, file layout, determinism, CLI."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import glyphs

SMALL = (64, 64)


def contrast(image: Image.Image) -> float:
    """How far the extreme pixels (the ink, either polarity) stand from the median (the paper)."""
    luma = np.asarray(image.convert("RGB"), dtype=float) @ glyphs.LUMA / 255
    darkest, paper, brightest = np.percentile(luma, [0.2, 50, 99.8])
    return max(paper - darkest, brightest - paper)


def files_under(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_alphabets():
    assert glyphs.DIGITS == tuple("0123456789")
    assert len(glyphs.GREEK_LETTERS) == 24 == len(set(glyphs.GREEK_LETTERS))
    assert glyphs.GREEK_LETTERS[:3] == glyphs.COURSE_LETTERS == ("alpha", "beta", "gamma")
    assert glyphs.GREEK_LETTERS[-1] == "omega"
    assert set(glyphs.REFERENCE_LETTERS) <= set(glyphs.GREEK_LETTERS)
    assert set(glyphs.TEMPLATES) == set(glyphs.DIGITS) | set(glyphs.GREEK_LETTERS)


@pytest.mark.parametrize("name", glyphs.DIGITS + glyphs.GREEK_LETTERS)
def test_every_template_renders_with_visible_ink(name):
    image = glyphs.render_glyph(name, np.random.default_rng(0), SMALL, glyphs.COURSE_STYLE)
    assert image.mode == "RGB" and image.size == SMALL
    assert contrast(image) > 0.25


def test_own_style_ink_stands_out_in_either_polarity():
    style = glyphs.OWN_STYLE
    seen_dark_paper = False
    for i in range(12):
        rng = np.random.default_rng(i)
        image = glyphs.render_glyph(glyphs.DIGITS[i % 10], rng, (160, 120), style)
        assert contrast(image) > 0.25
        seen_dark_paper |= np.median(np.asarray(image)) < 100
    assert seen_dark_paper


def test_unknown_name_raises_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="'sampi'"):
        glyphs.render_glyph("sampi", np.random.default_rng(0), SMALL, glyphs.COURSE_STYLE)
    with pytest.raises(ValueError, match="'Alpha'"):
        glyphs.write_glyph_set(tmp_path, ["alpha", "Alpha"], 1, 0, glyphs.COURSE_STYLE)
    assert files_under(tmp_path) == []


def test_layout_without_writers(tmp_path):
    paths = glyphs.write_glyph_set(tmp_path, glyphs.COURSE_LETTERS, 2, 0, glyphs.COURSE_STYLE)
    expected = [tmp_path / n / f"{n}_{i}.png" for n in glyphs.COURSE_LETTERS for i in range(2)]
    assert paths == expected
    assert files_under(tmp_path) == sorted(expected)  # no temporary files left behind


def test_layout_with_writers(tmp_path):
    paths = glyphs.write_glyph_set(tmp_path, ["3", "7"], 2, 0, glyphs.COURSE_STYLE, writers=3)
    expected = [tmp_path / f"writer_{k}" / n / f"{n}_{i}.png"
                for k in range(3) for n in ("3", "7") for i in range(2)]
    assert paths == expected
    assert files_under(tmp_path) == sorted(expected)


def test_course_style_images(tmp_path):
    for path in glyphs.write_glyph_set(tmp_path, glyphs.COURSE_LETTERS, 3, 1, glyphs.COURSE_STYLE):
        with Image.open(path) as image:
            assert image.format == "PNG" and image.mode == "RGB"
            assert image.width == image.height and 128 <= image.width <= 140
            rgb = np.asarray(image, dtype=int)
        assert np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max() <= 12  # greyscale-looking
        assert np.median(rgb) > 200  # light paper


def test_own_style_images(tmp_path):
    paths = glyphs.write_glyph_set(tmp_path, ["4"], 8, 3, glyphs.OWN_STYLE)
    formats = set()
    for path in paths:
        with Image.open(path) as image:
            formats.add(image.format)
            assert image.mode == "RGB" and 200 <= min(image.size) <= 640
            assert path.suffix == {"PNG": ".png", "JPEG": ".jpg"}[image.format]
    assert formats == {"PNG", "JPEG"}


def test_same_arguments_same_bytes_and_other_seed_differs(tmp_path):
    def written(folder, seed, names=("alpha", "9")):
        paths = glyphs.write_glyph_set(tmp_path / folder, names, 2, seed, glyphs.OWN_STYLE, writers=2)
        return {p.relative_to(tmp_path / folder): p.read_bytes() for p in paths}

    first, again, other = written("a", 5), written("b", 5), written("c", 6)
    assert first == again
    assert set(first.values()).isdisjoint(other.values())
    alone = written("d", 5, names=("9",))  # a file does not depend on the other names asked for
    assert all(alone[k] == first[k] for k in alone)


def test_writers_get_distinct_pens_and_a_chalk_board():
    styles = glyphs.writer_styles(glyphs.OWN_STYLE, 3, seed=0)
    assert len({s.pens[0] for s in styles}) == 3
    assert sorted(s.inverted_probability for s in styles) == [0.0, 0.0, 1.0]


def test_command_line(tmp_path, capsys):
    glyphs.main(["--kind", "greek", "--letters", "alpha,lambda", "--out", str(tmp_path),
                 "--per-class", "1", "--seed", "3"])
    assert files_under(tmp_path) == [tmp_path / "alpha" / "alpha_0.png",
                                     tmp_path / "lambda" / "lambda_0.png"]
    assert "wrote 2 images" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        glyphs.main(["--kind", "digits", "--letters", "alpha", "--out", str(tmp_path)])
