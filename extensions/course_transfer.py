"""Extension: the course's own transfer-learning protocol for Greek letters (the current Task 3).

Exactly as the assignment describes it: load the trained digit network, freeze every weight,
replace the last layer by a new layer with one output per letter, read the letter folder with
`torchvision.datasets.ImageFolder` and the course's `GreekTransform`, and train the new layer on
batches of 5 with the tutorial's SGD (lr 0.01, momentum 0.5), plotting the training error and
accuracy after each epoch. Then the trained network classifies the separate own set. A second run
reads both sets with the MNIST recipe (`preprocess.preprocess_own_image`) instead.

Task 3 proper trains its letter layer on embeddings and scores it leave-one-out; this is the
course's protocol beside it, scored on images it never saw.

    python -m extensions.course_transfer    # DATA_DIR/greek (reference), DATA_DIR/greek_own (own set)
"""

from __future__ import annotations

import argparse
import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn as nn
import torch.nn.functional as F

import netlib
from recognition import cli, flags, training
from recognition.data import datasets, greeksets, imagefiles, preprocess
from recognition.io import writable_folder, write_text
from recognition.report import plots
from recognition.report.markdown import Outputs, code_block, figure, fraction, table
from recognition.report.results import StepResults, save_results
from recognition.report.sections.task3 import epochs_headline
from recognition.report.steps import Answer, Step

BATCH_SIZE = 5  # the assignment's
LR, MOMENTUM = 0.01, 0.5  # the PyTorch tutorial's SGD, which the course's Task 1 uses
RECIPES = {"course": "the course's GreekTransform", "mnist": "the MNIST recipe (preprocess_own_image)"}
Recipe = Literal["course", "mnist"]
FIGURE_PNG, NETWORK_TXT = "ext_course_transfer.png", "ext_course_transfer_network.txt"


@dataclass
class EpochHistory:
    """Training error and accuracy on all training images after each epoch (epoch 0: before training)."""

    epoch: list[int]
    loss: list[float]
    accuracy: list[float]


@dataclass
class OwnScore:
    """The trained network on the separate own set."""

    correct: int
    total: int
    skipped: list[tuple[str, str]]  # (file, why) for the own images that could not be read


@dataclass
class RecipeRun:
    """The protocol with one way of reading the images."""

    recipe: Recipe
    classes: list[str]
    train_images: int
    history: EpochHistory
    epochs_all_but_one: int | None  # the first epoch after which at most one training image is wrong
    epochs_all: int | None  # ... none is
    own: OwnScore
    network: str  # the modified network, printed


@dataclass(kw_only=True)
class CourseTransferResults(StepResults):
    seed: int
    greek_dir: str
    own_dir: str
    epochs: int
    runs: list[RecipeRun]  # the course's recipe first
    figures: list[str]


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--greek-dir",
        type=Path,
        default=None,
        help="training letters, one sub-folder per letter (ImageFolder); default: the built-in "
        "DATA_DIR/greek, generated when missing",
    )
    p.add_argument(
        "--own-dir",
        type=Path,
        default=None,
        help="the separate own set (labels from folder or file names); default: the built-in "
        "DATA_DIR/greek_own, generated when missing",
    )
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the built-in letter sets live")
    p.add_argument("--epochs", type=flags.COUNT, default=30, help="epochs of the new last layer")
    p.add_argument(
        "--seed", type=flags.SEED, default=netlib.DEFAULT_SEED, help="seed of the new layer and batch order"
    )
    p.add_argument(
        "--model",
        type=Path,
        default=Path("models/mnist_net.pt"),
        help="the trained digit network (python task1_train_mnist.py writes it)",
    )
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where figures and results go")
    return p.parse_args(argv)


# --- the data --------------------------------------------------------------------------------


class ToNetworkInput:
    """A PIL image -> the normalised (1, 28, 28) network input by one of preprocess.TRANSFORMS."""

    def __init__(self, recipe: str):
        self.recipe = preprocess.TRANSFORMS[recipe]

    def __call__(self, img) -> torch.Tensor:
        return datasets.to_model_input(torch.from_numpy(self.recipe(img))[None])[0]


def letter_folder(folder: Path, recipe: str):
    """The training letters as the course reads them: ImageFolder, classes from the sub-folder names."""
    from torchvision.datasets import ImageFolder

    if not folder.is_dir():
        raise cli.UserError(
            f"{folder} is not a folder; give --greek-dir a folder with one sub-folder per letter"
        )
    try:
        data = ImageFolder(str(folder), transform=ToNetworkInput(recipe))
    except (FileNotFoundError, preprocess.UnreadableImage) as err:
        raise cli.UserError(f"{folder}: {err}; put each letter's images in {folder}/<letter>/") from err
    if len(data.classes) < 2:
        raise cli.UserError(f"{folder} needs at least two letter sub-folders, found {data.classes}")
    return data


# --- the course's protocol -------------------------------------------------------------------


def letter_network(digits: nn.Module, n_letters: int) -> nn.Module:
    """The digit network, every weight frozen, with a new trainable `n_letters`-way last layer."""
    net = copy.deepcopy(digits).cpu()
    for p in net.parameters():
        p.requires_grad = False
    net.fc2 = nn.Linear(net.fc2.in_features, n_letters)
    return net


@torch.no_grad()
def loss_and_accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    net.eval()
    out = net(x)
    return F.nll_loss(out, y).item(), (out.argmax(1) == y).float().mean().item()


def train_letter_layer(net: nn.Module, data, epochs: int, seed: int) -> EpochHistory:
    """The course's loop: shuffled batches of 5, SGD on the new layer; training error and accuracy
    on all training images after each epoch (epoch 0: before training)."""
    loader = torch.utils.data.DataLoader(
        data, batch_size=BATCH_SIZE, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    x = torch.stack([data[i][0] for i in range(len(data))])
    y = torch.tensor(data.targets)
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=LR, momentum=MOMENTUM)
    loss, acc = loss_and_accuracy(net, x, y)
    history = EpochHistory(epoch=[0], loss=[loss], accuracy=[acc])
    for epoch in range(1, epochs + 1):
        net.train()  # as the course: the frozen layers' dropout is active while the new layer learns
        for batch_x, batch_y in loader:
            opt.zero_grad()
            F.nll_loss(net(batch_x), batch_y).backward()
            opt.step()
        loss, acc = loss_and_accuracy(net, x, y)
        history.epoch.append(epoch)
        history.loss.append(loss)
        history.accuracy.append(acc)
    return history


def first_epoch(history: EpochHistory, n_images: int, wrong: int) -> int | None:
    """The first epoch after which at most `wrong` training images are misclassified."""
    return next(
        (e for e, a in zip(history.epoch, history.accuracy) if round((1 - a) * n_images) <= wrong), None
    )


@torch.no_grad()
def classify_own(net: nn.Module, folder: Path, recipe: str, classes: list[str]) -> OwnScore:
    own = imagefiles.load_image_set(folder, vocabulary=set(classes), transform=recipe)
    labelled = [i for i, label in enumerate(own.labels) if label in classes]
    if not labelled:
        raise cli.UserError(
            f"{folder} holds no images labelled with {', '.join(classes)} (folder or file names)"
        )
    net.eval()
    predicted = net(datasets.to_model_input(own.images[labelled])).argmax(1).tolist()
    truth = [classes.index(own.labels[i]) for i in labelled]
    return OwnScore(
        correct=sum(p == t for p, t in zip(predicted, truth)),
        total=len(labelled),
        skipped=[(str(p), r) for p, r in own.skipped],
    )


def run_recipe(
    digits: nn.Module, greek: Path, own: Path, recipe: Recipe, epochs: int, seed: int
) -> RecipeRun:
    data = letter_folder(greek, recipe)
    netlib.seed_everything(seed)  # the new layer's initial weights
    net = letter_network(digits, len(data.classes))
    history = train_letter_layer(net, data, epochs, seed)
    n = len(data)
    result = RecipeRun(
        recipe=recipe,
        classes=data.classes,
        train_images=n,
        history=history,
        epochs_all_but_one=first_epoch(history, n, 1),
        epochs_all=first_epoch(history, n, 0),
        own=classify_own(net, own, recipe, data.classes),
        network=str(net),
    )
    print(
        f"{RECIPES[recipe]}: all but one of {n} training images right after epoch "
        f"{result.epochs_all_but_one}, all after epoch {result.epochs_all}; "
        + training.accuracy_line("own-set", result.own.correct, result.own.total)
    )
    return result


def plot_histories(runs: list[RecipeRun], path: Path) -> Path:
    plt = plots.plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    for run, marker in zip(runs, "os"):
        h = run.history
        left.plot(h.epoch, h.loss, marker + "-", ms=4, label=RECIPES[run.recipe])
        right.plot(h.epoch, [100 * a for a in h.accuracy], marker + "-", ms=4, label=RECIPES[run.recipe])
    left.set_ylabel("training error (negative log-likelihood)")
    right.set_ylabel("training accuracy (%)")
    right.set_ylim(0, 102)
    for ax in (left, right):
        ax.set_xlabel("epoch (0: before training)")
        ax.grid(alpha=0.3)
        ax.legend()
    n = runs[0].train_images
    fig.suptitle(
        f"The course's transfer protocol: a new {len(runs[0].classes)}-letter last layer "
        f"on {n} training images, batches of {BATCH_SIZE}"
    )
    fig.tight_layout()
    return plots.save_figure(fig, path)


# --- main ------------------------------------------------------------------------------------


def main(argv=None) -> CourseTransferResults:
    args = parse_args(argv)
    figs = writable_folder(args.figures_dir)
    clock = time.perf_counter()
    greek, own, _ = greeksets.letter_folders(
        args.greek_dir, args.own_dir, args.data_dir, all_letters=False, seed=args.seed
    )
    try:
        digits, _ = netlib.load_checkpoint(args.model)
    except netlib.CheckpointError as err:
        raise cli.UserError(str(err)) from err
    runs = [run_recipe(digits, greek, own, recipe, args.epochs, args.seed) for recipe in RECIPES]
    print("The modified network:\n" + runs[0].network)
    write_text(figs / NETWORK_TXT, runs[0].network)
    results = CourseTransferResults(
        seed=args.seed,
        greek_dir=str(greek),
        own_dir=str(own),
        epochs=args.epochs,
        runs=runs,
        figures=[str(plot_histories(runs, figs / FIGURE_PNG))],
        seconds=time.perf_counter() - clock,
    )
    save_results(figs / STEP.results_file, results)
    return results


# --- report section --------------------------------------------------------------------------


def report_section(r: CourseTransferResults, outputs: Outputs) -> str:
    first = r.runs[0]
    rows = [
        [
            RECIPES[run.recipe],
            run.epochs_all_but_one or f"not in {r.epochs}",
            run.epochs_all or f"not in {r.epochs}",
            f"{100 * run.history.accuracy[-1]:.1f}%",
            fraction(run.own.correct, run.own.total),
        ]
        for run in r.runs
    ]
    return (
        f"The trained digit network, frozen, with a new {len(first.classes)}-way last layer "
        f"({', '.join(first.classes)}), trained on the {first.train_images} images of "
        f"`{r.greek_dir}` "
        f"read by `ImageFolder`, in batches of {BATCH_SIZE} with SGD (lr {LR}, momentum {MOMENTUM}) for "
        f"{r.epochs} epochs; then scored on the separate own set `{r.own_dir}`.\n\n"
        + table(
            [
                "recipe",
                "epochs to all but one right",
                "epochs to all right",
                f"training accuracy after {r.epochs}",
                "own-set accuracy",
            ],
            rows,
        )
        + "\n"
        + figure(FIGURE_PNG, "Training error and accuracy after each epoch, both recipes.")
        + "\nThe modified network:\n\n"
        + code_block(first.network)
    )


STEP = Step(
    name="course_transfer",
    title="Extension: the course's transfer-learning protocol",
    command="python -m extensions.course_transfer",
    results=CourseTransferResults,
    section=report_section,
    needs=("task1",),
    cost_s=14,
    rubric=(
        Answer(
            "c3-transfer",
            "",
            lambda r: (
                "training accuracy after "
                + ", ".join(f"{r.epochs} epochs: {x.recipe} {x.history.accuracy[-1]:.1%}" for x in r.runs)
            ),
        ),
        Answer("c3-epochs", "How many epochs", epochs_headline),
        Answer(
            "c3-own",
            "",
            lambda r: "own set " + ", ".join(f"{x.recipe} {x.own.correct}/{x.own.total}" for x in r.runs),
        ),
    ),
)


if __name__ == "__main__":
    cli.run(main)
