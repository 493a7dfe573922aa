"""Extension: which layer of the digit network embeds Greek letters best, and by which distance.

    python extensions/embedding_layers.py [--model models/mnist_net.pt] [--greek-dir data/greek]
                                          [--own-dir data/greek_own]

Task 3 embeds letters in the 50-unit layer and compares them by SSD, as the assignment says.
Here the same 1-NN rule runs on four embeddings (raw pixels as a baseline, the 320-d output of
the convolution blocks, the 50-d layer before and after its ReLU) with two distances (SSD and
cosine), scored leave-one-out on the reference set and on the separate other-writers set (which
is never used to choose anything but this table's winner). The winner is printed and saved; Task 3
uses it for the own-symbol classification it headlines (`embedlib.embed(..., layer=...)`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

if __package__ in (None, ""):  # run as a script: the shared modules live one folder up
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import cli  # noqa: E402
import datalib  # noqa: E402
import embedlib  # noqa: E402
import glyphs  # noqa: E402
import netlib  # noqa: E402
from atomicio import write_json  # noqa: E402
from reportlib import Results, fraction, opening, table  # noqa: E402

LAYER_NAMES = {"pixels": "raw pixels (784)", "conv": "convolution output (320)",
               "hidden_pre_relu": "50-d layer before ReLU", "hidden": "50-d layer after ReLU (Task 3)"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="checkpoint from task 1")
    p.add_argument("--greek-dir", type=Path, default=Path("data/greek"),
                   help="reference set, one folder per letter (generated when missing)")
    p.add_argument("--own-dir", type=Path, default=Path("data/greek_own"),
                   help="other writers' letters, writer_<k>/<letter>/ (generated when missing)")
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where the results go")
    p.add_argument("--seed", type=int, default=42, help="seed of generated data")
    return p.parse_args(argv)


def load_sets(greek: Path, own: Path, seed: int) -> tuple[datalib.ImageSet, datalib.ImageSet]:
    """The reference and other-writers sets (the built-in ones written where missing)."""
    for folder, write in ((greek, glyphs.write_reference_letters), (own, glyphs.write_other_writers_letters)):
        if not folder.exists():
            print(f"{folder} is missing: generating it (glyphs.py, seed {seed})")
            write(folder, glyphs.REFERENCE_LETTERS, seed)
    ref = datalib.load_image_set(greek)
    classes = sorted({label for label in ref.labels if label is not None})
    other = datalib.load_image_set(own, vocabulary=set(glyphs.GREEK_LETTERS) | set(classes))
    for name, images in (("reference", ref), ("other-writers", other)):
        if sum(label in classes for label in images.labels) == 0:
            wanted = ", ".join(classes) or "any letter"
            raise cli.UserError(f"the {name} set has no labelled images of {wanted}: "
                                "put them in <letter>/ folders (alpha/, beta/, ...)")
    return ref, other


def compare(model, ref: datalib.ImageSet, other: datalib.ImageSet) -> dict:
    """1-NN accuracy for every layer and distance: leave-one-out on the reference set, and the
    other writers' letters against the whole reference set (overall and per writer)."""
    classes = sorted({label for label in ref.labels if label is not None})
    keep_ref = [i for i, label in enumerate(ref.labels) if label in classes]
    keep_other = [i for i, label in enumerate(other.labels) if label in classes]
    ref_labels = np.array([ref.labels[i] for i in keep_ref])
    other_labels = np.array([other.labels[i] for i in keep_other])
    groups = np.array([other.groups[i] or "all" for i in keep_other])
    rows = []
    for layer in embedlib.LAYERS:
        ref_emb = embedlib.embed(model, ref.images[keep_ref], layer=layer)
        other_emb = embedlib.embed(model, other.images[keep_other], layer=layer)
        for distance, measure in embedlib.DISTANCES.items():
            loo = embedlib.leave_one_out(measure(ref_emb, ref_emb), ref_labels, embedlib.nearest_neighbour)
            pred = embedlib.nearest_neighbour(measure(other_emb, ref_emb), ref_labels)
            hits = pred == other_labels
            rows.append({"layer": layer, "distance": distance, "width": int(ref_emb.shape[1]),
                         "reference_loo": [int((loo == ref_labels).sum()), len(ref_labels)],
                         "other_writers": [int(hits.sum()), len(hits)],
                         "per_writer": {g: [int(hits[groups == g].sum()), int((groups == g).sum())]
                                        for g in sorted(set(groups))},
                         "confused": confusions(pred, other_labels)})
    best = max(rows, key=lambda r: (r["other_writers"][0] + r["reference_loo"][0],
                                    r["layer"] == embedlib.DEFAULT_LAYER, r["distance"] == "SSD"))
    return {"classes": classes, "rows": rows, "best": best}


def confusions(pred: np.ndarray, truth: np.ndarray) -> dict[str, int]:
    """'alpha->beta': count, for every wrong answer."""
    out: dict[str, int] = {}
    for p, t in zip(pred, truth):
        if p != t:
            out[f"{t}->{p}"] = out.get(f"{t}->{p}", 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def print_table(result: dict) -> None:
    print(f"{'layer':32s} {'distance':8s} {'reference LOO':>15s} {'other writers':>15s}")
    for r in result["rows"]:
        print(f"{LAYER_NAMES[r['layer']]:32s} {r['distance']:8s} {fraction(*r['reference_loo']):>15s} "
              f"{fraction(*r['other_writers']):>15s}")
    best = result["best"]
    print(f"best: {LAYER_NAMES[best['layer']]} with {best['distance']} distance")


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    model, _ = netlib.load_checkpoint(args.model)
    ref, other = load_sets(args.greek_dir, args.own_dir, args.seed)
    print(f"reference {len(ref.labels)} images ({args.greek_dir}), "
          f"other writers {len(other.labels)} ({args.own_dir})")
    result = compare(model, ref, other)
    print_table(result)
    result.update(greek_dir=str(args.greek_dir), own_dir=str(args.own_dir), model=str(args.model))
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
    out += (f"1-NN over {', '.join(r['classes'])}: leave-one-out on the reference set (`{r['greek_dir']}`), "
            f"and the other-writers set (`{r['own_dir']}`; generated by glyphs.py in letter shapes the "
            "reference set does not use) against the whole reference set, overall and per writer.\n\n")
    rows = [[LAYER_NAMES[row["layer"]], row["distance"], fraction(*row["reference_loo"]),
             fraction(*row["other_writers"])] + [fraction(*row["per_writer"][w]) for w in writers]
            for row in r["rows"]]
    out += table(["embedding", "distance", "reference leave-one-out", "other writers"] + writers, rows)
    best = r["best"]
    mistakes = ", ".join(f"{k} {v}" for k, v in best["confused"].items()) or "none"
    out += (f"\nBest: **{LAYER_NAMES[best['layer']]} with {best['distance']} distance** (most right answers "
            "over both columns; ties go to the assignment's layer and SSD). Its mistakes on the other "
            f"writers: {mistakes}.\n")
    return out


if __name__ == "__main__":
    cli.run(main)
