"""What every stage shares: its params section, deterministic Parquet I/O, its own stats."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import typer
import yaml

from pipeline import schema

PARQUET_ROW_GROUP = 50_000
PARAMS_FILE = Path("params.yaml")
STATS_DIR = Path("reports/stages")


def load_params(section: str, path: Path = PARAMS_FILE) -> dict[str, Any]:
    """Only this stage's section of params.yaml (a stage never reads another's)."""
    with path.open(encoding="utf-8") as fh:
        params = yaml.safe_load(fh) or {}
    value = params.get(section, {})
    if not isinstance(value, dict):
        raise ValueError(f"params section {section!r} must be a mapping")
    return value


def atomic_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def write_parquet(df: pl.DataFrame, path: Path, table: str) -> None:
    """Write sorted, zstd, fixed row groups; replace the target atomically."""
    df = schema.conform(df, schema.TABLES[table]).sort(schema.SORT_KEYS[table], nulls_last=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(path)
    df.write_parquet(
        tmp,
        compression="zstd",
        compression_level=9,
        statistics=True,
        row_group_size=PARQUET_ROW_GROUP,
    )
    os.replace(tmp, path)


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
    """datatrove-style accounting of one stage: documents in/out, drops by reason, time."""

    stage: str
    docs_in: int = 0
    docs_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    extra: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "docs_in": self.docs_in,
            "docs_out": self.docs_out,
            "dropped": dict(sorted(self.dropped.items())),
            **self.extra,
            "seconds": round(self.seconds, 3),
        }

    def count_drops(self, quarantine: pl.DataFrame) -> None:
        for reason, n in quarantine.group_by("reason").len().iter_rows():
            self.dropped[str(reason)] += n


@contextmanager
def timed_stage(stage: str, stats_dir: Path = STATS_DIR) -> Iterator[StageStats]:
    """Time the stage body and write its stats to reports/stages/<stage>.json."""
    stats = StageStats(stage)
    start = time.perf_counter()
    yield stats
    stats.seconds = time.perf_counter() - start
    write_json(stats.as_dict(), stats_dir / f"{stage}.json")


def merge_quarantine(previous: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([schema.conform(previous, schema.QUARANTINE), new], how="vertical")


def run_cli(main: Any) -> None:
    """Run a stage's typer command with plain tracebacks (readable in `dvc repro` logs)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(main)
    app()
