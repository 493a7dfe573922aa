"""Image files people bring: folders of photos, scans and crops, read safely.

Hidden files are skipped, non-images and unreadable files reported, labels read from names, and
each image goes through the one own-image recipe (`preprocess.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from recognition.data.datasets import MissingData
from recognition.data.preprocess import TRANSFORMS, UnreadableImage

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


def display_name(path: Path, root: Path) -> str:
    """An image's name as the reports show it: its path under `root`, else its file name."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name


def scan_image_folder(root: str | Path, vocabulary: set[str] | None = None) -> FolderScan:
    """List the images under `root`, skipping hidden files/folders and reporting non-images.

    `root` may also be a single image file: then it is the only image, labelled by its name.
    """
    root = Path(root)
    if root.is_file():
        if root.suffix.lower() not in IMAGE_SUFFIXES:
            raise MissingData(
                f"{root} is a file but not an image ({root.suffix or 'no extension'}); pass a "
                f"folder of images or one image ({', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        return FolderScan(root.parent, [root], [label_from_path(root, root.parent, vocabulary)], [""])
    if not root.is_dir():
        raise MissingData(f"image folder {root} does not exist; pass an existing folder (or one image)")
    scan = FolderScan(root)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if _is_hidden(relative):
            continue
        if path.is_dir():
            if not any(
                p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") for p in path.rglob("*")
            ):
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


def load_image_set(
    root: str | Path, vocabulary: set[str] | None = None, transform: str = "mnist"
) -> ImageSet:
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
    return ImageSet(
        stacked,
        [scan.labels[i] for i in kept],
        [scan.groups[i] for i in kept],
        [scan.paths[i] for i in kept],
        scan.skipped,
        scan.empty_folders,
    )
