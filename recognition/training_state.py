"""The state of a training between two epochs, saved and restored bit for bit.

Everything that decides the next epoch is kept: the weights, the optimizer's moments, the schedule's
position, and every random stream (dropout's, the batch order's, the augmentation's), so an
interrupted training that resumes ends with the same weights as one that never stopped.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from recognition import cli
from recognition.io import write_torch


def _random_states(shuffle: torch.Generator, augmenter) -> dict:
    """Every random stream a training draws from: dropout's (torch's global), the batch order's and
    the augmentation's."""
    states = {"torch": torch.get_rng_state(), "shuffle": shuffle.get_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    if augmenter is not None:
        states["augment"] = augmenter.generator.get_state()
    return states


def save(
    path: Path,
    config: dict,
    epoch: int,
    seen: int,
    history: dict,
    model: nn.Module,
    opt,
    sched,
    shuffle: torch.Generator,
    augmenter,
) -> None:
    """The state after `epoch`, written atomically: what `restore` needs to go on."""
    state = {
        "config": config,
        "epoch": epoch,
        "seen": seen,
        "history": history,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict() if sched is not None else None,
        "random": _random_states(shuffle, augmenter),
    }
    write_torch(path, state)


def restore(
    path: Path, config: dict, model: nn.Module, opt, sched, shuffle: torch.Generator, augmenter
) -> tuple[dict, int, int]:
    """Load an interrupted training of the recipe `config` (a TrainConfig as a dict) into the fresh
    objects; (history as a dict, examples seen, next epoch)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        saved = state["config"]
    except Exception as err:  # torch raises many types for a damaged file
        raise cli.UserError(
            f"{path} is not a readable training state ({type(err).__name__}); delete it to "
            "train from the start"
        ) from err
    if saved != config:
        raise cli.UserError(
            f"{path} holds an interrupted training of another recipe ({saved}); delete it, "
            "or resume with the same flags"
        )
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    if sched is not None:
        sched.load_state_dict(state["scheduler"])
    random = state["random"]
    torch.set_rng_state(random["torch"])
    shuffle.set_state(random["shuffle"])
    if "cuda" in random and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(random["cuda"])
    if augmenter is not None:
        augmenter.generator.set_state(random["augment"])
    return state["history"], state["seen"], state["epoch"] + 1
