"""28x28 crops people make themselves go through the recipe unless they already match MNIST."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from recognition.data import preprocess


def mnist_like_seven() -> np.ndarray:
    """A 7 as MNIST's makers would store it: 20 px tall, centred by mass, full brightness."""
    big = Image.new("L", (200, 200), 0)
    ImageDraw.Draw(big).line([(30, 20), (170, 20), (80, 180)], fill=255, width=22, joint="curve")
    return preprocess.preprocess_own_image(big)


def to_image(a: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(a, 0, 1) * 255).round().astype(np.uint8))


def shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    padded = np.pad(a, 8)
    return padded[8 - dy : 36 - dy, 8 - dx : 36 - dx]


def shrunk(a: np.ndarray, side: int, top: int, left: int) -> np.ndarray:
    small = np.asarray(to_image(a).resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255
    out = np.zeros((28, 28), np.float32)
    out[top : top + side, left : left + side] = small
    return out


def blurred(a: np.ndarray, radius: float = 1.2) -> np.ndarray:
    return np.asarray(to_image(a).filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    soft = [np.asarray(to_image(x).filter(ImageFilter.GaussianBlur(1)), np.float32) for x in (a, b)]
    return float(np.corrcoef(soft[0].ravel(), soft[1].ravel())[0, 1])


def assert_mnist_shaped(a: np.ndarray) -> None:
    assert a.shape == (28, 28)
    assert preprocess.matches_mnist(a), (a.max(), preprocess.ink_extent(a), preprocess.centre_of_mass(a))


def test_the_reference_seven_matches_mnist_and_passes_untouched():
    seven = mnist_like_seven()
    assert_mnist_shaped(seven)
    stored = np.asarray(to_image(seven), np.float32) / 255
    assert np.allclose(preprocess.preprocess_own_image(to_image(seven)), stored, atol=1e-6)


@pytest.mark.parametrize(
    "name, degrade",
    [
        ("faint", lambda a: a * 0.35),
        ("blurred", blurred),
        ("small and off-centre", lambda a: shrunk(a, 11, 2, 15)),
        ("off-centre", lambda a: shifted(a, 4, -5)),
        ("faint, small and blurred", lambda a: blurred(shrunk(a, 14, 12, 1), 0.6) * 0.5),
        ("dark on white", lambda a: 1 - a),
    ],
)
def test_hand_made_crops_are_redone_like_mnist(name, degrade):
    seven = mnist_like_seven()
    crop = degrade(seven)
    assert not preprocess.matches_mnist(crop), f"the {name} crop should not count as MNIST-like"
    out = preprocess.preprocess_own_image(to_image(crop))
    assert_mnist_shaped(out)
    assert similarity(out, seven) > 0.8, name


@pytest.mark.parametrize(
    "check, crop",
    [
        ("extent", lambda a: shrunk(a, 15, 6, 6)),
        ("centring", lambda a: shifted(a, 0, 3)),
        ("contrast", lambda a: a * 0.8),
    ],
)
def test_each_mnist_criterion_alone_sends_a_crop_through_the_recipe(check, crop):
    a = crop(mnist_like_seven())
    assert not preprocess.matches_mnist(a), check


def test_small_images_are_enlarged_before_filtering():
    enlarged = preprocess._enlarge_small(np.zeros((28, 20, 3), np.float32))
    assert min(enlarged.shape[:2]) >= preprocess.SMALL_IMAGE and enlarged.shape[2] == 3
    big = np.zeros((300, 200, 3), np.float32)
    assert preprocess._enlarge_small(big) is big
