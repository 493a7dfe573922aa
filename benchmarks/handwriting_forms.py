"""How far the generated "other writers" are from the generated reference set: letters read in the
digit network's embedding, the proxy for real people's letters read against the built-in references.

    python benchmarks/handwriting_forms.py [--model models/mnist_net.pt] [--reference-per-letter 24]
    python benchmarks/handwriting_forms.py --others-dir THEIR_LETTERS   # people's real letters

Writes a reference set (the reference family of forms, `glyphs.COURSE_STYLE`, no writers), an
other-writers set (`glyphs.OWN_STYLE`: the other family of forms, another seed, `--writers`
writers) and a selection set (as greeksets writes the built-in one) of all 24 letters into
`--work-dir`, reads them through the own-image recipe and the digit network, and reads each
other-writer image with the reader (layer, distance, classifier: recognition/readers.py) that did
best on the selection writers, beside the assignment's (1-NN on the 50-d layer with SSD) and 1-NN
on the 320-d convolution output with cosine. It prints the accuracy on the 24 letters, on the
nine letters people's real letters cover (still against all 24 reference letters), per letter,
and the commonest confusions. A high number says little by itself: the other writers must also
look like people (see data/README.md's figure).
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import netlib
from recognition import cli, flags, readers
from recognition.data import greeksets, imagefiles
from recognition.handwriting import glyphs

NINE = ("alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "pi", "sigma")
SHOWN = {
    "assignment: 1-NN / hidden / SSD": readers.ASSIGNMENT,
    "1-NN / conv / cosine": readers.Reader("conv", "cosine", "1-NN"),
}
SELECT_SEED = greeksets.SELECT_SEED_OFFSET + 1  # the selection writers' seed offset, as greeksets'


def write_sets(work: Path, args) -> tuple[Path, Path, Path]:
    """The reference set (seed), the other writers (seed + 1) and the selection writers (seed + 101),
    as greeksets writes them; or the folders given instead (real people's letters, or sets another
    generator wrote)."""
    reference = args.reference_dir or work / "reference"
    if args.reference_dir is None:
        glyphs.write_glyph_set(
            reference, glyphs.GREEK_LETTERS, args.reference_per_letter, args.seed, glyphs.COURSE_STYLE
        )
    written = [reference]
    sizes = {  # (writers, per letter): the other writers', and the built-in selection writers'
        "others": (args.writers, args.per_writer),
        "select": (greeksets.SELECT_WRITERS, greeksets.SELECT_PER_LETTER[True]),
    }
    for name, given, seed in (("others", args.others_dir, 1), ("select", args.select_dir, SELECT_SEED)):
        folder = given or work / name
        if given is None:
            writers, per_letter = sizes[name]
            glyphs.write_glyph_set(
                folder, glyphs.GREEK_LETTERS, per_letter, args.seed + seed, glyphs.OWN_STYLE, writers
            )
        written.append(folder)
    return tuple(written)


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


def parse_args(argv=None) -> argparse.Namespace:
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="checkpoint from task 1")
    p.add_argument("--reference-per-letter", type=flags.COUNT, default=24, help="reference images per letter")
    p.add_argument("--writers", type=flags.COUNT, default=6, help="other writers")
    p.add_argument("--per-writer", type=flags.COUNT, default=2, help="images per letter and other writer")
    p.add_argument("--seed", type=flags.SEED, default=42)
    p.add_argument("--work-dir", type=Path, help="keep the generated sets here (default: a temporary folder)")
    p.add_argument("--reference-dir", type=Path, help="read this reference set instead of generating one")
    p.add_argument(
        "--others-dir", type=Path, help="read these letters (e.g. real people's) instead of generating"
    )
    p.add_argument("--select-dir", type=Path, help="choose the reader on these letters instead")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    model, _ = netlib.load_checkpoint(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        folders = write_sets(args.work_dir or Path(tmp), args)
        made = time.perf_counter() - start
        ref, own, select = (
            imagefiles.load_image_set(f, vocabulary=set(glyphs.GREEK_LETTERS)) for f in folders
        )
    refs = readers.References.of(model, ref)
    chosen = readers.choose(refs, select)[0]
    print(
        f"chosen on the selection writers: {chosen.reader.name} ({chosen.selection[0]}/{chosen.selection[1]})"
    )
    truth, queries = np.array(own.labels), readers.embed_all(model, own.images)
    results = {
        "reference images": len(ref.labels),
        "other-writer images": len(own.labels),
        "seconds to generate": round(made, 1),
        "chosen": chosen.reader.name,
    }
    for name, reader in {f"chosen: {chosen.reader.name}": chosen.reader, **SHOWN}.items():
        r = results[name] = summary(refs.read(reader, queries).answers, truth)
        print(f"{name}: all 24 {r['all 24']} ({r['all 24 %']}%), nine letters {r['nine']} ({r['nine %']}%)")
        print("  nine: " + ", ".join(f"{n} {r['per letter'][n]}" for n in NINE))
        print("  confusions: " + ", ".join(f"{k} {v}" for k, v in r["confusions"].items()))
    print(f"{len(ref.labels)} reference and {len(own.labels)} other-writer images, made in {made:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
