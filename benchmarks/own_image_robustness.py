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

import netlib
from recognition import cli, flags
from recognition.data import datasets, preprocess
from recognition.data.photos import CONDITIONS, as_photo


@torch.inference_mode()
def accuracy(model, images: list[np.ndarray], labels: list[int]) -> float:
    x = datasets.to_model_input(torch.from_numpy(np.stack(images)))
    return (model(x).argmax(1) == torch.tensor(labels)).float().mean().item()


def main(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="checkpoint from task 1")
    p.add_argument("--images", type=flags.COUNT, default=100, help="test digits per condition")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="MNIST folder")
    p.add_argument("--seed", type=flags.SEED, default=0, help="seed of the photo simulation")
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
