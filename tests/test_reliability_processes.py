"""Issue 23, item 23: a SIGKILLed make_figures.py takes its worker processes with it (they used to
train on, write models/mnist_net.pt after the kill and sleep at about 1 GB each)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

POOL = """
import time
import make_figures

pool = make_figures.worker_pool(2)
for future in [pool.submit(time.sleep, 0.5) for _ in range(2)]:
    future.result()
print("ready", flush=True)
time.sleep(600)
"""


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the workers and multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_die_when_make_figures_is_killed():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", POOL], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout.readline().strip() == "ready"
        workers = children(parent.pid)
        assert len(workers) >= 2
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 15
        while any(map(alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [pid for pid in workers if alive(pid)]
    finally:
        parent.kill()
    for pid in left:  # on failure, leave no orphan behind
        os.kill(pid, signal.SIGKILL)
    assert not left, f"worker(s) {left} outlived the killed make_figures"
