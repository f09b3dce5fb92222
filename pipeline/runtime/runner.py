"""The stage runner: a per-document function over a stage's input on the engine, kept rows
streaming into the output table, the others into the quarantine, previous rows reused."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pyarrow.parquet as pq

from pipeline import schema
from pipeline.runtime.engine import BatchFunction, EngineConfig, map_batches
from pipeline.runtime.protocol import ArrowRow, Packed, ReadRows, TimedOut
from pipeline.runtime.reader import (
    SOURCE_KEYS,
    ParquetSource,
    ReadInWorker,
    parquet_read_tasks,
    read_task_rows,
    task_size,
)
from pipeline.runtime.reuse import PreviousRun, reuse_enabled
from pipeline.runtime.sink import (
    QUARANTINE_COLUMNS,
    ParquetSink,
    merge_quarantine,
    quarantine_rows,
    write_parquet,
)
from pipeline.runtime.stats import StageStats
from pipeline.runtime.transport import PackRows, spill_directory, unpack
from pipeline.schema import QuarantineReason

ResultT = TypeVar("ResultT")


def mark_timeout(outcome: TimedOut, stage: str) -> dict[str, Any]:
    """The row of a document that overran its time budget, turned into a quarantine row."""
    detail = f"{stage}: over {outcome.seconds} s (engine.max_seconds_per_doc)"
    return {**outcome.item, "reason": QuarantineReason.TIMEOUT.value, "detail": detail}


def map_parquet(
    fn: Callable[[list[dict[str, Any]]], Sequence[ResultT]],
    path: Path,
    engine: EngineConfig,
    columns: Sequence[str] | None = None,
    preload: Sequence[str] = (),
) -> Iterator[list[ResultT | TimedOut]]:
    """``fn`` over the rows of ``path`` (of ``columns``, or all), each row group read by the
    worker that runs it; results per row group, in order."""
    one_task = dataclasses.replace(engine, batch_size=1)
    tasks: Iterator[dict[str, Any] | ReadRows] = parquet_read_tasks(path, columns)
    return map_batches(ReadInWorker(fn), tasks, one_task, read_task_rows, task_size, preload)


def _parquet_tasks(
    source: ParquetSource, previous: PreviousRun | None
) -> Iterator[tuple[ReadRows, list[dict[str, Any] | None]]]:
    """One task per row group of ``source`` (the rows not reused), with the reused rows by
    position (None where the row is computed)."""
    parquet = pq.ParquetFile(source.path, pre_buffer=False)
    for group in range(parquet.num_row_groups):
        keys = parquet.read_row_group(group, columns=SOURCE_KEYS).to_pylist()
        reused = [
            previous.lookup(k["source_path"], k["row_digest"]) if previous else None for k in keys
        ]
        todo = [i for i, hit in enumerate(reused) if hit is None]
        yield ReadRows(str(source.path.resolve()), group, tuple(todo)), reused


Outcome = dict[str, Any] | ArrowRow | TimedOut  # a document's, on the driver


def _computed_batches(
    fn: Callable[[list[dict[str, Any]]], Sequence[dict[str, Any] | TimedOut | Packed]],
    rows: Iterable[dict[str, Any]] | ParquetSource,
    engine: EngineConfig,
    previous: PreviousRun | None,
    preload: Sequence[str] = (),
) -> Iterator[tuple[list[Outcome], int]]:
    """(outcomes in input order, how many of them were reused) per batch of the input."""
    if isinstance(rows, ParquetSource):
        reused_by_task: deque[list[dict[str, Any] | None]] = deque()

        def tasks() -> Iterator[dict[str, Any] | ReadRows]:
            for task, reused in _parquet_tasks(rows, previous):
                reused_by_task.append(reused)
                yield task

        one_task = dataclasses.replace(engine, batch_size=1)
        computed_batches = map_batches(
            ReadInWorker(fn), tasks(), one_task, read_task_rows, task_size, preload
        )
        for computed in computed_batches:
            reused = reused_by_task.popleft()
            fresh = iter(unpack(computed))
            outcomes: list[Outcome] = [next(fresh) if hit is None else hit for hit in reused]
            yield (
                outcomes,
                sum(hit is not None for hit in reused),
            )
        return
    if previous is not None:
        raise ValueError("reusing a previous run needs a ParquetSource input")
    for batch in map_batches(fn, rows, engine, preload=preload):
        yield unpack(batch), 0


def _settled(
    outcome: Outcome, stage: str, settle: Callable[[dict[str, Any]], dict[str, Any]] | None
) -> tuple[dict[str, Any] | ArrowRow, dict[str, Any]]:
    """A document's outcome as the sink writes it, and its row's values as decided: a timeout
    turned into its quarantine row, then ``settle`` applied (to the light values of a row whose
    full values are in its worker's Arrow table, which is written from there)."""
    if isinstance(outcome, TimedOut):
        row = mark_timeout(outcome, stage)
    elif isinstance(outcome, ArrowRow):
        row = outcome.values
    else:
        row = outcome
    if settle is not None:
        row = settle(row)
    return (outcome if isinstance(outcome, ArrowRow) else row), row


def stream_document_stage(
    stage: str,
    fn: BatchFunction,
    rows: Iterable[dict[str, Any]] | ParquetSource,
    engine: EngineConfig,
    stats: StageStats,
    output: tuple[Path, str],
    quarantine: tuple[Path | None, Path],
    settle: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    fingerprint: str | None = None,
    preload: Sequence[str] = (),
) -> None:
    """Run ``fn`` over ``rows`` (dicts, or a Parquet file the workers read) on the engine: rows
    without a ``reason`` stream into the ``output`` (path, table); the others join the previous
    quarantine (``quarantine`` is (previous path or None, new path)). One output row per input
    row, in input order. ``preload``: what the stage's local workers import once (see
    :func:`pipeline.runtime.engine.process_context`).

    With a ``fingerprint``, kept rows of the previous output made with the same fingerprint from
    identical input rows are reused (an incremental run; see :class:`PreviousRun` and
    :func:`reuse_enabled`), and the new output records it."""
    path, table = output
    previous = PreviousRun(path, fingerprint) if fingerprint and reuse_enabled() else None
    dropped: list[dict[str, Any]] = []
    with spill_directory(engine) as spill, ParquetSink(path, table, fingerprint) as sink:
        packed = PackRows(fn, table, spill)
        computed = _computed_batches(packed, rows, engine, previous, preload)
        for batch, reused in computed:
            done = [_settled(outcome, stage, settle) for outcome in batch]
            sink.write([outcome for outcome, row in done if row.get("reason") is None])
            # Only the quarantine columns: a dropped row may still carry its whole page.
            dropped += [
                {**{k: r.get(k) for k in QUARANTINE_COLUMNS}, "stage": stage}
                for _, r in done
                if r.get("reason") is not None
            ]
            stats.docs_in += len(done)
            stats.count_reused(reused)
    new_quarantine = quarantine_rows(dropped)
    previous_path, quarantine_out = quarantine
    before = pl.read_parquet(previous_path) if previous_path else schema.empty(schema.QUARANTINE)
    write_parquet(merge_quarantine(before, new_quarantine), quarantine_out, "quarantine")
    stats.docs_out = sink.rows_written
    stats.count_drops(new_quarantine)
