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
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeadersParser

from pipeline.sources.remote import RemoteReadError
from pipeline.sources.screen import Screen

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


def _status_code(http: Any) -> int | None:
    try:
        return int(http.get_statuscode())
    except (TypeError, ValueError):
        return None


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


def iter_records(
    path: Path, name: str, max_payload_bytes: int, screen: Screen | None = None
) -> Iterator[dict[str, Any]]:
    """Input items of every response record in the WARC at ``path`` (``name`` = relative path)."""
    with path.open("rb") as stream:
        yield from iter_stream_records(stream, path.stat().st_size, name, max_payload_bytes, screen)


def iter_stream_records(
    stream: BinaryIO,
    size: int | None,
    name: str,
    max_payload_bytes: int,
    screen: Screen | None = None,
) -> Iterator[dict[str, Any]]:
    """Input items of every response record of a WARC read from ``stream`` (``size`` bytes in
    all, if known; ``name``: the file's relative path or URL). Records a ``screen`` rules out of
    scope (see :mod:`pipeline.sources.filters`) are counted there, not yielded."""
    # HTTP headers are parsed per record below, so one bad record does not end the file.
    records = ArchiveIterator(stream, no_record_parse=True)
    try:
        for record in records:
            if record.rec_type != "response":
                continue
            item = _record_item(record, max_payload_bytes, screen)
            if item is None:
                continue
            # Asked after the payload is read: asking first makes warcio skip the payload.
            offset = records.get_record_offset()
            yield {
                "name": record_name(name, offset),
                "warc_file": name,
                "warc_record_offset": offset,
                **item,
            }
    except RemoteReadError:
        raise  # the network failed, not the file: the run stops and resumes from here
    except Exception as exc:  # warcio raises several types on broken framing
        yield _framing_error(name, records.offset, f"{type(exc).__name__}: {exc}")
        return
    if size is not None and records.offset < size:
        yield _framing_error(name, records.offset, f"{size - records.offset} bytes unparsed")


def _framing_error(name: str, offset: int, why: str) -> dict[str, Any]:
    """The rest of a WARC from ``offset`` on cannot be read: one item says so."""
    return {
        "name": record_name(name, offset),
        "warc_file": name,
        "warc_record_offset": offset,
        "error": f"WARC framing broken here, rest of file unreadable: {why}"[:300],
    }


def _record_item(
    record: Any, max_payload_bytes: int, screen: Screen | None = None
) -> dict[str, Any] | None:
    """The record's input item, or None when ``screen`` rules it out of scope (counted there)."""
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
    size = declared if declared >= 0 else None
    if screen is not None and screen.drops_record(item["source_url"], item["fetched_at"], size):
        return None
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
    if screen is not None and screen.drops_http(_status_code(http), content_type):
        return None
    item["http_charset"] = http_charset(content_type)
    if not is_text_type(content_type):
        item["binary_type"] = content_type
    try:
        # One byte past the cap tells an over-size payload without reading all of it.
        item["payload"] = record.content_stream().read(max_payload_bytes + 1)
    except Exception as exc:
        item["error"] = f"unreadable payload: {type(exc).__name__}: {exc}"[:300]
    return item


def read_record(path: Path, offset: int, max_payload_bytes: int) -> dict[str, Any] | None:
    """The input item of the response record at ``offset`` of the WARC at ``path`` (as
    :func:`iter_records` gave it), or None when no record starts there."""
    with path.open("rb") as stream:
        stream.seek(offset)
        for record in ArchiveIterator(stream, no_record_parse=True):
            return _record_item(record, max_payload_bytes)
    return None
