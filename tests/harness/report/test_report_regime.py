"""The report's regime and auto-size sections, from a small stored run: an (n, density)
plane with leverage_fast and svd along n, and auto sizes over d."""

import textwrap
from types import SimpleNamespace

import pandas as pd
import pytest

from attnbench import api
from attnbench.analysis import regime
from attnbench.report import findings
from attnbench.report.render import Figure, Table
from attnbench.report.sections import ReportContext, auto_size_section, regime_section
from attnbench.store import read_run
from attnbench.sweep.config import parse_config

RUN = textwrap.dedent(
    """
    name = "small-regime"
    [settings]
    repeats = 3
    warmup = 0
    [[experiment]]
    name = "regime_map"
    [experiment.datasets]
    family = "sparse"
    n = [8, 16, 32]
    d = 1024
    density = [0.05, 0.2]
    [experiment.reducers.svd]
    [experiment.reducers.leverage_fast]
    n_components = 64
    [experiment.reducers.countsketch]
    n_components = 256
    [[experiment]]
    name = "m_vs_d"
    settings = { repeats = 1 }
    [experiment.datasets]
    family = "gaussian"
    n = 8
    d = [64, 4096, 16384]
    [experiment.reducers.gaussian]
    [experiment.reducers.leverage_exact]
    """
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """(blocks of the two sections, their folder, the report's ok cells)."""
    folder = tmp_path_factory.mktemp("regime")
    store = folder / "store.sqlite"
    api.run(parse_config(RUN, "small-regime.toml"), store, cache_dir=folder / "cache")
    info, cells = read_run(store)
    ctx = ReportContext(cells, info, folder / "report")
    return regime_section(ctx) + auto_size_section(ctx), ctx.out, ctx.cells


def test_the_sections_show_the_map_the_crossover_and_the_auto_sizes(report):
    blocks, out, _ = report
    figures = {b.name for b in blocks if isinstance(b, Figure)}
    tables = {b.name for b in blocks if isinstance(b, Table)}
    assert figures == {"regime_map", "crossover", "auto_sizes"}
    assert tables == {"regime_map", "crossover", "compression_onset"}
    for name in figures:
        assert (out / "figures" / f"{name}.png").is_file(), name
    for name in tables:
        assert (out / "tables" / f"{name}.csv").is_file(), name


def test_the_tables_are_the_analysis_of_the_stored_cells(report):
    _, out, cells = report
    written = pd.read_csv(out / "tables" / "regime_map.csv")
    expected = regime.winners(regime.point_medians(cells))
    assert list(written["winner"].fillna("")) == list(expected["winner"].fillna(""))
    # the one-round m_vs_d cells never enter the map
    assert set(written["dataset.family"]) == {"sparse"} and len(written) == 6
    onset = pd.read_csv(out / "tables" / "compression_onset.csv").set_index("reducer")
    # n = 8: gaussian's Gordon bound asks for ~550 columns, more than d = 64, fewer than 4096
    assert onset.loc["gaussian", "compresses_from_d"] == 4096
    crossing = pd.read_csv(out / "tables" / "crossover.csv")
    assert set(crossing["dataset.density"]) == {0.05, 0.2} and (crossing["n_min"] == 8).all()


def test_what_we_found_states_the_winners_and_every_crossover(report):
    _, _, cells = report
    ctx = SimpleNamespace(  # what the finder reads of a ReportContext
        winners=regime.winners(regime.point_medians(cells)), crossovers=regime.crossover(cells)
    )
    said = findings.regime_map(ctx)
    table = regime.winners(regime.point_medians(cells))
    assert said[0].startswith("Fastest to the target error") and f"the {len(table)} " in said[0]
    crossings = regime.crossover(cells)
    assert said[1:] == [regime.crossover_sentence(r) for r in crossings.to_dict("records")]
    assert len(said) == 1 + len(crossings) and all("time over svd's" in s for s in said[1:])
