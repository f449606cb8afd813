"""attnbench.report.findings: the sentences of "What we found", on synthetic paper-shaped runs
whose laws are known (_support.store_synthetic_run)."""

import _support
from _support import store_synthetic_run
from attnbench.report import findings
from attnbench.report.sections import ReportContext
from attnbench.store import read_run


def context(store, run_id, tmp_path):
    info, cells = read_run(store, run_id)
    return ReportContext(cells, info, tmp_path / "report")


def test_no_caveat_when_the_m_zero_reducer_follows_its_model(synthetic_run, tmp_path):
    ctx = context(*synthetic_run, tmp_path)
    assert findings.time_rule_references(ctx) == []


def test_the_time_rule_failing_m_zero_is_said(tmp_path, monkeypatch):
    # m = 0 made to cost n * nnz(X): the time rule fails it, and the finding says so
    laws = _support.TIME_LAWS | {"zero": lambda n, d, nnz, sq: 1e-9 * n * nnz + 1e-4}
    monkeypatch.setattr(_support, "TIME_LAWS", laws)
    store = tmp_path / "store.sqlite"
    ctx = context(store, store_synthetic_run(store), tmp_path)
    said = findings.time_rule_references(ctx)
    # Theorem 2's model (with its n^(w+1) term) fits n * nnz along its sweeps; Theorem 1's
    # cannot
    assert said and said[0].startswith("Theorem 1's time rule fails the m = 0 reducer too")
    assert all("local slopes lie above the fitted model" in s for s in said)


def test_sizes_name_every_line_and_the_verdict(synthetic_run, tmp_path):
    ctx = context(*synthetic_run, tmp_path)
    said = findings.sizes(ctx)
    verdicts = ctx.claims.verdicts
    for sentence, reducer in zip(said, ("leverage_fast", "bss")):
        size = verdicts[(verdicts["reducer"] == reducer) & (verdicts["part"] == "size")]
        assert sentence.startswith(f"{reducer} at the theory's size keeps m /")
        assert sentence.endswith(f"size verdict: {size['verdict'].iloc[0]}.")
        assert "d = 2^20" in sentence  # sizes as powers of two, not 1.04858e+06
