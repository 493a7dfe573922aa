"""Extension: all 24 Greek letters, not only Task 3's four.

The same classifiers as Task 3 (1-NN, two KNN rules, a transfer-learned letter layer) in the
digit network's embedding, with a reference set and an own set of every letter glyphs.py draws.

    python extensions/more_letters.py                          # built-in data/greek_all, data/greek_own_all
    python extensions/more_letters.py --greek-dir DIR --own-dir DIR2

Without --greek-dir/--own-dir the built-in sets are used, generated when missing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import netlib
from recognition import cli, embedding
from recognition.data import greeksets, preprocess
from recognition.io import write_json
from recognition.report.markdown import Results, figure, opening, table

RESULTS_FILE = "ext_more_letters_results.json"
COMMAND = "python extensions/more_letters.py"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--greek-dir",
        type=Path,
        default=None,
        help="reference letters, one sub-folder per letter (default: the built-in data/greek_all, "
        "9 course-style scans of each of the 24 letters)",
    )
    p.add_argument(
        "--own-dir",
        type=Path,
        default=None,
        help="own letters to classify (default: the built-in data/greek_own_all, 3 writers)",
    )
    p.add_argument(
        "--letters",
        type=greeksets.letter_list,
        default=None,
        help="a list such as alpha,beta,delta to use only those (default: every letter folder)",
    )
    p.add_argument(
        "--model",
        type=Path,
        default=Path("models/mnist_net.pt"),
        help="digit network written by task1_train_mnist.py",
    )
    p.add_argument("--transform", choices=preprocess.TRANSFORMS, default="mnist", help="image -> 28x28 input")
    p.add_argument(
        "--seed", type=int, default=netlib.DEFAULT_SEED, help="seed for generated data and the letter layer"
    )
    embedding.add_classifier_flags(p)
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where figures and results go")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    args.figures_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    model, _ = embedding.load_model(args.model)
    sets = greeksets.load_sets(
        args.greek_dir,
        args.own_dir,
        args.letters,
        args.transform,
        args.seed,
        all_letters=True,
        every_transform=False,
    )
    ref, own = sets.ref[args.transform], sets.own[args.transform]
    print(
        f"more letters: reference set {sets.greek_dir} ({len(ref.labels)} images), own set {sets.own_dir} "
        f"({len(own.labels)} images), {args.transform} transform"
    )
    result, acc, _, _ = embedding.classify_and_score(
        model, ref, own, args.k, args.transfer_steps, args.transfer_lr, args.seed
    )
    print("\n".join(embedding.accuracy_lines(acc)))
    classes = result["classes"]
    confusion = embedding.plot_confusions(
        embedding.confusion_panels(result, ref.labels, own.labels, acc, ("1-NN",)),
        classes,
        f"{len(classes)} letters, 1-NN ({args.transform} transform); rows: true letter",
        args.figures_dir / "ext_more_letters_confusion.png",
        ncols=2,
    )
    results = {
        "model": str(args.model),
        "reference_dir": str(sets.greek_dir),
        "own_dir": str(sets.own_dir),
        "generated": sets.generated,
        "transform": args.transform,
        "k": args.k,
        "letters": classes,
        "reference_images": len(ref.labels),
        "own_images": len(own.labels),
        "accuracy": acc,
        "figures": {"confusion": str(confusion)},
        "timings_s": {"total": time.perf_counter() - start},
    }
    write_json(args.figures_dir / RESULTS_FILE, results)
    print(f"results in {args.figures_dir / RESULTS_FILE} ({results['timings_s']['total']:.1f} s)")
    return results


def report_section(res: Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Extension: more letters", COMMAND)
    if r is None:
        return out
    n = len(r["letters"])
    return (
        out + f"{n} letters, {r['reference_images']} reference images (`{r['reference_dir']}`) and "
        f"{r['own_images']} own images (`{r['own_dir']}`); k = {r['k']}, `{r['transform']}` "
        "transform.\n\n"
        + table(["evaluation"] + list(embedding.CLASSIFIERS), embedding.accuracy_rows(r["accuracy"]))
        + "\n"
        + figure(
            r["figures"]["confusion"],
            f"Confusion matrices over the {n} letters (1-NN), leave-one-out and own set.",
        )
    )


if __name__ == "__main__":
    cli.run(main)
