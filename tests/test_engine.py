"""The execution engine: same rows on every engine, time limits, order, streaming writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pipeline import schema
from pipeline.engine import TIMEOUT_KEY, EngineConfig, PerDocument, batched, map_batches
from pipeline.stage import ParquetSink

Row = dict[str, Any]


def square(row: Row) -> Row:
    return {"i": row["i"], "square": row["i"] ** 2}


def spin_forever(row: Row) -> Row:
    while row["i"] == 3:  # a Python-level hang: the soft limit stops it
        pass
    return square(row)


def backtrack(row: Row) -> Row:
    # Catastrophic backtracking runs inside C and ignores signals: only a kill stops it.
    if row["i"] == 2:
        re.match(r"(a+)+$", "a" * 64 + "b")
    return square(row)


def _run(fn: Any, n: int, **cfg: Any) -> list[Row]:
    config = EngineConfig(**cfg)
    rows = ({"i": i} for i in range(n))
    return [row for batch in map_batches(fn, rows, config) for row in batch]


def test_batched_keeps_every_row_in_order() -> None:
    batches = list(batched(({"i": i} for i in range(7)), 3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [r["i"] for b in batches for r in b] == list(range(7))


@pytest.mark.parametrize("name,workers", [("serial", 1), ("local", 1), ("local", 2)])
def test_engines_return_the_same_rows_in_order(name: str, workers: int) -> None:
    fn = PerDocument(square, 5)
    assert _run(fn, 50, name=name, workers=workers, batch_size=7) == [
        {"i": i, "square": i * i} for i in range(50)
    ]


def test_soft_limit_marks_only_the_slow_document() -> None:
    out = _run(PerDocument(spin_forever, 0.3), 6, name="local", workers=2, batch_size=4)
    assert [TIMEOUT_KEY in r for r in out] == [i == 3 for i in range(6)]
    assert [r.get("square") for r in out if TIMEOUT_KEY not in r] == [0, 1, 4, 16, 25]


def test_hard_limit_kills_a_worker_stuck_in_c_code() -> None:
    out = _run(
        PerDocument(backtrack, 0.2),
        5,
        name="local",
        workers=2,
        batch_size=3,
        max_seconds_per_doc=0.2,
    )
    assert [TIMEOUT_KEY in r for r in out] == [i == 2 for i in range(5)]
    assert out[4] == {"i": 4, "square": 16}


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match=r"engine\.name"):
        _run(PerDocument(square, 1), 1, name="spark")


def test_sink_bytes_do_not_depend_on_how_rows_arrive(tmp_path: Path) -> None:
    rows = [
        {"source_path": f"{i:04d}.html"}  # inventory: one column, many row groups
        for i in range(50_000)
    ]
    written = []
    for chunk in (1, 777, 50_000):
        path = tmp_path / f"inventory_{chunk}.parquet"
        with ParquetSink(path, "inventory") as sink:
            for start in range(0, len(rows), chunk):
                sink.write(rows[start : start + chunk])
        written.append(path.read_bytes())
        assert pl.read_parquet(path).to_dicts() == rows
    assert written[0] == written[1] == written[2]


def test_sink_writes_an_empty_table_with_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "cleaned.parquet"
    with ParquetSink(path, "cleaned"):
        pass
    frame = pl.read_parquet(path)
    assert frame.height == 0 and frame.schema == pl.Schema(schema.CLEANED)


def test_sink_leaves_no_file_when_the_stage_fails(tmp_path: Path) -> None:
    path = tmp_path / "inventory.parquet"
    with pytest.raises(RuntimeError), ParquetSink(path, "inventory") as sink:
        sink.write([{"source_path": "a"}])
        raise RuntimeError("stage failed")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []
