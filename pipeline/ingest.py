"""Stage 1, ingest: every entry of the inventory (``data/interim/input_files.parquet``, see
:mod:`pipeline.inventory`) becomes a decoded document or a quarantine row.
``python -m pipeline.ingest --help``. The reading and decoding is :mod:`pipeline.sources`."""

from __future__ import annotations

from functools import partial

import polars as pl

from pipeline.runtime.cli import StageRun, stage_files, stage_main
from pipeline.runtime.engine import PerDocument
from pipeline.runtime.reader import stream_rows
from pipeline.runtime.runner import stream_stage
from pipeline.runtime.sink import write_parquet
from pipeline.runtime.stats import run_cli
from pipeline.sources.inputs import FirstPathWins, ingest_row, input_items

STAGE = "ingest"
# What the workers import once, in their fork server (besides the runtime), before they start
# (with what it imports).
WORKER_PRELOAD = ("pipeline.sources.inputs",)
FILES = stage_files("input_files", "ingested", "quarantine_ingest", "inventory")


def ingest(run: StageRun) -> None:
    params, files = run.params.ingest, run.files
    root, max_raw = params.input_dir, params.max_raw_bytes
    document = partial(
        ingest_row, root=str(root), max_raw=max_raw, max_inflated=params.max_inflated_bytes
    )
    step = PerDocument(document, run.engine.max_seconds_per_doc)
    names: list[str] = []  # every input item, as input_items lists them
    items = input_items(root, stream_rows(files["input_files"]), max_raw, names)
    quarantine = (None, "quarantine_ingest")
    stream_stage(run, step, items, "ingested", quarantine, settle=FirstPathWins())
    # The inventory lets validation prove kept + quarantined = every input item.
    write_parquet(pl.DataFrame({"source_path": names}), files["inventory"], "inventory")


main = stage_main(STAGE, FILES, ingest, __doc__, WORKER_PRELOAD)

if __name__ == "__main__":
    run_cli(main)
