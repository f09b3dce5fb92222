"""The DVC plots page and the GX Data Docs draw with no network, in headless Chromium.

Chromium runs with every host name unresolvable (``--host-resolver-rules``), so a page that
needs a CDN stays blank here even on a machine with internet. Each page is checked twice: the
DOM after scripts ran (``--dump-dom``: vega drew SVG bars, bootstrap-table filled rows), and a
screenshot whose pixels are counted (bars in vega's colour, green status icons).
Skipped only when no Chromium binary is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from pipeline.offline_docs import external_resources, make_offline
from tests.dvcrepo import dvc
from tests.reportrepo import Versions, two_versions

pytestmark = pytest.mark.e2e

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no host resolves: the page must be offline
    "--virtual-time-budget=10000",  # let scripts (vega, bootstrap-table) finish first
)
VEGA_BAR = (76, 120, 168)  # vega's default mark colour, #4c78a8
BOOTSTRAP_GREEN = (40, 167, 69)  # GX's success icon, bootstrap's text-success #28a745
PLOTS = ("sentence_length", "documents_per_domain", "documents_per_month", "quarantine_reasons")


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "Chromium is not installed: `apt-get install -y chromium` (Debian) to run the "
        "offline rendering tests"
    )


class Browser:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary, self.workdir, self.runs = binary, workdir, 0

    def _run(self, url: str, *extra: str) -> subprocess.CompletedProcess[bytes]:
        self.runs += 1
        profile = self.workdir / f"profile-{self.runs}"  # a new empty profile every time
        return subprocess.run(
            [self.binary, *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            timeout=120,
            check=True,
        )

    def dom(self, page: Path) -> str:
        return self._run(page.as_uri(), "--dump-dom").stdout.decode("utf-8")

    def screenshot(self, page: Path, width: int = 1280, height: int = 2000) -> np.ndarray:
        png = self.workdir / f"shot-{self.runs + 1}.png"
        self._run(page.as_uri(), f"--screenshot={png}", f"--window-size={width},{height}")
        return decode_png(png.read_bytes())


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Browser:
    return Browser(chromium, tmp_path_factory.mktemp("chromium"))


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Versions:
    return two_versions(tmp_path_factory)


def decode_png(data: bytes) -> np.ndarray:
    """RGB pixels of an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        start = y * (stride + 1)
        kind_ = raw[start]
        line = np.frombuffer(raw, np.uint8, stride, start + 1).astype(np.int64)
        if kind_ == 0:
            cur = line
        elif kind_ == 1:  # Sub: running sum along the row, per channel
            cur = (line.reshape(width, channels).cumsum(axis=0) & 255).reshape(-1)
        elif kind_ == 2:  # Up
            cur = (line + prev) & 255
        else:  # Average or Paeth: sequential within the row
            c, p = line.tolist(), prev.tolist()
            for i in range(stride):
                a = c[i - channels] if i >= channels else 0
                b = p[i]
                if kind_ == 3:
                    c[i] = (c[i] + ((a + b) >> 1)) & 255
                else:
                    d = p[i - channels] if i >= channels else 0
                    pa, pb, pc = abs(b - d), abs(a - d), abs(a + b - 2 * d)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else d
                    c[i] = (c[i] + pred) & 255
            cur = np.array(c, dtype=np.int64)
        out[y] = cur
        prev = cur
    return out.reshape(height, width, channels)[..., :3]


def colour_mask(image: np.ndarray, rgb: tuple[int, int, int], tol: int = 12) -> np.ndarray:
    diff = np.abs(image.astype(np.int64) - np.array(rgb)).max(axis=2)
    mask: np.ndarray = diff <= tol
    return mask


def row_bands(mask: np.ndarray, gap: int = 20) -> int:
    """Vertical bands of rows holding masked pixels, separated by >= ``gap`` empty rows."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return 0
    return int(1 + (np.diff(rows) >= gap).sum())


def test_screenshot_pixels_are_counted_right(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "box.html"
    page.write_text(
        "<html><body style='margin:0;background:#fff'>"
        "<div style='position:absolute;left:50px;top:40px;width:200px;height:100px;"
        "background:rgb(76,120,168)'></div>"
        "<div style='position:absolute;left:10px;top:300px;width:30px;height:20px;"
        "background:rgb(40,167,69)'></div></body></html>",
        encoding="utf-8",
    )
    image = browser.screenshot(page, 400, 400)
    assert image.shape == (400, 400, 3)
    bar = colour_mask(image, VEGA_BAR, tol=2)
    assert bar.sum() == 200 * 100
    assert bar[40:140, 50:250].all()
    assert colour_mask(image, BOOTSTRAP_GREEN, tol=2).sum() == 30 * 20
    assert row_bands(bar | colour_mask(image, BOOTSTRAP_GREEN, tol=2)) == 2


def test_plots_page_draws_every_chart_offline(
    versions: Versions, browser: Browser, tmp_path: Path
) -> None:
    out = tmp_path / "plots"
    dvc(versions.repo, "plots", "show", "-o", str(out))
    page = out / "index.html"
    assert external_resources(page.read_text(encoding="utf-8")) == []
    dom = browser.dom(page)
    charts = re.findall(r'<svg[^>]*class="marks"', dom)
    assert len(charts) == len(PLOTS), "vega did not draw every plot"
    bars = sum(
        group.count("<path")
        for group in re.findall(r'<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', dom, re.S)
    )
    rows = sum(
        len(json.loads((versions.repo / f"reports/plots/{p}.json").read_text(encoding="utf-8")))
        for p in PLOTS
    )
    assert bars == rows, "one bar per plotted row"
    image = browser.screenshot(page)
    bar_pixels = colour_mask(image, VEGA_BAR)
    assert bar_pixels.sum() > 5_000
    assert row_bands(bar_pixels) >= len(PLOTS)


@pytest.fixture(scope="module")
def offline_docs(versions: Versions, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's Data Docs, copied and passed through make_offline."""
    site = tmp_path_factory.mktemp("docs") / "data_docs"
    shutil.copytree(versions.repo / "reports/data_docs", site)
    assert make_offline(site) == {}
    return site


def suites(versions: Versions) -> dict[str, int]:
    """Suite name -> expectations evaluated, from reports/validation.json."""
    data = json.loads((versions.repo / "reports/validation.json").read_text(encoding="utf-8"))
    return {name: len(s["expectations"]) for name, s in data.items()}


def index_rows(browser: Browser, site: Path) -> int:
    """Rows bootstrap-table drew in the index's Validation Results table."""
    dom = browser.dom(site / "index.html")
    tables = re.findall(
        r"<table[^>]*ge-index-page-validation-results-table[^>]*>(.*?)</table>", dom, re.S
    )
    return sum(len(re.findall(r"<tr[^>]*data-index=", body)) for body in tables)


def test_data_docs_index_lists_every_validation_offline(
    versions: Versions, browser: Browser, offline_docs: Path
) -> None:
    assert index_rows(browser, offline_docs) == len(suites(versions))
    image = browser.screenshot(offline_docs / "index.html", 1280, 1200)
    green = colour_mask(image, BOOTSTRAP_GREEN, tol=30)
    assert green.sum() > 20 * len(suites(versions)), "no status icons drawn"
    assert row_bands(green, gap=8) == len(suites(versions)), "one status icon per validation"


def test_data_docs_validation_page_draws_its_tables_offline(
    versions: Versions, browser: Browser, offline_docs: Path
) -> None:
    expected = suites(versions)["sentences"]
    (page,) = offline_docs.glob("validations/sentences/*/*/*.html")
    html = page.read_text(encoding="utf-8")
    assert external_resources(html) == []
    dom = browser.dom(page)
    # expectation tables are the searchable ones (the overview tables are not); a row may hold
    # a nested table of sample failing rows (which ends a regex match early), so the rows are
    # counted on the parsed tree
    tables = HTMLParser(dom).css('table[data-search="True"]')
    rows = sum(len(table.css("tr[data-index]")) for table in tables)
    assert rows == expected, "bootstrap-table drew one row per expectation"
    image = browser.screenshot(page, 1280, 1400)
    assert colour_mask(image, BOOTSTRAP_GREEN, tol=30).sum() > 100
    assert (image.min(axis=2) < 128).sum() > 10_000, "text and tables drawn"


def test_pipeline_data_docs_are_offline_as_written(versions: Versions, browser: Browser) -> None:
    site = versions.repo / "reports/data_docs"
    assert index_rows(browser, site) == len(suites(versions))


def test_rewrite_points_cdn_tags_at_the_vendored_copies() -> None:
    from pipeline.offline_docs import CDN, rewrite_page

    html = (
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>\n'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js"'
        ' integrity="sha384-x" crossorigin="anonymous"></script>\n'
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark'
        '@1.1.0/dist/css/bootstrap-prefers-dark.css">\n'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/'
        'logo-long.png?d=1">\n<a href="https://greatexpectations.io">GX</a>\n'
    )
    out = rewrite_page(html, "../../")
    assert '<script src="../../static/vendor/jquery-3.7.1/jquery.min.js"></script>' in out
    assert '<script src="../../static/vendor/popper.js-1.12.9/popper.min.js"></script>' in out
    assert "bootstrap-prefers-dark" not in out and "integrity" not in out
    assert '<img src="../../static/images/logo-long.png">' in out
    assert external_resources(out) == []
    vendor = Path(__file__).resolve().parents[1] / "reports/templates/vendor"
    for asset in CDN.values():
        assert asset.startswith("vega:") or (vendor / asset).is_file(), asset
