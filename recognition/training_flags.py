"""The flags that say how a digit network is built and trained, and the config they make.

--arch and --preset pick the kind of network (a transformer's preset also brings its training);
the TrainConfig fields that are flags, --optimizer, --weight-decay, --augment, --lr and --schedule
say how it is trained. A flag not given is None, so a preset's value or TrainConfig's default holds.
"""

from __future__ import annotations

import argparse

from recognition import networks, training
from recognition.data import augment

# The TrainConfig fields that are flags, with their help; their defaults are TrainConfig's.
CONFIG_FLAGS = {
    "seed": "random seed for weights, dropout and shuffling",
    "batch_size": "training batch size",
    "epochs": "training epochs",
    "momentum": "SGD momentum",
}


def add_network_flags(p: argparse.ArgumentParser) -> None:
    """--arch, --preset, the CONFIG_FLAGS, --optimizer, --weight-decay, --augment, --lr, --schedule."""
    defaults = training.TrainConfig()
    p.add_argument(
        "--arch",
        choices=tuple(networks.NETWORKS),
        default="cnn",
        help="cnn (the course network, default), gabor (its first layer a fixed Gabor bank) or "
        "transformer (image patches through a transformer encoder; see --preset)",
    )
    p.add_argument(
        "--preset",
        choices=tuple(networks.TRANSFORMER_PRESETS),
        default="cpu",
        help="a transformer's settings and training: cpu (default: 16 tokens, 5 epochs) or "
        "course (the course template: 169 tokens, 15 epochs); flags given win",
    )
    for name, text in CONFIG_FLAGS.items():
        value = getattr(defaults, name)
        p.add_argument(
            f"--{name.replace('_', '-')}",
            type=training.LIMITS[name],  # NaN, inf or out of range: one line before any work
            default=value if name == "seed" else None,  # None: the preset's or TrainConfig's
            help=f"{text} (default {value}; a transformer: its preset's)",
        )
    p.add_argument(
        "--optimizer",
        choices=training.OPTIMIZERS,
        default=None,
        help=f"{defaults.optimizer} (default), the tutorial's sgd, or adamw (the transformer presets)",
    )
    p.add_argument(
        "--weight-decay",
        type=training.LIMITS["weight_decay"],
        default=None,
        help="AdamW's weight decay (presets: 1e-4)",
    )
    p.add_argument(
        "--augment",
        choices=augment.AUGMENTATIONS,
        default=None,
        help=f"training augmentation: {defaults.augment} (default: each batch rotated, scaled, "
        "sheared, shifted, bent and re-penned; augment.py) or none (the assignment's recipe)",
    )
    p.add_argument(
        "--lr",
        type=training.LIMITS["lr"],
        default=None,
        help="learning rate (peak rate for one-cycle); default "
        + ", ".join(f"{v} for {k}" for k, v in training.DEFAULT_LR.items()),
    )
    p.add_argument(
        "--schedule",
        choices=training.SCHEDULES,
        default=None,
        help="learning-rate schedule; default "
        + ", ".join(f"{v} for {k}" for k, v in training.DEFAULT_SCHEDULE.items()),
    )


def train_config(
    preset: dict, optimizer: str | None, lr: float | None, schedule: str | None, **fields
) -> training.TrainConfig:
    """Flags given (not None) win over a transformer preset's training, which wins over TrainConfig's
    defaults; the preset's rate and schedule only go with its own optimizer."""
    optimizer = optimizer or preset.get("optimizer", training.TrainConfig.optimizer)
    if optimizer == preset.get("optimizer"):
        lr, schedule = (lr if lr is not None else preset.get("lr")), (schedule or preset.get("schedule"))
    rest = {k: v for k, v in preset.items() if k not in ("optimizer", "lr", "schedule")}
    given = {k: v for k, v in fields.items() if v is not None}
    return training.TrainConfig.for_optimizer(optimizer, lr, schedule, **{**rest, **given})


def config_from_args(args: argparse.Namespace, preset: dict) -> training.TrainConfig:
    """The training config of parsed flags (`add_network_flags`) with a preset's training."""
    return train_config(
        preset,
        args.optimizer,
        args.lr,
        args.schedule,
        weight_decay=args.weight_decay,
        augment=args.augment,
        **{name: getattr(args, name) for name in CONFIG_FLAGS},
    )
