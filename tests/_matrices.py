"""Small seeded test matrices X (n tokens x d features) in the four families that the
randomized guarantees are tested on (the full dataset generators live in
``attnbench.datasets``; these are deliberately tiny and self-contained).

gaussian  i.i.d. N(0, 1): incoherent, leverage about n/d everywhere.
sparse    a fraction ``density`` of N(0, 1) entries, CSR.
coherent  Gaussian with ``heavy`` columns scaled by ``weight``: their leverage is close
          to 1 while the others share the remaining n - heavy.
lowrank   rank-``rank`` signal plus ``noise`` * N(0, 1): full rank, with a spectrum
          spanning orders of magnitude.

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


def make(family, n, d, seed, **options):
    """X of the named family, drawn from ``default_rng(seed)``."""
    return FAMILIES[family](n, d, np.random.default_rng(seed), **options)


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
