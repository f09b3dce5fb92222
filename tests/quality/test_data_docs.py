"""Reports escape every page-derived value, and the Data Docs are byte-identical on rerun.

Fast checks of the three places page content reaches a report (no browser; the hostile
corpus rendered in Chromium is tests/e2e/test_hostile_reports.py): the Data Docs pages
(``pipeline.quality.data_docs``), the plot labels ``dvc plots show`` writes into a script
(``pipeline.publish.plots.plot_label``) and the dataset card's table cells
(``pipeline.publish.card``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from pipeline.publish.card import markdown_table
from pipeline.publish.plots import plot_label
from pipeline.quality.data_docs import END_ID, page_name, write_site
from tests.validcorpus import _set, _validate, broken_corpus

HOSTILE = (
    "<script>document.body.setAttribute('data-pwned','1')</script>",
    "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">",
    "</textarea></td></table><b>bold</b>",
    "javascript:alert(1)",
    "<!-- unclosed comment",
    "x</style><svg onload=alert(1)>",
    "' onmouseover='alert(1)",
    "&lt;already &amp; escaped&gt;",
    "line\nbreak\r\u2028and | pipe ` tick [link](javascript:alert(1)) *em*",
)
# Elements a report may hold; anything else (script, img, svg, iframe, ...) came from a value.
DOCS_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "p", "table", "tbody", "tr",
    "th", "td", "ol", "li", "span", "b", "br", "a", "footer", "-text",
}  # fmt: skip


def _result(values: list[Any]) -> dict[str, Any]:
    failing = {
        "success": False,
        "expectation_config": {"type": "expect_column_values_to_match_regex", "kwargs": {}},
        "result": {
            "unexpected_count": len(values),
            "unexpected_percent": 12.5,
            "observed_value": values[0],
            "partial_unexpected_list": values,
            "partial_unexpected_index_list": [{"doc_id": v, "source_path": v} for v in values],
        },
        "exception_info": {"exception_message": values[-1]},
    }
    return {"results": [failing, {"success": True, "result": {}}]}


def _site(tmp_path: Path, values: list[str]) -> Path:
    expectations = [
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": values[0]}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {}, "meta": {"why": values[1]}},
    ]
    site = tmp_path / "data_docs"
    write_site(site, [(name, expectations, _result(values), 8) for name in ("t#1", values[2])])
    return site


def _elements(html: str) -> list[Any]:
    return list(HTMLParser(html).root.traverse(include_text=False))  # type: ignore[union-attr]


def test_data_docs_show_hostile_values_as_text_and_nothing_else(tmp_path: Path) -> None:
    values = list(HOSTILE)
    site = _site(tmp_path, values)
    pages = sorted(site.rglob("*.html"))
    assert [p.relative_to(site).as_posix() for p in pages] == [
        "index.html",
        f"validations/{page_name(values[2])}",
        "validations/t_231.html",
    ]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        nodes = _elements(html)
        assert {n.tag for n in nodes} <= DOCS_TAGS, page
        assert not [a for n in nodes for a in n.attributes if a.lower().startswith("on")]
        assert [n.attributes.get("href") for n in nodes if n.tag == "a"] == (
            ["validations/t_231.html", f"validations/{page_name(values[2])}", "index.html"]
            if page.name == "index.html"
            else ["../index.html"]
        )
        # the page is whole: its last element is there, after every value
        last = HTMLParser(html).css("body > *")[-1]
        assert last.tag == "footer" and last.attributes.get("id") == END_ID
        assert "Content-Security-Policy" in html and "script-src" not in html
    suite = HTMLParser((site / "validations/t_231.html").read_text(encoding="utf-8"))
    parsed = [v.replace("\r", "\n") for v in values]  # HTML parsing reads CR as LF
    shown = [li.text() for li in suite.css("li.value")]
    assert shown == parsed, "every sample value shown literally, in order"
    cells = [td.text() for td in suite.css("table.rows td")]
    assert cells == [v for v in parsed for _ in range(2)]
    assert suite.css("td.value")[0].text() == parsed[0]  # observed value


def test_page_names_open_over_file_urls() -> None:
    for name in ("documents", "t#1", "a/b?c%d", "../x", ".hidden", "", "é"):
        file_name = page_name(name)
        assert file_name.endswith(".html")
        assert not set(file_name) & set("#?%/\\"), file_name
        assert not file_name.startswith(".")
    assert page_name("documents") == "documents.html"
    assert len({page_name(n) for n in ("t#1", "t_1", "t 1")}) == 3


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_plot_labels_cannot_end_a_script_and_decode_back(value: str) -> None:
    label = plot_label(value)
    assert not set(label) & set("<>&\"'/\\`=\n\r\u2028\u2029")
    assert unquote(label, errors="surrogatepass") == value


def test_plot_labels_keep_real_domains_and_months() -> None:
    for value in ("news.example.com", "xn--caf-dma.fr", "2024-03", "(unknown)", "too_short"):
        assert plot_label(value) == value


def test_card_cells_render_hostile_values_as_text() -> None:
    table = pl.DataFrame({"domain": [*HOSTILE, "news.example.com"], "documents": [1] * 10})
    # CommonMark with raw HTML allowed (renderers that do not sanitise) and GFM tables
    rendered = (
        MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown_table(table))
    )
    tree = HTMLParser(rendered)
    tags = {n.tag for n in tree.root.traverse(include_text=False)}  # type: ignore[union-attr]
    assert tags <= {"html", "head", "body", "table", "thead", "tbody", "tr", "th", "td", "code"}
    rows = tree.css("tbody tr")
    assert len(rows) == len(HOSTILE) + 1, "no value broke a row or a cell"
    shown = [row.css("td")[0].text() for row in rows]
    expected = [v.replace("\n", "\ufffd").replace("\r", "\ufffd").replace("\u2028", "\ufffd")
                for v in HOSTILE]  # fmt: skip
    assert shown == [*expected, "news.example.com"]
    assert rows[-1].css_first("code") is not None  # a plain domain stays code


def _digests(site: Path) -> dict[str, str]:
    return {
        p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def test_two_validations_of_the_same_tables_write_identical_data_docs(tmp_path: Path) -> None:
    corpus, _ = broken_corpus()
    f = corpus.frames
    victim = f["documents"]["doc_id"][0]
    for table in ("cleaned", "documents"):
        f[table] = _set(f[table], "doc_id", victim, "title", HOSTILE[0])
    _validate(corpus, tmp_path / "first")
    _validate(corpus, tmp_path / "second")
    first, second = _digests(tmp_path / "first"), _digests(tmp_path / "second")
    assert len(first) == 8 and first == second
    page = (tmp_path / "first" / "validations" / page_name("documents")).read_text("utf-8")
    assert HOSTILE[0] not in page and "&lt;script&gt;document.body" in page
