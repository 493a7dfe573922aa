"""Tiny data for the Greek-letter tests (Task 3 and its extensions): letter sets drawn by glyphs.py,
a few hundred MNIST-format images, and a saved digit network with its training config."""

from dataclasses import asdict

import numpy as np

import netlib
from recognition import training
from recognition.data import datasets
from recognition.handwriting import glyphs
from recognition.report import plots

LETTERS = ("alpha", "beta", "gamma")
TINY_CONFIG = training.TrainConfig(epochs=1, batch_size=32)


def letter_sets(root, per_class: int = 3, own_extra: tuple[str, ...] = ("delta",)):
    """A course-style reference set of three letters, and an own set of two writers that also has a
    letter the reference set lacks."""
    greek, own = root / "greek", root / "own"
    glyphs.write_glyph_set(greek, LETTERS, per_class=per_class, seed=0, style=glyphs.COURSE_STYLE)
    glyphs.write_glyph_set(
        own, (*LETTERS, *own_extra), per_class=1, seed=1, style=glyphs.OWN_STYLE, writers=2
    )
    return greek, own


def tiny_mnist(data_dir, n_train: int = 96, n_test: int = 48):
    """Random MNIST-format files in data_dir/MNIST/raw: enough for a one-epoch training run."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    datasets.write_raw_mnist(arrays, data_dir / "MNIST" / "raw")
    return data_dir


def saved_network(path, hidden: int = 50, cfg: training.TrainConfig = TINY_CONFIG, train_images: int = 96):
    """An untrained network saved as the training functions save one (its whole config in the meta)."""
    netlib.seed_everything(0)
    return netlib.save_checkpoint(
        netlib.MnistNet(hidden=hidden),
        path,
        train_config=asdict(cfg),
        seed=cfg.seed,
        epochs=cfg.epochs,
        train_images=train_images,
    )


class QuickProjection:
    """Stands in for t-SNE in the fast tests (seconds on a loaded CPU even for 20 points)."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def fit_transform(self, x):
        return np.asarray(x)[:, :2]


def quick_save(fig, path):
    """Stands in for PNG encoding in the fast tests; the slow end-to-end tests draw for real."""
    plots.plt.close(fig)
    path.write_bytes(b"figure")
    return path
