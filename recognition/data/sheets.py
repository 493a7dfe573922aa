"""A photographed sheet of many digits -> one MNIST-style input per digit, in reading order.

The assignment's "write the digits on white paper and take a picture", read as a whole page:
the ink is found as in the one-symbol recipe (`preprocess.ink_map`: any ink colour, shadows and
uneven light taken out), ruled lines are taken away (ink runs far longer than any digit, found
at any strength, so a line as dark as a thin ball-point's strokes goes whole), ink blobs are
grouped into digits (pieces of one digit, such as a 5's flag or strokes a ruled line cut,
overlap in x and lie close in y, and together are no taller than a digit: tall slanted digits of
two rows stay apart, and ink that touches across rows is cut between them), specks are dropped,
and the digits are ordered in rows, left to right. Each digit's own ink is cropped and put
through the recipe. Task 1g reads, classifies and draws the sheets (`task1_train_mnist.py`):

    python task1_train_mnist.py --no-train --own-digits-sheet sheet.jpg --labels 0123456789
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from recognition import cli
from recognition.data import datasets, imagefiles, preprocess
from recognition.handwriting import pages

INK_LEVEL = 0.3  # of the cleaned ink map: what counts as a stroke pixel
LINE_LEVEL = 0.02  # ruled lines are looked for in all ink above the paper, however faint
LINE_GAP = 7  # px: gaps this short along a ruled line (noise, a missed pixel) are bridged first
LINE_OVER_PAGE = (0.2, 0.6)  # ruled lines: runs over 0.2 of the width (across) or 0.6 of the height (down)
# Grouping blobs into digits, in a digit's own measures (its height, its ink):
DIGIT_MASS = 0.25  # blobs with at least this share of the most ink are whole digits or most of one
TALLEST_DIGIT = 1.7  # a group of pieces taller than this many typical digit heights is two digits
STACKED = 0.3  # boxes overlapping in x by this share of the narrower one may be one digit's pieces
PIECE, REACH = 0.5, 0.25  # a blob with under half a digit's ink joins a box within a quarter digit,
TOUCH = 0.06  # and any blob joins one this close (of a digit's height)
SPECK_OVER_TYPICAL = 0.05  # a blob with less ink than this share of a typical digit's is a speck,
SHORTEST_DIGIT = 0.4  # and so is one less tall than this share of a digit (dirt),
WIDEST_STROKE = 2.5  # and one whose strokes are this many times wider than the digits' (a shadow's corner)
MAX_DIGITS = (
    1000  # read at most this many marks on one sheet (a page of 15 x 15 digits is 225); more are said
)
BUILT_IN = "own_digit_sheets"  # DATA_DIR/own_digit_sheets: generated when missing and no sheet is given


@dataclass
class Sheet:
    """The digits found on one sheet: boxes (x0, y0, x1, y1) in reading order and their inputs."""

    path: Path
    boxes: list[tuple[int, int, int, int]]
    images: torch.Tensor  # (N, 28, 28) in [0, 1]
    labels: str | None = None  # the digits written, in reading order, when known
    predicted: list[int] = field(default_factory=list)
    dropped: int = 0  # digit-like marks beyond MAX_DIGITS, not read

    def labels_fit(self) -> bool:
        """Whether there is one label per digit found (labels are matched in reading order)."""
        return self.labels is not None and len(self.labels) == len(self.boxes)


def ruled_lines(faint: np.ndarray) -> np.ndarray:
    """Long straight horizontal and vertical runs of ink (ruled lines, a margin, a page edge),
    widened a little: looked for in `faint`, all the ink above the paper, where a line only partly
    as dark as the strokes is still whole (short gaps along it are bridged first)."""
    h, w = faint.shape
    along = ndimage.binary_closing(faint, structure=np.ones((1, LINE_GAP)))
    down = ndimage.binary_closing(faint, structure=np.ones((LINE_GAP, 1)))
    across = ndimage.binary_opening(along, structure=np.ones((1, max(3, int(w * LINE_OVER_PAGE[0])))))
    down = ndimage.binary_opening(down, structure=np.ones((max(3, int(h * LINE_OVER_PAGE[1])), 1)))
    return ndimage.binary_dilation(across | down, structure=np.ones((3, 3)), iterations=2)


def without_ruled_lines(mask: np.ndarray, faint: np.ndarray | None = None) -> np.ndarray:
    """`mask` without the ruled lines found in `faint` (default: `mask` itself)."""
    return mask & ~ruled_lines(mask if faint is None else faint)


def _bridges(mask: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """The parts of ruled lines that a stroke crosses (stroke pixels close on both sides, however
    slanted the stroke): they join a digit's pieces when the digits are grouped."""
    closed = ndimage.binary_closing(mask, structure=np.ones((2 * LINE_GAP + 1, 2 * LINE_GAP + 1)))
    return closed & lines & ~mask


def _merge_boxes(
    boxes: list[list[int]],
    mass: list[float],
    tallest: float = np.inf,
    piece: float = 0.0,
    reach: float = 0.0,
    touch: float = 0.0,
) -> list[list[int]]:
    """Join boxes that are pieces of one digit, the closest pair first, while the two together are
    no taller and no wider than `tallest` px: boxes stacked (overlapping in x by a third of the
    narrower one, at most a third of the taller one apart in y), or a piece (less ink than `piece`: a
    stroke a pen lift or a ruled line cut off) within `reach` px of another box."""
    boxes, mass = [list(b) for b in boxes], list(mass)
    while len(boxes) > 1:
        x0, y0, x1, y1 = np.array(boxes, float).T
        m = np.array(mass)
        overlap_x = np.minimum.outer(x1, x1) - np.maximum.outer(x0, x0)
        overlap_y = np.minimum.outer(y1, y1) - np.maximum.outer(y0, y0)
        w, h = x1 - x0, y1 - y0
        stacked = (overlap_x >= STACKED * np.minimum.outer(w, w)) & (-overlap_y <= np.maximum.outer(h, h) / 3)
        distance = np.hypot(np.clip(-overlap_x, 0, None), np.clip(-overlap_y, 0, None))
        near = ((np.minimum.outer(m, m) < piece) & (distance <= reach)) | (distance <= touch)
        size = np.maximum(
            np.maximum.outer(y1, y1) - np.minimum.outer(y0, y0),
            np.maximum.outer(x1, x1) - np.minimum.outer(x0, x0),
        )
        ok = (stacked | near) & (size <= tallest)
        np.fill_diagonal(ok, False)
        if not ok.any():
            break
        # the closest pair; among overlapping ones, the pair that overlaps most (of the smaller box)
        shared = np.clip(overlap_x, 0, None) * np.clip(overlap_y, 0, None) / np.minimum.outer(w * h, w * h)
        i, j = sorted(np.unravel_index(np.argmin(np.where(ok, distance - shared, np.inf)), ok.shape))
        a, b = boxes[i], boxes.pop(j)
        boxes[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
        mass[i] += mass.pop(j)
    return boxes


def _split_tall(box: list[int], mask: np.ndarray, tallest: float) -> list[list[int]]:
    """A box taller than `tallest` px holds digits of two rows whose ink touches: cut it where
    the fewest stroke pixels cross, in its middle half, and shrink each part to its own ink."""
    x0, y0, x1, y1 = box
    if y1 - y0 <= tallest:
        return [box]
    rows = mask[y0:y1, x0:x1].sum(axis=1)
    quarter = (y1 - y0) // 4
    cut = y0 + quarter + int(np.argmin(rows[quarter : len(rows) - quarter]))
    parts = []
    for top, bottom in ((y0, cut), (cut, y1)):
        ys, xs = np.nonzero(mask[top:bottom, x0:x1])
        if ys.size:
            part = [x0 + int(xs.min()), top + int(ys.min()), x0 + int(xs.max()) + 1, top + int(ys.max()) + 1]
            parts += _split_tall(part, mask, tallest)
    return parts


def reading_order(boxes: list[list[int]]) -> list[list[int]]:
    """Rows top to bottom (a box whose middle lies below the row's by over half a digit starts a
    new row), each row left to right."""
    if not boxes:
        return []
    height = float(np.median([b[3] - b[1] for b in boxes]))
    rows: list[list[list[int]]] = []
    for box in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        middle = (box[1] + box[3]) / 2
        if rows and middle - np.mean([(b[1] + b[3]) / 2 for b in rows[-1]]) <= 0.5 * height:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [box for row in rows for box in sorted(row, key=lambda b: b[0])]


def find_digits(ink: np.ndarray) -> tuple[list[tuple[int, int, int, int]], np.ndarray]:
    """Boxes of the digits on a sheet's ink map, in reading order, and the stroke mask they cover."""
    lines = ruled_lines(ink > LINE_LEVEL)
    mask = (ink > INK_LEVEL) & ~lines
    labelled, count = ndimage.label(mask | _bridges(mask, lines), structure=np.ones((3, 3)))
    if count == 0:
        return [], mask
    slices = ndimage.find_objects(labelled)
    mass = ndimage.sum_labels(ink, labelled, index=np.arange(1, count + 1))
    boxes = [[s[1].start, s[0].start, s[1].stop, s[0].stop, m] for s, m in zip(slices, mass)]
    # A digit's height and ink: the blobs with much of the most ink are whole digits (their
    # pieces joined across the ruled lines their strokes cross) or most of one.
    digit = mass >= DIGIT_MASS * mass.max()
    height = float(np.quantile([b[3] - b[1] for b, d in zip(boxes, digit) if d], 0.8))
    typical = float(np.median(mass[digit]))
    # pieces first, so that a digit's parts join before specks are judged by their ink
    joined = _merge_boxes(
        [b[:4] for b in boxes],
        list(mass),
        TALLEST_DIGIT * height,
        PIECE * typical,
        REACH * height,
        TOUCH * height,
    )
    tallest = TALLEST_DIGIT * height
    joined = [part for b in joined for part in _split_tall(b, mask, tallest)]
    inside = [float((ink[y0:y1, x0:x1] * mask[y0:y1, x0:x1]).sum()) for x0, y0, x1, y1 in joined]
    widths = [preprocess.stroke_width(mask[y0:y1, x0:x1]) for x0, y0, x1, y1 in joined]
    digits = [m >= DIGIT_MASS * max(inside) for m in inside]
    typical = float(np.median(np.array(inside)[digits]))
    pen = float(np.median(np.array(widths)[digits]))
    kept = [
        b
        for b, m, w in zip(joined, inside, widths)
        if m >= SPECK_OVER_TYPICAL * typical
        and b[3] - b[1] >= SHORTEST_DIGIT * height
        and w <= WIDEST_STROKE * pen
    ]
    return [tuple(b) for b in reading_order(kept)], mask


def digit_input(ink: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The box's own strokes (not a neighbour's, not a ruled line's) through the recipe."""
    x0, y0, x1, y1 = box
    own = ndimage.binary_dilation(mask[y0:y1, x0:x1], iterations=2)
    crop = np.pad(ink[y0:y1, x0:x1] * own, max(4, (y1 - y0) // 4))
    return preprocess.preprocess_own_image(Image.fromarray((crop * 255).astype(np.uint8)))


# A sheet's name gives its labels only when it says so: "sheet", an optional number, then the digits
# written (sheet_7294058136.png, sheet_2_9705184623.jpg, Sheet-3-0123.png). A camera's name
# (IMG_20231105_143022.png) is never read as labels.
LABEL_NAME = re.compile(r"sheet(?:[_-][0-9]+)?[_-]([0-9]+)", re.IGNORECASE)


def labels_from_name(path: Path) -> str | None:
    """'sheet_1_7294058136.png' -> '7294058136': the digits written, when the name is LABEL_NAME."""
    match = LABEL_NAME.fullmatch(path.stem)
    return match.group(1) if match else None


def check_labels(text: str) -> str:
    """--labels: the digits 0-9 only (no ² or ３), one per digit on the sheet in reading order."""
    if not re.fullmatch(r"[0-9]+", text):
        raise cli.UserError(
            f"--labels {text!r} must be the digits 0-9 written on the sheet, in reading order (rows, "
            "left to right), e.g. --labels 0123456789"
        )
    return text


def read_sheet(path: Path, labels: str | None = None) -> Sheet:
    """Find, crop and preprocess every digit on the sheet at `path` (at most MAX_DIGITS; the rest are
    counted in `dropped`)."""
    rgb = np.asarray(imagefiles.read_image(path).convert("RGB"), np.float32) / 255
    ink = preprocess.ink_map(rgb)
    boxes, mask = find_digits(ink)
    dropped, boxes = max(0, len(boxes) - MAX_DIGITS), boxes[:MAX_DIGITS]
    inputs = [digit_input(ink, mask, box) for box in boxes]
    images = torch.from_numpy(np.stack(inputs)) if inputs else torch.zeros(0, 28, 28)
    labels = labels if labels is not None else labels_from_name(path)
    return Sheet(path, boxes, images, labels, dropped=dropped)


@dataclass
class SheetSet:
    """The sheets of one source, read (digits found, not yet classified), and those that could not be."""

    source: Path
    generated: bool  # the built-in sheets
    sheets: list[Sheet]
    skipped: list[tuple[Path, str]]


def read_sheets(given: Path | None, data_dir: Path, seed: int, labels: str | None = None) -> SheetSet:
    """Every sheet of `given` (a photo or a folder; None: the built-in sheets), read before any work.

    A sheet that is given alone and cannot be read (blank, not an image) is a UserError, one in a folder
    is skipped and reported; `labels` (--labels) must give one digit per digit found on every sheet."""
    source = source_or_built_in(given, data_dir, seed)
    read, skipped = [], []
    for path in sheet_paths(source):
        try:
            sheet = read_sheet(path, labels)
        except preprocess.UnreadableImage as err:
            if source.is_file():
                reason = str(err).removeprefix(f"{path}: ")
                raise cli.UserError(f"--own-digits-sheet {path}: {reason}; give a photo of a sheet of digits")
            skipped.append((path, str(err).removeprefix(f"{path}: ")))
            continue
        if labels is not None and not sheet.labels_fit():
            raise cli.UserError(
                f"--labels {labels} gives {len(labels)} digits, but {len(sheet.boxes)} were found on "
                f"{path}; give one label per digit found, in reading order (rows, left to right)"
            )
        read.append(sheet)
    return SheetSet(source, given is None, read, skipped)


@torch.inference_mode()
def classify_sheet(model: torch.nn.Module, sheet: Sheet | Path, labels: str | None = None) -> Sheet:
    """The model's prediction for each digit found on a sheet (read first when given its path)."""
    sheet = read_sheet(sheet, labels) if isinstance(sheet, Path) else sheet
    if len(sheet.boxes):
        device = next(model.parameters()).device
        sheet.predicted = model(datasets.to_model_input(sheet.images).to(device)).argmax(1).tolist()
    return sheet


def source_or_built_in(given: Path | None, data_dir: Path, seed: int) -> Path:
    """The sheet (or folder of sheets) given, which must exist, else the built-in sheets in
    DATA_DIR/own_digit_sheets, generated when missing."""
    source = given if given is not None else data_dir / BUILT_IN
    if given is None and not source.exists():
        print(f"{source} is missing: generating the built-in digit sheets there (seed {seed})")
        pages.write_digit_sheets(source, seed)
    if not source.exists():
        raise cli.UserError(
            f"--own-digits-sheet {source} does not exist: give a photo of a sheet of digits "
            "or a folder of them"
        )
    if not source.is_file() and not source.is_dir():
        raise cli.UserError(
            f"--own-digits-sheet {source} is not a folder or an image file: give a photo of a sheet "
            "of digits or a folder of them"
        )
    return source


def sheet_paths(source: Path) -> list[Path]:
    """The sheet itself, or every image in a folder of sheets (sorted)."""
    if source.is_file():
        return [source]
    return imagefiles.scan_image_folder(source).paths


def notes(sheet: Sheet) -> list[str]:
    """What a reader of the sheet's line must know: marks beyond MAX_DIGITS not read, labels from its
    name that do not fit the digits found (so it is not scored)."""
    found = []
    if sheet.dropped:
        found.append(
            f"{sheet.path.name} holds {sheet.dropped} more digit-like marks, not read (at most {MAX_DIGITS})"
        )
    if sheet.labels is not None and not sheet.labels_fit():
        found.append(
            f"{sheet.path.name}'s name gives {len(sheet.labels)} labels for {len(sheet.boxes)} digits "
            "found, so it is not scored (labels are matched in reading order); pass --labels"
        )
    return found


def score(sheet: Sheet) -> tuple[int, int] | None:
    """(right, total) against the labels in reading order. None without labels, or when their count
    differs from the digits found (labels_fit): then every label after a missed or extra digit would
    be matched with the wrong digit."""
    if not sheet.labels_fit() or len(sheet.predicted) != len(sheet.boxes):
        return None
    right = sum(int(c) == p for c, p in zip(sheet.labels, sheet.predicted))
    return right, len(sheet.labels)
