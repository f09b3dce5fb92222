"""The input folder as rows: every entry under a root with its kind, size, content hash (where
its bytes shape the output) and the manifest's values for it, or a quarantine reason for an
entry that is not a page. The stage that writes the table is :mod:`pipeline.inventory`."""

from __future__ import annotations

import csv
import errno
import json
import os
import stat
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from pipeline import schema
from pipeline.config import ParamsError
from pipeline.runtime.hashing import sha256_file
from pipeline.schema import QuarantineReason
from pipeline.sources.listing import remote_rows
from pipeline.sources.warc import is_warc, parse_warc_date

REGULAR = ("file", "symlink_to_file")  # rows whose bytes are pages (or WARC files)

Row = dict[str, Any]


def display_name(relative: str) -> str:
    """A relative path as it can be stored and shown: a name that is not UTF-8 reaches Python
    with surrogate escapes, which Parquet cannot store; its raw bytes are shown as ``\\xNN``."""
    return relative.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_decodable(relative: str) -> bool:
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def file_type(mode: int) -> str:
    """Name of the kind of file a ``st_mode`` describes."""
    kinds = (
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "folder"),
        (stat.S_ISLNK, "symlink"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "char_device"),
        (stat.S_ISBLK, "block_device"),
    )
    return next((name for test, name in kinds if test(mode)), "unknown")


def entry_row(
    relative: str,
    kind: str,
    size: int | None = None,
    reason: QuarantineReason | None = None,
    detail: str | None = None,
) -> Row:
    return {
        "source_path": display_name(relative),
        "file_type": kind,
        "size_bytes": size,
        "source_sha256": None,
        "source_version": None,
        "source_url": None,
        "fetched_at": None,
        "reason": reason.value if reason is not None else None,
        "detail": detail,
    }


def _error_text(exc: OSError) -> str:
    return f"{type(exc).__name__}: {exc.strerror or exc}"


def classify(path: str, relative: str) -> tuple[Row, bool]:
    """(row, whether to descend into it) of one entry, from ``lstat`` first: a symlink is only
    followed to a regular file (a folder link is not walked, so a loop cannot trap the walk)."""
    if not is_decodable(relative):
        mode = os.lstat(path).st_mode
        detail = "name is not valid UTF-8; rename it to include it"
        return entry_row(
            relative, file_type(mode), None, QuarantineReason.UNDECODABLE_NAME, detail
        ), False
    info = os.lstat(path)
    if stat.S_ISDIR(info.st_mode):
        return entry_row(relative, "folder"), True
    if stat.S_ISREG(info.st_mode):
        return entry_row(relative, "file", info.st_size), False
    if not stat.S_ISLNK(info.st_mode):
        kind = file_type(info.st_mode)
        detail = f"{kind}: reading it could block or never end"
        return entry_row(relative, kind, None, QuarantineReason.SPECIAL_FILE, detail), False
    try:
        target = os.stat(path)
    except OSError as exc:
        reason = {
            errno.ELOOP: QuarantineReason.SYMLINK_LOOP,
            errno.ENOENT: QuarantineReason.DANGLING_SYMLINK,
            errno.ENOTDIR: QuarantineReason.DANGLING_SYMLINK,
        }.get(exc.errno or 0, QuarantineReason.UNREADABLE)
        detail = f"symlink to {os.readlink(path)!r}: {_error_text(exc)}"
        return entry_row(relative, "symlink", None, reason, display_name(detail)), False
    if stat.S_ISREG(target.st_mode):
        return entry_row(relative, "symlink_to_file", target.st_size), False
    kind = file_type(target.st_mode)
    if stat.S_ISDIR(target.st_mode):
        detail = f"symlink to folder {os.readlink(path)!r}: not followed"
        return entry_row(
            relative, "symlink", None, QuarantineReason.SYMLINKED_FOLDER, display_name(detail)
        ), False
    detail = f"symlink to a {kind}: reading it could block or never end"
    return entry_row(relative, "symlink", None, QuarantineReason.SPECIAL_FILE, detail), False


def walk_entries(root: Path) -> Iterator[Row]:
    """A row for every entry under ``root`` that is not a folder walked into, and for every
    folder that cannot be listed (instead of dropping its files silently, as ``os.walk`` does
    without ``onerror``)."""
    pending = [(os.fspath(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                names = sorted(entry.name for entry in listing)
        except OSError as exc:
            where = prefix.rstrip("/") or "."
            detail = _error_text(exc)
            yield entry_row(where, "folder", None, QuarantineReason.UNLISTABLE_FOLDER, detail)
            continue
        for name in names:
            path, relative = os.path.join(folder, name), prefix + name
            try:
                row, descend = classify(path, relative)
            except OSError as exc:  # gone or unreadable between listing and lstat
                row = entry_row(
                    relative, "unknown", None, QuarantineReason.UNREADABLE, _error_text(exc)
                )
                descend = False
            if descend:
                pending.append((path, relative + "/"))
            else:
                yield row


def needs_hash(row: Row, max_raw_bytes: int) -> bool:
    """Pages over ``max_raw_bytes`` are quarantined by their size alone, unread, so their bytes
    do not shape the output; a WARC file's records are judged one by one, so it is hashed."""
    if row["reason"] is not None or row["file_type"] not in REGULAR:
        return False
    return is_warc(Path(row["source_path"])) or (row["size_bytes"] or 0) <= max_raw_bytes


def hash_rows(root: Path, rows: list[Row], max_raw_bytes: int, threads: int) -> list[Row]:
    """``rows`` with ``source_sha256`` filled in for the files whose bytes matter; a file that
    cannot be read becomes an ``unreadable`` row."""

    def hashed(row: Row) -> Row:
        if not needs_hash(row, max_raw_bytes):
            return row
        try:
            return {**row, "source_sha256": sha256_file(os.path.join(root, row["source_path"]))}
        except OSError as exc:
            reason = QuarantineReason.UNREADABLE.value
            return {**row, "reason": reason, "detail": _error_text(exc)}

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return list(pool.map(hashed, rows))


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


def load_manifest(value: Any) -> dict[str, dict[str, Any]]:
    """The manifest ``ingest.manifest`` names (empty when null); an error names the key."""
    if value is None:
        return {}
    path = Path(str(value))
    try:
        return read_manifest(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = f"params.yaml: ingest.manifest = {value!r}: cannot be read ({exc})"
        raise ParamsError([problem]) from exc


def with_manifest(rows: Sequence[Row], manifest: dict[str, dict[str, Any]]) -> list[Row]:
    """The manifest's values on the rows of plain files it names (WARC records carry their
    own), so a manifest edit changes this table exactly where it changes the output."""
    out = []
    for row in rows:
        entry = manifest.get(row["source_path"])
        if entry and row["file_type"] in REGULAR and not is_warc(Path(row["source_path"])):
            row = {**row, **entry}
        out.append(row)
    return out


def take_inventory(
    root: Path | None,
    manifest: dict[str, dict[str, Any]] | None = None,
    max_raw_bytes: int = 1 << 62,
    threads: int = 1,
    urls: Sequence[str] = (),
) -> pl.DataFrame:
    """The input_files table: the entries under ``root`` (None = no folder), sorted by path,
    then the remote objects ``urls`` names, sorted by URL (see :mod:`pipeline.sources.listing`)."""
    rows = hash_rows(root, list(walk_entries(root)), max_raw_bytes, threads) if root else []
    rows = sorted(with_manifest(rows, manifest or {}), key=lambda row: row["source_path"])
    if urls:
        rows += sorted(remote_rows(sorted(set(urls))), key=lambda row: row["source_path"])
    if not rows:
        return schema.empty(schema.INPUT_FILES)
    return pl.DataFrame(rows, schema=schema.INPUT_FILES)
