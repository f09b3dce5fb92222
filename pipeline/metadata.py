"""Article metadata from HTML: JSON-LD, OpenGraph, <meta>, <time>, URL (placeholder)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from pipeline.schema import METADATA_FIELDS


def empty_metadata() -> dict[str, Any]:
    """Every metadata field and its ``*_source`` set to None (lists empty)."""
    meta: dict[str, Any] = {}
    for field in METADATA_FIELDS:
        meta[field] = [] if field in ("authors", "tags") else None
        meta[f"{field}_source"] = None
    return meta


def extract_html_metadata(html: str, url: str | None = None) -> dict[str, Any]:
    """Metadata of the page: keys are METADATA_FIELDS plus ``<field>_source`` for each.

    ``published``/``modified`` are timezone-aware ``datetime`` objects (or None).
    """
    meta = empty_metadata()
    tree = LexborHTMLParser(html)
    title = tree.css_first("title")
    if title is not None and title.text(strip=True):
        meta["title"], meta["title_source"] = title.text(strip=True), "html"
    if url:
        meta["url"], meta["url_source"] = url, "input"
        meta["domain"], meta["domain_source"] = urlsplit(url).hostname, "url"
    return meta
