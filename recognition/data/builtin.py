"""Write every built-in generated data set that is missing (the stand-ins for people's own writing).

    python -m recognition.data.builtin [--data-dir data] [--seed 42]

Each task and extension generates the sets it reads when they are missing; this writes them all
at once, with the same seeds, so that `make figures` can run its steps two at a time without
two of them writing the same folder. A folder that exists is left as it is. data/README.md says
what each set holds.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import netlib
from recognition import cli, flags, letter_tuning
from recognition.data import greeksets, sheets
from recognition.handwriting import glyphs, pages
from recognition.io import writable_folder
from recognition.report.results import StepResults, save_results
from recognition.report.steps import Step


def parse_args(argv=None) -> argparse.Namespace:
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the sets go")
    p.add_argument("--seed", type=flags.SEED, default=netlib.DEFAULT_SEED, help="the scripts' default seed")
    p.add_argument("--figures-dir", type=Path, default=Path("figures"), help="where its results file goes")
    return p.parse_args(argv)


def digit_sets(data_dir: Path, seed: int) -> list[str]:
    """Task 1's own digits (photos and 28x28 crops) and its photographed sheets."""
    made = []
    writers = {
        data_dir / "own_digits": pages.write_own_digits,
        data_dir / sheets.BUILT_IN: pages.write_digit_sheets,
    }
    for folder, write in writers.items():
        if not folder.exists():
            write(folder, seed)
            made.append(str(folder))
    return made


def letter_sets(data_dir: Path, seed: int) -> list[str]:
    """Task 3's reference, other-writers and selection sets (four letters), and the 24-letter sets."""
    made = [
        folder
        for all_letters in (False, True)
        for folder in greeksets.letter_folders(None, None, data_dir, all_letters, seed)[2]
    ]
    selections = [greeksets.builtin_selection(data_dir, all_letters, seed) for all_letters in (False, True)]
    made += [str(select) for select, generated in selections if generated]
    tune = greeksets.builtin_folder(data_dir, "tune")  # the embedding-layers step's letter-tuned network
    if not tune.exists():
        made.append(str(letter_tuning.tuning_set(tune, glyphs.REFERENCE_LETTERS, seed)))
    return made


@dataclass(kw_only=True)
class BuiltinResults(StepResults):
    made: list[str]  # the sets this run generated (the others were there already)


def main(argv=None) -> BuiltinResults:
    args = parse_args(argv)
    clock = time.perf_counter()
    made = digit_sets(args.data_dir, args.seed) + letter_sets(args.data_dir, args.seed)
    print(
        f"generated {len(made)} built-in set(s): {', '.join(made)}" if made else "every built-in set is there"
    )
    results = BuiltinResults(made=made, seconds=time.perf_counter() - clock)
    save_results(writable_folder(args.figures_dir) / STEP.results_file, results)
    return results


STEP = Step(
    name="data",
    title="The built-in generated data",
    command="python -m recognition.data.builtin",
    results=BuiltinResults,
    section=None,  # data/README.md describes the sets; the tasks' sections show them
    cost_s=20,
)


if __name__ == "__main__":
    cli.run(main)
