"""The corpus stage's temporary part files (Arrow IPC streams, lz4) and the spilled sentences
and sentence decisions they hold.

Invariants: a part read back holds its rows in input order (the engine tasks' pieces in task
order), whatever the number of workers or the order they finished in; one file per part, so
reading a part opens one file; a part file goes once read (or discarded when the run fails).
"""

from __future__ import annotations

import fcntl
import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from pipeline import schema

SPILL_COMPRESSION = "lz4"


PartRecord = tuple[str, int, bytes]  # (name, part, record): what append_records appends
RECORD_HEADER = 24  # a record's stored size, task number and uncompressed size (8 bytes each)


def part_tables(
    frame: pl.DataFrame, part_column: str, columns: dict[str, pl.DataType]
) -> Iterator[tuple[int, pa.Table]]:
    """Each part of ``frame`` (cut by ``part_column``): its ``columns``, rows in frame order.

    One stable sort, cast and Arrow conversion for the whole frame, then a zero-copy slice per
    part. Cutting with ``partition_by`` and converting each piece cost ~0.5 ms a piece, and a
    task's rows fall into as many parts as it has documents once the corpus has that many
    doc_id ranges (~180 a sentence task at 100k pages)."""
    arrow_schema = schema.empty(columns).to_arrow().schema
    ordered = frame.sort(part_column, maintain_order=True)
    table = ordered.select(list(columns)).cast(columns).to_arrow().cast(arrow_schema)  # type: ignore[arg-type]
    parts = ordered[part_column].to_numpy()
    bounds = [0, *(np.flatnonzero(np.diff(parts)) + 1).tolist(), len(parts)]
    for start, end in itertools.pairwise(bounds):
        if end > start:  # none in an empty frame
            yield int(parts[start]), table.slice(start, end - start)


def part_records(
    frame: pl.DataFrame, part_column: str, name: str, columns: dict[str, pl.DataType], task: int
) -> list[PartRecord]:
    """Each part of ``frame`` (cut by ``part_column``) as the record :func:`append_records`
    appends to ``<name>-<part>.parts``: an Arrow IPC stream, lz4-compressed whole, behind its
    stored size, ``task`` (the number of the engine task, in input order) and its size."""
    records: list[PartRecord] = []
    codec = pa.Codec(SPILL_COMPRESSION)
    for part, table in part_tables(frame, part_column, columns):
        # Compressed as one block: Arrow's per-buffer compression cost ~0.1 ms a piece in
        # codec set-up, most of the spill's time once pieces are a few rows each.
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        stream = sink.getvalue()
        blob = codec.compress(stream, asbytes=True)
        header = b"".join(n.to_bytes(8, "little") for n in (len(blob), task, stream.size))
        records.append((name, part, header + blob))
    return records


def append_records(directory: Path, records: list[PartRecord]) -> None:
    """Append each record to its part's file. The engine's workers (or the driver, for workers
    that cannot see ``directory``) append to the same files, each under an exclusive lock: one
    file per part, whatever the number of tasks, so reading a part back opens one file."""
    for name, part, record in records:
        with (directory / f"{name}-{part:05d}.parts").open("ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(record)


class TaskParts:
    """The parts :func:`append_records` wrote under ``name``, read back one at a time (the file
    goes once read), rows in input order: the tasks' pieces in task order."""

    def __init__(self, directory: Path, name: str, columns: dict[str, pl.DataType]) -> None:
        self.directory = directory
        self.name = name
        self.columns = columns

    def read(self, part: int) -> pl.DataFrame:
        path = self.directory / f"{self.name}-{part:05d}.parts"
        if not path.exists():
            return schema.empty(self.columns)
        data = memoryview(path.read_bytes())
        path.unlink()
        pieces: list[tuple[int, memoryview, int]] = []
        at = 0
        while at < len(data):
            size, task, raw_size = (
                int.from_bytes(data[at + i : at + i + 8], "little") for i in (0, 8, 16)
            )
            pieces.append((task, data[at + RECORD_HEADER : at + RECORD_HEADER + size], raw_size))
            at += RECORD_HEADER + size
        pieces.sort(key=lambda piece: piece[0])  # one piece per task and part
        codec = pa.Codec(SPILL_COMPRESSION)
        tables = [
            pa.ipc.open_stream(codec.decompress(blob, raw_size)).read_all()
            for _, blob, raw_size in pieces
        ]
        frame = pl.from_arrow(pa.concat_tables(tables))
        assert isinstance(frame, pl.DataFrame)
        return frame

    def discard(self) -> None:
        for path in self.directory.glob(f"{self.name}-*.parts"):
            path.unlink(missing_ok=True)


class Spill:
    """Frames written by part as :func:`part_records` makes them (numbered in the order they
    are written), read back one part at a time, rows in the order written."""

    def __init__(self, directory: Path, name: str, columns: dict[str, pl.DataType]) -> None:
        self.parts = TaskParts(directory, name, columns)
        self.written = 0

    def write(self, frame: pl.DataFrame, part_column: str) -> None:
        parts = self.parts
        append_records(
            parts.directory,
            part_records(frame, part_column, parts.name, parts.columns, self.written),
        )
        self.written += 1

    def read(self, part: int) -> pl.DataFrame:
        return self.parts.read(part)


T = TypeVar("T")


def read_ahead(read: Callable[[int], T], parts: int) -> Iterator[T]:
    """``read(0)``, ``read(1)``, ... in order, each next part read on a thread while the caller
    works on the one before (reading decompresses, in pyarrow, without the GIL). At most one
    part is held ahead, so memory stays bounded: for small parts (a range of texts ahead costs
    more memory than it saves time)."""
    with ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as pool:
        ahead = pool.submit(read, 0) if parts else None
        for part in range(parts):
            assert ahead is not None
            current = ahead.result()
            ahead = pool.submit(read, part + 1) if part + 1 < parts else None
            yield current


@dataclass
class SentenceParts:
    """The sentences, enriched and spilled: by doc_id range and by hash prefix."""

    by_range: TaskParts
    by_hash: TaskParts
    n_ranges: int
    hash_bits: int
    per_doc: npt.NDArray[np.int64]  # sentences of each document (by doc_idx)


@dataclass
class SentenceDecisions:
    removed: Spill  # (doc_idx, hash) of boilerplate sentences, by doc_id range
    duplicates: Spill  # (doc_idx, sentence_index) of sentences seen earlier, by doc_id range
    boilerplate_map: pl.DataFrame
    removed_per_doc: npt.NDArray[np.int64]
    n_removed_keys: int
