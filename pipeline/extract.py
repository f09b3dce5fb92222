"""Stage 2, extract: main text and metadata of every ingested document.

Also the benchmark entry points :func:`extract_text` and :func:`extract_metadata`, which take a
whole page (HTML or page text dump, detected) as ``str`` or raw ``bytes``.
"""

from __future__ import annotations

from typing import Any

from pipeline.htmlextract import extract_main_text
from pipeline.metadata import empty_metadata, extract_html_metadata
from pipeline.textdump import extract_page_dump, looks_like_page_dump


def _as_text(raw: str | bytes) -> str:
    if isinstance(raw, str):
        return raw
    from pipeline.ingest import decode_bytes

    decoded = decode_bytes(raw)
    return decoded.text if decoded.text is not None else ""


def extract_text(raw: str | bytes) -> str:
    """Article body of a page, paragraphs separated by "\\n"."""
    text = _as_text(raw)
    if looks_like_page_dump(text):
        return extract_page_dump(text).text
    return extract_main_text(text)


def extract_metadata(raw: str | bytes, url: str | None = None) -> dict[str, Any]:
    """Metadata of a page (see :data:`pipeline.schema.METADATA_FIELDS`)."""
    text = _as_text(raw)
    if looks_like_page_dump(text):
        meta = empty_metadata()
        title = extract_page_dump(text).title
        if title:
            meta["title"], meta["title_source"] = title, "dump"
        return meta
    return extract_html_metadata(text, url=url)
