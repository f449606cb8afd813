"""Fixtures for the report and compare tests, all built once per session: one tiny stored
run (a d-sweep, an accuracy grid and a reducer that always fails), its report written by
the CLI, and a report of the same run where a reducer and a parameter carry HTML; a tiny
comparison through the API, and the README's example reducer compared by the README's CI
step through the command line; the system Chromium for Playwright."""

import os
import shlex
import textwrap

import pytest
from click.testing import CliRunner

from _support import (
    BAD_UNIFORM,
    CHROMIUM,
    COMPARE_BASELINES,
    HOSTILE,
    HOSTILE_PARAM,
    MISBEHAVING,
    ROOT,
    TINY_COMPARE,
    attnbench_cli,
    store_synthetic_run,
)
from attnbench import api
from attnbench.cli import main
from attnbench.report import build_report
from attnbench.store import Store
from attnbench.sweep.config import parse_config

TINY = textwrap.dedent(
    """
    name = "tiny"
    [settings]
    repeats = 3
    warmup = 1
    [[experiment]]
    name = "scaling-d"
    settings = { repeats = 5 }
    [experiment.datasets]
    family = "gaussian"
    n = 16
    d = [256, 512, 1024]
    r = 0.05
    [experiment.reducers.zero]
    [experiment.reducers.svd]
    [experiment.reducers.gaussian]
    n_components = 16
    [[experiment]]
    name = "accuracy"
    [experiment.datasets]
    family = ["gaussian", "coherent"]
    n = 16
    d = 512
    r = [0.01, 0.05, 0.5, 5.0]
    [experiment.reducers.zero]
    [experiment.reducers.svd]
    [experiment.reducers.uniform]
    n_components = [32, 128]
    [experiment.reducers.test_raises]
    """
)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """(store path, run id) of the tiny run."""
    from attnbench.algorithms import load_plugin

    load_plugin(MISBEHAVING)
    folder = tmp_path_factory.mktemp("tiny")
    store = folder / "store.sqlite"
    run_id = api.run(
        parse_config(TINY, "tiny.toml"),
        store,
        plugins=[MISBEHAVING],
        cache_dir=folder / "cache",
    )
    return store, run_id


@pytest.fixture(scope="session")
def tiny_cells(tiny_run):
    return api.load_cells(*tiny_run)


@pytest.fixture(scope="session")
def tiny_info(tiny_run):
    store, run_id = tiny_run
    db = Store(store)
    try:
        return db.run_info(run_id)
    finally:
        db.close()


@pytest.fixture(scope="session")
def tiny_report(tiny_run, tmp_path_factory):
    """The report folder of the tiny run, written by ``attnbench report``."""
    store, run_id = tiny_run
    out = tmp_path_factory.mktemp("report") / "out"
    result = CliRunner().invoke(
        main, ["report", str(run_id), "--store", str(store), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def hostile_report(tiny_cells, tiny_info, tmp_path_factory):
    """The tiny run's report with ``uniform`` renamed HOSTILE and its n_components
    HOSTILE_PARAM: every text must come out escaped."""
    cells = tiny_cells.copy()
    cells["reducer"] = cells["reducer"].replace("uniform", HOSTILE)
    cells["param.n_components"] = cells["param.n_components"].astype(object)
    cells.loc[cells["reducer"] == HOSTILE, "param.n_components"] = HOSTILE_PARAM
    out = tmp_path_factory.mktemp("hostile")
    build_report(cells, tiny_info, out)
    return out


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, with the system Chromium (no browser download)."""
    flags = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]  # CI runs as root
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": flags}


# --- comparisons ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_compare_preset(tmp_path_factory):
    path = tmp_path_factory.mktemp("compare") / "tiny-compare.toml"
    path.write_text(TINY_COMPARE)
    return path


@pytest.fixture(scope="session")
def tiny_comparison(tiny_compare_preset):
    """(store, Comparison): uniform sampling under another name (a registered plug-in with
    n_components) against leverage_exact, uniform and zero, 3 seeds."""
    from attnbench import compare

    folder = tiny_compare_preset.parent
    result = compare.compare(
        str(BAD_UNIFORM),
        COMPARE_BASELINES,
        str(tiny_compare_preset),
        folder / "store.sqlite",
        cache_dir=folder / "cache",
    )
    return folder / "store.sqlite", result


def readme_block(start):
    """The README's fenced code block whose first line is ``start``, verbatim."""
    readme = (ROOT / "README.md").read_text()
    head = readme.index(f"\n{start}\n") + 1
    return readme[head : readme.index("\n```", head) + 1]


def readme_ci_step(command):
    """The words of the README's CI recipe step that runs ``attnbench COMMAND``."""
    recipe = readme_block("jobs:")
    (line,) = [ln for ln in recipe.splitlines() if f"run: attnbench {command} " in ln]
    return shlex.split(line.split("run: ", 1)[1])


@pytest.fixture(scope="session")
def readme_comparison(tmp_path_factory):
    """(CompletedProcess, folder): the README's example reducer, unchanged, compared by the
    README's CI step (``attnbench compare ... --preset compare --fail-if-slower 2``) in a
    fresh interpreter, stdout piped; its store and report under ``folder``."""
    folder = tmp_path_factory.mktemp("readme-compare")
    (folder / "my_reducer.py").write_text(readme_block("# my_reducer.py"))
    words = readme_ci_step("compare")
    assert words[:2] == ["attnbench", "compare"] and words[2].endswith(".py")
    env = dict(os.environ, ATTNBENCH_CACHE_DIR=str(folder / "cache"))
    done = attnbench_cli(["compare", "my_reducer.py", *words[3:]], cwd=folder, env=env)
    return done, folder


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory):
    """(store path, run id) of a run shaped like the paper preset, with the calibration
    reducers, whose times and metrics follow known laws (_support.store_synthetic_run)."""
    store = tmp_path_factory.mktemp("synthetic") / "store.sqlite"
    return store, store_synthetic_run(store)


@pytest.fixture(scope="session")
def synthetic_report(synthetic_run, tmp_path_factory):
    """(report folder, {figure name: Figure as saved}) of the synthetic run."""
    from attnbench.report import figures
    from attnbench.store import read_run

    info, cells = read_run(*synthetic_run)
    saved = {}
    original = figures.save

    def keep(fig, folder, name):
        saved[name] = fig
        return original(fig, folder, name)

    out = tmp_path_factory.mktemp("synthetic-report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figures, "save", keep)
        build_report(cells, info, out)
    return out, saved
