"""The flags the scripts share: where data, models and figures live, the seed, the device, subsets
for quick checks, and the letter classifiers' settings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import netlib
from recognition.embedding import TRANSFER_LR, TRANSFER_STEPS, K


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


def positive_int(flag: str, example: int) -> Callable[[str], int]:
    """argparse type for a count: the error names the flag and an example."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(
                f"{flag} expects a positive integer such as {example}, got {text!r}"
            )
        return value

    return parse


def add_classifier_flags(p: argparse.ArgumentParser) -> None:
    """--k, --transfer-steps and --transfer-lr, with recognition.embedding's defaults: every script
    that classifies letters offers the same ones."""
    p.add_argument(
        "--k",
        type=positive_int("--k", K),
        default=K,
        help=f"neighbours for both KNN rules (the report: {K}), capped at the smallest letter's "
        "number of reference images",
    )
    p.add_argument(
        "--transfer-steps",
        type=positive_int("--transfer-steps", TRANSFER_STEPS),
        default=TRANSFER_STEPS,
        help="full-batch Adam steps for the letter layer",
    )
    p.add_argument(
        "--transfer-lr", type=float, default=TRANSFER_LR, help="Adam learning rate for the letter layer"
    )
