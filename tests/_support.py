"""Helpers shared by the tests: small seeded matrices, reducer construction, synthetic cells
frames, the command line in a fresh interpreter, and pages opened in headless Chromium."""

import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from attnbench.algorithms import get_reducer, get_reducer_class, list_reducers

# A reducer name and a parameter value that are HTML: reports must show them as text.
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_PARAM = "<b>bold</b>"


def scaled(X, r):
    """X scaled so that ||XX^T||_inf = max_i ||x_i||^2 = r."""
    sq = np.asarray(X.multiply(X).sum(axis=1)).ravel() if sp.issparse(X) else (X * X).sum(axis=1)
    return X * np.sqrt(r / sq.max())


def gaussian_matrix(n, d, seed=0, r=0.05):
    return scaled(np.random.default_rng(seed).standard_normal((n, d)), r)


def sparse_matrix(n, d, density, seed=0, r=0.05, format="csr"):
    rng = np.random.default_rng(seed)
    X = sp.random(
        n, d, density=density, format=format, random_state=rng, data_rvs=rng.standard_normal
    )
    return scaled(X, r).asformat(format)


def make_reducer(name, seed=0, **params):
    """A reducer with its defaults, seeded where it takes a random_state."""
    if "random_state" in get_reducer_class(name)._get_param_names():
        params.setdefault("random_state", seed)
    return get_reducer(name, **params)


def builtin_reducers():
    """Registered reducers shipped in attnbench.algorithms (not third-party plug-ins)."""
    return list_reducers(builtin=True)


def synthetic_cells(points, *, noise=0.05, repeats=5, seed=0, **columns):
    """A cells frame shaped like ``Store.cells`` for the fits: one ok cell per dict in
    ``points`` (keys n, d, density, family, r, ``time``, the true seconds, and ``read``,
    the seconds of a read of X: 1 ns per nonzero unless given, and ``write``, of writing
    the n x m Y: 1 ns per entry unless given), with ``repeats`` times
    under log-normal noise of relative size ``noise``; ``columns`` overrides the other
    columns (reducer, m, attn_err_over_r, ...)."""
    rng = np.random.default_rng(seed)
    rows = []
    for point in points:
        p = {"n": 16, "d": 1024, "density": 1.0, "family": "gaussian", "r": 0.05} | point
        times = p["time"] * np.exp(noise * rng.standard_normal(repeats))
        row = {
            "reducer": "synthetic",
            "experiment": "e",
            "status": "ok",
            "m": 10.0,
            "attn_err_over_r": 0.01,
            "skill": 0.5,
        }
        row |= {f"dataset.{k}": p[k] for k in ("family", "n", "d", "density", "r")}
        row |= {
            "stats.nnz": p["n"] * p["d"] * p["density"],
            "stats.sum_nnz_col_sq": p["d"] * (p["n"] * p["density"]) ** 2,
            "times": list(times),
            "time_median": float(np.median(times)),
            "read_median": p.get("read", 1e-9 * p["n"] * p["d"] * p["density"]),
        }
        row |= columns
        row.setdefault("write_median", p.get("write", 1e-9 * p["n"] * row["m"]))
        rows.append(row)
    return pd.DataFrame(rows)


def minilm_available():
    """Whether the minilm families can run here (the [real] extra and the weights)."""
    from attnbench.datasets import minilm

    try:
        minilm.require_extra()
    except minilm.MissingExtraError:
        return False
    return True


def attnbench_cli(args, cwd, env=None, path=()):
    """``python -m attnbench.cli ARGS`` in a fresh interpreter (nothing loaded in this
    one leaks into it), ``path`` put in front of PYTHONPATH; the CompletedProcess."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*map(str, path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "attnbench.cli", *map(str, args)],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@contextlib.contextmanager
def isolated_registry():
    """Reducers registered inside (plug-in files loaded by a test) are forgotten after,
    so that sweeps over every registered reducer in later tests do not meet them."""
    from attnbench.algorithms import registry

    reducers, broken = dict(registry._REDUCERS), dict(registry._BROKEN)
    try:
        yield
    finally:
        registry._REDUCERS.clear()
        registry._REDUCERS.update(reducers)
        registry._BROKEN.clear()
        registry._BROKEN.update(broken)


TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# A plug-in whose reducers raise, exit or hang on purpose (the sweep's fault rules).
MISBEHAVING = TESTS / "harness" / "plugins" / "misbehaving.py"
# One plug-in per contract rule, each breaking that rule.
BROKEN_PLUGINS = TESTS / "algorithms" / "broken_plugins"
FIXTURES = TESTS / "harness" / "fixtures"
# attnbench compare: a bad candidate (uniform sampling renamed), baselines, a tiny preset.
BAD_UNIFORM = TESTS / "harness" / "plugins" / "bad_uniform.py"
COMPARE_BASELINES = ["leverage_exact", "uniform", "zero"]
TINY_COMPARE = textwrap.dedent(
    """
    name = "tiny-compare"
    [settings]
    repeats = 2
    [[experiment]]
    name = "families"
    [experiment.datasets]
    family = ["coherent", "gaussian"]
    n = 16
    d = 1024
    r = [0.05, 0.5]
    shared_seed = ["r"]
    [experiment.reducers.leverage_exact]
    n_components = [64, 256]
    [experiment.reducers.uniform]
    n_components = [64, 128, 256]
    """
)


# --- sweep configs ---------------------------------------------------------------------------


def toml_value(value):
    """``value`` (bool, number, string, list, dict) as a TOML value; dicts inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: the same escapes
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def experiment_toml(reducers=None, *, name="e", settings=None, **datasets):
    """One ``[[experiment]]`` table: ``datasets`` over the defaults family = "gaussian",
    n = 8, d = 64 (None drops a key); ``reducers`` {name: {parameter: value or values}};
    ``settings`` the experiment's own settings; ``all_reducers=True`` passes through."""
    lines = ["[[experiment]]", f"name = {toml_value(name)}"]
    if "all_reducers" in datasets:
        lines.append(f"all_reducers = {toml_value(datasets.pop('all_reducers'))}")
    if settings:
        lines.append(f"settings = {toml_value(settings)}")
    lines.append("[experiment.datasets]")
    for key, value in ({"family": "gaussian", "n": 8, "d": 64} | datasets).items():
        if value is not None:
            lines.append(f"{key} = {toml_value(value)}")
    for reducer, params in (reducers or {}).items():
        lines.append(f"[experiment.reducers.{reducer}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in (params or {}).items()]
    return "\n".join(lines) + "\n"


def sweep_toml(reducers=None, *, name="test", settings=None, experiments=(), **experiment):
    """The TOML text of a sweep called ``name`` with the run ``settings`` and one
    experiment (experiment_toml's arguments), then the ``experiments`` given as text."""
    lines = [f"name = {toml_value(name)}"]
    if settings:
        lines += ["[settings]", *(f"{k} = {toml_value(v)}" for k, v in settings.items())]
    head = "\n".join(lines) + "\n"
    return head + experiment_toml(reducers, **experiment) + "".join(experiments)


def sweep_config(reducers=None, **options):
    """sweep_toml(...) parsed: the SweepConfig (its ``text`` is the TOML)."""
    from attnbench.sweep.config import parse_config

    return parse_config(sweep_toml(reducers, **options), f"{options.get('name', 'test')}.toml")


def comparison_cells(rows, dataset="k", family="f", seed=0, r=0.05):
    """A cells frame shaped like ``Store.cells`` for ``attnbench compare``: one ok cell per
    (reducer, n_components or None, attn_err_over_r, time in s, m) on one dataset."""
    return pd.DataFrame(
        [
            {
                "status": "ok",
                "experiment": "e",
                "dataset_key": dataset,
                "dataset.family": family,
                "dataset.seed": seed,
                "dataset.r": r,
                "dataset.d": 4096,
                "reducer": reducer,
                "param.n_components": np.nan if size is None else size,
                "attn_err_over_r": err,
                "time_median": time,
                "m": float(m),
            }
            for reducer, size, err, time, m in rows
        ]
    )


# --- the HTML reports in headless Chromium (Playwright's ``browser`` fixture) --------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (Debian: apt-get install -y chromium; CI installs it)",
)
VIEWPORT = {"width": 1200, "height": 1600}
PAGE_STATE = """() => ({
  images: Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]),
  links: Array.from(document.links).map(a => a.href),
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  scripts: document.scripts.length,
  text: document.body.innerText,
})"""


def load_page(browser, page_path, screenshot=None):
    """(page state, errors) of opening ``page_path``: errors are console errors,
    uncaught exceptions, failed requests and dialogs, in the order they came."""
    page = browser.new_page(viewport=VIEWPORT)
    errors = []

    def on_console(message):
        if message.type in ("error", "assert"):
            errors.append(f"console.{message.type}: {message.text}")

    def on_dialog(dialog):
        errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"exception: {exc}"))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} {r.failure}"))
    page.on("dialog", on_dialog)
    try:
        page.goto(page_path.as_uri(), wait_until="load")
        state = page.evaluate(PAGE_STATE)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
    finally:
        page.close()
    return state, errors


def unresolved_links(state, page_path):
    """Links of the page that lead nowhere: a missing file, or an anchor without its id."""
    missing = []
    for href in state["links"]:
        url = urlsplit(href)
        if url.scheme != "file":
            missing.append(f"{href} (not a local file: the report must work offline)")
            continue
        target = Path(unquote(url.path))
        if not target.is_file():
            missing.append(href)
        elif url.fragment and target == page_path and url.fragment not in state["ids"]:
            missing.append(f"{href} (no element with that id)")
    return missing


# --- synthetic cells for the regime analysis (attnbench.analysis.regime) ---------------------------


def variant_cells(points, *, reducer, variant=None, noise=0.0, repeats=5, seed=0, **columns):
    """synthetic_cells of one reducer variant, noise-free by default, with ``variant``."""
    frame = synthetic_cells(
        points, noise=noise, repeats=repeats, seed=seed, reducer=reducer, **columns
    )
    frame["variant"] = variant or reducer
    return frame


def cells_frame(*frames):
    """Frames of variant_cells as one cells frame, each row with its own key."""
    out = pd.concat(frames, ignore_index=True)
    out["key"] = [f"k{i}" for i in range(len(out))]
    return out


REGIME_D = 2**20
REGIME_GRID = [
    {"n": n, "d": REGIME_D, "density": rho} for n in (256, 1024, 4096) for rho in (1e-3, 1e-2)
]
REGIME_NS = (256, 512, 1024, 2048, 4096)


def regime_svd_time(p):
    """The Gram route: sum_i nnz(X_i)^2 + n^3 (constants made up)."""
    return 1e-9 * p["d"] * (p["n"] * p["density"]) ** 2 + 1e-11 * p["n"] ** 3


def regime_fast_time(p):
    """Input-sparsity time: nnz(X) (constant made up)."""
    return 2e-8 * p["n"] * p["d"] * p["density"]


def with_end_to_end(cells, direct_time, attend=1e-6, noise=0.0, repeats=5, seed=3):
    """``cells`` with A(Y) timed (``attend`` s per round) and the direct route timed at
    ``direct_time(point)`` s (log-normal noise of relative size ``noise``)."""
    rng = np.random.default_rng(seed)
    out = cells.copy()
    out["attend_times"] = [list(attend * np.ones(repeats)) for _ in range(len(out))]
    out["attend_median"] = attend
    keys = list(zip(out["dataset.n"], out["dataset.d"], out["dataset.density"]))
    by_point = {
        k: list(direct_time(dict(zip(("n", "d", "density"), k)))
                * np.exp(noise * rng.standard_normal(repeats)))
        for k in dict.fromkeys(keys)
    }  # fmt: skip
    out["direct_times"] = [by_point[k] for k in keys]
    out["direct_median"] = [float(np.median(t)) for t in out["direct_times"]]
    return out


def regime_cells():
    """On REGIME_GRID: svd exact (skill 1), leverage_fast good enough (skill 0.95), uniform
    fastest but never good enough (skill 0.5), countsketch timed once (so not timed); the
    direct route costs what svd does (the Gram), A(Y) 1 µs."""
    return with_end_to_end(_regime_reducers(), regime_svd_time)


def _regime_reducers():
    grid = REGIME_GRID
    return cells_frame(
        variant_cells([p | {"time": regime_svd_time(p)} for p in grid], reducer="svd",
                      skill=1.0, attn_err_over_r=1e-12),
        variant_cells([p | {"time": regime_fast_time(p)} for p in grid],
                      reducer="leverage_fast", variant="leverage_fast(n_components=4096)",
                      skill=0.95, attn_err_over_r=1e-4),
        variant_cells([p | {"time": 1e-4} for p in grid], reducer="uniform", skill=0.5,
                      attn_err_over_r=1e-3),
        variant_cells([p | {"time": 1e-5} for p in grid], reducer="countsketch", skill=0.99,
                      attn_err_over_r=1e-5, repeats=1),
    )  # fmt: skip


def crossover_cells(ratio_at_1, noise):
    """Along REGIME_NS: t(leverage_fast) = c n, t(svd) = c n^2 / ratio_at_1, so the ratio
    is ratio_at_1 / n and crosses 1 at n* = ratio_at_1 (both reach skill 0.9; A(Y) takes
    no time)."""
    line = [{"n": n, "d": REGIME_D, "density": 1e-3} for n in REGIME_NS]
    return cells_frame(
        variant_cells([p | {"time": 1e-6 * p["n"]} for p in line], reducer="leverage_fast",
                      variant="leverage_fast(n_components=2048)", noise=noise, seed=1,
                      skill=0.95),
        variant_cells([p | {"time": 1e-6 * p["n"] ** 2 / ratio_at_1} for p in line],
                      reducer="svd", noise=noise, seed=2, skill=1.0),
    )  # fmt: skip


# --- a synthetic stored run shaped like the paper preset -----------------------------------

# Seconds per fit as a function of (n, d, nnz, sum_i nnz(X_i)^2): each reducer follows its
# declared cost model, except calibration_cost, which adds COST_FAULT * n * nnz(X).
COST_FAULT = 5e-9
_LEVERAGE_TIME = lambda n, d, nnz, sq: 36e-9 * nnz + 1e-10 * n**3 + 1e-3
TIME_LAWS = {
    "zero": lambda n, d, nnz, sq: 1e-9 * nnz + 1e-4,
    "svd": lambda n, d, nnz, sq: 2e-9 * sq + 3e-11 * n**3 + 1e-4,
    "leverage_fast": _LEVERAGE_TIME,
    "bss": lambda n, d, nnz, sq: 2e-9 * sq + 1e-12 * n**4 + 1e-3,
    "calibration_cost": lambda n, d, nnz, sq: _LEVERAGE_TIME(n, d, nnz, sq) + COST_FAULT * n * nnz,
    "calibration_size": _LEVERAGE_TIME,
    "calibration_error": _LEVERAGE_TIME,
    "countsketch": lambda n, d, nnz, sq: 3e-9 * nnz + 2e-4,  # time controls of Thm 1
    "osnap": lambda n, d, nnz, sq: 8e-9 * nnz + 3e-4,
}
PAPER_REDUCERS = tuple(r for r in TIME_LAWS if r not in ("countsketch", "osnap"))
BASELINES = ("uniform", "gaussian", "countsketch", "leverage_exact", "norm_sampling")


def _synthetic_m(reducer, n, d, params):
    if "n_components" in params:
        return float(min(params["n_components"], d))
    draws = 30 * n * math.log(n / 0.1)
    return {
        "zero": 0.0,
        "svd": float(n),
        "bss": 4.0 * n,
        "calibration_size": float(min(n * n, d)),
    }.get(reducer, round(d * (1 - math.exp(-draws / d))))


def _synthetic_errors(reducer, n, r, m, rng):
    """(attn_err_over_r, spectral_eps) of one cell."""
    zero = min(1.0 / n, (1 - 1 / n) / r) if r > 1 else 1.0 / n
    if reducer == "zero":
        return zero, 1.0
    if reducer == "svd":
        return 1e-15, 1e-14
    if reducer == "calibration_error":
        return min(float(n), 1.0 / r), n * n - 1.0
    spectral = 0.25 * math.exp(0.3 * rng.standard_normal()) if reducer != "bss" else 0.4
    if m < n:  # fewer columns than tokens: YY^T leaves the range
        spectral = math.inf
    return min(zero * spectral * (1 + r), 1.0 / r), spectral


def _synthetic_result(reducer, spec, params, repeats, rng):
    n, d, density = spec.n, spec.d, spec.density
    nnz = n * d * density
    sq = d * (n * density) ** 2
    m = _synthetic_m(reducer, n, d, params)
    err, spectral = _synthetic_errors(reducer, n, spec.r, m, rng)
    law = TIME_LAWS.get(reducer, lambda n, d, nnz, sq: 5e-9 * nnz + 1e-4)
    times = law(n, d, nnz, sq) * np.exp(0.03 * rng.standard_normal(repeats))
    zero_err = _synthetic_errors("zero", n, spec.r, 0, rng)[0]
    stats = {"n": n, "d": d, "nnz": nnz, "sum_nnz_col_sq": sq, "r": spec.r, "rank": n}
    metrics = {
        "attn_err_inf": err * spec.r,
        "attn_err_over_r": err,
        "skill": 1 - err / zero_err,
        "spectral_eps": spectral,
        "output_err": err / 10,
        "gram_err_over_r": spectral,
        "attn_err_row_l1": err * spec.r * 2,
        "m": m,
    }
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return {
        "status": "ok", "metrics": metrics, "times": list(times), "time_median": float(median),
        "time_iqr": float(q3 - q1), "peak_bytes": None, "dataset_stats": stats,
        "blas_threads": 1, "read_times": [1e-9 * nnz], "read_median": 1e-9 * nnz,
        "write_times": [1e-9 * n * m], "write_median": 1e-9 * n * m,
    }  # fmt: skip


def _synthetic_experiments():
    """(experiment, specs, [(reducer, params)], repeats, draws) of the synthetic run."""
    from attnbench.datasets import DatasetSpec

    sparse = lambda n, d, rho, **kw: DatasetSpec.create("sparse", n, d, density=rho, **kw)
    timed = [(r, {}) for r in PAPER_REDUCERS] + [(r, {"n_components": 4096})
                                                 for r in ("countsketch", "osnap")]
    fixed = [(r, {"n_components": 1024}) for r in BASELINES]
    return [
        ("time_vs_n", [sparse(n, 2**20, 0.002) for n in (256, 512, 1024, 2048, 4096)], timed, 5, 1),
        ("time_vs_d", [sparse(1024, 2**p, 0.002) for p in range(16, 23)], timed, 5, 1),
        ("time_vs_density", [sparse(1024, 2**20, rho) for rho in (5e-4, 1e-3, 2e-3, 4e-3, 8e-3)],
         timed, 5, 1),
        ("m_vs_n", [sparse(n, 2**20, 0.01, seed=s) for n in (16, 32, 64, 128, 256)
                    for s in range(3)],
         [(r, {}) for r in ("zero", "svd", "leverage_fast", "bss", "calibration_size")], 1, 1),
        ("draws", [DatasetSpec.create("gaussian", 64, 4096, r=0.05)],
         [(r, {}) for r in ("leverage_fast", "calibration_error", "calibration_size")], 1, 120),
        ("error_vs_r", [DatasetSpec.create(f, n, 4096, r=r) for f in ("gaussian", "coherent")
                        for n in (64, 128) for r in (0.001, 0.01, 0.05, 0.3, 3.0, 20.0)],
         [(r, {}) for r in ("zero", "svd", "leverage_fast", "bss", "calibration_error")] + fixed,
         1, 1),
    ]  # fmt: skip


def store_synthetic_run(path, *, rules_stamp=None, seed=0):
    """A run with the paper preset's shape (dedicated time sweeps with 5 repeats, m along
    n, 120 draws, error against r), its metrics and times drawn from the laws above
    instead of measured: written to the store at ``path``; returns the run id."""
    from attnbench.algorithms import get_reducer_class
    from attnbench.analysis.claims import RULES_STAMP
    from attnbench.store import Store
    from attnbench.store.facts import ReducerFacts, RunFacts
    from attnbench.sweep.grid import Cell

    rng = np.random.default_rng(seed)
    experiments = _synthetic_experiments()
    names = sorted({r for e in experiments for r, _ in e[2]})
    facts = RunFacts(
        plan={"name": "synthetic", "settings": {}, "experiments": [
            {"name": e[0], "datasets": {}, "zipped": [], "shared_seed": [], "reducers": [],
             "settings": []} for e in experiments]},
        reducers={name: ReducerFacts.of(get_reducer_class(name)) for name in names},
        rules_version=RULES_STAMP if rules_stamp is None else rules_stamp,
    )  # fmt: skip
    store = Store(path)
    try:
        run_id = store.start_run("synthetic", "", {"threads": 1}, {}, 0, "local", facts)
        for name, specs, reducers, repeats, draws in experiments:
            settings = (("attention", "symmetric"), ("repeats", repeats), ("threads", 1))
            for spec in specs:
                for reducer, params in reducers:
                    for draw in range(draws):
                        cell = Cell(name, spec, reducer, tuple(sorted(params.items())), draw,
                                    settings, 60.0)  # fmt: skip
                        result = _synthetic_result(reducer, spec, params, repeats, rng)
                        store.save_cell(run_id, cell, result)
        store.finish_run(run_id)
    finally:
        store.close()
    return run_id
