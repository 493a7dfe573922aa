"""How every script ends: a user's mistake is one line on stderr and exit 1, never a traceback.

if __name__ == "__main__":
    cli.run(main)
"""

from __future__ import annotations

import sys
from typing import Callable


class UserError(Exception):
    """A problem with what the user asked for or gave us; the message says what and how to fix it."""


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
