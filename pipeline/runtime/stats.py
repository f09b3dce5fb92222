"""A stage's CLI and accounting: plain-traceback typer runs, stage stats and the run log."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline.config import ParamsError
from pipeline.runtime.sink import atomic_path

STATS_DIR = Path("reports/stages")
# Timings and other facts of one run: git-ignored, neither a DVC output nor a metric.
RUNS_DIR = Path("reports/runs")
RUN_HISTORY = "runs.jsonl"


def write_json(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(path)
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


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
