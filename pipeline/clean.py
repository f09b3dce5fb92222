"""Stage 3, clean: normalised, chrome-free text for every extracted document.
``python -m pipeline.clean --help``."""

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
from pipeline.runtime.reader import ParquetSource
from pipeline.runtime.reuse import code_fingerprint
from pipeline.runtime.runner import stream_document_stage
from pipeline.runtime.sink import quarantine_rows
from pipeline.runtime.stats import run_cli, timed_stage
from pipeline.schema import QuarantineReason
from pipeline.text.cleaning import clean_text

STAGE = "clean"
# What the workers import once, in their fork server, before the stage module runs in each.
WORKER_PRELOAD = (
    "pipeline.runtime.runner",
    "pipeline.text.cleaning",
    "pipeline.config",
    "typer",
)


def clean_frame(extracted: pl.DataFrame, min_chars: int) -> pl.DataFrame:
    """Cleaned text with its counts; ``reason``/``detail`` set where the text is too short."""
    cleaned = extracted.with_columns(
        # clean_text normalises to NFC itself
        pl.col("text")
        .map_elements(clean_text, return_dtype=pl.String, skip_nulls=True)
        .fill_null("")
    ).with_columns(
        n_chars=pl.col("text").str.len_chars().cast(pl.Int64),
        n_paragraphs=(pl.col("text").str.count_matches("\n") + 1).cast(pl.Int64),
    )
    too_short = pl.col("n_chars") < min_chars
    return cleaned.with_columns(
        reason=pl.when(too_short).then(pl.lit(QuarantineReason.TOO_SHORT.value)),
        detail=pl.when(too_short).then(
            pl.format("{} chars < clean.min_chars={}", pl.col("n_chars"), pl.lit(min_chars))
        ),
    )


def clean_documents(extracted: pl.DataFrame, min_chars: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(documents, quarantine) of a frame of extracted documents."""
    frame = clean_frame(extracted, min_chars)
    dropped = frame.filter(pl.col("reason").is_not_null()).with_columns(stage=pl.lit(STAGE))
    quarantine = quarantine_rows(dropped.select(schema.QUARANTINE.keys()).to_dicts())
    kept = frame.filter(pl.col("reason").is_null())
    return schema.conform(kept, schema.CLEANED), quarantine


@dataclass(frozen=True)
class CleanBatch:
    """Batch function for the engine: one output row (cleaned or with a reason) per input row."""

    min_chars: int

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        frame = pl.DataFrame(rows, schema=schema.EXTRACTED)
        columns = [*schema.CLEANED, "reason", "detail"]
        return clean_frame(frame, self.min_chars).select(columns).to_dicts()


def main(
    input: Path = typer.Option(OUTPUTS["extracted"].path),
    quarantine_in: Path = typer.Option(OUTPUTS["quarantine_extract"].path),
    output: Path = typer.Option(OUTPUTS["cleaned"].path),
    quarantine_out: Path = typer.Option(OUTPUTS["quarantine_clean"].path),
) -> None:
    config = read_params()  # the whole file, before any input is read
    params, engine = config.clean, EngineConfig.from_params(config.engine)
    with timed_stage(STAGE) as stats:
        stream_document_stage(
            STAGE,
            CleanBatch(params.min_chars),
            ParquetSource(input),
            engine,
            stats,
            output=(output, "cleaned"),
            quarantine=(quarantine_in, quarantine_out),
            fingerprint=code_fingerprint(params.model_dump(), STAGE),
            preload=WORKER_PRELOAD,
        )


if __name__ == "__main__":
    run_cli(main)
