"""Training throughput: the project's in-memory loop against the usual per-image DataLoader.

    python benchmarks/training_speed.py [--images 60000] [--batch-size 64]

Prints images per second of both pipelines in one run, their ratio, and the fraction of this
CPU's arithmetic ceiling (measured with a large matmul) that the project's loop reaches.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import netlib
from recognition import cli, flags, training
from recognition.data import datasets


def training_flops_per_image(model: netlib.MnistNet) -> float:
    """Multiply-adds x 2 of one forward pass, x 3 for forward + backward (a standard estimate)."""
    conv1 = 24 * 24 * 10 * (1 * 5 * 5)
    conv2 = 8 * 8 * 20 * (10 * 5 * 5)
    linear = 320 * model.hidden + model.hidden * 10
    return 3 * 2 * (conv1 + conv2 + linear)


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def in_memory_speed(mnist: datasets.Mnist, n: int, batch_size: int) -> float:
    netlib.seed_everything(0)
    model = netlib.MnistNet()
    cfg = training.TrainConfig(
        epochs=1, batch_size=batch_size, schedule="constant", lr=1e-3, augment="none", eval_train=False
    )
    x, y = datasets.to_model_input(mnist.train_images[:n]), mnist.train_labels[:n]
    hist = training.train(model, x, y, x[:1], y[:1], cfg, progress=False)
    return n / hist.epoch_seconds[0]


def dataloader_speed(data_dir: Path, n: int, batch_size: int) -> float:
    """The PyTorch tutorial's pipeline: PIL images, ToTensor + Normalize per image, a DataLoader."""
    from torchvision import transforms
    from torchvision.datasets import MNIST

    tf = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((datasets.MNIST_MEAN,), (datasets.MNIST_STD,))]
    )
    mnist = MNIST(str(data_dir), train=True, download=False, transform=tf)
    data = torch.utils.data.Subset(mnist, range(n))
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True)
    netlib.seed_everything(0)
    model = netlib.MnistNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    start = time.perf_counter()
    for x, y in loader:
        loss = F.nll_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return n / (time.perf_counter() - start)


def main(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--images", type=flags.COUNT, default=60000, help="training images per measurement (one pass)"
    )
    p.add_argument(
        "--batch-size",
        type=flags.COUNT,
        default=training.TrainConfig().batch_size,
        help="batch size for both pipelines",
    )
    p.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="MNIST folder (converted on first use)"
    )
    args = p.parse_args(argv)

    mnist = datasets.load_mnist(args.data_dir)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
        f"{args.images} images per pipeline"
    )
    loader = dataloader_speed(args.data_dir, args.images, args.batch_size)
    print(f"per-image PIL DataLoader:   {loader:8.0f} images/s")
    ours = in_memory_speed(mnist, args.images, args.batch_size)
    print(f"in-memory, channels_last:   {ours:8.0f} images/s   ({ours / loader:.2f}x the DataLoader)")
    gflops = matmul_gflops()
    ceiling = gflops * 1e9 / training_flops_per_image(netlib.MnistNet())
    print(
        f"arithmetic ceiling:         {ceiling:8.0f} images/s   ({gflops:.0f} GFLOP/s matmul, "
        f"{training_flops_per_image(netlib.MnistNet()) / 1e6:.2f} MFLOP per training image)"
    )
    print(f"fraction of the ceiling:    {ours / ceiling:8.1%}")
    return {"dataloader": loader, "in_memory": ours, "ceiling": ceiling}


if __name__ == "__main__":
    cli.run(main)
