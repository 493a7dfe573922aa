"""Reading a photographed sheet of digits: finding, grouping, ordering, ruled lines, shadows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import netlib
import task1_train_mnist as task1
from recognition import cli
from recognition.data import sheets
from recognition.handwriting import glyphs, pages
from recognition.report.sections import task1 as section


def page(draw_digits, size=(900, 500), ruled=False, shadow=False) -> np.ndarray:
    """An RGB page in [0,1] with dark strokes; optionally ruled in light blue or half shadowed."""
    img = Image.new("RGB", size, (235, 232, 225))
    d = ImageDraw.Draw(img)
    if ruled:
        for y in range(40, size[1], 60):
            d.line([(0, y), (size[0], y)], fill=(140, 170, 230), width=2)
        d.line([(30, 0), (30, size[1])], fill=(230, 140, 140), width=2)
    draw_digits(d)
    a = np.asarray(img, np.float32) / 255
    if shadow:
        xs = np.indices(a.shape[:2])[1]
        a = a * np.where(xs > size[0] * 0.55, 0.7, 1.0)[..., None]
    return a


def one_row(d):
    """A '1', a broken '5' (flag apart from the body) and a '7' written across a ruled line."""
    d.line([(150, 150), (150, 280)], fill=(20, 20, 30), width=9)
    d.line([(330, 150), (400, 150)], fill=(20, 20, 30), width=9)  # the 5's flag ...
    d.line([(330, 172), (330, 200)], fill=(20, 20, 30), width=9)  # ... apart from its body
    d.arc([(320, 195), (410, 285)], start=200, end=160, fill=(20, 20, 30), width=9)
    d.line([(560, 150), (650, 150), (590, 285)], fill=(20, 20, 30), width=9)


def boxes_of(a: np.ndarray):
    return sheets.find_digits(sheets.preprocess.ink_map(a))[0]


@pytest.mark.parametrize("ruled, shadow", [(False, False), (True, False), (False, True), (True, True)])
def test_three_digits_found_in_order_whatever_the_paper(ruled, shadow):
    boxes = boxes_of(page(one_row, ruled=ruled, shadow=shadow))
    assert len(boxes) == 3, boxes  # no digit invented from lines or the shadow's edge, the 5 in one piece
    assert [b[0] < 250 for b in boxes] == [True, False, False]
    assert boxes[1][0] < 340 < boxes[1][2] and boxes[1][1] <= 150 and boxes[1][3] >= 280  # flag and body
    assert boxes[0][2] < boxes[1][0] < boxes[2][0]


def thin_pen_row(d):
    """Five 7s and five 0s in a thin grey ball-point, each crossing two ruled lines."""
    for x in range(100, 800, 140):
        d.line([(x, 100), (x + 30, 100), (x + 5, 215)], fill=(90, 90, 110), width=2)
        d.ellipse([(x + 60, 110), (x + 100, 210)], outline=(90, 90, 110), width=2)


@pytest.mark.parametrize("rule", [(165, 178, 210), (155, 168, 205)])
def test_ruled_lines_as_dark_as_a_thin_pen_are_not_digits(rule):
    """Lines whose ink hovers around the stroke level (paper noise) once broke into hundreds of
    pieces that were read as digits; each digit, cut by two lines, is still found once."""
    img = Image.new("RGB", (900, 500), (235, 232, 225))
    d = ImageDraw.Draw(img)
    for y in range(40, 500, 45):
        d.line([(0, y), (900, y)], fill=rule, width=2)
    thin_pen_row(d)
    noise = np.random.default_rng(0).normal(0, 0.03, (500, 900, 3)).astype(np.float32)
    boxes = boxes_of(np.clip(np.asarray(img, np.float32) / 255 + noise, 0, 1))
    assert len(boxes) == 10, boxes
    assert all(b[1] <= 115 and b[3] >= 205 for b in boxes)  # each digit whole, across its lines


def test_tall_slanted_digits_of_two_rows_stay_apart():
    """Tall 1s leaning right in two rows a few px apart, one of them running into the digit below:
    twelve digits, six in each row."""

    def two_rows(d):
        for x in range(100, 800, 120):
            for top in (40, 250):
                d.line([(x + 70, top), (x, top + 200)], fill=(20, 20, 30), width=7)
                d.line([(x + 70, top), (x + 40, top + 30)], fill=(20, 20, 30), width=7)
        d.line([(340, 240), (345, 262)], fill=(20, 20, 30), width=7)  # the third's foot touches below

    boxes = boxes_of(page(two_rows))
    assert len(boxes) == 12, boxes
    assert [b[1] < 200 for b in boxes] == [True] * 6 + [False] * 6  # the first row, then the second
    assert all(b[3] - b[1] < 240 for b in boxes)


def test_reading_order_is_rows_then_left_to_right():
    boxes = [[300, 210, 340, 260], [10, 200, 50, 250], [150, 10, 190, 60], [20, 20, 60, 70]]
    assert sheets.reading_order(boxes) == [
        [20, 20, 60, 70],
        [150, 10, 190, 60],
        [10, 200, 50, 250],
        [300, 210, 340, 260],
    ]


def test_blank_sheet_finds_nothing_and_speck_is_ignored():
    specked = page(lambda d: (d.ellipse([(400, 200), (404, 204)], fill=(20, 20, 30)), one_row(d)))
    assert len(boxes_of(specked)) == 3
    with pytest.raises(sheets.preprocess.UnreadableImage):
        boxes_of(page(lambda d: None))


def test_labels_from_file_name():
    assert sheets.labels_from_name(Path("sheet_2_9705184623.png")) == "9705184623"
    assert sheets.labels_from_name(Path("Sheet-0123456789.jpg")) == "0123456789"
    assert sheets.labels_from_name(Path("0123456789.jpg")) is None  # bare digits: a camera's too
    assert sheets.labels_from_name(Path("my_sheet.png")) is None


def test_a_sheet_is_scored_only_with_one_label_per_digit_found():
    boxes = [(0, 0, 1, 1)] * 3
    assert sheets.score(sheets.Sheet(Path("s.png"), boxes, None, labels="123", predicted=[1, 2, 4])) == (2, 3)
    assert sheets.score(sheets.Sheet(Path("s.png"), boxes[:2], None, labels="123", predicted=[1, 2])) is None
    assert sheets.score(sheets.Sheet(Path("s.png"), boxes, None, predicted=[1, 2, 3])) is None


@pytest.mark.slow
def test_generated_sheets_are_found_whole(tmp_path):
    paths = pages.write_digit_sheets(tmp_path / "sheets", seed=3)
    assert [p.name.split("_")[1] for p in paths] == ["1", "2", "3"]
    for path in paths:
        sheet = sheets.read_sheet(path)
        assert sorted(sheet.labels) == list(glyphs.DIGITS)
        assert len(sheet.boxes) == 10 and sheet.images.shape == (10, 28, 28)


def test_task1_classify_sheets_checks_its_flags(tmp_path):
    """Task 1g's sheets step: its flags, its scores, one accuracy over all own digits, its section."""
    model = netlib.MnistNet()
    with pytest.raises(cli.UserError, match="does not exist"):
        sheets.read_sheets(tmp_path / "none.png", tmp_path, 0)
    Image.fromarray((page(one_row) * 255).astype(np.uint8)).save(tmp_path / "s.png")
    with pytest.raises(cli.UserError, match="--labels"):
        task1.parse_args(["--own-digits-sheet", str(tmp_path / "s.png"), "--labels", "1x7"])
    read = sheets.read_sheets(tmp_path / "s.png", tmp_path, 0, "157")
    out = task1.classify_sheets(model, read, tmp_path / "figs", "sheet_{}.png", section.Score(5, 6))
    assert out.sheets[0].found == 3 and out.accuracy.total == 3 and out.all_own_digits.total == 9
    assert out.figures == [str(tmp_path / "figs" / "sheet_1.png")]
    assert Path(out.figures[0]).is_file()
    assert "| s.png | 3 |" in section.sheets_section(out)


def test_the_built_in_sheets_come_from_the_data_folder(tmp_path, monkeypatch):
    made = []
    monkeypatch.setattr(
        sheets.pages,
        "write_digit_sheets",
        lambda folder, seed: (made.append(folder), folder.mkdir(parents=True)),
    )
    assert sheets.source_or_built_in(None, tmp_path / "d", 3) == tmp_path / "d" / sheets.BUILT_IN
    assert made == [tmp_path / "d" / sheets.BUILT_IN]
