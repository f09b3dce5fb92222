"""Stage 3, clean: normalised, chrome-free text for every extracted document.
``python -m pipeline.clean --help``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer

from pipeline import schema
from pipeline.schema import QuarantineReason
from pipeline.stage import (
    load_params,
    merge_quarantine,
    quarantine_rows,
    run_cli,
    timed_stage,
    write_parquet,
)
from pipeline.textclean import clean_text

STAGE = "clean"


def clean_documents(extracted: pl.DataFrame, min_chars: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(documents, quarantine): cleaned text with its counts; too-short documents quarantined."""
    cleaned = extracted.with_columns(
        pl.col("text")
        .str.normalize("NFC")
        .map_elements(clean_text, return_dtype=pl.String, skip_nulls=True)
        .fill_null("")
    ).with_columns(
        n_chars=pl.col("text").str.len_chars().cast(pl.Int64),
        n_paragraphs=(pl.col("text").str.count_matches("\n") + 1).cast(pl.Int64),
    )
    too_short = pl.col("n_chars") < min_chars
    dropped = cleaned.filter(too_short).with_columns(
        stage=pl.lit(STAGE),
        reason=pl.lit(QuarantineReason.TOO_SHORT.value),
        detail=pl.format("{} chars < clean.min_chars={}", pl.col("n_chars"), pl.lit(min_chars)),
    )
    quarantine = quarantine_rows(dropped.select(schema.QUARANTINE.keys()).to_dicts())
    return cleaned.filter(~too_short), quarantine


def main(
    input: Path = typer.Option(Path("data/interim/extracted.parquet")),
    quarantine_in: Path = typer.Option(Path("data/interim/quarantine_extract.parquet")),
    output: Path = typer.Option(Path("data/interim/cleaned.parquet")),
    quarantine_out: Path = typer.Option(Path("data/interim/quarantine_clean.parquet")),
) -> None:
    params = load_params(STAGE)
    with timed_stage(STAGE) as stats:
        extracted = pl.read_parquet(input)
        documents, dropped = clean_documents(extracted, int(params["min_chars"]))
        write_parquet(documents, output, "cleaned")
        write_parquet(
            merge_quarantine(pl.read_parquet(quarantine_in), dropped), quarantine_out, "quarantine"
        )
        stats.docs_in, stats.docs_out = extracted.height, documents.height
        stats.count_drops(dropped)
        stats.extra["characters"] = int(documents["n_chars"].sum())


if __name__ == "__main__":
    run_cli(main)
