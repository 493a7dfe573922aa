"""Every step of the report, two at a time, then the report.

    python make_figures.py [--jobs 2]

The steps are those `recognition/report/steps.py` declares. Two worker processes, each on one
thread, take the next step whose inputs are ready (the longest chains first); a worker imports
torch once and keeps it for all its steps. Every step starts from the same seeded state, so the
numbers do not depend on which worker ran it, or after what. A step's output is printed whole when
it ends. The first step that fails stops the run: steps already running finish, no new one starts,
and the exit status is 1. The workers die with this process, however it dies (a SIGKILL
included), so a killed run leaves no step training on and writing files.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context

import report
from recognition import cli
from recognition.report.steps import PIPELINE, Step, chain_costs, load_steps


def parse_args(argv=None) -> argparse.Namespace:
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--jobs", type=cli.Range(int, 1), default=2, help="steps at once, each on one thread (default 2)"
    )
    return p.parse_args(argv)


def start_worker(parent_pid: int) -> None:
    """A worker on one thread that dies with make_figures (a SIGKILLed run leaves none training on)."""
    cli.die_with_parent(parent_pid)
    import torch

    torch.set_num_threads(1)


def worker_pool(jobs: int) -> ProcessPoolExecutor:
    """`jobs` spawned workers, each importing torch once and dying with this process."""
    os.environ["OMP_NUM_THREADS"] = "1"  # the workers' libraries read it when they load
    return ProcessPoolExecutor(
        jobs, mp_context=get_context("spawn"), initializer=start_worker, initargs=(os.getpid(),)
    )


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


def ready(steps: Sequence[Step], done: set[str], started: set[str]) -> list[Step]:
    """The steps whose inputs are all done, the longest chains first."""
    costs, names = chain_costs(steps), {s.name for s in steps}
    # a step's inputs from outside the list it runs were made before
    waiting = [s for s in steps if s.name not in started and set(s.needs) & names <= done]
    return sorted(waiting, key=lambda s: -costs[s.name])


def run_steps(steps: Sequence[Step], jobs: int) -> bool:
    """Run every step as its inputs become ready, `jobs` at a time; False when one failed."""
    done, started, running, failed = set(), set(), {}, False
    with worker_pool(jobs) as pool:
        while True:
            for step in [] if failed else ready(steps, done, started)[: jobs - len(running)]:
                print(f"-- {step.name}: python -m {step.module} {' '.join(step.args)}".rstrip(), flush=True)
                running[pool.submit(run_step, step.module, list(step.args))] = step.name
                started.add(step.name)
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
    return not failed and done == {s.name for s in steps}


def main(argv=None, modules: Sequence[str] = PIPELINE) -> bool:
    args = parse_args(argv)
    start = time.perf_counter()
    if not run_steps(load_steps(modules), args.jobs):
        raise cli.UserError("a step failed (its output is above); fix it and rerun `make figures`")
    report.main(["--command", "make figures"], modules)
    print(f"every step and the report in {time.perf_counter() - start:.0f} s")
    return True


if __name__ == "__main__":
    cli.run(main)
