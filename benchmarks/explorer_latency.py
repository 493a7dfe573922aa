"""How fast the explorer answers: requests per second and median / 95th-percentile latency of
POST /api/predict for a 1000x1000 phone photo (JPEG) and a 280x280 drawing (PNG, as the page sends),
one client at a time and then under load.

    python benchmarks/explorer_latency.py [--model models/mnist_net.pt] [--requests 200]
                                          [--clients 40] [--seconds 20]

The server runs as `make demo` runs it, in its own process; one client sends the requests one
after another over a kept-alive connection (as the page does). Then `--clients` clients send the
drawing as fast as they are answered for `--seconds`: every request must be answered, and one
request after the load shows whether the server recovered at once. The machine's load average is
printed too: other work on the CPU slows every number.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image, ImageDraw

from recognition import cli
from recognition.handwriting import glyphs

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="digit network (task 1)")
    p.add_argument("--requests", type=cli.Range(int, 1, 10_000), default=200, help="timed requests per image")
    p.add_argument("--warmup", type=cli.Range(int, 0, 1000), default=10, help="untimed requests first")
    p.add_argument("--clients", type=cli.Range(int, 0, 500), default=40, help="clients at once (0: skip)")
    p.add_argument("--seconds", type=cli.Range(float, 1, 600), default=20, help="how long they send")
    return p.parse_args(argv)


def drawing_png() -> bytes:
    """A 7 as the page's pad sends it: black 18-px strokes on a white 280x280 PNG."""
    img = Image.new("RGB", (280, 280), "white")
    ImageDraw.Draw(img).line([(70, 55), (210, 55), (120, 245)], fill="black", width=18, joint="curve")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def photo_jpeg() -> bytes:
    """A seeded phone-photo-style 4 (glyphs.py's own-digit look), 1000x1000, JPEG quality 90."""
    img = glyphs.render_glyph("4", np.random.default_rng(0), (1000, 1000), glyphs.OWN_STYLE)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def start_server(model: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "extensions.explorer", "--port", "0", "--no-greek", "--model", str(model)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("explorer: "):
        proc.wait()
        raise cli.UserError(f"the explorer did not start (exit {proc.returncode}); see the message above")
    return proc, line.split()[1]


def measure(client: httpx.Client, url: str, data: bytes, name: str, n: int, warmup: int) -> dict:
    files = {"image": (name, data, "application/octet-stream")}
    for _ in range(warmup):
        client.post(url, files=files).raise_for_status()
    seconds, compute, prep = [], [], []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        r = client.post(url, files=files)
        seconds.append(time.perf_counter() - t)
        r.raise_for_status()
        compute.append(r.json()["compute_ms"])
        prep.append(r.json()["preprocess_ms"])
    total = time.perf_counter() - start
    ms = np.array(seconds) * 1000
    return {
        "requests_per_s": n / total,
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "network_median_ms": statistics.median(compute),
        "preprocess_median_ms": statistics.median(prep),
        "bytes": len(data),
    }


def under_load(url: str, data: bytes, clients: int, seconds: float) -> dict:
    """`clients` threads, each with its own connection, send `data` until `seconds` have passed; every
    request's latency and status, then one request's latency after the load."""
    files = {"image": ("pad.png", data, "application/octet-stream")}
    latencies, failures, lock = [], [], threading.Lock()
    stop = time.perf_counter() + seconds

    def client() -> None:
        with httpx.Client(timeout=120) as c:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                try:
                    status = c.post(url, files=files).status_code
                except httpx.HTTPError as err:
                    status = type(err).__name__
                with lock:
                    (latencies if status == 200 else failures).append(time.perf_counter() - t)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    with httpx.Client(timeout=60) as c:
        t = time.perf_counter()
        c.post(url, files=files).raise_for_status()
        after = time.perf_counter() - t
    ms = np.array(latencies) * 1000
    return {
        "clients": clients,
        "seconds": wall,
        "answered": len(latencies),
        "failed": len(failures),
        "p50_ms": float(np.median(ms)) if len(ms) else float("nan"),
        "p95_ms": float(np.percentile(ms, 95)) if len(ms) else float("nan"),
        "after_ms": after * 1000,
    }


def main(argv=None) -> dict:
    args = parse_args(argv)
    model = args.model.resolve()
    if not model.is_file():
        raise cli.UserError(
            f"no model at {args.model}: run `make figures` (or `python task1_train_mnist.py`) first"
        )
    images = {
        "1000x1000 photo (JPEG)": (photo_jpeg(), "photo.jpg"),
        "280x280 drawing (PNG)": (drawing_png(), "pad.png"),
    }
    print(
        f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores",
        flush=True,
    )
    proc, url = start_server(model)
    results = {}
    try:
        with httpx.Client(timeout=60) as client:
            for label, (data, name) in images.items():
                r = results[label] = measure(
                    client, f"{url}/api/predict", data, name, args.requests, args.warmup
                )
                print(
                    f"{label:<24} {r['bytes'] / 1024:7.1f} KB: {r['requests_per_s']:5.1f} requests/s, "
                    f"median {r['median_ms']:6.1f} ms, p95 {r['p95_ms']:6.1f} ms (medians: decoding and "
                    f"preprocessing {r['preprocess_median_ms']:.1f} ms, networks and maps "
                    f"{r['network_median_ms']:.1f} ms)",
                    flush=True,
                )
        if args.clients:
            r = results["under load"] = under_load(
                f"{url}/api/predict", images["280x280 drawing (PNG)"][0], args.clients, args.seconds
            )
            print(
                f"{r['clients']} clients for {r['seconds']:.0f} s, the drawing: {r['answered']} answered, "
                f"{r['failed']} failed; p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms; one request "
                f"after the load {r['after_ms']:.0f} ms",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.wait(30)
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return results


if __name__ == "__main__":
    cli.run(main)
