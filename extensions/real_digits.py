"""Extension: real people's digits. scikit-learn's copy of the UCI handwritten digits (1,797 digits
written by 13 people on NIST forms, each kept as 8x8 counts of ink, 0-16) read the way your own
digit images are read: each made into a scan a person would recognise, saved as an image file, read
back through the own-image recipe (`recognition/data/preprocess.py`) and classified by the saved network.

    python -m extensions.real_digits [--model models/mnist_net.pt] [--data-dir data] [--digits N]

Each 8x8 is enlarged smoothly (bicubic, x10) and laid on white paper with a margin, dark ink on
white as a scanner gives it, and saved as DATA_DIR/uci_digits/<digit>/<index>.png (made when
missing), so `python task1_train_mnist.py --no-train --own-digits data/uci_digits` reads the same
images. The file keeps each writer's digits together but names no writer, so it is split into its
first and second half (about six and a half writers each): the recipe was tuned on the first half
only, and the second half is a score nothing was tuned on.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import netlib
from recognition import cli, flags
from recognition.data import datasets, imagefiles
from recognition.io import atomic_folder, writable_folder
from recognition.report import plots
from recognition.report.markdown import Outputs, figure, fraction, table
from recognition.report.results import StepResults, save_results
from recognition.report.steps import Answer, Step

ENLARGE, MARGIN = 10, 16  # an 8x8 becomes 80x80 px of ink on a 112 px page: the recipe's working size
FULL_COUNT = 16  # UCI's counts: the ink pixels of each 4x4 block of the writer's 32x32 bitmap
DIGITS = set("0123456789")
MISREAD_SHOWN = 40
CONFUSION_FIGURE, MISREAD_FIGURE = "ext_real_digits_confusion.png", "ext_real_digits_misread.png"


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="digit network (task 1)")
    p.add_argument(
        "--digits", type=flags.COUNT, default=None, help="read only the first N digits of the file (checks)"
    )
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the scans are kept")
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where figures and results go")
    return p.parse_args(argv)


@dataclass
class Part:
    """A stretch of the file (its digits first..last-1) and how many of them were read right."""

    name: str
    first: int
    last: int
    right: int


@dataclass
class DigitScore:
    right: int
    written: int


@dataclass
class Misread:
    index: int  # in the file (sklearn.datasets.load_digits's order)
    label: int
    predicted: int  # -1: the recipe found no ink


@dataclass(kw_only=True)
class RealDigitsResults(StepResults):
    model: str
    folder: str  # the scans
    digits: int  # read: all 1,797 unless --digits
    right: int
    parts: list[Part]  # the first half (the recipe tuned there) and the second (scored only)
    per_digit: list[DigitScore]  # digits 0-9
    confusion: list[list[int]]  # rows: the digit written; columns: what was read
    misread: list[Misread]
    confusion_figure: str
    misread_figure: str


def load_uci_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 counts (N, 8, 8) and labels of scikit-learn's UCI digits (shipped with it: offline)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images, digits.target


def as_scan(counts: np.ndarray) -> Image.Image:
    """One digit's 8x8 counts as a scan: enlarged smoothly, dark ink on white paper with a margin."""
    ink = torch.from_numpy(np.asarray(counts, np.float32) / FULL_COUNT)[None, None]
    big = F.interpolate(ink, scale_factor=ENLARGE, mode="bicubic", align_corners=False)[0, 0]
    paper = np.pad(1 - big.clamp(0, 1).numpy(), MARGIN, constant_values=1.0)
    return Image.fromarray(np.rint(paper * 255).astype(np.uint8), "L").convert("RGB")


def scans_folder(data_dir: Path, counts: np.ndarray, labels: np.ndarray, whole: bool) -> Path:
    """The digits as scans, DATA_DIR/uci_digits/<digit>/<index>.png (uci_digits_first<N> for the
    start of the file), written when missing."""
    folder = data_dir / ("uci_digits" if whole else f"uci_digits_first{len(labels)}")
    if not folder.exists():
        with atomic_folder(folder) as tmp:  # an interrupted run leaves no half set
            for i, (c, y) in enumerate(zip(counts, labels)):
                (tmp / str(y)).mkdir(exist_ok=True)
                as_scan(c).save(tmp / str(y) / f"{i:04d}.png")
        print(f"{folder} was missing: wrote the {len(labels)} digits there as scans")
    return folder


def read_folder(model, folder: Path, labels: np.ndarray) -> tuple[list[Path], torch.Tensor, np.ndarray]:
    """Every scan read from its file as people's images are (imagefiles, the own-image recipe) and
    classified, in the file's order: the paths, the 28x28 inputs and the predictions (-1: no ink)."""
    found = imagefiles.load_image_set(folder, vocabulary=DIGITS)
    index = [int(p.stem) for p in found.paths] + [int(p.stem) for p, _ in found.skipped]
    if sorted(index) != list(range(len(labels))):
        raise cli.UserError(f"{folder} does not hold the {len(labels)} digits' scans: remove it to remake it")
    paths = [folder / str(y) / f"{i:04d}.png" for i, y in enumerate(labels)]
    inputs = torch.zeros(len(labels), 28, 28)
    inputs[[int(p.stem) for p in found.paths]] = found.images
    with torch.inference_mode():
        predicted = model(datasets.to_model_input(inputs)).argmax(1).numpy()
    predicted[[int(p.stem) for p, _ in found.skipped]] = -1
    return paths, inputs, predicted


def score(labels: np.ndarray, predicted: np.ndarray) -> tuple[list[Part], list[DigitScore], list[list[int]]]:
    """The halves' scores, each digit's and the confusion matrix (no ink: no column)."""
    right = labels == predicted
    half = len(labels) // 2
    parts = [
        Part("first half (the recipe tuned here)", 0, half, int(right[:half].sum())),
        Part("second half (scored only)", half, len(labels), int(right[half:].sum())),
    ]
    per_digit = [DigitScore(int(right[labels == d].sum()), int((labels == d).sum())) for d in range(10)]
    confusion = np.zeros((10, 10), int)
    for y, p in zip(labels, predicted):
        if p >= 0:
            confusion[y, p] += 1
    return parts, per_digit, confusion.tolist()


def main(argv=None) -> RealDigitsResults:
    args = parse_args(argv)
    figs = writable_folder(args.figures_dir)
    start = time.perf_counter()
    model, _ = netlib.load_checkpoint(args.model)
    counts, labels = load_uci_digits()
    whole = args.digits is None or args.digits >= len(labels)
    counts, labels = counts[: args.digits], labels[: args.digits]
    folder = scans_folder(args.data_dir, counts, labels, whole)
    paths, inputs, predicted = read_folder(model, folder, labels)
    parts, per_digit, confusion = score(labels, predicted)
    wrong = np.flatnonzero(labels != predicted)
    misread = [Misread(int(i), int(labels[i]), int(predicted[i])) for i in wrong]
    results = RealDigitsResults(
        model=str(args.model),
        folder=str(folder),
        digits=len(labels),
        right=int((labels == predicted).sum()),
        parts=parts,
        per_digit=per_digit,
        confusion=confusion,
        misread=misread,
        confusion_figure=str(plot_confusion(confusion, figs / CONFUSION_FIGURE)),
        misread_figure=str(plot_misread(misread, paths, inputs, figs / MISREAD_FIGURE)),
        seconds=time.perf_counter() - start,
    )
    print(f"UCI digits read right: {fraction(results.right, results.digits)}")
    for part in parts:
        print(f"  {part.name}: {fraction(part.right, part.last - part.first)}")
    save_results(figs / STEP.results_file, results)
    print(f"results in {figs / STEP.results_file} ({results.seconds:.1f} s)")
    return results


def plot_confusion(confusion: list[list[int]], path: Path) -> Path:
    """Counts of each digit written (rows) read as each digit (columns), coloured on a log scale so
    that the few confusions show beside the diagonal's hundreds."""
    matrix = np.asarray(confusion, float)
    fig = plots.heatmap(
        np.log10(1 + matrix),
        [str(d) for d in range(10)],
        [str(d) for d in range(10)],
        "Real UCI digits: written (rows), read as (columns)",
        xlabel="read as",
        ylabel="written",
        fmt=None,
        colorbar_label="log10(1 + count)",
    )
    bright = np.log10(1 + matrix.max()) / 2
    for (r, c), n in np.ndenumerate(matrix):
        if n:
            colour = "black" if np.log10(1 + n) > bright else "white"
            fig.axes[0].text(c, r, int(n), ha="center", va="center", fontsize=9, color=colour)
    return plots.save_figure(fig, path)


def plot_misread(misread: list[Misread], paths: list[Path], inputs, path: Path) -> Path:
    """The first misread digits: each scan beside the network's 28x28 input and what it read."""
    shown = misread[:MISREAD_SHOWN]
    if not shown:
        fig = plots.plt.figure(figsize=(4, 1))
        fig.text(0.5, 0.5, "every digit read right", ha="center")
        return plots.save_figure(fig, path)
    fig = plots.pairs_grid(
        [imagefiles.read_image(paths[m.index]) for m in shown],
        [inputs[m.index] for m in shown],
        [f"#{m.index}: a {m.label}" for m in shown],
        ["no ink found" if m.predicted < 0 else f"read {m.predicted}" for m in shown],
        ["red"] * len(shown),
        f"The first {len(shown)} of {len(misread)} misread real digits: the scan, and the network's input",
        ncols=5,
    )
    return plots.save_figure(fig, path)


# --- report section --------------------------------------------------------------------------


def report_section(r: RealDigitsResults, outputs: Outputs) -> str:
    cells = ((n, y, p) for y, row in enumerate(r.confusion) for p, n in enumerate(row))
    pairs = sorted(((n, y, p) for n, y, p in cells if y != p and n), reverse=True)
    common = ", ".join(f"{n} {y}s read as {p}" for n, y, p in pairs[:4]) or "none"
    unreadable = sum(m.predicted < 0 for m in r.misread)
    rows = [[p.name, f"{p.first}-{p.last - 1}", fraction(p.right, p.last - p.first)] for p in r.parts]
    rows.append(["**all**", f"0-{r.digits - 1}", f"**{fraction(r.right, r.digits)}**"])
    digit_rows = [[str(d), fraction(s.right, s.written)] for d, s in enumerate(r.per_digit)]
    return (
        "Real handwriting, not generated: scikit-learn's copy of the UCI digits, written by 13 people "
        "on NIST forms and kept as 8x8 counts of ink (0-16). Each is enlarged smoothly into a 112 px "
        f"scan, dark ink on white paper, saved (`{r.folder}`) and read exactly as your own digit "
        f"images are: through the own-image recipe and the saved network (`{Path(r.model).name}`). "
        "The file names no writers; its first half (about six of them) is where the recipe was "
        "tuned, and its second half was only scored.\n\n"
        + table(["digits", "in the file", "read right"], rows)
        + f"\nThe commonest confusions: {common}."
        + (f" The recipe found no ink in {unreadable}." if unreadable else "")
        + "\n\n"
        + table(["digit", "read right"], digit_rows)
        + "\n"
        + figure(
            r.confusion_figure, "Each digit written (rows) and what the network read (columns), in counts."
        )
        + "\n"
        + figure(
            r.misread_figure, "Misread real digits: the scan, the 28x28 input the recipe made, the answer."
        )
    )


STEP = Step(
    name="real_digits",
    title="Extension: real people's digits",
    command="python -m extensions.real_digits",
    results=RealDigitsResults,
    section=report_section,
    needs=("task1",),
    cost_s=50,
    rubric=(Answer("1g", "", lambda r: f"real UCI digits {fraction(r.right, r.digits)}"),),
)


if __name__ == "__main__":
    cli.run(main)
