"""Training and evaluation on in-memory tensors.

The whole normalised data set sits in one tensor and shuffled batches are sliced from it: on a
2-core CPU this is about twice as fast as a per-image PIL `DataLoader`, and `channels_last`
adds another ~30% (see benchmarks/training_speed.py).
"""

from __future__ import annotations

import ctypes
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

import netlib
from recognition import cli, networks, training_state
from recognition.data import augment, datasets

OPTIMIZERS = ("adam", "sgd", "adamw")
SCHEDULES = ("onecycle", "constant")
# What an optimizer gets when no rate or schedule is asked for: Adam with a one-cycle schedule
# peaking at 5e-3, or the PyTorch tutorial's SGD at a constant 0.01.
DEFAULT_LR = {"adam": 5e-3, "sgd": 0.01, "adamw": 5e-3}
DEFAULT_SCHEDULE = {"adam": "onecycle", "sgd": "constant", "adamw": "onecycle"}


@dataclass
class TrainConfig:
    """Everything that decides how a digit network is trained; saved whole in its checkpoint.

    These defaults are the assignment's (and every script's flags take theirs from here).
    """

    epochs: int = 5
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = DEFAULT_LR["adam"]  # Adam with one-cycle: the peak rate; otherwise the constant rate
    momentum: float = 0.5  # SGD only (the PyTorch tutorial's value)
    schedule: str = DEFAULT_SCHEDULE["adam"]
    seed: int = netlib.DEFAULT_SEED
    log_interval: int = 10  # batches per point of the training-loss curve
    eval_train: bool = True  # evaluate the whole training set after each epoch (else: running)
    weight_decay: float = 0.0  # AdamW's decoupled weight decay (the transformer presets)
    # augment.AUGMENTATIONS: "handwriting" bends, shifts and re-pens each batch (benchmarks/augmentation.py:
    # as accurate on MNIST, far more robust to changed digits); "none" is the assignment's recipe
    augment: str = "handwriting"

    @classmethod
    def for_optimizer(
        cls, optimizer: str, lr: float | None = None, schedule: str | None = None, **fields
    ) -> "TrainConfig":
        """A config whose unset rate and schedule are the optimizer's defaults."""
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
        return cls(
            optimizer=optimizer,
            lr=DEFAULT_LR[optimizer] if lr is None else lr,
            schedule=schedule or DEFAULT_SCHEDULE[optimizer],
            **fields,
        )


# What each TrainConfig field that is a flag may be (cli.Range: finite, of its kind, in range); the
# flags (training_flags.py) parse with these, so a bad value is one line before any work.
LIMITS = {
    "epochs": cli.Range(int, 1),
    "batch_size": cli.Range(int, 1),
    "lr": cli.Range(float, 0, low_open=True),
    "momentum": cli.Range(float, 0, 1, high_open=True),
    "seed": cli.Range(int, 0, 2**32 - 1),  # NumPy's seeds
    "weight_decay": cli.Range(float, 0),
}


class Diverged(cli.UserError):
    """The loss became NaN or infinite: the weights are lost, and nothing of the training is saved."""


def check_finite(loss: float, cfg: TrainConfig, where: str) -> float:
    if not math.isfinite(loss):
        momentum = f", momentum {cfg.momentum:g}" if cfg.optimizer == "sgd" else ""
        raise Diverged(
            f"the training diverged: its loss became {loss} {where} ({cfg.optimizer}, lr {cfg.lr:g}"
            f"{momentum}); nothing of it was saved. Rerun with a smaller --lr"
        )
    return loss


@dataclass
class History:
    """Per-epoch metrics, plus the training loss every `log_interval` batches."""

    examples_seen: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    epoch_examples: list[int] = field(default_factory=list)
    epoch_train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory() -> bool:
    """Let this process's malloc keep freed buffers for the next training step.

    glibc gives big freed blocks back to the kernel (blocks over its mmap threshold, and the heap's
    top over its trim threshold), so a step's activations come back as fresh pages that the kernel
    faults in and zeroes one by one: 18-35 page faults per network-image in grouped training at
    batch 128-256, measured, against 1-3 with the mmap threshold at 32 MiB and a 1 GiB trim
    threshold, and those groups trained 10-15% faster alone. Returns False where the C library
    has no mallopt.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, TypeError):  # not glibc: musl, macOS, Windows
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(M_TRIM_THRESHOLD, 1 << 30))


def config_from_meta(meta: dict) -> TrainConfig:
    """The training config a checkpoint was made with (its `train_config`), defaults for the rest."""
    # A saved config without `augment` predates it: that network was trained without augmentation.
    saved = {"augment": "none", **meta["train_config"]} if "train_config" in meta else {}
    known = {f for f in TrainConfig.__dataclass_fields__}
    return TrainConfig(**{k: v for k, v in saved.items() if k in known})


def without_train_pass(cfg: TrainConfig) -> TrainConfig:
    """The same recipe without the extra pass over the training set after each epoch (the training
    accuracy is then the running one): the weights come out bit for bit the same, in less time."""
    return replace(cfg, eval_train=False)


def same_recipe(a: TrainConfig, b: TrainConfig) -> bool:
    """Whether two configs train the same weights: they may differ only in what is measured on the
    way (`eval_train`, `log_interval`)."""
    measured = dict(eval_train=True, log_interval=1)
    return replace(a, **measured) == replace(b, **measured)


def make_optimizer(model: nn.Module, cfg: TrainConfig, steps_per_epoch: int):
    params = [p for p in model.parameters() if p.requires_grad]  # a fixed layer (Gabor) stays fixed
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=cfg.lr)
    elif cfg.optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    elif cfg.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    else:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {cfg.optimizer!r}")
    if cfg.schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch
        )
    elif cfg.schedule == "constant":
        sched = None
    else:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {cfg.schedule!r}")
    return opt, sched


@torch.inference_mode()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500
) -> tuple[float, float]:
    """Mean negative log-likelihood and accuracy (0..1) of a log-softmax model, in eval mode.

    Batches of 500 keep a layer's output in the CPU's cache: a quarter faster than 2000 here."""
    was_training = model.training
    model.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), batch_size):
        out = model(x[i : i + batch_size])
        loss_sum += F.nll_loss(out, y[i : i + batch_size], reduction="sum").item()
        correct += (out.argmax(1) == y[i : i + batch_size]).sum().item()
    model.train(was_training)
    return loss_sum / len(x), correct / len(x)


def train(
    model: nn.Module,
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    cfg: TrainConfig,
    progress: bool = True,
    on_epoch: Callable[[int, History], None] | None = None,
    resume_file: Path | None = None,
) -> History:
    """Train `model` in place on normalised (N,1,28,28) tensors; evaluate the test set each epoch.

    Shuffling uses its own generator seeded with `cfg.seed`, so the batch order does not depend on
    anything else that draws random numbers. `on_epoch(epoch, history)` runs after each epoch.
    With `resume_file`, the whole training state is saved there after each epoch and, when the file
    already holds an interrupted run of this recipe, training goes on from its last epoch: the
    weights come out bit for bit as in an uninterrupted run. The file is removed at the end.
    """
    device = next(model.parameters()).device
    train_x, test_x = (t.to(device).contiguous(memory_format=torch.channels_last) for t in (train_x, test_x))
    train_y, test_y = train_y.to(device), test_y.to(device)
    model.to(memory_format=torch.channels_last)
    steps = -(-len(train_x) // cfg.batch_size)
    opt, sched = make_optimizer(model, cfg, steps)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    augmenter = augment.make_augmenter(cfg.augment, cfg.seed + 1)  # its own stream: same batch order
    hist, seen, first = History(), 0, 1
    if resume_file is not None and Path(resume_file).is_file():
        saved, seen, first = training_state.restore(
            resume_file, asdict(cfg), model, opt, sched, shuffle, augmenter
        )
        hist = History(**saved)
        print(f"resuming from {resume_file}: epoch {first - 1} of {cfg.epochs} was done")
    for epoch in range(first, cfg.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_x), generator=shuffle).to(device)
        interval_loss, epoch_loss, epoch_correct = 0.0, 0.0, 0
        bar = tqdm(range(steps), desc=f"epoch {epoch}/{cfg.epochs}", disable=not progress, leave=False)
        for step in bar:
            idx = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            out = model(train_x[idx] if augmenter is None else augmenter(train_x[idx]))
            loss = F.nll_loss(out, train_y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            seen += len(idx)
            batch_loss = check_finite(loss.item(), cfg, f"at epoch {epoch}, batch {step + 1}")
            interval_loss += batch_loss
            epoch_loss += batch_loss * len(idx)
            epoch_correct += (out.argmax(1) == train_y[idx]).sum().item()
            if (step + 1) % cfg.log_interval == 0 or step == steps - 1:
                hist.examples_seen.append(seen)
                hist.train_loss.append(interval_loss / ((step % cfg.log_interval) + 1))
                interval_loss = 0.0
                bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}")
        hist.epoch_seconds.append(time.perf_counter() - start)
        if cfg.eval_train:
            train_loss, train_acc = evaluate(model, train_x, train_y)
        else:
            train_loss, train_acc = epoch_loss / len(train_x), epoch_correct / len(train_x)
        test_loss, test_acc = evaluate(model, test_x, test_y)
        check_finite(train_loss + test_loss, cfg, f"after epoch {epoch}")
        hist.epoch.append(epoch)
        hist.epoch_examples.append(seen)
        hist.epoch_train_loss.append(train_loss)
        hist.train_acc.append(train_acc)
        hist.test_loss.append(test_loss)
        hist.test_acc.append(test_acc)
        if progress:
            tqdm.write(epoch_line(hist))
        if resume_file is not None and epoch < cfg.epochs:
            state = (asdict(cfg), epoch, seen, hist.to_dict(), model, opt, sched, shuffle, augmenter)
            training_state.save(resume_file, *state)
        if on_epoch is not None:
            on_epoch(epoch, hist)
    if resume_file is not None:
        Path(resume_file).unlink(missing_ok=True)
    model.to(memory_format=torch.contiguous_format)
    return hist


def epoch_line(hist: History) -> str:
    """The last epoch in one line: 'epoch 3: train loss 0.0407 acc 98.09% | test loss ...'."""
    return (
        f"epoch {hist.epoch[-1]}: train loss {hist.epoch_train_loss[-1]:.4f} acc {hist.train_acc[-1]:.2%} | "
        f"test loss {hist.test_loss[-1]:.4f} acc {hist.test_acc[-1]:.2%} | {hist.epoch_seconds[-1]:.1f} s"
    )


def accuracy_line(name: str, correct: int, total: int) -> str:
    """'own-digit accuracy: 86/90 (95.6%)' — the one format every script prints."""
    pct = 100.0 * correct / total if total else float("nan")
    return f"{name} accuracy: {correct}/{total} ({pct:.1f}%)"


def train_digit_network(
    mnist: datasets.Mnist,
    cfg: TrainConfig,
    hidden: int = netlib.DEFAULT_HIDDEN,
    device: str | torch.device = "cpu",
    progress: bool = True,
    arch: str = "cnn",
    network: dict | None = None,
    resume_file: Path | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
) -> tuple[nn.Module, History]:
    """The one way every digit network is made: seeded, built, trained on `mnist` with `cfg`.

    `arch` and `network` pick the kind and its settings (`networks.build_network`); without
    `network`, the CNN kinds get `hidden`.
    """
    netlib.seed_everything(cfg.seed)
    settings = network if network is not None else ({} if arch == "transformer" else {"hidden": hidden})
    model = networks.build_network(arch, **settings).to(device)
    hist = train(
        model,
        datasets.to_model_input(mnist.train_images),
        mnist.train_labels,
        datasets.to_model_input(mnist.test_images),
        mnist.test_labels,
        cfg,
        progress=progress,
        on_epoch=on_epoch,
        resume_file=resume_file,
    )
    return model, hist


def save_digit_network(model: netlib.MnistNet, path, cfg: TrainConfig, hist: History, train_images: int):
    """Checkpoint with the whole training config, so any later network can be made the same way."""
    return netlib.save_checkpoint(
        model,
        path,
        train_config=asdict(cfg),
        seed=cfg.seed,
        epochs=cfg.epochs,
        test_accuracy=hist.test_acc[-1],
        train_images=train_images,
        epoch_seconds=hist.epoch_seconds,
    )


def load_or_train(
    models_dir,
    mnist: datasets.Mnist,
    arch: str = "cnn",
    preset: str | None = "cpu",
    seed: int = netlib.DEFAULT_SEED,
    device: str | torch.device = "cpu",
    progress: bool = False,
    cfg: TrainConfig | None = None,
) -> tuple[nn.Module, dict]:
    """A network of kind `arch` (a transformer: of `preset`) from `models_dir/networks.checkpoint_name(...)`.

    Task 1's CNN (mnist_net.pt) is read as it is whenever it exists: the tasks use it, so it is
    never replaced here. Another kind is read when its checkpoint was made exactly so (settings,
    training recipe, number of training images), otherwise trained with `cfg` (default: the
    preset's or the default recipe, with `seed`; without the training-set pass after each epoch,
    which changes no weight), saved there and read back.
    """
    network, train = networks.preset_settings(arch, preset)
    cfg = without_train_pass(cfg or TrainConfig(**{**train, "seed": seed}))
    wanted = networks.build_network(arch, **network).settings()
    path = Path(models_dir) / networks.checkpoint_name(arch, preset)
    try:
        model, meta = netlib.load_checkpoint(path, device)
        saved = meta.get("network", {"hidden": meta.get("hidden"), "dropout": meta.get("dropout", 0.5)})
        made = (meta.get("arch", "cnn"), saved, meta.get("train_images"))
        if arch == "cnn" or (
            made == (arch, wanted, len(mnist.train_images)) and same_recipe(config_from_meta(meta), cfg)
        ):
            return model, meta
        print(f"{path} was trained otherwise (settings, recipe or data), so it is trained again")
    except netlib.CheckpointError:
        pass  # missing or unreadable: train it
    print(f"training the {arch} network for {path} ({cfg.epochs} epochs on {len(mnist.train_images)} images)")
    model, hist = train_digit_network(mnist, cfg, device=device, progress=progress, arch=arch, network=wanted)
    save_digit_network(model, path, cfg, hist, train_images=len(mnist.train_images))
    return netlib.load_checkpoint(path, device)
