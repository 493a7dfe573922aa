"""The handwriting generator: names, forms and their two families, writers' habits, rendering,
contrast, file layout, atomic writes, determinism, CLI."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from recognition import cli
from recognition.data import greeksets
from recognition.handwriting import glyphs, pages, shapes
from recognition.handwriting.strokes import parse

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
    assert set(shapes.FORMS) == set(glyphs.DIGITS) | set(glyphs.GREEK_LETTERS)


@pytest.mark.parametrize("name", glyphs.DIGITS + glyphs.GREEK_LETTERS)
def test_every_template_renders_with_visible_ink(name):
    image = glyphs.render_glyph(name, np.random.default_rng(0), SMALL, glyphs.COURSE_STYLE)
    assert image.mode == "RGB" and image.size == SMALL
    assert contrast(image) > 0.25


def test_own_style_ink_stands_out_in_either_polarity():
    style = glyphs.OWN_STYLE
    seen_dark_paper = False
    for i in range(24):
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
    expected = [
        tmp_path / f"writer_{k}" / n / f"{n}_{i}.png" for k in range(3) for n in ("3", "7") for i in range(2)
    ]
    assert paths == expected
    assert files_under(tmp_path) == sorted(expected)


def test_a_failure_midway_leaves_whole_files_only(tmp_path, monkeypatch):
    """Each file is written whole or not at all: no half-written image, no temporary file."""
    encode, calls = glyphs._encode, []

    def fail_third(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return encode(*args)

    monkeypatch.setattr(glyphs, "_encode", fail_third)
    with pytest.raises(KeyboardInterrupt):
        glyphs.write_glyph_set(tmp_path, ("alpha", "beta"), 2, 0, glyphs.COURSE_STYLE)
    assert files_under(tmp_path) == [tmp_path / "alpha" / "alpha_0.png", tmp_path / "alpha" / "alpha_1.png"]
    for path in files_under(tmp_path):
        with Image.open(path) as image:
            image.load()


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
    glyphs.main(
        [
            "--kind",
            "greek",
            "--letters",
            "alpha,lambda",
            "--out",
            str(tmp_path),
            "--per-class",
            "1",
            "--seed",
            "3",
        ]
    )
    assert files_under(tmp_path) == [tmp_path / "alpha" / "alpha_0.png", tmp_path / "lambda" / "lambda_0.png"]
    assert "wrote 2 images" in capsys.readouterr().out
    with pytest.raises(cli.UserError, match="unknown digits names"):
        glyphs.main(["--kind", "digits", "--letters", "alpha", "--out", str(tmp_path)])
    sheet = tmp_path / "sheet.png"
    glyphs.main(["--letters", "alpha,beta", "--family", "others", "--writers", "3", "--preview", str(sheet)])
    with Image.open(sheet) as image:
        assert image.size == (4 * 96, 2 * 96)  # the names' column, then one per writer


# --- the own sets' allographs, writers' hands, hand-made crops and sheets ---------------------


def same_strokes(a, b) -> bool:
    return len(a) == len(b) and all(
        x.points.shape == y.points.shape and np.allclose(x.points, y.points) for x, y in zip(a, b)
    )


@pytest.mark.parametrize("name", glyphs.DIGITS + glyphs.GREEK_LETTERS)
def test_every_symbol_has_several_forms_in_two_disjoint_families(name):
    reference, others = shapes.forms(name, "reference"), shapes.forms(name, "others")
    assert len(reference) >= 2 and len(others) >= 2
    assert len(reference) + len(others) >= 4
    assert set(reference).isdisjoint(others)
    assert shapes.forms(name, "all") == {**reference, **others}
    for strokes in others.values():
        assert not any(same_strokes(strokes, ref) for ref in reference.values())
    for strokes in {**reference, **others}.values():  # every form fits its unit box
        points = np.vstack([s.points for s in strokes])
        assert points.min() >= -0.05 and points.max() <= 1.05


def test_an_unknown_family_or_stroke_is_refused():
    with pytest.raises(ValueError, match="family"):
        shapes.forms("alpha", "mine")
    with pytest.raises(ValueError, match="family"):
        glyphs.writer_styles(glyphs.Style(side=(64, 64), family="own"), 2, seed=0)
    with pytest.raises(ValueError, match="bad stroke"):
        parse("c 10 10 20")


def test_each_writer_keeps_one_form_and_writers_cover_the_forms():
    writers = glyphs.writer_styles(glyphs.OWN_STYLE, 3, seed=5)
    for name in ("alpha", "beta", "gamma", "lambda", "1", "7"):
        chosen = [dict(w.hand)[name] for w in writers]
        # dealt like pens: no form repeats before every form is used
        assert len(set(chosen)) == min(3, len(shapes.forms(name, "others")))
        assert set(chosen) <= set(shapes.forms(name, "others"))
        strokes = {id(glyphs.template(name, np.random.default_rng(i), writers[0])) for i in range(5)}
        assert len(strokes) == 1  # the same writer always uses their form
        assert {glyphs.dealt_form(name, writers[0], i) for i in range(5)} == {chosen[0]}
    assert glyphs.writer_styles(glyphs.OWN_STYLE, 3, seed=5) == writers  # repeatable


def test_the_reference_set_draws_every_reference_form_in_turn():
    for name in ("alpha", "theta", "sigma", "7"):
        family = shapes.forms(name, "reference")
        dealt = [glyphs.dealt_form(name, glyphs.COURSE_STYLE, i) for i in range(len(family))]
        assert sorted(dealt) == sorted(family)
        for i in range(8):  # without a form asked for, a random one, but of the style's family
            strokes = glyphs.template(name, np.random.default_rng(i), glyphs.COURSE_STYLE)
            assert any(strokes is f for f in family.values())


def test_writers_differ_in_slant_width_and_pen_and_keep_them():
    writers = glyphs.writer_styles(glyphs.OWN_STYLE, 8, seed=3)
    slants = [np.degrees(np.arctan(np.mean(w.slant))) for w in writers]
    assert min(slants) < 5 and max(slants) > 15  # upright to clearly leaning right
    assert all(np.ptp(np.degrees(np.arctan(w.slant))) < 8 for w in writers)  # each their own
    pens = [np.mean(w.thickness) for w in writers]
    assert max(pens) > 2 * min(pens)  # a thin ball-point beside a marker
    assert np.ptp([np.mean(w.narrow) for w in writers]) > 0.1
    assert len({w.shape_seed for w in writers}) == 8


def test_a_writers_letters_lean_their_way():
    """The ink of a left-leaning and a right-leaning writer's 1s leans their way."""

    def lean(slant: float) -> float:
        style = dataclasses.replace(glyphs.COURSE_STYLE, slant=(slant, slant), rotation=0.0, hooks=(0, 0))
        image = glyphs.render_glyph("1", np.random.default_rng(0), (96, 96), style, form="plain stick")
        ink = np.asarray(image.convert("L"), float) < 128
        rows, cols = np.nonzero(ink)
        return float(np.polyfit(rows, cols, 1)[0])  # x per y: negative when the top is to the right

    assert lean(0.6) < -0.3 < lean(0.0) < 0.3 and lean(-0.18) > 0.05


def test_hand_made_crops_are_28x28_and_look_like_their_kind(tmp_path):
    paths = pages.write_crops_28(tmp_path, ("3", "7"), per_class=3, seed=1)
    assert [p.name for p in paths[:3]] == ["3_0_faint.png", "3_1_blurred.png", "3_2_small.png"]
    for path in paths:
        a = np.asarray(Image.open(path))
        assert a.shape == (28, 28) and a.max() > 20
        if "faint" in path.name:
            assert a.max() < 170
        if "small" in path.name:
            paper = np.median(a)
            rows, cols = np.nonzero(a > paper + (a.max() - paper) / 2)
            assert max(np.ptp(rows), np.ptp(cols)) < 18


def test_an_interrupted_set_leaves_no_half_folder(tmp_path, monkeypatch):
    """A generated set appears whole or not at all: later runs take an existing folder as complete."""

    def fail_at_the_crops(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pages, "write_crops_28", fail_at_the_crops)
    with pytest.raises(KeyboardInterrupt):
        pages.write_own_digits(tmp_path / "own", seed=1)
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary sibling


def test_a_written_set_names_its_files_where_they_are(tmp_path):

    paths = greeksets.generate_letter_set(tmp_path / "greek", all_letters=False, own=False, seed=2)
    assert paths and all(p.is_file() and p.parent.parent == tmp_path / "greek" for p in paths)
