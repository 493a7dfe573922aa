"""More of what people bring, generated from glyphs.py's writers: 28x28 crops made by hand, and
photographed sheets of many digits (some ruled, some half in a shadow).

The crops copy what the assignment asks students to do (crop, greyscale, shrink to 28x28) and
how it goes wrong: the digit faint (the paper's grey left in), blurred by the shrinking, or small
and off-centre in a loose crop. The sheets put one writer's digits in rows on a page, the way
"write the digits on white paper and take a picture" comes out; their file names hold the digits
in reading order (`sheet_1_7294058136.png`), which is how `sheets.py` scores them.
"""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageFilter

from recognition.handwriting import glyphs
from recognition.io import atomic_folder, atomic_path, moved

CROP_KINDS = ("faint", "blurred", "small")
SHEET_KINDS = ("plain", "ruled", "shadow")
RULE_RGB = np.array([0.68, 0.8, 0.97], np.float32)  # the light blue of ruled paper, fainter than ink
BALL_POINT = (0.012, 0.02)  # the ruled sheet's pen, of the digit's longer side: ruled lines as dark as it


def _writer(style: glyphs.Style, seed: int, salt: int) -> glyphs.Style:
    """One more writer in `style`, with their own forms, on paper (ink darker than the page)."""
    writer = glyphs.writer_styles(style, 1, seed + salt)[0]
    pen = writer.pens[0] if not writer.inverted_probability else glyphs.BLUE
    return dataclasses.replace(writer, inverted_probability=0.0, pens=(pen,), jpeg_probability=0.0)


def hand_made_crop(image: Image.Image, kind: str, rng: np.random.Generator) -> Image.Image:
    """What a student's crop-greyscale-invert-shrink of a photo looks like, gone wrong as `kind`."""
    grey = 255 - np.asarray(image.convert("L"), np.float32)  # inverted: ink bright, paper dark grey
    ink = grey > np.percentile(grey, 50) + 0.5 * (grey.max() - np.percentile(grey, 50))
    rows, cols = np.nonzero(ink)
    cy, cx = (rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2
    extent = max(np.ptp(rows), np.ptp(cols)) + 1
    margin = rng.uniform(2.0, 2.8) if kind == "small" else rng.uniform(1.1, 1.35)
    half = extent * margin / 2
    shift = rng.uniform(-0.35, 0.35, 2) * (half - extent / 2) * (2 if kind == "small" else 1)
    box = (cx - half + shift[1], cy - half + shift[0], cx + half + shift[1], cy + half + shift[0])
    pad = int(np.ceil(2 * half))  # a loose crop may reach past the photo: more of the same paper there
    paper = np.pad(grey, pad, mode="median")
    box = tuple(int(round(v)) + pad for v in box)
    crop = Image.fromarray(paper.clip(0, 255).astype(np.uint8)).crop(box)
    if kind == "blurred":
        crop = crop.filter(ImageFilter.GaussianBlur(rng.uniform(0.012, 0.02) * crop.width))
    crop = crop.resize((28, 28), Image.Resampling.BILINEAR, reducing_gap=None)
    a = np.asarray(crop, np.float32)
    if kind == "faint":
        a = a * rng.uniform(0.3, 0.55)
    return Image.fromarray(a.clip(0, 255).astype(np.uint8))


def write_crops_28(
    folder: str | Path,
    names: Sequence[str],
    per_class: int,
    seed: int,
    style: glyphs.Style = glyphs.OWN_STYLE,
) -> list[Path]:
    """`per_class` 28x28 crops per name by one writer, cycling faint, blurred and small:
    folder/<name>/<name>_<i>_<kind>.png."""
    writer = _writer(style, seed, salt=100)
    written = []
    for name in names:
        for i in range(per_class):
            rng = np.random.default_rng([seed, 100, zlib.crc32(name.encode()), i])
            kind = CROP_KINDS[i % len(CROP_KINDS)]
            photo = glyphs.render_glyph(name, rng, glyphs.canvas_size(rng, writer), writer)
            path = Path(folder) / name / f"{name}_{i}_{kind}.png"
            with atomic_path(path) as tmp:
                hand_made_crop(photo, kind, rng).save(tmp, format="PNG")
            written.append(path)
    return written


def render_sheet(
    digits: str, style: glyphs.Style, kind: str, rng: np.random.Generator, per_row: int = 5, cell: int = 150
) -> Image.Image:
    """A photo of a page with `digits` handwritten in rows of `per_row`, in reading order."""
    rows = -(-len(digits) // per_row)
    margin = cell // 2
    size = (per_row * cell + 2 * margin, rows * cell + 2 * margin)
    paths, pens = [], []
    in_cell = dataclasses.replace(style, fill=(0.55, 0.8), offset=0.05)  # along the rows, some tall
    for k, name in enumerate(digits):
        strokes = glyphs.shape_strokes(glyphs.template(name, rng, style), rng, style)
        placed, pen_px = glyphs.place(strokes, (cell, cell), rng, in_cell)
        origin = np.array([margin + (k % per_row) * cell, margin + (k // per_row) * cell], float)
        paths += [p + origin for p in placed]
        pens.append(pen_px)
    pen_px = float(np.median(pens))
    coverage = glyphs.draw_coverage(paths, size, pen_px, rng)
    photo = np.asarray(glyphs.photograph(coverage, pen_px, rng, style), np.float32) / 255
    ys, xs = np.indices(photo.shape[:2])
    if kind == "ruled":  # lines under each row's baseline and between rows, plus a red margin line
        rules = np.zeros(photo.shape[:2], np.float32)
        for row in range(rows + 1):
            y = margin + row * cell + int(cell * 0.86) - cell
            rules[max(y, 0) : y + 2] = 1.0
            rules[max(y + cell // 2, 0) : y + cell // 2 + 2] = 1.0
        photo = photo * (1 - rules[..., None] * (1 - RULE_RGB))
        photo[:, margin // 2 : margin // 2 + 2] *= np.array([0.95, 0.6, 0.6], np.float32)
    elif kind == "shadow":  # a hand's or phone's hard-edged shadow over part of the page
        edge = rng.uniform(0.3, 0.6) * (size[0] + 0.4 * size[1])
        photo = photo * np.where(xs + 0.4 * ys > edge, 0.72, 1.0)[..., None]
    return Image.fromarray((photo.clip(0, 1) * 255).astype(np.uint8))


def write_digit_sheets(folder: str | Path, seed: int, style: glyphs.Style = glyphs.OWN_STYLE) -> list[Path]:
    """One sheet of the ten digits, shuffled, per kind (plain, ruled, shadow), each by its own
    writer: folder/sheet_<k>_<digits>.png."""
    written = []
    with atomic_folder(folder) as out:  # an interrupted run leaves no half set behind
        for k, kind in enumerate(SHEET_KINDS, start=1):
            rng = np.random.default_rng([seed, 200, k])
            writer = _writer(style, seed, salt=200 + k)
            # The ruled sheet in a thin ball-point, its lines as dark as the strokes: the hard case.
            thickness = BALL_POINT if kind == "ruled" else writer.thickness
            writer = dataclasses.replace(writer, gradient=(0.0, 0.1), rotation=4.0, thickness=thickness)
            digits = "".join(rng.permutation(list(glyphs.DIGITS)))
            path = out / f"sheet_{k}_{digits}.png"
            render_sheet(digits, writer, kind, rng).save(path, format="PNG")
            written.append(path)
    return moved(written, out, folder)


OWN_DIGIT_WRITERS, OWN_DIGITS_PER_CLASS, CROPS_PER_CLASS = 3, 3, 3


GENERATED_MARK = ".generated"  # a hidden file: the image readers skip it


def write_own_digits(folder: str | Path, seed: int) -> list[Path]:
    """The built-in own-digit set: three writers' photos (writer_<k>/), and a fourth writer's
    hand-made 28x28 crops (writer_3_28x28/: faint, blurred, small), all in the own forms."""
    with atomic_folder(folder) as out:  # an interrupted run leaves no half set behind
        paths = glyphs.write_glyph_set(
            out,
            glyphs.DIGITS,
            per_class=OWN_DIGITS_PER_CLASS,
            seed=seed,
            style=glyphs.OWN_STYLE,
            writers=OWN_DIGIT_WRITERS,
        )
        crops = out / f"writer_{OWN_DIGIT_WRITERS}_28x28"
        paths += write_crops_28(crops, glyphs.DIGITS, CROPS_PER_CLASS, seed)
        (out / GENERATED_MARK).write_text(f"generated by recognition.handwriting.pages, seed {seed}\n")
    return moved(paths, out, folder)


def is_generated(folder: str | Path) -> bool:
    """Whether a folder of own digits is the built-in generated set (write_own_digits marks it)."""
    return (Path(folder) / GENERATED_MARK).is_file()
