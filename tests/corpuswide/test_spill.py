"""The corpus stage's part files: whatever order the tasks append their pieces in, a part
reads back as its rows in task order, then frame order; a spill reads back in write order."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.corpuswide.spill import Spill, TaskParts, append_records, part_records, part_tables

COLUMNS: dict[str, pl.DataType] = {"key": pl.UInt64(), "text": pl.String(), "n": pl.Int32()}


def task_frame(task: int, parts: list[int]) -> pl.DataFrame:
    """One row per entry of ``parts`` (its part number), texts naming task and row, some null."""
    return pl.DataFrame(
        {
            "key": [task * 1_000 + row for row in range(len(parts))],
            "text": [None if row % 5 == 3 else f"t{task} r{row} é" for row in range(len(parts))],
            "n": [row for row in range(len(parts))],
            "_part": parts,
        },
        schema={**COLUMNS, "_part": pl.UInt32()},
    )


@settings(max_examples=40, deadline=None)
@given(
    tasks=st.lists(st.lists(st.integers(0, 6), max_size=30), min_size=1, max_size=6),
    seed=st.integers(0, 1_000),
)
def test_parts_read_back_in_task_then_row_order(
    tmp_path_factory: pytest.TempPathFactory, tasks: list[list[int]], seed: int
) -> None:
    directory = Path(tmp_path_factory.mktemp("parts"))
    frames = [task_frame(task, parts) for task, parts in enumerate(tasks)]
    records = [
        record
        for task, frame in enumerate(frames)
        for record in part_records(frame, "_part", "rows", COLUMNS, task)
    ]
    random.Random(seed).shuffle(records)  # workers finish in any order
    append_records(directory, records)
    parts = TaskParts(directory, "rows", COLUMNS)
    for part in range(8):
        expected = pl.concat(
            [frame.filter(pl.col("_part") == part).select(list(COLUMNS)) for frame in frames]
        )
        assert parts.read(part).equals(expected)
    assert not list(directory.iterdir())  # every part file goes once read


def test_part_tables_slices_each_part_once_in_frame_order() -> None:
    frame = task_frame(0, [3, 1, 3, 0, 1, 3])
    tables = part_tables(frame, "_part", COLUMNS)
    got = {part: table.column("n").to_pylist() for part, table in tables}
    assert got == {0: [3], 1: [1, 4], 3: [0, 2, 5]}
    assert list(part_tables(frame.clear(), "_part", COLUMNS)) == []


def test_spill_reads_back_in_write_order(tmp_path: Path) -> None:
    spill = Spill(tmp_path, "removed", COLUMNS)
    first, second = task_frame(1, [0, 2, 0]), task_frame(2, [2, 0])
    spill.write(first, "_part")
    spill.write(second, "_part")
    assert spill.read(0)["key"].to_list() == [1_000, 1_002, 2_001]
    assert spill.read(1).is_empty()
    assert spill.read(2)["key"].to_list() == [1_001, 2_000]
