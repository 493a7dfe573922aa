"""Extension: why the network read what it read — Captum attributions beside the input.

For a few MNIST test digits (read right and misread), the misread own digits and some Greek
letters (through the transfer-learned letter layer), this draws the 28x28 input beside three of
Captum's attributions for the predicted class: Saliency (|gradient|), Integrated Gradients (from a
black image) and Grad-CAM at the second conv block; for a misread input, Integrated Gradients
for the true class too, so one sees what the network missed.

    python -m extensions.attributions [--model models/mnist_net.pt] [--figures-dir figures]

The attributions themselves are recognition/attribution.py; the explorer page
(extensions/explorer) draws the same maps live.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

import netlib
from recognition import attribution, cli, embedding, flags
from recognition.attribution import grad_cam, integrated_gradients, saliency, unit_scale
from recognition.data import datasets, greeksets, imagefiles
from recognition.handwriting import glyphs
from recognition.io import writable_folder
from recognition.report import plots
from recognition.report.markdown import Outputs, figure, table
from recognition.report.results import StepResults, save_results
from recognition.report.steps import Answer, Step

# One figure per kind of input, so that each fits a printed page at a readable size (all 14 rows in
# one figure shrank to a third in the PDF): source -> (file, caption)
FIGURES = {
    "MNIST test": ("attributions_mnist.png", "Test digits: three read right, three misread."),
    "own digit": ("attributions_own_digits.png", "Own digits the network misread (the first four)."),
    "own Greek": ("attributions_greek.png", "The first own image of each Greek letter."),
}


@dataclass
class Example:
    """One input of the figure: where it came from, its true class and the class the network chose."""

    source: str
    name: str
    truth: str
    prediction: str

    @property
    def wrong(self) -> bool:
        return self.truth != self.prediction


@dataclass(kw_only=True)
class AttributionsResults(StepResults):
    model: str
    figures: list[str]  # one per kind of input shown (FIGURES), in its order
    own_digits_read: int  # labelled own digits
    own_digits_misread: int
    examples: list[Example]  # the figure's rows, in order
    missing: list[str]  # input folders that were missing, so their examples are left out


# --- the examples ----------------------------------------------------------------------------


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="digit network (task 1)")
    p.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="where MNIST and the default folders below live"
    )
    p.add_argument("--own-digits", type=Path, help="own digit photos (task 1g; default DATA_DIR/own_digits)")
    p.add_argument("--greek-dir", type=Path, help="Greek reference set (task 3; default: DATA_DIR/greek)")
    p.add_argument(
        "--greek-own-dir", type=Path, help="own Greek letters (task 3; default: DATA_DIR/greek_own)"
    )
    p.add_argument(
        "--figures-dir", type=Path, default=Path("figures"), help="where the figure and results go"
    )
    p.add_argument(
        "--test-images", type=flags.COUNT, default=2000, help="MNIST test images searched for misreadings"
    )
    args = p.parse_args(argv)
    args.own_digits = args.own_digits or args.data_dir / "own_digits"
    args.greek_dir = args.greek_dir or greeksets.builtin_folder(args.data_dir, "reference")
    args.greek_own_dir = args.greek_own_dir or greeksets.builtin_folder(args.data_dir, "own")
    return args


Shown = tuple[Example, torch.Tensor]  # an example and its [0,1] 28x28 image


@torch.inference_mode()
def predict(model: nn.Module, images: torch.Tensor) -> np.ndarray:
    return model(datasets.to_model_input(images)).argmax(1).numpy()


def mnist_examples(model, mnist: datasets.Mnist, n_test: int) -> list[Shown]:
    """The first three test digits read right and the first three misread."""
    images, labels = mnist.test_images[:n_test].float() / 255, mnist.test_labels[:n_test].numpy()
    predicted = predict(model, images)
    right = np.flatnonzero(predicted == labels)[:3]
    wrong = np.flatnonzero(predicted != labels)[:3]
    return [
        (Example("MNIST test", f"test #{i}", str(labels[i]), str(predicted[i])), images[i])
        for i in [*right, *wrong]
    ]


def own_digit_examples(model, folder: Path) -> tuple[list[Shown], int, int]:
    """The misread own digits (the first four), how many labelled own digits were read and misread."""
    if not folder.is_dir():
        return [], 0, 0
    own = imagefiles.load_image_set(folder, vocabulary=set(glyphs.DIGITS))
    predicted = predict(model, own.images)
    labelled = [i for i, y in enumerate(own.labels) if y is not None]
    wrong = [i for i in labelled if int(own.labels[i]) != predicted[i]]
    shown = [
        (
            Example("own digit", str(own.paths[i].relative_to(folder)), own.labels[i], str(predicted[i])),
            own.images[i],
        )
        for i in wrong[:4]
    ]
    return shown, len(labelled), len(wrong)


def greek_examples(
    model, reference_dir: Path, own_dir: Path
) -> tuple[list[Shown], nn.Module | None, list[str]]:
    """The first own image of each letter, read by the transfer network."""
    if not (reference_dir.is_dir() and own_dir.is_dir()):
        return [], None, []
    reference = greeksets.load_reference(reference_dir, "mnist", None, quiet=True)
    net, classes = attribution.letter_network(
        model, embedding.embed(model, reference.images), reference.labels
    )
    own = imagefiles.load_image_set(own_dir, vocabulary=set(classes))
    firsts = [own.labels.index(c) for c in classes if c in own.labels]
    predicted = predict(net, own.images[firsts]) if firsts else []
    shown = [
        (
            Example("own Greek", str(own.paths[i].relative_to(own_dir)), own.labels[i], classes[p]),
            own.images[i],
        )
        for i, p in zip(firsts, predicted)
    ]
    return shown, net, classes


def attribute(
    net: nn.Module, example: Example, image: torch.Tensor, classes: list[str]
) -> dict[str, np.ndarray]:
    """The figure's maps of one input, by panel title."""
    x = datasets.to_model_input(image[None])
    target = classes.index(example.prediction)
    maps = {
        "Saliency": unit_scale(saliency(net, x, target)),
        "Integrated Gradients": unit_scale(integrated_gradients(net, x, target)),
        "Grad-CAM (block 2)": unit_scale(grad_cam(net, x, target)),
    }
    if example.wrong and example.truth in classes:
        maps[f"IG for the true {example.truth}"] = unit_scale(
            integrated_gradients(net, x, classes.index(example.truth))
        )
    return maps


def overlay(image: np.ndarray, attribution: np.ndarray) -> np.ndarray:
    """The input in dim grey under the attribution: red where it speaks for the class, blue against."""
    grey = np.repeat(0.45 * np.asarray(image, np.float32)[..., None], 3, axis=2)
    alpha = np.clip(np.abs(attribution), 0, 1)[..., None] * 0.9
    colour = np.where(attribution[..., None] >= 0, [1.0, 0.15, 0.0], [0.1, 0.4, 1.0])
    return grey * (1 - alpha) + colour * alpha


def plot_all(rows: list[tuple[Example, torch.Tensor, dict[str, np.ndarray]]], folder: Path) -> list[Path]:
    """One figure per kind of input (FIGURES) that has examples."""
    return [
        plot_attributions([row for row in rows if row[0].source == source], folder / name)
        for source, (name, _) in FIGURES.items()
        if any(row[0].source == source for row in rows)
    ]


def plot_attributions(rows: list[tuple[Example, torch.Tensor, dict[str, np.ndarray]]], path: Path) -> Path:
    """One row per example: the input, then each map over it."""
    import matplotlib.pyplot as plt

    cols = 5
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.9 * cols, 2.0 * len(rows)), squeeze=False)
    for (example, image, maps), ax_row in zip(rows, axes):
        image = np.asarray(image)
        ax_row[0].imshow(image, cmap="gray", vmin=0, vmax=1)
        ax_row[0].set_title(
            f"{example.name}\ntrue {example.truth}, read "
            f"{example.prediction}{' WRONG' if example.wrong else ''}",
            fontsize=9,
            color="red" if example.wrong else "black",
        )
        for ax, (title, m) in zip(ax_row[1:], maps.items()):
            ax.imshow(overlay(image, m))
            ax.set_title(title, fontsize=9)
        for ax in ax_row:
            ax.axis("off")
    fig.suptitle(
        f"{rows[0][0].source}: Captum attributions for the class the network chose (red: for it, "
        "blue: against it)",
        fontsize=11,
    )
    fig.tight_layout()
    return plots.save_figure(fig, path)


def main(argv=None) -> AttributionsResults:
    args = parse_args(argv)
    figs = writable_folder(args.figures_dir)
    clock = time.perf_counter()
    try:
        model, _ = netlib.load_checkpoint(args.model)
    except netlib.CheckpointError as err:
        raise cli.UserError(str(err)) from err
    digits = mnist_examples(model, datasets.load_mnist(args.data_dir), args.test_images)
    own_wrong, own_read, own_misread = own_digit_examples(model, args.own_digits)
    digits += own_wrong
    rows = [(e, image, attribute(model, e, image, list(glyphs.DIGITS))) for e, image in digits]
    greek, greek_net, letters = greek_examples(model, args.greek_dir, args.greek_own_dir)
    rows += [(e, image, attribute(greek_net, e, image, letters)) for e, image in greek]
    paths = plot_all(rows, figs)
    missing = [str(d) for d in (args.own_digits, args.greek_dir, args.greek_own_dir) if not d.is_dir()]
    results = AttributionsResults(
        model=str(args.model),
        figures=[str(p) for p in paths],
        own_digits_read=own_read,
        own_digits_misread=own_misread,
        examples=[e for e, _, _ in rows],
        missing=missing,
        seconds=time.perf_counter() - clock,
    )
    save_results(figs / STEP.results_file, results)
    print(f"attributions for {len(rows)} inputs: {', '.join(map(str, paths))}")
    for folder in missing:
        print(f"  note: {folder} is missing, so its examples are left out (make figures generates it)")
    return results


# --- report section --------------------------------------------------------------------------


def report_section(r: AttributionsResults, outputs: Outputs) -> str:
    out = (
        "Each input beside Captum's attributions for the class the network chose, taken of the class "
        "score before the softmax (a confident log-probability is saturated and its gradients vanish): "
        "Saliency (how strongly each pixel moves the score), Integrated Gradients from a black image "
        "(red pixels add to the answer, blue ones count against it) and Grad-CAM at the second conv "
        "block, location by location (gradient x activation summed over the channels: each region's "
        "share of the score, red for the answer, blue against; the usual channel-averaged weights were "
        "mostly negative for this small network and painted its evidence blue). For a misread input the "
        "last panel is Integrated Gradients for the true class: the strokes the network did not credit. "
        "The explorer "
        "page (`make demo`) draws all three live for whatever you draw.\n\n"
    )
    if r.own_digits_read:
        shown = "the first four are shown" if r.own_digits_misread > 4 else "all are shown"
        out += (
            f"Own digits: {r.own_digits_misread} of {r.own_digits_read} misread"
            f"{'; ' + shown if r.own_digits_misread else ', so none to show'}.\n\n"
        )
    wrong = [[e.source, e.name, e.truth, e.prediction] for e in r.examples if e.wrong]
    out += table(["input", "file", "true", "read as"], wrong) if wrong else ""
    for folder in r.missing:
        out += f"\n`{folder}` was missing, so its examples are left out.\n"
    captions = {name: caption for name, caption in FIGURES.values()}
    return out + "".join("\n" + figure(f, captions.get(Path(f).name, Path(f).stem)) for f in r.figures)


STEP = Step(
    name="attributions",
    title="Extension: why the network read what it read (Captum)",
    command="python -m extensions.attributions",
    results=AttributionsResults,
    section=report_section,
    needs=("task1",),
    cost_s=10,
    rubric=(
        Answer(
            "x-attributions",
            "",
            lambda r: (
                f"{len(r.examples)} inputs explained three ways; {r.own_digits_misread} of "
                f"{r.own_digits_read} own digits misread"
            ),
        ),
    ),
)


if __name__ == "__main__":
    cli.run(main)
