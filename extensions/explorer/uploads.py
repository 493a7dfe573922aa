"""An uploaded image file -> the 28x28 network input, behind limits: the file's size, its pixel
count, and a clear 4xx (an HTTPException with a `detail`) for anything that is not one readable image.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from fastapi import HTTPException, UploadFile
from PIL import Image, UnidentifiedImageError

from recognition.data import imagefiles, preprocess

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MULTIPART_SLACK = 64 * 1024  # form boundaries and headers around the file
TOO_LARGE = f"file too large: the limit is {MAX_UPLOAD_BYTES // 2**20} MB; send a smaller image"


def read_upload(data: bytes) -> np.ndarray:
    """An uploaded file's bytes -> the 28x28 network input, or an HTTPException saying what is wrong."""
    if not data:
        raise HTTPException(400, "empty file: the upload has no bytes; choose an image file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, TOO_LARGE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > Image.MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError(f"{img.width}x{img.height} pixels")
                rgb = imagefiles.upright_rgb(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise HTTPException(
            400,
            f"decompression bomb: the image claims too many pixels ({err}); the limit "
            f"is {Image.MAX_IMAGE_PIXELS} pixels",
        ) from err
    except UnidentifiedImageError as err:
        raise HTTPException(
            400,
            "not an image: Pillow cannot identify this file; send a PNG, JPEG, GIF, BMP, TIFF or WebP image",
        ) from err
    except (OSError, ValueError) as err:
        raise HTTPException(400, f"cannot decode this image ({err}); it may be truncated or damaged") from err
    try:
        return preprocess.preprocess_own_image(rgb)
    except preprocess.UnreadableImage as err:
        raise HTTPException(422, str(err)) from err


def upload_bytes(image: UploadFile | None) -> bytes:
    if image is None:
        raise HTTPException(400, "no file: send the image as multipart/form-data in a field named 'image'")
    return image.file.read(MAX_UPLOAD_BYTES + 1)
