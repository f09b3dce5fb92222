"""Stage 1, ingest: every entry of the inventory (``data/interim/input_files.parquet``, see
:mod:`pipeline.inventory`) becomes a decoded document or a quarantine row.
``python -m pipeline.ingest --help``."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import polars as pl
import typer

from pipeline.config import read_params
from pipeline.outputs import OUTPUTS
from pipeline.runtime.engine import EngineConfig, PerDocument
from pipeline.runtime.reader import stream_rows
from pipeline.runtime.runner import stream_document_stage
from pipeline.runtime.sink import write_parquet
from pipeline.runtime.stats import run_cli, timed_stage
from pipeline.sources.inputs import FirstPathWins, ingest_row, input_items

STAGE = "ingest"
# What the workers import once, in their fork server, before the stage module runs in each.
WORKER_PRELOAD = (
    "pipeline.runtime.runner",
    "pipeline.sources.inputs",
    "pipeline.runtime.hashing",
    "pipeline.sources.decoding",
    "pipeline.sources.warc",
    "pipeline.config",
    "typer",
)


def main(
    input_dir: Path | None = typer.Option(None, help="Overrides params ingest.input_dir."),
    files: Path = typer.Option(OUTPUTS["input_files"].path),
    output: Path = typer.Option(OUTPUTS["ingested"].path),
    quarantine: Path = typer.Option(OUTPUTS["quarantine_ingest"].path),
    inventory: Path = typer.Option(OUTPUTS["inventory"].path),
) -> None:
    config = read_params()  # the whole file, before any input is read
    params, engine = config.ingest, EngineConfig.from_params(config.engine)
    root = input_dir or params.input_dir
    fn = PerDocument(
        partial(
            ingest_row,
            root=str(root),
            max_raw=params.max_raw_bytes,
            max_inflated=params.max_inflated_bytes,
        ),
        engine.max_seconds_per_doc,
    )
    with timed_stage(STAGE) as stats:
        names: list[str] = []
        stream_document_stage(
            STAGE,
            fn,
            input_items(root, stream_rows(files), params.max_raw_bytes, names),
            engine,
            stats,
            output=(output, "ingested"),
            quarantine=(None, quarantine),
            settle=FirstPathWins(),
            preload=WORKER_PRELOAD,
        )
        # The inventory lets validation prove kept + quarantined = every input item.
        write_parquet(pl.DataFrame({"source_path": names}), inventory, "inventory")


if __name__ == "__main__":
    run_cli(main)
