"""The own-image preprocessing: one recipe for every photo, scan or crop people bring.

People's own images (digits or Greek letters; scans or phone photos; any ink colour and either
polarity) all go through `preprocess_own_image`, which redoes what MNIST's makers did: ink bright
on black, cropped, longer side 20 px, centred by its centre of mass in 28x28. The course's Greek
transform is here too, as the alternative Task 3 compares against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import ndimage

from recognition.data.strokes import MNIST_SIDE, centre_of_mass, grey_morph, mnist_frame, stroke_width


class UnreadableImage(ValueError):
    pass


MIN_CONTRAST = 0.05  # ink must differ from the paper by 5% of the full range to count


MNIST_EXTENT = (18, 22)  # longest side of an MNIST digit's ink, px (all of MNIST's test set: 19-20)
MNIST_COM_TOLERANCE = 1.5  # px from the frame's centre; MNIST's own centres lie within 1.42
FULL_BRIGHTNESS = 0.9  # MNIST strokes reach 255: an image whose brightest ink is fainter is faint
SMALL_IMAGE = 112  # images smaller than this are enlarged first, so the recipe's px-scale filters fit


TRANSPARENT = "recognition: transparency flattened"  # Image.info key imagefiles.read_image sets


def preprocess_own_image(img: Image.Image) -> np.ndarray:
    """A photo, scan or crop of one symbol -> float32 28x28 in [0,1], bright ink on black, MNIST-style.

    Every image goes through the recipe, 28x28 crops included (people shrink their own digits
    and often get them faint, blurred, small or off-centre); only an image that already matches
    MNIST on size, centring and contrast (`matches_mnist`) passes through untouched.
    """
    return preprocess_with_doubt(img)[0]


def preprocess_with_doubt(img: Image.Image) -> tuple[np.ndarray, str | None]:
    """`preprocess_own_image`, and why the image may not hold one symbol (`symbol_doubt`), or None."""
    rgb = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    if rgb.shape[:2] == (MNIST_SIDE, MNIST_SIDE) and matches_mnist(rgb.mean(axis=2)):
        return rgb.mean(axis=2), None
    try:
        ink = _without_specks(ink_map(_enlarge_small(rgb)))
    except UnreadableImage as err:
        if img.info.get(TRANSPARENT):
            raise UnreadableImage(f"{err}; its transparency (alpha channel) holds no marks either") from err
        raise
    doubt = symbol_doubt(ink)
    return mnist_frame(ink), doubt


# When the ink does not look like one symbol (symbol_doubt); measured on the cleaned ink map, where
# 120 generated own digits and 1000 MNIST test digits as photos have 696 or more pixels in their
# largest blob, ink over at most a third of the frame, and never two digit-sized blobs apart.
MIN_SYMBOL_PIXELS = 30  # uniform noise leaves blobs of a few pixels
MAX_INK_SHARE = 0.5
PEER_MASS, PEER_HEIGHT = 0.3, 0.5  # a blob with this share of the largest's ink and height is a symbol too


def symbol_doubt(ink: np.ndarray) -> str | None:
    """Why an ink map may not hold one symbol: hardly any ink (noise), ink over most of the frame, or
    several separate blobs of a symbol's size side by side or one above another (a 5's flag or an
    i's dot is far smaller). None when it looks like one symbol."""
    labelled, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if count == 0:
        return None
    boxes = ndimage.find_objects(labelled)
    mass = ndimage.sum_labels(ink, labelled, index=np.arange(1, count + 1))
    pixels = ndimage.sum_labels(ink > 0, labelled, index=np.arange(1, count + 1))
    big = int(np.argmax(mass))
    if pixels[big] < MIN_SYMBOL_PIXELS:
        return "hardly any ink, only scattered specks: noise rather than a symbol?"
    if (ink > 0).mean() > MAX_INK_SHARE:
        return "ink over most of the image: a texture or a photo rather than one symbol?"
    height = lambda i: boxes[i][0].stop - boxes[i][0].start  # noqa: E731
    peers = [
        i for i in range(count) if mass[i] >= PEER_MASS * mass[big] and height(i) >= PEER_HEIGHT * height(big)
    ]

    def apart(a, b) -> bool:
        return any(min(a[d].stop, b[d].stop) <= max(a[d].start, b[d].start) for d in (0, 1))

    separate = {i for i in peers for j in peers if i != j and apart(boxes[i], boxes[j])}
    if separate:
        return f"{len(separate)} separate marks of a symbol's size: more than one symbol? (one per image)"
    return None


def ink_map(rgb: np.ndarray) -> np.ndarray:
    """Where the ink is on a whole photo (H, W, 3 in [0,1]): 0 for paper, shadow and noise, up to 1
    for strokes, whatever the ink's colour or polarity. The first half of the recipe; sheets.py
    finds the digits of a page in it."""
    ink = _flatten_background(_denoise(_ink_signal(rgb)))
    if ink.max() < MIN_CONTRAST:
        raise UnreadableImage("no ink found: the image looks blank (or ink and paper are the same tone)")
    ink = _clean(ink)
    if ink.max() <= 0:
        raise UnreadableImage("no ink found above the paper's noise: the image is too noisy or too faint")
    return ink


def ink_extent(grey: np.ndarray, level: float = 0.1) -> int:
    """The longer side (px) of the box around the pixels brighter than `level` of the full range."""
    rows, cols = np.nonzero(grey.max(axis=1) > level)[0], np.nonzero(grey.max(axis=0) > level)[0]
    return 0 if rows.size == 0 else int(max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1)


def matches_mnist(grey: np.ndarray) -> bool:
    """A 28x28 image that MNIST's makers could have made: bright strokes reaching full brightness
    on black, its ink 18-22 px long and its centre of mass within 1.5 px of the centre.

    (MNIST's digits may touch the frame: centring by mass can push the 20-px box to an edge.)
    """
    if grey.shape != (MNIST_SIDE, MNIST_SIDE) or grey.max() < FULL_BRIGHTNESS or np.median(grey) > 0.1:
        return False
    centre = (MNIST_SIDE - 1) / 2
    cy, cx = centre_of_mass(grey)
    return bool(
        MNIST_EXTENT[0] <= ink_extent(grey) <= MNIST_EXTENT[1]
        and np.hypot(cy - centre, cx - centre) <= MNIST_COM_TOLERANCE
    )


def _enlarge_small(rgb: np.ndarray) -> np.ndarray:
    """Enlarge a small image (a 28x28 crop, a thumbnail) smoothly, so that a 3x3 blur or a
    stroke-width estimate is about the stroke, not about single pixels."""
    h, w = rgb.shape[:2]
    if min(h, w) >= SMALL_IMAGE:
        return rgb
    factor = int(np.ceil(SMALL_IMAGE / min(h, w)))
    t = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]
    big = F.interpolate(t, scale_factor=factor, mode="bicubic", align_corners=False)[0]
    return big.clamp(0, 1).numpy().transpose(1, 2, 0)


def border_pixels(a: np.ndarray, b: int) -> np.ndarray:
    """The pixels (or RGB triples) of the `b`-pixel-wide frame around an image."""
    return np.concatenate(
        [
            a[:b].reshape(-1, *a.shape[2:]),
            a[-b:].reshape(-1, *a.shape[2:]),
            a[:, :b].reshape(-1, *a.shape[2:]),
            a[:, -b:].reshape(-1, *a.shape[2:]),
        ]
    )


def _border(a: np.ndarray) -> np.ndarray:
    return border_pixels(a, max(1, min(a.shape[:2]) // 20))


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
    # The strongest 0.5%, fewer pixels than even a small thin digit's strokes: with 2%, the corners of a
    # hard shadow's lit side (which the capped top-hat keeps) outvoted a small digit and flipped the polarity.
    strongest = stroke_likeness >= np.quantile(stroke_likeness, 0.995)
    direction = diff[strongest].mean(axis=0)
    direction /= max(np.linalg.norm(direction), 1e-6)
    return np.clip(diff @ direction, 0, None)


def _denoise(ink: np.ndarray) -> np.ndarray:
    """A 3x3 binomial blur: sensor noise is per pixel, strokes are wider than that."""
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None]) / 16
    t = torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None]
    t = F.pad(t, (1, 1, 1, 1), mode="replicate")
    return F.conv2d(t, kernel[None, None])[0, 0].numpy()


def _otsu(values: np.ndarray) -> float:
    hist, edges = np.histogram(values, bins=128)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres) / np.maximum(w0, 1)
    m1 = (np.sum(hist * centres) - np.cumsum(hist * centres)) / np.maximum(w1, 1)
    return float(centres[np.argmax(w0 * w1 * (m0 - m1) ** 2)])


def _flatten_background(ink: np.ndarray) -> np.ndarray:
    """Subtract slowly varying shading (shadows, uneven light) with a morphological top-hat.

    The opening window is a few stroke widths wide, so it removes the strokes but follows the
    shading; estimating the stroke width first keeps a thick marker from being erased. The window
    is capped at a quarter of the image, since a shadow's plateau can pass for a very wide stroke.
    Shading is smooth, so the opening runs on a block-minimum thumbnail and is scaled back up.
    """
    if min(ink.shape) < 40 or _even_paper(ink):  # a small, tightly cropped image has no room for shading
        return ink - np.median(_border(ink))
    width = stroke_width(ink > _otsu(ink))
    size = int(min(max(5, 3 * width + 1), min(ink.shape) // 4))
    block = max(1, size // 7)
    t = torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None]
    thumb = -F.max_pool2d(-t, block, ceil_mode=True)[0, 0].numpy()
    k = max(3, size // block) | 1
    opened = grey_morph(grey_morph(thumb, k, "min"), k, "max")
    background = F.interpolate(
        torch.from_numpy(opened)[None, None], size=ink.shape, mode="bilinear", align_corners=False
    )[0, 0].numpy()
    # Scaling back up blurs a shadow's edge by a block; spreading the background's maximum that
    # far keeps that edge from surviving as a thin, ink-like ridge.
    return ink - grey_morph(background, 2 * block + 1, "max")


EVEN_PAPER = 0.1  # of the ink's contrast: paper that varies less along the border has no shading
BORDER_STRETCHES = 8  # per side


def _even_paper(ink: np.ndarray) -> bool:
    """Whether the paper round the image is one level (a scan, an evenly lit photo): the medians of
    the border's stretches differ by less than a tenth of the ink's contrast. Then there is no
    shading to take away, and the top-hat would take away the broad base of blurred or heavy strokes
    instead, which it cannot tell from shading (on scikit-learn's real UCI digits, read as smooth
    scans, it cost 9s their loops and 3s, 5s and 9s read as one another)."""
    b = max(1, min(ink.shape) // 20)
    sides = [ink[:b], ink[-b:], ink[:, :b].T, ink[:, -b:].T]
    levels = [np.median(part) for side in sides for part in np.array_split(side, BORDER_STRETCHES, axis=1)]
    paper = np.median(_border(ink))
    return max(levels) - min(levels) < EVEN_PAPER * (np.quantile(ink, 0.99) - paper)


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


SPECK = 0.05  # an ink blob with less than this share of the biggest blob's ink is not part of the symbol


def _without_specks(ink: np.ndarray) -> np.ndarray:
    """Drop small separate blobs (a shadow's edge where it meets the frame, dirt, a neighbour's
    stroke tip) that would otherwise stretch the crop and shrink the symbol; a digit's own
    separate parts (a 5's flag, a 4's stem) carry far more ink than this."""
    labelled, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if count < 2:
        return ink
    mass = ndimage.sum_labels(ink, labelled, index=np.arange(1, count + 1))
    keep = np.concatenate([[False], mass >= SPECK * mass.max()])
    return ink * keep[labelled]


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


# How MNIST-like a set of 28x28 inputs is (Task 3 a: each transform's inputs beside MNIST's digits).


@dataclass
class InkStatistics:
    """Means over a set of 28x28 inputs: the border's brightness (ink polarity), the centre of
    mass's distance from the centre, the ink's height and its stroke width."""

    border_brightness: float
    centre_offset_px: float
    ink_height_px: float
    stroke_width_px: float


def ink_statistics(images) -> InkStatistics:
    """How MNIST-like 28x28 inputs are: ink polarity, centring, size and stroke width (means)."""
    images = np.asarray(images, dtype=np.float64)
    centre = (MNIST_SIDE - 1) / 2
    border, offset, height, width = [], [], [], []
    for img in images:
        border.append(border_pixels(img, 2).mean())
        offset.append(np.hypot(*(np.array(centre_of_mass(img)) - centre)))
        rows = np.flatnonzero((img > 0.5).any(axis=1))
        height.append(rows[-1] - rows[0] + 1 if rows.size else 0)
        width.append(stroke_width(img > 0.5))
    return InkStatistics(
        border_brightness=float(np.mean(border)),
        centre_offset_px=float(np.mean(offset)),
        ink_height_px=float(np.mean(height)),
        stroke_width_px=float(np.mean(width)),
    )
