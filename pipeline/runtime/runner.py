"""The one runner under every stage, in two shapes:

* :func:`stream_stage` (on a stage's files by name; :func:`stream_document_stage` on paths)
  streams a per-document step over a stage's input on the engine: kept rows stream into the
  output table (one per document, or, for a :class:`FanOut` step, any number: a document's
  sentences), the others into the quarantine, previous rows reused;
* :func:`run_tasks` maps a corpus-wide stage's tasks (each names the input it reads itself,
  or carries it, see :func:`pipeline.runtime.engine.tasks_carry_data`) and hands back their
  results, in order, for the driver to reduce.

Only this module calls the engine (:func:`pipeline.runtime.engine.map_batches`)."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import schema
from pipeline.outputs import OUTPUTS
from pipeline.runtime.cli import StageRun
from pipeline.runtime.engine import (
    BatchFunction,
    EngineConfig,
    Explode,
    Weigh,
    map_batches,
    one_document,
    one_item,
    tasks_carry_data,
)
from pipeline.runtime.progress import stage_progress
from pipeline.runtime.protocol import ArrowRow, FanOut, ReadRows, TimedOut
from pipeline.runtime.reader import (
    SOURCE_KEYS,
    ParquetSource,
    ReadInWorker,
    RowsItem,
    carried,
    read_task_rows,
    task_size,
)
from pipeline.runtime.reuse import PreviousRun, code_fingerprint, reuse_enabled
from pipeline.runtime.sink import (
    QUARANTINE_COLUMNS,
    ParquetSink,
    merge_quarantine,
    quarantine_rows,
    write_parquet,
)
from pipeline.runtime.stats import StageStats
from pipeline.runtime.transport import Outcome, PackMade, PackRows, spill_directory, unpack
from pipeline.schema import QuarantineReason

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


def mark_timeout(outcome: TimedOut, stage: str) -> dict[str, Any]:
    """The row of a document that overran its time budget, turned into a quarantine row."""
    detail = f"{stage}: over {outcome.seconds} s (engine.max_seconds_per_doc)"
    return {**outcome.item, "reason": QuarantineReason.TIMEOUT.value, "detail": detail}


def dropped_row(row: dict[str, Any], stage: str) -> dict[str, Any]:
    """A quarantined row as the quarantine keeps it: only the quarantine columns (a dropped row
    may still carry its whole page, which must not be held until the stage ends)."""
    return {**{k: row.get(k) for k in QUARANTINE_COLUMNS}, "stage": stage}


def run_tasks(
    stage: str,
    step: Callable[[list[ItemT]], Sequence[ResultT]],
    tasks: Iterable[ItemT],
    engine: EngineConfig,
    preload: Sequence[str] = (),
    explode: Explode[ItemT] = one_item,
    weigh: Weigh[ItemT] = one_document,
    describe: Callable[[Any], str] = repr,
    time_limit: bool = True,
    unit: str = "tasks",
    total: int | None = None,
) -> Iterator[ResultT]:
    """``step`` over ``tasks``, one task at a time on the engine; each task's results, in
    order. A corpus-wide stage cannot leave part of its input out, so a task that overran its
    time budget stops the stage, naming it (``describe``; ``explode`` and ``weigh``: see
    :func:`map_batches`). Without ``time_limit`` a task may take as long as it needs. Its
    progress counts ``unit``s, out of ``total`` where it is known."""
    seconds = engine.max_seconds_per_doc if time_limit else 0.0
    one_task = dataclasses.replace(engine, batch_size=1, max_seconds_per_doc=seconds)
    with stage_progress(stage, total, unit) as advance:
        for batch in map_batches(step, tasks, one_task, explode, weigh, preload):
            for outcome in batch:
                if isinstance(outcome, TimedOut):
                    what = describe(outcome.item)
                    raise RuntimeError(
                        f"{stage}: {what} took over {outcome.seconds} s on the engine"
                    )
                yield outcome
            advance(len(batch))


def _parquet_tasks(
    source: ParquetSource, previous: PreviousRun | None
) -> Iterator[tuple[ReadRows, list[dict[str, Any] | None]]]:
    """One task per row group of ``source`` (the rows not reused), with the reused rows by
    position (None where the row is computed)."""
    parquet = pq.ParquetFile(source.path, pre_buffer=False)
    path, columns = str(source.path.resolve()), source.columns
    for group in range(parquet.num_row_groups):
        reused: list[dict[str, Any] | None]
        if previous is None:
            reused = [None] * parquet.metadata.row_group(group).num_rows
        else:
            keys = parquet.read_row_group(group, columns=SOURCE_KEYS).to_pylist()
            reused = [previous.lookup(k["source_path"], k["row_digest"]) for k in keys]
        todo = [i for i, hit in enumerate(reused) if hit is None]
        yield ReadRows(path, group, tuple(todo), columns), reused


def _computed_batches(
    step: Callable[[list[dict[str, Any]]], Sequence[Any]],
    rows: Iterable[dict[str, Any]] | ParquetSource,
    engine: EngineConfig,
    previous: PreviousRun | None,
    preload: Sequence[str] = (),
) -> Iterator[tuple[list[Outcome], list[pa.Table], int]]:
    """(outcomes in input order, the tables a fan-out step made, how many outcomes were reused)
    per batch of the input."""
    if isinstance(rows, ParquetSource):
        reused_by_task: deque[list[dict[str, Any] | None]] = deque()

        carry = tasks_carry_data(engine)

        def tasks() -> Iterator[dict[str, Any] | RowsItem]:
            for task, reused in _parquet_tasks(rows, previous):
                reused_by_task.append(reused)
                # read here, a task at a time as the engine asks, when workers cannot read it
                yield carried(task, rows.carry_with) if carry else task

        one_task = dataclasses.replace(engine, batch_size=1)
        computed_batches = map_batches(
            ReadInWorker(step), tasks(), one_task, read_task_rows, task_size, preload
        )
        for computed in computed_batches:
            reused = reused_by_task.popleft()
            fresh_outcomes, made = unpack(computed)
            fresh = iter(fresh_outcomes)
            outcomes: list[Outcome] = [next(fresh) if hit is None else hit for hit in reused]
            yield outcomes, made, sum(hit is not None for hit in reused)
        return
    if previous is not None:
        raise ValueError("reusing a previous run needs a ParquetSource input")
    for batch in map_batches(step, rows, engine, preload=preload):
        yield *unpack(batch), 0


def _settled(
    outcome: Outcome, stage: str, settle: Callable[[dict[str, Any]], dict[str, Any]] | None
) -> tuple[dict[str, Any] | ArrowRow, dict[str, Any]]:
    """A document's outcome as the sink writes it, and its row's values as decided: a timeout
    turned into its quarantine row, then ``settle`` applied. A row whose full values are in
    its worker's Arrow table is written from there: ``settle`` may quarantine it, not change
    it."""
    if isinstance(outcome, TimedOut):
        row = mark_timeout(outcome, stage)
    elif isinstance(outcome, ArrowRow):
        row = outcome.values
    else:
        row = outcome
    if settle is not None:
        row = settle(row)
        if isinstance(outcome, ArrowRow) and row.get("reason") is None and row != outcome.values:
            raise ValueError(f"{stage}: settle changed a kept row its worker already wrote")
    return (outcome if isinstance(outcome, ArrowRow) else row), row


def stream_document_stage(
    stage: str,
    step: BatchFunction | FanOut,
    rows: Iterable[dict[str, Any]] | ParquetSource,
    engine: EngineConfig,
    stats: StageStats,
    output: tuple[Path, str],
    quarantine: tuple[Path | None, Path],
    settle: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    fingerprint: str | None = None,
    preload: Sequence[str] = (),
) -> int:
    """Run ``step`` over ``rows`` (dicts, or a Parquet file the workers read) on the engine:
    rows without a ``reason`` are kept, the others join the previous quarantine
    (``quarantine`` is (previous path or None, new path)). A kept row streams into the
    ``output`` (path, table), in input order; a :class:`FanOut` step's kept rows instead stream
    what it made of them. ``preload``: what the stage's local workers import once (see
    :func:`pipeline.runtime.engine.process_context`). Returns the rows written.

    With a ``fingerprint``, kept rows of the previous output made with the same fingerprint from
    identical input rows are reused (an incremental run; see :class:`PreviousRun` and
    :func:`reuse_enabled`), and the new output records it."""
    path, table = output
    previous = PreviousRun(path, fingerprint) if fingerprint and reuse_enabled() else None
    fan_out = isinstance(step, FanOut)
    if fan_out and previous is not None:
        raise ValueError("a fan-out step's output cannot be reused row by row")
    dropped: list[dict[str, Any]] = []
    total = pq.ParquetFile(rows.path).metadata.num_rows if isinstance(rows, ParquetSource) else None
    with (
        spill_directory(engine) as spill,
        ParquetSink(path, table, fingerprint) as sink,
        stage_progress(stage, total) as advance,
    ):
        packed = PackMade(step, spill) if isinstance(step, FanOut) else PackRows(step, table, spill)
        computed = _computed_batches(packed, rows, engine, previous, preload)
        for batch, made, reused in computed:
            done = [_settled(outcome, stage, settle) for outcome in batch]
            kept = [outcome for outcome, row in done if row.get("reason") is None]
            if fan_out:
                for part in made:
                    sink.write_arrow(part)
            else:
                sink.write(kept)
            dropped += [dropped_row(r, stage) for _, r in done if r.get("reason") is not None]
            stats.docs_in += len(done)
            stats.docs_out += len(kept)
            stats.count_reused(reused)
            advance(len(done))
    new_quarantine = quarantine_rows(dropped)
    previous_path, quarantine_out = quarantine
    before = pl.read_parquet(previous_path) if previous_path else schema.empty(schema.QUARANTINE)
    write_parquet(merge_quarantine(before, new_quarantine), quarantine_out, "quarantine")
    stats.count_drops(new_quarantine)
    return sink.rows_written


def stream_stage(
    run: StageRun,
    step: BatchFunction | FanOut,
    source: str | Iterable[dict[str, Any]],
    output: str,
    quarantine: tuple[str | None, str],
    columns: tuple[str, ...] | None = None,
    settle: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    reuse: dict[str, Any] | None = None,
    carry_with: Callable[[pa.Table], pa.Table] | None = None,
) -> int:
    """:func:`stream_document_stage` on the stage's files by name: ``source`` (a Parquet file
    the workers read, of ``columns``, or rows), ``output``, ``quarantine`` (previous, new).
    With ``reuse`` (the stage's params) rows of the previous run are reused while the params
    and the stage's code are unchanged (see :func:`code_fingerprint`). ``carry_with``: see
    :class:`ParquetSource`."""
    files = run.files
    rows = (
        source if not isinstance(source, str) else ParquetSource(files[source], columns, carry_with)
    )
    previous_quarantine, new_quarantine = quarantine
    return stream_document_stage(
        run.stage,
        step,
        rows,
        run.engine,
        run.stats,
        output=(files[output], OUTPUTS[output].table),
        quarantine=(
            files[previous_quarantine] if previous_quarantine else None,
            files[new_quarantine],
        ),
        settle=settle,
        fingerprint=code_fingerprint(reuse, run.stage) if reuse is not None else None,
        preload=run.preload,
    )
