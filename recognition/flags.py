"""The flags the scripts share: where data, models and figures live, the seed, the device, subsets
for quick checks, and the letter classifiers' settings."""

from __future__ import annotations

import argparse
from pathlib import Path

import netlib
from recognition import cli, training
from recognition.embedding import TRANSFER_LR, TRANSFER_STEPS, K

COUNT = cli.Range(int, 1)  # a number of images, neighbours, steps
SEED = training.LIMITS["seed"]


def add_training_flags(p: argparse.ArgumentParser, models_help: str) -> None:
    """--seed, --train-subset, --test-subset, --data-dir, --models-dir (`models_help`), --figures-dir and
    --device."""
    p.add_argument(
        "--seed",
        type=SEED,
        default=netlib.DEFAULT_SEED,
        help="seed of the networks trained here (Task 1's saved CNN keeps its own)",
    )
    p.add_argument("--train-subset", type=COUNT, default=None, help="train on the first N images (checks)")
    p.add_argument("--test-subset", type=COUNT, default=None, help="score on the first N test images")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where MNIST lives")
    p.add_argument("--models-dir", type=Path, default=Path("models"), help=models_help)
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where figures and results go")
    add_device_flag(p)


def add_device_flag(p: argparse.ArgumentParser, what: str = "") -> None:
    p.add_argument(
        "--device",
        choices=netlib.DEVICES,
        default="auto",
        help=f"{what}auto (CUDA when present), cpu or cuda",
    )


def add_classifier_flags(p: argparse.ArgumentParser) -> None:
    """--k, --transfer-steps and --transfer-lr, with recognition.embedding's defaults: every script
    that classifies letters offers the same ones."""
    p.add_argument(
        "--k",
        type=COUNT,
        default=K,
        help=f"neighbours for both KNN rules (the report: {K}), capped at the smallest letter's "
        "number of reference images",
    )
    p.add_argument(
        "--transfer-steps",
        type=COUNT,
        default=TRANSFER_STEPS,
        help="full-batch Adam steps for the letter layer",
    )
    p.add_argument(
        "--transfer-lr",
        type=training.LIMITS["lr"],
        default=TRANSFER_LR,
        help=f"Adam learning rate for the letter layer ({training.LIMITS['lr'].describe()})",
    )
