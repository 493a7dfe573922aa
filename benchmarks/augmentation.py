"""Training with and without the handwriting augmentation, side by side.

    python benchmarks/augmentation.py [--plain models/mnist_net.pt] [--augmented models/mnist_net_aug.pt]

A checkpoint that does not exist is trained first (the default recipe, with `augment` "none" or
"handwriting") and saved there. Prints, for both networks: MNIST test accuracy; the photo
conditions of benchmarks/own_image_robustness.py; the built-in own digits (photos, 28x28 crops,
sheets); and MNIST test digits rotated, shifted and drawn thicker or thinner. Also the cost:
the time of training steps with and without augmentation, measured interleaved on this machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import netlib
from recognition import cli, flags, training
from recognition.data import augment, datasets, imagefiles, preprocess, sheets
from recognition.data.photos import CONDITIONS, as_photo
from recognition.handwriting import pages


def network(path: Path, augmentation: str, mnist: datasets.Mnist) -> netlib.MnistNet:
    if not path.exists():
        cfg = training.TrainConfig(augment=augmentation)
        print(f"{path} is missing: training it ({cfg})")
        model, hist = training.train_digit_network(mnist, cfg, progress=False)
        training.save_digit_network(model, path, cfg, hist, train_images=len(mnist.train_images))
    model, meta = netlib.load_checkpoint(path)
    made = training.config_from_meta(meta).augment
    if made != augmentation:
        print(f"note: {path} was trained with augment={made!r}, not {augmentation!r}")
    return model.eval()


@torch.inference_mode()
def accuracy(model, images: torch.Tensor, labels) -> float:
    """images (N, 28, 28) in [0, 1]."""
    return (model(datasets.to_model_input(images)).argmax(1) == torch.as_tensor(labels)).float().mean().item()


def changed_test_digits(mnist: datasets.Mnist, n: int, seed: int) -> dict[str, torch.Tensor]:
    """MNIST test digits rotated by 15-25 degrees, shifted by 3-4 px, thickened and thinned."""
    x = mnist.test_images[:n].float()[:, None] / 255
    gen = torch.Generator().manual_seed(seed)
    sign = lambda: torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)  # noqa: E731
    angle = torch.deg2rad(15 + 10 * torch.rand(n, generator=gen)) * sign()
    cos, sin, zero = torch.cos(angle), torch.sin(angle), torch.zeros(n)
    rotate = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    dx, dy = ((3 + torch.randint(0, 2, (n,), generator=gen)) * sign() * 2 / 28 for _ in range(2))
    one = torch.ones(n)
    move = torch.stack([torch.stack([one, zero, -dx], 1), torch.stack([zero, one, -dy], 1)], 1)

    def warp(theta):
        return F.grid_sample(x, F.affine_grid(theta, x.shape, align_corners=False), align_corners=False)

    return {
        "rotated 15-25 deg": warp(rotate)[:, 0],
        "shifted 3-4 px": warp(move)[:, 0],
        "thicker pen (3x3 dilation)": F.max_pool2d(x, 3, stride=1, padding=1)[:, 0],
        "thinner pen (2x2 erosion)": -F.max_pool2d(F.pad(-x, (0, 1, 0, 1), value=0), 2, stride=1)[:, 0],
    }


def photo_conditions(mnist: datasets.Mnist, n: int, seed: int) -> dict[str, tuple[torch.Tensor, list[int]]]:
    rng = np.random.default_rng(seed)
    out = {}
    for shadow, noise in CONDITIONS:
        inputs, labels = [], []
        for digit, label in zip(mnist.test_images[:n], mnist.test_labels[:n].tolist()):
            try:
                inputs.append(preprocess.preprocess_own_image(as_photo(digit, rng, shadow, noise)))
                labels.append(label)
            except preprocess.UnreadableImage:
                continue
        out[f"photo, {shadow} shadow, noise {noise:.3f}"] = (torch.from_numpy(np.stack(inputs)), labels)
    return out


def own_digit_sets(seed: int) -> dict[str, tuple[torch.Tensor, list[int]]]:
    """The built-in own digits (generated into data/ where missing), per writer, and the sheets."""
    folder = Path("data/own_digits")
    if not folder.exists():
        pages.write_own_digits(folder, seed)
    images = imagefiles.load_image_set(folder, vocabulary=set("0123456789"))
    out = {}
    for group in sorted(set(images.groups)):
        keep = [i for i, g in enumerate(images.groups) if g == group]
        out[f"own digits {group}"] = (images.images[keep], [int(images.labels[i]) for i in keep])
    built_in = Path("data") / sheets.BUILT_IN
    if not built_in.exists():
        pages.write_digit_sheets(built_in, seed)
    found = [sheets.read_sheet(p) for p in sheets.sheet_paths(built_in)]
    usable = [s for s in found if s.labels and len(s.labels) == len(s.boxes)]
    out["own digits, sheet crops"] = (
        torch.cat([s.images for s in usable]),
        [int(c) for s in usable for c in s.labels],
    )
    return out


def step_seconds(mnist: datasets.Mnist, steps: int = 60) -> dict[str, float]:
    """Seconds per training step (batch 64) without and with augmentation, interleaved."""
    x, y = datasets.to_model_input(mnist.train_images[: 64 * steps]), mnist.train_labels[: 64 * steps]
    times = {"none": 0.0, "handwriting": 0.0}
    models = {name: netlib.MnistNet() for name in times}
    opts = {name: torch.optim.Adam(m.parameters()) for name, m in models.items()}
    aug = augment.Augmenter(0)
    for i in range(steps):
        for name in times:
            start = time.perf_counter()
            batch = x[i * 64 : (i + 1) * 64]
            out = models[name](batch if name == "none" else aug(batch))
            loss = F.nll_loss(out, y[i * 64 : (i + 1) * 64])
            opts[name].zero_grad()
            loss.backward()
            opts[name].step()
            times[name] += time.perf_counter() - start
    return {k: v / steps for k, v in times.items()}


def conditions(mnist: datasets.Mnist, changed: int, photos: int, seed: int) -> list[tuple]:
    """(name, images in [0, 1], labels) for every condition the two networks are compared on."""
    rows = [("MNIST test (10000)", mnist.test_images.float() / 255, mnist.test_labels)]
    moved = changed_test_digits(mnist, changed, seed)
    rows += [(name, x, mnist.test_labels[:changed]) for name, x in moved.items()]
    rows += [(name, x, y) for name, (x, y) in photo_conditions(mnist, photos, seed).items()]
    return rows + [(name, x, y) for name, (x, y) in own_digit_sets(42).items()]


def print_side_by_side(models: dict, rows) -> None:
    print(f"{'condition':40s} {'without':>9s} {'with':>9s}   (augmentation)")
    for name, x, y in rows:
        acc = {k: accuracy(m, x, y) for k, m in models.items()}
        print(f"{name:40s} {acc['without']:9.2%} {acc['with']:9.2%}   ({len(y)} images)")


def main(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--plain", type=Path, default=Path("models/mnist_net.pt"), help="trained without")
    p.add_argument("--augmented", type=Path, default=Path("models/mnist_net_aug.pt"), help="trained with")
    p.add_argument("--images", type=flags.COUNT, default=100, help="test digits per photo condition")
    p.add_argument(
        "--changed", type=flags.COUNT, default=2000, help="MNIST test digits per rotated/shifted/pen set"
    )
    p.add_argument("--seed", type=flags.SEED, default=0, help="seed of the simulations")
    args = p.parse_args(argv)
    mnist = datasets.load_mnist("data")
    rows = conditions(mnist, args.changed, args.images, args.seed)
    models = {
        "without": network(args.plain, "none", mnist),
        "with": network(args.augmented, "handwriting", mnist),
    }
    print_side_by_side(models, rows)
    cost = step_seconds(mnist)
    print(
        f"training step: {1000 * cost['none']:.1f} ms without, {1000 * cost['handwriting']:.1f} ms with "
        f"({cost['handwriting'] / cost['none']:.2f}x; the limit is 1.5x)"
    )


if __name__ == "__main__":
    cli.run(main)
