"""Stored runs stay comparable: the metrics and cell keys of a fixed set of cells, symmetric
and asymmetric, equal those in ``fixtures/stored_metrics.json``, so a change that moves a
stored metric or a cell key shows here (the metric definitions are fixed:
docs/metrics.md).

``python tests/harness/test_stored_metrics.py`` rewrites the fixture with
:func:`measure`, which is only right when a change of a reducer's output or of the
metrics is intended; the commit that rewrites it says why.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from attnbench.sweep.config import parse_config
from attnbench.sweep.grid import make_cells
from attnbench.sweep.runner import WorkerState, execute_cell

FIXTURE = Path(__file__).parent / "fixtures" / "stored_metrics.json"

CONFIG = """
name = "stored-metrics"
[settings]
repeats = 1
warmup = 0
[[experiment]]
name = "symmetric"
[experiment.datasets]
family = ["gaussian", "sparse", "coherent"]
density = [1.0, 0.1, 1.0]
zipped = [["family", "density"]]
n = 10
d = 300
r = [0.05, 2.0]
[experiment.reducers.zero]
[experiment.reducers.svd]
n_components = 4
[experiment.reducers.gaussian]
n_components = 16
[experiment.reducers.uniform]
n_components = 32
[experiment.reducers.leverage_exact]
n_components = 32
[experiment.reducers.countsketch]
n_components = 32
[experiment.reducers.bss]
[[experiment]]
name = "asymmetric"
settings = { attention = "asymmetric", qk_correlation = 0.3, input_format = "csr" }
[experiment.datasets]
family = ["gaussian", "sparse"]
density = [1.0, 0.1]
zipped = [["family", "density"]]
n = 10
d = 300
r = [0.05, 2.0]
[experiment.reducers.zero]
[experiment.reducers.svd]
n_components = 4
[experiment.reducers.gaussian]
n_components = 16
[experiment.reducers.leverage_exact]
n_components = 32
"""


def measure(cache_dir):
    """{cell key: {"label", "metrics", "r"}} of every cell of CONFIG, run in-process."""
    state = WorkerState(cache_dir)
    out = {}
    for cell in make_cells(parse_config(CONFIG, "stored-metrics.toml")):
        result = execute_cell(cell, state)
        out[cell.key] = {
            "label": f"{cell.experiment}: {cell.label}",
            "metrics": result["metrics"],
            "r": result["dataset_stats"]["r"],
        }
    return out


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    return measure(str(tmp_path_factory.mktemp("cache")))


def test_cell_keys_are_unchanged(measured):
    """The keys decide what --resume skips: a changed key would rerun stored cells."""
    stored = json.loads(FIXTURE.read_text())
    assert sorted(measured) == sorted(stored)


def test_metrics_equal_the_stored_ones(measured):
    """Bitwise on the machine that wrote the fixture; elsewhere BLAS may round the last
    digits differently, so the bound is 1e-12 relative (a changed scaling, seed or
    definition moves them by far more)."""
    stored = json.loads(FIXTURE.read_text())
    for key, cell in stored.items():
        now = measured[key]
        assert sorted(now["metrics"]) == sorted(cell["metrics"]), cell["label"]
        for name, value in cell["metrics"].items():
            np.testing.assert_allclose(
                now["metrics"][name],
                value,
                rtol=1e-12,
                atol=1e-15,
                err_msg=f"{cell['label']}: {name}",
            )
        np.testing.assert_allclose(now["r"], cell["r"], rtol=1e-12, err_msg=cell["label"])


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        FIXTURE.parent.mkdir(exist_ok=True)
        FIXTURE.write_text(json.dumps(measure(tmp), indent=1, sort_keys=True) + "\n")
    sys.exit(0)
