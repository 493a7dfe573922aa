"""The Greek letter sets of Task 3 and its extensions: a labelled reference set and an own set to
classify, read from folders (one sub-folder per letter) or, by default, the built-in sets that
glyphs.py generates when they are missing.

A folder given by a flag is used as it is and never written into; the built-in folders, under
the script's --data-dir, are chosen only when no folder is given, so an explicit flag always wins.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from recognition import cli
from recognition.data import imagefiles, preprocess
from recognition.handwriting import glyphs
from recognition.io import atomic_folder, moved

# The built-in sets' folders under --data-dir: (of the four reference letters, of all 24).
BUILT_IN = {
    "reference": ("greek", "greek_all"),
    "own": ("greek_own", "greek_own_all"),
    "select": ("greek_select", "greek_select_all"),
    "wide": ("greek_wide", "greek_all"),  # the explorer's: as many images per letter as greek_all's
    "tune": ("greek_tune", "greek_tune_all"),  # letters to fine-tune an embedding on (letter_tuning.py)
}
SELECT_SEED_OFFSET = 100  # the selection writers' seed: seed + 100 (+1), far from the other sets'
# Reference images per letter: the four letters' set is the course-sized one of Task 3's tables (9
# scans per letter); the 24 letters' set gives 1-NN enough hands of each letter's forms to find a
# near one (a 24-image reference read other writers' nine letters 87% against 70% with 9).
REFERENCE_PER_LETTER = {False: 9, True: 24}
OWN_WRITERS = 3
OWN_PER_LETTER = {False: 6, True: 2}  # per writer; fewer with all 24 letters to keep the run short
# The selection writers choose a reader: many writers, since each keeps one form per letter and
# their own slant (with 3 writers, 19 of 28 readers got all 72 letters right, so the order of
# READERS chose; with 12 writers of 2 letters each, 5 of 96).
SELECT_WRITERS = 12
SELECT_PER_LETTER = {False: 2, True: 1}


def letter_list(text: str) -> tuple[str, ...]:
    """argparse type of --letters: 'all' or at least two comma-separated names."""
    if text.strip().lower() == "all":
        return glyphs.GREEK_LETTERS
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    if len(names) < 2:
        raise argparse.ArgumentTypeError(
            f"--letters expects 'all' or at least two comma-separated letter "
            f"names such as alpha,beta,delta, got {text!r}"
        )
    return names


def builtin_folder(data_dir: Path, kind: str, all_letters: bool = False) -> Path:
    """The built-in `kind` set's folder (a key of BUILT_IN) under `data_dir`."""
    return Path(data_dir) / BUILT_IN[kind][all_letters]


def needs_all_letters(letters: Sequence[str] | None) -> bool:
    """Whether the letters asked for go beyond the four of the built-in reference set."""
    return letters is not None and not set(letters) <= set(glyphs.REFERENCE_LETTERS)


def generate_letter_set(
    folder: Path,
    all_letters: bool,
    own: bool,
    seed: int,
    per_letter: int | None = None,
    writers: int = OWN_WRITERS,
) -> list[Path]:
    """Write the built-in reference set (course-style scans) or own set (`writers` writers' phone
    photos), `per_letter` images of each letter (and writer), by default REFERENCE_PER_LETTER's or
    OWN_PER_LETTER's."""
    letters = glyphs.GREEK_LETTERS if all_letters else glyphs.REFERENCE_LETTERS
    with atomic_folder(folder) as tmp:  # an interrupted run leaves no half set behind
        if own:  # other hands than the reference set's: a different seed, phone-photo style
            paths = glyphs.write_glyph_set(
                tmp,
                letters,
                per_class=per_letter or OWN_PER_LETTER[all_letters],
                seed=seed + 1,
                style=glyphs.OWN_STYLE,
                writers=writers,
            )
        else:
            paths = glyphs.write_glyph_set(
                tmp,
                letters,
                per_class=per_letter or REFERENCE_PER_LETTER[all_letters],
                seed=seed,
                style=glyphs.COURSE_STYLE,
            )
    paths = moved(paths, tmp, folder)
    print(
        f"{folder} was missing: generated {len(paths)} {'own-style' if own else 'course-style'} images "
        f"of {len(letters)} letters there (glyphs.py, seed {seed + own})"
    )
    return paths


def letter_folders(
    greek_dir: Path | None, own_dir: Path | None, data_dir: Path, all_letters: bool, seed: int
) -> tuple[Path, Path, list[str]]:
    """The reference and own folders, and those generated now.

    A folder given by its flag is used as it is and never written into; without the flag, the
    built-in set under `data_dir` (four letters, or all 24 with `all_letters`) is used and
    generated when missing.
    """
    chosen = []
    for given, default, own in (
        (greek_dir, builtin_folder(data_dir, "reference", all_letters), False),
        (own_dir, builtin_folder(data_dir, "own", all_letters), True),
    ):
        flag = "--own-dir" if own else "--greek-dir"
        if given is not None and not given.is_dir():
            what = "is a file" if given.exists() else "does not exist"
            raise cli.UserError(
                f"{flag} {given} {what}: give a folder of letter images (alpha/x.png, ...), "
                f"or leave out {flag} to use the built-in set"
            )
        folder = given if given is not None else default
        made = given is None and not folder.exists()
        if made:
            generate_letter_set(folder, all_letters, own, seed)
        chosen.append((folder, made))
    return chosen[0][0], chosen[1][0], [str(folder) for folder, made in chosen if made]


def letter_order(name: str) -> tuple[int, str]:
    """Greek alphabet order; names glyphs.py does not draw come after, alphabetically."""
    known = name in glyphs.GREEK_LETTERS
    return (glyphs.GREEK_LETTERS.index(name) if known else len(glyphs.GREEK_LETTERS), name)


def subset(images: imagefiles.ImageSet, keep) -> imagefiles.ImageSet:
    keep = list(keep)
    return dataclasses.replace(
        images,
        images=images.images[keep],
        labels=[images.labels[i] for i in keep],
        groups=[images.groups[i] for i in keep],
        paths=[images.paths[i] for i in keep],
    )


def report_notes(images: imagefiles.ImageSet, what: str) -> None:
    for path, reason in images.skipped:
        print(f"  note: {what}: skipped {path}: {reason}")
    for path in images.empty_folders:
        print(f"  note: {what}: {path} holds no images, so it is left out")


def load_reference(
    folder: Path, transform: str, letters: Sequence[str] | None, quiet: bool = False
) -> imagefiles.ImageSet:
    """The labelled reference set, sorted by letter; class names are the folder names."""
    images = imagefiles.load_image_set(folder, vocabulary=None, transform=transform)
    if not quiet:
        report_notes(images, "reference set")
    unlabelled = [i for i, label in enumerate(images.labels) if label is None]
    if unlabelled and not quiet:
        print(
            f"  note: reference set: {len(unlabelled)} images lie directly in {folder}, outside a letter "
            f"folder, so they have no label and are left out (put them in {folder}/<letter>/)"
        )
    keep = [
        i
        for i, label in enumerate(images.labels)
        if label is not None and (letters is None or label in letters)
    ]
    found = {images.labels[i] for i in keep}
    if letters is not None and (missing := [n for n in letters if n not in found]):
        raise cli.UserError(
            f"{folder} has no images of {', '.join(missing)}: add {folder}/<letter>/ folders "
            f"of them, leave them out of --letters, or leave out --greek-dir to use the "
            f"built-in set (it has all 24 letters when --letters goes beyond "
            f"{', '.join(glyphs.REFERENCE_LETTERS)})"
        )
    if len(found) < 2:
        raise cli.UserError(
            f"{folder} needs images of at least two letters, one sub-folder per letter "
            f"(alpha/, beta/, ...); found {sorted(found) or 'none'}"
        )
    keep.sort(key=lambda i: letter_order(images.labels[i]))  # stable: file order within a letter
    return subset(images, keep)


def load_own(folder: Path, transform: str, classes, quiet: bool = False) -> imagefiles.ImageSet:
    """The set to classify; labels from letter folders or file names (alpha_3.png), else None."""
    images = imagefiles.load_image_set(
        folder, vocabulary=set(glyphs.GREEK_LETTERS) | set(classes), transform=transform
    )
    if not quiet:
        report_notes(images, "own set")
    if len(images.paths) == 0:
        raise cli.UserError(f"no readable images in {folder}: add PNG or JPEG images of single letters")
    return images


def builtin_selection(data_dir: Path, all_letters: bool, seed: int) -> tuple[Path, bool]:
    """The built-in selection writers' folder under `data_dir`, and whether it was generated now
    (with its own seed)."""
    folder = builtin_folder(data_dir, "select", all_letters)
    made = not folder.exists()
    if made:
        generate_letter_set(
            folder,
            all_letters,
            True,
            seed + SELECT_SEED_OFFSET,
            per_letter=SELECT_PER_LETTER[all_letters],
            writers=SELECT_WRITERS,
        )
    return folder, made


def wide_reference(data_dir: Path, seed: int) -> Path:
    """The four letters' built-in reference with as many images per letter as the 24 letters' (every
    form of each letter by many hands): the explorer's; generated when missing."""
    folder = builtin_folder(data_dir, "wide")
    if not folder.exists():
        generate_letter_set(folder, False, False, seed, per_letter=REFERENCE_PER_LETTER[True])
    return folder


def selection_folder(select_dir: Path | None, data_dir: Path, all_letters: bool, seed: int) -> Path:
    """The selection writers' folder given by --select-dir (never written into), or the built-in one."""
    if select_dir is not None and not select_dir.is_dir():
        raise cli.UserError(
            f"--select-dir {select_dir} is not a folder: give a folder of letter images "
            "(alpha/x.png, ...), or leave out --select-dir to use the built-in set"
        )
    return select_dir if select_dir is not None else builtin_selection(data_dir, all_letters, seed)[0]


def load_selection(
    select_dir: Path | None, data_dir: Path, all_letters: bool, transform: str, classes, seed: int
) -> tuple[Path, imagefiles.ImageSet]:
    """Yet other writers' letters, only to choose an embedding layer and distance (never scored):
    the folder given, or the built-in one under `data_dir` (generated when missing, with its own
    seed)."""
    folder = selection_folder(select_dir, data_dir, all_letters, seed)
    return folder, load_own(folder, transform, classes, quiet=True)


@dataclass
class LetterSets:
    """The reference and own sets under every transform (the chosen one first)."""

    greek_dir: Path
    own_dir: Path
    generated: list[str]
    ref: dict[str, imagefiles.ImageSet]
    own: dict[str, imagefiles.ImageSet]


def load_sets(
    greek_dir: Path | None,
    own_dir: Path | None,
    data_dir: Path,
    letters: Sequence[str] | None,
    transform: str,
    seed: int,
    all_letters: bool,
    every_transform: bool = True,
) -> LetterSets:
    """The folders (the built-in ones under `data_dir`, of all 24 letters with `all_letters`,
    generated when missing) read under `transform`, then quietly under the other transforms too
    unless `every_transform` is False."""
    greek, own, generated = letter_folders(greek_dir, own_dir, data_dir, all_letters, seed)
    sets = LetterSets(greek, own, generated, {}, {})
    others = [t for t in preprocess.TRANSFORMS if t != transform] if every_transform else []
    for t in [transform] + others:
        quiet = t != transform
        sets.ref[t] = load_reference(greek, t, letters, quiet)
        sets.own[t] = load_own(own, t, set(sets.ref[t].labels), quiet)
    return sets
