"""Hostile pages cannot run script in, or cut short, any report a researcher opens.

A repository with the bundled sample plus pages of our own whose title, text, canonical URL and
file name carry payloads is built with the real `dvc repro`; the published documents are then
tampered (title, domain, URL, language, a sentence) so expectations fail and their sample
values reach the Data Docs, and validate and report run again. Every HTML report (the Data
Docs, `dvc plots show`, the dataset card rendered by CommonMark with raw HTML allowed) is
opened in headless Chromium: no payload ran (each would set ``data-pwned`` on the body) and each
page's last element is there. A static check: no payload appears unescaped in any file under
reports/ that becomes HTML, and plot data holds no character that could end a script.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from markdown_it import MarkdownIt
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from pipeline.quality.data_docs import END_ID
from tests.browser import Browser
from tests.dvcrepo import BIN, dvc, make_repo, run

pytestmark = pytest.mark.e2e

MARK = "document.body.setAttribute('data-pwned','{n}')"
PAYLOADS = (
    f"<script>{MARK.format(n=1)}</script>",
    f'"><img src=x onerror="{MARK.format(n=2)}">',
    f'</textarea></title></style><svg onload="{MARK.format(n=3)}">',
    f"'><img src=x onerror='{MARK.format(n=4)}'>",
)
HOSTILE_FILE = "<img src=x onerror=alert(1)>.html"
ENTITIES = str.maketrans({"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"})


def _page(title: str, url: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p.translate(ENTITIES)}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title.translate(ENTITIES)}</title>"
        f'<link rel="canonical" href="{url.translate(ENTITIES)}"></head>'
        f"<body><article>{body}</article></body></html>"
    )


PROSE = (
    "The harbour council met on Tuesday evening to discuss the new ferry timetable for the "
    "winter months, which residents had criticised as unreliable."
)


def _plant(sample: Path) -> None:
    for i, payload in enumerate(PAYLOADS):
        (sample / f"hostile_{i}.html").write_text(
            _page(
                payload,
                "javascript:alert(1)" if i % 2 else f"https://news.example.com/{payload}",
                [PROSE, f"A reader wrote in quoting the markup {payload} in a letter.", PROSE],
            ),
            encoding="utf-8",
        )
    (sample / HOSTILE_FILE).write_text(
        _page("Council news", "https://news.example.com/a", [PROSE, PROSE]), encoding="utf-8"
    )


def _tamper(repo: Path) -> None:
    """Put payloads into published fields so expectations fail with them as sample values."""
    for name in ("documents", "sentences"):
        path = repo / f"data/processed/{name}.parquet"
        frame = pl.read_parquet(path)
        first = pl.int_range(pl.len()) == 0
        changes = {
            "title": PAYLOADS[0],
            "domain": PAYLOADS[1],
            "url": "javascript:alert(1)",
            "language": PAYLOADS[3],
        }
        if name == "sentences":
            changes["text"] = PAYLOADS[2]
        frame = frame.with_columns(
            pl.when(first).then(pl.lit(v)).otherwise(pl.col(c)).alias(c)
            for c, v in changes.items()
            if c in frame.columns
        )
        path.unlink()  # DVC may link outputs from its cache: never write through the link
        frame.write_parquet(path)
    # a quarantine row named after the hostile file, at a stage its reason does not fit
    path = repo / "data/processed/quarantine.parquet"
    frame = pl.read_parquet(path)
    first = pl.int_range(pl.len()) == 0
    frame = frame.with_columns(
        pl.when(first).then(pl.lit(HOSTILE_FILE)).otherwise("source_path").alias("source_path"),
        pl.when(first).then(pl.lit("report")).otherwise("stage").alias("stage"),
    )
    path.unlink()
    frame.write_parquet(path)


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("hostile") / "repo")
    _plant(repo / "data/sample")
    dvc(repo, "repro", check=False)  # validate may fail on the quoted markup: fine here
    _tamper(repo)
    python = str(BIN / "python")
    failed = run(repo, python, "-m", "pipeline.validate", check=False)
    assert failed.returncode != 0, "the tampered fields fail validation"
    run(repo, python, "-m", "pipeline.report")
    dvc(repo, "plots", "show", "-o", "reports/plots_page")
    card = (repo / "reports/dataset_card.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(card)
    (repo / "reports/dataset_card.html").write_text(
        f'<!DOCTYPE html><meta charset="utf-8"><body>{rendered}</body>', encoding="utf-8"
    )
    return repo


def _check_page(browser: Browser, page: Path) -> HTMLParser:
    tree = HTMLParser(browser.dom(page))
    assert tree.body is not None
    assert "data-pwned" not in tree.body.attributes, f"a payload ran in {page}"
    assert not tree.css("[data-pwned]"), page
    return tree


def test_data_docs_run_no_payload_and_are_whole(hostile_repo: Path, browser: Browser) -> None:
    site = hostile_repo / "reports/data_docs"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 8
    shown = ""
    for page in pages:
        tree = _check_page(browser, page)
        last = tree.css("body > *")[-1]
        assert last.tag == "footer" and last.attributes.get("id") == END_ID, page
        shown += tree.body.text() if tree.body else ""
    # the payloads and the file name are shown, as text
    for value in (PAYLOADS[0], PAYLOADS[1], PAYLOADS[2], HOSTILE_FILE):
        assert value in shown, value


def test_plots_page_runs_no_payload_and_draws_every_plot(
    hostile_repo: Path, browser: Browser
) -> None:
    tree = _check_page(browser, hostile_repo / "reports/plots_page/index.html")
    assert len(tree.css("svg.marks")) == 4, "every plot drawn: the page was not cut short"


def test_rendered_card_runs_no_payload_and_is_whole(hostile_repo: Path, browser: Browser) -> None:
    tree = _check_page(browser, hostile_repo / "reports/dataset_card.html")
    headings = [h.text() for h in tree.css("h2")]
    assert headings[-1] == "Citation", headings
    assert PAYLOADS[1] in (tree.body.text() if tree.body else "")  # the domain, as text


def test_no_payload_is_written_unescaped_under_reports(hostile_repo: Path) -> None:
    reports = hostile_repo / "reports"
    checked = 0
    for path in sorted(reports.rglob("*")):
        if not path.is_file() or path.suffix not in {".html", ".md", ".json"}:
            continue
        if path.parts[-2] in {"bench", "templates"} or "plots_page" in path.parts:
            continue  # ours, not built from pages (plots_page is checked in the browser)
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".json" and path.parent.name == "plots":
            values = [v for row in json.loads(text) for v in row.values() if isinstance(v, str)]
            assert not [v for v in values if set(v) & set("<>&\"'/")], path
        elif path.suffix in {".html", ".md"}:
            for payload in (*PAYLOADS, HOSTILE_FILE, "<script"):
                assert payload not in text or path.name == "dataset_card.html", (path, payload)
        checked += 1
    assert checked >= 12
