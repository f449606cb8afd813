"""Shared fixtures; plain helpers live in tests/_support.py."""

import pytest

from _support import gaussian_matrix


@pytest.fixture
def X_small():
    return gaussian_matrix(8, 300, seed=1)
