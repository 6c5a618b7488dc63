"""The digest HTML in headless Chromium at phone and desktop widths: nothing overflows sideways.

Chromium comes from Debian (`make test` installs it when missing); without it these tests skip.
Headless Chromium will not open a window narrower than 500 px, so the digest is shown in an iframe
of the width under test (srcdoc: same origin, so a script inside can report to the page around it).
Screenshots land in the test's outbox beside the HTML.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flows.tasks.digest_render import render_html
from tests.test_digest_render import HOSTILE, UNSUBSCRIBE, make_digest, make_document

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (make test installs it)")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# Runs as the digest's last element, after layout: writes the widths where --dump-dom can read them.
MEASURE = """<script>parent.document.body.setAttribute('data-measure', JSON.stringify({
  scroll: document.documentElement.scrollWidth, viewport: window.innerWidth,
  wrap: document.querySelector('table.wrap').getBoundingClientRect().width}));</script>"""
FRAME = (
    '<!DOCTYPE html><html><body style="margin:0;background:#374151">'
    '<iframe width="{width}" height="1990" style="border:0;display:block" srcdoc="{doc}"></iframe></body></html>'
)
MIN_WINDOW = 500
LONG_URL = "https://www.example.gov.cn/zhengce/" + "a" * 180 + ".html"


def chromium(profile: Path, width: int, *args: str) -> str:
    """Run headless Chromium once at a window width; its stdout."""
    window = max(width, MIN_WINDOW)
    command = [CHROMIUM or "chromium", *FLAGS, f"--user-data-dir={profile}", f"--window-size={window},2000", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    """The test run's outbox holding a demanding digest: long title, long URL, summary, hostile strings."""
    folder = tmp_path / "outbox"
    folder.mkdir()
    doc = make_document(
        title="关于" + "支持合成生物与生物制造产业高质量发展" * 6 + HOSTILE,
        url=LONG_URL,
        summary="推动合成生物技术创新。" * 20,
    )
    (folder / "digest.html").write_text(render_html(make_digest(doc), unsubscribe=UNSUBSCRIBE), encoding="utf-8")
    return folder


def framed(outbox: Path, width: int, script: str = "") -> Path:
    """A page showing the digest in an iframe `width` px wide (plus a script at the end of the digest)."""
    digest = (outbox / "digest.html").read_text(encoding="utf-8").replace("</body>", script + "</body>")
    page = outbox / f"digest-{width}px{'-measure' if script else ''}.html"
    page.write_text(FRAME.format(width=width, doc=html.escape(digest, quote=True)), encoding="utf-8")
    return page


def measure(outbox: Path, tmp_path: Path, width: int) -> dict[str, float]:
    """Scroll width, viewport width and the digest table's width of the digest at a width."""
    page = framed(outbox, width, MEASURE)
    dom = chromium(tmp_path / f"profile-{width}", width, "--dump-dom", page.as_uri())
    found = re.search(r'data-measure="([^"]+)"', dom)
    assert found, "the measuring script did not run"
    return json.loads(found[1].replace("&quot;", '"'))


@pytest.mark.parametrize("width", [375, 640])
def test_digest_html_does_not_overflow_horizontally(outbox: Path, tmp_path: Path, width: int) -> None:
    sizes = measure(outbox, tmp_path, width)
    assert sizes["viewport"] == width
    assert sizes["scroll"] <= sizes["viewport"], sizes
    assert sizes["wrap"] <= min(width, 640), sizes


def test_digest_html_stays_640px_wide_on_a_desktop(outbox: Path, tmp_path: Path) -> None:
    assert measure(outbox, tmp_path, 1024)["wrap"] == 640


@pytest.mark.parametrize("width", [375, 640])
def test_digest_html_screenshot_is_written_to_the_outbox(outbox: Path, tmp_path: Path, width: int) -> None:
    shot = outbox / f"digest-{width}.png"
    chromium(tmp_path / f"shot-{width}", width, f"--screenshot={shot}", framed(outbox, width).as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
