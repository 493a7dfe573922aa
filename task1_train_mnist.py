"""Task 1: build, train, save and use the MNIST digit network (report steps a to g).

    python task1_train_mnist.py                      # train with the defaults, all figures
    python task1_train_mnist.py --no-train --own-digits DIR   # classify your own digit photos
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

import datalib
import glyphs
import netlib
import plotlib
import trainlib
from atomicio import atomic_path, write_json, write_text
from reportlib import Results, code_block, figure, fraction, opening, pct, table

DEFAULT_OWN_DIGITS = Path("data/own_digits")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=42, help="random seed for weights, dropout and shuffling")
    p.add_argument("--arch", choices=tuple(netlib.NETWORKS), default="cnn",
                   help="cnn (the course network, default), gabor (its first layer a fixed Gabor bank) or "
                        "transformer (image patches through a transformer encoder; see --preset)")
    p.add_argument("--preset", choices=tuple(netlib.TRANSFORMER_PRESETS), default="cpu",
                   help="transformer settings and their training: cpu (default: 16 tokens, 5 epochs) or "
                        "course (the course template: 169 tokens, 15 epochs, AdamW); flags given win")
    p.add_argument("--batch-size", type=int, default=None, help="training batch size (default 64)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default 5; course preset 15)")
    p.add_argument("--optimizer", choices=trainlib.OPTIMIZERS, default=None,
                   help="adam (default, with a one-cycle schedule), the tutorial's sgd, or adamw "
                        "(the transformer presets)")
    p.add_argument("--weight-decay", type=float, default=None, help="AdamW's weight decay (presets: 1e-4)")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (peak rate for one-cycle); default 5e-3 for adam, 0.01 for sgd, "
                        "the preset's for a transformer")
    p.add_argument("--schedule", choices=trainlib.SCHEDULES, default=None,
                   help="learning-rate schedule; default onecycle for adam, constant for sgd")
    p.add_argument("--momentum", type=float, default=0.5, help="SGD momentum")
    p.add_argument("--train-subset", type=int, default=None,
                   help="train on the first N training images only (quick checks)")
    p.add_argument("--test-subset", type=int, default=None, help="evaluate on the first N test images only")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where MNIST lives or is converted to")
    p.add_argument("--figures-dir", type=Path, default=None,
                   help="where figures and results go (default figures/; other kinds: figures/<model name>/)")
    p.add_argument("--models-dir", type=Path, default=Path("models"), help="where the trained model is saved")
    p.add_argument("--model", type=Path, default=None,
                   help="checkpoint to save to / read from (default: MODELS_DIR/mnist_net.pt; gabor_net.pt, "
                        "transformer_PRESET.pt for the other kinds)")
    p.add_argument("--no-train", action="store_true",
                   help="skip training: read --model and run steps f and g with it")
    p.add_argument("--own-digits", type=Path, default=DEFAULT_OWN_DIGITS,
                   help="folder of your own digit images (labels from names like 3.png, 3_b.jpg or "
                        "3/x.png); the default folder is generated when missing")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    preset = netlib.preset_settings(args.arch, args.preset)[1]  # a transformer's training; flags given win
    for name, default in (("epochs", 5), ("batch_size", 64), ("optimizer", "adam"), ("weight_decay", 0.0)):
        if getattr(args, name) is None:
            setattr(args, name, preset.get(name, default))
    if args.optimizer != preset.get("optimizer"):  # the preset's rate and schedule are for its optimizer
        preset = {}
    sgd = args.optimizer == "sgd"
    args.lr = args.lr if args.lr is not None else preset.get("lr", 0.01 if sgd else 5e-3)
    args.schedule = args.schedule or preset.get("schedule", "constant" if sgd else "onecycle")
    args.model = args.model or args.models_dir / netlib.checkpoint_name(args.arch, args.preset)
    # Another kind's figures go to their own folder, so the CNN's Task 1 results stay as they are.
    args.figures_dir = args.figures_dir or Path("figures") / ("" if args.arch == "cnn" else args.model.stem)
    return args


# --- a) the data -----------------------------------------------------------------------------

def plot_first_test_digits(mnist: datalib.Mnist, path: Path, n: int = 6) -> list[int]:
    labels = mnist.test_labels[:n].tolist()
    fig = plotlib.image_grid(mnist.test_images[:n], [f"ground truth: {y}" for y in labels], ncols=3,
                             suptitle=f"The first {n} MNIST test digits", cell=2.2)
    plotlib.save_figure(fig, path)
    return labels


# --- c) the network --------------------------------------------------------------------------

def save_network_diagram(model: netlib.MnistNet, path: Path) -> str | None:
    """torchviz's autograd graph as PNG; returns why it was skipped, or None when written."""
    import graphviz
    from torchviz import make_dot
    model.eval()
    out = model(torch.zeros(1, 1, 28, 28, device=next(model.parameters()).device))
    dot = make_dot(out, params=dict(model.named_parameters()))
    dot.graph_attr.update(dpi="110", label=f"{type(model).__name__}: autograd graph of one forward pass",
                          labelloc="t", fontsize="16")
    try:
        png = dot.pipe(format="png")
    except graphviz.ExecutableNotFound:
        return ("Graphviz's `dot` is not installed, so the diagram was skipped; install it "
                "(apt-get install graphviz, brew install graphviz) and rerun")
    with atomic_path(path) as tmp:
        tmp.write_bytes(png)
    return None


# --- d) training curves ----------------------------------------------------------------------

def plot_training_curves(hist: trainlib.History, loss_path: Path, acc_path: Path) -> None:
    plt = plotlib.plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(hist.examples_seen, hist.train_loss, color="tab:blue", lw=1, label="training loss (running)")
    ax.plot(hist.epoch_examples, hist.test_loss, "o-", color="tab:red", ms=7, label="test loss (end of epoch)")
    ax.set_xlabel("training examples seen")
    ax.set_ylabel("negative log-likelihood loss")
    ax.set_title("Training and test loss")
    ax.legend()
    ax.grid(alpha=0.3)
    plotlib.save_figure(fig, loss_path)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(hist.epoch, [100 * a for a in hist.train_acc], "o-", label="training set")
    ax.plot(hist.epoch, [100 * a for a in hist.test_acc], "s-", label="test set")
    for e, a in zip(hist.epoch, hist.test_acc):
        ax.annotate(f"{100 * a:.2f}", (e, 100 * a), textcoords="offset points", xytext=(0, -18), ha="center",
                    color="tab:orange", bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.set_xticks(hist.epoch)
    ax.set_title("Accuracy after each epoch")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    plotlib.save_figure(fig, acc_path)


# --- f) the saved model on the first test digits ---------------------------------------------

@torch.inference_mode()
def predict_first_test_digits(model, mnist: datalib.Mnist, n: int = 10) -> dict:
    device = next(model.parameters()).device
    out = model(datalib.to_model_input(mnist.test_images[:n]).to(device)).cpu()
    return {"outputs": out.tolist(), "predicted": out.argmax(1).tolist(),
            "labels": mnist.test_labels[:n].tolist()}


def print_first_predictions(first: dict) -> None:
    for i, (row, pred, label) in enumerate(zip(first["outputs"], first["predicted"], first["labels"])):
        values = " ".join(f"{v:6.2f}" for v in row)
        print(f"  image {i}: [{values}]  predicted {pred}, correct {label}")


def plot_prediction_grid(images, first: dict, path: Path) -> None:
    titles = [f"prediction: {p}" for p in first["predicted"][:9]]
    colors = ["green" if p == y else "red" for p, y in zip(first["predicted"], first["labels"])]
    fig = plotlib.image_grid(images[:9], titles, ncols=3, cell=2.2, title_colors=colors,
                             suptitle="The saved model on the first 9 test digits")
    plotlib.save_figure(fig, path)


# --- g) people's own digits ------------------------------------------------------------------

def ensure_default_digits(folder: Path, seed: int) -> None:
    """Generate the built-in stand-in for people's own digit photos when it is missing."""
    if not folder.exists():
        print(f"{folder} is missing: generating the default own-digit images there (seed {seed})")
        glyphs.write_glyph_set(folder, glyphs.DIGITS, per_class=3, seed=seed, style=glyphs.OWN_STYLE, writers=3)


@torch.inference_mode()
def classify_own_digits(model, folder: Path) -> tuple[datalib.ImageSet, list[int]]:
    images = datalib.load_image_set(folder, vocabulary=set(glyphs.DIGITS))
    for path, reason in images.skipped:
        print(f"  skipped {path}: {reason}")
    for path in images.empty_folders:
        print(f"  note: {path} holds no images")
    if len(images.images) == 0:
        raise SystemExit(f"no readable images in {folder}: add PNG or JPEG photos of single digits")
    device = next(model.parameters()).device
    predicted = model(datalib.to_model_input(images.images).to(device)).argmax(1).tolist()
    return images, predicted


def own_digit_accuracy(images: datalib.ImageSet, predicted: list[int]) -> dict:
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


def plot_own_digits(images: datalib.ImageSet, predicted: list[int], figures_dir: Path,
                    per_figure: int = 30) -> list[Path]:
    """Each original photo beside its 28x28 network input, titled with the prediction."""
    paths = []
    for start in range(0, len(images.paths), per_figure):
        idx = range(start, min(start + per_figure, len(images.paths)))
        names = [f"{images.groups[i]}/{images.paths[i].name}" if images.groups[i] else images.paths[i].name
                 for i in idx]
        labels = [images.labels[i] for i in idx]
        bottom = [f"pred {predicted[i]}" + (f" (true {y})" if y else "") for i, y in zip(idx, labels)]
        colors = ["green" if y is None or int(y) == predicted[i] else "red" for i, y in zip(idx, labels)]
        fig = plotlib.pairs_grid([datalib.read_image(images.paths[i]) for i in idx], images.images[list(idx)],
                                 names, bottom, colors, ncols=5,
                                 suptitle=f"Own digits {start + 1}-{idx[-1] + 1}: photo, then the 28x28 input and prediction")
        paths.append(plotlib.save_figure(fig, figures_dir / f"task1g_own_digits_{start // per_figure + 1}.png"))
    return paths


# --- main ------------------------------------------------------------------------------------

def main(argv=None) -> dict:
    args = parse_args(argv)
    figs = args.figures_dir
    figs.mkdir(parents=True, exist_ok=True)
    device = netlib.select_device(args.device)
    results = {"seed": args.seed, "device": str(device), "timings_s": {}}
    clock = time.perf_counter()

    mnist = datalib.load_mnist(args.data_dir).subset(args.train_subset, args.test_subset)
    print(f"MNIST: {len(mnist.train_images)} training and {len(mnist.test_images)} test images ({mnist.source})")
    results["a_first_six_labels"] = plot_first_test_digits(mnist, figs / "task1a_first_six_digits.png")
    print("a) first six test digits:", results["a_first_six_labels"])

    netlib.seed_everything(args.seed)  # b) everything below is repeatable
    network, preset_train = netlib.preset_settings(args.arch, args.preset)
    model = netlib.build_network(args.arch, **network).to(device)
    table = netlib.summary_table(model)
    print("c) the network\n", model, "\n", table, sep="")
    write_text(figs / "task1c_summary.txt", f"{model}\n\n{table}")
    results["parameters"] = netlib.count_parameters(model)
    results["c_diagram_skipped"] = save_network_diagram(model, figs / "task1c_network_diagram.png")
    if results["c_diagram_skipped"]:
        print("c)", results["c_diagram_skipped"])

    if not args.no_train:
        cfg = trainlib.TrainConfig(epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                                   lr=args.lr, schedule=args.schedule, momentum=args.momentum, seed=args.seed,
                                   weight_decay=args.weight_decay,
                                   eval_train=preset_train.get("eval_train", True))
        print(f"d) training: {cfg}")
        start = time.perf_counter()
        model, hist = trainlib.train_digit_network(mnist, cfg, device=device, progress=not args.no_progress,
                                                   arch=args.arch, network=network or None)
        results["timings_s"]["training"] = time.perf_counter() - start
        results["history"] = hist.to_dict()
        results["test_accuracy"] = hist.test_acc[-1]
        plot_training_curves(hist, figs / "task1d_loss.png", figs / "task1d_accuracy.png")
        n_test = len(mnist.test_images)
        print(trainlib.accuracy_line("test", round(hist.test_acc[-1] * n_test), n_test))
        trainlib.save_digit_network(model, args.model, cfg, hist, train_images=len(mnist.train_images))
        print(f"e) saved the model to {args.model}")

    model, meta = netlib.load_checkpoint(args.model, device)  # f) read it back
    results["model_meta"] = meta
    first = predict_first_test_digits(model, mnist)
    print("f) the saved model on the first 10 test images (log-probabilities):")
    print_first_predictions(first)
    plot_prediction_grid(mnist.test_images, first, figs / "task1f_first_nine_predictions.png")
    results["f_first_ten"] = first

    if args.own_digits == DEFAULT_OWN_DIGITS:
        ensure_default_digits(args.own_digits, args.seed)
    print(f"g) own digits from {args.own_digits}")
    images, predicted = classify_own_digits(model, args.own_digits)
    accuracy = own_digit_accuracy(images, predicted)
    results["g_own_digits"] = {"folder": str(args.own_digits), "accuracy": accuracy,
                               "skipped": [[str(p), r] for p, r in images.skipped],
                               "predicted": predicted, "labels": images.labels,
                               "files": [str(p) for p in images.paths]}
    results["g_figures"] = [str(p) for p in plot_own_digits(images, predicted, figs)]
    if accuracy["overall"]:
        print(trainlib.accuracy_line("own-digit", *accuracy["overall"]))
        for group, (hits, total) in accuracy["groups"].items():
            print("  " + trainlib.accuracy_line(group, hits, total))
    else:
        print("  no labels in the file or folder names, so no accuracy; predictions:", predicted)

    results["timings_s"]["total"] = time.perf_counter() - clock
    write_json(figs / "task1_results.json", results)
    return results


# --- report section --------------------------------------------------------------------------

RESULTS_FILE = "task1_results.json"
COMMAND = "python task1_train_mnist.py"


def report_section(res: Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Task 1: build and train a network to recognise digits", COMMAND)
    if r is None:
        return out
    out += "### a) The MNIST test set\n\n" + figure("task1a_first_six_digits.png", "The first six test digits "
           f"with their ground truth: {' '.join(map(str, r['a_first_six_labels']))}.")
    out += ("\n### b) Repeatable\n\nEvery random number comes from seed "
            f"{r['seed']} (weights, dropout, batch order) and the kernels are deterministic, so the run repeats "
            "bit for bit on the same machine.\n")
    out += f"\n### c) The network\n\n{r['parameters']:,} parameters.\n\n"
    summary = res.text("task1c_summary.txt")
    out += code_block(summary) if summary else ""
    if r.get("c_diagram_skipped"):
        out += f"\n**Diagram skipped**: {r['c_diagram_skipped']}\n"
    else:
        out += "\n" + figure("task1c_network_diagram.png", "The network as torchviz draws its autograd graph.")
    meta = r["model_meta"]
    cfg = meta.get("train_config", meta)  # checkpoints before the whole config was saved
    if "history" in r:
        h = r["history"]
        rows = [[e, f"{l:.4f}", pct(a), f"{tl:.4f}", pct(ta), f"{s:.1f} s"] for e, l, a, tl, ta, s in
                zip(h["epoch"], h["epoch_train_loss"], h["train_acc"], h["test_loss"], h["test_acc"], h["epoch_seconds"])]
        out += (f"\n### d) Training\n\n{cfg['optimizer']} (learning rate {cfg['lr']}, {cfg['schedule']} schedule), "
                f"batch {cfg['batch_size']}, {cfg['epochs']} epochs, on {r['device']}; training took "
                f"{r['timings_s']['training']:.1f} s.\n\n"
                + table(["epoch", "train loss", "train accuracy", "test loss", "test accuracy", "time"], rows)
                + "\n" + figure("task1d_loss.png", "Training loss against examples seen; test loss after each epoch.")
                + "\n" + figure("task1d_accuracy.png", "Training and test accuracy after each epoch."))
        out += f"\n### e) Saved\n\nThe model was saved with its metadata; final test accuracy {pct(meta['test_accuracy'])}.\n"
    else:
        out += "\n### d, e) Training\n\n**Not run**: this run used `--no-train` and read a saved model.\n"
    first = r["f_first_ten"]
    rows = [[i, " ".join(f"{v:.2f}" for v in o), p, y]
            for i, (o, p, y) in enumerate(zip(first["outputs"], first["predicted"], first["labels"]))]
    out += ("\n### f) The saved model on the first ten test digits\n\nThe ten log-probabilities (digits 0 to 9) "
            "for each image:\n\n" + table(["image", "outputs", "predicted", "correct"], rows) + "\n"
            + figure("task1f_first_nine_predictions.png", "Predictions for the first nine test digits."))
    own = r["g_own_digits"]
    out += f"\n### g) Own handwritten digits\n\nFolder `{own['folder']}`, read through the MNIST-style preprocessing.\n\n"
    if own["accuracy"]["overall"]:
        rows = [["all", fraction(*own["accuracy"]["overall"])]]
        rows += [[g, fraction(*v)] for g, v in own["accuracy"]["groups"].items()]
        out += table(["images", "accuracy"], rows) + "\n"
    for path, reason in own["skipped"]:
        out += f"- skipped `{path}`: {reason}\n"
    for fig in r["g_figures"]:
        out += "\n" + figure(fig, "Each photo beside the 28x28 network input, with the prediction (green right, red wrong).")
    return out



if __name__ == "__main__":
    try:
        main()
    except (netlib.CheckpointError, FileNotFoundError) as err:
        sys.exit(f"error: {err}")
