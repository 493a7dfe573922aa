"""Task 3's letter sets: images read into MNIST-like inputs, folders given by a flag used as they are,
and the built-in sets generated under --data-dir when missing."""

import numpy as np
import pytest
from greek_helpers import saved_network
from PIL import Image, ImageDraw

import task3_greek_embedding as task3
from recognition import cli, letter_tuning
from recognition.data import builtin, greeksets
from recognition.handwriting import glyphs


def bar_image(size=136, mode="L", box=(60, 30, 76, 106)) -> Image.Image:
    """A dark vertical bar on light paper, off-centre, in the course's format."""
    img = Image.new("L", (size, size), 235)
    ImageDraw.Draw(img).rectangle(box, fill=20)
    return img.convert(mode)


def disc_image(size=136) -> Image.Image:
    img = Image.new("L", (size, size), 235)
    ImageDraw.Draw(img).ellipse((30, 30, 106, 106), outline=20, width=10)
    return img


def write(img: Image.Image, path, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kw)
    return path


@pytest.fixture
def two_letter_folder(tmp_path):
    root = tmp_path / "greek"
    for i in range(2):
        write(bar_image(box=(50 + 10 * i, 30, 66 + 10 * i, 106)), root / "iota" / f"iota_{i}.png")
        write(disc_image(), root / "omicron" / f"omicron_{i}.png")
    return root


# --- reading the images ------------------------------------------------------------------


def column_centre(image: np.ndarray) -> float:
    cols = image.sum(axis=0)
    return float((np.arange(len(cols)) * cols).sum() / cols.sum())


@pytest.mark.parametrize("transform", ["mnist", "course"])
def test_a_drawn_bar_lands_centred_bright_on_black(two_letter_folder, transform):
    ref = greeksets.load_reference(two_letter_folder, transform, None)
    assert ref.labels == ["iota", "iota", "omicron", "omicron"]  # alphabet order: iota before omicron
    bar = ref.images[1].numpy()  # the bar in the middle of the paper
    assert bar.shape == (28, 28)
    border = np.concatenate([bar[:2].ravel(), bar[-2:].ravel(), bar[:, :2].ravel(), bar[:, -2:].ravel()])
    assert border.mean() < 0.1 and bar.max() > 0.8  # bright ink on black
    assert abs(column_centre(bar) - 13.5) < 1.0
    assert (bar > 0.5).any(axis=1).sum() >= 17  # a tall bar: it fills most of the height


def test_only_the_mnist_recipe_centres_an_off_centre_bar(two_letter_folder):
    off_centre = {
        t: greeksets.load_reference(two_letter_folder, t, None).images[0].numpy() for t in ("mnist", "course")
    }
    assert abs(column_centre(off_centre["mnist"]) - 13.5) < 1.0
    assert column_centre(off_centre["course"]) < 12.5  # the course's crop keeps the bar where it was drawn


def test_transparent_png_and_jpeg_read_like_the_plain_image(tmp_path):
    root = tmp_path / "greek"
    grey = bar_image()
    ink = np.asarray(grey) < 128
    rgba = np.zeros((*ink.shape, 4), np.uint8)  # transparent paper, opaque black ink
    rgba[ink] = (0, 0, 0, 255)
    write(grey, root / "iota" / "plain.png")
    write(Image.fromarray(rgba, "RGBA"), root / "iota" / "transparent.png")
    write(bar_image(mode="RGB"), root / "iota" / "photo.jpg", quality=90)
    write(disc_image(), root / "omicron" / "o.png")
    ref = greeksets.load_reference(root, "mnist", None)
    names = [p.name for p in ref.paths]
    plain = ref.images[names.index("plain.png")]
    for name in ("transparent.png", "photo.jpg"):
        other = ref.images[names.index(name)]
        # JPEG ringing may move a stroke edge by a pixel, nothing more
        assert float((other - plain).abs().mean()) < 0.08, name


def test_hidden_files_checkpoints_and_non_images_are_ignored_and_an_empty_class_is_reported(
    two_letter_folder, capsys
):
    root = two_letter_folder
    write(bar_image(), root / ".ipynb_checkpoints" / "iota_0-checkpoint.png")
    write(bar_image(), root / "iota" / ".hidden.png")
    write(bar_image(), root / "iota" / ".ipynb_checkpoints" / "iota_1-checkpoint.png")
    (root / ".DS_Store").write_bytes(b"\0")
    (root / "notes.txt").write_text("not an image")
    (root / "delta").mkdir()
    ref = greeksets.load_reference(root, "mnist", None)
    assert sorted(set(ref.labels)) == ["iota", "omicron"] and len(ref.labels) == 4
    out = capsys.readouterr().out
    assert "notes.txt" in out and "not an image" in out
    assert "delta holds no images" in out
    assert "-checkpoint.png" not in out and ".DS_Store" not in out and ".hidden" not in out


def test_missing_letters_and_a_single_letter_are_clear_errors(two_letter_folder, tmp_path):
    with pytest.raises(cli.UserError, match="no images of delta"):
        greeksets.load_reference(two_letter_folder, "mnist", ("iota", "delta"))
    write(bar_image(), tmp_path / "one" / "iota" / "a.png")
    with pytest.raises(cli.UserError, match="at least two letters"):
        greeksets.load_reference(tmp_path / "one", "mnist", None)


# --- which folders ---------------------------------------------------------------------------


def test_a_missing_built_in_folder_is_generated_in_the_data_dir_and_a_given_one_never(tmp_path, capsys):
    data, own = tmp_path / "data", tmp_path / "mine"
    own.mkdir()
    greek, own_dir, generated = greeksets.letter_folders(None, own, data, all_letters=False, seed=0)
    assert greek == data / "greek" and own_dir == own and generated == [str(data / "greek")]
    assert sorted(p.name for p in greek.iterdir()) == sorted(glyphs.REFERENCE_LETTERS)
    assert len(list(greek.rglob("*.png"))) == 9 * len(glyphs.REFERENCE_LETTERS)
    assert "was missing: generated 36" in capsys.readouterr().out
    assert not list(own.iterdir())  # a folder given by its flag is never written into
    assert greeksets.letter_folders(None, own, data, all_letters=False, seed=0)[2] == []  # now it exists
    for given, what in ((tmp_path / "nowhere", "does not exist"), (tmp_path / "x.png", "is a file")):
        given.touch() if given.suffix else None
        with pytest.raises(cli.UserError, match=f"--greek-dir {given} {what}.*leave out --greek-dir"):
            greeksets.letter_folders(given, own, data, all_letters=False, seed=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "mine", "x.png"]  # nothing else written


def test_every_built_in_letter_folder_lies_in_the_data_dir(tmp_path, monkeypatch):
    """The reference, other-writers and selection sets, of four letters and of all 24: `make figures`
    writes them all with `python -m recognition.data.builtin --data-dir DIR` (here only recorded)."""
    made = []
    monkeypatch.setattr(greeksets, "generate_letter_set", lambda folder, *args, **kw: made.append(folder))
    monkeypatch.setattr(letter_tuning, "tuning_set", lambda folder, *args: made.append(folder) or folder)
    data = tmp_path / "elsewhere"
    names = ("greek", "greek_own", "greek_all", "greek_own_all", "greek_select", "greek_select_all")
    names += ("greek_tune",)
    assert builtin.letter_sets(data, 0) == [str(data / name) for name in names]
    assert made == [data / n for n in names]
    assert greeksets.selection_folder(None, data, all_letters=True, seed=0) == data / "greek_select_all"
    with pytest.raises(cli.UserError, match="--select-dir"):
        greeksets.load_selection(tmp_path / "none", data, False, "mnist", ["alpha"], 0)


def test_an_explicit_greek_dir_wins_and_names_the_letters_it_lacks(two_letter_folder, tmp_path, monkeypatch):
    """--greek-dir with --letters beyond its folders once read data/greek_all silently: now an error."""
    monkeypatch.chdir(tmp_path)
    model = saved_network(tmp_path / "models" / "mnist_net.pt")
    with pytest.raises(cli.UserError) as err:
        task3.main(
            [
                "--greek-dir",
                str(two_letter_folder),
                "--own-dir",
                str(two_letter_folder),
                "--letters",
                "iota,delta,omicron,zeta",
                "--model",
                str(model),
                "--figures-dir",
                str(tmp_path / "figs"),
                "--data-dir",
                str(tmp_path / "letters"),
            ]
        )
    message = str(err.value)
    assert str(two_letter_folder) in message and "delta, zeta" in message and "--letters" in message
    # nothing built-in was generated or read, in the working directory or the data dir
    assert not (tmp_path / "data").exists() and not (tmp_path / "letters").exists()
