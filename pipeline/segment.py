"""Stage 4, segment: one row per sentence with exact offsets into the cleaned text.
``python -m pipeline.segment --help``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline import schema
from pipeline.config import read_params
from pipeline.outputs import OUTPUTS
from pipeline.runtime.engine import EngineConfig
from pipeline.runtime.protocol import Packed, TimedOut
from pipeline.runtime.runner import map_parquet, mark_timeout
from pipeline.runtime.sink import (
    ParquetSink,
    merge_quarantine,
    quarantine_rows,
    to_arrow,
    write_parquet,
)
from pipeline.runtime.stats import run_cli, timed_stage
from pipeline.runtime.transport import arrow_payload, read_payload, spill_directory
from pipeline.text.spans import DOC_COLUMNS, sentence_columns

STAGE = "segment"
# What the workers import once, in their fork server, before the stage module runs in each.
WORKER_PRELOAD = (
    "pipeline.runtime.runner",
    "pipeline.text.spans",
    "pipeline.text.sentences",
    "pipeline.config",
    "typer",
)
INPUT_COLUMNS = (  # what the workers read of each document
    "doc_id",
    "source_path",
    "source_sha256",
    "size_bytes",
    "text",
    *DOC_COLUMNS,
)


@dataclass(frozen=True)
class SegmentBatch:
    """Batch function for the engine: the sentences of the batch's documents, in order, as one
    Arrow payload (the driver writes it without converting a value), with the documents they
    came from (their doc_id). A document that overruns its time budget comes back from the
    engine as its :class:`TimedOut` outcome instead."""

    max_chars: int
    default_language: str = "en"
    spill_dir: str | None = None  # see arrow_payload

    def __call__(self, docs: list[dict[str, Any]]) -> list[Packed]:
        columns = sentence_columns(docs, self.max_chars, self.default_language)
        table = to_arrow(columns, "segmented")
        documents: list[dict[str, Any] | TimedOut] = [{"doc_id": doc["doc_id"]} for doc in docs]
        return [Packed(documents, arrow_payload(table, self.spill_dir))]


def quarantined(outcome: TimedOut) -> dict[str, Any]:
    """The quarantine row of a document that overran its time budget: only the quarantine
    columns, so the text and sentences are not held until the stage ends."""
    marked = {**mark_timeout(outcome, STAGE), "stage": STAGE}
    return {column: marked.get(column) for column in schema.QUARANTINE}


def main(
    input: Path = typer.Option(OUTPUTS["cleaned"].path),
    quarantine_in: Path = typer.Option(OUTPUTS["quarantine_clean"].path),
    output: Path = typer.Option(OUTPUTS["segmented"].path),
    quarantine_out: Path = typer.Option(OUTPUTS["quarantine_segment"].path),
) -> None:
    config = read_params()  # the whole file, before any input is read
    params, engine = config.segment, EngineConfig.from_params(config.engine)
    with timed_stage(STAGE) as stats:
        dropped: list[dict[str, Any]] = []
        with spill_directory(engine) as spill, ParquetSink(output, "segmented") as sink:
            max_chars, language = params.max_sentence_chars, params.language
            fn = SegmentBatch(max_chars, language, spill)
            # Workers read the documents themselves: the pages never pass through the driver.
            for batch in map_parquet(fn, input, engine, INPUT_COLUMNS, WORKER_PRELOAD):
                for item in batch:
                    if isinstance(item, TimedOut):
                        # The corpus stage leaves out documents quarantined here.
                        dropped.append(quarantined(item))
                        stats.docs_in += 1
                    else:
                        sink.write_arrow(read_payload(item.payload))
                        stats.docs_in += len(item.rows)
        new_quarantine = quarantine_rows(dropped)
        write_parquet(
            merge_quarantine(pl.read_parquet(quarantine_in), new_quarantine),
            quarantine_out,
            "quarantine",
        )
        stats.docs_out = stats.docs_in - len(dropped)
        stats.count_drops(new_quarantine)
        stats.extra["sentences"] = sink.rows_written


if __name__ == "__main__":
    run_cli(main)
