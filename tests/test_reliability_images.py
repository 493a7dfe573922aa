"""Issue 23, items 2-6, 9, 10, 19, 25 and 26: people's own images and sheets, read as they are meant
or refused in one line; never a silently wrong score."""

import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import netlib
import task1_train_mnist as task1
from recognition import cli
from recognition.data import imagefiles, sheets

PAPER, INK = (235, 232, 225), (20, 20, 30)


def ring(d: ImageDraw.ImageDraw, x: int, y: int, size: int = 36) -> None:
    """A '0' whose top left corner is at (x, y)."""
    d.ellipse([(x, y), (x + size * 0.7, y + size)], outline=INK, width=max(3, size // 9))


def sheet_of_rings(path: Path, rows: int, cols: int, step: int = 60) -> Path:
    img = Image.new("RGB", (cols * step + 40, rows * step + 40), PAPER)
    d = ImageDraw.Draw(img)
    for r in range(rows):
        for c in range(cols):
            ring(d, 30 + c * step, 20 + r * step)
    img.save(path)
    return path


def photo(path: Path, draw, size=(200, 200), mode="RGB", paper=PAPER) -> Path:
    img = Image.new(mode, size, paper)
    draw(ImageDraw.Draw(img))
    img.save(path)
    return path


# --- sheets ----------------------------------------------------------------------------------


def test_a_cameras_file_name_is_not_read_as_labels(tmp_path):
    """Item 2: IMG_20231105_143022.png was scored against the digits 143022."""
    path = sheet_of_rings(tmp_path / "IMG_20231105_143022.png", 1, 6)
    sheet = sheets.classify_sheet(netlib.MnistNet().eval(), path)
    assert sheet.labels is None and sheets.score(sheet) is None
    named = sheet_of_rings(tmp_path / "sheet_2_000000.png", 1, 6)
    assert sheets.score(sheets.classify_sheet(netlib.MnistNet().eval(), named))[1] == 6


@pytest.mark.parametrize("labels", ["000", "000000000"])
def test_labels_of_another_count_than_the_digits_found_are_one_line_before_any_work(tmp_path, labels):
    """Item 3: --labels 012 on a sheet of ten digits scored 0/10 right, silently."""
    sheet = sheet_of_rings(tmp_path / "page.png", 1, 6)
    (tmp_path / "own").mkdir()
    photo(tmp_path / "own" / "0.png", lambda d: ring(d, 60, 40, 100))
    argv = ["--no-train", "--own-digits", tmp_path / "own", "--own-digits-sheet", sheet, "--labels", labels]
    argv += ["--model", tmp_path / "none.pt", "--figures-dir", tmp_path / "figs"]
    with pytest.raises(cli.UserError, match=f"{len(labels)} digits, but 6 were found on {sheet}"):
        task1.main([str(a) for a in argv])


def test_a_page_of_225_digits_is_read_whole(tmp_path):
    """Item 4: "200 digits found", the last 25 dropped without a word. (Found, not preprocessed: the
    recipe on 225 crops takes most of a minute on a loaded 2-core machine.)"""
    page = np.asarray(imagefiles.read_image(sheet_of_rings(tmp_path / "page.png", 15, 15)), np.float32)
    boxes, _ = sheets.find_digits(sheets.preprocess.ink_map(page / 255))
    assert len(boxes) == 225 and len(boxes) <= sheets.MAX_DIGITS


def test_marks_beyond_the_limit_are_said(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_DIGITS", 4)
    sheet = sheets.read_sheet(sheet_of_rings(tmp_path / "page.png", 1, 6))
    assert len(sheet.boxes) == 4 and sheet.dropped == 2
    assert "2 more digit-like marks, not read" in sheets.notes(sheet)[0]


def test_a_blank_sheet_is_one_line_naming_it(tmp_path):
    """Item 9: a blank sheet ended in an UnreadableImage traceback."""
    blank = photo(tmp_path / "blank.png", lambda d: None, size=(600, 400))
    (tmp_path / "own").mkdir()
    photo(tmp_path / "own" / "0.png", lambda d: ring(d, 60, 40, 100))
    argv = ["--no-train", "--own-digits", tmp_path / "own", "--own-digits-sheet", blank]
    argv += ["--model", tmp_path / "none.pt", "--figures-dir", tmp_path / "figs"]
    with pytest.raises(cli.UserError, match=f"--own-digits-sheet {blank}: no ink found"):
        task1.main([str(a) for a in argv])
    folder = tmp_path / "sheets"
    folder.mkdir()
    os.replace(blank, folder / "blank.png")
    sheet_of_rings(folder / "page.png", 1, 3)
    read = sheets.read_sheets(folder, tmp_path, 0)  # in a folder of sheets: skipped and reported
    assert [s.path.name for s in read.sheets] == ["page.png"] and read.skipped[0][0].name == "blank.png"


@pytest.mark.parametrize("labels", ["²³", "０１２", "12a", "-1"])
def test_labels_that_are_not_the_digits_0_to_9_are_one_line(labels):
    """Item 10: --labels ²³ (str.isdigit() says yes) ended in a ValueError traceback."""
    with pytest.raises(cli.UserError, match="--labels .* must be the digits 0-9"):
        task1.parse_args(["--own-digits-sheet", "page.png", "--labels", labels])


# --- single images ---------------------------------------------------------------------------


def test_noise_and_two_digits_are_flagged_as_not_one_symbol(tmp_path):
    """Item 5: uniform noise was read as an 8, two digits side by side as one of them, without a word."""
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((300, 300)) * 255).astype(np.uint8)).save(tmp_path / "noise.png")
    photo(tmp_path / "two.png", lambda d: (ring(d, 20, 50, 100), ring(d, 110, 50, 100)), size=(220, 200))
    photo(tmp_path / "one.png", lambda d: ring(d, 60, 40, 110))

    def five(d):  # its flag is a separate stroke, far smaller than the digit
        d.line([(70, 40), (140, 40)], fill=INK, width=9)
        d.line([(70, 62), (70, 90)], fill=INK, width=9)
        d.arc([(60, 85), (150, 175)], start=200, end=160, fill=INK, width=9)

    photo(tmp_path / "five.png", five)
    images = imagefiles.load_image_set(tmp_path, vocabulary=set("0123456789"))
    doubts = {p.name: d for p, d in zip(images.paths, images.doubts)}
    assert "noise" in doubts["noise.png"] and "2 separate marks" in doubts["two.png"]
    assert doubts["one.png"] is None and doubts["five.png"] is None
    notes = images.notes(tmp_path, "3.png")
    assert any(n.startswith("two.png: 2 separate marks") for n in notes)


def test_unlabelled_images_are_counted_and_names_with_spaces_or_dashes_labelled(tmp_path):
    """Item 6: 5 of 8 images scored, "5/5", without saying 3 had no label."""
    for name in ["5 with space.png", "-4.png", "--help.png", "IMG_1234.png", "3_b.png"]:
        photo(tmp_path / name, lambda d: ring(d, 60, 40, 110))
    images = imagefiles.load_image_set(tmp_path, vocabulary=set("0123456789"))
    labels = {p.name: y for p, y in zip(images.paths, images.labels)}
    assert labels == {
        "5 with space.png": "5",
        "-4.png": "4",
        "--help.png": None,
        "IMG_1234.png": None,
        "3_b.png": "3",
    }
    note = images.notes(tmp_path, "3.png or 3/x.png")[-1]
    assert (
        note.startswith("2 of 5 images have no label (--help.png, IMG_1234.png)")
        and "3.png or 3/x.png" in note
    )


def test_a_named_pipe_in_the_folder_is_skipped_not_waited_for(tmp_path):
    """Item 19: a FIFO named 5_pipe.png hung the run."""
    photo(tmp_path / "3.png", lambda d: ring(d, 60, 40, 110))
    os.mkfifo(tmp_path / "5_pipe.png")
    found = []
    reader = threading.Thread(target=lambda: found.append(imagefiles.load_image_set(tmp_path)), daemon=True)
    reader.start()
    reader.join(timeout=60)
    if reader.is_alive():  # let the blocked open go, so the test ends
        fd = os.open(tmp_path / "5_pipe.png", os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("reading the folder waited on the named pipe")
    images = found[0]
    assert [p.name for p in images.paths] == ["3.png"]
    assert images.skipped == [(tmp_path / "5_pipe.png", "not a regular file (a named pipe)")]


def test_a_device_is_said_to_be_no_folder_or_image(tmp_path):
    """Item 26: --own-digits /dev/zero said "does not exist"."""
    with pytest.raises(cli.UserError, match="/dev/zero is not a folder or an image file"):
        task1.own_digits_folder(Path("/dev/zero"), tmp_path, False, 0)
    with pytest.raises(cli.UserError, match="not a folder or an image file"):
        sheets.read_sheets(Path("/dev/null"), tmp_path, 0)


@pytest.mark.parametrize("hidden_colour", [(0, 0, 0, 0), (255, 255, 255, 0)])
def test_white_ink_on_a_transparent_background_is_read_from_the_alpha_channel(tmp_path, hidden_colour):
    """Item 25: white strokes on transparent pixels (black or white under them) were "blank"."""

    def strokes(d):
        d.ellipse([(60, 40), (140, 160)], outline=(255, 255, 255, 255), width=12)

    photo(tmp_path / "0.png", strokes, mode="RGBA", paper=hidden_colour)
    photo(tmp_path / "ref.png", lambda d: d.ellipse([(60, 40), (140, 160)], outline=INK, width=12))
    images = imagefiles.load_image_set(tmp_path)
    assert images.skipped == [] and len(images.paths) == 2
    drawn, reference = images.images.numpy()
    assert np.corrcoef(drawn.ravel(), reference.ravel())[0, 1] > 0.95


def test_a_transparent_image_without_marks_says_so(tmp_path):
    photo(tmp_path / "0.png", lambda d: None, mode="RGBA", paper=(255, 255, 255, 0))
    reason = imagefiles.load_image_set(tmp_path).skipped[0][1]
    assert "looks blank" in reason and "transparency" in reason
