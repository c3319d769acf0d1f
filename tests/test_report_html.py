"""The HTML report: one self-contained file, hostile names shown as text, rendered by a real browser."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli
from tests import scenarios

HOSTILE = "<script>alert(1)</script>"  # a valid git branch name: components "<script>alert(1)<" and "script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page(HTMLParser):
    """Every element, attribute and piece of text of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(document: str) -> Page:
    page = Page()
    page.feed(document)
    page.close()
    return page


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("report")
    repo_path = tmp_path / "repo"
    b = scenarios.trunk_with_an_idle_branch(repo_path, 30)
    b.branch(HOSTILE, "main")
    b.commit("hostile work", branch=HOSTILE, at=24 * 30)
    b.tag("v1.0.0", b.commit("release", branch="main", at=24 * 20))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli.app, ["report", str(repo_path), "--no-cache", "--out", str(out),
                                          "--history-dir", str(tmp_path / "none")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"advisor report: wrote {out}\n"
    return out


def test_no_script_no_handler_and_nothing_fetched(report: Path) -> None:
    page = parse(report.read_text(encoding="utf-8"))
    tags = [tag for tag, _ in page.elements]
    assert "script" not in tags and "img" not in tags and "iframe" not in tags and "link" not in tags
    for tag, attrs in page.elements:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").lower().startswith(("http:", "https:", "javascript:", "//")) or tag == "svg" \
                or name == "xmlns", (tag, name, value)
    text = "".join(page.text)
    assert HOSTILE in text  # shown, as text
    for section in ("Verdict", "Flow in the window", "Where the time goes", "Releases", "Branch lifetimes",
                    "Live branches", "Long-lived branches", "Trend", "The plan"):
        assert section in text, section
    assert tags.count("svg") >= 3  # value stream, releases, lifetimes


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """The rows of an 8-bit RGB or RGBA PNG, unfiltered (enough for a browser's screenshot)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks, header = 8, [], b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(b"".join(chunks)), width * channels, [], bytes(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = bytes(line)
    return width, channels, rows


def browser(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run",
                           f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def assert_rendered_at_phone_width(document: Path, tmp_path: Path, name: str) -> None:
    """Headless Chromium draws `document` 390 px wide: text, tables and charts (not a blank page), no
    element made of the data, and the hostile name shown as text."""
    shot = tmp_path / name
    done = browser(f"--screenshot={shot}", "--window-size=390,1600", "--hide-scrollbars", document.as_uri(),
                   profile=tmp_path / "profile")
    assert shot.is_file(), done.stderr[-2000:]
    width, channels, rows = png_pixels(shot.read_bytes())
    assert width == 390
    background = rows[0][:3]
    inked = sum(1 for row in rows[::8] for x in range(0, width * channels, channels * 4)
                if row[x:x + 3] != background)
    colours = {row[x:x + 3] for row in rows[::8] for x in range(0, width * channels, channels * 4)}
    assert inked > 500 and len(colours) > 20  # text, tables and charts, not a blank page
    dom = browser("--dump-dom", document.as_uri(), profile=tmp_path / "profile").stdout
    page = parse(dom)
    assert "script" not in [tag for tag, _ in page.elements]  # the browser made no element of the name
    assert HOSTILE in "".join(page.text)


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it; in CI its absence fails)")
def test_a_real_browser_renders_it_and_shows_the_hostile_name_as_text(report: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None, "CI must render the report in a browser: .ci/run installs chromium"
    assert_rendered_at_phone_width(report, tmp_path, "report.png")
