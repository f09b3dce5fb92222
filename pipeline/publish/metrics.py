"""``reports/metrics.json``, the DVC metrics: the counts a researcher cites (inputs, kept,
quarantined by reason and stage, sentences, languages, domains) and the validation outcome.
Every figure is a function of the tracked inputs, so ``dvc metrics diff`` between two versions
shows what changed in the data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.publish.card import ValidationSummary
from pipeline.publish.plots import UNKNOWN, CorpusSummary, Frame, count_by, length_stats


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
            "by_language": _counts(summary.documents, "language_detected", "documents"),
            "dated": summary.n_dated,
            "by_page_type": summary.pages_by_type(),
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


def closing_summary(metrics: Mapping[str, Any], files: Mapping[str, Path]) -> str:
    """What a run ends with on the console: inputs, kept and quarantined (by reason),
    sentences, validation, and where the tables, card, metrics and Data Docs are (``files``:
    name -> path, printed in that order)."""
    documents, sentences = metrics["documents"], metrics["sentences"]
    reasons = ", ".join(f"{k} {v}" for k, v in documents["quarantined_by_reason"].items())
    lines = [
        f"newscorpus: {documents['input']} inputs -> {documents['kept']} documents kept, "
        f"{sentences['count']} sentences; {documents['quarantined']} quarantined"
        + (f" ({reasons})" if reasons else ""),
        f"validation: {metrics['validation']['status']}",
        *(f"  {name:<12} {path}" for name, path in files.items()),
    ]
    return "\n".join(lines)
