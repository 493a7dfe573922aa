"""Extension: a fixed bank of 10 Gabor filters as the digit network's first layer.

The first convolution of the course CNN is replaced by ten 5x5 Gabor filters (five orientations at
two wavelengths, zero mean, unit norm: `gabor_bank`) that are never trained; the rest of the
network learns as usual, with the same seed, data and recipe as Task 1's network. Shows the bank
beside the learned first layer, what the bank does to a digit, both networks' test accuracy, and
checks that the fixed layer came out of training bit for bit unchanged.

    python extensions/gabor_layer.py        # reuses models/gabor_net.pt and models/mnist_net.pt
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

import netlib
from recognition import cli, flags, networks, training
from recognition.data import datasets
from recognition.io import write_json
from recognition.networks.gabor import gabor_bank
from recognition.report import plots
from recognition.report.markdown import Results, figure, opening, pct, table


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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


def train_and_score(mnist: datasets.Mnist, models_dir: Path, seed: int, device) -> dict:
    """Task 1's CNN (trained when missing), the Gabor CNN trained with the CNN's own recipe (reused
    when saved so), their test accuracy, and whether the Gabor layer is exactly the bank it started as."""
    x, y = datasets.to_model_input(mnist.test_images).to(device), mnist.test_labels.to(device)
    out, cfg = {}, None
    for arch in ("cnn", "gabor"):
        model, meta = training.load_or_train(models_dir, mnist, arch, seed=seed, device=device, cfg=cfg)
        cfg = training.config_from_meta(meta)  # the Gabor CNN is trained as the CNN was
        _, accuracy = training.evaluate(model, x, y)
        out[arch] = {
            "model": model,
            "test_accuracy": accuracy,
            "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "parameters": netlib.count_parameters(model),
            "epoch_seconds": meta.get("epoch_seconds"),
            "train_images": meta.get("train_images"),
            "train_config": meta.get("train_config"),
            "checkpoint": str(models_dir / networks.checkpoint_name(arch)),
        }
        print(training.accuracy_line(f"{arch} test", round(accuracy * len(y)), len(y)))
    bank, _ = gabor_bank()
    out["gabor"]["layer_unchanged"] = bool(torch.equal(out["gabor"]["model"].conv1.weight.cpu(), bank))
    out["gabor"]["difference_points"] = 100 * (out["gabor"]["test_accuracy"] - out["cnn"]["test_accuracy"])
    return out


# --- main ------------------------------------------------------------------------------------


def main(argv=None) -> dict:
    args = parse_args(argv)
    figs = args.figures_dir
    figs.mkdir(parents=True, exist_ok=True)
    device = netlib.select_device(args.device)
    clock = time.perf_counter()
    mnist = datasets.load_mnist(args.data_dir).subset(args.train_subset, args.test_subset)
    nets = train_and_score(mnist, args.models_dir, args.seed, device)
    gabor = nets["gabor"]["model"]
    bank_png = plot_banks(
        gabor.conv1.weight, gabor.filter_names, nets["cnn"]["model"].conv1.weight, figs / "ext_gabor_bank.png"
    )
    effect_png = plot_effect(
        gabor, mnist.test_images[0], int(mnist.test_labels[0]), figs / "ext_gabor_effect.png"
    )
    print(f"Gabor layer unchanged by training: {nets['gabor']['layer_unchanged']}")
    results = {
        "seed": args.seed,
        "device": str(device),
        "filters": gabor.filter_names,
        "train_images": len(mnist.train_images),
        "test_images": len(mnist.test_images),
        "networks": {k: {n: v for n, v in r.items() if n != "model"} for k, r in nets.items()},
        "figures": [str(bank_png), str(effect_png)],
        "timings_s": {"total": time.perf_counter() - clock},
    }
    write_json(figs / RESULTS_FILE, results)
    return results


# --- report section --------------------------------------------------------------------------

RESULTS_FILE = "ext_gabor_results.json"
COMMAND = "python extensions/gabor_layer.py"


def report_section(res: Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Extension: a fixed Gabor filter bank as the first layer", COMMAND)
    if r is None:
        return out
    cnn, gab = r["networks"]["cnn"], r["networks"]["gabor"]
    rows = [
        [name, f"{n['parameters']:,}", f"{n['trainable']:,}", pct(n["test_accuracy"])]
        for name, n in (("learned first layer (Task 1)", cnn), ("fixed Gabor bank", gab))
    ]
    diff = gab["difference_points"]  # Gabor minus learned
    kept = "bit for bit the bank it started as" if gab["layer_unchanged"] else "**changed** (a bug)"
    out += (
        "The first convolution is replaced by ten 5x5 Gabor filters (bars at five evenly spaced "
        "orientations, at wavelengths 3 and 5 px; zero mean, unit norm, no bias) that are never trained; "
        f"everything else is Task 1's network, trained with its recipe (seed {gab['train_config']['seed']}, "
        f"{gab['train_images']:,} training images), "
        f"scored on {r['test_images']:,} test images.\n\n"
        + table(["first layer", "parameters", "trained", "test accuracy"], rows)
        + f"\nThe fixed bank's accuracy differs from the learned layer's by {diff:+.2f} points. "
        f"After training, the Gabor layer is {kept}.\n\n"
        + figure("ext_gabor_bank.png", "The fixed Gabor bank (top) and the filters Task 1's CNN learned.")
        + "\n"
        + figure("ext_gabor_effect.png", "The first test digit and the Gabor layer's responses.")
    )
    return out


if __name__ == "__main__":
    cli.run(main)
