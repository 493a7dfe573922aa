"""Extension: which layer of the digit network embeds Greek letters best, and by which distance.

    python -m extensions.embedding_layers [--model models/mnist_net.pt] [--data-dir data]
                                          [--greek-dir DIR] [--own-dir DIR] [--select-dir DIR]

Task 3 embeds letters in the 50-unit layer and compares them by SSD, as the assignment says.
Here the same 1-NN rule runs on four embeddings (raw pixels as a baseline, the 320-d output of
the convolution blocks, the 50-d layer before and after its ReLU) with two distances (SSD and
cosine), scored leave-one-out on the reference set and on other writers' letters against the
reference set. The winner is chosen on a selection set of yet other writers (`--select-dir`),
so the other-writers numbers it is then reported with were not used to choose it. Rows marked
"letter-tuned" embed with a copy of the digit network fine-tuned on generated letters of 16 other
writers (recognition/letter_tuning.py; `--tune-dir`): an embedding trained for letters.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import netlib
from recognition import cli, embedding, flags, letter_tuning
from recognition.data import greeksets, imagefiles
from recognition.handwriting import glyphs
from recognition.io import writable_folder
from recognition.report.markdown import Outputs, fraction, table
from recognition.report.results import StepResults, save_results
from recognition.report.steps import Answer, Step

LAYER_NAMES = {
    "pixels": "raw pixels (784)",
    "conv": "convolution output (320)",
    "hidden_pre_relu": "50-d layer before ReLU",
    "hidden": "50-d layer after ReLU (Task 3)",
}


def layer_name(layer: str, network: str = "digit") -> str:
    name = LAYER_NAMES.get(layer, layer)
    return name if network == "digit" else f"{network}: {name}"


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="checkpoint from task 1")
    p.add_argument(
        "--greek-dir",
        type=Path,
        help="reference set, one folder per letter (default: the built-in DATA_DIR/greek, generated "
        "when missing)",
    )
    p.add_argument(
        "--own-dir",
        type=Path,
        help="other writers' letters, writer_<k>/<letter>/ (default: the built-in DATA_DIR/greek_own)",
    )
    p.add_argument(
        "--select-dir",
        type=Path,
        help="yet other writers' letters, only to choose the best layer (default: the built-in "
        "DATA_DIR/greek_select)",
    )
    p.add_argument(
        "--tune-dir",
        type=Path,
        help="letters of yet other writers to fine-tune the letter-tuned network on (default: the "
        "built-in DATA_DIR/greek_tune, 16 writers, generated when missing)",
    )
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the built-in letter sets live")
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where the results go")
    p.add_argument("--seed", type=flags.SEED, default=42, help="seed of generated data")
    return p.parse_args(argv)


def chosen_folders(
    greek: Path | None, own: Path | None, select: Path | None, data_dir: Path, seed: int
) -> list[Path]:
    """The reference, other-writers and selection folders: each one given by its flag as it is (never
    written into), otherwise the built-in one in `data_dir`, generated when missing."""
    greek, own, _ = greeksets.letter_folders(greek, own, data_dir, all_letters=False, seed=seed)
    return [greek, own, greeksets.selection_folder(select, data_dir, all_letters=False, seed=seed)]


def load_sets(greek: Path, own: Path, select: Path) -> list[imagefiles.ImageSet]:
    """The reference, other-writers and selection sets; the latter two keep the reference's letters."""
    ref = imagefiles.load_image_set(greek)
    classes = sorted({label for label in ref.labels if label is not None})
    sets = [ref] + [
        imagefiles.load_image_set(folder, vocabulary=set(glyphs.GREEK_LETTERS) | set(classes))
        for folder in (own, select)
    ]
    for name, images in zip(("reference", "other-writers", "selection"), sets):
        if sum(label in classes for label in images.labels) == 0:
            wanted = ", ".join(classes) or "any letter"
            raise cli.UserError(
                f"the {name} set has no labelled images of {wanted}: "
                "put them in <letter>/ folders (alpha/, beta/, ...)"
            )
    return sets


TUNED = "letter-tuned"


def compare(model, ref, other, network: str = "digit") -> list[embedding.LayerScore]:
    """compare_layers' rows, marked with the network; raw pixels only once (the digit network's)."""
    rows = embedding.compare_layers(model, ref, other)
    for row in rows:
        row.network = network
    return [row for row in rows if network == "digit" or row.layer != "pixels"]


def tuning_folder(given: Path | None, data_dir: Path, ref: imagefiles.ImageSet, seed: int) -> Path:
    """The letters to fine-tune on: the folder given (never written into), or the built-in one."""
    if given is not None:
        if not given.is_dir():
            raise cli.UserError(f"--tune-dir {given} is not a folder: give one sub-folder per letter")
        return given
    letters = sorted({label for label in ref.labels if label is not None}, key=greeksets.letter_order)
    return letter_tuning.tuning_set(greeksets.builtin_folder(data_dir, "tune"), letters, seed)


@dataclass(kw_only=True)
class LayersResults(StepResults):
    seed: int
    model: str
    classes: list[str]
    rows: list[embedding.LayerScore]  # on the other writers
    selection_rows: list[embedding.LayerScore]  # on the selection writers: they choose `best`
    best: embedding.LayerScore  # the chosen layer and distance's row on the other writers
    greek_dir: str
    own_dir: str
    select_dir: str
    tune_dir: str  # the letters the letter-tuned network was fine-tuned on


def print_table(r: LayersResults) -> None:
    print(f"{'layer':46s} {'distance':8s} {'reference LOO':>15s} {'other writers':>15s} {'selection':>15s}")
    for row, s in zip(r.rows, r.selection_rows):
        print(
            f"{layer_name(row.layer, row.network):46s} {row.distance:8s} {fraction(*row.reference_loo):>15s} "
            f"{fraction(*row.other_writers):>15s} {fraction(*s.other_writers):>15s}"
        )
    best = r.best
    print(
        f"best on the selection writers: {layer_name(best.layer, best.network)} with {best.distance} "
        f"distance; other writers {fraction(*best.other_writers)}"
    )


def main(argv: Sequence[str] | None = None) -> LayersResults:
    args = parse_args(argv)
    figs = writable_folder(args.figures_dir)
    clock = time.perf_counter()
    model, _ = netlib.load_checkpoint(args.model)
    folders = chosen_folders(args.greek_dir, args.own_dir, args.select_dir, args.data_dir, args.seed)
    ref, other, select = load_sets(*folders)
    print(
        f"reference {len(ref.labels)} images ({folders[0]}), other writers {len(other.labels)} "
        f"({folders[1]}), selection {len(select.labels)} ({folders[2]})"
    )
    tune_dir = tuning_folder(args.tune_dir, args.data_dir, ref, args.seed)
    tune = imagefiles.load_image_set(tune_dir)
    tuned = letter_tuning.fine_tune(model, tune, args.seed)
    selection_rows, rows = (
        [*compare(model, ref, s), *compare(tuned, ref, s, TUNED)] for s in (select, other)
    )
    chosen = embedding.best_layer(selection_rows)
    best = rows[selection_rows.index(chosen)]
    results = LayersResults(
        seed=args.seed,
        model=str(args.model),
        classes=sorted({label for label in ref.labels if label is not None}),
        rows=rows,
        selection_rows=selection_rows,
        best=best,
        greek_dir=str(folders[0]),
        own_dir=str(folders[1]),
        select_dir=str(folders[2]),
        tune_dir=str(tune_dir),
        seconds=time.perf_counter() - clock,
    )
    print_table(results)
    save_results(figs / STEP.results_file, results)
    return results


# --- report section --------------------------------------------------------------------------


def report_section(r: LayersResults, outputs: Outputs) -> str:
    writers = sorted({g for row in r.rows for g in row.per_writer})
    out = (
        f"1-NN over {', '.join(r.classes)}: leave-one-out on the reference set (`{r.greek_dir}`), "
        f"and the other-writers set (`{r.own_dir}`; generated by glyphs.py in letter shapes the "
        "reference set does not use) against the whole reference set, overall and per writer. "
        f'The "{TUNED}" rows embed with a copy of the digit network fine-tuned, every layer, on '
        f"generated letters of {letter_tuning.WRITERS} more writers in the reference set's forms "
        f"(`{r.tune_dir}`), with a letter layer and cross-entropy: an embedding trained for letters.\n\n"
    )
    rows = [
        [
            layer_name(row.layer, row.network),
            row.distance,
            fraction(*row.reference_loo),
            fraction(*row.other_writers),
        ]
        + [fraction(*row.per_writer[w]) for w in writers]
        for row in r.rows
    ]
    out += table(["embedding", "distance", "reference leave-one-out", "other writers"] + writers, rows)
    best = r.best
    mistakes = ", ".join(f"{k} {v}" for k, v in best.confused.items()) or "none"
    out += (
        f"\nBest: **{layer_name(best.layer, best.network)} with {best.distance} distance**, chosen on "
        f"a third set of yet other writers (`{r.select_dir}`: most right answers there plus leave-one-out; "
        "ties go to the assignment's layer and SSD), so the other-writers column above did not choose "
        f"it. Its mistakes on the other writers: {mistakes}.\n"
    )
    return out


STEP = Step(
    name="embedding_layers",
    title="Extension: which layer embeds Greek letters best",
    command="python -m extensions.embedding_layers",
    results=LayersResults,
    section=report_section,
    needs=("task1",),
    cost_s=8,
    rubric=(
        Answer(
            "x-layers",
            "",
            lambda r: (
                f"chosen: {layer_name(r.best.layer, r.best.network)} with {r.best.distance}, other writers "
                f"{r.best.other_writers[0]}/{r.best.other_writers[1]}"
            ),
        ),
    ),
)


if __name__ == "__main__":
    cli.run(main)
