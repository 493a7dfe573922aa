"""Task 2: examine the trained network: its first-layer filters, their effect, truncated networks.

    python task2_examine.py                                  # train image 0 (a 5), plus test image 0 (a 7)
    python task2_examine.py --image-set test --image-index 3 --compare-with   # one other digit only

Reads the model Task 1 saved. Figures that depend on the digit carry its name as a suffix
(`_train0`, `_test0`), so the figures for several digits sit side by side for comparison.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import netlib
from recognition import cli, networks
from recognition.data import datasets
from recognition.io import writable_folder, write_json, write_text
from recognition.report import plots
from recognition.report.markdown import Results, code_block, figure, opening, table

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
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--model",
        type=Path,
        default=Path("models/mnist_net.pt"),
        help="checkpoint written by task1_train_mnist.py",
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
        type=int,
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


# --- what a filter responds to ---------------------------------------------------------------
#
# A filter is read through its least-squares fit by a second-order polynomial over its window
# (its "local jet"): a constant (it sums brightness), a linear part (its mean gradient: an edge
# detector), and a quadratic part (its curvature: a line, a spot or a saddle). The three parts
# are orthogonal on the window, so each explains a share of the filter's energy (sum of squared
# weights); the reading names the part with the largest share.

COMPASS = ("right", "upper right", "above", "upper left", "left", "lower left", "below", "lower right")
MIN_SHARE = 0.2  # below this the winning part is hardly above what random weights give


def _polynomial_parts(w: np.ndarray):
    """Constant, linear and quadratic parts of the filter, plus the gradient and Hessian.

    Coordinates: x to the right, y downwards (image rows), the window centre at 0.
    """
    k = w.shape[0]
    y, x = np.mgrid[0:k, 0:k] - (k - 1) / 2
    basis = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], -1).reshape(-1, 6)
    coef, *_ = np.linalg.lstsq(basis, w.ravel(), rcond=None)
    fit = (basis * coef).reshape(k, k, 6)
    quadratic = fit[..., 3:].sum(-1)
    # The quadratic terms' mean belongs to the constant part; this keeps the parts orthogonal.
    constant = fit[..., 0] + quadratic.mean()
    quadratic = quadratic - quadratic.mean()
    linear = fit[..., 1] + fit[..., 2]
    gradient = coef[1:3]
    hessian = np.array([[2 * coef[3], coef[5]], [coef[5], 2 * coef[4]]])
    return constant, linear, quadratic, gradient, hessian


def _angle(dx: float, dy: float) -> float:
    """Direction in degrees, counter-clockwise from 'right' with 'up' at 90 (image y points down)."""
    return float(np.degrees(np.arctan2(-dy, dx)) % 360)


def _compass(angle: float) -> str:
    return COMPASS[int(((angle + 22.5) % 360) // 45)]


def _orientation(axis_angle: float) -> str:
    """Name of a line's orientation given the angle of its axis (mod 180)."""
    a = axis_angle % 180
    if a < 22.5 or a >= 157.5:
        return "horizontal"
    if 67.5 <= a < 112.5:
        return "vertical"
    return "diagonal (/)" if a < 90 else "diagonal (\\)"


def read_filter(w: np.ndarray) -> dict:
    """What the filter responds to, computed from its weights: kind, angle, share, and a sentence."""
    w = np.asarray(w, dtype=float)
    constant, linear, quadratic, gradient, hessian = _polynomial_parts(w)
    energy = float((w**2).sum()) or 1.0
    shares = {
        "brightness": float((constant**2).sum()) / energy,
        "edge": float((linear**2).sum()) / energy,
        "curvature": float((quadratic**2).sum()) / energy,
    }
    positive = float(w[w > 0].sum() / max(np.abs(w).sum(), 1e-12))
    part = max(shares, key=shares.get)
    share, angle = shares[part], None
    if share < MIN_SHARE:
        kind, text = "texture", f"no single simple structure (fine texture; the largest part is {part})"
    elif part == "brightness":
        kind = "brightness"
        text = (
            "responds to overall brightness: sums the ink in its window (a blur)"
            if constant.mean() > 0
            else "responds to overall darkness: its output falls wherever its window has ink"
        )
    elif part == "edge":
        kind, angle = "edge", _angle(*gradient)
        edge_axis = angle + 90  # an edge runs across its gradient
        text = (
            f"responds to {_orientation(edge_axis)} edges, dark {_compass((angle + 180) % 360)} / "
            f"bright {_compass(angle)} (gradient {angle:.0f} deg)"
        )
    else:
        kind, angle, text = _read_curvature(hessian)
    return {
        "kind": kind,
        "angle_deg": angle,
        "share": share,
        "shares": shares,
        "positive_weight_share": positive,
        "text": f"{text}; that part holds {share:.2f} of its energy; "
        f"{100 * positive:.0f}% of weight positive",
    }


def _read_curvature(hessian: np.ndarray) -> tuple[str, float | None, str]:
    """Spot, line or saddle from the Hessian's eigenvalues (weights peaked -> bright structure)."""
    values, vectors = np.linalg.eigh(hessian)
    order = np.argsort(-np.abs(values))
    strong, weak = values[order]
    across = vectors[:, order[0]]  # the direction of strongest curvature
    axis = _angle(-across[1], across[0]) % 180  # the structure runs across that direction
    shade = "bright" if strong < 0 else "dark"
    ratio = weak / strong
    if ratio > 0.5:
        surround = "darker" if strong < 0 else "brighter"
        return "spot", None, f"responds to a {shade} spot on a {surround} surround (centre-surround)"
    if ratio < -0.5:
        other = "dark" if shade == "bright" else "bright"
        return (
            "saddle",
            axis,
            f"responds to crossings: {shade} along {_orientation(axis)}, "
            f"{other} along {_orientation(axis + 90)} (axis {axis:.0f} deg)",
        )
    return "line", axis, f"responds to {shade} {_orientation(axis)} lines / strokes (axis {axis:.0f} deg)"


# --- b) the filters applied to one digit -----------------------------------------------------


def apply_filters(image: torch.Tensor, filters: torch.Tensor) -> torch.Tensor:
    """Correlate a (28, 28) image with (n, 1, k, k) filters, as OpenCV's filter2D does.

    Like filter2D's default border (BORDER_REFLECT_101), the image is padded by reflection
    without repeating the edge pixel (torch's 'reflect'), so each output has the image's size.
    No bias is added: these are the bare filters. Inside the border the result equals the
    network's own conv1 output less its bias.
    """
    k = filters.shape[-1]
    with torch.no_grad():
        padded = F.pad(image[None, None].float(), (k // 2,) * 4, mode="reflect")
        return F.conv2d(padded, filters.float())[0]


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


def examine_digit(model, filters: torch.Tensor, mnist, image_set: str, index: int, figs: Path) -> dict:
    """Steps b and c for one digit: its filtered images and its truncated-network outputs."""
    image, label = pick_digit(mnist, image_set, index)
    tag = f"{image_set}{index}"
    name = f"{image_set} image {index} (a {label})"
    x = datasets.to_model_input(image[None])  # what the network sees: normalised, (1, 1, 28, 28)
    filtered = apply_filters(x[0, 0], filters).numpy()
    outputs = truncated_outputs(model, x)
    with torch.no_grad():
        predicted = int(model(x).argmax(1))
    figures = {
        "b_filter_effect": plot_filter_effect(
            filters[:, 0].numpy(), filtered, image.numpy(), name, figs / f"task2b_filter_effect_{tag}.png"
        ),
        "c_conv_blocks_output": plot_channels(
            outputs[2],
            [f"channel {i}" for i in range(len(outputs[2]))],
            f"Conv layers only: {name} -> 20 channels of 4x4",
            figs / f"task2c_conv_output_{tag}.png",
            ncols=5,
            cell=1.9,
        ),
        "c_block1_output": plot_channels(
            outputs[1],
            [f"from filter {i}" for i in range(len(outputs[1]))],
            f"Cut after conv block 1: {name} -> 10 channels of 12x12 (conv1, pool, ReLU)",
            figs / f"task2c_block1_output_{tag}.png",
            ncols=5,
            cell=2.0,
        ),
    }
    return {
        "set": image_set,
        "index": index,
        "label": label,
        "predicted": predicted,
        "filtered_range": [float(filtered.min()), float(filtered.max())],
        "conv_output_shape": list(outputs[2].shape),
        "block1_output_shape": list(outputs[1].shape),
        "figures": {k: str(v) for k, v in figures.items()},
    }


# --- the steps -------------------------------------------------------------------------------


def describe_model(model: netlib.MnistNet, model_path: Path, meta: dict, figs: Path) -> dict:
    """The network read back, its summary table, and the parameter count the table states."""
    summary = networks.summary_table(model)
    print(f"The network read from {model_path}:\n{model}\n\n{summary}")
    path = write_text(figs / "task2_summary.txt", f"{model}\n\n{summary}")
    return {
        "model": str(model_path),
        "model_meta": meta,
        "parameters": netlib.count_parameters(model),
        "summary_parameters": summary_parameter_count(summary),
        "figures": {"summary": str(path)},
    }


def first_layer(model: netlib.MnistNet, figs: Path) -> dict:
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
        print(f"  filter {i}: {reading['text']}")
    return {
        "conv1_weight_shape": list(filters.shape),
        "conv1_weights": np.round(weights, 4).tolist(),
        "filter_readings": [{"filter": i, **r} for i, r in enumerate(readings)],
        "filter_padding": (
            "reflect without repeating the edge pixel (OpenCV filter2D's default "
            "BORDER_REFLECT_101), same 28x28 size, no bias, on the normalised image"
        ),
        "figures": {"a_filters": str(path)},
    }


def second_layer(model: netlib.MnistNet, figs: Path) -> dict:
    conv2 = model.conv2.weight.detach().cpu().numpy()
    path = plot_conv2_filters(conv2, figs / "task2c_conv2_filters.png")
    return {"conv2_weight_shape": list(conv2.shape), "figures": {"c_conv2_filters": str(path)}}


def examine_digits(
    model: netlib.MnistNet, mnist: datasets.Mnist, digits: list[tuple[str, int]], figs: Path
) -> dict:
    """b, c) for each digit: its filtered images and its truncated-network outputs, timed."""
    filters = model.conv1.weight.detach().cpu()
    images, timings = [], {}
    for image_set, index in dict.fromkeys(digits):  # each digit once, in order
        start = time.perf_counter()
        digit = examine_digit(model, filters, mnist, image_set, index, figs)
        images.append(digit)
        names = ", ".join(Path(p).name for p in digit["figures"].values())
        print(
            f"b, c) {image_set} image {index} (label {digit['label']}, predicted {digit['predicted']}): "
            f"conv layers only -> {digit['conv_output_shape']}, cut after block 1 -> "
            f"{digit['block1_output_shape']}; figures: {names}"
        )
        timings[f"digit_{image_set}{index}"] = time.perf_counter() - start
    return {"images": images, "timings_s": timings}


def timed(results: dict, name: str, step, *args) -> None:
    """Run a step, merge its results (figures and timings join the run's) and record its time."""
    start = time.perf_counter()
    part = step(*args)
    for key in ("figures", "timings_s"):
        results.setdefault(key, {}).update(part.pop(key, {}))
    results.update(part)
    results["timings_s"][name] = time.perf_counter() - start


def main(argv=None) -> dict:
    args = parse_args(argv)
    clock = time.perf_counter()
    figs = writable_folder(args.figures_dir)
    model, meta = netlib.load_checkpoint(args.model)
    mnist = datasets.load_mnist(args.data_dir)
    results = {"timings_s": {"load": time.perf_counter() - clock}}
    timed(results, "summary", describe_model, model, args.model, meta, figs)
    timed(results, "a_filters", first_layer, model, figs)
    timed(results, "c_conv2_filters", second_layer, model, figs)
    digits = [(args.image_set, args.image_index), *args.compare_with]
    timed(results, "digits", examine_digits, model, mnist, digits, figs)
    results["timings_s"]["total"] = time.perf_counter() - clock
    path = write_json(figs / RESULTS_FILE, results)
    print(f"results in {path} ({results['timings_s']['total']:.1f} s)")
    return results


# --- report section --------------------------------------------------------------------------

RESULTS_FILE = "task2_results.json"
COMMAND = "python task2_examine.py"


def report_section(res: Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Task 2: examine the network", COMMAND)
    if r is None:
        return out
    out += f"The summary table lists {r['summary_parameters']:,} parameters.\n\n"
    summary = res.text(Path(r["figures"]["summary"]).name)
    out += code_block(summary) if summary else ""
    out += f"\n### a) The first layer\n\nWeights of shape {tuple(r['conv1_weight_shape'])}.\n\n" + figure(
        r["figures"]["a_filters"], "The ten first-layer filters (red positive, blue negative)."
    )
    rows = [[f["filter"], f["text"]] for f in r["filter_readings"]]
    out += (
        "\n### b) What the filters do\n\nReadings computed from each filter's weights:\n\n"
        + table(["filter", "reading"], rows)
        + f"\nFiltering: {r['filter_padding']}.\n"
    )
    for img in r["images"]:
        name = f"{img['set']} image {img['index']} (label {img['label']}, predicted {img['predicted']})"
        out += "\n" + figure(img["figures"]["b_filter_effect"], f"The ten filters applied to {name}.")
    out += "\n### c) Truncated networks\n\n"
    for img in r["images"]:
        name = f"{img['set']} image {img['index']}"
        conv, block1 = ("x".join(map(str, img[key])) for key in ("conv_output_shape", "block1_output_shape"))
        out += (
            f"\nOn {name}: the convolution layers give {conv}, the first block alone {block1}.\n\n"
            + figure(
                img["figures"]["c_conv_blocks_output"],
                f"The 20 4x4 outputs of the convolution layers, {name}.",
            )
            + "\n"
            + figure(img["figures"]["c_block1_output"], f"The 10 12x12 outputs of the first block, {name}.")
        )
    out += "\n" + figure(
        r["figures"]["c_conv2_filters"],
        f"The second layer's filters, shape {tuple(r['conv2_weight_shape'])}.",
    )
    return out


if __name__ == "__main__":
    cli.run(main)
