"""The claim rules (attnbench.analysis.claims): pre-registered and stamped, with power.

Each rule is shown to say "fails" on a planted fault and "holds" on the model it
tests, on synthetic cells whose times, sizes and errors follow known laws; the
calibration reducers are judged "fails" on their planted part in a stored synthetic run
shaped like the paper preset; a run made under other rules gets no verdict."""

import math

import numpy as np
import pandas as pd
import pytest

from _support import synthetic_cells
from attnbench import paper
from attnbench.analysis import claims
from attnbench.report import build_report, figures
from attnbench.store import read_run
from attnbench.store.facts import RunFacts

LEVERAGE = lambda n, nnz: 36e-9 * nnz + 1e-10 * n**3 + 1e-3  # Thm 1 at ω = 3


def _time_cells(law, noise=0.03, repeats=5, reducer="leverage_fast"):
    """Dedicated sweeps along n, d and the density of sparse X, times from ``law``."""
    points = [{"n": n, "d": 2**20} for n in (256, 512, 1024, 2048, 4096)]
    points += [{"n": 1024, "d": 2**p} for p in range(16, 23)]
    points += [{"n": 1024, "d": 2**20, "density": rho} for rho in (5e-4, 1e-3, 4e-3, 8e-3)]
    for p in points:
        p.setdefault("density", 2e-3)
        p |= {"family": "sparse", "time": law(p["n"], p["n"] * p["d"] * p["density"])}
    return synthetic_cells(points, noise=noise, repeats=repeats, reducer=reducer, m=1000.0)


def _verdict(cells, part, reducer="leverage_fast", claim="randomized"):
    table = claims.check_claims(cells).verdicts
    row = table[(table["claim"] == claim) & (table["part"] == part) & (table["reducer"] == reducer)]
    return row["verdict"].iloc[0], row["measured"].iloc[0]


def test_time_rule_holds_on_the_claimed_cost():
    assert _verdict(_time_cells(LEVERAGE), "time")[0] == "holds"


def test_time_rule_fails_a_cost_of_n_times_nnz():
    # Along n, n nnz(X) has slope 2 < omega, and along d and nnz slope 1 like nnz(X): only
    # the model fitted on every sweep at once can refute it.
    planted = _time_cells(lambda n, nnz: LEVERAGE(n, nnz) + 5e-9 * n * nnz)
    verdict, measured = _verdict(planted, "time")
    assert verdict == "fails", measured
    assert "fails at ω=2.373" in measured and "fails at ω=3" in measured


def test_time_rule_is_inconclusive_when_the_repeats_scatter():
    noisy = _time_cells(lambda n, nnz: LEVERAGE(n, nnz) + 5e-9 * n * nnz, noise=0.8)
    assert _verdict(noisy, "time")[0] == "inconclusive"


def _cache_step(n, nnz):
    """Seconds of a read of sparse X: 1 ns per value, 1.6 ns once X passes 32 MB (12 bytes
    per value), the step run v4 measured along the density."""
    return 1e-9 * nnz * (1.6 if 12 * nnz > 32e6 else 1.0)


def test_time_rule_prices_nnz_by_the_read_of_x():
    # m = 0 reads X once: its time is a read of X.  Priced by the measured read it holds;
    # counted (a read taken as 1 ns per value, v4), the step past the cache is a slope of
    # 1.4 along the density that no a·nnz + b·n^ω follows.
    cells = _time_cells(lambda n, nnz: _cache_step(n, nnz) + 1e-4, reducer="zero").assign(m=0.0)
    cells["read_median"] = [_cache_step(n, nnz) for n, nnz in
                            zip(cells["dataset.n"], cells["stats.nnz"])]  # fmt: skip
    assert _verdict(cells, "time", reducer="zero")[0] == "holds"
    cells["read_median"] = 1e-9 * cells["stats.nnz"]
    assert _verdict(cells, "time", reducer="zero")[0] == "fails"


def test_the_time_model_prices_x_by_its_read_and_y_by_its_write():
    # Exact: nnz(X) becomes read_median and n·m becomes write_median, each times the
    # geometric mean of count / seconds; Theorem 1's model has a term for writing Y; a
    # write below the call's overhead (0) keeps its count.
    from attnbench.analysis.claims.time import FITTED_MODELS, priced
    from attnbench.analysis.fits import term_matrix

    cells = _time_cells(LEVERAGE).iloc[:4].copy()
    cells["read_median"] = [1.0, 2.0, 4.0, 8.0]
    cells["write_median"] = [3.0, 0.0, 12.0, 24.0]
    out = priced(cells)
    nnz, nm = cells["stats.nnz"], cells["dataset.n"] * cells["m"]
    kappa = np.exp(np.mean(np.log(nnz / cells["read_median"])))
    np.testing.assert_allclose(out["stats.nnz"], cells["read_median"] * kappa, rtol=1e-12)
    both = [0, 2, 3]
    mu = np.exp(np.mean(np.log(nm.iloc[both] / cells["write_median"].iloc[both])))
    np.testing.assert_allclose(out["stats.nm"], [3 * mu, nm.iloc[1], 12 * mu, 24 * mu], rtol=1e-12)
    terms = term_matrix(out, FITTED_MODELS["randomized"], 3.0)
    np.testing.assert_allclose(terms["n*m"], out["stats.nm"], rtol=1e-12)


def test_theorem_1_prices_each_nonzero_as_an_update_of_y():
    # Exact (v7): Theorem 1's model has a term for nnz(X) updates of Y, priced by
    # nnz·write_median/(n·m) and scaled to nnz's units by the geometric mean of count /
    # seconds; at m = 0 (no entry of Y) the term is 0.
    from attnbench.analysis.claims.time import FITTED_MODELS, priced, update_seconds
    from attnbench.analysis.fits import term_matrix

    cells = _time_cells(LEVERAGE).iloc[:4].copy()
    cells["read_median"] = [1.0, 2.0, 4.0, 8.0]
    cells["write_median"] = [3.0, 5.0, 12.0, 24.0]
    cells["m"] = [64.0, 0.0, 64.0, 128.0]
    nnz, nm = cells["stats.nnz"], cells["dataset.n"] * cells["m"]
    seconds = [nnz.iloc[0] * 3 / nm.iloc[0], 0.0, nnz.iloc[2] * 12 / nm.iloc[2],
               nnz.iloc[3] * 24 / nm.iloc[3]]  # fmt: skip
    np.testing.assert_allclose(update_seconds(cells), seconds, rtol=1e-12)
    both = [0, 2, 3]
    kappa = np.exp(np.mean(np.log(nnz.iloc[both] / np.take(seconds, both))))
    out = priced(cells)
    np.testing.assert_allclose(out["stats.updates"], np.multiply(seconds, kappa), rtol=1e-12)
    terms = term_matrix(out, FITTED_MODELS["randomized"], 3.0)
    np.testing.assert_allclose(terms["updates"], out["stats.updates"], rtol=1e-12)
    assert "updates" not in term_matrix(out, FITTED_MODELS["deterministic"], 3.0)


def test_time_rule_needs_a_read_of_x():
    cells = _time_cells(LEVERAGE).drop(columns="read_median")
    verdict, measured = _verdict(cells, "time")
    assert verdict == "not tested" and "no read of X or write of Y measured" in measured


def test_time_rule_ignores_accuracy_cells():
    # One repeat per cell: not a dedicated time sweep, however well it fits.
    verdict, measured = _verdict(_time_cells(LEVERAGE, repeats=1), "time")
    assert verdict == "not tested" and f"≥ {paper.MIN_TIME_REPEATS} repeats" in measured


def _size_cells(m_of_n, d=2**20, seeds=3, reducer="leverage_fast"):
    """m along n at 3 matrices X (dataset keys) per n."""
    points = [{"n": n, "d": d, "time": 1.0} for n in (16, 32, 64, 128, 256) for _ in range(seeds)]
    cells = synthetic_cells(points, repeats=1, reducer=reducer)
    cells["m"] = [float(min(m_of_n(n), d)) for n in cells["dataset.n"]]
    cells["dataset_key"] = [f"x{i % seeds}-{n}" for i, n in enumerate(cells["dataset.n"])]
    return cells


@pytest.mark.parametrize(
    ("m_of_n", "verdict"),
    [
        (lambda n: 30 * n * math.log(n / 0.1), "holds"),
        (lambda n: n * n, "fails"),
        # m = d = 2^14 everywhere, under the cap (19.8 k at n = 16): nothing to judge
        (lambda n: 2**14, "inconclusive"),
    ],
)
def test_size_rule(m_of_n, verdict):
    d = 2**14 if verdict == "inconclusive" else 2**20
    got, measured = _verdict(_size_cells(m_of_n, d=d), "size")
    assert got == verdict, measured
    if verdict == "inconclusive":
        assert "m ≥ d/4" in measured


def test_size_rule_leaves_out_cells_where_m_reaches_a_quarter_of_d():
    # m = n^2 < d/4 = 4096 at n = 16 and 32 only: the doubling left is 16 -> 32.
    got, measured = _verdict(_size_cells(lambda n: n * n, d=16384), "size")
    assert got == "fails" and "n 16→32" in measured, measured


def test_size_rule_needs_three_matrices_per_n():
    # one X per n (v2 judged bss on such a doubling, an interval of zero width)
    got, measured = _verdict(_size_cells(lambda n: n * n, seeds=1), "size")
    assert got == "inconclusive" and "< 3 matrices X" in measured, measured


def test_size_rule_holds_a_reducer_to_its_stated_cap():
    # bss: m <= ceil(b n), b = 13.9 at eps = 0.5; m = 20 n is above it in every cell
    cells = _size_cells(lambda n: 20 * n, reducer="bss")
    got, measured = _verdict(cells, "size", "bss", "deterministic")
    assert got == "fails" and "above" in measured, measured


def test_a_line_below_a_proven_cap_that_has_not_levelled_off_is_inconclusive():
    # m/n climbing towards b = 13.9 (3.7 -> 13 over the top doubling): slope above 1,
    # every cell under the proven cap: not a failure of m <= ceil(b n)
    cells = _size_cells(lambda n: n * (13.0 - 9.3 * (256 / n) ** 2 / 4), reducer="bss")
    got, measured = _verdict(cells, "size", "bss", "deterministic")
    assert got == "inconclusive" and "not reached its asymptote" in measured, measured


def _error_cells(failures, trials, reducer="leverage_fast", r=0.05):
    points = [{"n": 64, "d": 4096, "r": r, "time": 1.0} for _ in range(trials)]
    err = np.where(np.arange(trials) < failures, 2.0, 0.01)
    cells = synthetic_cells(points, repeats=1, reducer=reducer)
    return cells.assign(attn_err_over_r=err, spectral_eps=0.1, dataset_key="x")


@pytest.mark.parametrize(
    ("failures", "trials", "verdict"),
    [(3, 120, "holds"), (30, 120, "fails"), (6, 60, "inconclusive"), (0, 20, "inconclusive")],
)
def test_error_rule_is_clopper_pearson_against_delta(failures, trials, verdict):
    # delta = 0.1: 3/120 has upper end 0.071; 30/120 lower end 0.175; 6/60 [0.038, 0.205];
    # 0/20 upper end 0.168 (36 clean trials are needed).
    got, measured = _verdict(_error_cells(failures, trials), "error")
    assert got == verdict, measured


def test_a_deterministic_reducer_fails_on_one_failing_cell():
    cells = _error_cells(1, 50, reducer="bss")
    assert _verdict(cells, "error", "bss", "deterministic")[0] == "fails"
    cells = _error_cells(0, 5, reducer="bss")
    assert _verdict(cells, "error", "bss", "deterministic")[0] == "holds"


def test_a_statement_that_m_zero_passes_is_vacuous():
    ours = _error_cells(0, 120)
    zero = _error_cells(0, 40, reducer="zero").assign(
        attn_err_over_r=1 / 64, spectral_eps=1.0, m=0.0
    )
    table = claims.check_claims(pd.concat([ours, zero], ignore_index=True)).verdicts
    mine = table[(table["reducer"] == "leverage_fast") & (table["claim"] == "randomized")]
    verdicts = dict(zip(mine["part"], mine["verdict"]))
    assert verdicts["error"] == "vacuous"  # m = 0 meets err <= r too ...
    assert verdicts["spectral"] == "holds"  # ... but not the proof's spectral bound
    why = mine.set_index("part").loc["error", "measured"]
    assert "1/n median 0.0156" in why


def test_the_stamp_hashes_the_parameters_and_the_rules_source():
    from attnbench.analysis.claims.stamp import SOURCES, rules_stamp, source_texts

    sources = source_texts()
    # v7: Thm 1's nonzeros also update Y at its price; v6: n·m priced by a write of Y;
    # v5: nnz(X) priced by a read of X; v4: counted; v3: one NNLS fit per format
    assert claims.RULES_VERSION == 7
    assert claims.RULES_STAMP == rules_stamp(7, claims.RULE_PARAMETERS, sources)
    assert {"attnbench.analysis.claims.time", "attnbench.paper",
            "attnbench.analysis.fits"} <= set(SOURCES)  # fmt: skip
    constants = {"slope_slack": claims.SLOPE_SLACK, "saturation": claims.SATURATION,
                 "error_constant": paper.ERROR_CONSTANT, "top_doublings": claims.TOP_DOUBLINGS,
                 "min_time_repeats": paper.MIN_TIME_REPEATS}  # fmt: skip
    assert constants.items() <= claims.RULE_PARAMETERS.items()


def test_changing_the_code_of_a_rule_changes_the_stamp():
    """Not a constant: the body of a rule function (the time rule's verdict)."""
    from attnbench.analysis.claims.stamp import rules_stamp, source_texts

    sources = source_texts()
    module = "attnbench.analysis.claims.time"
    old = '    return "fails" if all(v == "fails" for v in tested.values()) else "inconclusive"'
    assert old in sources[module]
    edited = dict(sources, **{module: sources[module].replace(old, old.replace("all", "any"))})
    assert rules_stamp(claims.RULES_VERSION, claims.RULE_PARAMETERS, edited) != claims.RULES_STAMP
    assert rules_stamp(claims.RULES_VERSION, claims.RULE_PARAMETERS, sources) == claims.RULES_STAMP


def test_a_run_stores_the_stamp_of_its_rules(tiny_info):
    assert tiny_info["facts"].rules_version == claims.RULES_STAMP


# --- the synthetic paper-shaped run -------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(synthetic_run):
    info, cells = read_run(*synthetic_run)
    return info, cells[cells["status"] == "ok"]


@pytest.fixture(scope="module")
def judged(synthetic):
    info, cells = synthetic
    return claims.check_claims(cells, info["facts"])


def test_each_calibration_reducer_fails_its_planted_part(judged):
    calibration = judged.calibration.set_index("reducer")
    assert set(calibration.index) == set(claims.CALIBRATION)
    for reducer, part in claims.CALIBRATION.items():
        assert calibration.loc[reducer, "planted part"] == part
        assert calibration.loc[reducer, "verdict"] == "fails", reducer


def test_every_control_gets_its_expected_verdict(judged):
    controls = judged.controls
    expected = {("randomized", "zero"), ("randomized", "countsketch"), ("randomized", "osnap"),
                ("deterministic", "zero"), ("deterministic", "svd")}  # fmt: skip
    timed = controls[controls["part"] == "time"]
    assert set(zip(timed["claim"], timed["reducer"])) >= expected
    assert controls["as expected"].all(), controls.to_string()


def test_the_paper_reducers_follow_their_models(judged):
    table = judged.verdicts.set_index(["claim", "reducer", "part"])["verdict"]
    for claim, reducer in (("randomized", "leverage_fast"), ("deterministic", "bss")):
        assert table[claim, reducer, "time"] == "holds"
        assert table[claim, reducer, "size"] == "holds"
        assert table[claim, reducer, "spectral"] == "holds"
        assert table[claim, reducer, "error"] == "vacuous"
    # the exact route costs the Gram matrix, more than Thm 1's nnz(X) + n^omega
    assert table["randomized", "svd", "time"] == "fails"


def test_a_run_under_other_rules_gets_no_verdict(synthetic, tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "save", lambda fig, folder, name: [])  # pictures not needed
    info, cells = synthetic
    old = dict(info, facts=RunFacts(**{**info["facts"].__dict__, "rules_version": "1"}))
    report = claims.check_claims(cells, old["facts"])
    assert report.withheld and set(report.verdicts["verdict"]) == {"withheld"}
    assert report.calibration["verdict"].eq("withheld").all()
    build_report(cells, old, tmp_path)
    markdown = (tmp_path / "REPORT.md").read_text()
    sections = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert sections[0] == "## Verdicts withheld"
    assert "claim rules version 1" in markdown and "**Warning.**" in markdown
    page = (tmp_path / "index.html").read_text()
    assert page.index('class="alert"') < page.index("<nav>")  # above everything
