"""Image files people bring: folders of photos, scans and crops, read safely.

Hidden files are skipped, non-images and unreadable files reported, labels read from names, and
each image goes through the one own-image recipe (`preprocess.py`).
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from recognition.data import preprocess
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
    """The class of an image: its folder's name, else its file name's first word (letters and digits,
    up to the first other character).

    With a vocabulary (e.g. the ten digits), a name outside it is not a label, so `3/x.png`,
    `3.png`, `3_b.jpg`, `3 again.png`, `-3.png` and `writerA/3/x.png` all give "3", and `--help.png`
    or `IMG_1234.png` none. Without one, the folder names the class.
    """
    folder = path.parent.name if path.parent != root else None
    token = next(iter(re.findall(r"[^\W_]+", path.stem)), "").lower()
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
    if root.exists() and not root.is_dir() and not root.is_file():
        raise MissingData(
            f"{root} is not a folder or an image file (it is a {_kind(root)}); pass a folder of "
            f"images or one image ({', '.join(sorted(IMAGE_SUFFIXES))})"
        )
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
        if not path.is_file():  # reading a pipe would wait for a writer for ever
            scan.skipped.append((path, f"not a regular file (a {_kind(path)})"))
            continue
        scan.paths.append(path)
        scan.labels.append(label_from_path(path, root, vocabulary))
        scan.groups.append(relative.parts[0] if len(relative.parts) > 2 else "")
    return scan


def _kind(path: Path) -> str:
    """What a path that is neither a folder nor a regular file is: 'named pipe', 'device', ..."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "broken link"
    kinds = {stat.S_ISFIFO: "named pipe", stat.S_ISSOCK: "socket", stat.S_ISCHR: "character device"}
    kinds[stat.S_ISBLK] = "block device"
    return next((name for test, name in kinds.items() if test(mode)), "special file")


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
    if path.exists() and not path.is_file():  # opening a pipe or a device blocks or never ends
        raise UnreadableImage(f"{path}: not a regular file (a {_kind(path)}); replace or remove it")
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
        img = _flatten_transparency(img.convert("RGBA"))
    img = img.convert("RGB")
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return img


INK_CONTRAST = 13  # of 255 (preprocess.MIN_CONTRAST): less is no ink
TRANSPARENT = preprocess.TRANSPARENT


def _flatten_transparency(rgba: Image.Image) -> Image.Image:
    """A transparent image on white paper. When the colours then carry no ink (white ink, or ink of
    the colour hidden under the transparent pixels) but the transparency does, the opaque pixels are
    the ink: drawn dark where the alpha channel is, as a drawing app saves strokes."""
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(paper, rgba).convert("RGB")
    low, high = flat.convert("L").getextrema()
    alpha_low, alpha_high = rgba.getchannel("A").getextrema()
    if high - low < INK_CONTRAST and alpha_high - alpha_low >= INK_CONTRAST:
        flat = Image.eval(rgba.getchannel("A"), lambda a: 255 - a).convert("RGB")
    flat.info[TRANSPARENT] = True  # a blank result says the transparency was looked at too
    return flat


@dataclass
class ImageSet:
    """Preprocessed images (N, 28, 28) in [0,1] with labels, groups and the source paths; `doubts`
    says, per image, why it may not hold one symbol (the own-image recipe's `symbol_doubt`), or None."""

    images: torch.Tensor
    labels: list[str | None]
    groups: list[str]
    paths: list[Path]
    skipped: list[tuple[Path, str]]
    empty_folders: list[Path]
    doubts: list[str | None] = field(default_factory=list)

    def notes(self, root: Path, examples: str) -> list[str]:
        """What a reader of the accuracy must know: each image that may not hold one symbol, and how
        many have no label (so are not scored) and why; `examples` are names that would label them."""
        found = [f"{display_name(p, root)}: {d}" for p, d in zip(self.paths, self.doubts) if d is not None]
        if unlabelled := [display_name(p, root) for p, y in zip(self.paths, self.labels) if y is None]:
            found.append(
                f"{len(unlabelled)} of {len(self.paths)} images have no label ({', '.join(unlabelled[:3])}"
                f"{', ...' if len(unlabelled) > 3 else ''}): neither their folder's name nor their file "
                f"name's first word is a label, so they are classified, not scored; name them like {examples}"
            )
        return found


def load_image_set(
    root: str | Path, vocabulary: set[str] | None = None, transform: str = "mnist"
) -> ImageSet:
    """Read and preprocess every image under `root`; unreadable ones are skipped and reported."""
    scan = scan_image_folder(root, vocabulary)
    prepare = (
        preprocess.preprocess_with_doubt
        if transform == "mnist"
        else (lambda i: (TRANSFORMS[transform](i), None))
    )
    images, kept, doubts = [], [], []
    for i, path in enumerate(scan.paths):
        try:
            image, doubt = prepare(read_image(path))
            images.append(image)
            doubts.append(doubt)
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
        doubts,
    )
