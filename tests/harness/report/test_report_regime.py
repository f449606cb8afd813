"""The report's regime and auto-size sections, from a small stored run: an (n, density)
plane with leverage_fast and svd along n, and auto sizes over d."""

import textwrap

import pandas as pd
import pytest

from attnbench import api
from attnbench.analysis import regime
from attnbench.report import findings
from attnbench.report.context import ReportContext
from attnbench.report.render import Figure, Table
from attnbench.report.sections import auto_size_section
from attnbench.report.sections_payoff import advice_section, regime_section
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
    n_components = [64, 1024]
    [experiment.reducers.countsketch]
    n_components = [256, 2048]
    [[experiment]]
    name = "payoff"
    [experiment.datasets]
    family = ["gaussian", "sparse"]
    density = [1.0, 0.002]
    zipped = [["family", "density"]]
    n = 64
    d = 16384
    [experiment.reducers.svd]
    [experiment.reducers.countsketch]
    n_components = [256, 4096]
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
    blocks = regime_section(ctx) + auto_size_section(ctx)
    return blocks, ctx.out, ctx.cells, ctx, advice_section(ctx)


def test_the_sections_show_the_map_the_crossover_and_the_auto_sizes(report):
    blocks, out, *_ = report
    figures = {b.name for b in blocks if isinstance(b, Figure)}
    tables = {b.name for b in blocks if isinstance(b, Table)}
    # leverage_fast reaches skill 0.9 at too few n here for a crossover at equal error
    assert figures == {"regime_map", "payoff_map", "auto_sizes"}
    assert tables == {"regime_map", "end_to_end", "route_times", "paper_sizes",
                      "compression_onset"}  # fmt: skip
    for name in figures:
        assert (out / "figures" / f"{name}.png").is_file(), name
    for name in tables:
        assert (out / "tables" / f"{name}.csv").is_file(), name


def test_end_to_end_times_are_stored_for_every_timed_cell(report):
    _, _, cells, *_ = report
    assert (cells["attend_times"].map(len) == cells["rounds"]).all()
    assert (cells["attend_median"] > 0).all() and (cells["direct_median"] > 0).all()
    # one direct route per dataset: the same rounds on every cell of a dataset
    per_dataset = cells.groupby("dataset_key")["direct_times"].agg(lambda t: len({tuple(x) for x in t}))
    assert (per_dataset == 1).all()


def test_svd_never_pays_off_over_the_direct_route(report):
    # svd computes the Gram (A(X)'s own cost) before it returns Y: payoff <= 1 within
    # noise, on sparse and dense X
    _, _, _, ctx, _ = report
    svd = ctx.routes[(ctx.routes["route"] == "svd") & ctx.routes["reached"]]
    assert {"gaussian", "sparse"} <= set(svd["dataset.family"])
    assert (svd["payoff_low"] <= 1.25).all(), svd[["dataset.family", "payoff", "payoff_low"]]
    assert not (ctx.winners["winner"] == "svd").any()


def test_who_should_use_what_opens_the_report_with_sentences(report):
    *_, advice = report
    from attnbench.report.context import SECTIONS

    titles = [s.title for s in SECTIONS]
    assert titles.index("Who should use what") < titles.index("Claims of the paper")
    said = " ".join(advice[1].items)
    assert "Dense X (gaussian" in said and "Sparse X (sparse" in said
    assert "payoff" in said and "MiniLM" in said


def test_the_tables_are_the_analysis_of_the_stored_cells(report):
    _, out, _, ctx, _ = report
    written = pd.read_csv(out / "tables" / "regime_map.csv")
    assert list(written["winner"].fillna("")) == list(ctx.winners["winner"].fillna(""))
    # the one-round m_vs_d cells never enter the map
    assert set(written["dataset.family"]) == {"sparse", "gaussian"} and len(written) == 8
    wide = pd.read_csv(out / "tables" / "end_to_end.csv")
    assert {"direct_time", "payoff.svd", "payoff.countsketch"} <= set(wide.columns)
    onset = pd.read_csv(out / "tables" / "compression_onset.csv").set_index("reducer")
    # n = 8: gaussian's Gordon bound asks for ~550 columns, more than d = 64, fewer than 4096
    assert onset.loc["gaussian", "compresses_from_d"] == 4096


def test_what_we_found_states_the_winners_and_every_crossover(report):
    *_, ctx, _ = report
    said = findings.regime_map(ctx)
    assert said[0].startswith("Fastest route to skill") and f"the {len(ctx.winners)} " in said[0]
    assert said[1:] == [regime.crossover_sentence(r) for r in ctx.crossovers.to_dict("records")]
