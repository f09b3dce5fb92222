"""The corpus stage's temporary part files (Arrow IPC streams, lz4) and the spilled sentences
and sentence decisions they hold.

Invariants: a part read back holds its rows in input order (the engine tasks' pieces in task
order), whatever the number of workers or the order they finished in; one file per part, so
reading a part opens one file; a part file goes once read (or discarded when the run fails).
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from pipeline import schema

SPILL_COMPRESSION = "lz4"


def spill_options() -> pa.ipc.IpcWriteOptions:
    # made where used: Ray pickles this module's objects by value when it runs as __main__,
    # and an IpcWriteOptions cannot be pickled
    return pa.ipc.IpcWriteOptions(compression=SPILL_COMPRESSION)


class Spill:
    """Frames appended to numbered temporary Arrow IPC streams (lz4), read back one at a time."""

    def __init__(self, directory: Path, name: str, columns: dict[str, pl.DataType]) -> None:
        self.directory = directory
        self.name = name
        self.columns = columns
        self.arrow_schema = schema.empty(columns).to_arrow().schema
        self.writers: dict[int, tuple[Any, Any]] = {}

    def path(self, part: int) -> Path:
        return self.directory / f"{self.name}-{part:05d}.arrows"

    def write(self, frame: pl.DataFrame, part_column: str) -> None:
        for (part,), piece in frame.partition_by(part_column, as_dict=True).items():
            number = int(part)
            if number not in self.writers:
                sink = pa.OSFile(str(self.path(number)), "wb")
                writer = pa.ipc.new_stream(sink, self.arrow_schema, options=spill_options())
                self.writers[number] = (sink, writer)
            table = piece.select(list(self.columns)).cast(self.columns).to_arrow()  # type: ignore[arg-type]
            self.writers[number][1].write_table(table.cast(self.arrow_schema))

    def close(self) -> None:
        for part in list(self.writers):
            self.close_part(part)

    def read(self, part: int) -> pl.DataFrame:
        self.close_part(part)
        if not self.path(part).exists():
            return schema.empty(self.columns)
        with pa.OSFile(str(self.path(part)), "rb") as source:
            table = pa.ipc.open_stream(source).read_all()
        self.path(part).unlink()
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def close_part(self, part: int) -> None:
        if part in self.writers:
            sink, writer = self.writers.pop(part)
            writer.close()
            sink.close()


PartRecord = tuple[str, int, bytes]  # (name, part, record): what append_records appends


def part_records(
    frame: pl.DataFrame, part_column: str, name: str, columns: dict[str, pl.DataType], task: int
) -> list[PartRecord]:
    """Each part of ``frame`` (cut by ``part_column``) as the record :func:`append_records`
    appends to ``<name>-<part>.parts``: one Arrow IPC stream (lz4) behind its size and
    ``task``, the number of the engine task (in input order)."""
    arrow_schema = schema.empty(columns).to_arrow().schema
    records: list[PartRecord] = []
    for (part,), piece in frame.partition_by(part_column, as_dict=True).items():
        table = piece.select(list(columns)).cast(columns).to_arrow()  # type: ignore[arg-type]
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, arrow_schema, options=spill_options()) as writer:
            writer.write_table(table.cast(arrow_schema))
        blob = sink.getvalue().to_pybytes()
        header = len(blob).to_bytes(8, "little") + task.to_bytes(8, "little")
        records.append((name, int(part), header + blob))
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
        pieces: list[tuple[int, memoryview]] = []
        at = 0
        while at < len(data):
            size = int.from_bytes(data[at : at + 8], "little")
            task = int.from_bytes(data[at + 8 : at + 16], "little")
            pieces.append((task, data[at + 16 : at + 16 + size]))
            at += 16 + size
        pieces.sort(key=lambda piece: piece[0])  # one piece per task and part
        tables = [pa.ipc.open_stream(pa.py_buffer(blob)).read_all() for _, blob in pieces]
        frame = pl.from_arrow(pa.concat_tables(tables))
        assert isinstance(frame, pl.DataFrame)
        return frame

    def discard(self) -> None:
        for path in self.directory.glob(f"{self.name}-*.parts"):
            path.unlink(missing_ok=True)


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
