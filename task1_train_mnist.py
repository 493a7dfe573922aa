"""Task 1: build, train, save and use the MNIST digit network (report steps a to g).

    python task1_train_mnist.py                      # train with the defaults, all figures
    python task1_train_mnist.py --no-train --own-digits DIR   # classify your own digit photos

A classify-only run (`--no-train`) runs steps f and g with the saved model and writes its own
task1_classify_* files, so the training run's results and figures are kept.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

import netlib
from recognition import cli, networks, training
from recognition.data import augment, datasets, imagefiles, sheets
from recognition.handwriting import glyphs, pages
from recognition.io import atomic_path, writable_folder, write_json, write_text
from recognition.report import plots
from recognition.report.markdown import Results, code_block, figure, fraction, opening, pct, table

RESULTS_FILE = "task1_results.json"
CLASSIFY_RESULTS_FILE = "task1_classify_results.json"  # what a --no-train run writes
COMMAND = "python task1_train_mnist.py"
# The TrainConfig fields that are flags, with their help; their defaults are TrainConfig's.
CONFIG_FLAGS = {
    "seed": "random seed for weights, dropout and shuffling",
    "batch_size": "training batch size",
    "epochs": "training epochs",
    "momentum": "SGD momentum",
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
            type=type(value),
            default=value if name == "seed" else None,  # None: the preset's or TrainConfig's
            help=f"{text} (default {value}; a transformer: its preset's)",
        )
    p.add_argument(
        "--optimizer",
        choices=training.OPTIMIZERS,
        default=None,
        help=f"{defaults.optimizer} (default), the tutorial's sgd, or adamw (the transformer presets)",
    )
    p.add_argument("--weight-decay", type=float, default=None, help="AdamW's weight decay (presets: 1e-4)")
    p.add_argument(
        "--augment",
        choices=augment.AUGMENTATIONS,
        default=None,
        help=f"training augmentation: {defaults.augment} (default: each batch rotated, scaled, "
        "sheared, shifted, bent and re-penned; augment.py) or none (the assignment's recipe)",
    )
    p.add_argument(
        "--lr",
        type=float,
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
    p.add_argument(
        "--train-subset",
        type=int,
        default=None,
        help="train on the first N training images only (quick checks)",
    )
    p.add_argument("--test-subset", type=int, default=None, help="evaluate on the first N test images only")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where MNIST lives or is converted to")
    p.add_argument(
        "--figures-dir",
        type=Path,
        default=None,
        help="where figures and results go (default figures/; other kinds: figures/<model name>/)",
    )
    p.add_argument("--models-dir", type=Path, default=Path("models"), help="where the trained model is saved")
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="checkpoint to save to / read from (default: MODELS_DIR/mnist_net.pt, or "
        "gabor_net.pt, transformer_PRESET.pt for the other kinds); with "
        "--no-train also a bare torch.save(model.state_dict()) file",
    )
    p.add_argument(
        "--no-train",
        action="store_true",
        help="skip training: read --model and run steps f and g with it, writing "
        f"{CLASSIFY_RESULTS_FILE} (the training run's results are kept)",
    )
    p.add_argument(
        "--own-digits",
        type=Path,
        default=None,
        help="a folder of your own digit images, or one image (labels from names like 3.png, "
        "3_b.jpg or 3/x.png); default: the built-in generated set DATA_DIR/own_digits, "
        "made when missing",
    )
    p.add_argument(
        "--generate-missing",
        action="store_true",
        help="when the --own-digits folder is missing, generate the built-in set there",
    )
    p.add_argument(
        "--own-digits-sheet",
        type=Path,
        default=None,
        help="a photo of a sheet of digits, or a folder of them (default: the built-in sheets in "
        "DATA_DIR/own_digit_sheets, generated when missing)",
    )
    p.add_argument(
        "--labels",
        default=None,
        help="the digits on each sheet in reading order, e.g. 0123456789 (default: the digits the "
        "sheet's file name ends with, if any)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="go on with an interrupted training of the same flags from its last finished epoch "
        "(the state is saved after each epoch as MODEL.resume.pt); the result is bit for bit "
        "that of an uninterrupted run",
    )
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


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


def add(results: dict, part: dict) -> dict:
    """Merge one step's results into the run's; the figures and timings of all steps are kept."""
    for key in ("figures", "timings_s"):
        results.setdefault(key, {}).update(part.pop(key, {}))
    results.update(part)
    return results


# --- a) the data -----------------------------------------------------------------------------


def show_data(mnist: datasets.Mnist, figs: Path, n: int = 6) -> dict:
    labels = mnist.test_labels[:n].tolist()
    fig = plots.image_grid(
        mnist.test_images[:n],
        [f"ground truth: {y}" for y in labels],
        ncols=3,
        suptitle=f"The first {n} MNIST test digits",
        cell=2.2,
    )
    path = plots.save_figure(fig, figs / "task1a_first_six_digits.png")
    print("a) first six test digits:", labels)
    return {"a_first_six_labels": labels, "figures": {"a_first_six": str(path)}}


# --- b, c) seeding and the network -----------------------------------------------------------


def describe_network(
    seed: int, device: torch.device, figs: Path, arch: str = "cnn", network: dict | None = None
) -> dict:
    netlib.seed_everything(seed)  # b) everything below is repeatable
    model = networks.build_network(arch, **(network or {})).to(device)
    summary = networks.summary_table(model)
    print("c) the network\n", model, "\n", summary, sep="")
    files = {"c_summary": str(write_text(figs / "task1c_summary.txt", f"{model}\n\n{summary}"))}
    skipped = save_network_diagram(model, figs / "task1c_network_diagram.png")
    if skipped:
        print("c)", skipped)
    else:
        files["c_diagram"] = str(figs / "task1c_network_diagram.png")
    return {"parameters": netlib.count_parameters(model), "c_diagram_skipped": skipped, "figures": files}


def save_network_diagram(model: netlib.MnistNet, path: Path) -> str | None:
    """torchviz's autograd graph as PNG; returns why it was skipped, or None when written."""
    import graphviz
    from torchviz import make_dot

    model.eval()
    out = model(torch.zeros(1, 1, 28, 28, device=next(model.parameters()).device))
    dot = make_dot(out, params=dict(model.named_parameters()))
    dot.graph_attr.update(
        dpi="110",
        label=f"{type(model).__name__}: autograd graph of one forward pass",
        labelloc="t",
        fontsize="16",
    )
    try:
        png = dot.pipe(format="png")
    except graphviz.ExecutableNotFound:
        return (
            "Graphviz's `dot` is not installed, so the diagram was skipped; install it "
            "(apt-get install graphviz, brew install graphviz) and rerun"
        )
    with atomic_path(path) as tmp:
        tmp.write_bytes(png)
    return None


# --- d, e) training and saving ---------------------------------------------------------------


def resume_file(model_path: Path, resume: bool) -> Path:
    """Where a training saves its state after each epoch; without --resume an old state is dropped."""
    path = model_path.with_name(model_path.stem + ".resume.pt")
    if path.is_file() and not resume:
        print(f"note: {path} holds an interrupted training; starting afresh (--resume goes on with it)")
        path.unlink()
    return path


def train_and_save(
    mnist: datasets.Mnist,
    cfg: training.TrainConfig,
    device: torch.device,
    model_path: Path,
    figs: Path,
    progress: bool,
    arch: str = "cnn",
    network: dict | None = None,
    resume: bool = False,
) -> dict:
    print(f"d) training: {cfg}")
    start = time.perf_counter()
    model, hist = training.train_digit_network(
        mnist,
        cfg,
        device=device,
        progress=progress,
        arch=arch,
        network=network or None,
        resume_file=resume_file(model_path, resume),
    )
    seconds = sum(hist.epoch_seconds) if resume else time.perf_counter() - start
    loss_path, acc_path = figs / "task1d_loss.png", figs / "task1d_accuracy.png"
    plot_training_curves(hist, loss_path, acc_path)
    n_test = len(mnist.test_images)
    print(training.accuracy_line("test", round(hist.test_acc[-1] * n_test), n_test))
    training.save_digit_network(model, model_path, cfg, hist, train_images=len(mnist.train_images))
    print(f"e) saved the model to {model_path}")
    return {
        "history": hist.to_dict(),
        "test_accuracy": hist.test_acc[-1],
        "timings_s": {"training": seconds},
        "figures": {"d_loss": str(loss_path), "d_accuracy": str(acc_path)},
    }


def plot_training_curves(hist: training.History, loss_path: Path, acc_path: Path) -> None:
    plt = plots.plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(hist.examples_seen, hist.train_loss, color="tab:blue", lw=1, label="training loss (running)")
    ax.plot(
        hist.epoch_examples, hist.test_loss, "o-", color="tab:red", ms=7, label="test loss (end of epoch)"
    )
    ax.set_xlabel("training examples seen")
    ax.set_ylabel("negative log-likelihood loss")
    ax.set_title("Training and test loss")
    ax.legend()
    ax.grid(alpha=0.3)
    plots.save_figure(fig, loss_path)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(hist.epoch, [100 * a for a in hist.train_acc], "o-", label="training set")
    ax.plot(hist.epoch, [100 * a for a in hist.test_acc], "s-", label="test set")
    for e, a in zip(hist.epoch, hist.test_acc):
        ax.annotate(
            f"{100 * a:.2f}",
            (e, 100 * a),
            textcoords="offset points",
            xytext=(0, -18),
            ha="center",
            color="tab:orange",
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85),
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.set_xticks(hist.epoch)
    ax.set_title("Accuracy after each epoch")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    plots.save_figure(fig, acc_path)


# --- f) the saved model on the first test digits ---------------------------------------------


@torch.inference_mode()
def first_test_digits(model: netlib.MnistNet, mnist: datasets.Mnist, path: Path, n: int = 10) -> dict:
    device = next(model.parameters()).device
    out = model(datasets.to_model_input(mnist.test_images[:n]).to(device)).cpu()
    first = {
        "outputs": out.tolist(),
        "predicted": out.argmax(1).tolist(),
        "labels": mnist.test_labels[:n].tolist(),
    }
    print("f) the saved model on the first 10 test images (log-probabilities):")
    for i, (row, pred, label) in enumerate(zip(first["outputs"], first["predicted"], first["labels"])):
        print(f"  image {i}: [{' '.join(f'{v:6.2f}' for v in row)}]  predicted {pred}, correct {label}")
    plot_prediction_grid(mnist.test_images, first, path)
    return {"f_first_ten": first, "figures": {"f_first_nine": str(path)}}


def plot_prediction_grid(images, first: dict, path: Path) -> None:
    titles = [f"prediction: {p}" for p in first["predicted"][:9]]
    colors = ["green" if p == y else "red" for p, y in zip(first["predicted"], first["labels"])]
    fig = plots.image_grid(
        images[:9],
        titles,
        ncols=3,
        cell=2.2,
        title_colors=colors,
        suptitle="The saved model on the first 9 test digits",
    )
    plots.save_figure(fig, path)


# --- g) people's own digits ------------------------------------------------------------------


def own_digits_folder(given: Path | None, data_dir: Path, generate_missing: bool, seed: int) -> Path:
    """The folder (or image) step g reads: the one given, else the built-in set DATA_DIR/own_digits.

    The built-in set is generated when it is missing; a folder the user names must exist, unless
    --generate-missing asks for the built-in set to be generated there.
    """
    folder = given if given is not None else data_dir / "own_digits"
    if folder.exists():
        return folder
    if given is not None and not generate_missing:
        raise cli.UserError(
            f"--own-digits {given} does not exist: pass a folder (or one image) of your "
            "digit photos, or add --generate-missing to generate the built-in stand-in "
            "set there"
        )
    print(f"{folder} is missing: generating the default own-digit images there (seed {seed})")
    pages.write_own_digits(folder, seed)
    return folder


@torch.inference_mode()
def classify_own_digits(model: netlib.MnistNet, folder: Path) -> tuple[imagefiles.ImageSet, list[int]]:
    images = imagefiles.load_image_set(folder, vocabulary=set(glyphs.DIGITS))
    for path, reason in images.skipped:
        print(f"  skipped {path}: {reason}")
    for path in images.empty_folders:
        print(f"  note: {path} holds no images")
    if len(images.images) == 0:
        raise cli.UserError(f"no readable images in {folder}: add PNG or JPEG photos of single digits")
    device = next(model.parameters()).device
    predicted = model(datasets.to_model_input(images.images).to(device)).argmax(1).tolist()
    return images, predicted


def own_digit_accuracy(images: imagefiles.ImageSet, predicted: list[int]) -> dict:
    """Accuracy over the labelled images, overall and per first-level sub-folder."""
    result = {"overall": None, "groups": {}}
    scored = [(g, int(y) == p) for y, g, p in zip(images.labels, images.groups, predicted) if y is not None]
    if not scored:
        return result
    result["overall"] = [sum(ok for _, ok in scored), len(scored)]
    for group in sorted({g for g, _ in scored} - {""}):
        hits = [ok for g, ok in scored if g == group]
        result["groups"][group] = [sum(hits), len(hits)]
    return result


def own_digits(model: netlib.MnistNet, folder: Path, figs: Path, figure_name: str) -> dict:
    """Step g: classify the own digits, print their accuracy, draw them (figure_name has a {} for N)."""
    print(f"g) own digits from {folder}")
    images, predicted = classify_own_digits(model, folder)
    accuracy = own_digit_accuracy(images, predicted)
    if accuracy["overall"]:
        print(training.accuracy_line("own-digit", *accuracy["overall"]))
        for group, (hits, total) in accuracy["groups"].items():
            print("  " + training.accuracy_line(group, hits, total))
    else:
        print("  no labels in the file or folder names, so no accuracy; predictions:", predicted)
    paths = plot_own_digits(images, predicted, figs, figure_name)
    return {
        "g_own_digits": {
            "folder": str(folder),
            "accuracy": accuracy,
            "skipped": [[str(p), r] for p, r in images.skipped],
            "predicted": predicted,
            "labels": images.labels,
            "files": [str(p) for p in images.paths],
        },
        "figures": {"g_own_digits": [str(p) for p in paths]},
    }


def plot_own_digits(
    images: imagefiles.ImageSet, predicted: list[int], figs: Path, figure_name: str, per_figure: int = 30
) -> list[Path]:
    """Each original photo beside its 28x28 network input, titled with the prediction."""
    paths = []
    for start in range(0, len(images.paths), per_figure):
        idx = range(start, min(start + per_figure, len(images.paths)))
        names = [
            f"{images.groups[i]}/{images.paths[i].name}" if images.groups[i] else images.paths[i].name
            for i in idx
        ]
        labels = [images.labels[i] for i in idx]
        bottom = [f"pred {predicted[i]}" + (f" (true {y})" if y else "") for i, y in zip(idx, labels)]
        colors = ["green" if y is None or int(y) == predicted[i] else "red" for i, y in zip(idx, labels)]
        title = f"Own digits {start + 1}-{idx[-1] + 1}: photo, then the 28x28 input and prediction"
        fig = plots.pairs_grid(
            [imagefiles.read_image(images.paths[i]) for i in idx],
            images.images[list(idx)],
            names,
            bottom,
            colors,
            ncols=5,
            suptitle=title,
        )
        paths.append(plots.save_figure(fig, figs / figure_name.format(start // per_figure + 1)))
    return paths


# --- main ------------------------------------------------------------------------------------


def main(argv=None) -> dict:
    args = parse_args(argv)
    clock = time.perf_counter()
    model_path = args.model or args.models_dir / networks.checkpoint_name(args.arch, args.preset)
    # Another kind's figures go to their own folder, so the CNN's Task 1 results stay as they are.
    figs = args.figures_dir or Path("figures") / ("" if args.arch == "cnn" else model_path.stem)
    figs = writable_folder(figs)  # a read-only output folder fails now, not after training
    network, preset = networks.preset_settings(args.arch, args.preset)
    device = netlib.select_device(args.device)
    own_folder = own_digits_folder(args.own_digits, args.data_dir, args.generate_missing, args.seed)
    mnist = datasets.load_mnist(args.data_dir).subset(args.train_subset, args.test_subset)
    print(
        f"MNIST: {len(mnist.train_images)} training and {len(mnist.test_images)} test images ({mnist.source})"
    )
    results = {"seed": args.seed, "device": str(device)}
    prefix = "task1_classify_" if args.no_train else "task1"
    if not args.no_train:
        writable_folder(model_path.parent)
        cfg = train_config(
            preset,
            args.optimizer,
            args.lr,
            args.schedule,
            weight_decay=args.weight_decay,
            augment=args.augment,
            **{name: getattr(args, name) for name in CONFIG_FLAGS},
        )
        add(results, show_data(mnist, figs))
        add(results, describe_network(args.seed, device, figs, args.arch, network))
        add(
            results,
            train_and_save(
                mnist, cfg, device, model_path, figs, not args.no_progress, args.arch, network, args.resume
            ),
        )
    model, results["model_meta"] = netlib.load_checkpoint(model_path, device)  # f) read it back
    add(results, first_test_digits(model, mnist, figs / f"{prefix}f_first_nine_predictions.png"))
    add(results, own_digits(model, own_folder, figs, prefix + "g_own_digits_{}.png"))
    add(
        results,
        sheets.sheets_step(
            model,
            args.own_digits_sheet,
            args.labels,
            args.data_dir,
            figs,
            prefix + "g_sheet_{}.png",
            args.seed,
            results["g_own_digits"],
        ),
    )
    results.setdefault("timings_s", {})["total"] = time.perf_counter() - clock
    path = write_json(figs / (CLASSIFY_RESULTS_FILE if args.no_train else RESULTS_FILE), results)
    print(f"results in {path}")
    return results


# --- report section --------------------------------------------------------------------------


def report_section(res: Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Task 1: build and train a network to recognise digits", COMMAND)
    if r is not None:
        out += data_and_network_section(r, res) + training_section(r)
        out += "\n### f) The saved model on the first ten test digits\n\n" + first_ten_section(r)
        out += "\n### g) Own handwritten digits\n\n" + own_digits_section(r)
    classify = res.load(CLASSIFY_RESULTS_FILE)
    if classify is not None:
        out += (
            "\n### f, g) A classify-only run (`--no-train`)\n\nThe saved model"
            f"{' (' + classify['model_meta']['note'] + ')' if 'note' in classify['model_meta'] else ''}, "
            "read back and run on the first ten test digits and on the own digits:\n\n"
            + first_ten_section(classify)
            + "\n"
            + own_digits_section(classify)
        )
    return out


def data_and_network_section(r: dict, res: Results) -> str:
    figures = r["figures"]
    labels = " ".join(map(str, r["a_first_six_labels"]))
    out = "### a) The MNIST test set\n\n" + figure(
        figures["a_first_six"], f"The first six test digits with their ground truth: {labels}."
    )
    out += (
        "\n### b) Repeatable\n\nEvery random number comes from seed "
        f"{r['seed']} (weights, dropout, batch order) and the kernels are deterministic, so the run "
        "repeats bit for bit on the same machine.\n"
    )
    out += f"\n### c) The network\n\n{r['parameters']:,} parameters.\n\n"
    summary = res.text(Path(figures["c_summary"]).name)
    out += code_block(summary) if summary else ""
    if r["c_diagram_skipped"]:
        return out + f"\n**Diagram skipped**: {r['c_diagram_skipped']}\n"
    return out + "\n" + figure(figures["c_diagram"], "The network as torchviz draws its autograd graph.")


def training_section(r: dict) -> str:
    cfg, h = r["model_meta"]["train_config"], r["history"]
    columns = zip(
        h["epoch"], h["epoch_train_loss"], h["train_acc"], h["test_loss"], h["test_acc"], h["epoch_seconds"]
    )
    rows = [
        [e, f"{loss:.4f}", pct(acc), f"{test_loss:.4f}", pct(test_acc), f"{s:.1f} s"]
        for e, loss, acc, test_loss, test_acc, s in columns
    ]
    return (
        f"\n### d) Training\n\n{cfg['optimizer']} (learning rate {cfg['lr']}, {cfg['schedule']} "
        "schedule), "
        f"batch {cfg['batch_size']}, {cfg['epochs']} epochs, {augmentation_text(cfg)}, on {r['device']}; "
        "training took "
        f"{r['timings_s']['training']:.1f} s.\n\n"
        + table(["epoch", "train loss", "train accuracy", "test loss", "test accuracy", "time"], rows)
        + "\n"
        + figure(r["figures"]["d_loss"], "Training loss against examples seen; test loss after each epoch.")
        + "\n"
        + figure(r["figures"]["d_accuracy"], "Training and test accuracy after each epoch.")
        + "\n### e) Saved\n\nThe model was saved with its metadata and whole training config; final test "
        f"accuracy {pct(r['model_meta']['test_accuracy'])}.\n"
    )


def augmentation_text(cfg: dict) -> str:
    """What the report says of a training config's augmentation (configs from before it: none)."""
    if cfg.get("augment", "none") == "none":
        return "no augmentation (the assignment's recipe)"
    return (
        f"augmentation `{cfg['augment']}` (each batch rotated, scaled, sheared, shifted, bent and "
        "re-penned; `--augment none` is the assignment's recipe)"
    )


def first_ten_section(r: dict) -> str:
    first = r["f_first_ten"]
    rows = [
        [i, " ".join(f"{v:.2f}" for v in o), p, y]
        for i, (o, p, y) in enumerate(zip(first["outputs"], first["predicted"], first["labels"]))
    ]
    return (
        "The ten log-probabilities (digits 0 to 9) for each image:\n\n"
        + table(["image", "outputs", "predicted", "correct"], rows)
        + "\n"
        + figure(r["figures"]["f_first_nine"], "Predictions for the first nine test digits.")
    )


def own_digits_section(r: dict) -> str:
    own = r["g_own_digits"]
    out = f"Folder `{own['folder']}`, read through the MNIST-style preprocessing.\n\n"
    if own["accuracy"]["overall"]:
        rows = [["all", fraction(*own["accuracy"]["overall"])]]
        rows += [[g, fraction(*v)] for g, v in own["accuracy"]["groups"].items()]
        out += table(["images", "accuracy"], rows) + "\n"
    for path, reason in own["skipped"]:
        out += f"- skipped `{path}`: {reason}\n"
    for path in r["figures"]["g_own_digits"]:
        out += "\n" + figure(
            path, "Each photo beside the 28x28 network input, with the prediction (green right, red wrong)."
        )
    out += sheets.report_part(r.get("g_sheets"))
    return out


if __name__ == "__main__":
    cli.run(main)
