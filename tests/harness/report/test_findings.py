"""attnbench.report.findings: the sentences of "What we found", on synthetic paper-shaped runs
whose laws are known (_support.store_synthetic_run)."""

import _support
from _support import store_synthetic_run
from attnbench.report import findings
from attnbench.report.context import ReportContext
from attnbench.store import read_run


def context(store, run_id, tmp_path):
    info, cells = read_run(store, run_id)
    return ReportContext(cells, info, tmp_path / "report")


def test_the_controls_held_and_nothing_is_warned(synthetic_run, tmp_path):
    ctx = context(*synthetic_run, tmp_path)
    said = findings.controls(ctx)
    total = len(ctx.claims.controls)
    assert said == [(f"Controls: {total} of {total} given the verdict known in advance "
                    "(time controls 'holds', calibration reducers 'fails').")]  # fmt: skip


def test_a_control_that_fails_is_warned(tmp_path, monkeypatch):
    # m = 0 made to cost n * nnz(X): it is no longer a correct control, and the finding
    # says the rule's verdicts on this run cannot be read
    laws = _support.TIME_LAWS | {"zero": lambda n, d, nnz, sq: 1e-9 * n * nnz + 1e-4}
    monkeypatch.setattr(_support, "TIME_LAWS", laws)
    store = tmp_path / "store.sqlite"
    ctx = context(store, store_synthetic_run(store), tmp_path)
    said = findings.controls(ctx)
    assert any(s.startswith("WARNING: control zero") and "randomized time" in s for s in said)


def test_the_glossary_comes_first_and_defines_every_term(synthetic_run, tmp_path):
    ctx = context(*synthetic_run, tmp_path)
    first = findings.sentences(ctx)[0]
    for term in ("skill", "vacuous", "straddles", "theory-sized", "floor"):
        assert f"{term}:" in first or f"{term} =" in first, term


def test_an_error_at_the_floor_is_never_reported_as_the_floor(synthetic_run, tmp_path):
    ctx = context(*synthetic_run, tmp_path)
    assert findings._err(ctx.cells, "svd", 1e-6) == "at round-off (< 1e-12)"
    assert "1e-06" not in " ".join(findings.pareto(ctx))


def test_sizes_name_every_line_and_the_verdict(synthetic_run, tmp_path):
    ctx = context(*synthetic_run, tmp_path)
    said = findings.sizes(ctx)
    verdicts = ctx.claims.verdicts
    for sentence, reducer in zip(said, ("leverage_fast", "bss")):
        size = verdicts[(verdicts["reducer"] == reducer) & (verdicts["part"] == "size")]
        assert sentence.startswith(f"{reducer} at the theory's size keeps m /")
        assert sentence.endswith(f"size verdict: {size['verdict'].iloc[0]}.")
        assert "d = 2^20" in sentence  # sizes as powers of two, not 1.04858e+06
