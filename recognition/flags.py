"""The flags the network extensions share: where data, models and figures live, the seed, the
device, and subsets for quick checks."""

from __future__ import annotations

import argparse
from pathlib import Path

import netlib


def add_training_flags(p: argparse.ArgumentParser, models_help: str) -> None:
    """--seed, --train-subset, --test-subset, --data-dir, --models-dir (`models_help`), --figures-dir and
    --device."""
    p.add_argument(
        "--seed",
        type=int,
        default=netlib.DEFAULT_SEED,
        help="seed of the networks trained here (Task 1's saved CNN keeps its own)",
    )
    p.add_argument("--train-subset", type=int, default=None, help="train on the first N images (checks)")
    p.add_argument("--test-subset", type=int, default=None, help="score on the first N test images")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where MNIST lives")
    p.add_argument("--models-dir", type=Path, default=Path("models"), help=models_help)
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where figures and results go")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
