"""Extension: which layer of the digit network embeds Greek letters best, and by which distance.

    python extensions/embedding_layers.py [--model models/mnist_net.pt] [--greek-dir data/greek]
                                          [--own-dir data/greek_own]

Task 3 embeds letters in the 50-unit layer and compares them by SSD, as the assignment says.
Here the same 1-NN rule runs on four embeddings (raw pixels as a baseline, the 320-d output of
the convolution blocks, the 50-d layer before and after its ReLU) with two distances (SSD and
cosine), scored leave-one-out on the reference set and on other writers' letters against the
reference set. The winner is chosen on a selection set of yet other writers (`--select-dir`),
so the other-writers numbers it is then reported with were not used to choose it. Task 3's
headline own-symbol classification uses the same choice (`embedding.compare_layers`, `best_layer`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Sequence

import netlib
from recognition import cli, embedding
from recognition.data import greeksets, imagefiles
from recognition.handwriting import glyphs
from recognition.io import write_json
from recognition.report.markdown import Results, fraction, opening, table

LAYER_NAMES = {
    "pixels": "raw pixels (784)",
    "conv": "convolution output (320)",
    "hidden_pre_relu": "50-d layer before ReLU",
    "hidden": "50-d layer after ReLU (Task 3)",
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="checkpoint from task 1")
    p.add_argument(
        "--greek-dir",
        type=Path,
        help="reference set, one folder per letter (default: the built-in data/greek, generated "
        "when missing)",
    )
    p.add_argument(
        "--own-dir",
        type=Path,
        help="other writers' letters, writer_<k>/<letter>/ (default: the built-in data/greek_own)",
    )
    p.add_argument(
        "--select-dir",
        type=Path,
        help="yet other writers' letters, only to choose the best layer (default: the built-in "
        "data/greek_select)",
    )
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where the results go")
    p.add_argument("--seed", type=int, default=42, help="seed of generated data")
    return p.parse_args(argv)


def chosen_folders(greek: Path | None, own: Path | None, select: Path | None, seed: int) -> list[Path]:
    """The reference, other-writers and selection folders: each one given by its flag as it is (never
    written into), otherwise the built-in one, generated when missing."""
    greek, own, _ = greeksets.letter_folders(greek, own, all_letters=False, seed=seed)
    return [greek, own, greeksets.selection_folder(select, all_letters=False, seed=seed)]


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


def print_table(result: dict) -> None:
    print(f"{'layer':32s} {'distance':8s} {'reference LOO':>15s} {'other writers':>15s} {'selection':>15s}")
    for r, s in zip(result["rows"], result["selection_rows"]):
        print(
            f"{LAYER_NAMES[r['layer']]:32s} {r['distance']:8s} {fraction(*r['reference_loo']):>15s} "
            f"{fraction(*r['other_writers']):>15s} {fraction(*s['other_writers']):>15s}"
        )
    best = result["best"]
    print(
        f"best on the selection writers: {LAYER_NAMES[best['layer']]} with {best['distance']} distance; "
        f"other writers {fraction(*best['other_writers'])}"
    )


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    clock = time.perf_counter()
    model, _ = netlib.load_checkpoint(args.model)
    folders = chosen_folders(args.greek_dir, args.own_dir, args.select_dir, args.seed)
    ref, other, select = load_sets(*folders)
    print(
        f"reference {len(ref.labels)} images ({folders[0]}), other writers {len(other.labels)} "
        f"({folders[1]}), selection {len(select.labels)} ({folders[2]})"
    )
    selection_rows = embedding.compare_layers(model, ref, select)
    chosen = embedding.best_layer(selection_rows)
    rows = embedding.compare_layers(model, ref, other)
    best = next(r for r in rows if (r["layer"], r["distance"]) == (chosen["layer"], chosen["distance"]))
    result = {
        "classes": sorted({label for label in ref.labels if label is not None}),
        "rows": rows,
        "selection_rows": selection_rows,
        "best": best,
        "greek_dir": str(folders[0]),
        "own_dir": str(folders[1]),
        "select_dir": str(folders[2]),
        "model": str(args.model),
        "timings_s": {"total": time.perf_counter() - clock},
    }
    print_table(result)
    write_json(args.figures_dir / RESULTS_FILE, result)
    return result


# --- report section --------------------------------------------------------------------------

RESULTS_FILE = "ext_embedding_layers_results.json"
COMMAND = "python extensions/embedding_layers.py"


def report_section(res: Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Extension: which layer embeds Greek letters best", COMMAND)
    if r is None:
        return out
    writers = sorted({g for row in r["rows"] for g in row["per_writer"]})
    out += (
        f"1-NN over {', '.join(r['classes'])}: leave-one-out on the reference set (`{r['greek_dir']}`), "
        f"and the other-writers set (`{r['own_dir']}`; generated by glyphs.py in letter shapes the "
        "reference set does not use) against the whole reference set, overall and per writer.\n\n"
    )
    rows = [
        [
            LAYER_NAMES[row["layer"]],
            row["distance"],
            fraction(*row["reference_loo"]),
            fraction(*row["other_writers"]),
        ]
        + [fraction(*row["per_writer"][w]) for w in writers]
        for row in r["rows"]
    ]
    out += table(["embedding", "distance", "reference leave-one-out", "other writers"] + writers, rows)
    best = r["best"]
    mistakes = ", ".join(f"{k} {v}" for k, v in best["confused"].items()) or "none"
    out += (
        f"\nBest: **{LAYER_NAMES[best['layer']]} with {best['distance']} distance**, chosen on a third "
        f"set of yet other writers (`{r['select_dir']}`: most right answers there plus leave-one-out; "
        "ties go to the assignment's layer and SSD), so the other-writers column above did not choose "
        f"it. Its mistakes on the other writers: {mistakes}.\n"
    )
    return out


if __name__ == "__main__":
    cli.run(main)
