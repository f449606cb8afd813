"""The HTML report in headless Chromium: no console errors, every image loaded, every
link resolved, names shown as text, and a screenshot that is not blank.

Playwright (pytest-playwright's ``browser`` fixture) drives the system's Chromium
(Debian: ``apt-get install -y chromium``; ``.ci/run`` installs it) through
``executable_path``, so no browser is downloaded and the tests run offline.  They skip
when that Chromium is missing.
"""


import numpy as np
import pytest
from matplotlib.image import imread

from _support import HOSTILE, ROOT, VIEWPORT, load_page, needs_chromium, unresolved_links

pytest.importorskip("playwright", reason="the test extra installs it: pip install -e '.[test]'")
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def loaded(browser, hostile_report, tmp_path_factory):
    """(state, errors, screenshot path) of the hostile report's index.html."""
    shot = tmp_path_factory.mktemp("screenshot") / "page.png"
    return (*load_page(browser, hostile_report / "index.html", shot), shot)


def test_the_checks_catch_a_broken_page(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="missing.png"><a href="gone.html">x</a>'
        '<a href="#nowhere">y</a><script>console.error("boom")</script></body></html>'
    )
    state, errors = load_page(browser, page)
    assert any("boom" in e for e in errors) and any("missing.png" in e for e in errors)
    assert state["images"] == [["missing.png", True, 0]]
    missing = unresolved_links(state, page)
    assert len(missing) == 2 and "gone.html" in missing[0] and "#nowhere" in missing[1]


def test_page_loads_without_console_errors(loaded):
    _, errors, _ = loaded
    assert errors == []


def test_every_image_is_loaded(loaded, hostile_report):
    state, _, _ = loaded
    figures = sorted(p.name for p in (hostile_report / "figures").glob("*.png"))
    assert sorted(src.removeprefix("figures/") for src, _, _ in state["images"]) == figures
    for src, complete, width in state["images"]:
        assert complete and width > 0, src


def test_every_link_resolves(loaded, hostile_report):
    state, _, _ = loaded
    assert state["links"], "the report links its tables"
    assert unresolved_links(state, hostile_report / "index.html") == []


def test_html_in_a_reducer_name_shows_as_text(loaded):
    state, _, _ = loaded
    assert state["scripts"] == 0
    assert HOSTILE in state["text"]


def test_screenshot_is_not_blank(loaded):
    _, _, shot = loaded
    pixels = imread(shot)[..., :3]
    luminance = pixels.mean(axis=2)
    assert pixels.shape[:2] == (VIEWPORT["height"], VIEWPORT["width"])
    assert luminance.std() > 0.05  # text, tables and plots, not a flat colour
    assert np.mean(luminance < 0.5) > 0.005  # some dark ink


def test_the_paper_shaped_report_opens_with_every_figure(browser, synthetic_report):
    """The report of the synthetic paper-shaped run (every figure the paper preset
    draws): no console error, every image decoded, every link resolved."""
    page = synthetic_report[0] / "index.html"
    state, errors = load_page(browser, page)
    assert not errors
    assert len(state["images"]) >= 7
    assert all(complete and width > 0 for _, complete, width in state["images"])
    assert not unresolved_links(state, page)
    assert state["text"].index("What we found") < state["text"].index("Claims of the paper")


def test_the_committed_reproduction_opens_with_every_figure(browser):
    """reports/paper (the README links it and shows two of its figures): no console
    error, every image decoded, every link resolved, the findings first."""
    root = ROOT
    page = root / "reports" / "paper" / "index.html"
    state, errors = load_page(browser, page)
    assert not errors
    assert len(state["images"]) >= 10
    assert all(complete and width > 0 for _, complete, width in state["images"])
    assert not unresolved_links(state, page)
    assert state["text"].index("What we found") < state["text"].index("Claims of the paper")
    readme = (root / "README.md").read_text()
    for shown in ("error_vs_r.png", "runtime_vs_d.png"):
        assert f"reports/paper/figures/{shown}" in readme
        assert (root / "reports" / "paper" / "figures" / shown).is_file()
