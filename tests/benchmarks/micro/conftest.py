"""Every microbenchmark runs with BLAS on one thread (the timing protocol, docs/timing.md)."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1):
        yield
