"""How fast the explorer answers: requests per second and median / 95th-percentile latency of
POST /api/predict for a 1000x1000 phone photo (JPEG) and a 280x280 drawing (PNG, as the page sends),
one client at a time and then under load; then teach mode: adapting to 3 examples of each of the 10
digits and of each of the 24 Greek letters (POST /api/teach/adapt, --adapts times each), and the
drawing read by the base and the personal reader side by side (POST /api/teach/predict).

    python benchmarks/explorer_latency.py [--model models/mnist_net.pt] [--requests 200]
                                          [--clients 40] [--seconds 20]

The server runs as `make demo` runs it, in its own process, with the 24-letter reference
(DATA_DIR/greek_all, generated when missing); teach mode's folder and personal readers go to a
temporary folder (a copy of the model beside them), so nothing of yours is written. One client
sends the requests one after another over a kept-alive connection (as the page does). Then
`--clients` clients send the drawing as fast as they are answered for `--seconds`: every request
must be answered, and one request after the load shows whether the server recovered at once. The
machine's load average is printed too: other work on the CPU slows every number.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image, ImageDraw

from recognition import cli
from recognition.data import greeksets
from recognition.handwriting import glyphs

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="digit network (task 1)")
    p.add_argument("--requests", type=cli.Range(int, 1, 10_000), default=200, help="timed requests per image")
    p.add_argument("--warmup", type=cli.Range(int, 0, 1000), default=10, help="untimed requests first")
    p.add_argument("--clients", type=cli.Range(int, 0, 500), default=40, help="clients at once (0: skip)")
    p.add_argument("--seconds", type=cli.Range(float, 1, 600), default=20, help="how long they send")
    p.add_argument(
        "--adapts", type=cli.Range(int, 1, 100), default=5, help="timed adaptings per kind (teach)"
    )
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the built-in Greek sets live")
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


def glyph_png(label: str, seed: int) -> bytes:
    """`label` written by a generated writer (glyphs.py's own-symbol look), 240x240 PNG."""
    img = glyphs.render_glyph(label, np.random.default_rng(seed), (240, 240), glyphs.OWN_STYLE)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def start_server(model: Path, *flags: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "extensions.explorer", "--port", "0", "--model", str(model), *flags],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("explorer: "):
        proc.wait()
        raise cli.UserError(f"the explorer did not start (exit {proc.returncode}); see the message above")
    return proc, line.split()[1]


def measure(
    client: httpx.Client, url: str, data: bytes, name: str, n: int, warmup: int, form: dict | None = None
) -> dict:
    files = {"image": (name, data, "application/octet-stream")}
    for _ in range(warmup):
        client.post(url, files=files, data=form).raise_for_status()
    seconds, compute, prep = [], [], []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        r = client.post(url, files=files, data=form)
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


def report(label: str, r: dict, compute: str = "networks and maps") -> None:
    print(
        f"{label:<24} {r['bytes'] / 1024:7.1f} KB: {r['requests_per_s']:5.1f} requests/s, "
        f"median {r['median_ms']:6.1f} ms, p95 {r['p95_ms']:6.1f} ms (medians: decoding and "
        f"preprocessing {r['preprocess_median_ms']:.1f} ms, {compute} {r['network_median_ms']:.1f} ms)",
        flush=True,
    )


def teach(client: httpx.Client, url: str, args) -> dict:
    """Teach mode: 3 generated examples of every digit and letter kept, each kind adapted
    `args.adapts` times (the server's seconds and the whole request's), then a drawing read by both
    readers."""
    kinds = {"digits": glyphs.DIGITS, "letters": glyphs.GREEK_LETTERS}
    out = {}
    for kind, labels in kinds.items():
        for label in labels:
            for seed in range(3):
                files = {"image": ("x.png", glyph_png(label, seed), "image/png")}
                form = {"name": "benchmark", "label": label}
                client.post(f"{url}/api/teach/examples", data=form, files=files).raise_for_status()
        server_s, request_s = [], []
        for _ in range(args.adapts):
            t = time.perf_counter()
            r = client.post(f"{url}/api/teach/adapt", data={"name": "benchmark", "kind": kind})
            request_s.append(time.perf_counter() - t)
            r.raise_for_status()
            server_s.append(r.json()["seconds"])
        out[f"adapt {kind}"] = {
            "examples": r.json()["examples"],
            "server_s": server_s,
            "request_s": request_s,
        }
        print(
            f"adapting to {r.json()['examples']} {kind} (3 of each of {len(labels)}): median "
            f"{statistics.median(server_s):.2f} s, slowest {max(server_s):.2f} s of {args.adapts} "
            f"(the whole request: slowest {max(request_s):.2f} s)",
            flush=True,
        )
    for kind in kinds:  # the pad's drawing, read by both readers of `kind`
        label = f"teach predict, {kind}"
        r = out[label] = measure(
            client,
            f"{url}/api/teach/predict",
            drawing_png(),
            "pad.png",
            args.requests,
            args.warmup,
            {"name": "benchmark", "kind": kind},
        )
        report(label, r, "base and personal readers")
    return out


def reference_24(data_dir: Path) -> Path:
    """The built-in 24-letter reference set, generated when missing (as Task 3 does)."""
    folder = greeksets.builtin_folder(data_dir, "reference", all_letters=True)
    if not folder.exists():
        greeksets.generate_letter_set(folder, all_letters=True, own=False, seed=42)
    return folder


def main(argv=None) -> dict:
    args = parse_args(argv)
    model = args.model.resolve()
    if not model.is_file():
        raise cli.UserError(
            f"no model at {args.model}: run `make figures` (or `python task1_train_mnist.py`) first"
        )
    greek = reference_24(args.data_dir).resolve()
    images = {
        "1000x1000 photo (JPEG)": (photo_jpeg(), "photo.jpg"),
        "280x280 drawing (PNG)": (drawing_png(), "pad.png"),
    }
    print(
        f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores",
        flush=True,
    )
    home = Path(tempfile.mkdtemp(prefix="explorer_latency_"))
    (home / "models").mkdir()
    shutil.copy(model, home / "models" / model.name)  # personal readers are saved beside the model
    for other in model.parent.glob("transformer_*.pt"):  # compared beside it, as `make demo` does
        shutil.copy(other, home / "models" / other.name)
    flags = ["--greek-dir", str(greek), "--data-dir", str(home / "data")]
    proc, url = start_server(home / "models" / model.name, *flags)
    results = {}
    try:
        with httpx.Client(timeout=60) as client:
            for label, (data, name) in images.items():
                r = results[label] = measure(
                    client, f"{url}/api/predict", data, name, args.requests, args.warmup
                )
                report(label, r)
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
        with httpx.Client(timeout=60) as client:
            results.update(teach(client, url, args))
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(home, ignore_errors=True)
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return results


if __name__ == "__main__":
    cli.run(main)
