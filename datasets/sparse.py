"""Family ``sparse``: each entry is nonzero independently with probability ``density``,
with N(0, 1) values; CSR, then scaled to r.

Stresses the input-sparsity side of the cost models: nnz(X) ~ density * n * d and
sum_i nnz(X_i)^2 ~ d * (n density)^2 (+ n density (1 - density) per column) are far
below n * d, so reducers that touch only nonzeros should scale with them.

Generation is O(nnz) in time and memory, never dense-then-sparsified: the positions of
the nonzeros in row-major order form a Bernoulli(density) process on {0, ..., nd - 1},
whose gaps are i.i.d. Geometric(density); their cumulative sums are the positions,
already sorted, so they are the CSR column indices row by row.
"""

import math

import numpy as np
import scipy.sparse as sp

from attnbench.datasets.registry import Family, register_family

# Bytes per nonzero at the peak of generation: int64 positions, float64 values and the
# final int32 or int64 column indices, plus the slack of the gap draws.
BYTES_PER_NONZERO = 28


def bernoulli_positions(size, p, rng):
    """Sorted positions of the successes of ``size`` Bernoulli(p) trials, in O(p size)."""
    if p == 1.0:
        return np.arange(size, dtype=np.int64)
    expected = size * p
    # Draw a few standard deviations more gaps than expected successes; rarely too few,
    # in which case the loop draws more (the stream stays a deterministic function of rng).
    draws = int(expected + 6.0 * math.sqrt(expected) + 16)
    positions = _cumulative_gaps(rng, p, draws, start=-1)
    while positions[-1] < size:
        positions = np.concatenate([positions, _cumulative_gaps(rng, p, draws, positions[-1])])
    return positions[: np.searchsorted(positions, size)]


def _cumulative_gaps(rng, p, draws, start):
    gaps = rng.geometric(p, size=draws)
    np.cumsum(gaps, out=gaps)  # in place: one int64 array per draw is the memory peak
    gaps += start
    return gaps


@register_family("sparse")
class Sparse(Family):
    summary = "Bernoulli(density) pattern, N(0, 1) values, CSR: input-sparsity cost models"
    takes_density = True
    sparse = True

    def generate(self, spec, rng):
        n, d = spec.n, spec.d
        positions = bernoulli_positions(n * d, spec.density, rng)
        data = rng.standard_normal(positions.size)
        indptr = np.searchsorted(positions, np.arange(n + 1, dtype=np.int64) * d)
        np.remainder(positions, d, out=positions)  # row-major positions -> column indices
        index_dtype = np.int32 if max(d, positions.size) < 2**31 else np.int64
        indices = positions.astype(index_dtype)
        del positions
        return sp.csr_matrix((data, indices, indptr.astype(index_dtype)), shape=(n, d))

    def estimate_bytes(self, spec):
        nonzeros = spec.density * spec.n * spec.d
        return int(BYTES_PER_NONZERO * nonzeros) + 8 * (spec.n + 1)
