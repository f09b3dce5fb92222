"""Chunked Parquet reading: rows a batch at a time in the driver, row groups read by workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.runtime.protocol import CarriedRows, ReadRows


def stream_rows(
    path: Path, batch_rows: int = 256, columns: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Rows of a Parquet file (of ``columns``, or all), read a batch at a time. Without
    ``pre_buffer=False`` pyarrow reads ahead and keeps the compressed bytes of every row group
    until the reader closes, so memory grows with the file (measured: 3.1 GB of compressed
    pages held at 100k documents)."""
    wanted = list(columns) if columns is not None else None
    with pq.ParquetFile(path, pre_buffer=False) as reader:
        for batch in reader.iter_batches(batch_size=batch_rows, columns=wanted):
            yield from batch.to_pylist()


SOURCE_KEYS = ["source_path", "row_digest"]  # what the driver reads of a reused stage's input


@dataclass(frozen=True)
class ParquetSource:
    """A stage input read by the workers themselves, one row group per task: the pages never
    pass through the driver (which would spend as much CPU reading, converting and pickling
    them as a worker spends on the work). ``columns``: what the workers read (None = all).
    Workers that cannot see the driver's files are sent the rows instead (see
    :func:`carried`), completed by ``carry_with`` when the rows name more files the workers
    need (the pages of a folder only the driver sees)."""

    path: Path
    columns: tuple[str, ...] | None = None
    carry_with: Callable[[pa.Table], pa.Table] | None = None


ItemT = TypeVar("ItemT")
RowsItem = ReadRows | CarriedRows  # Parquet rows a task works on: named, or carried


def read_task_table(item: RowsItem) -> pa.Table:
    """The Parquet rows an item names, read where the work runs (or those it carries)."""
    if isinstance(item, CarriedRows):
        return item.table
    todo = item.rows
    parquet = pq.ParquetFile(item.path, pre_buffer=False)
    wanted = list(item.columns) if item.columns is not None else None
    if not todo:  # every row of the group reused from a previous run: nothing to read
        empty = parquet.schema_arrow.empty_table()
        return empty.select(wanted) if wanted is not None else empty
    table = parquet.read_row_group(item.group, columns=wanted)
    return table.take(pa.array(todo, pa.int64())) if len(todo) < table.num_rows else table


def carried(
    item: ItemT | ReadRows, complete: Callable[[pa.Table], pa.Table] | None = None
) -> ItemT | CarriedRows:
    """An item as a worker that cannot see the driver's files needs it: the Parquet rows it
    names read here, on the driver (and ``complete``d); any other item as it is."""
    if not isinstance(item, ReadRows):
        return item
    table = read_task_table(item)
    return CarriedRows(complete(table) if complete is not None else table)


def read_task_rows(item: dict[str, Any] | RowsItem) -> list[dict[str, Any]]:
    """The rows an item stands for: itself, or the Parquet rows it names (or carries)."""
    if not isinstance(item, ReadRows | CarriedRows):
        return [item]
    rows: list[dict[str, Any]] = read_task_table(item).to_pylist()
    return rows


def task_size(item: dict[str, Any] | RowsItem) -> int:
    if isinstance(item, CarriedRows):
        return int(item.table.num_rows)
    return len(item.rows) if isinstance(item, ReadRows) else 1


ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class ReadInWorker(Generic[ResultT]):
    """Wraps a batch function so items naming Parquet rows are read where the work runs."""

    fn: Callable[[list[dict[str, Any]]], Sequence[ResultT]]

    def __call__(self, items: list[dict[str, Any] | RowsItem]) -> Sequence[ResultT]:
        rows = [row for item in items for row in read_task_rows(item)]
        return self.fn(rows) if rows else []
