"""Draw every symbol's forms, the reference family and the others' family, as one figure.

    python scripts/handwriting_forms.py [--out figures/handwriting_forms.png] [--writers 6]
    python scripts/handwriting_forms.py --writers 0 --cell 44 --out docs/handwriting_forms.png

One row per symbol (the 24 Greek letters, then the ten digits): first each form drawn plainly
(upright, no hand's habits), on blue for the reference family and on orange for the others' family
(shapes.FAMILIES), then `--writers` writers of each family writing it as the built-in sets do
(`glyphs.COURSE_STYLE` hands for the reference, `glyphs.OWN_STYLE` writers for the others).
With `--writers 0`, the forms alone (the small figure committed as docs/handwriting_forms.png).
data/README.md lists the forms by name in the same order.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from recognition import cli, flags
from recognition.handwriting import glyphs, shapes
from recognition.handwriting.hand import draw_coverage, place, shape_strokes
from recognition.io import atomic_path

TINT = {"reference": (214, 228, 250), "others": (252, 226, 200)}
PLAIN = dataclasses.replace(
    glyphs.COURSE_STYLE,
    slant=(0.0, 0.0),
    narrow=(1.0, 1.0),
    rotation=0.0,
    personal=0.0,
    distortion=0.0,
    wobble=0.0,
    overshoot=(0.0, 0.0),
    hooks=(0.0, 0.0),
    joins=(0.0, 0.0),
    offset=0.0,
    fill=(0.8, 0.8),
    thickness=(0.06, 0.06),
)


def plain_form(strokes, cell: int, tint: tuple[int, int, int]) -> Image.Image:
    """The form's strokes as they are written down, dark on the family's tint."""
    rng = np.random.default_rng(0)
    paths, pen_px = place(shape_strokes(strokes, rng, PLAIN), (cell, cell), rng, PLAIN)
    ink = np.asarray(draw_coverage(paths, (cell, cell), pen_px, rng, speed=0.0), np.float32)[..., None] / 255
    return Image.fromarray((np.array(tint, np.float32) * (1 - ink)).astype(np.uint8))


def written(name: str, style: glyphs.Style, writer: int, seed: int, cell: int) -> Image.Image:
    rng = np.random.default_rng([seed, writer, len(name)])
    image = glyphs.render_glyph(
        name, rng, glyphs.canvas_size(rng, style), style, glyphs.dealt_form(name, style, writer)
    )
    image.thumbnail((cell, cell), Image.Resampling.LANCZOS)
    return image


def figure(names, writers: int, seed: int, cell: int = 56) -> Image.Image:
    widest = max(len(shapes.forms(n, "reference")) + len(shapes.forms(n, "others")) for n in names)
    hands = {
        "reference": [glyphs.COURSE_STYLE] * writers,
        "others": glyphs.writer_styles(glyphs.OWN_STYLE, writers, seed),
    }
    columns = 1 + widest + (1 + 2 * writers if writers else 0)
    top = 16  # a legend line
    sheet = Image.new("RGB", (max(columns * cell, 360), top + len(names) * cell), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((3, 2), "forms: reference family on blue, others' family on orange", fill="black")
    if writers:
        draw.text(
            ((2 + widest) * cell, 2), f"then {writers} reference hands, {writers} other writers", fill="black"
        )
    for row, name in enumerate(names):
        y = top + row * cell
        draw.text((3, y + cell // 2 - 6), name, fill="black")
        column = 1
        for family in shapes.FAMILIES:
            for strokes in shapes.forms(name, family).values():
                sheet.paste(plain_form(strokes, cell - 2, TINT[family]), (column * cell + 1, y + 1))
                column += 1
        column = 2 + widest
        for family in shapes.FAMILIES:
            for k, style in enumerate(hands[family]):
                image = written(name, style, k, seed + (family == "others"), cell - 2)
                sheet.paste(image, (column * cell + 1, y + 1))
                draw.rectangle(
                    (column * cell, y, (column + 1) * cell - 1, y + cell - 1), outline=TINT[family]
                )
                column += 1
    return sheet


def main(argv=None) -> Path:
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path("figures/handwriting_forms.png"))
    p.add_argument("--writers", type=flags.COUNT, default=6, help="writers shown per family")
    p.add_argument("--seed", type=flags.SEED, default=42)
    p.add_argument("--letters", help="comma-separated symbols (default: the 24 letters and 10 digits)")
    p.add_argument("--cell", type=flags.COUNT, default=56, help="px per image")
    args = p.parse_args(argv)
    names = args.letters.split(",") if args.letters else glyphs.GREEK_LETTERS + glyphs.DIGITS
    with atomic_path(args.out) as tmp:
        sheet = figure(names, args.writers, args.seed, args.cell)
        if not args.writers:  # the forms alone (docs/handwriting_forms.png): a few tones suffice
            sheet = sheet.quantize(16)
        sheet.save(tmp, format="PNG", optimize=True)
    print(f"wrote {args.out}")
    return args.out


if __name__ == "__main__":
    main()
