"""Stage 6, report: ``reports/metrics.json`` (DVC metrics) from the stage stats and outputs.
``python -m pipeline.report --help``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline.stage import STATS_DIR, run_cli, write_json

STAGES = ("ingest", "extract", "clean", "segment", "corpus", "validate")


def corpus_metrics(
    inventory: pl.DataFrame,
    documents: pl.DataFrame,
    sentences: pl.DataFrame,
    quarantine: pl.DataFrame,
) -> dict[str, Any]:
    """Counts a researcher cites: inputs, kept, quarantined by reason and stage, sentences."""
    by_reason = quarantine.group_by("reason").len().sort("reason")
    by_stage = quarantine.group_by("stage").len().sort("stage")
    lengths = sentences.select(
        mean=pl.col("text").str.len_chars().mean().fill_null(0.0),
        median=pl.col("text").str.len_chars().median().fill_null(0.0),
    ).row(0)
    return {
        "documents": {
            "input": inventory.height,
            "kept": documents.height,
            "quarantined": quarantine.height,
            "quarantined_by_reason": {str(r): n for r, n in by_reason.iter_rows()},
            "quarantined_by_stage": {str(s): n for s, n in by_stage.iter_rows()},
        },
        "sentences": {
            "count": sentences.height,
            "mean_chars": round(lengths[0], 2),
            "median_chars": lengths[1],
        },
        "characters": int(documents["n_chars"].sum()),
        "domains": documents["domain"].drop_nulls().n_unique(),
    }


def main(
    inventory: Path = typer.Option(Path("data/interim/inventory.parquet")),
    documents: Path = typer.Option(Path("data/processed/documents.parquet")),
    sentences: Path = typer.Option(Path("data/processed/sentences.parquet")),
    quarantine: Path = typer.Option(Path("data/processed/quarantine.parquet")),
    output: Path = typer.Option(Path("reports/metrics.json")),
) -> None:
    metrics = corpus_metrics(
        pl.read_parquet(inventory),
        pl.read_parquet(documents),
        pl.read_parquet(sentences),
        pl.read_parquet(quarantine),
    )
    stage_stats = {
        stage: json.loads((STATS_DIR / f"{stage}.json").read_text(encoding="utf-8"))
        for stage in STAGES
    }
    metrics["stages"] = {
        stage: {k: v for k, v in stats.items() if k != "stage"}
        for stage, stats in stage_stats.items()
    }
    metrics["seconds_total"] = round(sum(s["seconds"] for s in stage_stats.values()), 3)
    write_json(metrics, output)
    print(json.dumps(metrics["documents"], sort_keys=True))


if __name__ == "__main__":
    run_cli(main)
