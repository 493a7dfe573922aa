"""An uploaded image file -> the 28x28 network input, behind limits: the file's size, its pixel
count, and a clear 4xx (an HTTPException with a `detail`) for anything that is not one readable image.

Memory: a 3-KB WebP can claim 88 megapixels (just under Pillow's own limit) and took 2.5 GB to decode,
four at once 7.4 GB. Uploads are held to UPLOAD_MAX_PIXELS, a JPEG is decoded at a reduced scale
(`Image.draft`, in imagefiles.upright_rgb), and images above LARGE_PIXELS are decoded one at a time.
"""

from __future__ import annotations

import contextlib
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


def _decoding(img: Image.Image):
    """A context in which `img` may be decoded: alone when it is large (after any draft)."""
    return _large_decode if img.width * img.height > LARGE_PIXELS else contextlib.nullcontext()


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
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > UPLOAD_MAX_PIXELS:
                    raise Image.DecompressionBombError(f"{img.width}x{img.height} pixels")
                img.draft("RGB", (imagefiles.MAX_SIDE, imagefiles.MAX_SIDE))  # a JPEG shrinks here, 1/2-1/8
                with _decoding(img):
                    rgb = imagefiles.upright_rgb(img)
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
