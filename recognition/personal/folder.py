"""A person's folder: the examples they taught, what they wrote, and their Test me answers.

    DATA_DIR/mine/<name>/<label>/<label>_<n>.png      the 28x28 network input of example n
    DATA_DIR/mine/<name>/.written/<label>/<label>_<n>.png   what they wrote (at most WRITTEN_SIDE px)
    DATA_DIR/mine/<name>/.tests.json                  Test me: what they wrote, what each reader said

The visible part is the layout every own-image folder has (`3/3_0.png`, `alpha/alpha_2.png`), so
`task1_train_mnist.py --own-digits DATA_DIR/mine` and `task3_greek_embedding.py --own-dir
DATA_DIR/mine/<name>` read it as they read anyone's writing; the 28x28 inputs already match MNIST,
so the recipe passes them through untouched. Hidden files and folders are skipped by the scripts.

Nothing outside DATA_DIR/mine/<name> is ever written: names and labels are checked (no path
separators, no dots, a length limit, known labels only), every file is written atomically, and
caps bound what one person (and the folder of all people) can hold.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from recognition import cli
from recognition.handwriting import glyphs
from recognition.io import atomic_path, read_json, write_json

MINE = "mine"  # DATA_DIR/mine holds one folder per person
MAX_NAME = 32  # characters in a person's name
NAME = re.compile(r"[^\W_][\w-]*")  # letters or digits (any script), then also _ and -: no dots or slashes
MAX_PEOPLE = 100  # folders under DATA_DIR/mine
MAX_PER_LABEL = 20  # examples of one symbol
MAX_EXAMPLES = 300  # examples of one person, all symbols together
MAX_TESTS = 5000  # Test me answers kept (the oldest are dropped)
WRITTEN_SIDE = 560  # what they wrote is kept at most this big (px)
WRITTEN = ".written"
TESTS = ".tests.json"
FILE = re.compile(r"(?P<label>[a-z0-9]+)_(?P<n>[0-9]{1,6})\.png")
DIGITS, LETTERS = "digits", "letters"
KINDS = {DIGITS: glyphs.DIGITS, LETTERS: glyphs.GREEK_LETTERS}


class PersonalError(cli.UserError):
    """A request the folder cannot take (bad name or label, a cap reached, no such example):
    the message says what and how to fix it."""


class NoSuchExample(PersonalError):
    """The example asked for is not in the person's folder."""


class CapReached(PersonalError):
    """The person (or the folder of all people) holds as many examples as it may."""


class FolderUnwritable(cli.UserError):
    """The person's folder cannot be written (permissions, a full disk, a read-only mount)."""


def check_name(name: str) -> str:
    """A person's name as a folder name: letters or digits first, then letters, digits, _ or -."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME or not NAME.fullmatch(name):
        raise PersonalError(
            f"name {str(name)[:40]!r} is not usable: use 1 to {MAX_NAME} letters, digits, _ or - "
            "(starting with a letter or digit; no spaces, dots or slashes), e.g. ada or ada-2"
        )
    return name


def kind_of(label: str) -> str:
    """'digits' for 0-9, 'letters' for the Greek letter names; anything else is refused."""
    for kind, labels in KINDS.items():
        if label in labels:
            return kind
    raise PersonalError(
        f"label {str(label)[:40]!r} is not a known symbol: use a digit 0-9 or a Greek letter name "
        f"({', '.join(glyphs.GREEK_LETTERS[:4])}, ..., {glyphs.GREEK_LETTERS[-1]})"
    )


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise PersonalError(f"kind {str(kind)[:40]!r} is not known: use {' or '.join(KINDS)}")
    return kind


@dataclass
class Example:
    """One taught example: its symbol, its file under the person's folder, its 28x28 input."""

    label: str
    file: str  # "<label>/<label>_<n>.png"
    image: np.ndarray  # (28, 28) float32 in [0, 1], bright ink on black

    def as_json(self) -> dict:
        return {"label": self.label, "file": self.file, "kind": kind_of(self.label)}


@contextlib.contextmanager
def _writing(action: str, path: Path):
    """An OSError while writing the folder becomes one clear line (the explorer answers it with a 507)."""
    try:
        yield
    except OSError as err:
        raise FolderUnwritable(
            f"cannot {action} in {path} ({err.strerror or err}): make the folder writable, free some "
            "space, or start the explorer with --data-dir pointing to a writable folder"
        ) from err


def people(data_dir: Path) -> list[str]:
    """The names that have a folder under DATA_DIR/mine (valid names only, sorted)."""
    root = Path(data_dir) / MINE
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and NAME.fullmatch(p.name))


class PersonalFolder:
    """DATA_DIR/mine/<name>: add, list and delete examples; record and sum up Test me answers."""

    def __init__(self, data_dir: str | Path, name: str):
        self.data_dir = Path(data_dir)
        self.name = check_name(name)
        self.root = self.data_dir / MINE / self.name

    # --- examples ---------------------------------------------------------------------------

    def _files(self, kind: str | None = None) -> list[tuple[str, int, Path]]:
        """(label, n, path) of every example file, in symbol order then n."""
        labels = KINDS[check_kind(kind)] if kind else glyphs.DIGITS + glyphs.GREEK_LETTERS
        found = []
        for label in labels:
            folder = self.root / label
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                m = FILE.fullmatch(path.name)
                if m and m["label"] == label and path.is_file():
                    found.append((label, int(m["n"]), path))
        order = {label: i for i, label in enumerate(labels)}
        return sorted(found, key=lambda t: (order[t[0]], t[1]))

    def examples(self, kind: str | None = None) -> list[Example]:
        """Every example (of `kind`), read from its 28x28 file; unreadable files are left out."""
        out = []
        for label, _, path in self._files(kind):
            try:
                with Image.open(path) as img:
                    grey = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
            except (OSError, ValueError):
                continue
            if grey.shape == (28, 28):
                out.append(Example(label, f"{label}/{path.name}", grey))
        return out

    def inputs(self, kind: str) -> tuple[np.ndarray, list[str]]:
        """The examples of `kind` as (N, 28, 28) float32 inputs and their labels."""
        examples = self.examples(kind)
        images = np.stack([e.image for e in examples]) if examples else np.zeros((0, 28, 28), np.float32)
        return images, [e.label for e in examples]

    def add(self, label: str, image: np.ndarray, written: Image.Image | None = None) -> Example:
        """Keep a new example of `label`: its 28x28 input (and, when given, what was written)."""
        kind_of(label)
        image = np.asarray(image, dtype=np.float32)
        if image.shape != (28, 28) or not np.isfinite(image).all():
            raise PersonalError("an example must be a 28x28 input of finite values in [0, 1]")
        files = self._files()
        if not self.root.is_dir() and len(people(self.data_dir)) >= MAX_PEOPLE:
            raise CapReached(
                f"{self.data_dir / MINE} already holds {MAX_PEOPLE} people's folders: remove some first"
            )
        if len(files) >= MAX_EXAMPLES:
            raise CapReached(
                f"{self.name} already has {MAX_EXAMPLES} examples, the most one person can keep: "
                "delete some first"
            )
        numbers = [n for lab, n, _ in files if lab == label]
        if len(numbers) >= MAX_PER_LABEL:
            raise CapReached(
                f"{self.name} already has {MAX_PER_LABEL} examples of {label}, the most per symbol: "
                "delete one first"
            )
        n = max(numbers, default=-1) + 1
        name = f"{label}_{n}.png"
        pixels = Image.fromarray(np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8), "L")
        with _writing("keep the example", self.root):
            if written is not None:
                copy = written.convert("RGB")
                copy.thumbnail((WRITTEN_SIDE, WRITTEN_SIDE), Image.Resampling.LANCZOS)
                _save_png(copy, self.root / WRITTEN / label / name)
            _save_png(pixels, self.root / label / name)
        return Example(label, f"{label}/{name}", np.asarray(pixels, np.float32) / 255.0)

    def delete(self, label: str, file: str) -> None:
        """Remove example `file` ("<n>" or "<label>_<n>.png") of `label`, and what was written."""
        kind_of(label)
        name = file if file.endswith(".png") else f"{label}_{file}.png"
        m = FILE.fullmatch(name)
        if not m or m["label"] != label:
            raise PersonalError(f"{file!r} is not an example file of {label}: expected {label}_<n>.png")
        path = self.root / label / name
        if not path.is_file():
            raise NoSuchExample(f"{self.name} has no example {label}/{name}")
        with _writing("delete the example", self.root):
            path.unlink()
            (self.root / WRITTEN / label / name).unlink(missing_ok=True)

    def written(self, label: str, file: str) -> Path | None:
        """What was written for an example, when it was kept."""
        kind_of(label)
        path = self.root / WRITTEN / label / file
        return path if FILE.fullmatch(file) and path.is_file() else None

    # --- Test me ----------------------------------------------------------------------------

    def tests(self) -> list[dict]:
        path = self.root / TESTS
        try:
            records = read_json(path) if path.is_file() else []
        except (OSError, ValueError):
            records = []
        return (
            [r for r in records if isinstance(r, dict) and r.get("kind") in KINDS]
            if isinstance(records, list)
            else []
        )

    def record_test(self, truth: str, answers: dict[str, str]) -> dict:
        """Keep one Test me answer: what was written and what each reader ("base", "personal") said."""
        kind = kind_of(truth)
        record = {"kind": kind, "truth": truth, "time": round(time.time(), 1)}
        for reader in ("base", "personal"):
            answer = answers.get(reader)
            if answer is not None:
                if kind_of(answer) != kind:
                    raise PersonalError(f"the {reader} answer {answer!r} is not a {kind[:-1]}")
                record[reader] = answer
        if "base" not in record:
            raise PersonalError("a test needs at least the base reader's answer")
        with _writing("keep the test", self.root):
            write_json(self.root / TESTS, (self.tests() + [record])[-MAX_TESTS:])
        return record

    def test_summary(self, kind: str) -> dict:
        """Per reader: right, scored and the confusion matrix (rows: what was written) over `kind`."""
        labels = list(KINDS[check_kind(kind)])
        records = [r for r in self.tests() if r["kind"] == kind]
        seen = [label for label in labels if any(label in (r["truth"], *r.values()) for r in records)]
        out = {"kind": kind, "labels": seen, "tests": len(records), "readers": {}}
        for reader in ("base", "personal"):
            rows = [r for r in records if r.get(reader) in labels and r["truth"] in labels]
            matrix = np.zeros((len(seen), len(seen)), int)
            for r in rows:
                matrix[seen.index(r["truth"]), seen.index(r[reader])] += 1
            out["readers"][reader] = {
                "right": int(np.trace(matrix)),
                "scored": len(rows),
                "confusion": matrix.tolist(),
            }
        return out

    def clear_tests(self) -> None:
        with _writing("clear the tests", self.root):
            (self.root / TESTS).unlink(missing_ok=True)


def _save_png(img: Image.Image, path: Path) -> None:
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")
