"""Stage 5, corpus: the published corpus from the cleaned documents and their sentences.
``python -m pipeline.corpus --help``.

Corpus-level decisions that need every document at once belong here (they cannot be made one
document at a time in the earlier stages)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer

from pipeline import schema
from pipeline.stage import run_cli, timed_stage, write_parquet

STAGE = "corpus"


def build_corpus(
    cleaned: pl.DataFrame, segmented: pl.DataFrame, quarantine: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(documents, sentences, quarantine) as published."""
    return (
        schema.conform(cleaned, schema.DOCUMENTS),
        schema.conform(segmented, schema.SENTENCES),
        quarantine,
    )


def main(
    cleaned: Path = typer.Option(Path("data/interim/cleaned.parquet")),
    segmented: Path = typer.Option(Path("data/interim/segmented.parquet")),
    quarantine_in: Path = typer.Option(Path("data/interim/quarantine_segment.parquet")),
    documents_out: Path = typer.Option(Path("data/processed/documents.parquet")),
    sentences_out: Path = typer.Option(Path("data/processed/sentences.parquet")),
    quarantine_out: Path = typer.Option(Path("data/processed/quarantine.parquet")),
) -> None:
    with timed_stage(STAGE) as stats:
        cleaned_df = pl.read_parquet(cleaned)
        documents, sentences, quarantine = build_corpus(
            cleaned_df, pl.read_parquet(segmented), pl.read_parquet(quarantine_in)
        )
        write_parquet(documents, documents_out, "documents")
        write_parquet(sentences, sentences_out, "sentences")
        write_parquet(quarantine, quarantine_out, "quarantine")
        stats.docs_in, stats.docs_out = cleaned_df.height, documents.height
        stats.extra["sentences"] = sentences.height


if __name__ == "__main__":
    run_cli(main)
