"""Stage 6, report: ``reports/metrics.json`` (DVC metrics), ``reports/plots/*.json`` (DVC
plots) and ``reports/dataset_card.md`` from the stage stats and the published corpus.
``python -m pipeline.report --help``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline.card import CARD, write_card
from pipeline.plots import PLOTS_DIR, UNKNOWN, length_stats, plot_tables, write_plot
from pipeline.stage import STATS_DIR, load_params, run_cli, write_json

STAGES = ("ingest", "extract", "clean", "segment", "corpus", "validate")
DEFAULT_BIN_CHARS = 25


def _counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    label = pl.col(column).cast(pl.String).fill_null(UNKNOWN)
    return {str(k): int(n) for k, n in frame.group_by(label).len().sort(column).iter_rows()}


def corpus_metrics(
    inventory: pl.DataFrame,
    documents: pl.DataFrame,
    sentences: pl.DataFrame,
    quarantine: pl.DataFrame,
) -> dict[str, Any]:
    """Counts a researcher cites: inputs, kept, quarantined by reason and stage, sentences."""
    lengths = length_stats(sentences)
    return {
        "documents": {
            "input": inventory.height,
            "kept": documents.height,
            "quarantined": quarantine.height,
            "quarantined_by_reason": _counts(quarantine, "reason"),
            "quarantined_by_stage": _counts(quarantine, "stage"),
            "by_language": _counts(documents, "language"),
            "dated": int(documents["published"].is_not_null().sum()),
        },
        "sentences": {
            "count": sentences.height,
            "mean_chars": lengths["mean"],
            "median_chars": lengths["median"],
            "p05_chars": lengths["p05"],
            "p95_chars": lengths["p95"],
            "max_chars": lengths["max"],
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
    plots_dir: Path = typer.Option(PLOTS_DIR),
    card: Path = typer.Option(CARD),
) -> None:
    params = load_params("report")
    frames = {
        "documents": pl.read_parquet(documents),
        "sentences": pl.read_parquet(sentences),
        "quarantine": pl.read_parquet(quarantine),
    }
    metrics = corpus_metrics(pl.read_parquet(inventory), **frames)
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
    bin_chars = int(params.get("length_bin_chars", DEFAULT_BIN_CHARS))
    for name, rows in plot_tables(**frames, bin_chars=bin_chars).items():
        write_plot(rows, plots_dir / f"{name}.json")
    write_card(
        frames,
        output=card,
        files={"documents": documents, "sentences": sentences, "quarantine": quarantine},
    )
    print(json.dumps(metrics["documents"], sort_keys=True))


if __name__ == "__main__":
    run_cli(main)
