"""What every stage shares: its params section, deterministic Parquet I/O, its own stats."""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import json
import os
import sys
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import typer

from pipeline import schema
from pipeline.config import ParamsError
from pipeline.runtime import scratch
from pipeline.runtime.engine import (
    TIMEOUT_KEY,
    BatchFunction,
    EngineConfig,
    map_batches,
    worker_preload,
)
from pipeline.schema import QuarantineReason

PARQUET_ROW_GROUP = 50_000
# Interim tables of whole pages are written once and read once by the next stage: LZ4 costs a
# third of zstd's CPU on both sides (measured on 186 KB pages: write 0.36 vs 0.90 ms, read 0.15 vs
# 0.47 ms per page) for files ~1.7x larger. Published tables stay zstd.
FAST_CODEC_TABLES = frozenset({"ingested", "extracted", "cleaned", "segmented"})
# Page-sized text: dictionary pages and min/max statistics of it cost time and help no reader.
BULK_TEXT_COLUMNS = frozenset({"raw_text", "text"})
# Streamed tables hold whole pages per row: small row groups keep the write buffer bounded, and
# a row group is the next stage's task (read by one worker: ~12 MB of 186 KB pages).
STREAM_ROW_GROUP: dict[str, int] = {"ingested": 64, "extracted": 256, "cleaned": 256}
DEFAULT_STREAM_ROW_GROUP = 20_000
STATS_DIR = Path("reports/stages")
# Timings and other facts of one run: git-ignored, neither a DVC output nor a metric.
RUNS_DIR = Path("reports/runs")
RUN_HISTORY = "runs.jsonl"


def atomic_path(path: Path) -> Path:
    """Where to write ``path`` before renaming it into place (named for this process, so a
    killed writer's file is swept by the next; see :func:`scratch.owned_tmp_file`)."""
    return scratch.owned_tmp_file(path)


def write_parquet(df: pl.DataFrame, path: Path, table: str) -> None:
    """Write sorted, zstd, fixed row groups; replace the target atomically."""
    df = schema.conform(df, schema.TABLES[table]).sort(schema.SORT_KEYS[table], nulls_last=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(path)
    df.write_parquet(
        tmp,
        compression="zstd",
        compression_level=3,
        statistics=True,
        row_group_size=PARQUET_ROW_GROUP,
    )
    os.replace(tmp, path)


def to_arrow(columns: dict[str, list[Any]], table: str) -> pa.Table:
    """Columns of Python values as an Arrow table of ``table``'s declared schema (the one
    conversion every writer of that table uses, so the written bytes do not depend on where
    it ran)."""
    return pl.DataFrame(columns, schema=schema.TABLES[table], strict=False).to_arrow()


Payload = bytes | str  # an Arrow table as IPC bytes, or the path of a spilled IPC file


def arrow_payload(table: pa.Table, spill_dir: str | None = None) -> Payload:
    """An Arrow table for the driver: IPC stream bytes, or, given a ``spill_dir`` (shared
    memory on one machine), an IPC file there, which the driver maps without a copy. Through
    the pool's pipe the pages were copied about six times and cost the driver more CPU than
    writing them (measured: 1.9 GB of pages, 1.8 vs 0.5 CPU s on the driver, 3.2 vs 1.2 on
    the workers)."""
    if spill_dir is not None:
        path = os.path.join(spill_dir, f"{os.getpid()}-{uuid.uuid4().hex}.arrow")
        try:
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            return path
        except OSError:
            # a full or small /dev/shm (containers often have 64 MB): send the bytes instead
            with suppress(OSError):
                os.unlink(path)
    out = pa.BufferOutputStream()
    with pa.ipc.new_stream(out, table.schema) as writer:
        writer.write_table(table)
    payload: bytes = out.getvalue().to_pybytes()
    return payload


def read_payload(payload: Payload) -> pa.Table:
    """The table of an :func:`arrow_payload`; a spilled file is mapped, then unlinked (the
    mapping stays valid until the table is dropped)."""
    if isinstance(payload, str):
        table = pa.ipc.open_stream(pa.memory_map(payload)).read_all()
        os.unlink(payload)
        return table
    return pa.ipc.open_stream(payload).read_all()


SHARED_MEMORY = scratch.SHARED_MEMORY


@contextmanager
def spill_directory(engine: EngineConfig) -> Iterator[str | None]:
    """Where the workers of a local pool leave their Arrow payloads (None on other engines,
    whose workers may be on other machines): in shared memory where there is some, removed
    with whatever a failed run left in it; what killed runs left there is swept first."""
    if engine.name != "local":
        yield None
        return
    parent = SHARED_MEMORY if os.access(SHARED_MEMORY, os.W_OK) else None
    with scratch.owned_directory(parent, scratch.PREFIX) as path:
        yield str(path)


ARROW_KEY = "__arrow__"  # a row whose full values are row i of an Arrow table: (table, i)
PACK_KEY = "__pack__"  # a worker's result: the light rows and one Arrow payload


def _continues(row: dict[str, Any], table: pa.Table, index: int) -> bool:
    ref = row.get(ARROW_KEY)
    return ref is not None and ref[0] is table and ref[1] == index


class ParquetSink:
    """Append rows to a Parquet file in fixed-size row groups, so the bytes do not depend on how
    the rows arrived (batch size, worker count, Python rows or Arrow pieces); the file appears
    atomically on close."""

    def __init__(self, path: Path, table: str, fingerprint: str | None = None) -> None:
        self.path = path
        self.table = table
        self.declared = schema.TABLES[table]
        self.rows_per_group = STREAM_ROW_GROUP.get(table, DEFAULT_STREAM_ROW_GROUP)
        # Rows in arrival order: Arrow pieces, then Python values not yet converted.
        self.pieces: list[pa.Table] = []
        self.columns: dict[str, list[Any]] = {name: [] for name in self.declared}
        self.rows_written = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = atomic_path(path)
        arrow_schema = schema.empty(self.declared).to_arrow().schema
        if fingerprint is not None:
            arrow_schema = arrow_schema.with_metadata({FINGERPRINT_KEY: fingerprint})
        self.arrow_schema = arrow_schema
        small = [c for c in self.declared if c not in BULK_TEXT_COLUMNS]
        fast = table in FAST_CODEC_TABLES
        self.writer = pq.ParquetWriter(
            self.tmp,
            arrow_schema,
            compression="lz4" if fast else "zstd",
            compression_level=None if fast else 3,
            use_dictionary=small,
            write_statistics=small,
        )

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Append rows: dicts, or light rows pointing (``ARROW_KEY``) into an Arrow table."""
        start = 0
        while start < len(rows):
            end = start + 1
            ref = rows[start].get(ARROW_KEY)
            if ref is None:
                while end < len(rows) and ARROW_KEY not in rows[end]:
                    end += 1
                run = rows[start:end]
                self.write_columns({name: [row.get(name) for row in run] for name in self.declared})
            else:
                table, first = ref
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


FINGERPRINT_KEY = b"newscorpus.fingerprint"
QUARANTINE_COLUMNS = tuple(schema.QUARANTINE)


PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _module_files(name: str, package: Path) -> list[Path]:
    """The files importing ``name`` runs: the ``__init__.py`` of the package and of each
    subpackage on the way, and the module itself (a ``.py`` file or a package's ``__init__``)."""
    parts = name.split(".")[1:]
    files = [package / "__init__.py"]
    for depth in range(1, len(parts)):
        files.append(package.joinpath(*parts[:depth], "__init__.py"))
    if parts:
        module = package.joinpath(*parts)
        files.append(module / "__init__.py" if module.is_dir() else module.with_suffix(".py"))
    return [file for file in files if file.is_file()]


def module_sources(module: str, package: Path = PACKAGE_DIR) -> list[Path]:
    """The source files of ``module`` and of every pipeline module it imports, directly or not
    (read from the sources, imports inside functions included), with the package ``__init__``
    files importing them runs, sorted: the code a stage runs, which its ``dvc.yaml`` deps list
    (a test holds the two together)."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        for path in _module_files(todo.pop(), package):
            if path not in seen:
                seen.add(path)
                todo += _package_imports(path.read_bytes(), package.name)
    return sorted(seen)


@functools.lru_cache(maxsize=256)
def _package_imports(source: bytes, package: str) -> tuple[str, ...]:
    """The ``package`` modules a source imports (cached by content: parsing every module a
    stage imports on each call cost ~0.6 s, more than a small incremental run)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == package:
                found.append(node.module)
                # from pipeline.runtime import scratch: the name may be a module
                found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == package]
    return tuple(found)


def code_fingerprint(params: dict[str, Any], stage: str, package: Path = PACKAGE_DIR) -> str:
    """What a stage's rows depend on besides their input: its params and its code (see
    :func:`module_sources`). Any change to either invalidates every reused row; a change to
    another stage's code does not (DVC would not rerun the stage for it either)."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
    for source in module_sources(f"{package.name}.{stage}", package):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


NO_REUSE_ENV = "NEWSCORPUS_NO_REUSE"


def reuse_enabled(environ: dict[str, str] | None = None) -> bool:
    """False when ``NEWSCORPUS_NO_REUSE=1``: every row is computed again (the switch for a
    run that must not trust the previous outputs, e.g. ``NEWSCORPUS_NO_REUSE=1 dvc repro -f``)."""
    value = (os.environ if environ is None else environ).get(NO_REUSE_ENV, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{NO_REUSE_ENV}={value!r}: use 1 (recompute every row) or 0")
    return value != "1"


class PreviousRun:
    """Rows of the previous output of a stage, walked in step with the new input (both are in
    ``source_path`` order), so a row is reused without holding the table. A row is reused only
    when it was made from an identical input row (its ``input_digest`` is that row's
    ``row_digest``: every value of it, page text and provenance included) with the same params
    and code (the file's fingerprint)."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.rows: Iterator[dict[str, Any]] = iter(())
        self.current: dict[str, Any] | None = None
        if path.exists():
            previous = pq.read_schema(path)
            metadata = previous.metadata or {}
            same_code = metadata.get(FINGERPRINT_KEY) == fingerprint.encode()
            if same_code and "input_digest" in previous.names:
                self.rows = stream_rows(path)
        self.current = next(self.rows, None)

    def lookup(self, source_path: str, row_digest: str | None) -> dict[str, Any] | None:
        """The previous row made from the input row at ``source_path`` whose digest is
        ``row_digest``, or None."""
        while self.current is not None and self.current["source_path"] < source_path:
            self.current = next(self.rows, None)
        hit = self.current
        if (
            row_digest is not None
            and hit is not None
            and hit["source_path"] == source_path
            and hit["input_digest"] == row_digest
        ):
            return hit
        return None


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


def write_json(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(path)
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def quarantine_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Quarantine frame from dicts holding the QUARANTINE columns."""
    if not rows:
        return schema.empty(schema.QUARANTINE)
    return schema.conform(pl.DataFrame(rows, schema=schema.QUARANTINE), schema.QUARANTINE)


@dataclass
class StageStats:
    """datatrove-style accounting of one stage: documents in/out, drops by reason, and the
    stage's own counts (``extra``): a function of the tracked inputs, written to
    ``reports/stages/<stage>.json`` (tracked by DVC and git). What describes one run rather
    than the data (``run``: wall time, step timings, rows reused from the last run) goes to
    the untracked run log instead, so a rerun or a fresh clone writes the same tracked bytes."""

    stage: str
    docs_in: int = 0
    docs_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    extra: dict[str, int] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "docs_in": self.docs_in,
            "docs_out": self.docs_out,
            "dropped": dict(sorted(self.dropped.items())),
            **self.extra,
        }

    def run_record(self, finished_at: str) -> dict[str, Any]:
        """This run of the stage, for the run log (never hashed by DVC, ignored by git)."""
        return {
            "stage": self.stage,
            "finished_at": finished_at,
            "seconds": round(self.seconds, 3),
            "docs_in": self.docs_in,
            "docs_out": self.docs_out,
            **self.run,
        }

    def time_step(self, step: str, seconds: float) -> None:
        """Add ``seconds`` to a step's wall time (run log: ``steps_seconds``)."""
        steps: dict[str, float] = self.run.setdefault("steps_seconds", {})
        steps[step] = round(steps.get(step, 0.0) + seconds, 3)

    def count_reused(self, rows: int) -> None:
        """Rows taken from the previous run's output: a fact of this run, not of the data."""
        self.run["reused"] = self.run.get("reused", 0) + rows

    def count_drops(self, quarantine: pl.DataFrame) -> None:
        for reason, n in quarantine.group_by("reason").len().iter_rows():
            self.dropped[str(reason)] += n


def log_run(record: dict[str, Any], runs_dir: Path = RUNS_DIR) -> None:
    """The run log: ``<stage>.json`` holds a stage's last run, ``runs.jsonl`` every run, one
    line each (appended whole in one write, so concurrent stages do not interleave)."""
    write_json(record, runs_dir / f"{record['stage']}.json")
    line = json.dumps(record, sort_keys=True, default=str) + "\n"
    with (runs_dir / RUN_HISTORY).open("a", encoding="utf-8") as fh:
        fh.write(line)


@contextmanager
def timed_stage(
    stage: str, stats_dir: Path = STATS_DIR, runs_dir: Path = RUNS_DIR
) -> Iterator[StageStats]:
    """Run the stage body, then write its stats to ``reports/stages/<stage>.json`` (tracked,
    deterministic) and its wall time and other facts of the run to the run log
    (``reports/runs/``, untracked: see :func:`log_run`)."""
    stats = StageStats(stage)
    start = time.perf_counter()
    yield stats
    stats.seconds = time.perf_counter() - start
    write_json(stats.as_dict(), stats_dir / f"{stage}.json")
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    log_run(stats.run_record(finished), runs_dir)


def merge_quarantine(previous: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([schema.conform(previous, schema.QUARANTINE), new], how="vertical")


def run_cli(main: Any) -> None:
    """Run a stage's typer command with plain tracebacks (readable in `dvc repro` logs); bad
    params (every stage checks them first, see pipeline/config.py) are one line per key."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(main)
    try:
        app()
    except ParamsError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None


def mark_timeout(row: dict[str, Any], stage: str) -> dict[str, Any]:
    """A row whose document overran its time budget, turned into a quarantine row."""
    row = dict(row)
    seconds = row.pop(TIMEOUT_KEY)
    detail = f"{stage}: over {seconds} s (engine.max_seconds_per_doc)"
    return {**row, "reason": QuarantineReason.TIMEOUT.value, "detail": detail}


READ_KEY = "__read__"  # an item telling the worker which Parquet rows to read itself
SOURCE_KEYS = ["source_path", "row_digest"]  # what the driver reads of a reused stage's input


@dataclass(frozen=True)
class ParquetSource:
    """A stage input read by the workers themselves, one row group per task: the pages never
    pass through the driver (which would spend as much CPU reading, converting and pickling
    them as a worker spends on the work)."""

    path: Path


def read_task_table(item: dict[str, Any]) -> pa.Table:
    """The Parquet rows an item names (``READ_KEY``: path, row group, row numbers and,
    optionally, columns), read where the work runs."""
    path, group, todo, *columns = item[READ_KEY]  # columns: optional, None = all
    parquet = pq.ParquetFile(path, pre_buffer=False)
    wanted = columns[0] if columns else None
    if not todo:  # every row of the group reused from a previous run: nothing to read
        empty = parquet.schema_arrow.empty_table()
        return empty.select(wanted) if wanted is not None else empty
    table = parquet.read_row_group(group, columns=wanted)
    return table.take(pa.array(todo, pa.int64())) if len(todo) < table.num_rows else table


def read_task_rows(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows an item stands for: itself, or the rows of a Parquet row group it names."""
    if READ_KEY not in item:
        return [item]
    rows: list[dict[str, Any]] = read_task_table(item).to_pylist()
    return rows


def task_size(item: dict[str, Any]) -> int:
    return len(item[READ_KEY][2]) if READ_KEY in item else 1


@dataclass(frozen=True)
class ReadInWorker:
    """Wraps a batch function so items naming Parquet rows are read where the work runs."""

    fn: BatchFunction

    def __call__(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = [row for item in items for row in read_task_rows(item)]
        return self.fn(rows) if rows else []


@dataclass(frozen=True)
class PackRows:
    """Wraps a batch function (in the worker) so the rows it keeps travel to the driver as one
    Arrow table of ``table``: the driver then writes them without unpickling, converting or
    copying their pages (which cost it as much CPU as the workers spent on them). The rows
    still come back, light (without their page-sized text), for the driver's bookkeeping."""

    fn: BatchFunction
    table: str
    spill_dir: str | None = None  # see arrow_payload

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = self.fn(rows)
        if "input_digest" in schema.TABLES[self.table]:
            # one output row per input row, in order: each is made from the row it stands for
            for made, source in zip(out, rows, strict=True):
                made["input_digest"] = source.get("row_digest")
        kept = [row for row in out if _is_kept(row)]
        if not kept:
            return out
        columns = {name: [row.get(name) for row in kept] for name in schema.TABLES[self.table]}
        light: list[dict[str, Any]] = []
        index = 0  # kept rows are the table's rows, in order
        for row in out:
            if _is_kept(row):
                row = {k: v for k, v in row.items() if k not in BULK_TEXT_COLUMNS}
                row[ARROW_KEY] = index
                index += 1
            light.append(row)
        table = with_row_digests(to_arrow(columns, self.table))
        return [{PACK_KEY: arrow_payload(table, self.spill_dir), "rows": light}]


def _digest_token(value: Any) -> bytes:
    """A value's bytes for :func:`row_digests` (its type tagged, so "1" and 1 differ)."""
    if value is None:
        return b"n"
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, datetime):
        return b"t" + value.isoformat().encode()
    return b"j" + json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()


def row_digests(table: pa.Table) -> list[str]:
    """SHA-256 of each row's values as stored (every column but the digests themselves, by
    name, page text included): what a later stage's reuse of its output is keyed on."""
    names = [n for n in table.column_names if n not in schema.DIGEST_COLUMNS]
    columns = [table.column(n).to_pylist() for n in names]
    digests = []
    for values in zip(*columns, strict=True):
        digest = hashlib.sha256()
        for name, value in zip(names, values, strict=True):
            token = _digest_token(value)
            digest.update(f"{name}:{len(token)}:".encode())
            digest.update(token)
        digests.append(digest.hexdigest())
    return digests


def with_row_digests(table: pa.Table) -> pa.Table:
    """``table`` with its ``row_digest`` column filled in (if the table has one)."""
    if "row_digest" not in table.column_names:
        return table
    index = table.column_names.index("row_digest")
    field = table.schema.field(index)
    return table.set_column(index, field, pa.array(row_digests(table), type=field.type))


def _is_kept(row: dict[str, Any]) -> bool:
    return row.get("reason") is None and TIMEOUT_KEY not in row


def unpack(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a :class:`PackRows` result (packed or not), kept rows pointing into their
    Arrow table (see ``ARROW_KEY``)."""
    rows: list[dict[str, Any]] = []
    for item in results:
        if PACK_KEY not in item:
            rows.append(item)
            continue
        table = read_payload(item[PACK_KEY])
        for row in item["rows"]:
            if ARROW_KEY in row:
                row[ARROW_KEY] = (table, row[ARROW_KEY])
            rows.append(row)
    return rows


def parquet_read_tasks(
    path: Path, columns: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """One task per row group of ``path`` (of ``columns``, or all), read by the worker (see
    :class:`ReadInWorker`)."""
    wanted = list(columns) if columns is not None else None
    resolved = str(path.resolve())
    metadata = pq.read_metadata(path)
    for group in range(metadata.num_row_groups):
        rows = metadata.row_group(group).num_rows
        yield {READ_KEY: (resolved, group, list(range(rows)), wanted)}


def map_parquet(
    fn: BatchFunction,
    path: Path,
    engine: EngineConfig,
    columns: Sequence[str] | None = None,
    preload: Sequence[str] = (),
) -> Iterator[list[dict[str, Any]]]:
    """``fn`` over the rows of ``path`` (of ``columns``, or all), each row group read by the
    worker that runs it; results per row group, in order."""
    one_task = dataclasses.replace(engine, batch_size=1)
    tasks = parquet_read_tasks(path, columns)
    return map_batches(ReadInWorker(fn), tasks, one_task, read_task_rows, task_size, preload)


def _parquet_tasks(
    source: ParquetSource, previous: PreviousRun | None
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any] | None]]]:
    """One task per row group of ``source`` (the rows not reused), with the reused rows by
    position (None where the row is computed)."""
    parquet = pq.ParquetFile(source.path, pre_buffer=False)
    for group in range(parquet.num_row_groups):
        keys = parquet.read_row_group(group, columns=SOURCE_KEYS).to_pylist()
        reused = [
            previous.lookup(k["source_path"], k["row_digest"]) if previous else None for k in keys
        ]
        todo = [i for i, hit in enumerate(reused) if hit is None]
        yield {READ_KEY: (str(source.path.resolve()), group, todo)}, reused


def _computed_batches(
    fn: BatchFunction,
    rows: Iterable[dict[str, Any]] | ParquetSource,
    engine: EngineConfig,
    previous: PreviousRun | None,
    preload: Sequence[str] = (),
) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """(output rows in input order, how many of them were reused) per batch of the input."""
    if isinstance(rows, ParquetSource):
        reused_by_task: deque[list[dict[str, Any] | None]] = deque()

        def tasks() -> Iterator[dict[str, Any]]:
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
            yield (
                [next(fresh) if hit is None else hit for hit in reused],
                sum(hit is not None for hit in reused),
            )
        return
    if previous is not None:
        raise ValueError("reusing a previous run needs a ParquetSource input")
    for batch in map_batches(fn, rows, engine, preload=preload):
        yield unpack(batch), 0


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
) -> None:
    """Run ``fn`` over ``rows`` (dicts, or a Parquet file the workers read) on the engine: rows
    without a ``reason`` stream into the ``output`` (path, table); the others join the previous
    quarantine (``quarantine`` is (previous path or None, new path)). One output row per input
    row, in input order.

    With a ``fingerprint``, kept rows of the previous output made with the same fingerprint from
    identical input rows are reused (an incremental run; see :class:`PreviousRun` and
    :func:`reuse_enabled`), and the new output records it."""
    path, table = output
    previous = PreviousRun(path, fingerprint) if fingerprint and reuse_enabled() else None
    dropped: list[dict[str, Any]] = []
    with spill_directory(engine) as spill, ParquetSink(path, table, fingerprint) as sink:
        packed = PackRows(fn, table, spill)
        computed = _computed_batches(packed, rows, engine, previous, worker_preload(stage))
        for batch, reused in computed:
            done = [mark_timeout(r, stage) if TIMEOUT_KEY in r else r for r in batch]
            if settle is not None:
                done = [settle(r) for r in done]
            sink.write([r for r in done if r.get("reason") is None])
            # Only the quarantine columns: a dropped row may still carry its whole page.
            dropped += [
                {**{k: r.get(k) for k in QUARANTINE_COLUMNS}, "stage": stage}
                for r in done
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
