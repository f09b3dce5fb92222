"""Stage 7, report: ``reports/metrics.json`` (DVC metrics), ``reports/plots/*.json`` (DVC
plots), ``reports/dataset_card.md`` and ``reports/croissant.json`` from the stage stats and the
published corpus (every table of :data:`pipeline.outputs.PUBLISHED`).
``python -m pipeline.report --help``.

Every figure here is a function of the tracked inputs, so ``dvc metrics diff`` between two
versions shows what changed in the data; timings live in the untracked run log
(``reports/runs/``, see :func:`pipeline.runtime.stats.log_run`)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from pipeline.outputs import PUBLISHED
from pipeline.publish.card import CARD, filtered_by_filter, validation_summary, write_card
from pipeline.publish.croissant import CROISSANT, write_croissant
from pipeline.publish.metrics import closing_summary, summary_metrics, validation_metrics
from pipeline.publish.plots import PLOTS_DIR, CorpusSummary, plot_tables, write_plot
from pipeline.runtime.cli import StageRun, stage_files, stage_main
from pipeline.runtime.stats import STATS_DIR, run_cli, write_json

STAGE = "report"
STAGES = ("ingest", "extract", "clean", "segment", "corpus", "validate")
DATA_DOCS = Path("reports/data_docs/index.html")  # the validate stage's: named in the summary
FILES = stage_files(
    "inventory",
    *PUBLISHED,
    metrics=Path("reports/metrics.json"),
    plots=PLOTS_DIR,
    card=CARD,
    croissant=CROISSANT,
    validation=Path("reports/validation.json"),
)


def report(run: StageRun) -> None:
    files = run.files
    tables = {name: files[name] for name in PUBLISHED}
    summary = CorpusSummary.of_files(tables)
    metrics = summary_metrics(pl.scan_parquet(files["inventory"]), summary)
    stage_stats = {
        stage: json.loads((STATS_DIR / f"{stage}.json").read_text(encoding="utf-8"))
        for stage in STAGES
    }
    metrics["stages"] = {
        stage: {k: v for k, v in stats.items() if k != "stage"}
        for stage, stats in stage_stats.items()
    }
    # Out of scope by ingest.filters: not inputs (in no table), only counted.
    ingest = stage_stats["ingest"]
    metrics["documents"]["filtered"] = ingest.get("filtered", 0)
    metrics["documents"]["filtered_by_filter"] = filtered_by_filter(ingest)
    metrics["validation"] = validation_metrics(validation_summary(files["validation"]))
    write_json(metrics, files["metrics"])
    bin_chars = run.params.report.length_bin_chars
    for name, rows in plot_tables(summary, bin_chars=bin_chars).items():
        write_plot(rows, files["plots"] / f"{name}.json")
    write_card(summary, output=files["card"], files=tables)
    write_croissant(tables, output=files["croissant"])
    shown = {name: files[name] for name in ("documents", "sentences", "quarantine", "card")}
    shown["croissant"] = files["croissant"]
    shown |= {"metrics": files["metrics"], "data docs": DATA_DOCS}
    print(closing_summary(metrics, shown))
    print("  plots        `dvc plots show` draws them into dvc_plots/index.html")


main = stage_main(STAGE, FILES, report, __doc__, record_stats=False)

if __name__ == "__main__":
    run_cli(main)
