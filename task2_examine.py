"""Task 2: examine the trained network: its first-layer filters, their effect, truncated networks.

    python task2_examine.py                                  # train image 0 (a 5), plus test image 0 (a 7)
    python task2_examine.py --image-set test --image-index 3 --compare-with   # one other digit only

Reads the model Task 1 saved. Figures that depend on the digit carry its name as a suffix
(`_train0`, `_test0`), so the figures for several digits sit side by side for comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import time
from pathlib import Path

import numpy as np
import torch

import netlib
from recognition import cli, networks
from recognition.data import datasets
from recognition.io import writable_folder, write_text
from recognition.networks.filters import FILTER_PADDING, apply_filters, check_reading, read_filter
from recognition.report import plots
from recognition.report.results import save_results
from recognition.report.sections.task2 import (
    RUBRIC,
    DigitFigures,
    ExaminedDigit,
    FirstLayer,
    ModelRead,
    SecondLayer,
    Task2Results,
    Timings,
    report_section,
)
from recognition.report.steps import Step

KINDS = ("cnn", "gabor")  # the networks with the course's conv1 and conv2 layers
FILTER_CMAP = "RdBu_r"  # red positive, blue negative, white zero
IMAGE_SETS = ("train", "test")


def image_ref(text: str) -> tuple[str, int]:
    """'test:0' -> ('test', 0); argparse turns the error below into a usage message."""
    name, sep, index = text.partition(":")
    if not sep or name not in IMAGE_SETS or not index.isdigit():
        raise argparse.ArgumentTypeError(
            f"expected SET:INDEX with SET train or test, e.g. test:0; got {text!r}"
        )
    return name, int(index)


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--model",
        type=Path,
        default=Path("models/mnist_net.pt"),
        help="checkpoint written by task1_train_mnist.py: a cnn or gabor network (their conv1 and conv2 "
        "are examined; a transformer is refused at the start)",
    )
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where MNIST lives")
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where figures and results go")
    p.add_argument(
        "--image-set",
        choices=IMAGE_SETS,
        default="train",
        help="MNIST split of the digit to filter (the assignment: train)",
    )
    p.add_argument(
        "--image-index",
        type=cli.Range(int, 0),
        default=0,
        help="index of the digit in that split (the assignment: 0, the first)",
    )
    p.add_argument(
        "--compare-with",
        type=image_ref,
        nargs="*",
        default=[("test", 0)],
        metavar="SET:INDEX",
        help="further digits to make the same figures for (default test:0, a 7); "
        "give the flag with no value for none",
    )
    return p.parse_args(argv)


# --- the model -------------------------------------------------------------------------------


def summary_parameter_count(table: str) -> int:
    """The 'Total params' line of torchsummary's table, as a number."""
    match = re.search(r"Total params: ([\d,]+)", table)
    if not match:
        raise ValueError("torchsummary's table has no 'Total params' line")
    return int(match.group(1).replace(",", ""))


def describe_model(model: netlib.MnistNet, model_path: Path, meta: dict, figs: Path) -> ModelRead:
    """The network read back, its summary table, and the parameter count the table states."""
    summary = networks.summary_table(model)
    print(f"The network read from {model_path}:\n{model}\n\n{summary}")
    path = write_text(figs / "task2_summary.txt", f"{model}\n\n{summary}")
    return ModelRead(
        checkpoint=model_path,
        meta=meta,
        parameters=netlib.count_parameters(model),
        summary_parameters=summary_parameter_count(summary),
        summary_file=path,
    )


# --- a) the first layer's filters ------------------------------------------------------------


def symmetric_limit(values) -> float:
    """A colour limit centred on zero that fits every value, so one scale serves all panels."""
    return float(np.abs(np.asarray(values)).max()) or 1.0


def plot_filters(filters: np.ndarray, path: Path) -> Path:
    limit = symmetric_limit(filters)
    fig = plots.image_grid(
        filters,
        [f"filter {i}" for i in range(len(filters))],
        ncols=4,
        cell=2.0,
        cmap=FILTER_CMAP,
        vmin=-limit,
        vmax=limit,
        suptitle="First layer (conv1): the 10 learned 5x5 filters",
    )
    fig.colorbar(fig.axes[0].images[0], ax=fig.axes, shrink=0.8).set_label("weight (red +, blue -)")
    return plots.save_figure(fig, path)


def first_layer(model: netlib.MnistNet, figs: Path) -> FirstLayer:
    """a) the conv1 weights and their figure; b) what each filter responds to."""
    filters = model.conv1.weight.detach().cpu()  # (10, 1, 5, 5)
    weights = filters[:, 0].numpy()  # one input channel: the filters as 5x5 arrays
    print(f"a) first-layer weights: shape {tuple(filters.shape)}")
    for i, w in enumerate(weights):
        rows = "\n".join("    " + " ".join(f"{v:5.2f}" for v in row) for row in w)
        print(f"  filter {i}:\n{rows}")
    path = plot_filters(weights, figs / "task2a_filters.png")
    readings = [read_filter(w) for w in weights]
    print("b) what each filter responds to (computed from its weights):")
    for i, reading in enumerate(readings):
        print(f"  filter {i}: {reading.text}")
    return FirstLayer(
        weight_shape=list(filters.shape),
        weights=np.round(weights, 4).tolist(),
        readings=readings,
        padding=FILTER_PADDING,
        figure=path,
    )


# --- b) the filters applied to one digit -----------------------------------------------------


def plot_filter_effect(
    filters: np.ndarray, filtered: np.ndarray, image: np.ndarray, name: str, path: Path
) -> Path:
    """Each filter beside its filtered image; filters on one diverging scale, outputs on one grey scale.

    The top row holds the input digit and the two colour bars.
    """
    plt = plots.plt
    n = len(filters)
    pairs = [[f"filter {i}", f"filtered {i}", f"filter {i + 1}", f"filtered {i + 1}"] for i in range(0, n, 2)]
    mosaic = [
        ["input", "weight bar", "weight bar", "weight bar"],
        ["input", "output bar", "output bar", "output bar"],
        *pairs,
    ]
    fig, axes = plt.subplot_mosaic(
        mosaic,
        figsize=(8.4, 2.05 * len(pairs) + 2.4),
        layout="constrained",
        height_ratios=[0.5, 0.5] + [1] * len(pairs),
    )
    limit = symmetric_limit(filters)
    low, high = float(filtered.min()), float(filtered.max())
    panels = {"input": (image, "input digit", "gray", None, None)}
    for i in range(n):
        panels[f"filter {i}"] = (filters[i], f"filter {i}", FILTER_CMAP, -limit, limit)
        panels[f"filtered {i}"] = (filtered[i], f"filtered by {i}", "gray", low, high)
    shown = {}
    for key, (picture, title, cmap, vmin, vmax) in panels.items():
        shown[cmap] = axes[key].imshow(picture, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        axes[key].set_title(title)
        axes[key].set_xticks([])
        axes[key].set_yticks([])
    for key, cmap, label in (
        ("weight bar", FILTER_CMAP, "filter weight (red +, blue -)"),
        ("output bar", "gray", "filtered value (one scale for all 10)"),
    ):
        axes[key].axis("off")
        bar = fig.colorbar(
            shown[cmap], cax=axes[key].inset_axes([0.05, 0.55, 0.9, 0.25]), orientation="horizontal"
        )
        bar.set_label(label)
    fig.suptitle(
        f"conv1 filters applied to {name}\n(correlation as OpenCV filter2D: reflected border, no bias)"
    )
    return plots.save_figure(fig, path)


# --- c) truncated networks and the second layer ----------------------------------------------


def truncated_outputs(model: netlib.MnistNet, x: torch.Tensor) -> dict[int, torch.Tensor]:
    """The network's output after 1 and after 2 conv blocks for one normalised (1, 1, 28, 28) input."""
    with torch.no_grad():
        return {blocks: netlib.conv_blocks_net(model, blocks)(x)[0].cpu() for blocks in (1, 2)}


def plot_channels(
    channels: torch.Tensor, titles: list[str], title: str, path: Path, ncols: int, cell: float
) -> Path:
    """All channels of one activation map on one grey scale (0 is black: every value is post-ReLU)."""
    fig = plots.image_grid(
        channels, titles, ncols=ncols, cell=cell, vmin=0, vmax=float(channels.max()) or 1.0, suptitle=title
    )
    fig.colorbar(fig.axes[0].images[0], ax=fig.axes, shrink=0.8).set_label("activation (shared scale)")
    return plots.save_figure(fig, path)


def plot_conv2_filters(weights: np.ndarray, path: Path) -> Path:
    """All (out, in, 5, 5) second-layer filters as one mosaic: a row per output, a column per input."""
    plt = plots.plt
    n_out, n_in, k, _ = weights.shape
    step = k + 1  # one blank pixel between filters
    mosaic = np.full((n_out * step - 1, n_in * step - 1), np.nan)
    for o in range(n_out):
        for i in range(n_in):
            mosaic[o * step : o * step + k, i * step : i * step + k] = weights[o, i]
    limit = symmetric_limit(weights)
    cmap = plt.get_cmap(FILTER_CMAP).with_extremes(bad="white")
    fig, ax = plt.subplots(figsize=(7.5, 13))
    shown = ax.imshow(mosaic, cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest")
    centres = np.arange(k // 2, step * max(n_out, n_in), step)
    ax.set_xticks(centres[:n_in], [str(i) for i in range(n_in)])
    ax.set_yticks(centres[:n_out], [str(o) for o in range(n_out)])
    ax.tick_params(length=0)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("input channel (the conv1 filter it reads)")
    ax.set_ylabel("output channel (conv2 filter)")
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(f"Second layer (conv2): {n_out} x {n_in} filters of {k}x{k}", pad=12)
    fig.colorbar(shown, ax=ax, shrink=0.5).set_label("weight (red +, blue -)")
    return plots.save_figure(fig, path)


def second_layer(model: netlib.MnistNet, figs: Path) -> SecondLayer:
    conv2 = model.conv2.weight.detach().cpu().numpy()
    path = plot_conv2_filters(conv2, figs / "task2c_conv2_filters.png")
    return SecondLayer(weight_shape=list(conv2.shape), figure=path)


# --- the digits to examine -------------------------------------------------------------------


def pick_digit(mnist: datasets.Mnist, image_set: str, index: int) -> tuple[torch.Tensor, int]:
    images, labels = (
        (mnist.train_images, mnist.train_labels)
        if image_set == "train"
        else (mnist.test_images, mnist.test_labels)
    )
    if not 0 <= index < len(images):
        raise cli.UserError(
            f"image {index} is outside the {image_set} set (0 to {len(images) - 1}); "
            "pick another --image-index or --compare-with SET:INDEX"
        )
    return images[index], int(labels[index])


def examine_digit(
    model, filters: torch.Tensor, mnist, image_set: str, index: int, figs: Path
) -> ExaminedDigit:
    """Steps b and c for one digit: its filtered images and its truncated-network outputs, timed."""
    start = time.perf_counter()
    image, label = pick_digit(mnist, image_set, index)
    tag = f"{image_set}{index}"
    name = f"{image_set} image {index} (a {label})"
    x = datasets.to_model_input(image[None])  # what the network sees: normalised, (1, 1, 28, 28)
    filtered = apply_filters(x[0, 0], filters).numpy()
    weights = filters[:, 0].numpy()  # b) does each filtered image show what the weights were read as?
    seen = [check_reading(x[0, 0], w, read_filter(w), f"the filtered {label}") for w in weights]
    outputs = truncated_outputs(model, x)
    with torch.no_grad():
        predicted = int(model(x).argmax(1))
    figures = DigitFigures(
        filter_effect=plot_filter_effect(
            filters[:, 0].numpy(), filtered, image.numpy(), name, figs / f"task2b_filter_effect_{tag}.png"
        ),
        conv_output=plot_channels(
            outputs[2],
            [f"channel {i}" for i in range(len(outputs[2]))],
            f"Conv layers only: {name} -> 20 channels of 4x4",
            figs / f"task2c_conv_output_{tag}.png",
            ncols=5,
            cell=1.9,
        ),
        block1_output=plot_channels(
            outputs[1],
            [f"from filter {i}" for i in range(len(outputs[1]))],
            f"Cut after conv block 1: {name} -> 10 channels of 12x12 (conv1, pool, ReLU)",
            figs / f"task2c_block1_output_{tag}.png",
            ncols=5,
            cell=2.0,
        ),
    )
    return ExaminedDigit(
        image_set=image_set,
        index=index,
        label=label,
        predicted=predicted,
        filtered_range=(float(filtered.min()), float(filtered.max())),
        conv_output_shape=list(outputs[2].shape),
        block1_output_shape=list(outputs[1].shape),
        readings_seen=seen,
        figures=figures,
        seconds=time.perf_counter() - start,
    )


def examine_digits(
    model: netlib.MnistNet, mnist: datasets.Mnist, digits: list[tuple[str, int]], figs: Path
) -> list[ExaminedDigit]:
    """b, c) for each digit, once each in the order given: its filtered images and its truncated outputs."""
    filters = model.conv1.weight.detach().cpu()
    examined = []
    for image_set, index in dict.fromkeys(digits):
        digit = examine_digit(model, filters, mnist, image_set, index, figs)
        examined.append(digit)
        names = ", ".join(p.name for p in dataclasses.astuple(digit.figures))
        print(
            f"b, c) {image_set} image {index} (label {digit.label}, predicted {digit.predicted}): "
            f"conv layers only -> {digit.conv_output_shape}, cut after block 1 -> "
            f"{digit.block1_output_shape}; the filters' readings seen in its filtered images: "
            f"{sum(c.shows for c in digit.readings_seen)} of {len(digit.readings_seen)}; figures: {names}"
        )
    return examined


def timed(seconds: dict[str, float], name: str, step, *args):
    """`step(*args)`, its time recorded as `seconds[name]`."""
    start = time.perf_counter()
    part = step(*args)
    seconds[name] = time.perf_counter() - start
    return part


def main(argv=None) -> Task2Results:
    args = parse_args(argv)
    clock = time.perf_counter()
    figs = writable_folder(args.figures_dir)
    model, meta = netlib.load_checkpoint(args.model, kinds=KINDS)
    mnist = datasets.load_mnist(args.data_dir)
    seconds = {"load": time.perf_counter() - clock}
    digits = [(args.image_set, args.image_index), *args.compare_with]
    results = Task2Results(  # the parts run in this order
        model=timed(seconds, "summary", describe_model, model, args.model, meta, figs),
        first_layer=timed(seconds, "first_layer", first_layer, model, figs),
        second_layer=timed(seconds, "second_layer", second_layer, model, figs),
        digits=timed(seconds, "digits", examine_digits, model, mnist, digits, figs),
        timings_s=Timings(**seconds),
        seconds=time.perf_counter() - clock,
    )
    path = save_results(figs / STEP.results_file, results)
    print(f"results in {path} ({results.seconds:.1f} s)")
    return results


STEP = Step(
    name="task2",
    title="Task 2: examine the network",
    command="python task2_examine.py",
    results=Task2Results,
    section=report_section,
    needs=("task1",),
    cost_s=5,
    rubric=RUBRIC,
)


if __name__ == "__main__":
    cli.run(main)
