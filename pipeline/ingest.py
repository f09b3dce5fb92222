"""Stage 1, ingest: every file under the input directory becomes a decoded document or a
quarantine row. ``python -m pipeline.ingest --help``."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline.decoding import decode_bytes
from pipeline.engine import EngineConfig, PerDocument
from pipeline.schema import QuarantineReason
from pipeline.stage import (
    load_params,
    run_cli,
    stream_document_stage,
    timed_stage,
    write_parquet,
)

STAGE = "ingest"
DOC_ID_HEX = 16  # 64 bits of the SHA-256: collision-free far beyond millions of pages


def walk_files(root: Path) -> Iterator[Path]:
    """Every file under ``root`` sorted by relative path; symlinked directories are not
    followed, so a symlink loop cannot trap the walk."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        found.extend(Path(dirpath) / name for name in filenames)
    yield from sorted(found, key=lambda p: p.relative_to(root).as_posix())


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


def ingest_row(row: dict[str, Any], root: str, max_raw: int, max_inflated: int) -> dict[str, Any]:
    return ingest_file(Path(row["path"]), Path(root), max_raw, max_inflated)


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
    params = load_params(STAGE)
    engine = EngineConfig.from_params(load_params("engine"))
    root = input_dir or Path(params["input_dir"])
    fn = PerDocument(
        partial(
            ingest_row,
            root=str(root),
            max_raw=int(params["max_raw_bytes"]),
            max_inflated=int(params["max_inflated_bytes"]),
        ),
        engine.max_seconds_per_doc,
    )
    with timed_stage(STAGE) as stats:
        paths = list(walk_files(root))
        # The inventory lets validation prove kept + quarantined = every input file.
        names = [p.relative_to(root).as_posix() for p in paths]
        write_parquet(pl.DataFrame({"source_path": names}), inventory, "inventory")
        stream_document_stage(
            STAGE,
            fn,
            ({"path": str(p)} for p in paths),
            engine,
            stats,
            output=(output, "ingested"),
            quarantine=(None, quarantine),
            settle=FirstPathWins(),
        )


if __name__ == "__main__":
    run_cli(main)
