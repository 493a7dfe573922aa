"""Grouped training against one network at a time, in one run on the same data and threads.

    python benchmarks/grouped_training.py [--images 6000] [--batch-sizes 16,64,256] [--threads 2]

For each batch size, the report grid's six dropout rates (0 to 1.0) are trained for one epoch:
first one at a time with the project's loop (training.train, channels_last), then grouped as the
sweep groups them (grids.part_count: all six up to batch 64, two groups of three above).
Prints network-images per second of both and their ratio, and the ratio over all batch sizes
together (the report grid spends its time in that mix). Both run with malloc keeping freed memory
(training.keep_freed_memory), as the sweep's workers do. The grouped network skips the convolutions
of a member with dropout 1.0 (they get no gradient); `--dropouts 0,0.25,0.5,0.75,0.9` measures
without that member.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

import netlib
from recognition import cli, flags, training
from recognition.data import datasets
from recognition.experiments import grids
from recognition.networks import grouped


def one_at_a_time(x, y, tx, ty, dropouts: list[float], batch_size: int, seed: int) -> float:
    start = time.perf_counter()
    for dropout in dropouts:
        netlib.seed_everything(seed)
        cfg = training.TrainConfig(
            epochs=1,
            batch_size=batch_size,
            lr=1e-3,
            schedule="constant",
            seed=seed,
            eval_train=False,
            augment="none",
        )
        training.train(netlib.MnistNet(dropout=dropout), x, y, tx, ty, cfg, progress=False)
    return time.perf_counter() - start


def together(x, y, tx, ty, dropouts: list[float], batch_size: int, seed: int) -> float:
    start = time.perf_counter()
    grid = {"dropout": dropouts, "seed": [seed]}
    for part in range(grids.part_count(batch_size, len(dropouts))):
        members = grids.part_members(grid, {"batch_size": batch_size, "part": part})
        model = grouped.GroupedNet(grouped.Arch(), [d for d, _ in members], [s for _, s in members])
        grouped.train_group(model, x, y, tx, ty, epochs=1, batch_size=batch_size)
    return time.perf_counter() - start


def main(argv=None) -> dict:
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=flags.COUNT, default=6000, help="training images per epoch")
    p.add_argument("--batch-sizes", default="16,32,64,128,256", help="comma-separated batch sizes")
    p.add_argument("--dropouts", default="0,0.25,0.5,0.75,0.9,1", help="comma-separated dropout rates")
    p.add_argument("--threads", type=flags.COUNT, default=os.cpu_count(), help="torch threads for both")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="MNIST folder")
    args = p.parse_args(argv)
    try:
        batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
        dropouts = [float(d) for d in args.dropouts.split(",")]
    except ValueError:
        p.error(
            f"--batch-sizes {args.batch_sizes!r} / --dropouts {args.dropouts!r}: comma-separated "
            "numbers, e.g. --batch-sizes 16,64,256 --dropouts 0,0.5"
        )
    torch.set_num_threads(args.threads)
    kept = training.keep_freed_memory()  # as the sweep's workers do; both trainers gain
    mnist = datasets.load_mnist(args.data_dir).subset(args.images, 1000)
    x, y = datasets.to_model_input(mnist.train_images), mnist.train_labels
    tx, ty = datasets.to_model_input(mnist.test_images), mnist.test_labels
    load = os.getloadavg()[0]
    print(
        f"torch {torch.__version__}, {args.threads} thread(s), dropouts {dropouts} x {args.images} "
        f"images per batch size; freed memory kept: {kept}; load average before: {load:.1f} on "
        f"{os.cpu_count()} cores"
    )
    together(x[:512], y[:512], tx, ty, dropouts, 64, 0)  # warm-up: one-off kernel set-up is billed to neither
    totals = {"solo": 0.0, "grouped": 0.0}
    work = len(dropouts) * args.images
    for b in batch_sizes:
        solo, group = one_at_a_time(x, y, tx, ty, dropouts, b, 1), together(x, y, tx, ty, dropouts, b, 1)
        totals["solo"] += solo
        totals["grouped"] += group
        print(
            f"batch {b:>3}: one at a time {work / solo:7.0f} network-images/s, grouped {work / group:7.0f}"
            f" network-images/s: {solo / group:.2f}x"
        )
    ratio = totals["solo"] / totals["grouped"]
    print(
        f"all batch sizes: one at a time {totals['solo']:.1f} s, grouped {totals['grouped']:.1f} s: "
        f"{ratio:.2f}x; load average after: {os.getloadavg()[0]:.1f}"
    )
    return {**totals, "ratio": ratio}


if __name__ == "__main__":
    main()
