"""An uploaded image file -> the 28x28 network input, behind limits: the file's size, its pixel
count, and a clear 4xx (an HTTPException with a `detail`) for anything that is not one readable image.

Memory: a 3-KB WebP can claim 88 megapixels (just under Pillow's own limit) and took 2.5 GB to decode,
four at once 7.4 GB. Uploads are held to UPLOAD_MAX_PIXELS, a JPEG is decoded at a reduced scale
(`Image.draft`), and images above LARGE_PIXELS are decoded one at a time, shrunk by a whole factor as
they are decoded (`Image.reduce`), with the memory handed back afterwards (docs/explorer.md: numbers).
"""

from __future__ import annotations

import ctypes
import io
import threading
import warnings

import numpy as np
from fastapi import HTTPException, UploadFile
from PIL import Image, UnidentifiedImageError

from recognition.data import imagefiles, preprocess

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MULTIPART_SLACK = 64 * 1024  # form boundaries and headers around the file
TOO_LARGE = f"file too large: the limit is {MAX_UPLOAD_BYTES // 2**20} MB; send a smaller image"
UPLOAD_MAX_PIXELS = 24_000_000  # a 24-megapixel camera's photo (6000x4000); a phone's is 12
LARGE_PIXELS = 2_000_000  # larger decodes take tens of MB each (PNG, WebP: full size) and wait their turn
_large_decode = threading.Lock()


def _decode(data: bytes) -> Image.Image:
    """The upload as an upright RGB image of at most MAX_SIDE px. A large one is opened again and
    decoded alone (a WebP's decoder takes its full-size canvas as soon as it is opened, so opening
    must wait its turn too), and the freed memory is handed back to the system after it (glibc keeps
    it per thread otherwise)."""
    with _opened(data) as img:
        if img.width * img.height <= LARGE_PIXELS:
            return imagefiles.upright_rgb(img)
    with _large_decode:
        try:
            with _opened(data) as img:
                return imagefiles.upright_rgb(_reduced(img))
        finally:
            del img
            _trim()


def _opened(data: bytes) -> Image.Image:
    """The image, opened and checked against the pixel limit; a JPEG set to decode reduced (1/2-1/8)."""
    img = Image.open(io.BytesIO(data))
    if img.width * img.height > UPLOAD_MAX_PIXELS:
        img.close()
        raise Image.DecompressionBombError(f"{img.width}x{img.height} pixels")
    img.draft("RGB", (imagefiles.MAX_SIDE, imagefiles.MAX_SIDE))
    return img


def _trim() -> None:
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: its allocator decides
        pass


def _reduced(img: Image.Image) -> Image.Image:
    """A large image shrunk by a whole factor (a box filter) as it is decoded, so that the copies
    upright_rgb makes (orientation, colour, the final thumbnail) are of a small image: a 24-MP WebP
    peaked at 490 MB, copies included. Palette and 1-bit images are left whole: they are compact."""
    factor = max(img.size) // imagefiles.MAX_SIDE
    if factor < 2 or img.mode in ("P", "1"):
        return img
    return img.reduce(factor)


def read_upload(data: bytes) -> np.ndarray:
    """An uploaded file's bytes -> the 28x28 network input, or an HTTPException saying what is wrong."""
    return read_upload_with_doubt(data)[0]


def read_upload_with_doubt(data: bytes) -> tuple[np.ndarray, str | None]:
    """`read_upload`, and why the image may not hold one symbol (noise, texture, several marks), or None."""
    if not data:
        raise HTTPException(400, "empty file: the upload has no bytes; choose an image file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, TOO_LARGE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            rgb = _decode(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise HTTPException(
            400,
            f"too many pixels: the image claims {err}; the limit for uploads is "
            f"{UPLOAD_MAX_PIXELS / 1e6:g} megapixels; send a smaller image",
        ) from err
    except UnidentifiedImageError as err:
        raise HTTPException(
            400,
            "not an image: Pillow cannot identify this file; send a PNG, JPEG, GIF, BMP, TIFF or WebP image",
        ) from err
    except (OSError, ValueError) as err:
        raise HTTPException(400, f"cannot decode this image ({err}); it may be truncated or damaged") from err
    try:
        return preprocess.preprocess_with_doubt(rgb)
    except preprocess.UnreadableImage as err:
        raise HTTPException(422, str(err)) from err


def upload_bytes(image: UploadFile | None) -> bytes:
    if image is None:
        raise HTTPException(400, "no file: send the image as multipart/form-data in a field named 'image'")
    return image.file.read(MAX_UPLOAD_BYTES + 1)
