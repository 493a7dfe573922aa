"""Issue 23, items 27 and 28: an OS error while writing names the file it was writing (never a temporary
file, never "a file"), and every written file and folder gets the permissions the umask gives."""

import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import netlib
from recognition import cli, io

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, file_mode, folder_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_written_files_and_folders_honour_the_umask(tmp_path, mask, file_mode, folder_mode):
    """Item 28: they were 0600 and 0700 whatever the umask: a grader or a web server could not read them."""
    old = os.umask(mask)
    try:
        text = io.write_text(tmp_path / "REPORT.md", "# report\n")
        model = netlib.save_checkpoint(netlib.MnistNet(), tmp_path / "models" / "mnist_net.pt")
        with io.atomic_folder(tmp_path / "greek") as folder:
            (folder / "alpha").mkdir()
    finally:
        os.umask(old)
    assert mode(text) == file_mode and mode(model) == file_mode
    assert mode(tmp_path / "greek") == folder_mode


@pytest.mark.parametrize("kind", ["text", "checkpoint"])
def test_a_full_disk_names_the_file_being_written(tmp_path, kind):
    """Item 27: "cannot use a file: No space left on device" named no path. A file-size limit makes
    the same error of the OS (a write that fails without a file name) on any machine."""
    target = tmp_path / ("REPORT.md" if kind == "text" else "mnist_net.pt")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))  # Python ignores SIGXFSZ: the write fails
    try:
        with pytest.raises(OSError) as err:
            if kind == "text":
                io.write_text(target, "x" * 100_000)
            else:
                netlib.save_checkpoint(netlib.MnistNet(hidden=200), target)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert cli.error_line(err.value) == f"error: cannot use {target}: File too large"
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_a_folder_where_no_file_can_be_made_names_the_report_not_its_temporary_file(tmp_path):
    """Item 27: report.py in a read-only folder named `.REPORT.md.x1y2.md`. (As root no folder is
    read-only, so the file cannot be made for want of a file descriptor: the same error path.)"""
    target = tmp_path / "REPORT.md"
    script = (
        "import os, resource\n"
        "from recognition import cli, io\n"
        "next_fd = os.dup(0)\n"
        "os.close(next_fd)  # every lower descriptor is open: the next file made fails\n"
        "hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (next_fd, hard))\n"
        f"cli.run(lambda: io.write_text({str(target)!r}, 'report'))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.strip() == f"error: cannot use {target}: Too many open files"
    assert list(tmp_path.iterdir()) == []


def test_checkpoints_written_through_memory_load_back(tmp_path):
    model = netlib.MnistNet(hidden=30)
    netlib.save_checkpoint(model, tmp_path / "m.pt")
    loaded, meta = netlib.load_checkpoint(tmp_path / "m.pt")
    assert meta["hidden"] == 30 and all(
        torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values())
    )
