"""Segment stage I/O: the input is read in memory that does not grow with the file, and a
document quarantined here keeps only its quarantine columns."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import schema
from pipeline.runtime.protocol import TimedOut
from pipeline.runtime.reader import stream_rows
from pipeline.runtime.runner import dropped_row, mark_timeout
from pipeline.segment import INPUT_COLUMNS

ROW_GROUPS = 400
ROWS_PER_GROUP = 16
TEXT_BYTES = 1_000  # as hex: 2,000 characters that zstd cannot shrink below half


def _incompressible_file(path: Path) -> int:
    """A Parquet file of random text in many small row groups (as the document stages write
    them); returns its size on disk."""
    rng = random.Random(7)
    n = ROW_GROUPS * ROWS_PER_GROUP
    frame = pl.DataFrame(
        {
            "doc_id": [f"{i:016x}" for i in range(n)],
            "text": [rng.randbytes(TEXT_BYTES).hex() for _ in range(n)],
            "extra": list(range(n)),
        }
    )
    frame.write_parquet(path, compression="zstd", row_group_size=ROWS_PER_GROUP)
    assert pq.ParquetFile(path).num_row_groups == ROW_GROUPS
    return path.stat().st_size


def test_stream_rows_gives_every_row_of_the_chosen_columns(tmp_path: Path) -> None:
    path = tmp_path / "docs.parquet"
    _incompressible_file(path)
    rows = list(stream_rows(path, batch_rows=50, columns=["doc_id", "text"]))
    expected = pl.read_parquet(path, columns=["doc_id", "text"]).to_dicts()
    assert rows == expected


def test_stream_rows_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """pyarrow's default reader (pre_buffer) keeps every row group it pre-read until it is
    closed: a pass over the file then holds about the file's compressed size."""
    path = tmp_path / "docs.parquet"
    size = _incompressible_file(path)
    before = pa.total_allocated_bytes()
    peak = 0
    for _ in stream_rows(path, batch_rows=ROWS_PER_GROUP, columns=["doc_id", "text"]):
        peak = max(peak, pa.total_allocated_bytes() - before)
    assert peak < size / 10, (peak, size)


def test_quarantined_row_keeps_only_the_quarantine_columns() -> None:
    row = {c: None for c in INPUT_COLUMNS} | {
        "doc_id": "00000000000000aa",
        "source_path": "a.html",
        "text": "x" * 10_000,
        "sentences": [{"text": "x"}],
    }
    out = dropped_row(mark_timeout(TimedOut(row, 30.0), "segment"), "segment")
    assert list(out) == list(schema.QUARANTINE)
    assert out["stage"] == "segment" and out["reason"] == "timeout"
    assert "30.0 s" in out["detail"]
