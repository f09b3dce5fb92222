"""Stage 1, ingest: every file under the input directory becomes a decoded document or a
quarantine row. ``python -m pipeline.ingest --help``."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline.config import read_params
from pipeline.decoding import decode_bytes
from pipeline.engine import EngineConfig, PerDocument
from pipeline.schema import PROVENANCE, QuarantineReason
from pipeline.stage import (
    run_cli,
    stream_document_stage,
    timed_stage,
    write_parquet,
)
from pipeline.warc import is_warc, iter_records, parse_warc_date

STAGE = "ingest"
DOC_ID_HEX = 16  # 64 bits of the SHA-256: collision-free far beyond millions of pages
PROVENANCE_COLUMNS = tuple(PROVENANCE)


def walk_files(root: Path) -> Iterator[Path]:
    """Every file under ``root`` sorted by relative path; symlinked directories are not
    followed, so a symlink loop cannot trap the walk."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        found.extend(Path(dirpath) / name for name in filenames)
    yield from sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _base_row(name: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(PROVENANCE_COLUMNS)
    row.update(source_path=name, raw_text=None, reason=None, detail=None)
    return row


def decode_payload(
    row: dict[str, Any], raw: bytes, max_inflated_bytes: int, http_charset: str | None = None
) -> dict[str, Any]:
    """Hash and decode raw bytes into ``row`` (the charset of an HTTP header wins, as in
    browsers, when the bytes decode with it)."""
    digest = hashlib.sha256(raw).hexdigest()
    row.update(doc_id=digest[:DOC_ID_HEX], source_sha256=digest, size_bytes=len(raw))
    decoded = decode_bytes(raw, max_inflated_bytes=max_inflated_bytes)
    text, encoding = decoded.text, decoded.encoding
    if text is not None and http_charset and not decoded.format.endswith(".gz"):
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            text, encoding = raw.decode(http_charset), http_charset
    row.update(format=decoded.format, encoding=encoding, raw_text=text)
    row.update(reason=decoded.reason, detail=decoded.detail)
    return row


def ingest_file(
    path: Path, root: Path, max_raw_bytes: int, max_inflated_bytes: int
) -> dict[str, Any]:
    """One input file -> a row with provenance and either ``raw_text`` or a quarantine reason."""
    row = _base_row(path.relative_to(root).as_posix())
    try:
        info = path.stat()
        size = row["size_bytes"] = info.st_size
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or device would block or never end; only regular files are pages.
            row["reason"] = QuarantineReason.UNREADABLE
            row["detail"] = "not a regular file"
            return row
        if size > max_raw_bytes:
            row["reason"] = QuarantineReason.TOO_LARGE
            row["detail"] = f"{size} bytes > ingest.max_raw_bytes={max_raw_bytes}"
            return row
        raw = path.read_bytes()
    except OSError as exc:
        row["reason"] = QuarantineReason.UNREADABLE
        row["detail"] = f"{type(exc).__name__}: {exc.strerror or exc}"
        return row
    return decode_payload(row, raw, max_inflated_bytes)


def ingest_record(item: dict[str, Any], max_raw_bytes: int, max_inflated: int) -> dict[str, Any]:
    """One WARC response record (see :mod:`pipeline.warc`) -> a row like :func:`ingest_file`."""
    row = _base_row(item["name"])
    for key in ("source_url", "fetched_at", "warc_record_offset"):
        row[key] = item.get(key)
    row["warc_record_id"] = item.get("warc_record_id")
    row["warc_payload_digest"] = item.get("warc_payload_digest")
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


def ingest_row(item: dict[str, Any], root: str, max_raw: int, max_inflated: int) -> dict[str, Any]:
    if "path" in item:
        row = ingest_file(Path(item["path"]), Path(root), max_raw, max_inflated)
        row["source_url"], row["fetched_at"] = item.get("source_url"), item.get("fetched_at")
        return row
    return ingest_record(item, max_raw, max_inflated)


def read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """Sidecar for plain page dumps: CSV (header ``path,url,fetched_at``) or JSONL with those
    keys; paths relative to the input directory."""
    if path.suffix.lower() == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            entries = [json.loads(line) for line in fh if line.strip()]
    else:
        with path.open(encoding="utf-8", newline="") as fh:
            entries = list(csv.DictReader(fh))
    return {
        str(e["path"]): {
            "source_url": e.get("url") or None,
            "fetched_at": parse_warc_date(e.get("fetched_at")),
        }
        for e in entries
    }


def input_items(
    root: Path,
    max_raw_bytes: int,
    names: list[str],
    manifest: dict[str, dict[str, Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every input item under ``root``: a file, or each response record of a WARC file.
    Appends each item's name to ``names`` (the inventory) as it goes."""
    manifest = manifest or {}
    for path in walk_files(root):
        name = path.relative_to(root).as_posix()
        if is_warc(path) and path.is_file():
            for item in iter_records(path, name, max_raw_bytes):
                names.append(item["name"])
                yield item
        else:
            names.append(name)
            yield {"name": name, "path": str(path), **manifest.get(name, {})}


@dataclass
class FirstPathWins:
    """The first path (in input order) with given bytes keeps the document; later ones are
    quarantined as its duplicates."""

    first_path: dict[str, str] = field(default_factory=dict)

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        if row["reason"] is not None:
            return row
        first = self.first_path.setdefault(row["doc_id"], row["source_path"])
        if first != row["source_path"]:
            detail = f"same bytes as {first}"
            return {**row, "reason": QuarantineReason.DUPLICATE.value, "detail": detail}
        return row


def main(
    input_dir: Path | None = typer.Option(None, help="Overrides params ingest.input_dir."),
    output: Path = typer.Option(Path("data/interim/ingested.parquet")),
    quarantine: Path = typer.Option(Path("data/interim/quarantine_ingest.parquet")),
    inventory: Path = typer.Option(Path("data/interim/inventory.parquet")),
) -> None:
    config = read_params()  # the whole file, before any input is read
    params, engine = config.ingest, EngineConfig.from_params(config.engine)
    root = input_dir or params.input_dir
    fn = PerDocument(
        partial(
            ingest_row,
            root=str(root),
            max_raw=params.max_raw_bytes,
            max_inflated=params.max_inflated_bytes,
        ),
        engine.max_seconds_per_doc,
    )
    manifest = read_manifest(params.manifest) if params.manifest else None
    with timed_stage(STAGE) as stats:
        names: list[str] = []
        stream_document_stage(
            STAGE,
            fn,
            input_items(root, params.max_raw_bytes, names, manifest),
            engine,
            stats,
            output=(output, "ingested"),
            quarantine=(None, quarantine),
            settle=FirstPathWins(),
        )
        # The inventory lets validation prove kept + quarantined = every input item.
        write_parquet(pl.DataFrame({"source_path": names}), inventory, "inventory")


if __name__ == "__main__":
    run_cli(main)
