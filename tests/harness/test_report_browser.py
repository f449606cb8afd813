"""The HTML report in headless Chromium: no console errors, every image loaded, every
link resolved, names shown as text, and a screenshot that is not blank.

Playwright (pytest-playwright's ``browser`` fixture) drives the system's Chromium
(Debian: ``apt-get install -y chromium``; ``.ci/run`` installs it) through
``executable_path``, so no browser is downloaded and the tests run offline.  They skip
when that Chromium is missing.
"""

import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from matplotlib.image import imread

from _support import HOSTILE

pytest.importorskip("playwright", reason="the test extra installs it: pip install -e '.[test]'")

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, with the system Chromium."""
    flags = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]  # CI runs as root
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": flags}


def load(browser, page_path, screenshot=None):
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


@pytest.fixture(scope="module")
def loaded(browser, hostile_report, tmp_path_factory):
    """(state, errors, screenshot path) of the hostile report's index.html."""
    shot = tmp_path_factory.mktemp("screenshot") / "page.png"
    return (*load(browser, hostile_report / "index.html", shot), shot)


def test_the_checks_catch_a_broken_page(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="missing.png"><a href="gone.html">x</a>'
        '<a href="#nowhere">y</a><script>console.error("boom")</script></body></html>'
    )
    state, errors = load(browser, page)
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
    state, errors = load(browser, page)
    assert not errors
    assert len(state["images"]) >= 7
    assert all(complete and width > 0 for _, complete, width in state["images"])
    assert not unresolved_links(state, page)
    assert state["text"].index("What we found") < state["text"].index("Claims of the paper")
