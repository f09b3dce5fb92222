"""The tables the validate stage reads, and reading them in chunks.

A table is a Parquet file (the stage) or a frame (tests, small derived tables). Every read is
in row order and yields at least one (maybe empty) frame, so an empty table is still validated;
chunks of the sentences are cut only between documents (the tables are sorted by doc_id). Only
the columns asked for are read, and Parquet files one batch (or row group) at a time: memory
stays flat in the corpus size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from pipeline.outputs import OUTPUTS

# Suite name -> (Parquet file, columns identifying a row in failure reports).
SUITE_TABLES: dict[str, tuple[str, list[str]]] = {
    "ingested": (OUTPUTS["ingested"].path.as_posix(), ["doc_id"]),
    "extracted": (OUTPUTS["extracted"].path.as_posix(), ["doc_id"]),
    "cleaned": (OUTPUTS["cleaned"].path.as_posix(), ["doc_id"]),
    "documents": (OUTPUTS["documents"].path.as_posix(), ["doc_id"]),
    "sentences": (OUTPUTS["sentences"].path.as_posix(), ["sentence_id"]),
    "quarantine": (OUTPUTS["quarantine"].path.as_posix(), ["source_path", "stage"]),
    "accounting": (OUTPUTS["inventory"].path.as_posix(), ["source_path"]),
}


# A table is a Parquet file (the stage) or a frame (tests, small derived tables).
Source = Path | pl.DataFrame


# The inputs of each suite's table; ``accounting`` is derived from inventory and the outputs.
SUITE_SOURCES: dict[str, str] = {
    "ingested": "ingested",
    "extracted": "extracted",
    "cleaned": "cleaned",
    "documents": "documents",
    "sentences": "sentences",
    "quarantine": "quarantine",
}
# Columns the derived columns of each table are computed from.
DERIVED_INPUTS: dict[str, set[str]] = {
    "ingested": {"raw_text", "source_sha256", "doc_id"},
    "extracted": {"url", "domain", "text"},
    "cleaned": {
        "url",
        "domain",
        "text",
        "n_chars",
        "n_paragraphs",
        "removals",
        "extracted_text_digest",
    },
    "documents": {"url", "domain", "text", "n_chars", "n_paragraphs", "doc_id", "n_sentences"},
    "sentences": {"doc_id", "sentence_index", "char_start", "char_end", "text", "domain"},
    "quarantine": {"reason", "stage"},
}
# Tables holding whole pages or texts per row are chunked by documents, the others by rows.
DOCUMENT_TABLES = frozenset({"ingested", "extracted", "cleaned", "documents"})
DEFAULT_CHUNK_ROWS = 50_000
DEFAULT_CHUNK_DOCUMENTS = 2_000  # see params.yaml: CPU per chunk vs a worker's memory


def _scan(source: Source) -> pl.LazyFrame:
    return source.lazy() if isinstance(source, pl.DataFrame) else pl.scan_parquet(source)


def _columns_of(source: Source) -> list[str]:
    if isinstance(source, pl.DataFrame):
        return source.columns
    return list(pq.ParquetFile(source).schema_arrow.names)


def _row_count(source: Source) -> int:
    if isinstance(source, pl.DataFrame):
        return source.height
    return int(pq.ParquetFile(source).metadata.num_rows)


def _read_batches(source: Source, columns: list[str], rows: int) -> Iterator[pl.DataFrame]:
    """The table in row order, ``rows`` at a time, only ``columns``; at least one (maybe
    empty) frame, so an empty table is still validated."""
    if isinstance(source, pl.DataFrame):
        frame = source.select(columns)
        yield from (frame.slice(i, rows) for i in range(0, max(frame.height, 1), rows))
        return
    # Without pre-buffering, a row group's pages are read as they are decoded, not all at once.
    parquet = pq.ParquetFile(source, pre_buffer=False)
    empty = True
    for batch in parquet.iter_batches(batch_size=rows, columns=columns):
        empty = False
        yield _frame(batch)
    if empty:
        yield _frame(parquet.schema_arrow.empty_table().select(columns))


def _frame(arrow: Any) -> pl.DataFrame:
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _rechunk(frames: Iterable[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """Frames of ``rows`` rows (the last one shorter) from frames of any size."""
    pending: list[pl.DataFrame] = []
    held = 0
    yielded = False
    for frame in frames:
        pending.append(frame)
        held += frame.height
        while held >= rows and held > 0:
            whole = pl.concat(pending, how="vertical_relaxed")
            yield whole.head(rows)
            yielded = True
            rest = whole.slice(rows)
            pending, held = ([rest] if rest.height else []), rest.height
        if not pending and not yielded:
            pending = [frame.clear()]
    if pending and (held > 0 or not yielded):
        yield pl.concat(pending, how="vertical_relaxed")


def _whole_documents(frames: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """Chunks cut only between documents: the rows of a document's last run in a frame wait
    for the next frame (the table is sorted by doc_id, so a document's rows are together)."""
    carry: pl.DataFrame | None = None
    for frame in frames:
        if carry is not None:
            frame = pl.concat([carry, frame], how="vertical_relaxed")
        if frame.height == 0:
            carry = frame
            continue
        last = frame["doc_id"][-1]
        other = frame.select(pl.col("doc_id").ne_missing(last).arg_true()).to_series()
        cut = int(other[-1]) + 1 if other.len() else 0
        if cut:
            yield frame.head(cut)
        carry = frame.slice(cut)
    if carry is not None:
        yield carry


class DocumentTexts:
    """documents' texts read forward in doc_id order beside the sentences (both are sorted by
    doc_id): only the documents of the current chunk, and one read batch, are held."""

    def __init__(self, source: Source, rows: int) -> None:
        self.batches = _read_batches(source, ["doc_id", "text"], rows)
        self.buffer = pl.DataFrame(schema={"doc_id": pl.String, "text": pl.String})
        self.exhausted = False

    def between(self, first: str, last: str) -> pl.DataFrame:
        while not self.exhausted and (
            self.buffer.height == 0 or (self.buffer["doc_id"][-1] or "") <= last
        ):
            batch = next(self.batches, None)
            if batch is None:
                self.exhausted = True
            else:
                self.buffer = pl.concat([self.buffer, batch], how="vertical_relaxed")
        self.buffer = self.buffer.filter(pl.col("doc_id") >= first)
        return self.buffer.filter(pl.col("doc_id") <= last)


def parquet_rows(
    path: Path, start: int, stop: int, columns: list[str], batch: int
) -> Iterator[pl.DataFrame]:
    """Rows ``start`` to ``stop`` (exclusive) of a Parquet file in row order, at most
    ``batch`` rows a frame, only ``columns``; only the row groups holding them are read. At
    least one (maybe empty) frame."""
    parquet = pq.ParquetFile(path, pre_buffer=False)
    meta = parquet.metadata
    groups: list[int] = []
    at = first = 0
    for group in range(meta.num_row_groups):
        size = meta.row_group(group).num_rows
        if at < stop and at + size > start:
            first = at if not groups else first
            groups.append(group)
        at += size
    empty = True
    if groups:
        at = first
        for part in parquet.iter_batches(batch_size=batch, row_groups=groups, columns=columns):
            low, high = max(start - at, 0), min(stop - at, part.num_rows)
            at += part.num_rows
            if high > low:
                empty = False
                yield _frame(part.slice(low, high - low))
    if empty:
        yield _frame(parquet.schema_arrow.empty_table().select(columns))


def chunk_rows_of(table: str, chunk_rows: int, chunk_documents: int) -> int:
    return chunk_documents if table in DOCUMENT_TABLES else chunk_rows


def table_sources(root: Path = Path(".")) -> dict[str, Source]:
    """The stage's input files, by table name."""
    files = {name: path for name, (path, _) in SUITE_TABLES.items() if name != "accounting"}
    return {
        **{name: root / path for name, path in files.items()},
        "inventory": root / SUITE_TABLES["accounting"][0],
    }
