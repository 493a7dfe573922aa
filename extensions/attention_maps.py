"""Extension: the digit transformer (the course's Task 4) and where it looks.

Trains (or reuses) the transformer of a preset through the one training function, reports its
test accuracy, size and time, and draws its attention over the patches on a few test digits and
own digits: attention rollout (every layer's head-averaged attention with the residual path,
multiplied through the layers) and the last layer's attention from the image token. Each map sums
to one over the patches; overlapping patches share their weight over the pixels they cover.

    python -m extensions.attention_maps                    # the CPU preset (models/transformer_cpu.pt)
    python -m extensions.attention_maps --preset course    # needs models/transformer_course.pt or trains it
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import torch

import netlib
from recognition import cli, flags, networks, training
from recognition.data import datasets, imagefiles
from recognition.handwriting import glyphs
from recognition.io import writable_folder
from recognition.networks.transformer import attention_rollout, attention_to_pixels, last_layer_attention
from recognition.report import plots
from recognition.report.markdown import Outputs, figure, pct, table
from recognition.report.results import StepResults, save_results
from recognition.report.steps import Answer, Step

SHOWN = 6  # digits per figure row
TEST_PNG, OWN_PNG = "ext_attention_test_{preset}.png", "ext_attention_own_{preset}.png"


@dataclass
class TransformerSettings:
    """The transformer's settings (`PatchTransformer.settings()`)."""

    patch: int
    stride: int
    width: int
    depth: int
    heads: int
    mlp: int
    dropout: float
    pool: str
    hidden: int


@dataclass(kw_only=True)
class AttentionResults(StepResults):
    seed: int
    preset: str
    settings: TransformerSettings
    train_config: training.TrainConfig
    tokens: int  # patch tokens
    parameters: int
    multiply_adds: int  # per image
    epoch_seconds: list[float] | None  # when the checkpoint recorded them
    test_accuracy: float
    test_images: int
    train_images: int
    map_sums: list[float]  # every drawn map's sum over the patches (each should be 1)
    figures: list[str]


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--preset",
        choices=tuple(networks.TRANSFORMER_PRESETS),
        default="cpu",
        help="which transformer: cpu (default) or course",
    )
    p.add_argument(
        "--own-digits",
        type=Path,
        help="own digit images to draw the attention on (default: the built-in set DATA_DIR/own_digits)",
    )
    flags.add_training_flags(p, "where transformer_PRESET.pt is read (trained and saved when missing)")
    args = p.parse_args(argv)
    args.own_digits = args.own_digits or args.data_dir / "own_digits"
    return args


def pick_own(folder: Path, n: int) -> tuple[torch.Tensor, list[str]]:
    """Up to `n` own digits, each of another class, as [0,1] images, with their labels."""
    if not folder.is_dir():
        raise cli.UserError(
            f"{folder} is not a folder of own digit images; run `python -m recognition.data.builtin` "
            "once (it generates DATA_DIR/own_digits) or pass --own-digits"
        )
    own = imagefiles.load_image_set(folder, vocabulary=set(glyphs.DIGITS))
    if len(own.paths) == 0:
        raise cli.UserError(f"no readable images in {folder}: add PNG or JPEG images of single digits")
    keep, seen = [], set()
    for i, label in enumerate(own.labels):  # one image of each digit, in folder order
        if label not in seen and len(keep) < n:
            keep.append(i)
            seen.add(label)
    return own.images[keep], [own.labels[i] or "?" for i in keep]


@dataclass
class AttentionRows:
    """The network's answers and both kinds of map over a few digits, spread to pixels."""

    predicted: list[int]
    rollout: torch.Tensor  # (N, 28, 28)
    last: torch.Tensor  # (N, 28, 28)
    sums: list[float]  # each rollout map's sum over the patches, then each last-layer map's


@torch.no_grad()
def attention_rows(model: networks.PatchTransformer, images: torch.Tensor, device) -> AttentionRows:
    """Predictions and both kinds of map, spread to pixels, for [0,1] images (N, 28, 28)."""
    x = datasets.to_model_input(images).to(device)
    rollout, last = attention_rollout(model, x), last_layer_attention(model, x)
    return AttentionRows(
        predicted=model(x).argmax(1).tolist(),
        rollout=attention_to_pixels(model, rollout).cpu(),
        last=attention_to_pixels(model, last).cpu(),
        sums=[float(s) for s in rollout.sum((1, 2))] + [float(s) for s in last.sum((1, 2))],
    )


def plot_attention(
    images: torch.Tensor, labels: list[str], rows: AttentionRows, title: str, path: Path
) -> Path:
    """Three rows: the digit with its prediction, the rollout over it, the last layer's attention over it."""
    plt = plots.plt
    n = len(images)
    fig, axes = plt.subplots(3, n, figsize=(1.9 * n, 6.4), squeeze=False)
    names = ("input", "attention rollout", "last layer, image token")
    for i in range(n):
        right = str(rows.predicted[i]) == labels[i]
        axes[0, i].imshow(images[i], cmap="gray", vmin=0, vmax=1)
        axes[0, i].set_title(
            f"true {labels[i]}, pred {rows.predicted[i]}", fontsize=9, color="green" if right else "red"
        )
        for r, maps in ((1, rows.rollout), (2, rows.last)):
            axes[r, i].imshow(images[i], cmap="gray", vmin=0, vmax=1)
            axes[r, i].imshow(maps[i], cmap="inferno", alpha=0.6, interpolation="bilinear")
    for r, ax_row in enumerate(axes):
        for ax in ax_row:
            ax.set_xticks([])
            ax.set_yticks([])
        ax_row[0].set_ylabel(names[r], fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return plots.save_figure(fig, path)


def main(argv=None) -> AttentionResults:
    args = parse_args(argv)
    figs = writable_folder(args.figures_dir)
    device = netlib.select_device(args.device)
    clock = time.perf_counter()
    mnist = datasets.load_mnist(args.data_dir).subset(args.train_subset, args.test_subset)
    model, meta = training.load_or_train(
        args.models_dir, mnist, "transformer", args.preset, seed=args.seed, device=device
    )
    x, y = datasets.to_model_input(mnist.test_images).to(device), mnist.test_labels.to(device)
    accuracy = training.evaluate(model, x, y)[1]
    print(
        f"transformer ({args.preset} preset, {model.tokens} patch tokens): "
        + training.accuracy_line("test", round(accuracy * len(y)), len(y))
    )
    test_images = mnist.test_images[:SHOWN].float() / 255.0
    test_rows = attention_rows(model, test_images, device)
    own_images, own_labels = pick_own(args.own_digits, SHOWN)
    own_rows = attention_rows(model, own_images, device)
    name = f"transformer ({args.preset} preset, {model.tokens} patches)"
    test_labels = [str(v) for v in mnist.test_labels[:SHOWN].tolist()]
    pngs = [
        plot_attention(
            test_images,
            test_labels,
            test_rows,
            f"Where the {name} looks: the first test digits",
            figs / TEST_PNG.format(preset=args.preset),
        ),
        plot_attention(
            own_images,
            own_labels,
            own_rows,
            f"Where the {name} looks: own digits",
            figs / OWN_PNG.format(preset=args.preset),
        ),
    ]
    results = AttentionResults(
        seed=args.seed,
        preset=args.preset,
        settings=TransformerSettings(**meta["network"]),
        train_config=training.config_from_meta(meta),
        tokens=model.tokens,
        parameters=netlib.count_parameters(model),
        multiply_adds=networks.multiply_adds(model),
        epoch_seconds=meta.get("epoch_seconds"),
        test_accuracy=accuracy,
        test_images=len(y),
        train_images=len(mnist.train_images),
        map_sums=test_rows.sums + own_rows.sums,
        figures=[str(p) for p in pngs],
        device=str(device),
        seconds=time.perf_counter() - clock,
    )
    save_results(figs / STEP.results_file, results)
    return results


# --- report section --------------------------------------------------------------------------


def report_section(r: AttentionResults, outputs: Outputs) -> str:
    s, cfg = r.settings, r.train_config
    seconds = r.epoch_seconds or []
    rows = [
        [
            "patches",
            f"{s.patch}x{s.patch} every {s.stride} px: {r.tokens} tokens"
            + (" + CLS" if s.pool == "cls" else " (mean)"),
        ],
        [
            "encoder",
            f"width {s.width}, depth {s.depth}, {s.heads} heads, MLP {s.mlp}, dropout {s.dropout}",
        ],
        ["classifier", f"linear {s.width} -> {s.hidden}, ReLU, dropout, linear -> 10, log-softmax"],
        [
            "training",
            f"{cfg.optimizer} lr {cfg.lr} ({cfg.schedule}), weight decay "
            f"{cfg.weight_decay}, batch {cfg.batch_size}, {cfg.epochs} epochs, seed {r.seed}",
        ],
        ["parameters / multiply-adds per image", f"{r.parameters:,} / {r.multiply_adds:,}"],
        [
            "training time",
            f"{sum(seconds):.0f} s ({sum(seconds) / len(seconds):.1f} s per epoch) on {r.device}"
            if seconds
            else "n/a",
        ],
        ["MNIST test accuracy", f"{pct(r.test_accuracy)} on {r.test_images:,} test digits"],
    ]
    return (
        f"The `{r.preset}` preset, trained on {r.train_images:,} MNIST images through Task 1's "
        "training "
        f"function (`python task1_train_mnist.py --arch transformer --preset {r.preset}` makes the same "
        "checkpoint).\n\n"
        + table(["", "value"], rows)
        + "\nAttention rollout multiplies every layer's head-averaged attention (with the residual path as "
        "half an identity) through the layers; the second map is the last layer's attention from the image "
        f"token alone. Each map sums to one over the patches (largest deviation "
        f"{max(abs(v - 1) for v in r.map_sums):.1e}).\n\n"
        + figure(TEST_PNG.format(preset=r.preset), "Attention over the first test digits (bright: attended).")
        + "\n"
        + figure(OWN_PNG.format(preset=r.preset), "Attention over own digits (bright: attended).")
    )


STEP = Step(
    name="attention",
    title="Extension: the digit transformer and its attention maps",
    command="python -m extensions.attention_maps",
    results=AttentionResults,
    section=report_section,
    needs=("data",),
    cost_s=106,
    rubric=(
        Answer(
            "c4-transformer",
            "",
            lambda r: (
                f"{r.test_accuracy:.2%} test accuracy ({r.preset} preset, {r.tokens} tokens, "
                f"{r.parameters:,} parameters)"
            ),
        ),
    ),
)


if __name__ == "__main__":
    cli.run(main)
