"""Seeded handwriting-like digits and lowercase Greek letters, photographed on synthetic paper.

The built-in stand-in for people's own digit photos and for the course's scanned Greek letters,
so that everything runs offline. Each symbol has several forms (allographs, shapes.py), drawn as
pen trajectories by a hand (hand.py) with its own slant (about -10 to +35 degrees), narrowness,
size, pen (thin ball-point to marker, with pressure and a thinner line where it moves fast),
overshoot or gaps where strokes end, lead-in hooks and exit flicks, and tremor; then photographed
on paper with its own tone, lighting, noise, blur and pen colour (photo.py; sometimes light chalk
on a dark board). Writers (`writer_styles`) keep one form per symbol and their own habits.

The forms come in two families (shapes.FAMILIES): a style's `family` says which it draws from.
`COURSE_STYLE` (the built-in reference sets) draws the "reference" forms, one after another so
each form gets its share; `OWN_STYLE` (other writers, own digits) draws the "others" forms.

    python -m recognition.handwriting.glyphs --kind greek --out data/greek --per-class 9 --style course
    python -m recognition.handwriting.glyphs --kind digits --out data/own_digits --per-class 3 --writers 3
    python -m recognition.handwriting.glyphs --kind greek --style own --writers 8 --preview sheet.png
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from recognition import cli, flags
from recognition.handwriting.hand import draw_coverage, place, shape_strokes
from recognition.handwriting.photo import LUMA, MIN_CONTRAST, Pen, photograph
from recognition.handwriting.shapes import FAMILIES, forms
from recognition.handwriting.strokes import Stroke
from recognition.handwriting.writers import writer_styles
from recognition.io import atomic_path

__all__ = [
    "LUMA",
    "MIN_CONTRAST",
    "FAMILIES",
    "draw_coverage",
    "photograph",
    "place",
    "shape_strokes",
    "writer_styles",
]

DIGITS: tuple[str, ...] = tuple("0123456789")
GREEK_LETTERS: tuple[str, ...] = tuple(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma "
    "tau upsilon phi chi psi omega".split()
)
COURSE_LETTERS = ("alpha", "beta", "gamma")
REFERENCE_LETTERS = ("alpha", "beta", "gamma", "lambda")


# ---------------------------------------------------------------------------------------------
# Styles: how varied the hands are, and what pens, paper and cameras they use


@dataclass(frozen=True)
class Style:
    """Ranges that each sample draws from. Lengths are fractions of the glyph's box unless they say px.

    A writer's style (`writer_styles`) narrows each range to their own habit, fixes their pen,
    their form of each symbol (`hand`) and the way they bend every letter (`shape_seed`).
    """

    side: tuple[int, int]  # the canvas's shorter side, px
    aspect: tuple[float, float] = (1.0, 1.0)  # canvas width / height
    fill: tuple[float, float] = (0.6, 0.75)  # the glyph's box over the canvas's
    offset: float = 0.04  # shift of the glyph's centre, of the canvas
    thickness: tuple[float, float] = (0.04, 0.07)  # pen width over the glyph's longer side
    slant: tuple[float, float] = (-0.18, 0.7)  # shear, tan of the lean: -10 to +35 degrees
    narrow: tuple[float, float] = (0.62, 1.08)  # the form's width is multiplied by this
    rotation: float = 4.0  # tilt of the baseline, degrees either way
    personal: float = 0.035  # the writer's own bending of their letters, of the box
    distortion: float = 0.025  # this sample's smooth bending of the form, of the box
    wobble: float = 0.004  # tremor along the stroke, of the box
    overshoot: tuple[float, float] = (-0.03, 0.06)  # each stroke end runs on (+) or stops short (-)
    hooks: tuple[float, float] = (0.0, 0.5)  # chance of a lead-in hook, and of an exit flick
    joins: tuple[float, float] = (0.0, 0.025)  # how far a stroke after a pen lift lands off, sd
    speed: tuple[float, float] = (0.1, 0.5)  # how much thinner the line is where the pen runs fast
    paper: tuple[float, float] = (0.85, 1.0)  # paper luminance
    paper_tint: float = 0.0  # colour cast of the paper and light
    pens: tuple[Pen, ...] = ()
    inverted_probability: float = 0.0  # light ink on a dark board
    board: tuple[float, float] = (0.1, 0.3)  # board luminance when inverted
    chalks: tuple[Pen, ...] = ()
    gradient: tuple[float, float] = (0.0, 0.05)  # darkening by uneven light at its deepest
    texture: float = 0.01  # blotchy paper, luminance either way
    noise: tuple[float, float] = (0.005, 0.02)  # Gaussian sensor noise (sigma)
    blur: tuple[float, float] = (0.0, 0.005)  # Gaussian blur radius over the canvas's shorter side
    jpeg_probability: float = 0.0
    jpeg_quality: tuple[int, int] = (70, 92)
    family: str = "reference"  # which forms (shapes.FAMILIES) it draws, or "all"
    hand: tuple[tuple[str, str], ...] = ()  # a writer's (name, form) choices, kept for all samples
    shape_seed: int = -1  # a writer's own bending of all their letters; -1: a new hand each sample


BLACK = Pen("black", (0.05, 0.05, 0.06), weight=3.0)
DARK_GREY = Pen("dark grey", (0.2, 0.2, 0.21), weight=1.0)
PENCIL = Pen("pencil", (0.22, 0.22, 0.25), opacity=(0.75, 0.95), grain=0.35)
BLUE = Pen("blue", (0.1, 0.16, 0.55), weight=2.0)
GREEN = Pen("green", (0.05, 0.38, 0.16))
RED = Pen("red", (0.68, 0.06, 0.08), weight=0.5)
CHALK = Pen("chalk", (0.93, 0.93, 0.9), grain=0.3)
YELLOW_CHALK = Pen("yellow chalk", (0.95, 0.9, 0.55), weight=0.5, grain=0.3)
WHITE_MARKER = Pen("white marker", (0.97, 0.97, 0.97))

COURSE_STYLE = Style(  # scans of many careful hands: the reference forms, slants, widths and pens
    side=(128, 140),
    fill=(0.52, 0.62),
    offset=0.02,
    thickness=(0.035, 0.1),
    slant=(-0.18, 0.6),
    paper=(0.92, 1.0),
    pens=(BLACK, DARK_GREY),
    gradient=(0.0, 0.04),
    noise=(0.004, 0.015),
    blur=(0.0, 0.006),
    hooks=(0.0, 0.3),
)
OWN_STYLE = Style(  # phone photos by other people, in the other forms
    side=(200, 640),
    aspect=(0.75, 1.4),
    fill=(0.4, 0.8),
    offset=0.12,
    thickness=(0.015, 0.1),
    paper=(0.5, 1.0),
    paper_tint=0.04,
    pens=(BLACK, DARK_GREY, PENCIL, BLUE, GREEN, RED),
    inverted_probability=0.2,
    chalks=(CHALK, YELLOW_CHALK, WHITE_MARKER),
    gradient=(0.0, 0.35),
    texture=0.03,
    noise=(0.004, 0.025),
    blur=(0.0, 0.006),
    jpeg_probability=0.35,
    family="others",
)


def canvas_size(rng: np.random.Generator, style: Style) -> tuple[int, int]:
    """(width, height) drawn from the style's shorter side and aspect ranges."""
    side = int(rng.integers(style.side[0], style.side[1] + 1))
    aspect = rng.uniform(*style.aspect)
    return (round(side * aspect), side) if aspect >= 1 else (side, round(side / aspect))


def template(
    name: str, rng: np.random.Generator, style: Style | None = None, form: str | None = None
) -> tuple[Stroke, ...]:
    """One way of writing `name`: the form asked for, else the writer's own when their style fixes
    one, else a random form of the style's family (the reference family without a style)."""
    choices = forms(name, style.family if style is not None else FAMILIES[0])
    chosen = form or (dict(style.hand).get(name) if style is not None else None)
    if chosen in choices:
        return choices[chosen]
    return list(choices.values())[rng.integers(len(choices))]


def dealt_form(name: str, style: Style, index: int) -> str | None:
    """The form of a set's `index`-th image of `name`: the writer's own, or without a writer the
    style's family's forms in turn, so a set of n images per letter shows every form."""
    if name in dict(style.hand):
        return dict(style.hand)[name]
    names = list(forms(name, style.family))
    return names[index % len(names)]


def render_glyph(
    name: str, rng: np.random.Generator, size: tuple[int, int], style: Style, form: str | None = None
) -> Image.Image:
    """An RGB image of `size` (width, height) showing `name` handwritten in `style` (in `form`)."""
    paths = shape_strokes(template(name, rng, style, form), rng, style)
    paths, pen_px = place(paths, size, rng, style)
    coverage = draw_coverage(paths, size, pen_px, rng, speed=float(rng.uniform(*style.speed)))
    return photograph(coverage, pen_px, rng, style)


# ---------------------------------------------------------------------------------------------
# Writers and files


def _sample_rng(seed: int, writer: int, name: str, index: int) -> np.random.Generator:
    """Each file's own stream: independent of which other names or counts were asked for."""
    return np.random.default_rng([seed, writer, zlib.crc32(name.encode()), index])


def _encode(image: Image.Image, rng: np.random.Generator, style: Style) -> tuple[bytes, str]:
    """The file's bytes and suffix: PNG, or JPEG where the style's camera saves JPEGs."""
    buffer = io.BytesIO()
    if rng.random() < style.jpeg_probability:
        image.save(buffer, format="JPEG", quality=int(rng.integers(*style.jpeg_quality)))
        return buffer.getvalue(), ".jpg"
    image.save(buffer, format="PNG", compress_level=1)  # noisy photos barely compress: save time
    return buffer.getvalue(), ".png"


def write_glyph_set(
    out_dir: str | Path,
    names: Sequence[str],
    per_class: int,
    seed: int,
    style: Style,
    writers: int | None = None,
) -> list[Path]:
    """Write `per_class` images of each name and return their paths; same arguments, same bytes.

    Layout: out_dir/<name>/<name>_<i>.png, or with `writers`, out_dir/writer_<k>/<name>/...
    in each writer's own sub-style; `.jpg` instead where the style's camera saves JPEGs. Without
    writers, each image is another hand and the style's family's forms take turns (`dealt_form`).
    Each file is written whole or not at all.
    """
    for name in names:
        template(name, np.random.default_rng(0), style)  # fail before writing anything
    out_dir = Path(out_dir)
    if writers is None:
        groups = [(out_dir, style, 0)]
    else:
        groups = [
            (out_dir / f"writer_{k}", sub, k + 1) for k, sub in enumerate(writer_styles(style, writers, seed))
        ]
    written = []
    for folder, sub_style, writer in groups:
        for name in names:
            for i in range(per_class):
                rng = _sample_rng(seed, writer, name, i)
                size = canvas_size(rng, sub_style)
                image = render_glyph(name, rng, size, sub_style, dealt_form(name, sub_style, i))
                data, suffix = _encode(image, rng, sub_style)
                path = folder / name / f"{name}_{i}{suffix}"
                with atomic_path(path) as tmp:
                    tmp.write_bytes(data)
                written.append(path)
    return written


def preview_sheet(
    names: Sequence[str],
    style: Style,
    seed: int,
    per_class: int = 6,
    cell: int = 96,
    writers: int | None = None,
) -> Image.Image:
    """A contact sheet: one row per name, each image shrunk into a square cell.

    It shows the first `per_class` images that `write_glyph_set` writes without writers, or with
    `writers`, each writer's first image (one column per writer).
    """
    hands = [(style, 0, i) for i in range(per_class)]
    if writers is not None:
        hands = [(sub, k + 1, 0) for k, sub in enumerate(writer_styles(style, writers, seed))]
    sheet = Image.new("RGB", (cell * (len(hands) + 1), cell * len(names)), "white")
    draw = ImageDraw.Draw(sheet)
    for row, name in enumerate(names):
        draw.text((4, row * cell + cell // 2 - 6), name, fill="black")
        for column, (sub, writer, i) in enumerate(hands, start=1):
            rng = _sample_rng(seed, writer, name, i)
            size = canvas_size(rng, sub)
            image = render_glyph(name, rng, size, sub, dealt_form(name, sub, i))
            image.thumbnail((cell - 4, cell - 4), Image.Resampling.LANCZOS)
            sheet.paste(image, (column * cell + 2, row * cell + 2))
    return sheet


# ---------------------------------------------------------------------------------------------
# Command line

STYLES = {"course": COURSE_STYLE, "own": OWN_STYLE}
KINDS = {"digits": DIGITS, "greek": GREEK_LETTERS}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = cli.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=KINDS, default="greek", help="which alphabet")
    parser.add_argument("--out", type=Path, help="folder to write <name>/<name>_<i>.png into")
    parser.add_argument("--per-class", type=flags.COUNT, default=9, help="images per name (and writer)")
    parser.add_argument("--seed", type=flags.SEED, default=42)
    parser.add_argument("--letters", help="comma-separated subset of the names, e.g. alpha,beta or 3,7")
    parser.add_argument(
        "--style",
        choices=STYLES,
        help="course: the course's Greek scans; own: people's photos "
        "(default: course for greek, own for digits)",
    )
    parser.add_argument(
        "--family",
        choices=(*FAMILIES, "all"),
        help="which forms to draw (default: the style's, reference for course, others for own)",
    )
    parser.add_argument("--writers", type=flags.COUNT, help="write writer_<k>/ folders, one per writer")
    parser.add_argument(
        "--preview",
        type=Path,
        help="write a contact sheet PNG here: 6 images per name, or with --writers, one per writer",
    )
    args = parser.parse_args(argv)
    names = KINDS[args.kind]
    if args.letters:
        chosen = [n.strip() for n in args.letters.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in names]
        if unknown:
            parser.error(f"unknown {args.kind} names {unknown}; choose from {', '.join(names)}")
        names = tuple(chosen)
    args.names = names
    args.style = STYLES[args.style or ("course" if args.kind == "greek" else "own")]
    if args.family:
        args.style = dataclasses.replace(args.style, family=args.family)
    if args.out is None and args.preview is None:
        parser.error("give --out (a folder to write into) or --preview (a sheet to write)")
    if args.per_class < 1 or (args.writers is not None and args.writers < 1):
        parser.error("--per-class and --writers must be at least 1")
    if args.seed < 0:
        parser.error("--seed must be 0 or more")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.preview is not None:
        with atomic_path(args.preview) as tmp:
            sheet = preview_sheet(args.names, args.style, args.seed, writers=args.writers)
            sheet.save(tmp, format="PNG")
        print(f"wrote {args.preview}")
    if args.out is not None:
        paths = write_glyph_set(args.out, args.names, args.per_class, args.seed, args.style, args.writers)
        print(f"wrote {len(paths)} images under {args.out}")


if __name__ == "__main__":
    cli.run(main)
