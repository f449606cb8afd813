"""Small seeded test matrices X (n tokens x d features) that the randomized guarantees
are tested on (the full dataset generators live in ``attnbench.datasets``; these are
deliberately tiny and self-contained).

The four ``FAMILIES``, zero-mean and fairly dense:

gaussian  i.i.d. N(0, 1): incoherent, leverage about n/d everywhere.
sparse    a fraction ``density`` of N(0, 1) entries, CSR.
coherent  Gaussian with ``heavy`` columns scaled by ``weight``: their leverage is close
          to 1 while the others share the remaining n - heavy.
lowrank   rank-``rank`` signal plus ``noise`` * N(0, 1): full rank, with a spectrum
          spanning orders of magnitude.

The ``ADVERSARIAL`` inputs, each built to break a sketch that only works on average
(the kind RandBLAS's experiments use):

private_columns   each row owns ``per_row`` columns (ones there, zeros elsewhere), CSR:
                  a sketch in which a row's columns cancel (opposite signs in one
                  bucket) loses the row; leverage 1/per_row on them, 0 elsewhere.
padded_identity   [I_n, 0]: n columns of leverage 1, every pair orthogonal; a sketch
                  with collisions merges two of them.
few_per_row       ``per_row`` N(0, 1) entries per row at random columns, CSR: almost
                  every nonzero column has leverage near 1.
rank_deficient    exact rank ``rank`` (no noise): the sketch must find the range.
nonnegative       uniform on [0, 1): one dominant direction (the mean), which a sketch
                  without random signs inflates by about d/m.
duplicated_heavy  Gaussian, plus ``heavy`` heavy columns each repeated ``copies`` times:
                  the copies share their leverage and, in a sketch, can cancel.

Test modules import the ``one_blas_thread`` fixture (autouse) from here as well.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits


def gaussian(n, d, rng):
    return rng.standard_normal((n, d))


def sparse(n, d, rng, density=0.05):
    return sp.random(n, d, density=density, format="csr", random_state=rng,
                     data_rvs=rng.standard_normal)


def coherent(n, d, rng, heavy=4, weight=30.0):
    X = rng.standard_normal((n, d))
    X[:, rng.choice(d, size=heavy, replace=False)] *= weight
    return X


def lowrank(n, d, rng, rank=4, noise=0.05):
    return rng.standard_normal((n, rank)) @ rng.standard_normal((rank, d)) + noise * (
        rng.standard_normal((n, d))
    )


FAMILIES = {"gaussian": gaussian, "sparse": sparse, "coherent": coherent, "lowrank": lowrank}


def private_columns(n, d, rng, per_row=2):
    columns = rng.permutation(d)[: n * per_row]
    return sp.csr_matrix((np.ones(n * per_row), columns, np.arange(n + 1) * per_row),
                         shape=(n, d))


def padded_identity(n, d, rng):
    return np.eye(n, d)


def few_per_row(n, d, rng, per_row=3):
    columns = np.concatenate([np.sort(rng.choice(d, per_row, replace=False)) for _ in range(n)])
    return sp.csr_matrix((rng.standard_normal(n * per_row), columns,
                          np.arange(n + 1) * per_row), shape=(n, d))


def rank_deficient(n, d, rng, rank=3):
    return rng.standard_normal((n, rank)) @ rng.standard_normal((rank, d))


def nonnegative(n, d, rng):
    return rng.random((n, d))


def duplicated_heavy(n, d, rng, heavy=2, copies=32, weight=30.0):
    X = rng.standard_normal((n, d))
    X[:, : heavy * copies] = np.repeat(weight * rng.standard_normal((n, heavy)), copies, axis=1)
    return X[:, rng.permutation(d)]


ADVERSARIAL = {
    "private_columns": private_columns,
    "padded_identity": padded_identity,
    "few_per_row": few_per_row,
    "rank_deficient": rank_deficient,
    "nonnegative": nonnegative,
    "duplicated_heavy": duplicated_heavy,
}


def make(family, n, d, seed, **options):
    """X of the named family (``FAMILIES`` or ``ADVERSARIAL``), drawn from ``default_rng(seed)``."""
    return (FAMILIES | ADVERSARIAL)[family](n, d, np.random.default_rng(seed), **options)


def layouts(X):
    """The same matrix as dense C, dense F, CSR, CSC and COO: {name: matrix}."""
    dense = X.toarray() if sp.issparse(X) else np.asarray(X)
    return {
        "C": np.ascontiguousarray(dense),
        "F": np.asfortranarray(dense),
        "csr": sp.csr_matrix(dense),
        "csc": sp.csc_matrix(dense),
        "coo": sp.coo_matrix(dense),
    }


@pytest.fixture(autouse=True)
def one_blas_thread():
    """BLAS limited to one thread: a shared, oversubscribed machine makes BLAS threads spin."""
    with threadpool_limits(1):
        yield
