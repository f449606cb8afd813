"""The report folder: complete, faithful to the store, escaped, reproducible, extensible."""

import re
import shutil
from html.parser import HTMLParser

import numpy as np
import pandas as pd
from click.testing import CliRunner

from _support import attnbench_cli
from attnbench.cli import main
from attnbench.report import figures
from attnbench.report.context import SECTIONS, build_report, section
from attnbench.report.render import Paragraph
from attnbench.report.tables import format_value, prepare_cells, summary_frame


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.tags, self.h2 = [], [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("href", "src")]
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2:
            self.h2.append(data)
            self._in_h2 = False


def parse(path):
    parser = _Links()
    parser.feed(path.read_text())
    return parser


def test_report_has_every_file_it_links_and_nothing_remote(tiny_report):
    page = parse(tiny_report / "index.html")
    files = [link for link in page.links if not link.startswith("#")]
    assert files, "the page links its figures and tables"
    for link in files:
        assert not re.match(r"^[a-z]+:", link), f"{link} is not a relative path"
        assert (tiny_report / link).is_file(), link
    markdown = (tiny_report / "REPORT.md").read_text()
    md_links = [m for m in re.findall(r"\]\(([^)#]+)\)", markdown)]
    assert sorted(set(md_links)) == sorted(set(files))
    images = [link for link in files if link.endswith(".png")]
    assert {"figures/error_vs_r.png", "figures/runtime_vs_d.png"} <= set(images)
    for image in images:
        assert (tiny_report / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (
            (tiny_report / image.replace(".png", ".svg")).read_text().lstrip().startswith("<?xml")
        )
    assert "script" not in page.tags
    # a run made from a checkout with uncommitted changes says so first
    sections = [h for h in page.h2 if h != "Uncommitted changes"]
    assert sections[:3] == ["Who should use what", "What we found", "Claims of the paper"]
    for table in (tiny_report / "tables").glob("*.md"):
        for fmt in ("tex", "csv"):
            assert table.with_suffix(f".{fmt}").is_file()


def test_tables_equal_the_store(tiny_report, tiny_cells):
    ok = prepare_cells(tiny_cells[tiny_cells["status"] == "ok"])
    written = pd.read_csv(tiny_report / "tables" / "summary.csv")
    expected = summary_frame(ok)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    medians = ok.groupby(["dataset.family", "variant"])["attn_err_over_r"].median()
    for row in written.itertuples():
        assert row.err_over_r == medians[row.family, row.reducer]
    markdown = (tiny_report / "tables" / "summary.md").read_text()
    assert f"| {format_value(written['err_over_r'].iloc[0])} |" in markdown
    cells = pd.read_csv(tiny_report / "tables" / "cells.csv")
    merged = cells.merge(tiny_cells, on="key", suffixes=("_csv", ""))
    assert len(merged) == len(tiny_cells)
    for metric in ("attn_err_inf", "skill", "time_median", "m"):
        np.testing.assert_array_equal(merged[f"{metric}_csv"], merged[metric])
    failures = pd.read_csv(tiny_report / "tables" / "failures.csv")
    assert set(failures["reducer"]) == {"test_raises"}
    assert failures["error"].str.contains("this reducer always fails").all()


def test_names_and_parameters_are_escaped(hostile_report):
    page = (hostile_report / "index.html").read_text()
    assert "<script" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    markdown = (hostile_report / "REPORT.md").read_text()
    assert "<script" not in markdown and "&lt;script&gt;" in markdown
    svg = (hostile_report / "figures" / "error_vs_r.svg").read_text()
    assert "<script" not in svg and "&lt;script&gt;" in svg


def test_same_run_gives_the_same_report_bytes(tiny_report, tiny_cells, tiny_info, tmp_path):
    build_report(tiny_cells, tiny_info, tmp_path)
    files = sorted(p.relative_to(tiny_report) for p in tiny_report.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    for f in files:
        assert (tiny_report / f).read_bytes() == (tmp_path / f).read_bytes(), f


def test_a_new_section_is_one_function(tiny_cells, tiny_info, tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "save", lambda fig, folder, name: [])  # pictures not needed

    @section("A new section (test)", 48)
    def beyond(ctx):
        return [Paragraph(f"{len(ctx.cells)} ok cells")]

    try:
        build_report(tiny_cells, tiny_info, tmp_path)
    finally:
        SECTIONS[:] = [s for s in SECTIONS if s.title != "A new section (test)"]
    titles = parse(tmp_path / "index.html").h2
    # order 48: after the large logits (45; the tiny run has no asymmetric cells, 46-47),
    # before the failures (50)
    at = titles.index("A new section (test)")
    assert titles[at - 1 : at + 2] == [
        "Beyond the paper: large logits",
        "A new section (test)",
        "Failures",
    ]
    markdown = (tmp_path / "REPORT.md").read_text()
    assert "## A new section (test)" in markdown
    assert f"{(tiny_cells['status'] == 'ok').sum()} ok cells" in markdown


def test_claims_mark_the_absent_paper_reducers(tiny_report):
    table = pd.read_csv(tiny_report / "tables" / "claims_randomized.csv")
    absent = table[table["reducer"] == "leverage_fast"]
    assert list(absent["verdict"]) == ["absent"]
    zero = table[table["reducer"] == "zero"].set_index("part")
    assert zero.loc["error", "verdict"] == "holds"  # m = 0 meets O(r) (docs/claims.md)
    assert zero.loc["size", "verdict"] == "holds"


def test_cli_report_names_a_missing_run(tiny_run):
    store, _ = tiny_run
    missing = CliRunner().invoke(main, ["report", "99", "--store", str(store)])
    assert missing.exit_code != 0 and "no run 99" in missing.output


EP_MODULE = '''
"""A third-party reducer published under the entry-point group attnbench.reducers."""
import scipy.sparse as sp

from attnbench.algorithms import ProjectionReducer


class FirstColumns(ProjectionReducer):
    family = "projection"
    deterministic = True
    cost_model = "input_sparsity"  # not one of the paper's: the fits add it as "own"

    def __init__(self, n_components=8, delta=0.3):
        self.n_components = n_components
        self.delta = delta

    def _make_components(self, X, rng):
        return sp.eye(X.shape[1], min(self.n_components, X.shape[1]), format="csr")
'''
EP_CONFIG = """
name = "entry-point"
[settings]
repeats = 5  # a dedicated time sweep: the fits use only such cells
warmup = 0
[[experiment]]
name = "d"
[experiment.datasets]
family = "gaussian"
n = 8
d = [64, 128, 256]
r = 0.05
[experiment.reducers.test_ep_first]
[experiment.reducers.zero]
"""


def _install_entry_point(site):
    """A throwaway distribution in ``site``: one module and its entry point."""
    info = site / "attnbench_test_ep-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "attnbench_test_ep.py").write_text(EP_MODULE)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: attnbench-test-ep\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[attnbench.reducers]\ntest_ep_first = attnbench_test_ep:FirstColumns\n"
    )


def _attnbench(args, cwd, site=None):
    result = attnbench_cli(args, cwd, path=[site] if site else ())
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_report_is_identical_before_and_after_its_entry_point_plugin_is_uninstalled(tmp_path):
    site = tmp_path / "site"
    _install_entry_point(site)
    (tmp_path / "sweep.toml").write_text(EP_CONFIG)
    store = ["--store", "store.sqlite"]
    _attnbench(["run", "sweep.toml", *store, "--cache-dir", "cache"], tmp_path, site)
    _attnbench(["report", "1", *store, "--out", "installed"], tmp_path, site)
    shutil.rmtree(site)  # uninstalled: neither the module nor its entry point is found
    _attnbench(["report", "1", *store, "--out", "uninstalled"], tmp_path)
    installed, uninstalled = _files(tmp_path / "installed"), _files(tmp_path / "uninstalled")
    assert list(installed) == list(uninstalled)
    for name, content in installed.items():
        assert uninstalled[name] == content, name
    # The plug-in really ran, and its facts came from the store.
    cells = pd.read_csv(tmp_path / "uninstalled" / "tables" / "cells.csv")
    assert set(cells.loc[cells["reducer"] == "test_ep_first", "status"]) == {"ok"}
    reducers = pd.read_csv(tmp_path / "uninstalled" / "tables" / "reducers.csv")
    mine = reducers.set_index("reducer").loc["test_ep_first"]
    assert (mine["module"], mine["cost model"]) == ("attnbench_test_ep", "input_sparsity")
    models = pd.read_csv(tmp_path / "uninstalled" / "tables" / "fit_models.csv")
    own = models[(models["reducer"] == "test_ep_first") & (models["role"] == "own")]
    assert list(own["model"]) == ["input_sparsity"]


def test_the_report_opens_with_the_runs_purpose():
    """The first lines say what a run is for: the description of its preset or config."""
    from attnbench.report.context import purpose
    from attnbench.sweep.config import load_config

    assert purpose(load_config("quick").text).startswith("A smoke run")
    assert "reproduction at the paper's scale" in purpose(load_config("paper").text)
    assert purpose('name = "x"') == "" and purpose("not = [toml") == ""


def test_a_run_from_a_dirty_tree_says_so_at_the_top(tiny_run, tiny_info, tmp_path, monkeypatch):
    from attnbench.store import read_run

    monkeypatch.setattr(figures, "save", lambda fig, folder, name: [])  # pictures not needed
    info, cells = read_run(*tiny_run)
    for dirty, digest in ((True, "0123456789abcdef"), (False, "")):
        fp = dict(info["fingerprint"], git_commit="c" * 40, git_dirty=dirty, git_diff_hash=digest)
        out = tmp_path / str(dirty)
        build_report(cells, dict(info, fingerprint=fp), out)
        markdown = (out / "REPORT.md").read_text()
        first = next(line for line in markdown.splitlines() if line.startswith("## "))
        assert (first == "## Uncommitted changes") is dirty
        assert ("diff hash 0123456789abcdef" in markdown) is dirty


def test_the_fingerprint_stores_the_commit_dirty_flag_and_diff_hash():
    from attnbench.sweep import fingerprint as fp_module

    fp = fp_module.fingerprint()
    assert {"git_commit", "git_dirty", "git_diff_hash"} <= set(fp)
    if fp["git_commit"]:  # a checkout: clean means an empty diff hash
        assert (fp["git_diff_hash"] == "") is (not fp["git_dirty"])
