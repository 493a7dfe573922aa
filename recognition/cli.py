"""How every script starts and ends: its flags checked before any work, a user's mistake one line on
stderr and exit 1, never a traceback.

    p = cli.ArgumentParser(...)                      # a bad flag is one line, exit 1
    p.add_argument("--lr", type=cli.Range(float, 0, low_open=True))   # NaN, inf, out of range: refused

if __name__ == "__main__":
    cli.run(main)
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from dataclasses import dataclass
from typing import Callable


class UserError(Exception):
    """A problem with what the user asked for or gave us; the message says what and how to fix it."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose every mistake (unknown flag, bad choice, a value a `Range` refuses) is a UserError:
    one line naming the flag and the value, exit status 1 through `run`, and nothing done yet."""

    def error(self, message: str):
        raise UserError(f"{message} (see {self.prog} --help)")


@dataclass(frozen=True)
class Range:
    """The one check of a number from a flag, a grid file or a checkpoint: finite (never NaN or inf),
    of its kind (int or float), and within [low, high] (`low_open`/`high_open`: the end excluded).

    As an argparse `type` it parses the flag's text and refuses with the rule, e.g.
    "argument --lr: 'nan' is not a finite number > 0"."""

    kind: type = float
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def describe(self) -> str:
        what = "a whole number" if self.kind is int else "a finite number"
        show = (lambda v: str(int(v))) if self.kind is int else (lambda v: f"{v:g}")
        if self.low is not None and self.high is not None and not (self.low_open or self.high_open):
            return f"{what} from {show(self.low)} to {show(self.high)}"
        bounds = [f"{'>' if self.low_open else '>='} {show(self.low)}"] if self.low is not None else []
        bounds += [f"{'<' if self.high_open else '<='} {show(self.high)}"] if self.high is not None else []
        return " ".join([what, " and ".join(bounds)]).strip()

    def allows(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, int if self.kind is int else (int, float)):
            return False
        if not math.isfinite(value):
            return False
        too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        return not (too_low or too_high)

    def check(self, value, where: str):
        """`value`, or a UserError naming `where` (a flag, a file's key) and the rule."""
        if not self.allows(value):
            raise UserError(f"{where}: {value!r} is not {self.describe()}")
        return value

    def __call__(self, text: str):
        try:
            value = self.kind(text)
        except (TypeError, ValueError):
            value = None
        if value is None or not self.allows(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {self.describe()}")
        return value


@dataclass(frozen=True)
class OneOf:
    """A value that must be one of `choices` (with `Range`, the rules of a checkpoint's settings)."""

    choices: tuple

    def describe(self) -> str:
        return "one of " + ", ".join(map(str, self.choices))

    def allows(self, value) -> bool:
        return isinstance(value, str) and value in self.choices


def describe_os_error(err: OSError) -> str:
    """'cannot write figures/x.png: Permission denied' — the path and the OS's reason, no traceback."""
    path = err.filename if err.filename is not None else "a file"
    if err.filename2 is not None:
        path = f"{path} -> {err.filename2}"
    return f"cannot use {path}: {err.strerror or err}"


def error_line(err: Exception) -> str | None:
    """The one line a user's mistake (or an OSError naming a path) is shown as; None for a bug."""
    if isinstance(err, UserError):
        return f"error: {err}"
    if isinstance(err, OSError):  # read-only or full output folder, missing input file, ...
        return f"error: {describe_os_error(err)}"
    return None


def run(main: Callable[[], object]) -> None:
    try:
        main()
    except (UserError, OSError) as err:
        sys.exit(error_line(err))
    except KeyboardInterrupt:
        sys.exit("interrupted: finished outputs are kept; rerun to continue")


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid: int) -> None:
    """In a worker process: be killed (SIGKILL) when the process that started it dies, however it dies,
    so a killed run leaves no worker training on and writing files. Linux's prctl(PR_SET_PDEATHSIG);
    elsewhere a thread that watches the parent. A worker whose parent is already gone exits at once."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        armed = False
    if os.getppid() != parent_pid:  # it died before the signal was armed
        os._exit(1)
    if not armed:
        import threading
        import time

        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(1)
            os._exit(1)

        threading.Thread(target=watch, daemon=True, name="parent-watch").start()
