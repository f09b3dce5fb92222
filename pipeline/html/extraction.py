"""A page, HTML or page text dump (detected), to its main text and metadata: the extract
stage's step (:func:`extract_document`, one ingested row at a time) and the benchmark entry
points :func:`extract_text` and :func:`extract_metadata`, which take a whole page as ``str``
or raw ``bytes``. An extractor exception quarantines its document; it never stops a run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pipeline.html.content import extract_main_content, extract_main_text, parse_html
from pipeline.html.metadata import domain_of, empty_metadata, extract_html_metadata
from pipeline.html.pagetype import PageType, dump_page_type, has_a_type, html_page_type
from pipeline.html.title import plausible_title
from pipeline.schema import QuarantineReason
from pipeline.sources.decoding import decode_bytes
from pipeline.sources.pages import InputPages, PageUnavailable
from pipeline.text.dumps import extract_page_dump, looks_like_page_dump


def _as_text(raw: str | bytes) -> str:
    if isinstance(raw, str):
        return raw
    return decode_bytes(raw).text or ""


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC)


def dump_metadata(title: str | None, url: str | None) -> dict[str, Any]:
    """A page text dump has no markup: its metadata is the headline and the URL it came with."""
    meta = empty_metadata()
    if title and plausible_title(title):
        meta["title"], meta["title_source"] = title, "dump"
    if url:
        meta["url"], meta["url_source"] = url, "input"
        meta["domain"], meta["domain_source"] = domain_of(url), "url"
    return meta


def extract_page(
    page: str, is_dump: bool, url: str | None = None
) -> tuple[str, dict[str, Any], str, PageType | None]:
    """(main text, metadata, extractor name, page type) of one decoded page; the type is
    None for a page with neither a main text nor the links of an index (nothing to tell its
    type by: it is quarantined as no_content)."""
    if is_dump:
        dump = extract_page_dump(page)
        kind = dump_page_type(page, dump.text, url) if dump.text.strip() else None
        return dump.text, dump_metadata(dump.title, url), "dump", kind
    tree = parse_html(page)  # parsed once for both extractors and the page type
    text, shape = extract_main_content(page, tree)
    kind = html_page_type(page, tree, text, shape, url) if has_a_type(text, shape) else None
    return text, extract_html_metadata(page, url=url, tree=tree), "html", kind


def extract_text(raw: str | bytes) -> str:
    """Article body of a page, paragraphs separated by "\\n" (the benchmark entry point)."""
    page = _as_text(raw)
    if looks_like_page_dump(page):
        return extract_page_dump(page).text
    return extract_main_text(page)


def page_type(raw: str | bytes) -> str:
    """The type of a page (HTML or page text dump, detected): one of
    :data:`pipeline.html.pagetype.PAGE_TYPES` (the benchmark entry point)."""
    return extract_text_and_page_type(raw)[1]


def extract_text_and_page_type(raw: str | bytes) -> tuple[str, str]:
    """:func:`extract_text` and :func:`page_type` of a page, parsed once (as the extract stage
    does): what the page-type benchmark times against :func:`extract_text` alone."""
    page = _as_text(raw)
    if looks_like_page_dump(page):
        text = extract_page_dump(page).text
        return text, dump_page_type(page, text).page_type
    tree = parse_html(page)
    text, shape = extract_main_content(page, tree)
    return text, html_page_type(page, tree, text, shape).page_type


def extract_metadata(raw: str | bytes, url: str | None = None) -> dict[str, Any]:
    """Metadata of a page (see :data:`pipeline.schema.METADATA_FIELDS`)."""
    page = _as_text(raw)
    if looks_like_page_dump(page):
        return dump_metadata(extract_page_dump(page).title, url)
    return extract_html_metadata(page, url=url)


PAGES_IN_ROWS = InputPages(None, 0, 0)  # no input folder: every page is in its row


def extract_document(
    row: dict[str, Any],
    max_text_chars: int,
    keep_page_types: frozenset[str] = frozenset({"article"}),
    pages: InputPages = PAGES_IN_ROWS,
) -> dict[str, Any]:
    """One ingested row -> extracted row; ``reason`` is set when there is no usable main text
    or the page's type is not one of ``keep_page_types``. An extractor exception quarantines
    the document instead of stopping the run. ``pages``: where to read the pages ingest left
    out of its table (see :mod:`pipeline.sources.pages`)."""
    out = {k: v for k, v in row.items() if k != "raw_text"}
    out.update(
        empty_metadata(),
        extractor=None,
        text="",
        reason=None,
        detail=None,
        page_type=None,
        page_type_confidence=None,
        page_type_source=None,
    )
    try:
        page = pages.text(row)
    except PageUnavailable as exc:
        out["reason"], out["detail"] = exc.reason, exc.detail
        return out
    try:
        is_dump = row["format"].startswith("text")
        text, meta, extractor, kind = extract_page(page, is_dump, url=row.get("source_url"))
    except Exception as exc:  # any extractor bug must not kill a long run
        out["reason"] = QuarantineReason.EXTRACTION_ERROR
        out["detail"] = f"{type(exc).__name__}: {exc}"[:500]
        return out
    meta["published"] = _utc(meta.get("published"))
    meta["modified"] = _utc(meta.get("modified"))
    out.update(meta, extractor=extractor, text=text)
    if kind is not None:
        out.update(
            page_type=kind.page_type,
            page_type_confidence=kind.confidence,
            page_type_source=kind.source,
        )
    if kind is not None and kind.page_type not in keep_page_types:
        out["reason"] = QuarantineReason.NOT_ARTICLE
        out["detail"] = (
            f"page_type={kind.page_type} (confidence {kind.confidence:.2f}, {kind.source}) "
            f"not in extract.keep_page_types"
        )
    elif not text.strip():
        out["reason"], out["detail"] = QuarantineReason.NO_CONTENT, f"{extractor}: no main text"
    elif len(text) > max_text_chars:
        out["reason"] = QuarantineReason.TEXT_TOO_LONG
        out["detail"] = f"{len(text)} chars > extract.max_text_chars={max_text_chars}"
    return out
