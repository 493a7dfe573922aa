"""How far the generated "other writers" are from the generated reference set: 1-NN in the digit
network's embedding, the proxy for real people's letters read against the built-in references.

    python benchmarks/handwriting_forms.py [--model models/mnist_net.pt] [--reference-per-letter 24]
    python benchmarks/handwriting_forms.py --others-dir THEIR_LETTERS   # people's real letters

Writes a reference set (the reference family of forms, `glyphs.COURSE_STYLE`, no writers) and an
other-writers set (`glyphs.OWN_STYLE`: the other family of forms, other seeds, `--writers` writers)
of all 24 letters into `--work-dir`, reads both through the own-image recipe, embeds them with the
digit network and classifies each other-writer image by its nearest reference image: on the 50-d
layer with SSD (the assignment's reader) and on the 320-d convolution output with cosine. It prints
the accuracy on the 24 letters, on the nine letters people's real letters cover (still against
all 24 reference letters), per letter, and the commonest confusions. A high number says little
by itself: the other writers must also look like people (see data/README.md's figure).
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from recognition import embedding
from recognition.data import imagefiles
from recognition.handwriting import glyphs

NINE = ("alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "pi", "sigma")
READERS = {"50-d SSD": ("hidden", "SSD"), "conv-320 cosine": ("conv", "cosine")}


def write_sets(work: Path, args) -> tuple[Path, Path]:
    """The reference set (seed) and the other writers (seed + 1), as greeksets writes them; or the
    folders given instead (real people's letters, or sets another generator wrote)."""
    reference, others = args.reference_dir or work / "reference", args.others_dir or work / "others"
    if args.reference_dir is None:
        glyphs.write_glyph_set(
            reference, glyphs.GREEK_LETTERS, args.reference_per_letter, args.seed, glyphs.COURSE_STYLE
        )
    if args.others_dir is None:
        glyphs.write_glyph_set(
            others,
            glyphs.GREEK_LETTERS,
            args.per_writer,
            args.seed + 1,
            glyphs.OWN_STYLE,
            writers=args.writers,
        )
    return reference, others


def read_1nn(model, ref: imagefiles.ImageSet, own: imagefiles.ImageSet, layer: str, distance: str):
    """Each own image's nearest reference image's label."""
    a = embedding.embed(model, own.images, layer=layer)
    b = embedding.embed(model, ref.images, layer=layer)
    nearest = embedding.DISTANCES[distance](a, b).argmin(axis=1)
    return np.array(ref.labels)[nearest]


def summary(predicted: np.ndarray, truth: np.ndarray) -> dict:
    nine = np.isin(truth, NINE)
    per_letter = {
        name: f"{int((predicted[truth == name] == name).sum())}/{int((truth == name).sum())}"
        for name in glyphs.GREEK_LETTERS
    }
    wrong = collections.Counter(f"{t}->{p}" for t, p in zip(truth, predicted) if t != p)
    return {
        "all 24": f"{int((predicted == truth).sum())}/{len(truth)}",
        "all 24 %": round(100 * float((predicted == truth).mean()), 1),
        "nine": f"{int((predicted[nine] == truth[nine]).sum())}/{int(nine.sum())}",
        "nine %": round(100 * float((predicted[nine] == truth[nine]).mean()), 1) if nine.any() else None,
        "per letter": per_letter,
        "confusions": dict(wrong.most_common(8)),
    }


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="checkpoint from task 1")
    p.add_argument("--reference-per-letter", type=int, default=24, help="reference images per letter")
    p.add_argument("--writers", type=int, default=6, help="other writers")
    p.add_argument("--per-writer", type=int, default=2, help="images per letter and other writer")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--work-dir", type=Path, help="keep the generated sets here (default: a temporary folder)")
    p.add_argument("--reference-dir", type=Path, help="read this reference set instead of generating one")
    p.add_argument(
        "--others-dir", type=Path, help="read these letters (e.g. real people's) instead of generating"
    )
    p.add_argument("--json", type=Path, help="also write the numbers here")
    args = p.parse_args(argv)

    model, _ = embedding.load_model(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work_dir or Path(tmp)
        start = time.perf_counter()
        reference, others = write_sets(work, args)
        made = time.perf_counter() - start
        ref = imagefiles.load_image_set(reference, vocabulary=set(glyphs.GREEK_LETTERS))
        own = imagefiles.load_image_set(others, vocabulary=set(glyphs.GREEK_LETTERS))
    truth = np.array(own.labels)
    results = {
        "reference images": len(ref.labels),
        "other-writer images": len(own.labels),
        "seconds to generate": round(made, 1),
    }
    for reader, (layer, distance) in READERS.items():
        results[reader] = summary(read_1nn(model, ref, own, layer, distance), truth)
        r = results[reader]
        print(f"{reader}: all 24 {r['all 24']} ({r['all 24 %']}%), nine letters {r['nine']} ({r['nine %']}%)")
        print("  nine: " + ", ".join(f"{n} {r['per letter'][n]}" for n in NINE))
        print("  confusions: " + ", ".join(f"{k} {v}" for k, v in r["confusions"].items()))
    print(f"{len(ref.labels)} reference and {len(own.labels)} other-writer images, made in {made:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
