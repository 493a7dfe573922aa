"""Extension: every digit network side by side.

The learned CNN (Task 1), the CNN with a fixed Gabor first layer, the CPU-sized transformer and, when its
checkpoint exists, the course-preset transformer; each trained with its default recipe, the same seed and
the same data (reused from models/ when saved so). For each: parameters, multiply-adds per image, training
time per epoch here, MNIST test accuracy, own-digit accuracy, and accuracy on test digits rotated by +-15
and +-30 degrees, shifted by 3 px, thickened and thinned.

    python -m extensions.compare_networks
    python task1_train_mnist.py --arch transformer --preset course   # adds the course preset's row
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

import netlib
from recognition import cli, flags, networks, training
from recognition.data import datasets, imagefiles
from recognition.data.perturb import CLEAN, CONDITIONS, perturb
from recognition.handwriting import glyphs
from recognition.io import writable_folder
from recognition.report import plots
from recognition.report.markdown import Outputs, figure, pct, table
from recognition.report.results import StepResults, save_results
from recognition.report.steps import Answer, Step

NETWORKS = {  # label: (kind, preset); trained here when missing, except the course preset
    "learned CNN": ("cnn", None),
    "Gabor CNN": ("gabor", None),
    "transformer (cpu)": ("transformer", "cpu"),
    "transformer (course)": ("transformer", "course"),
}
OPTIONAL = {"transformer (course)"}  # 15 epochs of 26 M multiply-adds per image: only when saved
HYPOTHESIS = (
    "Convolution and max pooling build in tolerance to small shifts and to stroke width, while the "
    "transformer sees fixed patches at learned positions; so we expect the two CNNs to lose less accuracy "
    "than the transformer when digits are shifted or thickened/thinned, all three to lose most on 30-degree "
    "rotations (nothing in any of them is rotation-invariant), and the fixed Gabor layer to cost a few "
    "tenths of a point on clean digits while changing robustness little (its filters cover every "
    "orientation)."
)
COMPARED_PNG, CONDITIONS_PNG = "ext_networks_compared.png", "ext_networks_conditions.png"


@dataclass
class NetworkRow:
    """One network: its size, cost, training and accuracy."""

    arch: str
    settings: dict[str, Any]  # what rebuilds it (`model.settings()`: each kind has its own)
    parameters: int
    trainable: int
    multiply_adds: int  # per image
    train_images: int | None  # from its checkpoint, when recorded there
    seed: int | None
    epochs: int | None
    seconds_per_epoch: float | None
    test_accuracy: float  # on the clean test set
    perturbed_accuracy: dict[str, float]  # by perturbed condition (CONDITIONS[1:])
    own_digits: float  # accuracy on the own digits

    def drop(self, condition: str) -> float:
        """Accuracy lost under a perturbed condition."""
        return self.test_accuracy - self.perturbed_accuracy[condition]


@dataclass(kw_only=True)
class CompareResults(StepResults):
    seed: int
    hypothesis: str  # written before the measurement
    observations: list[str]  # computed from the numbers
    train_images: int
    test_images: int
    perturbed_images: int
    own_images: int
    networks: dict[str, NetworkRow]  # by label (NETWORKS)
    left_out: dict[str, str] = field(default_factory=dict)  # label -> why it is not compared, and the fix
    figures: list[str]


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--perturbed",
        type=flags.COUNT,
        default=2000,
        help="how many test digits (the first N) are rotated, shifted, thickened and thinned",
    )
    p.add_argument(
        "--own-digits",
        type=Path,
        help="labelled own digit images (3.png, 3/x.png, ...); default DATA_DIR/own_digits, generated "
        "when missing",
    )
    flags.add_training_flags(p, "where the networks are read from (trained and saved when missing)")
    args = p.parse_args(argv)
    args.own_digits = args.own_digits or args.data_dir / "own_digits"
    return args


def own_digits(folder: Path, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The labelled own digits as network inputs and labels (Task 1's default set when missing)."""
    if not folder.exists():
        print(f"{folder} is missing: generating the default own-digit images there (seed {seed})")
        glyphs.write_glyph_set(
            folder, glyphs.DIGITS, per_class=3, seed=seed, style=glyphs.OWN_STYLE, writers=3
        )
    own = imagefiles.load_image_set(folder, vocabulary=set(glyphs.DIGITS))
    keep = [i for i, label in enumerate(own.labels) if label is not None]
    if not keep:
        raise cli.UserError(f"{folder} holds no labelled digit images; name them like 3.png or 3/x.png")
    return datasets.to_model_input(own.images[keep]), torch.tensor([int(own.labels[i]) for i in keep])


# --- the networks ----------------------------------------------------------------------------


def saved_networks(
    mnist: datasets.Mnist, models_dir: Path, seed: int, device, left_out: dict[str, str] | None = None
) -> dict:
    """label -> (model, checkpoint meta); the optional ones only when saved for this data and seed
    (else `left_out` gets why, with the command that trains it). The Gabor CNN is trained with the
    learned CNN's own recipe (Task 1's checkpoint when it exists)."""
    out, cnn_recipe, left_out = {}, None, {} if left_out is None else left_out
    for label, (arch, preset) in NETWORKS.items():
        path = models_dir / networks.checkpoint_name(arch, preset)
        if label in OPTIONAL:
            command = f"`python task1_train_mnist.py --arch {arch} --preset {preset}`"
            if not path.is_file():
                left_out[label] = f"not trained here: {command} trains it and saves `{path.name}`"
                print(f"{label}: no {path}, so it is left out (train it with {command})")
                continue
            model, meta = netlib.load_checkpoint(path, device)
            if meta.get("seed") != seed or meta.get("train_images") != len(mnist.train_images):
                left_out[label] = (
                    f"`{path.name}` was trained with another seed or data; {command} retrains it"
                )
                print(f"{label}: {path} was trained with another seed or data, so it is left out")
                continue
        else:
            model, meta = training.load_or_train(
                models_dir,
                mnist,
                arch,
                preset,
                seed=seed,
                device=device,
                cfg=cnn_recipe if arch == "gabor" else None,
            )
            if arch == "cnn":
                cnn_recipe = training.config_from_meta(meta)
        out[label] = (model, meta)
    return out


def measure(model, meta: dict, test: dict, own: tuple[torch.Tensor, torch.Tensor], device) -> NetworkRow:
    """Size, cost, time per epoch and accuracy on every condition and the own digits."""
    accuracy = {}
    for condition, (x, y) in test.items():
        accuracy[condition] = training.evaluate(model, datasets.to_model_input(x).to(device), y.to(device))[1]
    seconds = meta.get("epoch_seconds")
    return NetworkRow(
        arch=model.ARCH,
        settings=model.settings(),
        parameters=netlib.count_parameters(model),
        trainable=sum(p.numel() for p in model.parameters() if p.requires_grad),
        multiply_adds=networks.multiply_adds(model),
        train_images=meta.get("train_images"),
        seed=meta.get("seed"),
        epochs=meta.get("epochs"),
        seconds_per_epoch=float(np.mean(seconds)) if seconds else None,
        test_accuracy=accuracy.pop(CLEAN),
        perturbed_accuracy=accuracy,
        own_digits=training.evaluate(model, own[0].to(device), own[1].to(device))[1],
    )


def observations(rows: dict[str, NetworkRow]) -> list[str]:
    """What the numbers say, computed from them: the drop of each network under each condition."""
    lines = []
    for condition in CONDITIONS[1:]:
        drops = {label: r.drop(condition) for label, r in rows.items()}
        best, worst = min(drops, key=drops.get), max(drops, key=drops.get)
        lines.append(
            f"{condition}: the {best} loses least ({100 * drops[best]:.1f} points), "
            f"the {worst} most ({100 * drops[worst]:.1f} points)"
        )
    mean_drop = {label: np.mean([r.drop(c) for c in CONDITIONS[1:]]) for label, r in rows.items()}
    ranked = sorted(mean_drop, key=mean_drop.get)
    lines.append(
        "mean drop over the perturbations: "
        + ", ".join(f"{k} {100 * mean_drop[k]:.1f}" for k in ranked)
        + " points"
    )
    clean = {label: r.test_accuracy for label, r in rows.items()}
    top = max(clean, key=clean.get)
    lines.append(f"on clean test digits the {top} is best ({pct(clean[top])})")
    if "learned CNN" in rows:
        cnn = rows["learned CNN"].multiply_adds
        lines += [
            f"the {label} needs {r.multiply_adds / cnn:.1f}x the learned CNN's multiply-adds per image"
            for label, r in rows.items()
            if r.arch == "transformer"
        ]
    return lines


def plot_comparison(rows: dict[str, NetworkRow], path: Path) -> Path:
    plt = plots.plt
    fig, ax = plt.subplots(figsize=(13, 4.8))
    width = 0.8 / len(rows)
    conditions = list(CONDITIONS) + ["own digits"]
    for k, (label, r) in enumerate(rows.items()):
        accuracy = [r.test_accuracy] + [r.perturbed_accuracy[c] for c in CONDITIONS[1:]] + [r.own_digits]
        values = [100 * a for a in accuracy]
        bars = ax.bar(
            np.arange(len(conditions)) + (k - (len(rows) - 1) / 2) * width,
            values,
            width,
            label=f"{label}: {r.parameters:,} parameters, {r.multiply_adds / 1e6:.2f} M mult-adds",
        )
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=1)
    ax.set_xticks(np.arange(len(conditions)), conditions)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 105)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(rows), fontsize=8)
    ax.set_title(
        "Every digit network on clean, rotated, shifted, thickened and thinned test digits, and own digits"
    )
    fig.tight_layout()
    return plots.save_figure(fig, path)


def plot_conditions(test: dict, path: Path, n: int = 6) -> Path:
    images = [test[c][0][i] for c in CONDITIONS for i in range(n)]
    titles = [c if i == 0 else "" for c in CONDITIONS for i in range(n)]
    fig = plots.image_grid(
        images,
        titles,
        ncols=n,
        cell=1.3,
        vmin=0,
        vmax=1,
        suptitle="The test conditions (rows) on the first test digits",
    )
    return plots.save_figure(fig, path)


# --- main ------------------------------------------------------------------------------------


def main(argv=None) -> CompareResults:
    args = parse_args(argv)
    figs = writable_folder(args.figures_dir)
    device = netlib.select_device(args.device)
    clock = time.perf_counter()
    print("Hypothesis:", HYPOTHESIS)
    mnist = datasets.load_mnist(args.data_dir).subset(args.train_subset, args.test_subset)
    n = min(args.perturbed, len(mnist.test_images))
    test = {c: (perturb(mnist.test_images[:n], c), mnist.test_labels[:n]) for c in CONDITIONS[1:]}
    test = {CLEAN: (mnist.test_images.float() / 255.0, mnist.test_labels), **test}
    own = own_digits(args.own_digits, args.seed)
    left_out: dict[str, str] = {}
    rows = {
        label: measure(model, meta, test, own, device)
        for label, (model, meta) in saved_networks(
            mnist, args.models_dir, args.seed, device, left_out
        ).items()
    }
    for label, r in rows.items():
        print(
            f"{label}: {r.parameters:,} parameters, {r.multiply_adds:,} multiply-adds, {CLEAN} "
            f"{pct(r.test_accuracy)}, "
            + ", ".join(f"{c} {pct(a)}" for c, a in r.perturbed_accuracy.items())
            + f", own digits {pct(r.own_digits)}"
        )
    found = observations(rows)
    print("Observed:\n  " + "\n  ".join(found))
    results = CompareResults(
        seed=args.seed,
        hypothesis=HYPOTHESIS,
        observations=found,
        train_images=len(mnist.train_images),
        test_images=len(mnist.test_images),
        perturbed_images=n,
        own_images=len(own[1]),
        networks=rows,
        left_out=left_out,
        figures=[
            str(plot_comparison(rows, figs / COMPARED_PNG)),
            str(plot_conditions(test, figs / CONDITIONS_PNG)),
        ],
        device=str(device),
        seconds=time.perf_counter() - clock,
    )
    save_results(figs / STEP.results_file, results)
    return results


# --- report section --------------------------------------------------------------------------


def in_order(keys, order) -> list[str]:
    """`keys` in the order of `order`, any others after them (the results file sorts a dict's keys)."""
    rank = {k: i for i, k in enumerate(order)}
    return sorted(keys, key=lambda k: rank.get(k, len(rank)))


def report_section(r: CompareResults, outputs: Outputs) -> str:
    rows = {label: r.networks[label] for label in in_order(r.networks, NETWORKS)}
    conditions = in_order({c for n in rows.values() for c in n.perturbed_accuracy}, CONDITIONS[1:])
    size = [
        [
            label,
            f"{n.parameters:,}",
            f"{n.multiply_adds:,}",
            f"{n.seconds_per_epoch:.1f} s" if n.seconds_per_epoch else "n/a",
            n.epochs,
            f"{n.train_images:,}" if n.train_images is not None else "n/a",
            pct(n.test_accuracy),
            pct(n.own_digits, 1),
        ]
        for label, n in rows.items()
    ]
    size += [[label, why] + [""] * 6 for label, why in r.left_out.items()]
    robust = [[label] + [pct(n.perturbed_accuracy[c], 1) for c in conditions] for label, n in rows.items()]
    return (
        f"Each network trained with seed {r.seed} (the CNNs with Task 1's recipe, the transformers with "
        f"their preset's); test accuracy on {r.test_images:,} test digits, the perturbed conditions on "
        f"the first {r.perturbed_images:,}, own digits: {r.own_images} images. Time per epoch is the "
        f"training loop alone, measured here when the network was trained (on {r.device}, a machine "
        "shared with other jobs).\n\n"
        f"**Hypothesis** (written before the measurement): {r.hypothesis}\n\n"
        + table(
            [
                "network",
                "parameters",
                "multiply-adds per image",
                "time per epoch",
                "epochs",
                "training images",
                "MNIST test accuracy",
                "own digits",
            ],
            size,
        )
        + "\n"
        + table(["network"] + conditions, robust)
        + "\n**Observed** (computed from the numbers above):\n\n"
        + "".join(f"- {o}\n" for o in r.observations)
        + "\n"
        + figure(COMPARED_PNG, "Accuracy of every network under every condition.")
        + "\n"
        + figure(CONDITIONS_PNG, "The perturbed test conditions on six test digits.")
    )


STEP = Step(
    name="compare",
    title="Extension: every digit network compared",
    command="python -m extensions.compare_networks",
    results=CompareResults,
    section=report_section,
    needs=("task1", "attention", "gabor"),
    cost_s=10,
    rubric=(
        Answer(
            "cx-compare",
            "",
            lambda r: (
                f"{len(r.networks)} networks; "
                + ", ".join(f"{label} {n.test_accuracy:.2%}" for label, n in r.networks.items())
            ),
        ),
        Answer(
            "c4-transformer",
            "",
            lambda r: (
                f"the course preset: {r.networks['transformer (course)'].test_accuracy:.2%}"
                if "transformer (course)" in r.networks
                else "the course preset: " + r.left_out.get("transformer (course)", "not trained here")
            ),
        ),
    ),
)


if __name__ == "__main__":
    cli.run(main)
