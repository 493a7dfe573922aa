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
from recognition import cli, flags, networks, personal, training, training_flags
from recognition.data import datasets, imagefiles, sheets
from recognition.handwriting import glyphs, pages
from recognition.io import writable_folder, write_text
from recognition.report import digit_plots
from recognition.report.results import save_results
from recognition.report.sections import task1 as section
from recognition.report.steps import Step


def parse_args(argv=None) -> argparse.Namespace:
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    training_flags.add_network_flags(p)
    p.add_argument(
        "--train-subset", type=flags.COUNT, help="train on the first N training images only (quick checks)"
    )
    p.add_argument("--test-subset", type=flags.COUNT, help="evaluate on the first N test images only")
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
        f"{section.CLASSIFY_RESULTS_FILE} (the training run's results are kept)",
    )
    p.add_argument(
        "--own-digits",
        type=Path,
        default=None,
        help="a folder of your own digit images, or one image (labels from names like 3.png, "
        "3_b.jpg, '3 again.png' or 3/x.png: the folder's name or the file name's first word; the "
        "run says how many have none); default: the built-in generated set DATA_DIR/own_digits, "
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
        help="a photo of a sheet of digits, or a folder of them (default without --own-digits: the "
        "built-in sheets in DATA_DIR/own_digit_sheets, generated when missing)",
    )
    p.add_argument(
        "--labels",
        type=sheets.check_labels,
        default=None,
        help="the digits 0-9 on each sheet in reading order (rows, left to right), e.g. 0123456789, "
        "one per digit found (checked before any work); default: the digits of a name like "
        "sheet_0123456789.png or sheet_2_0123456789.png, and no score for other names (a "
        "camera's IMG_20231105_143022.png is not read as labels)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="go on with an interrupted training of the same flags from its last finished epoch "
        "(the state is saved after each epoch as MODEL.resume.pt); the result is bit for bit "
        "that of an uninterrupted run",
    )
    flags.add_device_flag(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    personal.shots.add_shots_flag(p)  # --shots K: K own digits per writer adapt the network
    return p.parse_args(argv)


# --- a) the data -----------------------------------------------------------------------------


def show_data(mnist: datasets.Mnist, figs: Path, n: int = 6) -> section.FirstSix:
    labels = mnist.test_labels[:n].tolist()
    path = digit_plots.first_digits(mnist.test_images, labels, figs / "task1a_first_six_digits.png")
    print("a) first six test digits:", labels)
    return section.FirstSix(labels=labels, figure=str(path))


# --- b, c) seeding and the network -----------------------------------------------------------


def describe_network(
    seed: int, device: torch.device, figs: Path, arch: str = "cnn", network: dict | None = None
) -> section.NetworkSummary:
    netlib.seed_everything(seed)  # b) everything below is repeatable
    model = networks.build_network(arch, **(network or {})).to(device)
    summary = networks.summary_table(model)
    print("c) the network\n", model, "\n", summary, sep="")
    text = write_text(figs / "task1c_summary.txt", f"{model}\n\n{summary}")
    diagram, layers = figs / "task1c_network_diagram.png", figs / "task1c_layers.png"
    if skipped := digit_plots.network_diagram(model, diagram):
        print("c)", skipped)
    return section.NetworkSummary(
        parameters=netlib.count_parameters(model),
        summary=str(text),
        layers=str(digit_plots.layer_diagram(model, layers)),
        diagram=None if skipped else str(diagram),
        diagram_skipped=skipped,
    )


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
) -> section.Trained:
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
        # without the bar, a line per epoch, flushed: a long run logged to a file says how far it got
        on_epoch=None if progress else lambda _, hist: print(training.epoch_line(hist), flush=True),
    )
    seconds = sum(hist.epoch_seconds) if resume else time.perf_counter() - start
    loss_path, acc_path = figs / "task1d_loss.png", figs / "task1d_accuracy.png"
    digit_plots.training_curves(hist, loss_path, acc_path)
    n_test = len(mnist.test_images)
    print(training.accuracy_line("test", round(hist.test_acc[-1] * n_test), n_test))
    training.save_digit_network(model, model_path, cfg, hist, train_images=len(mnist.train_images))
    print(f"e) saved the model to {model_path}")
    return section.Trained(
        config=cfg,
        history=hist,
        seconds=seconds,
        test_accuracy=hist.test_acc[-1],
        loss_figure=str(loss_path),
        accuracy_figure=str(acc_path),
        model=str(model_path),
    )


# --- f) the saved model on the first test digits ---------------------------------------------


@torch.inference_mode()
def first_test_digits(
    model: netlib.MnistNet, mnist: datasets.Mnist, path: Path, n: int = 10
) -> section.FirstTen:
    device = next(model.parameters()).device
    out = model(datasets.to_model_input(mnist.test_images[:n]).to(device)).cpu()
    outputs, predicted, labels = out.tolist(), out.argmax(1).tolist(), mnist.test_labels[:n].tolist()
    print("f) the saved model on the first 10 test images (log-probabilities):")
    for i, (row, pred, label) in enumerate(zip(outputs, predicted, labels)):
        print(f"  image {i}: [{' '.join(f'{v:6.2f}' for v in row)}]  predicted {pred}, correct {label}")
    digit_plots.prediction_grid(mnist.test_images, predicted, labels, path)
    return section.FirstTen(outputs=outputs, predicted=predicted, labels=labels, figure=str(path))


# --- g) people's own digits ------------------------------------------------------------------


def own_digits_folder(given: Path | None, data_dir: Path, generate_missing: bool, seed: int) -> Path:
    """The folder (or image) step g reads: the one given, else the built-in set DATA_DIR/own_digits,
    generated when missing; a folder the user names must exist, unless --generate-missing asks for
    the built-in set to be generated there."""
    folder = given if given is not None else data_dir / "own_digits"
    if folder.exists():
        imagefiles.scan_image_folder(folder)  # a device or a pipe is named now, not after training
        return folder
    if given is not None and not generate_missing:
        raise cli.UserError(
            f"--own-digits {given} does not exist: pass a folder (or one image) of your digit "
            "photos, or add --generate-missing to generate the built-in stand-in set there"
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


def own_digit_accuracy(images: imagefiles.ImageSet, predicted: list[int]) -> section.OwnAccuracy:
    """Accuracy over the labelled images, overall and per first-level sub-folder."""
    scored = [(g, int(y) == p) for y, g, p in zip(images.labels, images.groups, predicted) if y is not None]
    groups = sorted({g for g, _ in scored} - {""})
    return section.OwnAccuracy(
        overall=section.Score.of([ok for _, ok in scored]) if scored else None,
        groups={group: section.Score.of([ok for g, ok in scored if g == group]) for group in groups},
    )


def own_digits(model, folder: Path, figs: Path, figure_name: str, generated: bool) -> section.OwnDigits:
    """Step g: classify the own digits (`generated`: the built-in set), print, draw ({} in a name: N)."""
    print(f"g) own digits from {folder}")
    images, predicted = classify_own_digits(model, folder)
    accuracy = own_digit_accuracy(images, predicted)
    if accuracy.overall is not None:
        print(training.accuracy_line("own-digit", accuracy.overall.right, accuracy.overall.total))
        for group, s in accuracy.groups.items():
            print("  " + training.accuracy_line(group, s.right, s.total))
    for note in images.notes(folder, "3.png, 3_b.jpg or 3/x.png"):  # unlabelled, not one digit
        print(f"  note: {note}")
    if accuracy.overall is None:
        print("  predictions:", predicted)
    paths = digit_plots.own_digit_pairs(images, predicted, figs, figure_name)
    return section.OwnDigits(
        folder=str(folder),
        generated=generated,
        accuracy=accuracy,
        skipped=[(str(p), r) for p, r in images.skipped],
        predicted=predicted,
        labels=images.labels,
        files=[str(p) for p in images.paths],
        figures=[str(p) for p in paths],
    )


def classify_sheets(
    model, read: sheets.SheetSet, figs: Path, figure_name: str, single: section.Score | None = None
) -> section.Sheets:
    """Step g's sheets, read at the start: classify, draw (figure_name has a {} for the sheet's number) and
    score each one; with `single`, the single own images' score, one accuracy over all own digits."""
    read_sheets, figures = [], []
    for path, reason in read.skipped:
        print(f"  skipped sheet {path}: {reason}")
    for k, sheet in enumerate(read.sheets, start=1):
        sheet, path = sheets.classify_sheet(model, sheet), sheet.path
        result = sheets.score(sheet)
        shown = "".join(map(str, sheet.predicted))  # saved as shown, so the report prints what is stored
        read_sheets.append(
            section.SheetRead(
                file=str(path),
                labels=sheet.labels,
                found=len(sheet.boxes),
                predicted=sheet.predicted,
                read=shown,
                boxes=list(sheet.boxes),
                accuracy=section.Score(*result) if result else None,
            )
        )
        figures.append(str(digit_plots.sheet_boxes(sheet, figs / figure_name.format(k))))
        print(
            f"  sheet {path.name}: {len(sheet.boxes)} digits found, read as {shown or '(none)'}"
            + (f"; {result[0]}/{result[1]} right" if result else "")
        )
        for note in sheets.notes(sheet):  # marks not read, labels that do not fit
            print(f"  note: {note}")
    scored = [s.accuracy for s in read_sheets if s.accuracy is not None]
    accuracy = sum(scored[1:], scored[0]) if scored else None
    if accuracy is not None:
        print(f"sheet-digit accuracy: {accuracy}")
    both = single + accuracy if accuracy is not None and single is not None else None
    if both is not None:
        print(f"own digits, single images and sheets together: {both}")
    return section.Sheets(
        source=str(read.source),
        generated=read.generated,
        sheets=read_sheets,
        accuracy=accuracy,
        all_own_digits=both,
        figures=figures,
    )


def use_saved_model(
    args, model_path: Path, device, mnist, own_folder: Path, figs: Path, sheet_set: sheets.SheetSet | None
) -> section.Classified:
    """Steps f and g with the saved model, their figures named for the run (a classify-only run's apart);
    the sheets, read at the start, when there are any to read."""
    prefix = "task1_classify_" if args.no_train else "task1"
    model, meta = netlib.load_checkpoint(model_path, device)  # f) read it back
    saved = section.ReadBack(path=str(model_path), note=meta.get("note"), meta=meta)
    first_ten = first_test_digits(model, mnist, figs / f"{prefix}f_first_nine_predictions.png")
    generated = args.own_digits is None or pages.is_generated(own_folder)
    own = own_digits(model, own_folder, figs, prefix + "g_own_digits_{}.png", generated)
    sheet_figure, single = prefix + "g_sheet_{}.png", own.accuracy.overall
    read = classify_sheets(model, sheet_set, figs, sheet_figure, single) if sheet_set is not None else None
    personal.shots.digit_shots(args.shots, model, own_folder, mnist, args.seed)
    return section.Classified(model=saved, first_ten=first_ten, own_digits=own, sheets=read)


# --- main ------------------------------------------------------------------------------------


def main(argv=None) -> section.ClassifyResults:
    """A training run: steps a to g, written to task1_results.json; with --no-train, f and g alone."""
    args, clock = parse_args(argv), time.perf_counter()
    model_path = args.model or args.models_dir / networks.checkpoint_name(args.arch, args.preset)
    # Another kind's figures go to their own folder, so the CNN's Task 1 results stay as they are.
    figs = args.figures_dir or Path("figures") / ("" if args.arch == "cnn" else model_path.stem)
    figs = writable_folder(figs)  # a read-only output folder fails now, not after training
    network, preset = networks.preset_settings(args.arch, args.preset)
    device = netlib.select_device(args.device)
    own_folder = own_digits_folder(args.own_digits, args.data_dir, args.generate_missing, args.seed)
    sheet_set = None  # a folder of your own digits is read alone, without the built-in sheets
    if args.labels is not None and args.own_digits_sheet is None:
        raise cli.UserError("--labels gives the digits of a sheet: pass the sheet with --own-digits-sheet")
    if args.own_digits is None or args.own_digits_sheet is not None:
        sheet_set = sheets.read_sheets(args.own_digits_sheet, args.data_dir, args.seed, args.labels)
    mnist = datasets.load_mnist(args.data_dir).subset(args.train_subset, args.test_subset)
    print(
        f"MNIST: {len(mnist.train_images)} training and {len(mnist.test_images)} test images ({mnist.source})"
    )
    if args.no_train:
        results = section.ClassifyResults(
            seed=args.seed,
            classified=use_saved_model(args, model_path, device, mnist, own_folder, figs, sheet_set),
        )
    else:
        writable_folder(model_path.parent)
        cfg = training_flags.config_from_args(args, preset)
        progress = not args.no_progress
        results = section.Task1Results(  # the steps run in the order of their arguments
            seed=args.seed,
            first_six=show_data(mnist, figs),
            network=describe_network(args.seed, device, figs, args.arch, network),
            training=train_and_save(
                mnist, cfg, device, model_path, figs, progress, args.arch, network, args.resume
            ),
            classified=use_saved_model(args, model_path, device, mnist, own_folder, figs, sheet_set),
        )
    results.device, results.seconds = str(device), time.perf_counter() - clock
    name = section.CLASSIFY_RESULTS_FILE if args.no_train else STEP.results_file
    path = save_results(figs / name, results)
    print(f"results in {path}")
    return results


STEP = Step(
    name="task1",
    title="Task 1: build and train a network to recognise digits",
    command="python task1_train_mnist.py",
    results=section.Task1Results,
    section=section.report_section,
    needs=("data",),
    args=("--no-progress",),
    cost_s=70,
    rubric=section.RUBRIC,
)


if __name__ == "__main__":
    cli.run(main)
