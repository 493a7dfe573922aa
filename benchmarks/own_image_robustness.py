"""How well the own-image preprocessing copes with photo-like conditions.

    python benchmarks/own_image_robustness.py [--model models/mnist_net.pt] [--images 100]

Renders MNIST test digits as photos (large canvas, grey paper, pen colour, sensor noise, a soft
lighting gradient or a hard-edged shadow), runs them through `preprocess.preprocess_own_image` and the
saved network, and prints the accuracy per condition beside the accuracy on the original digits.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import netlib
from recognition import cli
from recognition.data import datasets, preprocess

CONDITIONS = [(shadow, noise) for shadow in ("soft", "hard") for noise in (0.02, 0.035, 0.05)]


def as_photo(
    digit: torch.Tensor, rng: np.random.Generator, shadow: str, noise: float, size: int = 500
) -> Image.Image:
    """A 28x28 MNIST digit as dark grey ink on grey paper, scaled up, shaded and noisy."""
    side = int(size * rng.uniform(0.4, 0.8))
    ink = np.asarray(Image.fromarray(digit.numpy()).resize((side, side), Image.BILINEAR), np.float32) / 255
    canvas = np.zeros((size, size), np.float32)
    top, left = rng.integers(0, size - side, 2)
    canvas[top : top + side, left : left + side] = ink
    ys, xs = np.indices(canvas.shape)
    if shadow == "hard":
        light = np.where(xs + 0.5 * ys > rng.uniform(0.2, 0.8) * size, 0.7, 1.0)
    else:
        light = 1 - 0.3 * xs / size
    paper, pen = np.array([0.8, 0.79, 0.76]), np.array([0.25, 0.25, 0.28])
    rgb = (paper * (1 - canvas[..., None]) + pen * canvas[..., None]) * light[..., None]
    rgb += rng.normal(0, noise, rgb.shape)
    return Image.fromarray((rgb.clip(0, 1) * 255).astype(np.uint8))


@torch.inference_mode()
def accuracy(model, images: list[np.ndarray], labels: list[int]) -> float:
    x = datasets.to_model_input(torch.from_numpy(np.stack(images)))
    return (model(x).argmax(1) == torch.tensor(labels)).float().mean().item()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="checkpoint from task 1")
    p.add_argument("--images", type=int, default=100, help="test digits per condition")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="MNIST folder")
    p.add_argument("--seed", type=int, default=0, help="seed of the photo simulation")
    args = p.parse_args(argv)

    model, _ = netlib.load_checkpoint(args.model)
    mnist = datasets.load_mnist(args.data_dir).subset(n_test=args.images)
    labels = mnist.test_labels.tolist()
    original = accuracy(model, list(mnist.test_images.float() / 255), labels)
    print(f"original 28x28 digits:        {original:6.1%}")
    rng = np.random.default_rng(args.seed)
    for shadow, noise in CONDITIONS:
        inputs, kept = [], []
        for digit, label in zip(mnist.test_images, labels):
            try:
                inputs.append(preprocess.preprocess_own_image(as_photo(digit, rng, shadow, noise)))
                kept.append(label)
            except preprocess.UnreadableImage:
                continue
        right = accuracy(model, inputs, kept) * len(kept) if kept else 0
        print(
            f"{shadow} shadow, noise {noise:.3f}:   {right / len(labels):6.1%}"
            f"   ({len(labels) - len(kept)} reported as having no ink)"
        )


if __name__ == "__main__":
    cli.run(main)
