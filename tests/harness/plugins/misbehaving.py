"""Reducers that misbehave on purpose, to test the sweep's fault isolation."""

import os
import time

import scipy.sparse as sp

from attnbench.algorithms import ProjectionReducer


class _Base(ProjectionReducer):
    family = "trivial"
    deterministic = True
    cost_model = "constant"

    def __init__(self, seconds=0.0):
        self.seconds = seconds


class Raises(_Base):
    name = "test_raises"

    def _make_components(self, X, rng):
        raise RuntimeError("this reducer always fails")


class Exits(_Base):
    name = "test_exits"

    def _make_components(self, X, rng):
        os._exit(1)


class Sleeps(_Base):
    """Sleeps ``seconds`` per fit, then behaves like the m = 0 reducer."""

    name = "test_sleeps"

    def _make_components(self, X, rng):
        time.sleep(self.seconds)
        return sp.csr_matrix((X.shape[1], 0))
