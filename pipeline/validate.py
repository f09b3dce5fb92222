"""Stage 6, validate: one Great Expectations suite per stage output (``expectations/*.json``).
``python -m pipeline.validate --help``. The work is :mod:`pipeline.quality.validation`.

A failed expectation makes this stage, and so ``dvc repro``, fail with the suite, the
expectation, the column, the unexpected count and sample values and rows (unless
``validate.on_failure`` is ``warn``). Data Docs (static HTML) are written to
``reports/data_docs``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.quality.checks import REASON_STAGES as REASON_STAGES  # named in quarantine.json
from pipeline.quality.tables import SUITE_TABLES, table_sources
from pipeline.quality.validation import validate_tables
from pipeline.runtime.cli import StageRun, stage_files, stage_main
from pipeline.runtime.stats import run_cli, write_json

STAGE = "validate"
# What the workers import once, in their fork server (besides the runtime), before they start:
# Great Expectations too (~3 s CPU in every process that imports it; the driver never does).
WORKER_PRELOAD = (
    "pipeline.quality.gx",
    "pipeline.quality.results",
    "great_expectations",
    "great_expectations.validator.v1_validator",
    "great_expectations.execution_engine.pandas_execution_engine",
    "great_expectations.expectations.metrics.map_metric_provider.map_condition_auxilliary_methods",
    "great_expectations.core.expectation_validation_result",
    "great_expectations.data_context.types.resource_identifiers",
)
FILES = stage_files(
    suites=Path("expectations"),
    summary=Path("reports/validation.json"),
    data_docs=Path("reports/data_docs"),
)


def validate(run: StageRun) -> int:
    # The suites read the thresholds by name ({"$PARAMETER": key}): checked values, as a mapping.
    params, stats = run.params.validate_.model_dump(), run.stats
    failures, summary = validate_tables(
        table_sources(),
        run.files["suites"],
        params,
        run.files["data_docs"],
        run.engine,
        WORKER_PRELOAD,
    )
    write_json(summary, run.files["summary"])
    stats.docs_in = stats.docs_out = summary["documents"]["rows"]
    stats.extra["failed_expectations"] = len(failures)
    stats.extra["validation_failed"] = int(bool(failures))
    if not failures:
        print(f"validation passed: {len(SUITE_TABLES)} suites")
        return 0
    print("Data validation failed (see reports/data_docs/index.html):", file=sys.stderr)
    for failure in failures:
        print(failure.describe(), file=sys.stderr)
    if run.params.validate_.on_failure == "fail":
        return 1
    print(
        "validate.on_failure is warn: the run goes on; the metrics and the dataset card "
        "say validation failed",
        file=sys.stderr,
    )
    return 0


main = stage_main(STAGE, FILES, validate, __doc__, WORKER_PRELOAD)

if __name__ == "__main__":
    run_cli(main)
