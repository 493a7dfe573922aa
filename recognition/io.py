"""Atomic file output: write to a temporary file beside the target, then rename over it.

A crash or Ctrl-C mid-write leaves the old file (or none), never half of a new one. The file (or
folder) gets the permissions `open()` (or `mkdir`) would give it under the user's umask, and an
error of the OS (a full disk, a read-only folder) names the target, never the temporary file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np


def umask() -> int:
    """This process's umask, read without changing it where Linux shows it (threads may be running)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def naming(path: Path):
    """Re-raise an OSError that names no file, or only the temporary one beside `path`, as naming
    `path`: 'cannot use figures/REPORT.md: No space left on device', not '.REPORT.md.x1y2.md'."""
    try:
        yield
    except OSError as err:
        if err.filename is None or Path(str(err.filename)).name.startswith(f".{path.name}."):
            raise OSError(err.errno, err.strerror or str(err), str(path)) from err
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path in the target's folder; rename it onto `path` if the block succeeds.

    The file gets the mode `open()` gives a new file (0666 less the umask), not mkstemp's 0600."""
    path = Path(path)
    with naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=path.parent)
    try:
        with naming(path):
            os.fchmod(fd, 0o666 & ~umask())
            os.close(fd)
            yield Path(tmp)
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_folder(path: str | Path):
    """Yield a temporary folder beside `path`; rename it to `path` if the block succeeds.

    A run interrupted while writing a whole data set leaves no half set behind for later runs to
    take as complete. `path` must not exist yet. The folder gets mkdir's mode (0777 less the umask)."""
    path = Path(path)
    with naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        with naming(path):
            tmp.chmod(0o777 & ~umask())
            yield tmp
            os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def moved(paths: list[Path], old: Path, new: Path) -> list[Path]:
    """`paths` under `old`, as they are named once `old` is renamed to `new`."""
    return [Path(new) / p.relative_to(old) for p in paths]


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | Path, data) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_npy(path: str | Path, array) -> Path:
    """A NumPy array as a .npy file (no pickled objects)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, array, allow_pickle=False)
    return Path(path)


def write_torch(path: str | Path, obj) -> Path:
    """torch.save, through memory: on a full disk torch's own file writer raises a RuntimeError that
    names no file; written here it is an OSError naming `path`."""
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return Path(path)


def read_json(path: str | Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def writable_folder(path: str | Path) -> Path:
    """Make `path` and check a file can be written there, so a read-only, full or misnamed output
    folder is an OSError naming it at the start of a run, not after its work is done."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    with atomic_path(path / ".write_check") as tmp:
        tmp.write_bytes(b"ok")
    (path / ".write_check").unlink()
    return path
