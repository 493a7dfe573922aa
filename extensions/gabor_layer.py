"""Extension: a fixed bank of 10 Gabor filters as the digit network's first layer.

The first convolution of the course CNN is replaced by ten 5x5 Gabor filters (five orientations at
two wavelengths, zero mean, unit norm: `gabor_bank`) that are never trained; the rest of the
network learns as usual, with the same seed, data and recipe as Task 1's network. Shows the bank
beside the learned first layer, what the bank does to a digit, both networks' test accuracy, and
checks that the fixed layer came out of training bit for bit unchanged.

    python -m extensions.gabor_layer        # reuses models/gabor_net.pt and models/mnist_net.pt
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import torch

import netlib
from recognition import cli, flags, networks, training
from recognition.data import datasets
from recognition.io import writable_folder
from recognition.networks.gabor import gabor_bank
from recognition.report import plots
from recognition.report.markdown import Outputs, figure, pct, table
from recognition.report.results import StepResults, save_results
from recognition.report.steps import Answer, Step


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    flags.add_training_flags(p, "where gabor_net.pt and mnist_net.pt are read (trained when missing)")
    return p.parse_args(argv)


# --- the bank --------------------------------------------------------------------------------


def plot_banks(gabor: torch.Tensor, names: list[str], learned: torch.Tensor, path: Path) -> Path:
    """The ten Gabor filters (top) above the ten filters Task 1's network learned (bottom)."""
    plt = plots.plt
    fig, axes = plt.subplots(2, 10, figsize=(16, 4.4))
    for row, (bank, label) in enumerate([(gabor, "fixed Gabor bank"), (learned, "learned (Task 1 CNN)")]):
        for i, ax in enumerate(axes[row]):
            w = bank[i, 0].detach().cpu().numpy()
            limit = abs(w).max()
            ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(names[i].replace(", ", "\n") if row == 0 else f"filter {i}", fontsize=9)
        axes[row, 0].set_ylabel(label, fontsize=10)
    fig.suptitle("First-layer filters, 5x5 (red positive, blue negative; each on its own scale)")
    fig.tight_layout()
    return plots.save_figure(fig, path)


@torch.no_grad()
def plot_effect(model: networks.GaborNet, image: torch.Tensor, label: int, path: Path) -> Path:
    """A test digit and the ten 24x24 responses of the Gabor layer to it (before pooling and ReLU)."""
    device = next(model.parameters()).device
    responses = model.conv1(datasets.to_model_input(image[None]).to(device))[0].cpu()
    limit = responses.abs().max().item()
    images = [datasets.to_model_input(image[None])[0]] + list(responses)
    titles = [f"digit {label}"] + [n.replace(", ", "\n") for n in model.filter_names]
    fig, axes = plots.plt.subplots(1, 11, figsize=(19, 2.6))
    for i, (ax, im, title) in enumerate(zip(axes, images, titles)):
        ax.imshow(
            im[0] if im.dim() == 3 else im,
            cmap="gray" if i == 0 else "RdBu_r",
            vmin=None if i == 0 else -limit,
            vmax=None if i == 0 else limit,
            interpolation="nearest",
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    fig.suptitle(
        "What the fixed Gabor layer sees: each filter's response to the digit "
        "(red: the filter's pattern, blue: its negative; one colour scale)"
    )
    fig.tight_layout()
    return plots.save_figure(fig, path)


# --- the two networks ------------------------------------------------------------------------


@dataclass
class NetworkScore:
    """One of the two networks: its size, its training and its test accuracy."""

    test_accuracy: float
    parameters: int
    trainable: int
    train_images: int | None
    train_config: training.TrainConfig
    checkpoint: str


@dataclass(kw_only=True)
class GaborResults(StepResults):
    seed: int
    filters: list[str]
    test_images: int
    learned: NetworkScore  # Task 1's CNN
    gabor: NetworkScore
    layer_unchanged: bool  # the Gabor layer after training is bit for bit the bank it started as
    difference_points: float  # Gabor minus learned, in accuracy points
    figures: list[str]


def score_network(model, meta: dict, checkpoint: Path, x: torch.Tensor, y: torch.Tensor) -> NetworkScore:
    _, accuracy = training.evaluate(model, x, y)
    return NetworkScore(
        test_accuracy=accuracy,
        parameters=netlib.count_parameters(model),
        trainable=sum(p.numel() for p in model.parameters() if p.requires_grad),
        train_images=meta.get("train_images"),
        train_config=training.config_from_meta(meta),
        checkpoint=str(checkpoint),
    )


def train_and_score(mnist: datasets.Mnist, models_dir: Path, seed: int, device) -> tuple[dict, dict]:
    """Task 1's CNN (trained when missing) and the Gabor CNN trained with the CNN's own recipe (reused
    when saved so): {kind: model} and {kind: NetworkScore}."""
    x, y = datasets.to_model_input(mnist.test_images).to(device), mnist.test_labels.to(device)
    models, scores, cfg = {}, {}, None
    for arch in ("cnn", "gabor"):
        model, meta = training.load_or_train(models_dir, mnist, arch, seed=seed, device=device, cfg=cfg)
        cfg = training.config_from_meta(meta)  # the Gabor CNN is trained as the CNN was
        models[arch] = model
        scores[arch] = score_network(model, meta, models_dir / networks.checkpoint_name(arch), x, y)
        print(training.accuracy_line(f"{arch} test", round(scores[arch].test_accuracy * len(y)), len(y)))
    return models, scores


# --- main ------------------------------------------------------------------------------------


def main(argv=None) -> GaborResults:
    args = parse_args(argv)
    figs = writable_folder(args.figures_dir)
    device = netlib.select_device(args.device)
    clock = time.perf_counter()
    mnist = datasets.load_mnist(args.data_dir).subset(args.train_subset, args.test_subset)
    models, scores = train_and_score(mnist, args.models_dir, args.seed, device)
    gabor = models["gabor"]
    bank_png = plot_banks(gabor.conv1.weight, gabor.filter_names, models["cnn"].conv1.weight, figs / BANK_PNG)
    effect_png = plot_effect(gabor, mnist.test_images[0], int(mnist.test_labels[0]), figs / EFFECT_PNG)
    unchanged = bool(torch.equal(gabor.conv1.weight.cpu(), gabor_bank()[0]))
    print(f"Gabor layer unchanged by training: {unchanged}")
    results = GaborResults(
        seed=args.seed,
        filters=gabor.filter_names,
        test_images=len(mnist.test_images),
        learned=scores["cnn"],
        gabor=scores["gabor"],
        layer_unchanged=unchanged,
        difference_points=100 * (scores["gabor"].test_accuracy - scores["cnn"].test_accuracy),
        figures=[str(bank_png), str(effect_png)],
        device=str(device),
        seconds=time.perf_counter() - clock,
    )
    save_results(figs / STEP.results_file, results)
    return results


# --- report section --------------------------------------------------------------------------

BANK_PNG, EFFECT_PNG = "ext_gabor_bank.png", "ext_gabor_effect.png"


def report_section(r: GaborResults, outputs: Outputs) -> str:
    rows = [
        [name, f"{n.parameters:,}", f"{n.trainable:,}", pct(n.test_accuracy)]
        for name, n in (("learned first layer (Task 1)", r.learned), ("fixed Gabor bank", r.gabor))
    ]
    kept = "bit for bit the bank it started as" if r.layer_unchanged else "**changed** (a bug)"
    images = f"{r.gabor.train_images:,}" if r.gabor.train_images else "all the"
    return (
        "The first convolution is replaced by ten 5x5 Gabor filters (bars at five evenly spaced "
        "orientations, at wavelengths 3 and 5 px; zero mean, unit norm, no bias) that are never trained; "
        f"everything else is Task 1's network, trained with its recipe (seed {r.gabor.train_config.seed}, "
        f"{images} training images), scored on {r.test_images:,} test images.\n\n"
        + table(["first layer", "parameters", "trained", "test accuracy"], rows)
        + "\nThe fixed bank's accuracy differs from the learned layer's by "
        f"{r.difference_points:+.2f} points. "
        f"After training, the Gabor layer is {kept}.\n\n"
        + figure(BANK_PNG, "The fixed Gabor bank (top) and the filters Task 1's CNN learned.")
        + "\n"
        + figure(EFFECT_PNG, "The first test digit and the Gabor layer's responses.")
    )


STEP = Step(
    name="gabor",
    title="Extension: a fixed Gabor filter bank as the first layer",
    command="python -m extensions.gabor_layer",
    results=GaborResults,
    section=report_section,
    needs=("task1",),
    cost_s=40,
    rubric=(
        Answer(
            "cx-gabor",
            "",
            lambda r: (
                f"{r.gabor.test_accuracy:.2%} test accuracy with a fixed Gabor layer, "
                f"{r.learned.test_accuracy:.2%} learned"
            ),
        ),
    ),
)


if __name__ == "__main__":
    cli.run(main)
