"""Page types: our own section front, tag listing and product page are not articles; the
seed page and the sample's articles are; the decision reaches the extract stage's rows and
never raises."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import PageTypeName
from pipeline.extract import extract_text, extract_text_and_page_type, page_type
from pipeline.html.content import extract_main_content, parse_html
from pipeline.html.extraction import extract_document
from pipeline.html.pagetype import (
    PAGE_TYPES,
    address_features,
    chosen_type,
    html_page_type,
    read_head,
    title_features,
)

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "tests" / "fixtures" / "pagetypes"
SAMPLE = ROOT / "data" / "sample"
NOT_ARTICLES = {
    "section_front.html": "listing",
    "tag_listing.html": "listing",
    "product.html": "product",
}
# The sample's article pages (its other inputs are an empty file, a binary one and an index).
SAMPLE_ARTICLES = sorted(
    p.name
    for p in SAMPLE.iterdir()
    if p.name not in {"empty_download.html", "logo_saved_as_page.html"} and "index" not in p.name
)


def _row(raw: str, fmt: str = "html") -> dict[str, object]:
    return {
        "doc_id": "0" * 16,
        "source_path": "page.html",
        "source_sha256": "0" * 64,
        "size_bytes": len(raw),
        "format": fmt,
        "encoding": "utf-8",
        "raw_text": raw,
    }


def test_the_config_names_the_same_page_types() -> None:
    assert typing.get_args(PageTypeName) == PAGE_TYPES


@pytest.mark.parametrize("name", sorted(NOT_ARTICLES))
def test_own_non_article_pages_get_their_type(name: str) -> None:
    assert page_type((PAGES / name).read_bytes()) == NOT_ARTICLES[name]


@pytest.mark.parametrize("name", sorted(NOT_ARTICLES))
def test_extract_quarantines_non_articles_with_type_and_confidence(name: str) -> None:
    out = extract_document(_row((PAGES / name).read_text()), 1_000_000)
    assert out["reason"] == "not_article"
    assert out["page_type"] == NOT_ARTICLES[name]
    assert f"page_type={NOT_ARTICLES[name]} (confidence " in out["detail"]
    assert 0.0 < out["page_type_confidence"] <= 1.0


def test_keep_page_types_keeps_what_the_researcher_asks_for() -> None:
    raw = (PAGES / "product.html").read_text()
    out = extract_document(_row(raw), 1_000_000, keep_page_types=frozenset({"article", "product"}))
    assert out["reason"] is None
    assert out["page_type"] == "product" and out["page_type_source"] == "declared"


def test_the_sample_index_is_not_an_article() -> None:
    raw = (SAMPLE / "harbour_gazette_sport_index.html").read_bytes()
    assert page_type(raw) != "article"


@pytest.mark.parametrize("name", SAMPLE_ARTICLES)
def test_sample_articles_and_the_seed_page_are_articles(name: str) -> None:
    assert "seed_independent_belarus.txt" in SAMPLE_ARTICLES
    assert page_type((SAMPLE / name).read_bytes()) == "article"


def test_a_short_plain_article_with_nothing_declared_is_kept() -> None:
    # two short paragraphs, no address, no og:type or JSON-LD: too little for the model to name
    # any type, so the page is kept (a lost article costs more than a kept listing)
    html = (
        "<html><head><title>Bus shelter repainted | Weston Echo</title></head><body><article>"
        "<h1>Bus shelter repainted</h1><p>The shelter on Mill Road was repainted green on "
        "Monday by volunteers from the residents' group.</p><p>The council paid for the paint "
        "and said the work took most of the morning.</p></article></body></html>"
    )
    assert page_type(html) == "article"


def test_an_unsure_model_keeps_the_page() -> None:
    unsure = {t: 0.9 / 6 for t in PAGE_TYPES} | {"article": 0.1}
    assert chosen_type(unsure, threshold=0.2) == "article"
    listing = unsure | {"listing": 0.35, "forum": 0.1}
    assert chosen_type(listing, threshold=0.2) == "listing"
    assert chosen_type(listing | {"article": 0.2}, threshold=0.2) == "article"


def test_the_seed_dump_is_kept_by_the_extract_step() -> None:
    raw = (SAMPLE / "seed_independent_belarus.txt").read_text(encoding="utf-8")
    out = extract_document(_row(raw, fmt="text"), 1_000_000)
    assert out["reason"] is None
    assert out["page_type"] == "article" and out["extractor"] == "dump"


def test_a_page_without_text_has_no_type_and_no_content() -> None:
    out = extract_document(_row("<html><body><nav><a href='/'>Home</a></nav></body></html>"), 100)
    assert out["reason"] == "no_content"
    assert out["page_type"] is None


def test_text_and_type_together_match_each_alone() -> None:
    for path in [*PAGES.iterdir(), SAMPLE / "valley_courier_orchard_og.html"]:
        raw = path.read_bytes()
        assert extract_text_and_page_type(raw) == (extract_text(raw), page_type(raw))


def test_address_shapes() -> None:
    dated = address_features("https://a.example/news/2026/11/30/grain-terminal-expansion")
    tag = address_features("https://a.example/tag/flooding/?page=2")
    assert dated[2] == 1.0 and dated[5] == 0.0  # a date in the path; no listing word
    assert tag[5] == 1.0  # /tag/ and ?page=
    assert address_features(None) == [0.0] * len(dated)
    assert address_features("http://[::1") == [0.0] * len(dated)  # unparsable: unknown


def test_title_shapes() -> None:
    headline = title_features("Council votes to keep the last branch open | The Standard")
    name = title_features("Dental Care | Health Ohio")
    assert headline[0] > name[0]  # more words
    assert headline[1] > name[1]  # more of them in lower case


def test_declared_types_are_read_from_og_and_broken_json_ld() -> None:
    html = (
        '<html><head><meta property="og:type" content="Article">'
        '<script type="application/ld+json">{"@type": ["NewsArticle", "https://schema.org/'
        'Reportage"], "headline": "x",</script></head><body><p>x</p></body></html>'
    )
    head = read_head(parse_html(html), html)
    assert head.declared == {"og:article", "ld:newsarticle", "ld:reportage"}


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=2000))
def test_page_type_never_raises(text: str) -> None:
    assert page_type(text) in PAGE_TYPES
    assert page_type(text.encode("utf-8", "surrogatepass")) in PAGE_TYPES


def test_deeply_nested_pages_get_a_type() -> None:
    html = "<div>" * 5000 + "<p>" + "Words of a paragraph. " * 30 + "</p>" + "</div>" * 5000
    tree = parse_html(html)
    text, shape = extract_main_content(html, tree)
    assert html_page_type(html, tree, text, shape).page_type in PAGE_TYPES


def test_the_extract_stage_loads_the_page_type_model_before_forking_its_workers() -> None:
    from pipeline.extract import WORKER_PRELOAD

    assert "pipeline.html.preload" in WORKER_PRELOAD
    probe = (
        "from pipeline.html.pagetype import _models; import pipeline.html.preload; "
        "print(_models.cache_info().currsize)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"
