"""WARC input: each HTTP response record of a ``.warc``/``.warc.gz`` file becomes one input item.

Records are read with warcio, one at a time, so a multi-gigabyte WARC never sits in memory.
A record whose HTTP part cannot be parsed becomes an item with an ``error``; a WARC whose
framing breaks mid-file yields one error item at the failing offset, and the run goes on.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeadersParser

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=True)
_HTTP_HEAD_ALLOWANCE = 64 << 10  # HTTP headers on top of the payload cap
_TEXT_TYPES = (
    "text/",
    "application/xhtml",
    "application/xml",
    "application/rss",
    "application/atom",
)


def is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def record_name(file_name: str, offset: int) -> str:
    """Identity of a record in provenance and accounting: ``<file>#<offset>``."""
    return f"{file_name}#{offset}"


def parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def http_charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def is_text_type(content_type: str | None) -> bool:
    """Whether an HTTP Content-Type may hold a page (missing types are given the benefit)."""
    if not content_type:
        return True
    return content_type.strip().lower().startswith(_TEXT_TYPES)


def iter_records(path: Path, name: str, max_payload_bytes: int) -> Iterator[dict[str, Any]]:
    """Input items of every response record in the WARC at ``path`` (``name`` = relative path)."""
    with path.open("rb") as stream:
        # HTTP headers are parsed per record below, so one bad record does not end the file.
        records = ArchiveIterator(stream, no_record_parse=True)
        try:
            for record in records:
                if record.rec_type != "response":
                    continue
                item = _record_item(record, max_payload_bytes)
                # Asked after the payload is read: asking first makes warcio skip the payload.
                offset = records.get_record_offset()
                yield {"name": record_name(name, offset), "warc_record_offset": offset, **item}
        except Exception as exc:  # warcio raises several types on broken framing
            yield _framing_error(name, records.offset, f"{type(exc).__name__}: {exc}")
            return
        size = path.stat().st_size
        if records.offset < size:
            yield _framing_error(name, records.offset, f"{size - records.offset} bytes unparsed")


def _framing_error(name: str, offset: int, why: str) -> dict[str, Any]:
    """The rest of a WARC from ``offset`` on cannot be read: one item says so."""
    return {
        "name": record_name(name, offset),
        "warc_record_offset": offset,
        "error": f"WARC framing broken here, rest of file unreadable: {why}"[:300],
    }


def _record_item(record: Any, max_payload_bytes: int) -> dict[str, Any]:
    headers = record.rec_headers
    item: dict[str, Any] = {
        "warc_record_id": headers.get_header("WARC-Record-ID"),
        "warc_payload_digest": headers.get_header("WARC-Payload-Digest"),
        "source_url": headers.get_header("WARC-Target-URI"),
        "fetched_at": parse_warc_date(headers.get_header("WARC-Date")),
        "payload": None,
        "error": None,
    }
    declared = int(headers.get_header("Content-Length") or -1)
    if declared > max_payload_bytes + _HTTP_HEAD_ALLOWANCE:
        item["oversize"] = declared  # over the cap: not read at all
        return item
    block = record.raw_stream.read()
    if declared >= 0 and len(block) < declared:
        item["error"] = f"truncated record: {len(block)} of {declared} bytes"
        return item
    stream = io.BytesIO(block)
    try:
        http = _HTTP_PARSER.parse(stream)
    except Exception as exc:
        item["error"] = f"HTTP headers cannot be parsed: {type(exc).__name__}: {exc}"[:300]
        return item
    # content_stream() undoes chunking and content-encoding from these two.
    record.http_headers, record.raw_stream = http, stream
    content_type = http.get_header("Content-Type")
    item["http_charset"] = http_charset(content_type)
    if not is_text_type(content_type):
        item["binary_type"] = content_type
    try:
        # One byte past the cap tells an over-size payload without reading all of it.
        item["payload"] = record.content_stream().read(max_payload_bytes + 1)
    except Exception as exc:
        item["error"] = f"unreadable payload: {type(exc).__name__}: {exc}"[:300]
    return item
