"""Stage 6, report: ``reports/metrics.json`` (DVC metrics), ``reports/plots/*.json`` (DVC
plots) and ``reports/dataset_card.md`` from the stage stats and the published corpus.
``python -m pipeline.report --help``.

Every figure here is a function of the tracked inputs, so ``dvc metrics diff`` between two
versions shows what changed in the data; timings live in the untracked run log
(``reports/runs/``, see :func:`pipeline.runtime.stats.log_run`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import typer

from pipeline.config import read_params
from pipeline.outputs import OUTPUTS
from pipeline.publish.card import CARD, ValidationSummary, validation_summary, write_card
from pipeline.publish.plots import (
    PLOTS_DIR,
    UNKNOWN,
    CorpusSummary,
    Frame,
    count_by,
    length_stats,
    plot_tables,
    write_plot,
)
from pipeline.runtime.stats import STATS_DIR, run_cli, write_json

STAGE = "report"
STAGES = ("ingest", "extract", "clean", "segment", "corpus", "validate")


def _counts(table: pl.DataFrame, column: str, count: str) -> dict[str, int]:
    label = pl.col(column).cast(pl.String).fill_null(UNKNOWN)
    return {str(k): int(n) for k, n in count_by(table, label, count).sort(column).iter_rows()}


def corpus_metrics(
    inventory: Frame, documents: Frame, sentences: Frame, quarantine: Frame
) -> dict[str, Any]:
    """Counts a researcher cites: inputs, kept, quarantined by reason and stage, sentences."""
    return summary_metrics(inventory, CorpusSummary.scan(documents, sentences, quarantine))


def summary_metrics(inventory: Frame, summary: CorpusSummary) -> dict[str, Any]:
    """``corpus_metrics`` from the published tables' summary (and the inventory, only counted)."""
    lengths = length_stats(summary.sentence_lengths)
    n_inputs = inventory.lazy().select(pl.len()).collect(engine="streaming").item()
    return {
        "documents": {
            "input": int(n_inputs),
            "kept": summary.n_documents,
            "quarantined": summary.n_quarantined,
            "quarantined_by_reason": _counts(summary.quarantine, "reason", "inputs"),
            "quarantined_by_stage": _counts(summary.quarantine, "stage", "inputs"),
            "by_language": _counts(summary.documents, "language", "documents"),
            "dated": summary.n_dated,
        },
        "sentences": {
            "count": summary.n_sentences,
            "mean_chars": lengths["mean"],
            "median_chars": lengths["median"],
            "p05_chars": lengths["p05"],
            "p95_chars": lengths["p95"],
            "max_chars": lengths["max"],
        },
        "characters": summary.n_characters,
        "domains": len(summary.domains),
    }


def validation_metrics(summary: ValidationSummary | None) -> dict[str, Any]:
    """passed / failed (a run with ``validate.on_failure: warn`` gets here after a failure),
    and which expectations failed on which rows."""
    if summary is None:
        return {"status": "not run"}
    return {
        "status": "passed" if summary.passed == summary.evaluated else "failed",
        "expectations_passed": summary.passed,
        "expectations_evaluated": summary.evaluated,
        "failures": list(summary.failures),
    }


def main(
    inventory: Path = typer.Option(OUTPUTS["inventory"].path),
    documents: Path = typer.Option(OUTPUTS["documents"].path),
    sentences: Path = typer.Option(OUTPUTS["sentences"].path),
    quarantine: Path = typer.Option(OUTPUTS["quarantine"].path),
    output: Path = typer.Option(Path("reports/metrics.json")),
    plots_dir: Path = typer.Option(PLOTS_DIR),
    card: Path = typer.Option(CARD),
    validation: Path = typer.Option(Path("reports/validation.json")),
) -> None:
    params = read_params().report  # the whole file, before any input is read
    files = {"documents": documents, "sentences": sentences, "quarantine": quarantine}
    summary = CorpusSummary.of_files(files)
    metrics = summary_metrics(pl.scan_parquet(inventory), summary)
    stage_stats = {
        stage: json.loads((STATS_DIR / f"{stage}.json").read_text(encoding="utf-8"))
        for stage in STAGES
    }
    metrics["stages"] = {
        stage: {k: v for k, v in stats.items() if k != "stage"}
        for stage, stats in stage_stats.items()
    }
    metrics["validation"] = validation_metrics(validation_summary(validation))
    write_json(metrics, output)
    bin_chars = params.length_bin_chars
    for name, rows in plot_tables(summary, bin_chars=bin_chars).items():
        write_plot(rows, plots_dir / f"{name}.json")
    write_card(summary, output=card, files=files)
    print(json.dumps(metrics["documents"], sort_keys=True))


if __name__ == "__main__":
    run_cli(main)
