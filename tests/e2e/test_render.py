"""The DVC plots page and the Data Docs draw with no network, in headless Chromium.

Chromium runs with every host name unresolvable (``--host-resolver-rules``), so a page that
needs a CDN stays blank here even on a machine with internet. Each page is checked twice: the
DOM after scripts ran (``--dump-dom``: vega drew SVG bars, bootstrap-table filled rows), and a
screenshot whose pixels are counted (bars in vega's colour, green status icons).
Skipped only when no Chromium binary is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from pipeline.quality.data_docs import END_ID, page_name
from tests.browser import Browser
from tests.dvcrepo import dvc
from tests.reportrepo import Versions

pytestmark = pytest.mark.e2e

VEGA_BAR = (76, 120, 168)  # vega's default mark colour, #4c78a8
BOOTSTRAP_GREEN = (40, 167, 69)  # GX's success icon, bootstrap's text-success #28a745
PLOTS = ("sentence_length", "documents_per_domain", "documents_per_month", "quarantine_reasons")


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
    # every y axis counts (sentences, documents, inputs): whole numbers only, no 0.5 document
    # (d3 picks steps of 0.5 for a domain of 0-2 even with tickMinStep: the template caps the
    # tick count at the domain's maximum)
    y_axes = re.findall(r'aria-label="Y-axis[^"]*">(.*?)role-axis-title', dom, re.S)
    assert len(y_axes) == len(PLOTS)
    for axis in y_axes:
        labels = re.findall(r"<text[^>]*>([^<]*)</text>", axis.split("role-axis-label", 1)[1])
        assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
        assert all(re.fullmatch(r"\d+", label.replace(",", "")) for label in labels), labels
    image = browser.screenshot(page)
    bar_pixels = colour_mask(image, VEGA_BAR)
    assert bar_pixels.sum() > 5_000
    assert row_bands(bar_pixels) >= len(PLOTS)


def suites(versions: Versions) -> dict[str, int]:
    """Suite name -> expectations evaluated, from reports/validation.json."""
    data = json.loads((versions.repo / "reports/validation.json").read_text(encoding="utf-8"))
    return {name: len(s["expectations"]) for name, s in data.items()}


def test_data_docs_index_links_every_suite_page(versions: Versions, browser: Browser) -> None:
    site = versions.repo / "reports/data_docs"
    index = site / "index.html"
    assert external_resources(index.read_text(encoding="utf-8")) == []
    tree = HTMLParser(browser.dom(index))
    links = [str(a.attributes.get("href")) for a in tree.css("table.suites a")]
    assert sorted(links) == sorted(f"validations/{page_name(name)}" for name in suites(versions))
    # every page the index links to exists under a name a file:// URL opens (no '#' or '?')
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")) == sorted(
        ["index.html", *links]
    )
    assert all("#" not in link and "?" not in link for link in links)
    assert tree.css_first(f"#{END_ID}") is not None
    image = browser.screenshot(index, 1280, 900)
    assert (image.min(axis=2) < 128).sum() > 5_000, "text and tables drawn"


def test_data_docs_suite_page_shows_every_expectation(versions: Versions, browser: Browser) -> None:
    expected = suites(versions)["sentences"]
    page = versions.repo / "reports/data_docs/validations" / page_name("sentences")
    html = page.read_text(encoding="utf-8")
    assert external_resources(html) == [] and "<script" not in html
    tree = HTMLParser(browser.dom(page))
    rows = tree.css("table.expectations > tbody > tr, table.expectations > tr")
    assert len(rows) == expected + 1, "a header and one row per expectation"
    assert len(tree.css("table.expectations span.passed")) == expected  # the sample passes
    assert tree.css_first(f"#{END_ID}") is not None


def external_resources(html: str) -> list[str]:
    """Addresses the page loads from the network (scripts, stylesheets, images)."""
    return re.findall(r"<(?:script|link|img)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"", html)
