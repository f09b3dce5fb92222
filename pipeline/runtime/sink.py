"""Deterministic Parquet writing: the streaming sink, whole-frame writes, the quarantine table.
The bytes written depend on the rows only, never on how they arrived."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import outputs, schema
from pipeline.runtime import scratch
from pipeline.runtime.protocol import ArrowRow, Utf8Text

# Page-sized text: dictionary pages and min/max statistics of it cost time and help no reader.
BULK_TEXT_COLUMNS = frozenset({"raw_text", "text"})


def atomic_path(path: Path) -> Path:
    """Where to write ``path`` before renaming it into place (named for this process, so a
    killed writer's file is swept by the next; see :func:`scratch.owned_tmp_file`)."""
    return scratch.owned_tmp_file(path)


def write_parquet(df: pl.DataFrame, path: Path, table: str) -> None:
    """Write sorted, in the table's codec and fixed row groups; replace the target atomically."""
    layout = outputs.of_table(table)
    df = schema.conform(df, layout.schema).sort(layout.sort_keys, nulls_last=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(path)
    df.write_parquet(
        tmp,
        compression=layout.codec,
        compression_level=layout.compression_level,
        statistics=True,
        row_group_size=layout.row_group,
    )
    os.replace(tmp, path)


def to_arrow(columns: dict[str, list[Any]], table: str) -> pa.Table:
    """Columns of Python values as an Arrow table of ``table``'s declared schema (the one
    conversion every writer of that table uses, so the written bytes do not depend on where
    it ran). A bulk text column may hold :class:`Utf8Text` values: their bytes are the
    column's, as a ``str``'s encoding would be."""
    given = {
        name: values
        for name, values in columns.items()
        if name in BULK_TEXT_COLUMNS and any(isinstance(value, Utf8Text) for value in values)
    }
    plain = {
        name: [None] * len(values) if name in given else values for name, values in columns.items()
    }
    arrow = pl.DataFrame(plain, schema=schema.TABLES[table], strict=False).to_arrow()
    for name, values in given.items():
        index = arrow.column_names.index(name)
        field = arrow.schema.field(index)
        as_bytes = [
            value if value is None or isinstance(value, bytes) else value.encode()
            for value in values
        ]
        # the cast to text checks that the bytes are valid UTF-8 (never a silent bad value)
        text = pa.array(as_bytes, pa.large_binary()).cast(field.type)
        arrow = arrow.set_column(index, field, text)
    return arrow


def _continues(row: dict[str, Any] | ArrowRow, table: pa.Table, index: int) -> bool:
    return isinstance(row, ArrowRow) and row.table is table and row.index == index


class ParquetSink:
    """Append rows to a Parquet file in fixed-size row groups, so the bytes do not depend on how
    the rows arrived (batch size, worker count, Python rows or Arrow pieces); the file appears
    atomically on close."""

    def __init__(self, path: Path, table: str, fingerprint: str | None = None) -> None:
        self.path = path
        self.table = table
        self.declared = schema.TABLES[table]
        self.layout = outputs.of_table(table)
        self.rows_per_group = self.layout.row_group
        # Rows in arrival order: Arrow pieces, then Python values not yet converted.
        self.pieces: list[pa.Table] = []
        self.columns: dict[str, list[Any]] = {name: [] for name in self.declared}
        self.rows_written = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = atomic_path(path)
        arrow_schema = schema.empty(self.declared).to_arrow().schema
        if fingerprint is not None:
            arrow_schema = arrow_schema.with_metadata({FINGERPRINT_METADATA: fingerprint})
        self.arrow_schema = arrow_schema
        small = [c for c in self.declared if c not in BULK_TEXT_COLUMNS]
        self.writer = pq.ParquetWriter(
            self.tmp,
            arrow_schema,
            compression=self.layout.codec,
            compression_level=self.layout.compression_level,
            use_dictionary=small,
            write_statistics=small,
        )

    def write(self, rows: Sequence[dict[str, Any] | ArrowRow]) -> None:
        """Append rows: dicts, or rows of an Arrow table (:class:`ArrowRow`)."""
        start = 0
        while start < len(rows):
            end = start + 1
            ref = rows[start]
            if not isinstance(ref, ArrowRow):
                while end < len(rows) and not isinstance(rows[end], ArrowRow):
                    end += 1
                run = [row for row in rows[start:end] if not isinstance(row, ArrowRow)]
                self.write_columns({name: [row.get(name) for row in run] for name in self.declared})
            else:
                table, first = ref.table, ref.index
                while end < len(rows) and _continues(rows[end], table, first + end - start):
                    end += 1
                self.write_arrow(table.slice(first, end - start))
            start = end

    def write_columns(self, columns: dict[str, list[Any]]) -> None:
        """Append rows given column by column (every declared column, equal lengths): cheaper
        to send between processes and to turn into Arrow than one dict per row."""
        for name, values in self.columns.items():
            values.extend(columns[name])
        while self._buffered() >= self.rows_per_group:
            self._flush(self.rows_per_group)

    def write_arrow(self, table: pa.Table) -> None:
        """Append an Arrow table of the declared columns (e.g. built by a worker with
        :func:`to_arrow`): the driver neither converts nor copies its values."""
        if table.num_rows == 0:
            return
        self._seal()
        self.pieces.append(table.select(list(self.declared)))
        while self._buffered() >= self.rows_per_group:
            self._flush(self.rows_per_group)

    def _python_rows(self) -> int:
        return len(next(iter(self.columns.values())))

    def _buffered(self) -> int:
        arrow_rows: int = sum(piece.num_rows for piece in self.pieces)
        return arrow_rows + self._python_rows()

    def _seal(self) -> None:
        """The buffered Python values as an Arrow piece (keeps the arrival order)."""
        if self._python_rows():
            self.pieces.append(to_arrow(self.columns, self.table))
            self.columns = {name: [] for name in self.declared}

    def _flush(self, n: int) -> None:
        self._seal()
        if not self.pieces:  # an empty file still gets its (empty) row group
            self.pieces.append(to_arrow(self.columns, self.table))
        buffered = pa.concat_tables([piece.replace_schema_metadata(None) for piece in self.pieces])
        rest = buffered.slice(n)
        self.pieces = [rest] if rest.num_rows else []
        # One contiguous chunk per row group: Parquet pages then split as for any other writer.
        group = buffered.slice(0, n).combine_chunks()
        self.writer.write_table(group, row_group_size=self.rows_per_group)
        self.rows_written += n

    def close(self) -> None:
        if self._buffered() or self.rows_written == 0:
            self._flush(self._buffered())
        self.writer.close()
        os.replace(self.tmp, self.path)

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.writer.close()
            self.tmp.unlink(missing_ok=True)


FINGERPRINT_METADATA = b"newscorpus.fingerprint"
QUARANTINE_COLUMNS = tuple(schema.QUARANTINE)


def quarantine_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Quarantine frame from dicts holding the QUARANTINE columns."""
    if not rows:
        return schema.empty(schema.QUARANTINE)
    return schema.conform(pl.DataFrame(rows, schema=schema.QUARANTINE), schema.QUARANTINE)


def merge_quarantine(previous: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([schema.conform(previous, schema.QUARANTINE), new], how="vertical")
