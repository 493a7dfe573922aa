"""Extension: Greek letters in embeddings of other widths (30, 50 and 90 by default).

Task 3 classifies the Greek letters in the 50-wide embedding of the Task 1 network. Here digit
networks of other hidden widths are made exactly as that network was (its checkpoint's training
config, its number of training images) and every Task 3 classifier is measured in each of their
embeddings, on the same reference and own sets.

    python -m extensions.embedding_widths                       # widths 30, 50, 90
    python -m extensions.embedding_widths --widths 10,50,200 --device cuda

A network of another width is trained once and saved beside --model as mnist_net_h<W>.pt; a
saved one is reused only when it was trained with the main network's config.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import netlib
from recognition import cli, embedding, flags, training
from recognition.data import datasets, greeksets, preprocess
from recognition.io import writable_folder
from recognition.report import plots
from recognition.report.embedding_text import accuracy_lines, accuracy_rows
from recognition.report.markdown import Outputs, figure, table
from recognition.report.results import StepResults, save_results
from recognition.report.steps import Answer, Step


def width_list(text: str) -> tuple[int, ...]:
    """argparse type of --widths: comma-separated positive integers."""
    try:
        widths = tuple(dict.fromkeys(int(w) for w in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--widths expects comma-separated integers such as 30,50,90, got {text!r}"
        ) from None
    if any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"--widths expects positive integers such as 30,50,90, got {text!r}")
    return widths


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--widths", type=width_list, default=(30, 50, 90), help="hidden widths to compare")
    p.add_argument(
        "--model",
        type=Path,
        default=Path("models/mnist_net.pt"),
        help="the Task 1 digit network: its width is used as it is, its training config (and "
        "number of training images) for the others",
    )
    p.add_argument(
        "--greek-dir",
        type=Path,
        default=None,
        help="reference letters, one sub-folder per letter (default: Task 3's built-in "
        "DATA_DIR/greek, generated when missing)",
    )
    p.add_argument(
        "--own-dir",
        type=Path,
        default=None,
        help="own letters to classify (default: Task 3's built-in DATA_DIR/greek_own)",
    )
    p.add_argument("--transform", choices=preprocess.TRANSFORMS, default="mnist", help="image -> 28x28 input")
    p.add_argument(
        "--seed",
        type=flags.SEED,
        default=netlib.DEFAULT_SEED,
        help="seed for generated data and the letter layer (training uses the main network's)",
    )
    flags.add_classifier_flags(p)
    p.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="where MNIST and the built-in letter sets live"
    )
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where figures and results go")
    p.add_argument("--device", default="auto", help="for training other widths: auto, cpu or cuda")
    p.add_argument("--no-progress", action="store_true", help="no progress bar while training")
    return p.parse_args(argv)


def width_checkpoint(width: int, main_path: Path, main_hidden: int) -> Path:
    return main_path if width == main_hidden else main_path.parent / f"mnist_net_h{width}.pt"


def made_like(meta: dict, width: int, cfg: training.TrainConfig, train_images: int | None) -> bool:
    """Whether a saved network has this width and was trained with this config on as many images
    (when the main network's checkpoint says how many)."""
    return (
        meta.get("hidden") == width
        and training.same_recipe(training.config_from_meta(meta), cfg)
        and train_images in (None, meta.get("train_images"))
    )


def width_model(
    width: int,
    path: Path,
    cfg: training.TrainConfig,
    train_images: int | None,
    data_dir: Path,
    device,
    progress: bool,
) -> tuple[netlib.MnistNet, str]:
    """The digit network of this width: a saved one made the same way, else trained and saved."""
    if path.is_file():
        model, meta = netlib.load_checkpoint(path)
        if made_like(meta, width, cfg, train_images):
            return model, f"reused {path}"
        print(
            f"  {path} was made differently (hidden {meta.get('hidden')}, {meta.get('train_images')} "
            f"images, config {meta.get('train_config')}): retraining"
        )
    mnist = datasets.load_mnist(data_dir).subset(n_train=train_images)
    print(f"  training a width-{width} digit network like the main one ({cfg}) -> {path}")
    cfg = training.without_train_pass(cfg)  # the same weights; only the main network's curves are shown
    model, hist = training.train_digit_network(mnist, cfg, hidden=width, device=device, progress=progress)
    training.save_digit_network(model, path, cfg, hist, len(mnist.train_images))
    return model.cpu().eval(), (
        f"trained in {sum(hist.epoch_seconds):.0f} s, test accuracy {hist.test_acc[-1]:.2%}"
    )


def measure_widths(
    widths,
    main_path: Path,
    sets: greeksets.LetterSets,
    transform: str,
    k: int,
    steps: int,
    lr: float,
    seed: int,
    data_dir: Path,
    device,
    progress: bool,
) -> tuple[training.TrainConfig, dict[str, embedding.AccuracyTable], dict[str, str]]:
    """Every classifier's accuracy in each width's embedding, and where each network came from:
    (the main network's training config, the accuracy per width, the network's source per width)."""
    main_model, meta = netlib.load_checkpoint(main_path)
    cfg = training.config_from_meta(meta)
    tables, sources = {}, {}
    for width in widths:
        path = width_checkpoint(width, main_path, main_model.hidden)
        net, sources[width] = (
            (main_model, f"--model {main_path}")
            if path == main_path
            else width_model(width, path, cfg, meta.get("train_images"), data_dir, device, progress)
        )
        ref, own = sets.ref[transform], sets.own[transform]
        tables[width] = embedding.classify_and_score(net, ref, own, k, steps, lr, seed)[1]
        print(f" width {width} ({sources[width]}):\n" + "\n".join(accuracy_lines(tables[width])))
    return cfg, {str(w): t for w, t in tables.items()}, {str(w): s for w, s in sources.items()}


def plot_width_comparison(tables: dict[str, embedding.AccuracyTable], path: Path) -> Path:
    """Grouped bars: per classifier, one bar per width; leave-one-out and own set side by side."""
    plt = plots.plt
    widths, names = list(tables), embedding.CLASSIFIERS
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    bar = 0.8 / len(widths)
    colours = plt.get_cmap("viridis")(np.linspace(0.15, 0.85, len(widths)))
    for ax, s in zip(axes, embedding.SETS):
        for w_i, width in enumerate(widths):
            pct = [100 * c / t if t else 0 for c, t in (tables[width].part(s).of(name) for name in names)]
            x = np.arange(len(names)) + (w_i - (len(widths) - 1) / 2) * bar
            bars = ax.bar(x, pct, bar, color=colours[w_i], label=f"width {width}")
            ax.bar_label(bars, [f"{v:.0f}" for v in pct], fontsize=9, padding=1)
        ax.set_xticks(range(len(names)), names)
        total = tables[widths[0]].part(s).one_nn[1]
        what = "leave-one-out on the reference set" if s == "leave-one-out" else "own set"
        ax.set_title(f"{what} ({total} images)")
        ax.set_ylim(0, 112)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("accuracy (%)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="center right", title="embedding", frameon=False)
    fig.suptitle("Letter accuracy in embeddings of different widths")
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    return plots.save_figure(fig, path)


@dataclass(kw_only=True)
class WidthsResults(StepResults):
    seed: int
    model: str
    reference_dir: str
    own_dir: str
    generated: list[str]  # the built-in folders generated by this run
    transform: str
    k: int
    train_config: training.TrainConfig  # the main network's: every other width is trained with it
    accuracy: dict[str, embedding.AccuracyTable]  # per width
    models: dict[str, str]  # per width: where its network came from
    figure: str


def main(argv=None) -> WidthsResults:
    args = parse_args(argv)
    figs = writable_folder(args.figures_dir)
    start = time.perf_counter()
    sets = greeksets.load_sets(
        args.greek_dir,
        args.own_dir,
        args.data_dir,
        None,
        args.transform,
        args.seed,
        all_letters=False,
        every_transform=False,
    )
    print(
        f"embedding widths {', '.join(map(str, args.widths))} ({args.transform} transform; reference set "
        f"{sets.greek_dir}, own set {sets.own_dir})"
    )
    device = netlib.select_device(args.device)
    cfg, accuracy, models = measure_widths(
        args.widths,
        args.model,
        sets,
        args.transform,
        args.k,
        args.transfer_steps,
        args.transfer_lr,
        args.seed,
        args.data_dir,
        device,
        not args.no_progress,
    )
    results = WidthsResults(
        seed=args.seed,
        model=str(args.model),
        reference_dir=str(sets.greek_dir),
        own_dir=str(sets.own_dir),
        generated=sets.generated,
        transform=args.transform,
        k=args.k,
        train_config=cfg,
        accuracy=accuracy,
        models=models,
        figure=str(plot_width_comparison(accuracy, figs / FIGURE)),
        device=str(device),
        seconds=time.perf_counter() - start,
    )
    save_results(figs / STEP.results_file, results)
    print(f"results in {figs / STEP.results_file} ({results.seconds:.1f} s)")
    return results


# --- report section --------------------------------------------------------------------------

FIGURE = "ext_widths_accuracy.png"


def report_section(r: WidthsResults, outputs: Outputs) -> str:
    rows = [row for width, acc in r.accuracy.items() for row in accuracy_rows(acc, width)]
    cfg = r.train_config
    sources = "; ".join(f"width {w}: {s}" for w, s in r.models.items())
    return (
        f"Task 3's classifiers (k = {r.k}, `{r.transform}` transform) in the embeddings of "
        f"digit networks of widths {', '.join(r.accuracy)}, each trained like the main network "
        f"({cfg.optimizer}, {cfg.epochs} epochs, batch {cfg.batch_size}, seed {cfg.seed}); "
        f"{sources}.\n\n"
        + table(["width", "evaluation"] + list(embedding.CLASSIFIERS), rows)
        + "\n"
        + figure(
            r.figure,
            "Accuracy of every classifier for embedding widths " + ", ".join(r.accuracy) + ".",
        )
    )


STEP = Step(
    name="widths",
    title="Extension: other embedding widths",
    command="python -m extensions.embedding_widths",
    results=WidthsResults,
    section=report_section,
    needs=("task1",),
    args=("--no-progress",),
    cost_s=95,
    rubric=(
        Answer(
            "x-widths",
            "",
            lambda r: (
                "other writers by 1-NN: "
                + ", ".join(f"width {w} {a.own.one_nn[0]}/{a.own.one_nn[1]}" for w, a in r.accuracy.items())
            ),
        ),
    ),
)


if __name__ == "__main__":
    cli.run(main)
