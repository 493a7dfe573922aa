"""Do Task 4's quick grids (`make figures`) conclude what the full grids (`make sweep`) conclude?

    python benchmarks/task4_quick_vs_full.py [--figures-dir figures] [--full-dir DIR]

Reads the quick grids' results (`task4_results.json`, written by `python task4_experiments.py
--quick`) and the full grids' (`task4_full_results.json`, written by `python task4_experiments.py`),
and prints for each grid both ran: the rank correlation (Spearman) of the mean test accuracy of
every configuration both trained, after each grid's last epoch, and how many hypotheses got the same
verdict; then each hypothesis's two verdicts, and the best variant of each. Nothing is trained: run
both first (the full grids take about 11 minutes each on two idle cores).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recognition import cli
from recognition.experiments import agreement, section
from recognition.report.markdown import pct
from recognition.report.results import load_results


def main(argv=None) -> list[agreement.Agreement]:
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--figures-dir", type=Path, default=Path("figures"), help="where the quick grids' results are"
    )
    p.add_argument("--full-dir", type=Path, help="where the full grids' results are (default: --figures-dir)")
    args = p.parse_args(argv)
    found = {}
    for kind, folder, name in (
        ("quick", args.figures_dir, section.STEP_RESULTS),
        ("full", args.full_dir or args.figures_dir, section.FULL_RESULTS),
    ):
        found[kind] = load_results(section.Task4Results, folder / name)
        if found[kind] is None:
            command = "make figures" if kind == "quick" else "make sweep"
            raise cli.UserError(f"{folder / name} is missing: run `{command}` (or point at its folder)")
    quick, full = found["quick"], found["full"]
    results = agreement.agreements(quick, full)
    if not results:
        raise cli.UserError("the two runs share no grid: nothing to compare")
    for result in results:
        print(result.line())
        for topic, (q, f) in result.verdicts.items():
            print(f"  {topic:14s} quick: {q:17s} full: {f}{'' if q == f else '   (differ)'}")
        for kind, run in (("quick", quick), ("full", full)):
            best = run.grids[result.grid].best
            print(
                f"  best {kind:5s} {pct(best.test_acc)} (batch {best.batch_size}, dropout "
                f"{best.dropout}, {best.epochs} epochs)"
            )
    return results


if __name__ == "__main__":
    cli.run(main)
