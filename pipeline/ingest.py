"""Stage 1, ingest: every file under the input directory becomes a decoded document or a
quarantine row. ``python -m pipeline.ingest --help``."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline import schema
from pipeline.decoding import decode_bytes
from pipeline.schema import QuarantineReason
from pipeline.stage import load_params, quarantine_rows, run_cli, timed_stage, write_parquet

STAGE = "ingest"
DOC_ID_HEX = 16  # 64 bits of the SHA-256: collision-free far beyond millions of pages


def walk_files(root: Path) -> Iterator[Path]:
    """Every file under ``root`` in a stable order; symlinked directories are not followed,
    so a symlink loop cannot trap the walk."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def ingest_file(
    path: Path, root: Path, max_raw_bytes: int, max_inflated_bytes: int
) -> dict[str, Any]:
    """One input file -> a row with provenance and either ``raw_text`` or a quarantine reason."""
    row: dict[str, Any] = {
        "doc_id": None,
        "source_path": path.relative_to(root).as_posix(),
        "source_sha256": None,
        "size_bytes": None,
        "format": None,
        "encoding": None,
        "raw_text": None,
        "reason": None,
        "detail": None,
    }
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
    digest = hashlib.sha256(raw).hexdigest()
    row.update(doc_id=digest[:DOC_ID_HEX], source_sha256=digest, size_bytes=len(raw))
    decoded = decode_bytes(raw, max_inflated_bytes=max_inflated_bytes)
    row.update(format=decoded.format, encoding=decoded.encoding, raw_text=decoded.text)
    row.update(reason=decoded.reason, detail=decoded.detail)
    return row


def split_kept(rows: list[dict[str, Any]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(ingested, quarantine): the first file (by path) of identical bytes is kept, later ones
    are quarantined as duplicates of it."""
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    first_path: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r["source_path"]):
        if row["reason"] is None and row["doc_id"] in first_path:
            row["reason"] = QuarantineReason.DUPLICATE
            row["detail"] = f"same bytes as {first_path[row['doc_id']]}"
        if row["reason"] is not None:
            dropped.append({**row, "stage": STAGE, "reason": str(row["reason"])})
        else:
            first_path[row["doc_id"]] = row["source_path"]
            kept.append(row)
    ingested = (
        pl.DataFrame(kept, schema={**schema.INGESTED}) if kept else schema.empty(schema.INGESTED)
    )
    return ingested, quarantine_rows(dropped)


def main(
    input_dir: Path | None = typer.Option(None, help="Overrides params ingest.input_dir."),
    output: Path = typer.Option(Path("data/interim/ingested.parquet")),
    quarantine: Path = typer.Option(Path("data/interim/quarantine_ingest.parquet")),
    inventory: Path = typer.Option(Path("data/interim/inventory.parquet")),
) -> None:
    params = load_params(STAGE)
    root = input_dir or Path(params["input_dir"])
    with timed_stage(STAGE) as stats:
        rows = [
            ingest_file(p, root, int(params["max_raw_bytes"]), int(params["max_inflated_bytes"]))
            for p in walk_files(root)
        ]
        ingested, dropped = split_kept(rows)
        write_parquet(ingested, output, "ingested")
        write_parquet(dropped, quarantine, "quarantine")
        # The inventory lets validation prove kept + quarantined = every input file.
        paths = [r["source_path"] for r in rows]
        write_parquet(pl.DataFrame({"source_path": paths}), inventory, "inventory")
        stats.docs_in = len(rows)
        stats.docs_out = ingested.height
        stats.count_drops(dropped)


if __name__ == "__main__":
    run_cli(main)
