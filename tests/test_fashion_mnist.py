"""Fashion-MNIST's loader: Debian's gzipped IDX files, torchvision's raw folder, or how to get them."""

import gzip

import numpy as np
import pytest

from recognition.data import datasets


def write_idx_gz(folder, n_train=6, n_test=4):
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    raw = folder / "plain"
    datasets.write_raw_mnist(arrays, raw)
    folder.mkdir(parents=True, exist_ok=True)
    for name in datasets.RAW_FILES.values():
        with gzip.open(folder / f"{name}.gz", "wb") as f:
            f.write((raw / name).read_bytes())
    return arrays


def test_reads_the_debian_package_files_and_unpacks_them_once(tmp_path):
    arrays = write_idx_gz(tmp_path / "system")
    data = datasets.load_fashion_mnist(tmp_path / "data", download=False, system_dir=tmp_path / "system")
    assert np.array_equal(data.train_images.numpy(), arrays["train_images"])
    assert data.test_labels.tolist() == arrays["test_labels"].tolist()
    assert (tmp_path / "data" / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    again = datasets.load_fashion_mnist(tmp_path / "data", download=False, system_dir=tmp_path / "nowhere")
    assert "raw files" in again.source and len(again.train_images) == 6


def test_reads_gzipped_files_put_in_the_raw_folder(tmp_path):
    write_idx_gz(tmp_path / "data" / "FashionMNIST" / "raw")
    data = datasets.load_fashion_mnist(tmp_path / "data", download=False, system_dir=tmp_path / "nowhere")
    assert len(data.test_images) == 4


def test_offline_without_files_says_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        datasets.load_fashion_mnist(tmp_path, download=False, system_dir=tmp_path / "nowhere")
    assert "apt-get install dataset-fashion-mnist" in str(err.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in str(err.value)
