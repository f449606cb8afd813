"""The compare report of the README's example in headless Chromium (the report tests'
Playwright helpers): no console errors, every image loaded, every link resolved, the
verdict and the command on the page."""

import pytest

from _support import load_page, needs_chromium, unresolved_links

pytest.importorskip("playwright", reason="the test extra installs it: pip install -e '.[test]'")
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def page(browser, readme_comparison):
    """(state, errors, index.html path) of the compare report."""
    _, folder = readme_comparison
    index = folder / "results" / "compare-halve" / "index.html"
    return (*load_page(browser, index), index)


def test_the_page_loads_without_console_errors(page):
    _, errors, _ = page
    assert errors == []


def test_every_image_is_loaded(page):
    state, _, index = page
    shown = sorted(src for src, _, _ in state["images"])
    assert shown == ["figures/error_vs_m.png", "figures/time_vs_error.png"]
    assert sorted(p.name for p in (index.parent / "figures").glob("*.png")) == [
        "error_vs_m.png",
        "time_vs_error.png",
    ]
    for src, complete, width in state["images"]:
        assert complete and width > 0, src


def test_every_link_resolves(page):
    state, _, index = page
    assert state["links"] and unresolved_links(state, index) == []


def test_the_page_shows_the_verdict_and_the_command(page):
    state, _, _ = page
    assert state["scripts"] == 0
    text = state["text"]
    assert "Against countsketch: error ratio at equal m" in text
    assert "attnbench compare my_reducer.py --baseline countsketch,leverage_fast" in text
    assert "machine: " in text
