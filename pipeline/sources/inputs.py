"""Input items to ingest rows: every entry of the inventory (a file, each response record of a
WARC file, or an entry that is not a page) becomes a decoded document or a quarantine row.
The stage that runs this is :mod:`pipeline.ingest`."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.outputs import OUTPUTS
from pipeline.runtime.hashing import open_without_blocking, sha256_file
from pipeline.runtime.protocol import Utf8Text
from pipeline.schema import PROVENANCE, QuarantineReason
from pipeline.sources.decoding import Decoded, decode_bytes
from pipeline.sources.listing import crawl_of
from pipeline.sources.remote import (
    DEFAULT_RETRY,
    RemoteAccessError,
    Retry,
    object_info,
    open_remote,
    read_remote,
)
from pipeline.sources.screen import Screen
from pipeline.sources.warc import is_warc, iter_records, iter_stream_records

# An input item of the input folder: its page text stays there (see pipeline.sources.pages).
BY_REFERENCE = {"by_reference": True}
DOC_ID_HEX = 16  # 64 bits of the SHA-256: collision-free far beyond millions of pages
PROVENANCE_COLUMNS = tuple(PROVENANCE)
CHANGED = f"bytes differ from the inventory ({OUTPUTS['input_files'].path.as_posix()})"
REMOTE_CHANGED = (
    f"size or version differs from the inventory ({OUTPUTS['input_files'].path.as_posix()})"
)


def _base_row(name: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(PROVENANCE_COLUMNS)
    row.update(source_path=name, raw_text=None, reason=None, detail=None)
    return row


def decode_payload(
    row: dict[str, Any],
    raw: bytes,
    max_inflated_bytes: int,
    http_charset: str | None = None,
    digest: str | None = None,
) -> dict[str, Any]:
    """Hash (unless its ``digest`` is given) and decode raw bytes into ``row`` (the charset of
    an HTTP header wins, as in browsers, when the bytes decode with it). ``raw_text`` is the
    decoded ``str``, or a :class:`Utf8Text` of the input's bytes when the text is exactly them."""
    digest = digest or hashlib.sha256(raw).hexdigest()
    row.update(doc_id=digest[:DOC_ID_HEX], source_sha256=digest, size_bytes=len(raw))
    decoded, text, encoding = decode_page(raw, max_inflated_bytes, http_charset)
    stored: str | Utf8Text | None = text
    if decoded.utf8 is not None and text is decoded.text:
        stored = Utf8Text(decoded.utf8)  # the input's own bytes: no second encoding to store it
    row.update(format=decoded.format, encoding=encoding, raw_text=stored)
    row.update(reason=decoded.reason, detail=decoded.detail)
    return row


def decode_page(
    raw: bytes, max_inflated_bytes: int, http_charset: str | None = None
) -> tuple[Decoded, str | None, str | None]:
    """(what decoding found, the page's text, its encoding): the text is None exactly when
    ``Decoded.reason`` is set. The one decoding of a page, for ingest and for the extract
    workers that read a page again (:mod:`pipeline.sources.pages`)."""
    decoded = decode_bytes(raw, max_inflated_bytes=max_inflated_bytes)
    text, encoding = decoded.text, decoded.encoding
    if text is not None and http_charset and not decoded.format.endswith(".gz"):
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            text, encoding = raw.decode(http_charset), http_charset
    return decoded, text, encoding


def read_regular_file(path: Path) -> tuple[bytes | None, int]:
    """(bytes, size) of a regular file, opened without blocking: (None, size) when it is not
    a regular file (a FIFO or device would block or never end)."""
    reader, info = open_without_blocking(path)
    with reader:
        if not stat.S_ISREG(info.st_mode):
            return None, info.st_size
        return reader.read(), info.st_size


def ingest_file(
    path: Path,
    root: Path,
    max_raw_bytes: int,
    max_inflated_bytes: int,
    listed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One input file -> a row with provenance and either ``raw_text`` or a quarantine reason.
    ``listed``: the file's ``size_bytes`` and ``source_sha256`` in the inventory; a file that
    differs from them is not ingested (the inventory is what DVC tracks)."""
    row = _base_row(path.relative_to(root).as_posix())
    try:
        size = os.stat(path).st_size
        if size > max_raw_bytes and (listed is None or listed["size_bytes"] == size):
            row["size_bytes"] = size
            row["reason"], row["detail"] = too_large(size, max_raw_bytes)
            return row
        raw, size = read_regular_file(path)
    except OSError as exc:
        row["reason"] = QuarantineReason.UNREADABLE
        row["detail"] = f"{type(exc).__name__}: {exc.strerror or exc}"
        return row
    row["size_bytes"] = size
    if raw is None:
        row["reason"] = QuarantineReason.UNREADABLE
        row["detail"] = "not a regular file"
        return row
    return ingest_bytes(row, raw, max_inflated_bytes, listed)


def too_large(size: int, max_raw_bytes: int) -> tuple[QuarantineReason, str]:
    """The quarantine (reason, detail) of a file or page over ``ingest.max_raw_bytes``, judged
    by its listed size, unread."""
    return QuarantineReason.TOO_LARGE, f"{size} bytes > ingest.max_raw_bytes={max_raw_bytes}"


def ingest_bytes(
    row: dict[str, Any], raw: bytes, max_inflated_bytes: int, listed: dict[str, Any] | None
) -> dict[str, Any]:
    """A file's bytes (read here, or by the driver and carried to a worker that cannot see
    the input folder) -> ``row`` decoded, unless they differ from the inventory's hash."""
    row["size_bytes"] = len(raw)
    digest = hashlib.sha256(raw).hexdigest()
    if listed is not None and listed.get("source_sha256") and digest != listed["source_sha256"]:
        row["reason"], row["detail"] = QuarantineReason.CHANGED_SINCE_INVENTORY, CHANGED
        return row
    return decode_payload(row, raw, max_inflated_bytes, digest=digest)


def ingest_record(item: dict[str, Any], max_raw_bytes: int, max_inflated: int) -> dict[str, Any]:
    """One WARC response record (see :mod:`pipeline.sources.warc`) -> a row like
    :func:`ingest_file`."""
    row = _base_row(item["name"])
    for key in ("source_url", "fetched_at", "warc_record_offset"):
        row[key] = item.get(key)
    row["warc_record_id"] = item.get("warc_record_id")
    row["warc_payload_digest"] = item.get("warc_payload_digest")
    row["warc_file"] = item.get("warc_file")
    payload: bytes | None = item.get("payload")
    if item.get("oversize"):
        row["size_bytes"] = item["oversize"]
        row["reason"] = QuarantineReason.TOO_LARGE
        row["detail"] = f"record over ingest.max_raw_bytes={max_raw_bytes}"
        return row
    if item.get("error") or payload is None:
        row["reason"] = QuarantineReason.MALFORMED_RECORD
        row["detail"] = item.get("error") or "no payload"
        return row
    row["size_bytes"] = len(payload)
    if len(payload) > max_raw_bytes:
        row["reason"] = QuarantineReason.TOO_LARGE
        row["detail"] = f"payload over ingest.max_raw_bytes={max_raw_bytes}"
        return row
    if item.get("binary_type"):
        row.update(doc_id=None, reason=QuarantineReason.BINARY)
        row["detail"] = f"HTTP Content-Type {item['binary_type']}"
        return row
    return decode_payload(row, payload, max_inflated, item.get("http_charset"))


def ingest_row(
    item: dict[str, Any], root: str, max_raw: int, max_inflated: int, crawl: str | None = None
) -> dict[str, Any]:
    """One input item -> its ingest row; ``crawl``: ``ingest.crawl`` (see
    :func:`pipeline.sources.listing.crawl_of`). The text of a page the extract workers can read
    again from the input folder (an item marked ``by_reference``) is left out of the row: see
    :mod:`pipeline.sources.pages`."""
    row = _item_row(item, root, max_raw, max_inflated)
    row["crawl"] = crawl_of(row.get("warc_file") or row["source_path"], crawl)
    if item.get("by_reference"):
        row["raw_text"] = None
    return row


def _item_row(item: dict[str, Any], root: str, max_raw: int, max_inflated: int) -> dict[str, Any]:
    if "problem" in item:  # found by the inventory: not a page
        row = _base_row(item["name"])
        row["size_bytes"] = item.get("size_bytes")
        row["reason"], row["detail"] = item["problem"]
        return row
    if "path" in item or "raw" in item:
        listed = item.get("listed")
        if "raw" in item:  # carried by the driver (a remote page, or for a remote worker)
            row = _base_row(item["name"])
            if len(item["raw"]) > max_raw:
                row["size_bytes"] = len(item["raw"])
                row["reason"] = QuarantineReason.TOO_LARGE
                row["detail"] = f"over ingest.max_raw_bytes={max_raw}"
                return row
            row = ingest_bytes(row, item["raw"], max_inflated, listed)
        else:
            row = ingest_file(Path(item["path"]), Path(root), max_raw, max_inflated, listed)
        row["source_url"], row["fetched_at"] = item.get("source_url"), item.get("fetched_at")
        return row
    return ingest_record(item, max_raw, max_inflated)


def warc_problem(path: Path, listed: dict[str, Any]) -> tuple[str, str] | None:
    """(reason, detail) when a WARC file cannot be read as the inventory listed it."""
    try:
        digest = sha256_file(path)
    except OSError as exc:
        return QuarantineReason.UNREADABLE.value, f"{type(exc).__name__}: {exc.strerror or exc}"
    if digest != listed["source_sha256"]:
        return QuarantineReason.CHANGED_SINCE_INVENTORY.value, CHANGED
    return None


def input_items(
    root: Path | None,
    files: Iterable[dict[str, Any]],
    max_raw_bytes: int,
    names: list[str],
    screen: Screen | None = None,
    carry: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every input item of the inventory's rows of the input folder (``files``, in
    ``source_path`` order): a file, each response record of a WARC file, or an entry that is
    not a page (with its reason). Appends each item's name to ``names`` (the list validation
    accounts for) as it goes. Items ``screen`` rules out of scope are counted there instead.
    ``carry``: files travel as their bytes, for workers that cannot read the folder. Every page
    is marked ``by_reference``: extract reads it again from the folder."""
    for entry in files:
        name = entry["source_path"]
        listed = {"size_bytes": entry["size_bytes"], "source_sha256": entry["source_sha256"]}
        problem = (entry["reason"], entry["detail"]) if entry["reason"] is not None else None
        if problem is None and root is not None and is_warc(Path(name)):
            problem = warc_problem(root / name, listed)
            if problem is None:
                for item in iter_records(root / name, name, max_raw_bytes, screen):
                    names.append(item["name"])
                    yield {**item, **BY_REFERENCE}
                continue
        url, fetched_at, size = entry["source_url"], entry["fetched_at"], entry["size_bytes"]
        if problem is None and screen is not None and screen.drops_record(url, fetched_at, size):
            continue
        manifest = {"source_url": url, "fetched_at": fetched_at}
        names.append(name)
        if problem is None and carry and (size or 0) > max_raw_bytes:
            problem = too_large(size, max_raw_bytes)  # a worker elsewhere could not stat it
        if problem is not None or root is None:
            yield {"name": name, "problem": problem, "size_bytes": size}
        elif carry:
            raw, _ = read_regular_file(root / name)
            yield {"name": name, "raw": raw or b"", "listed": listed, **manifest, **BY_REFERENCE}
        else:
            path = str(root / name)
            yield {"name": name, "path": path, "listed": listed, **manifest, **BY_REFERENCE}


def remote_items(
    entry: dict[str, Any],
    max_raw_bytes: int,
    names: list[str],
    screen: Screen | None = None,
    retry: Retry = DEFAULT_RETRY,
) -> Iterator[dict[str, Any]]:
    """The input items of one remote object of the inventory (a WARC's response records,
    streamed; or one page, read here and carried to the worker), or one item with the reason
    it cannot be read: missing now, or changed since the inventory listed it."""
    url = entry["source_path"]
    problem: tuple[str, str] | None = None
    if entry["reason"] is not None:
        problem = (entry["reason"], entry["detail"])
    else:
        try:
            now = object_info(url, retry)
        except RemoteAccessError:
            raise
        except Exception as exc:
            problem = (QuarantineReason.UNREADABLE.value, f"{type(exc).__name__}: {exc}"[:300])
        else:
            if (now.size, now.version) != (entry["size_bytes"], entry["source_version"]):
                problem = (QuarantineReason.CHANGED_SINCE_INVENTORY.value, REMOTE_CHANGED)
    if problem is None and is_warc(Path(url)):
        with open_remote(url, entry["size_bytes"], retry) as stream:
            for item in iter_stream_records(
                stream, entry["size_bytes"], url, max_raw_bytes, screen
            ):
                names.append(item["name"])
                yield item
        return
    size = entry["size_bytes"]
    if problem is None and screen is not None and screen.drops_record(url, None, size):
        return
    names.append(url)
    if problem is None and size is not None and size > max_raw_bytes:
        problem = too_large(size, max_raw_bytes)
    if problem is not None:
        yield {"name": url, "problem": problem, "size_bytes": size}
    else:
        limit = max_raw_bytes + 1 if size is None else min(size, max_raw_bytes + 1)
        raw = read_remote(url, limit, retry) if limit else b""
        yield {"name": url, "raw": raw, "source_url": url, "fetched_at": None}


def item_row(row: dict[str, Any]) -> dict[str, Any]:
    """An input item that overran its time budget as its quarantine row: the engine hands back
    the item (``name``, ``listed``), marked, and the row must name its input like any other."""
    if "source_path" in row:
        return row
    listed = row.get("listed") or {}
    out = _base_row(row["name"])
    out.update(
        size_bytes=listed.get("size_bytes", row.get("size_bytes")),
        source_sha256=listed.get("source_sha256"),
        reason=row["reason"],
        detail=row["detail"],
    )
    return out


@dataclass
class FirstPathWins:
    """The first path (in input order) with given bytes keeps the document; later ones are
    quarantined as its duplicates."""

    first_path: dict[str, str] = field(default_factory=dict)

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        row = item_row(row)
        if row["reason"] is not None:
            return row
        first = self.first_path.setdefault(row["doc_id"], row["source_path"])
        if first != row["source_path"]:
            detail = f"same bytes as {first}"
            return {**row, "reason": QuarantineReason.DUPLICATE.value, "detail": detail}
        return row
