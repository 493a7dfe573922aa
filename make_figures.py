"""Every step of `make figures`, two at a time, then the report.

    python make_figures.py [--jobs 2]

Each step is one script's `main()` with the arguments below. Two worker processes, each on one
thread, take the next step whose inputs are ready (longest chains first); a worker imports torch
once and keeps it for all its steps, which saves about five seconds a step here. Every step
starts from the same seeded state, so the numbers do not depend on which worker ran it, or after
what. A step's output is printed whole when it ends. The first step that fails stops the run:
steps already running finish, no new one starts, and the exit status is 1.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context

import cli

# name: (module, arguments, the steps whose outputs it reads). Listed in the order to start them:
# the long chains first, so that both workers stay busy to the end.
STEPS = {
    "data": ("builtin_data", [], ()),
    "task4": ("task4_experiments", ["--quick", "--workers", "1", "--threads", "1"], ()),
    "task1": ("task1_train_mnist", ["--no-progress"], ("data",)),
    "attention": ("extensions.attention_maps", [], ("data",)),
    "gabor": ("extensions.gabor_layer", [], ("task1",)),
    "widths": ("extensions.embedding_widths", ["--no-progress"], ("task1",)),
    "task3": ("task3_greek_embedding", [], ("task1",)),
    "more_letters": ("extensions.more_letters", [], ("task1",)),
    "course_transfer": ("extensions.course_transfer", [], ("task1",)),
    "attributions": ("extensions.attributions", [], ("task1",)),
    "embedding_layers": ("extensions.embedding_layers", [], ("task1",)),
    "task2": ("task2_examine", [], ("task1",)),
    "pretrained": ("extensions.pretrained_layers", [], ("data",)),
    "compare": ("extensions.compare_networks", [], ("task1", "attention", "gabor")),
}
REPORT = ("report", ["--command", "make figures"])


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=2, help="steps at once, each on one thread (default 2)")
    args = p.parse_args(argv)
    if args.jobs < 1:
        raise cli.UserError(f"--jobs {args.jobs}: give at least 1")
    return args


def one_thread() -> None:
    import torch
    torch.set_num_threads(1)


def run_step(module: str, argv: list[str]) -> tuple[bool, str, float]:
    """(succeeded, everything it printed, seconds): a worker's whole job for one step."""
    import netlib
    netlib.seed_everything()  # the same start whichever steps this worker ran before
    out, start = io.StringIO(), time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            importlib.import_module(module).main(argv)
            ok = True
        except Exception as err:  # a user's mistake is one line; a bug shows where it happened
            ok = False
            if (line := cli.error_line(err)) is not None:
                print(line)
            else:
                traceback.print_exc()
    return ok, out.getvalue(), time.perf_counter() - start


def ready(steps: dict, done: set[str], started: set[str]) -> list[str]:
    return [name for name, (_, _, needs) in steps.items() if name not in started and set(needs) <= done]


def run_steps(steps: dict, jobs: int) -> bool:
    """Run every step as its inputs become ready, `jobs` at a time; False when one failed."""
    os.environ["OMP_NUM_THREADS"] = "1"  # the workers' libraries read it when they load
    done, started, running, failed = set(), set(), {}, False
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=one_thread) as pool:
        while True:
            for name in [] if failed else ready(steps, done, started)[:jobs - len(running)]:
                module, argv, _ = steps[name]
                print(f"-- {name}: python -m {module} {' '.join(argv)}".rstrip(), flush=True)
                running[pool.submit(run_step, module, argv)] = name
                started.add(name)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                ok, output, seconds = future.result()
                print(f"== {name} ({seconds:.1f} s){'' if ok else ' FAILED'}\n{output}", flush=True)
                if ok:
                    done.add(name)
                failed = failed or not ok
    return not failed and done == set(steps)


def main(argv=None) -> bool:
    args = parse_args(argv)
    start = time.perf_counter()
    if not run_steps({**STEPS, "report": (*REPORT, tuple(STEPS))}, args.jobs):
        raise cli.UserError("a step failed (its output is above); fix it and rerun `make figures`")
    print(f"every step and the report in {time.perf_counter() - start:.0f} s")
    return True


if __name__ == "__main__":
    cli.run(main)
