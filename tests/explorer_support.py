"""What the explorer's API and browser tests share: a small trained model, the Greek reference
set, digits and letters drawn as a person would (strokes on a 280-px pad), and a live server.

The model (1 epoch on 20,000 MNIST images, ~97% test accuracy) and the reference letters are made once
and kept in pytest's cache folder, so later runs start in seconds.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import netlib
from recognition import training
from recognition.data import datasets
from recognition.handwriting import glyphs

PAD = 280  # the page's drawing pad, in px
PEN = 18  # the page's pen width
TRAIN_IMAGES = 20_000  # enough for clean drawings to be read right; a third of the time of all 60,000
EPOCHS_TRANSFORMER = 3  # 1 epoch (with augmentation) read only 63% of the test digits


def _oval(cx, cy, rx, ry, start=-90, end=270, n=40):
    t = np.radians(np.linspace(start, end, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


# Strokes in pad pixels (x right, y down), written the way people write each symbol.
STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "0": [_oval(140, 140, 62, 95)],
    "1": [[(150, 40), (145, 140), (138, 245)]],
    "2": [[(80, 95), (100, 55), (150, 42), (195, 70), (195, 120), (150, 170), (85, 240), (215, 238)]],
    "3": [
        [
            (80, 65),
            (130, 40),
            (185, 55),
            (195, 100),
            (140, 135),
            (195, 160),
            (200, 215),
            (145, 245),
            (80, 228),
        ]
    ],
    "4": [[(120, 40), (85, 160), (210, 160)], [(175, 80), (172, 245)]],
    "5": [[(200, 45), (105, 45), (95, 130), (150, 115), (198, 150), (195, 212), (140, 245), (85, 228)]],
    "6": [
        [
            (185, 45),
            (125, 90),
            (90, 170),
            (100, 228),
            (150, 245),
            (195, 205),
            (182, 152),
            (132, 140),
            (92, 175),
        ]
    ],
    "7": [[(70, 55), (210, 55), (120, 245)]],
    "8": [_oval(140, 90, 45, 50, 90, 450) + _oval(140, 192, 55, 52, -90, -450)],
    "9": [_oval(135, 95, 52, 52, 0, 360), [(187, 95), (180, 170), (172, 245)]],
    "alpha": [
        [
            (195, 95),
            (150, 75),
            (100, 105),
            (85, 165),
            (115, 200),
            (160, 185),
            (190, 120),
            (200, 95),
            (205, 170),
            (225, 210),
        ]
    ],
}


def densify(stroke, step: float = 4.0) -> list[tuple[float, float]]:
    """Points every `step` px along a polyline: what a mouse reports while it is dragged."""
    out = [stroke[0]]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        n = max(1, int(np.hypot(x1 - x0, y1 - y0) / step))
        out += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]
    return out


def drawing(name: str, size: int = PAD) -> Image.Image:
    """The symbol as the page would send it: black round-capped strokes on a white pad."""
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    scale, r = size / PAD, PEN * size / PAD / 2
    for stroke in STROKES[name]:
        points = [(x * scale, y * scale) for x, y in densify(stroke)]
        draw.line(points, fill="black", width=round(2 * r), joint="curve")
        for x, y in points:
            draw.ellipse((x - r, y - r, x + r, y + r), fill="black")
    return img


def photo(name: str, size: int = 1000, seed: int = 0) -> Image.Image:
    """The symbol written in blue ink on grey, unevenly lit paper, with sensor noise: a phone photo."""
    rng = np.random.default_rng(seed)
    ink = 1 - np.asarray(drawing(name, size).convert("L"), np.float32) / 255
    light = np.linspace(0.85, 1.0, size, dtype=np.float32)[None, :] * np.ones((size, 1), np.float32)
    paper, pen = np.array([205, 200, 188], np.float32), np.array([35, 45, 140], np.float32)
    rgb = (paper * (1 - ink[..., None]) + pen * ink[..., None]) * light[..., None]
    rgb += rng.normal(0, 4, rgb.shape).astype(np.float32)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def encode(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    import io

    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def trained_model(cache: Path) -> Path:
    """A digit network trained 1 epoch on 20,000 MNIST images (10-100 s here), cached between runs."""
    path = cache / f"mnist_net_1epoch_{TRAIN_IMAGES}.pt"
    try:
        netlib.load_checkpoint(path)
        return path
    except netlib.CheckpointError:  # missing, or made by an older network: train anew
        pass
    mnist = datasets.load_mnist("data").subset(TRAIN_IMAGES, 2000)
    cfg = training.TrainConfig(epochs=1, eval_train=False)
    model, hist = training.train_digit_network(mnist, cfg, progress=False)
    return training.save_digit_network(model, path, cfg, hist, len(mnist.train_labels))


def trained_transformer(cache: Path) -> Path:
    """The `cpu` preset's transformer trained 3 epochs (no augmentation) on the same 20,000 MNIST images
    (93% of the test digits), cached between runs: the second network the page compares."""
    from recognition import networks

    path = cache / f"transformer_cpu_{EPOCHS_TRANSFORMER}epochs_{TRAIN_IMAGES}.pt"
    try:
        netlib.load_checkpoint(path, kinds=("transformer",))
        return path
    except netlib.CheckpointError:
        pass
    network, train = networks.preset_settings("transformer", "cpu")
    cfg = training.TrainConfig(**{**train, "epochs": EPOCHS_TRANSFORMER, "augment": "none"})
    mnist = datasets.load_mnist("data").subset(TRAIN_IMAGES, 2000)
    model, hist = training.train_digit_network(
        mnist, cfg, progress=False, arch="transformer", network=network
    )
    return training.save_digit_network(model, path, cfg, hist, len(mnist.train_labels))


def greek_reference(cache: Path) -> Path:
    """Task 3's default reference letters (9 course-style images of each of 4 letters), cached."""
    folder = cache / "greek"
    if not folder.is_dir():
        partial = cache / "greek.partial"  # renamed when complete: an interrupted run leaves no half set
        glyphs.write_glyph_set(
            partial, glyphs.REFERENCE_LETTERS, per_class=9, seed=42, style=glyphs.COURSE_STYLE
        )
        partial.rename(folder)
    return folder


@functools.lru_cache(maxsize=None)
def explorer(cache: Path):
    """One Explorer per test process: both test files share it (it takes seconds to build)."""
    from extensions.explorer.server import build_explorer

    return build_explorer(trained_model(cache), greek_reference(cache), data_dir=cache)


@contextlib.contextmanager
def live_server(app):
    """Serve `app` with uvicorn on a free 127.0.0.1 port in a thread; yields its address."""
    import uvicorn

    from extensions.explorer.server import address, bind

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield address(sock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@functools.lru_cache(maxsize=None)
def letter_base(cache: Path):
    """Teach mode's base letter reader over the test reference (its selection writers in `cache`)."""
    from extensions.explorer.teach import letter_base as build

    return build(explorer(cache).cnn, greek_reference(cache), cache, netlib.DEFAULT_SEED)


def teacher(cache: Path, home: Path):
    """Teach mode with its personal folders in `home`/data and its checkpoints in `home`/models (a
    copy of the test model), as a fresh server process would start: nothing adapted in memory."""
    from extensions.explorer.teach import Teacher
    from recognition.personal import adapt

    model = home / "models" / "mnist_net.pt"
    if not model.is_file():
        model.parent.mkdir(parents=True, exist_ok=True)
        model.write_bytes(trained_model(cache).read_bytes())
    replay = adapt.replay_set("data", netlib.DEFAULT_SEED)
    return Teacher(explorer(cache).cnn, model, home / "data", letter_base(cache), replay)
