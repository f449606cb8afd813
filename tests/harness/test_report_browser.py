"""The HTML report in headless Chromium: no console errors, every image loaded, names shown
as text, and a screenshot that is not blank.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
JSON messages separated by NUL bytes on file descriptors 3 and 4), so the test needs no
extra Python package.  Needs Debian's ``chromium`` (``apt-get install -y chromium``); the
tests skip when it is missing.
"""

import fcntl
import json
import os
import select
import shutil
import subprocess
import time

import numpy as np
import pytest
from matplotlib.image import imread

from _support import HOSTILE

BROWSER = next(
    (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
    None,
)
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="headless Chromium not installed (Debian: apt-get install -y chromium; CI installs it)",
)
FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
]
TIMEOUT = 60


class DevTools:
    """A Chromium process and its DevTools protocol over a pipe; events are kept."""

    def __init__(self, profile):
        to_browser, self._commands = os.pipe()
        self._replies, from_browser = os.pipe()
        # Chromium reads fd 3 and writes fd 4.  bash (dash takes one-digit fds only) moves
        # the pipe ends there from numbers >= 10, so neither move overwrites the other end.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
        for fd in (to_browser, from_browser):
            os.close(fd)
        moves = f"3<&{ends[0]} 4>&{ends[1]} {ends[0]}<&- {ends[1]}>&-"
        command = [BROWSER, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}"]
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" {moves}', *command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=ends,
        )
        for fd in ends:
            os.close(fd)
        self._buffer, self._id, self.events = b"", 0, []

    def _message(self, deadline):
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._replies], [], [], max(0, deadline - time.time()))
            if not ready:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method, session=None, **params):
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.time() + TIMEOUT
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method):
        deadline = time.time() + TIMEOUT
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._message(deadline))

    def close(self):
        try:
            self.send("Browser.close")
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)


PAGE_STATE = """JSON.stringify({
  images: Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]),
  scripts: document.scripts.length,
  text: document.body.innerText,
})"""


def errors_of(events):
    """Console errors, uncaught exceptions, failed loads and dialogs among the events."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params.get('exceptionDetails')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Page.javascriptDialogOpening":
            found.append(f"dialog: {params.get('message')}")
    return found


def load(page, profile):
    """(page state, every DevTools event) of loading ``page`` until its load event."""
    browser = DevTools(profile)
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        attached = browser.send("Target.attachToTarget", targetId=target, flatten=True)
        session = attached["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            browser.send(f"{domain}.enable", session)
        browser.send("Page.navigate", session, url=page.as_uri())
        browser.wait_for("Page.loadEventFired")
        result = browser.send(
            "Runtime.evaluate", session, expression=PAGE_STATE, returnByValue=True
        )
    finally:
        browser.close()
    return json.loads(result["result"]["value"]), browser.events


@pytest.fixture(scope="module")
def loaded(hostile_report, tmp_path_factory):
    return load(hostile_report / "index.html", tmp_path_factory.mktemp("chromium-profile"))


def test_the_checks_catch_a_broken_page(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="missing.png">'
        "<script>console.error('boom')</script></body></html>"
    )
    state, events = load(page, tmp_path / "profile")
    found = errors_of(events)
    assert any("boom" in e for e in found) and any("missing.png" in e for e in found)
    assert state["images"] == [["missing.png", True, 0]]


def test_page_loads_without_console_errors(loaded):
    _, events = loaded
    assert any(e.get("method") == "Page.loadEventFired" for e in events)
    assert errors_of(events) == []


def test_every_image_is_loaded(loaded, hostile_report):
    state, _ = loaded
    figures = sorted(p.name for p in (hostile_report / "figures").glob("*.png"))
    assert sorted(src.removeprefix("figures/") for src, _, _ in state["images"]) == figures
    for src, complete, width in state["images"]:
        assert complete and width > 0, src


def test_html_in_a_reducer_name_shows_as_text(loaded):
    state, _ = loaded
    assert state["scripts"] == 0
    assert HOSTILE in state["text"]


def test_screenshot_is_not_blank(hostile_report, tmp_path):
    shot = tmp_path / "page.png"
    subprocess.run(
        [
            BROWSER,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            (hostile_report / "index.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    pixels = imread(shot)[..., :3]
    luminance = pixels.mean(axis=2)
    assert pixels.shape[:2] == (1600, 1200)
    assert luminance.std() > 0.05  # text, tables and plots, not a flat colour
    assert np.mean(luminance < 0.5) > 0.005  # some dark ink
