"""Extension: teach it your hand. How much a few of a writer's own examples help the readers read
that writer's other images, for digits and all 24 Greek letters, over K = 0, 1, 2, 3 examples.

    python -m extensions.own_shots [--model models/mnist_net.pt] [--data-dir data]
    python -m extensions.own_shots --digits-dir DIR --letters-dir DIR2   # writer_<k>/<symbol>/x.png

For each writer, the first K images of each symbol adapt the reader (recognition.personal) and the
writer's images after the first three of each symbol are scored, the same ones for every K: the
digit network with its last layer fine-tuned on the K examples (and 300 MNIST images), and for
letters 1-NN at the layer and distance Task 3 chose on its selection writers, with the K examples
joined to the 24-letter reference set (the transfer layer retrained beside it). Without
--digits-dir/--letters-dir, built-in generated writers in --data-dir are used (made when missing:
phone-photo style, each writer in their own forms, slant and pen, few enough to stay quick).
The explorer's teach mode does the same with a person's own examples (docs/explorer.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import netlib
from recognition import cli, flags, readers
from recognition.data import greeksets, imagefiles
from recognition.handwriting import glyphs
from recognition.io import atomic_folder, writable_folder
from recognition.personal import adapt, shots
from recognition.report import plots
from recognition.report.markdown import Outputs, figure, pct, table
from recognition.report.results import StepResults, load_results, save_results
from recognition.report.sections.task3 import Task3Results
from recognition.report.steps import Step

# The built-in writers: (folder under --data-dir, symbols, images per symbol); 3 writers each.
WRITERS = 3
BUILT_IN = {
    "digits": ("writers_digits", glyphs.DIGITS, 8),
    "letters": ("writers_letters", glyphs.GREEK_LETTERS, 5),
}
SIDE = (112, 160)  # px: small photos keep the recipe quick (it makes 28x28 of them anyway)
SEED_OFFSET = {"digits": 300, "letters": 400}  # far from the other built-in sets' seeds
FIGURE = "ext_own_shots.png"


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="digit network (task 1)")
    p.add_argument("--digits-dir", type=Path, default=None, help="writers' digits: writer/3/x.png")
    p.add_argument("--letters-dir", type=Path, default=None, help="writers' letters: writer/alpha/x.png")
    p.add_argument(
        "--greek-dir",
        type=Path,
        default=None,
        help="the letter reference set (default: the built-in 24-letter DATA_DIR/greek_all)",
    )
    p.add_argument(
        "--writers",
        type=flags.COUNT,
        default=WRITERS,
        help=f"built-in writers to generate when their folders are missing (default {WRITERS})",
    )
    p.add_argument(
        "--per-symbol",
        type=flags.COUNT,
        default=None,
        help="images per symbol of each built-in writer, when generated (default: 8 per digit, 5 per "
        "letter: three adapt, the others are scored)",
    )
    p.add_argument(
        "--seed", type=flags.SEED, default=netlib.DEFAULT_SEED, help="seed for the writers and adapting"
    )
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="MNIST and the built-in sets")
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where figures and results go")
    return p.parse_args(argv)


@dataclass(kw_only=True)
class OwnShotsResults(StepResults):
    seed: int
    model: str
    digits_dir: str
    letters_dir: str
    reference_dir: str
    generated: list[str]  # the built-in folders this run made
    layer: str  # the letter reader's layer and distance, and where the choice came from
    distance: str
    chosen_by: str
    digits: shots.ShotsCurve
    letters: shots.ShotsCurve
    figure: str


def writers_folder(
    given: Path | None,
    kind: str,
    data_dir: Path,
    seed: int,
    writers: int = WRITERS,
    per_symbol: int | None = None,
) -> tuple[Path, bool]:
    """The folder given (never written into), or the built-in writers, generated when missing."""
    flag = f"--{kind}-dir"
    if given is not None:
        if not given.is_dir():
            raise cli.UserError(f"{flag} {given} is not a folder: give writer_<k>/<symbol>/x.png images")
        return given, False
    name, symbols, per_class = BUILT_IN[kind]
    per_class = per_symbol or per_class
    folder = data_dir / name
    if folder.exists():
        return folder, False
    style = dataclasses.replace(glyphs.OWN_STYLE, side=SIDE)
    with atomic_folder(folder) as tmp:  # an interrupted run leaves no half set
        glyphs.write_glyph_set(tmp, symbols, per_class, seed + SEED_OFFSET[kind], style, writers=writers)
    print(f"{folder} was missing: generated {writers} writers x {len(symbols)} symbols x {per_class} there")
    return folder, True


def reference_folder(given: Path | None, data_dir: Path, seed: int) -> Path:
    """The letter reference set given (never written into), or the built-in 24 letters (made when missing)."""
    if given is not None:
        if not given.is_dir():
            raise cli.UserError(f"--greek-dir {given} is not a folder: give one sub-folder per letter")
        return given
    folder = greeksets.builtin_folder(data_dir, "reference", all_letters=True)
    if not folder.exists():
        greeksets.generate_letter_set(folder, all_letters=True, own=False, seed=seed)
    return folder


def letter_choice(
    model, figs: Path, ref: imagefiles.ImageSet, data_dir: Path, seed: int
) -> tuple[str, str, str]:
    """Task 3's layer and distance, from its results when they are there; else chosen the same way
    (readers.chosen_one_nn on the built-in selection writers)."""
    task3 = load_results(Task3Results, figs / "task3_results.json")
    if task3 is not None:
        return *task3.headline.one_nn(), f"Task 3 ({task3.headline.select_dir})"
    folder, select = greeksets.load_selection(None, data_dir, False, "mnist", set(ref.labels), seed)
    return *readers.chosen_one_nn(model, ref, select, seed), f"the selection writers in {folder}"


def main(argv=None) -> OwnShotsResults:
    args = parse_args(argv)
    figs = writable_folder(args.figures_dir)
    start = time.perf_counter()
    model, _ = netlib.load_checkpoint(args.model)
    if not isinstance(model, netlib.MnistNet):
        raise cli.UserError(
            f"--model {args.model} is not the CNN: adapting needs its layers (models/mnist_net.pt)"
        )
    size = (args.writers, args.per_symbol)
    digits_dir, made_d = writers_folder(args.digits_dir, "digits", args.data_dir, args.seed, *size)
    letters_dir, made_l = writers_folder(args.letters_dir, "letters", args.data_dir, args.seed, *size)
    ref_dir = reference_folder(args.greek_dir, args.data_dir, args.seed)
    ref = greeksets.load_reference(ref_dir, "mnist", None)
    layer, distance, chosen_by = letter_choice(model, figs, ref, args.data_dir, args.seed)
    replay = adapt.replay_set(args.data_dir, args.seed)
    own_digits = imagefiles.load_image_set(digits_dir, vocabulary=set(glyphs.DIGITS))
    digits = shots.digit_curve(model, own_digits, shots.SHOTS, replay, args.seed)
    print("\n".join(shots.curve_lines(digits)))
    own_letters = greeksets.load_own(letters_dir, "mnist", set(ref.labels))
    letters = shots.letter_curve(model, ref, own_letters, layer, distance, shots.SHOTS, args.seed)
    print("\n".join(shots.curve_lines(letters)))
    results = OwnShotsResults(
        seed=args.seed,
        model=str(args.model),
        digits_dir=str(digits_dir),
        letters_dir=str(letters_dir),
        reference_dir=str(ref_dir),
        generated=[str(f) for f, made in ((digits_dir, made_d), (letters_dir, made_l)) if made],
        layer=layer,
        distance=distance,
        chosen_by=chosen_by,
        digits=digits,
        letters=letters,
        figure=str(plot_curves([digits, letters], figs / FIGURE)),
        seconds=time.perf_counter() - start,
    )
    save_results(figs / STEP.results_file, results)
    print(f"results in {figs / STEP.results_file} ({results.seconds:.1f} s)")
    return results


def plot_curves(curves: list[shots.ShotsCurve], path: Path) -> Path:
    """Accuracy on each writer's other images against K, one panel per kind, a line per writer."""
    fig, axes = plots.plt.subplots(1, len(curves), figsize=(4.6 * len(curves), 3.6), squeeze=False)
    markers = "osD^v<>"
    for ax, curve in zip(axes[0], curves):
        lowest = 100.0
        for i, w in enumerate(curve.writers):
            shift = 0.05 * (i - (len(curve.writers) - 1) / 2)  # writers side by side where they overlap
            values = [100 * r / w.scored for r in w.right]
            lowest = min(lowest, *values)
            ax.plot(
                [k + shift for k in curve.shots], values, marker=markers[i % 7], label=w.writer, alpha=0.8
            )
        total = curve.overall
        if total.scored:
            percent = [100 * r / total.scored for r in total.right]
            ax.plot(curve.shots, percent, "k--", lw=1.5, label="all writers")
        ax.set(xlabel="own examples per symbol (K)", ylabel="% right on the other images", xticks=curve.shots)
        ax.set_ylim(min(90.0, lowest - 2), 100.8)
        ax.set_title(f"{curve.kind}: {total.scored} images scored")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("A few own examples per symbol: each writer's other images")
    fig.tight_layout()
    return plots.save_figure(fig, path)


# --- report section --------------------------------------------------------------------------


def curve_rows(curve: shots.ShotsCurve) -> list[list[str]]:
    def cells(values, scored):
        return [f"{v}/{scored} ({pct(v / scored, 1)})" if scored else "–" for v in values]

    rows = [[w.writer, *cells(w.right, w.scored)] for w in curve.writers]
    total = curve.overall
    rows.append(["**all writers**", *cells(total.right, total.scored)])
    if total.transfer_right:
        rows.append(["the transfer layer, retrained", *cells(total.transfer_right, total.scored)])
    return rows


def report_section(r: OwnShotsResults, outputs: Outputs) -> str:
    header = ["writer"] + [f"K = {k}" for k in r.digits.shots]
    return (
        "Generated writers, not real people: for each writer, K images per symbol adapt the reader and "
        "the writer's other images are scored (the same ones for every K; K = 0 is the base reader; no "
        "image that adapted a reader is scored). The explorer's teach mode and `--shots K` of Tasks 1 "
        "and 3 do the same with your own writing.\n\n"
        f"**Digits** (`{r.digits_dir}`): {r.digits.reader}; adapting took "
        f"{r.digits.adapt_seconds:.2f} s per writer.\n\n"
        + table(header, curve_rows(r.digits))
        + f"\n**Letters** (`{r.letters_dir}`, against the reference set "
        f"`{r.reference_dir}`): {r.letters.reader} (chosen by {r.chosen_by}); adapting took "
        f"{r.letters.adapt_seconds:.2f} s per writer.\n\n"
        + table(header, curve_rows(r.letters))
        + "\n"
        + figure(
            r.figure, "Accuracy on each writer's other images against the number of own examples per symbol."
        )
    )


STEP = Step(
    name="own_shots",
    title="Extension: teach it your hand",
    command="python -m extensions.own_shots",
    results=OwnShotsResults,
    section=report_section,
    needs=("task3",),
    cost_s=20,
)


if __name__ == "__main__":
    cli.run(main)
